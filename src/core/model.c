/* The four model kinds as short sequences of operations (dense, conv, ReLU,
 * pools) over per-image shapes (C,H,W). Parameters live in one flat block;
 * weight-tied layers keep their free parameters there and expand them into
 * effective weights before each forward pass (tied-mlp: W = V·P; gcnn:
 * group-convolution filters). Not a general graph engine. */
#include "model.h"
#include "layers.h"
#include "rng.h"
#include "safetensors.h"
#include "json.h"
#include "util.h"
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (inv-model-error-quark, inv_model_error)

typedef enum { OP_DENSE, OP_CONV, OP_RELU, OP_MAXPOOL, OP_GROUPPOOL, OP_MEANPOOL } OpKind;
typedef enum { EXPAND_NONE, EXPAND_TIED, EXPAND_LIFT, EXPAND_GROUP } Expand;

#define NO_PARAM ((size_t) -1)

typedef struct {
  OpKind kind;
  Expand expand;
  size_t in_c, in_h, in_w;     /* per-image input shape */
  size_t out_c, out_h, out_w;  /* per-image output shape */
  size_t w_param, b_param;     /* indices into views, or NO_PARAM */
  size_t psi_c, psi_o;         /* gconv: free channels (C, O) before expansion */
  gboolean circular;
  size_t G;                    /* group pool: group order */
  /* expanded weights (EXPAND_*): (out, in…) and their gradients */
  float *wexp, *bexp, *dwexp, *dbexp;
  float *out;                  /* (B, out_c*out_h*out_w); ReLU: same as its input */
  float *aux;                  /* group pool: mean map (B, out_c, HW) */
} Op;

struct InvModelWork {
  Op ops[4 * INV_MODEL_MAX_LAYERS + 4];
  size_t n_ops;
  size_t cap;                  /* batch capacity of the buffers below */
  float *x0;                   /* (B, n) standardized input */
  float *ga, *gb;              /* (B, max activation) ping-pong gradients */
  float *scratch;              /* conv im2col scratch for the largest conv */
  GPtrArray *owned;            /* every buffer above, freed with inv_free */
};

static size_t
op_out_size (const Op *op)
{
  return op->out_c * op->out_h * op->out_w;
}

static size_t
op_in_size (const Op *op)
{
  return op->in_c * op->in_h * op->in_w;
}

const char *
inv_model_kind_name (InvModelKind kind)
{
  switch (kind)
    {
    case INV_MODEL_MLP: return "mlp";
    case INV_MODEL_CNN: return "cnn";
    case INV_MODEL_TIED_MLP: return "tied-mlp";
    case INV_MODEL_GCNN: return "gcnn";
    default: return "unknown";
    }
}

gboolean
inv_model_kind_from_name (const char *name, InvModelKind *kind)
{
  for (int k = INV_MODEL_MLP; k <= INV_MODEL_GCNN; k++)
    if (g_strcmp0 (name, inv_model_kind_name (k)) == 0)
      {
        *kind = k;
        return TRUE;
      }
  return FALSE;
}

gboolean
inv_model_kind_is_tied (InvModelKind kind)
{
  return kind == INV_MODEL_TIED_MLP || kind == INV_MODEL_GCNN;
}

static gboolean
group_is_trans (const char *group)
{
  return group && g_str_has_prefix (group, "trans");
}

void
inv_model_arch_default (InvModelKind kind, const char *group, InvModelArch *arch)
{
  memset (arch, 0, sizeof *arch);
  switch (kind)
    {
    case INV_MODEL_MLP:
    case INV_MODEL_TIED_MLP:
      arch->n_layers = 2;
      arch->width[0] = arch->width[1] = 256;
      break;
    case INV_MODEL_CNN:
      arch->n_layers = 2;
      arch->width[0] = 16;
      arch->width[1] = 32;
      arch->fc = 128;
      break;
    case INV_MODEL_GCNN:
      if (group_is_trans (group))
        {
          arch->n_layers = 2;
          arch->width[0] = 8;
          arch->width[1] = 16;
        }
      else
        {
          arch->n_layers = 4;
          arch->width[0] = 8;
          arch->width[1] = arch->width[2] = arch->width[3] = 16;
        }
      break;
    }
}

/* ---- building ---- */

static size_t
add_param (InvModel *m, const char *name, size_t ndim, const size_t *shape)
{
  g_assert (m->n_views < INV_MODEL_MAX_PARAMS);
  InvParam *p = &m->views[m->n_views];
  g_strlcpy (p->name, name, sizeof p->name);
  p->ndim = ndim;
  p->numel = 1;
  for (size_t i = 0; i < ndim; i++)
    {
      p->shape[i] = shape[i];
      p->numel *= shape[i];
    }
  p->offset = m->n_params;
  m->n_params += p->numel;
  return m->n_views++;
}

static Op *
add_op (InvModelWork *w, OpKind kind, size_t in_c, size_t in_h, size_t in_w)
{
  g_assert (w->n_ops < G_N_ELEMENTS (w->ops));
  Op *op = &w->ops[w->n_ops++];
  memset (op, 0, sizeof *op);
  op->kind = kind;
  op->in_c = op->out_c = in_c;
  op->in_h = op->out_h = in_h;
  op->in_w = op->out_w = in_w;
  op->w_param = op->b_param = NO_PARAM;
  return op;
}

static Op *
add_dense (InvModel *m, size_t layer, size_t in, size_t out, Expand expand)
{
  char name[32];
  Op *op = add_op (m->work, OP_DENSE, in, 1, 1);
  op->out_c = out;
  op->expand = expand;
  g_snprintf (name, sizeof name, "fc%zu.weight", layer);
  op->w_param = add_param (m, name, 2, (size_t[]) { out, in });
  g_snprintf (name, sizeof name, "fc%zu.bias", layer);
  op->b_param = add_param (m, name, 1, (size_t[]) { out });
  return op;
}

/* A 3×3 "same" convolution layer; for gcnn the free parameters have the
 * shape of DESIGN.md and the op convolves with expanded channels. */
static Op *
add_conv (InvModel *m, size_t layer, size_t C, size_t O, size_t H, size_t W,
          Expand expand, size_t G, gboolean circular)
{
  char name[32];
  size_t in_c = expand == EXPAND_GROUP ? C * G : C;
  size_t out_c = (expand == EXPAND_GROUP || expand == EXPAND_LIFT) ? O * G : O;
  Op *op = add_op (m->work, OP_CONV, in_c, H, W);
  op->out_c = out_c;
  op->expand = expand;
  op->psi_c = C;
  op->psi_o = O;
  op->circular = circular;
  g_snprintf (name, sizeof name, "conv%zu.weight", layer);
  if (expand == EXPAND_GROUP)
    op->w_param = add_param (m, name, 5, (size_t[]) { O, C, G, 3, 3 });
  else
    op->w_param = add_param (m, name, 4, (size_t[]) { O, C, 3, 3 });
  g_snprintf (name, sizeof name, "conv%zu.bias", layer);
  op->b_param = add_param (m, name, 1, (size_t[]) { O });
  return op;
}

static gboolean
check_arch (InvModelKind kind, const char *group, size_t h, size_t w, size_t K,
            const InvModelArch *a, GError **error)
{
  const char *kn = inv_model_kind_name (kind);
  if (K < 2 || K > 256)
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH,
                   "%s: %zu classes is not supported (2 to 256)", kn, K);
      return FALSE;
    }
  if (a->n_layers < 1 || a->n_layers > INV_MODEL_MAX_LAYERS)
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH,
                   "%s: %zu layers is not supported (1 to %d)", kn, a->n_layers,
                   INV_MODEL_MAX_LAYERS);
      return FALSE;
    }
  for (size_t i = 0; i < a->n_layers; i++)
    if (a->width[i] < 1 || a->width[i] > 4096)
      {
        g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH,
                     "%s: layer %zu width %zu is not supported (1 to 4096)", kn, i + 1, a->width[i]);
        return FALSE;
      }
  if (kind == INV_MODEL_CNN && (a->fc < 1 || a->fc > 65536))
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH,
                   "cnn: fully-connected width %zu is not supported", a->fc);
      return FALSE;
    }
  if (kind == INV_MODEL_MLP || kind == INV_MODEL_TIED_MLP)
    {
      if (a->n_layers > INV_MODEL_MAX_PARAMS / 2 - 1)
        {
          g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH,
                       "%s: too many layers", kn);
          return FALSE;
        }
    }
  if (kind == INV_MODEL_CNN)
    {
      size_t f = (size_t) 1 << a->n_layers;
      if (a->n_layers > 4 || h % f || w % f)
        {
          g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH,
                       "cnn: %zu pooled layers need an image size divisible by %zu, not %zu×%zu",
                       a->n_layers, f, h, w);
          return FALSE;
        }
    }
  if (kind == INV_MODEL_GCNN)
    {
      if (a->n_layers > INV_MODEL_MAX_PARAMS / 2 - 1)
        {
          g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH,
                       "gcnn: too many layers");
          return FALSE;
        }
      if (!group_is_trans (group))
        {
          size_t pools = MIN (a->n_layers, 2);
          size_t f = (size_t) 1 << pools;
          if (h % f || w % f)
            {
              g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH,
                           "gcnn on %s: the image size %zu×%zu must be divisible by %zu "
                           "for the pools to keep exact invariance", group, h, w, f);
              return FALSE;
            }
        }
    }
  return TRUE;
}

static void
build_ops (InvModel *m)
{
  const InvModelArch *a = &m->arch;
  size_t n = m->h * m->w, G = m->group->order;
  switch (m->kind)
    {
    case INV_MODEL_MLP:
    case INV_MODEL_TIED_MLP:
      {
        size_t in = n;
        for (size_t l = 0; l < a->n_layers; l++)
          {
            Expand e = (l == 0 && m->kind == INV_MODEL_TIED_MLP) ? EXPAND_TIED : EXPAND_NONE;
            add_dense (m, l + 1, in, a->width[l], e);
            add_op (m->work, OP_RELU, a->width[l], 1, 1);
            in = a->width[l];
          }
        add_dense (m, a->n_layers + 1, in, m->n_classes, EXPAND_NONE);
        break;
      }
    case INV_MODEL_CNN:
      {
        size_t c = 1, H = m->h, W = m->w;
        for (size_t l = 0; l < a->n_layers; l++)
          {
            add_conv (m, l + 1, c, a->width[l], H, W, EXPAND_NONE, 1, FALSE);
            add_op (m->work, OP_RELU, a->width[l], H, W);
            Op *p = add_op (m->work, OP_MAXPOOL, a->width[l], H, W);
            H /= 2;
            W /= 2;
            p->out_h = H;
            p->out_w = W;
            c = a->width[l];
          }
        add_dense (m, 1, c * H * W, a->fc, EXPAND_NONE);
        add_op (m->work, OP_RELU, a->fc, 1, 1);
        add_dense (m, 2, a->fc, m->n_classes, EXPAND_NONE);
        break;
      }
    case INV_MODEL_GCNN:
      if (group_is_trans (m->group->name))
        {
          size_t c = 1, H = m->h, W = m->w;
          for (size_t l = 0; l < a->n_layers; l++)
            {
              add_conv (m, l + 1, c, a->width[l], H, W, EXPAND_NONE, 1, TRUE);
              add_op (m->work, OP_RELU, a->width[l], H, W);
              c = a->width[l];
            }
          Op *p = add_op (m->work, OP_MEANPOOL, c, H, W);
          p->out_h = p->out_w = 1;
          add_dense (m, 1, c, m->n_classes, EXPAND_NONE);
        }
      else
        {
          size_t c = 1, H = m->h, W = m->w;
          for (size_t l = 0; l < a->n_layers; l++)
            {
              add_conv (m, l + 1, c, a->width[l], H, W,
                        l == 0 ? EXPAND_LIFT : EXPAND_GROUP, G, FALSE);
              add_op (m->work, OP_RELU, a->width[l] * G, H, W);
              if (l < 2)
                {
                  Op *p = add_op (m->work, OP_MAXPOOL, a->width[l] * G, H, W);
                  H /= 2;
                  W /= 2;
                  p->out_h = H;
                  p->out_w = W;
                }
              c = a->width[l];
            }
          Op *p = add_op (m->work, OP_GROUPPOOL, c * G, H, W);
          p->G = G;
          p->out_c = c;
          p->out_h = p->out_w = 1;
          add_dense (m, 1, c, m->n_classes, EXPAND_NONE);
        }
      break;
    }
}

static float *
work_alloc (InvModelWork *w, size_t n, GError **error)
{
  float *p = inv_floats_new (n, error);
  if (p)
    g_ptr_array_add (w->owned, p);
  return p;
}

/* Expanded weights do not depend on the batch: allocated once. */
static gboolean
alloc_expanded (InvModel *m, GError **error)
{
  InvModelWork *w = m->work;
  for (size_t i = 0; i < w->n_ops; i++)
    {
      Op *op = &w->ops[i];
      if (op->expand == EXPAND_NONE)
        continue;
      size_t wn = op->kind == OP_DENSE ? op->out_c * op->in_c : op->out_c * op->in_c * 9;
      if (!(op->wexp = work_alloc (w, wn, error)) || !(op->dwexp = work_alloc (w, wn, error))
          || !(op->bexp = work_alloc (w, op->out_c, error))
          || !(op->dbexp = work_alloc (w, op->out_c, error)))
        return FALSE;
    }
  return TRUE;
}

/* Activation buffers for a batch of B. */
static gboolean
ensure_capacity (InvModel *m, size_t B, GError **error)
{
  InvModelWork *w = m->work;
  if (B <= w->cap)
    return TRUE;
  /* Free the batch-sized buffers, keep the expanded weights. */
  for (size_t i = 0; i < w->n_ops; i++)
    {
      Op *op = &w->ops[i];
      if (op->out && op->kind != OP_RELU)
        {
          g_ptr_array_remove_fast (w->owned, op->out); /* frees it */
        }
      if (op->aux)
        {
          g_ptr_array_remove_fast (w->owned, op->aux);
        }
      op->out = op->aux = NULL;
    }
  float *bufs[] = { w->x0, w->ga, w->gb, w->scratch };
  for (size_t i = 0; i < G_N_ELEMENTS (bufs); i++)
    if (bufs[i])
      g_ptr_array_remove_fast (w->owned, bufs[i]);
  w->x0 = w->ga = w->gb = w->scratch = NULL;
  w->cap = 0;

  size_t n = m->h * m->w, biggest = n, scratch = 0, bytes;
  if (!inv_size_mul (B, n, &bytes))
    goto overflow;
  if (!(w->x0 = work_alloc (w, B * n, error)))
    return FALSE;
  const float *prev = w->x0;
  for (size_t i = 0; i < w->n_ops; i++)
    {
      Op *op = &w->ops[i];
      size_t sz = op_out_size (op), total;
      biggest = MAX (biggest, sz);
      if (!inv_size_mul (B, sz, &total))
        goto overflow;
      if (op->kind == OP_RELU)
        op->out = (float *) prev;
      else if (!(op->out = work_alloc (w, total, error)))
        return FALSE;
      if (op->kind == OP_GROUPPOOL)
        {
          size_t mm;
          if (!inv_size_mul (B, op->out_c * op->in_h * op->in_w, &mm)
              || !(op->aux = work_alloc (w, mm, error)))
            return FALSE;
        }
      if (op->kind == OP_CONV)
        {
          InvConvShape s = { B, op->in_c, op->out_c, op->in_h, op->in_w, 3, op->circular };
          scratch = MAX (scratch, inv_conv2d_scratch_size (&s));
        }
      prev = op->out;
    }
  size_t gsz;
  if (!inv_size_mul (B, biggest, &gsz))
    goto overflow;
  if (!(w->ga = work_alloc (w, gsz, error)) || !(w->gb = work_alloc (w, gsz, error))
      || !(w->scratch = work_alloc (w, scratch, error)))
    return FALSE;
  w->cap = B;
  return TRUE;

overflow:
  g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_NOMEM,
               "batch of %zu images is too large", B);
  return FALSE;
}

static void
init_params (InvModel *m, uint64_t seed)
{
  InvModelWork *w = m->work;
  for (size_t i = 0; i < w->n_ops; i++)
    {
      const Op *op = &w->ops[i];
      if (op->w_param == NO_PARAM)
        continue;
      const InvParam *p = &m->views[op->w_param];
      size_t fan_in = p->numel / p->shape[0];
      gboolean last = i == w->n_ops - 1;
      /* He-normal for layers followed by ReLU, LeCun-normal for the logits. */
      double sd = sqrt ((last ? 1.0 : 2.0) / (double) fan_in);
      if (op->expand == EXPAND_TIED)
        sd *= sqrt ((double) m->group->order); /* W = V·P averages |G| entries */
      InvRng r;
      inv_rng_init_stream (&r, seed, 0x1417, op->w_param);
      float *dst = m->params + p->offset;
      for (size_t k = 0; k < p->numel; k++)
        dst[k] = (float) (sd * inv_rng_normal (&r));
    }
}

static InvModel *
model_alloc (InvModelKind kind, const char *group, size_t h, size_t w, size_t K,
             const InvModelArch *arch, GError **error)
{
  InvModelArch def;
  if (!arch)
    {
      inv_model_arch_default (kind, group, &def);
      arch = &def;
    }
  if (kind < INV_MODEL_MLP || kind > INV_MODEL_GCNN)
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH, "unknown model kind %d", kind);
      return NULL;
    }
  if (!check_arch (kind, group, h, w, K, arch, error))
    return NULL;
  g_autoptr (InvGroup) grp = inv_group_new (group, h, w, error);
  if (!grp)
    return NULL;
  g_autoptr (InvGroup) fgrp = NULL;
  if (kind == INV_MODEL_GCNN && !group_is_trans (group)
      && !(fgrp = inv_group_new (group, 3, 3, error)))
    return NULL;

  InvModel *m = g_new0 (InvModel, 1);
  m->kind = kind;
  m->group = g_steal_pointer (&grp);
  m->fgroup = g_steal_pointer (&fgrp);
  m->h = h;
  m->w = w;
  m->n_classes = K;
  m->arch = *arch;
  m->mean = 0.0f;
  m->std = 1.0f;
  m->work = g_new0 (InvModelWork, 1);
  m->work->owned = g_ptr_array_new_with_free_func (inv_free);
  build_ops (m);
  if (!(m->params = inv_floats_new (m->n_params, error))
      || !(m->grads = inv_floats_new (m->n_params, error))
      || !alloc_expanded (m, error))
    {
      inv_model_free (m);
      return NULL;
    }
  return m;
}

InvModel *
inv_model_new (InvModelKind kind, const char *group, size_t h, size_t w, size_t n_classes,
               const InvModelArch *arch, uint64_t seed, GError **error)
{
  InvModel *m = model_alloc (kind, group, h, w, n_classes, arch, error);
  if (m)
    init_params (m, seed);
  return m;
}

void
inv_model_free (InvModel *m)
{
  if (!m)
    return;
  inv_group_free (m->group);
  inv_group_free (m->fgroup);
  inv_free (m->params);
  inv_free (m->grads);
  if (m->work)
    {
      g_ptr_array_unref (m->work->owned);
      g_free (m->work);
    }
  g_free (m->dataset);
  g_free (m->train_config);
  g_strfreev (m->class_names);
  g_free (m);
}

InvModel *
inv_model_copy (const InvModel *m)
{
  InvModel *c = model_alloc (m->kind, m->group->name, m->h, m->w, m->n_classes, &m->arch, NULL);
  g_assert (c); /* m was built from the same arguments */
  memcpy (c->params, m->params, m->n_params * sizeof (float));
  c->mean = m->mean;
  c->std = m->std;
  c->dataset = g_strdup (m->dataset);
  c->lambda = m->lambda;
  c->train_config = g_strdup (m->train_config);
  c->class_names = g_strdupv (m->class_names);
  return c;
}

const InvParam *
inv_model_find_param (const InvModel *m, const char *name)
{
  for (size_t i = 0; i < m->n_views; i++)
    if (strcmp (m->views[i].name, name) == 0)
      return &m->views[i];
  return NULL;
}

/* ---- weight tying ---- */

/* tied: W (O, n) rows = mean over g of g·V rows, i.e. W = V·P. The adjoint is
 * the same averaging because P is symmetric. */
static void
tie_rows (const InvGroup *grp, float *dst, const float *src, size_t O, gboolean accumulate)
{
  size_t n = grp->h * grp->w, G = grp->order;
  float inv = 1.0f / (float) G;
  for (size_t o = 0; o < O; o++)
    {
      const float *s = src + o * n;
      float *d = dst + o * n;
      for (size_t p = 0; p < n; p++)
        {
          float acc = 0;
          for (size_t g = 0; g < G; g++)
            acc += s[grp->perm[g * n + p]];
          d[p] = (accumulate ? d[p] : 0.0f) + acc * inv;
        }
    }
}

static void
expand_weights (InvModel *m)
{
  InvModelWork *w = m->work;
  for (size_t i = 0; i < w->n_ops; i++)
    {
      Op *op = &w->ops[i];
      if (op->expand == EXPAND_NONE)
        continue;
      const float *psi = m->params + m->views[op->w_param].offset;
      const float *b = m->params + m->views[op->b_param].offset;
      switch (op->expand)
        {
        case EXPAND_TIED:
          tie_rows (m->group, op->wexp, psi, op->out_c, FALSE);
          memcpy (op->bexp, b, op->out_c * sizeof (float));
          break;
        case EXPAND_LIFT:
          inv_gconv_lift_expand (op->wexp, psi, m->fgroup, op->psi_o, op->psi_c);
          inv_gconv_bias_expand (op->bexp, b, op->psi_o, m->group->order);
          break;
        case EXPAND_GROUP:
          inv_gconv_expand (op->wexp, psi, m->fgroup, op->psi_o, op->psi_c);
          inv_gconv_bias_expand (op->bexp, b, op->psi_o, m->group->order);
          break;
        default:
          break;
        }
    }
}

/* ---- forward / backward ---- */

gboolean
inv_model_forward (InvModel *m, float *logits, const float *x, size_t B, GError **error)
{
  if (!ensure_capacity (m, B, error))
    return FALSE;
  InvModelWork *w = m->work;
  size_t n = m->h * m->w;
  float mean = m->mean, inv_std = 1.0f / m->std;
  for (size_t i = 0; i < B * n; i++)
    w->x0[i] = (x[i] - mean) * inv_std;
  expand_weights (m);

  const float *in = w->x0;
  for (size_t i = 0; i < w->n_ops; i++)
    {
      Op *op = &w->ops[i];
      gboolean last = i == w->n_ops - 1;
      float *out = last ? logits : op->out;
      const float *wt = NULL, *b = NULL;
      if (op->w_param != NO_PARAM)
        {
          wt = op->expand ? op->wexp : m->params + m->views[op->w_param].offset;
          b = op->expand ? op->bexp : m->params + m->views[op->b_param].offset;
        }
      switch (op->kind)
        {
        case OP_DENSE:
          /* out (B, out_c) = in (B, in_size) · Wᵀ + b */
          inv_dense_forward (out, in, wt, b, B, op_in_size (op), op->out_c);
          break;
        case OP_CONV:
          {
            InvConvShape s = { B, op->in_c, op->out_c, op->in_h, op->in_w, 3, op->circular };
            inv_conv2d_forward (out, in, wt, b, &s, w->scratch);
            break;
          }
        case OP_RELU:
          inv_relu_forward (op->out, op->out, B * op_out_size (op));
          break;
        case OP_MAXPOOL:
          inv_maxpool2_forward (out, in, B * op->in_c, op->in_h, op->in_w);
          break;
        case OP_GROUPPOOL:
          inv_group_pool_forward (out, op->aux, in, B, op->out_c, op->G, op->in_h * op->in_w);
          break;
        case OP_MEANPOOL:
          inv_mean_pool_forward (out, in, B, op->in_c, op->in_h * op->in_w);
          break;
        }
      in = out;
    }
  return TRUE;
}

void
inv_model_backward (InvModel *m, float *dx, const float *dlogits, size_t B, gboolean param_grads)
{
  InvModelWork *w = m->work;
  g_return_if_fail (B <= w->cap);
  size_t n = m->h * m->w;
  const float *dout = dlogits;
  float *bufs[2] = { w->ga, w->gb };
  int which = 0;

  for (size_t i = w->n_ops; i-- > 0;)
    {
      Op *op = &w->ops[i];
      const float *in = i == 0 ? w->x0 : w->ops[i - 1].out;
      gboolean need_din = i > 0 || dx != NULL;
      float *din = need_din ? bufs[which] : NULL;
      switch (op->kind)
        {
        case OP_DENSE:
        case OP_CONV:
          {
            gboolean exp = op->expand != EXPAND_NONE;
            const float *wt = exp ? op->wexp : m->params + m->views[op->w_param].offset;
            float *dw = NULL, *db = NULL;
            if (param_grads)
              {
                if (exp)
                  {
                    size_t wn = op->kind == OP_DENSE ? op->out_c * op->in_c : op->out_c * op->in_c * 9;
                    memset (op->dwexp, 0, wn * sizeof (float));
                    memset (op->dbexp, 0, op->out_c * sizeof (float));
                    dw = op->dwexp;
                    db = op->dbexp;
                  }
                else
                  {
                    dw = m->grads + m->views[op->w_param].offset;
                    db = m->grads + m->views[op->b_param].offset;
                  }
              }
            if (op->kind == OP_DENSE)
              inv_dense_backward (din, dw, db, dout, in, wt, B, op_in_size (op), op->out_c);
            else
              {
                InvConvShape s = { B, op->in_c, op->out_c, op->in_h, op->in_w, 3, op->circular };
                inv_conv2d_backward (din, dw, db, dout, in, wt, &s, w->scratch);
              }
            if (param_grads && exp)
              {
                float *gw = m->grads + m->views[op->w_param].offset;
                float *gb = m->grads + m->views[op->b_param].offset;
                switch (op->expand)
                  {
                  case EXPAND_TIED:
                    tie_rows (m->group, gw, op->dwexp, op->out_c, TRUE);
                    for (size_t o = 0; o < op->out_c; o++)
                      gb[o] += op->dbexp[o];
                    break;
                  case EXPAND_LIFT:
                    inv_gconv_lift_fold (gw, op->dwexp, m->fgroup, op->psi_o, op->psi_c);
                    inv_gconv_bias_fold (gb, op->dbexp, op->psi_o, m->group->order);
                    break;
                  case EXPAND_GROUP:
                    inv_gconv_fold (gw, op->dwexp, m->fgroup, op->psi_o, op->psi_c);
                    inv_gconv_bias_fold (gb, op->dbexp, op->psi_o, m->group->order);
                    break;
                  default:
                    break;
                  }
              }
            break;
          }
        case OP_RELU:
          inv_relu_backward (din, dout, op->out, B * op_out_size (op));
          break;
        case OP_MAXPOOL:
          if (din)
            inv_maxpool2_backward (din, dout, in, op->out, B * op->in_c, op->in_h, op->in_w);
          break;
        case OP_GROUPPOOL:
          if (din)
            inv_group_pool_backward (din, dout, op->aux, op->out, B, op->out_c, op->G,
                                     op->in_h * op->in_w);
          break;
        case OP_MEANPOOL:
          if (din)
            inv_mean_pool_backward (din, dout, B, op->in_c, op->in_h * op->in_w);
          break;
        }
      if (!din)
        return;
      dout = din;
      which ^= 1;
    }
  /* dout is ∂/∂x0; pixels were standardized as (x − mean)/std. */
  float inv_std = 1.0f / m->std;
  for (size_t i = 0; i < B * n; i++)
    dx[i] = dout[i] * inv_std;
}

void
inv_model_zero_grad (InvModel *m)
{
  memset (m->grads, 0, m->n_params * sizeof (float));
}

float *
inv_model_first_layer (const InvModel *m, size_t *rows, size_t *cols)
{
  const Op *op = &m->work->ops[0];
  const InvParam *p = &m->views[op->w_param];
  *rows = p->shape[0];
  *cols = p->numel / p->shape[0];
  float *out = g_new (float, p->numel);
  if (op->expand == EXPAND_TIED)
    tie_rows (m->group, out, m->params + p->offset, *rows, FALSE);
  else
    memcpy (out, m->params + p->offset, p->numel * sizeof (float));
  return out;
}

/* ---- checkpoints ---- */

static char *
arch_to_string (const InvModelArch *a)
{
  GString *s = g_string_new (NULL);
  for (size_t i = 0; i < a->n_layers; i++)
    g_string_append_printf (s, "%s%zu", i ? "," : "", a->width[i]);
  return g_string_free (s, FALSE);
}

gboolean
inv_model_save (const InvModel *m, const char *path, GError **error)
{
  g_autoptr (GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_hash_table_insert (meta, "format", g_strdup ("invariance-lab"));
  g_hash_table_insert (meta, "format_version", g_strdup_printf ("%d", INV_MODEL_FORMAT_VERSION));
  g_hash_table_insert (meta, "kind", g_strdup (inv_model_kind_name (m->kind)));
  g_hash_table_insert (meta, "group", g_strdup (m->group->name));
  g_hash_table_insert (meta, "height", g_strdup_printf ("%zu", m->h));
  g_hash_table_insert (meta, "width", g_strdup_printf ("%zu", m->w));
  g_hash_table_insert (meta, "classes", g_strdup_printf ("%zu", m->n_classes));
  g_hash_table_insert (meta, "arch", arch_to_string (&m->arch));
  if (m->kind == INV_MODEL_CNN)
    g_hash_table_insert (meta, "fc", g_strdup_printf ("%zu", m->arch.fc));
  g_hash_table_insert (meta, "mean", g_strdup (g_ascii_formatd (buf, sizeof buf, "%.9g", m->mean)));
  g_hash_table_insert (meta, "std", g_strdup (g_ascii_formatd (buf, sizeof buf, "%.9g", m->std)));
  g_hash_table_insert (meta, "lambda", g_strdup (g_ascii_formatd (buf, sizeof buf, "%.17g", m->lambda)));
  g_hash_table_insert (meta, "dataset", g_strdup (m->dataset ? m->dataset : ""));
  if (m->train_config)
    g_hash_table_insert (meta, "train_config", g_strdup (m->train_config));
  if (m->class_names)
    {
      GString *s = g_string_new ("[");
      for (size_t i = 0; m->class_names[i]; i++)
        {
          if (i)
            g_string_append_c (s, ',');
          inv_json_escape (s, m->class_names[i]);
        }
      g_string_append_c (s, ']');
      g_hash_table_insert (meta, "class_names", g_string_free (s, FALSE));
    }

  InvStTensor t[INV_MODEL_MAX_PARAMS];
  g_autofree float *tied = NULL;
  for (size_t i = 0; i < m->n_views; i++)
    {
      const InvParam *p = &m->views[i];
      t[i].name = (char *) p->name;
      t[i].ndim = p->ndim;
      memcpy (t[i].shape, p->shape, p->ndim * sizeof (size_t));
      t[i].numel = p->numel;
      t[i].data = m->params + p->offset;
    }
  /* tied-mlp stores its effective first-layer weight: readers see a plain MLP. */
  if (m->kind == INV_MODEL_TIED_MLP)
    {
      size_t r, c;
      tied = inv_model_first_layer (m, &r, &c);
      t[0].data = tied;
    }
  return inv_st_write (path, t, m->n_views, meta, error);
}

static gboolean
meta_size (GHashTable *meta, const char *path, const char *key, gboolean required,
           size_t *out, GError **error)
{
  const char *v = g_hash_table_lookup (meta, key);
  if (!v)
    {
      if (!required)
        return TRUE;
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                   "%s: metadata has no '%s'", path, key);
      return FALSE;
    }
  guint64 x;
  if (!g_ascii_string_to_unsigned (v, 10, 1, 1u << 20, &x, NULL))
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                   "%s: metadata '%s' = '%s' is not a positive integer", path, key, v);
      return FALSE;
    }
  *out = (size_t) x;
  return TRUE;
}

static gboolean
meta_double (GHashTable *meta, const char *path, const char *key, double *out, GError **error)
{
  const char *v = g_hash_table_lookup (meta, key);
  if (!v)
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                   "%s: metadata has no '%s'", path, key);
      return FALSE;
    }
  char *end = NULL;
  double x = g_ascii_strtod (v, &end);
  if (end == v || *end != '\0' || !isfinite (x))
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                   "%s: metadata '%s' = '%s' is not a finite number", path, key, v);
      return FALSE;
    }
  *out = x;
  return TRUE;
}

static char *
shape_string (const size_t *shape, size_t ndim)
{
  GString *s = g_string_new ("[");
  for (size_t i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%zu", i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static gboolean
parse_arch (const char *path, const char *text, InvModelArch *arch, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text ? text : "", ",", -1);
  size_t n = g_strv_length (parts);
  if (n < 1 || n > INV_MODEL_MAX_LAYERS)
    goto bad;
  arch->n_layers = n;
  for (size_t i = 0; i < n; i++)
    {
      guint64 x;
      if (!g_ascii_string_to_unsigned (parts[i], 10, 1, 4096, &x, NULL))
        goto bad;
      arch->width[i] = (size_t) x;
    }
  return TRUE;
bad:
  g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
               "%s: metadata 'arch' = '%s' is not a list of 1 to %d layer widths",
               path, text ? text : "", INV_MODEL_MAX_LAYERS);
  return FALSE;
}

InvModel *
inv_model_load (const char *path, GError **error)
{
  g_autoptr (InvStFile) f = inv_st_read (path, error);
  if (!f)
    return NULL;
  GHashTable *meta = f->metadata;
  const char *format = g_hash_table_lookup (meta, "format");
  if (g_strcmp0 (format, "invariance-lab") != 0)
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                   "%s: not an Invariance Lab model (metadata 'format' is %s%s%s)", path,
                   format ? "'" : "", format ? format : "missing", format ? "'" : "");
      return NULL;
    }
  size_t version = 0;
  if (!meta_size (meta, path, "format_version", TRUE, &version, error))
    return NULL;
  if (version > INV_MODEL_FORMAT_VERSION)
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                   "%s: format version %zu is newer than this program reads (%d); "
                   "update Invariance Lab", path, version, INV_MODEL_FORMAT_VERSION);
      return NULL;
    }
  InvModelKind kind;
  const char *kind_name = g_hash_table_lookup (meta, "kind");
  if (!inv_model_kind_from_name (kind_name, &kind))
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                   "%s: unknown model kind '%s' (expected mlp, cnn, tied-mlp or gcnn)",
                   path, kind_name ? kind_name : "");
      return NULL;
    }
  const char *group = g_hash_table_lookup (meta, "group");
  size_t h, w, K;
  double mean, sd, lambda = 0;
  InvModelArch arch = { 0 };
  if (!group)
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE, "%s: metadata has no 'group'", path);
      return NULL;
    }
  if (!meta_size (meta, path, "height", TRUE, &h, error)
      || !meta_size (meta, path, "width", TRUE, &w, error)
      || !meta_size (meta, path, "classes", TRUE, &K, error)
      || !parse_arch (path, g_hash_table_lookup (meta, "arch"), &arch, error)
      || !meta_size (meta, path, "fc", kind == INV_MODEL_CNN, &arch.fc, error)
      || !meta_double (meta, path, "mean", &mean, error)
      || !meta_double (meta, path, "std", &sd, error)
      || (g_hash_table_contains (meta, "lambda") && !meta_double (meta, path, "lambda", &lambda, error)))
    return NULL;
  if (!(sd > 1e-8) || fabs (mean) > 1e6 || sd > 1e6)
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                   "%s: normalization mean %g, std %g is not usable", path, mean, sd);
      return NULL;
    }
  if ((size_t) h * w > (size_t) 1 << 22)
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                   "%s: image size %zu×%zu is too large", path, h, w);
      return NULL;
    }
  g_autoptr (GError) arch_error = NULL;
  g_autoptr (InvModel) m = model_alloc (kind, group, h, w, K, &arch, &arch_error);
  if (!m)
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE, "%s: %s", path, arch_error->message);
      return NULL;
    }
  for (size_t i = 0; i < f->n; i++)
    if (!inv_model_find_param (m, f->tensors[i].name))
      {
        g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                     "%s: unexpected tensor '%s' for a %s", path, f->tensors[i].name, kind_name);
        return NULL;
      }
  for (size_t i = 0; i < m->n_views; i++)
    {
      const InvParam *p = &m->views[i];
      const InvStTensor *t = inv_st_find (f, p->name);
      if (!t)
        {
          g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                       "%s: tensor '%s' is missing", path, p->name);
          return NULL;
        }
      if (t->ndim != p->ndim || memcmp (t->shape, p->shape, p->ndim * sizeof (size_t)) != 0)
        {
          g_autofree char *got = shape_string (t->shape, t->ndim);
          g_autofree char *want = shape_string (p->shape, p->ndim);
          g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                       "%s: tensor '%s' has shape %s, but the metadata's %s on %s needs %s",
                       path, p->name, got, kind_name, group, want);
          return NULL;
        }
      memcpy (m->params + p->offset, t->data, p->numel * sizeof (float));
    }
  /* tied-mlp: V = W is a valid free parameter, since W·P = W for a tied W. A
   * file whose fc1.weight is not tied would silently change its function. */
  if (kind == INV_MODEL_TIED_MLP)
    {
      size_t r, c;
      g_autofree float *tied = inv_model_first_layer (m, &r, &c);
      const float *v = m->params + m->views[0].offset;
      double worst = 0, scale = 0;
      for (size_t i = 0; i < r * c; i++)
        {
          worst = MAX (worst, fabs ((double) tied[i] - v[i]));
          scale = MAX (scale, fabs ((double) v[i]));
        }
      if (worst > 1e-5 * MAX (scale, 1.0))
        {
          g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                       "%s: fc1.weight of a tied-mlp is not invariant under %s "
                       "(differs from its group average by %g)", path, group, worst);
          return NULL;
        }
    }
  m->mean = (float) mean;
  m->std = (float) sd;
  m->lambda = lambda;
  m->dataset = g_strdup (g_hash_table_lookup (meta, "dataset"));
  m->train_config = g_strdup (g_hash_table_lookup (meta, "train_config"));
  const char *names = g_hash_table_lookup (meta, "class_names");
  if (names)
    {
      g_autoptr (GError) jerr = NULL;
      g_autoptr (InvJson) j = inv_json_parse (names, strlen (names), &jerr);
      gboolean ok = j && j->type == INV_JSON_ARRAY && j->n == K;
      for (size_t i = 0; ok && i < j->n; i++)
        ok = j->items[i]->type == INV_JSON_STRING;
      if (!ok)
        {
          g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_FILE,
                       "%s: metadata 'class_names' is not a list of %zu strings", path, K);
          return NULL;
        }
      m->class_names = g_new0 (char *, K + 1);
      for (size_t i = 0; i < K; i++)
        m->class_names[i] = g_strdup (j->items[i]->string);
    }
  return g_steal_pointer (&m);
}
