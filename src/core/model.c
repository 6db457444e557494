/* The four model kinds as short sequences of operations (dense, conv, ReLU,
 * pools) over per-image shapes (C,H,W). Parameters live in one flat block;
 * weight-tied layers keep their free parameters there and expand them into
 * effective weights before each forward pass (tied-mlp: W = V·P, applied as
 * orbit means of V times orbit sums of the pixels; gcnn: group-convolution
 * filters). A pass over B rows is split into shards of rows, one per thread,
 * each running every op on its rows with single-threaded BLAS; the split
 * depends only on B and the thread count, so results are reproducible for a
 * given thread count. Not a general graph engine. */
#include "model.h"
#include "blas.h"
#include "layers.h"
#include "rng.h"
#include "safetensors.h"
#include "json.h"
#include "util.h"
#include <math.h>
#include <pthread.h>
#include <string.h>

G_DEFINE_QUARK (inv-model-error-quark, inv_model_error)

typedef enum { OP_DENSE, OP_CONV, OP_RELU, OP_MAXPOOL, OP_GROUPPOOL, OP_MEANPOOL } OpKind;
typedef enum { EXPAND_NONE, EXPAND_TIED, EXPAND_LIFT, EXPAND_GROUP } Expand;

#define NO_PARAM ((size_t) -1)
/* Threads a pass may use, and the fewest rows worth a shard of their own
 * (below that, handing rows to another thread costs more than it saves). */
#define MAX_SHARDS 16
#define MIN_SHARD_ROWS 8

typedef struct {
  OpKind kind;
  Expand expand;
  gboolean relu;               /* conv: the ReLU after it is fused into it */
  gboolean pool;               /* conv: so is the max pool after that ReLU */
  gboolean fused;              /* ReLU, max pool: done by the conv before it */
  size_t in_c, in_h, in_w;     /* per-image input shape */
  size_t out_c, out_h, out_w;  /* per-image output shape */
  size_t w_param, b_param;     /* indices into views, or NO_PARAM */
  size_t psi_c, psi_o;         /* gconv: free channels (C, O) before expansion */
  gboolean circular;
  size_t G;                    /* group pool: group order */
  /* expanded weights (EXPAND_*): conv (out_c, in_c, 3, 3); tied dense
   * (out_c, n_orb) orbit means of V; bias (out_c) */
  float *wexp, *bexp;
  float *dwexp[MAX_SHARDS], *dbexp[MAX_SHARDS]; /* their gradients, per shard */
  size_t wexp_n;               /* floats of wexp */
  float *out;                  /* (B, out_c*out_h*out_w); ReLU: same as its input;
                                * conv with pool: none (it writes the pool's out) */
  uint8_t *route;              /* conv with pool: (B, out_c, out_h/2, out_w/2) where
                                * each window's gradient goes */
  float *aux;                  /* group pool: mean map (B, out_c, HW);
                                * tied dense: orbit sums of its input (B, n_orb) */
} Op;

struct InvModelWork {
  Op ops[4 * INV_MODEL_MAX_LAYERS + 4];
  size_t n_ops;
  size_t cap;                  /* batch capacity of the buffers below */
  size_t biggest;              /* largest per-image activation (floats) */
  size_t scratch_n;            /* floats of each shard's scratch */
  size_t cap_shards;           /* shards whose buffers exist */
  float *x0;                   /* (B, n) standardized input */
  float *ga, *gb;              /* (B, biggest) ping-pong gradients */
  float *scratch[MAX_SHARDS];  /* per shard: conv im2col scratch */
  float *sgrads[MAX_SHARDS];   /* per shard ≥ 1: (n_params) its parameter gradients */
  /* tied-mlp: the orbits of the pixel group, W·x = Σ_orbits mean(V)·Σ x */
  size_t n_orb;
  uint32_t *orb_of;            /* (n) orbit of each pixel */
  uint32_t *orb_members;       /* (n) pixels grouped by orbit */
  uint32_t *orb_start;         /* (n_orb + 1) */
  float *orb_scale;            /* (n_orb) 1 / orbit size */
  float *pix_scale;            /* (n) 1 / size of the pixel's orbit */
  GPtrArray *owned;            /* every float buffer above, freed with inv_free */
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

/* ---- threads ----
 * A small pool of worker threads that never exit; one pass at a time uses
 * it, a concurrent pass (another model in another thread) runs its shards
 * in its own thread instead. Plain pthreads so ThreadSanitizer sees them. */

typedef void (*TaskFunc) (gpointer data, size_t task);

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  size_t n_workers;
  gboolean busy;
  TaskFunc fn;
  gpointer data;
  size_t n_tasks, next, unfinished;
  /* BLAS runs single-threaded inside shards: the caller's count is kept here */
  int blas_saved;
  size_t blas_forced;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
            .done = PTHREAD_COND_INITIALIZER };

static void *
pool_worker (void *arg)
{
  pthread_mutex_lock (&pool.lock);
  for (;;)
    {
      while (pool.next >= pool.n_tasks)
        pthread_cond_wait (&pool.wake, &pool.lock);
      size_t task = pool.next++;
      TaskFunc fn = pool.fn;
      gpointer data = pool.data;
      pthread_mutex_unlock (&pool.lock);
      fn (data, task);
      pthread_mutex_lock (&pool.lock);
      if (--pool.unfinished == 0)
        pthread_cond_signal (&pool.done);
    }
  return NULL;
}

/* Runs fn (data, t) for t < n, in parallel when the pool is free. */
static void
parallel_run (size_t n, TaskFunc fn, gpointer data)
{
  if (n <= 1)
    {
      if (n == 1)
        fn (data, 0);
      return;
    }
  pthread_mutex_lock (&pool.lock);
  if (pool.busy)
    {
      pthread_mutex_unlock (&pool.lock);
      for (size_t t = 0; t < n; t++)
        fn (data, t);
      return;
    }
  pool.busy = TRUE;
  while (pool.n_workers < n - 1)
    {
      pthread_t thread;
      pthread_attr_t attr;
      pthread_attr_init (&attr);
      pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
      int rc = pthread_create (&thread, &attr, pool_worker, NULL);
      pthread_attr_destroy (&attr);
      if (rc != 0)
        break; /* the caller does the rest */
      pool.n_workers++;
    }
  pool.fn = fn;
  pool.data = data;
  pool.n_tasks = n;
  pool.next = 0;
  pool.unfinished = n;
  pthread_cond_broadcast (&pool.wake);
  while (pool.next < pool.n_tasks)
    {
      size_t task = pool.next++;
      pthread_mutex_unlock (&pool.lock);
      fn (data, task);
      pthread_mutex_lock (&pool.lock);
      pool.unfinished--;
    }
  while (pool.unfinished > 0)
    pthread_cond_wait (&pool.done, &pool.lock);
  pool.n_tasks = pool.next = 0;
  pool.busy = FALSE;
  pthread_mutex_unlock (&pool.lock);
}

int
inv_model_threads (void)
{
  pthread_mutex_lock (&pool.lock);
  int t = pool.blas_forced ? pool.blas_saved : inv_blas_get_threads ();
  pthread_mutex_unlock (&pool.lock);
  return MAX (t, 1);
}

/* OpenBLAS would serialize concurrent multi-threaded calls: shards call it
 * single-threaded, and the caller's setting comes back after the pass. */
static void
blas_force_single (void)
{
  pthread_mutex_lock (&pool.lock);
  if (pool.blas_forced++ == 0)
    {
      pool.blas_saved = inv_blas_get_threads ();
      if (pool.blas_saved > 1)
        inv_blas_set_threads (1);
    }
  pthread_mutex_unlock (&pool.lock);
}

static void
blas_restore (void)
{
  pthread_mutex_lock (&pool.lock);
  /* unless someone chose another count meanwhile (another thread calling
   * inv_blas_set_threads during the pass) */
  if (--pool.blas_forced == 0 && pool.blas_saved > 1 && inv_blas_get_threads () == 1)
    inv_blas_set_threads (pool.blas_saved);
  pthread_mutex_unlock (&pool.lock);
}

typedef struct {
  size_t n, parts;
  InvRangeFunc fn;
  gpointer data;
} RangeJob;

static void
range_task (gpointer data, size_t part)
{
  const RangeJob *j = data;
  size_t begin = j->n * part / j->parts, end = j->n * (part + 1) / j->parts;
  if (end > begin)
    j->fn (j->data, begin, end);
}

void
inv_model_parallel_for (size_t n, size_t min_chunk, InvRangeFunc fn, gpointer data)
{
  size_t parts = MIN ((size_t) inv_model_threads (), (size_t) MAX_SHARDS);
  parts = MIN (parts, n / MAX (min_chunk, (size_t) 1));
  if (parts <= 1)
    {
      if (n > 0)
        fn (data, 0, n);
      return;
    }
  RangeJob j = { n, parts, fn, data };
  blas_force_single ();
  parallel_run (parts, range_task, &j);
  blas_restore ();
}

/* Shards of a pass over B rows: a function of B and the thread count only. */
static size_t
shard_count (size_t B)
{
  size_t t = (size_t) inv_model_threads ();
  t = MIN (t, (size_t) MAX_SHARDS);
  t = MIN (t, B / MIN_SHARD_ROWS);
  return MAX (t, (size_t) 1);
}

static void
shard_rows (size_t B, size_t nsh, size_t s, size_t *r0, size_t *r1)
{
  *r0 = B * s / nsh;
  *r1 = B * (s + 1) / nsh;
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
  /* A ReLU right after a convolution runs inside it (bias + ReLU in the
   * pass that lays out the sgemm result, its mask in the backward one). */
  InvModelWork *w = m->work;
  for (size_t i = 1; i < w->n_ops; i++)
    if (w->ops[i].kind == OP_RELU && w->ops[i - 1].kind == OP_CONV)
      {
        w->ops[i - 1].relu = TRUE;
        w->ops[i].fused = TRUE;
        /* and a max pool after it: the conv's output is then never
         * stored, only the pool's and each window's routing */
        if (i + 1 < w->n_ops && w->ops[i + 1].kind == OP_MAXPOOL)
          {
            w->ops[i - 1].pool = TRUE;
            w->ops[i + 1].fused = TRUE;
          }
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

static void
work_release (InvModelWork *w, float **p)
{
  if (*p)
    g_ptr_array_remove_fast (w->owned, *p); /* frees it */
  *p = NULL;
}

/* The orbits of the pixel group, in order of their first pixel. */
static void
build_orbits (InvModel *m)
{
  InvModelWork *w = m->work;
  const size_t n = m->h * m->w, G = m->group->order;
  const uint32_t *perm = m->group->perm;
  w->orb_of = g_new (uint32_t, n);
  w->orb_members = g_new (uint32_t, n);
  w->orb_start = g_new (uint32_t, n + 1);
  for (size_t p = 0; p < n; p++)
    w->orb_of[p] = UINT32_MAX;
  size_t k = 0, filled = 0;
  for (size_t p = 0; p < n; p++)
    {
      if (w->orb_of[p] != UINT32_MAX)
        continue;
      w->orb_start[k] = (uint32_t) filled;
      for (size_t g = 0; g < G; g++)
        {
          uint32_t q = perm[g * n + p];
          if (w->orb_of[q] == UINT32_MAX)
            {
              w->orb_of[q] = (uint32_t) k;
              w->orb_members[filled++] = q;
            }
        }
      k++;
    }
  w->orb_start[k] = (uint32_t) filled;
  w->n_orb = k;
  w->orb_scale = g_new (float, k);
  for (size_t j = 0; j < k; j++)
    w->orb_scale[j] = 1.0f / (float) (w->orb_start[j + 1] - w->orb_start[j]);
  w->pix_scale = g_new (float, n);
  for (size_t p = 0; p < n; p++)
    w->pix_scale[p] = w->orb_scale[w->orb_of[p]];
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
      op->wexp_n = op->expand == EXPAND_TIED ? op->out_c * w->n_orb : op->out_c * op->in_c * 9;
      if (!(op->wexp = work_alloc (w, op->wexp_n, error))
          || !(op->bexp = work_alloc (w, op->out_c, error)))
        return FALSE;
    }
  return TRUE;
}

/* Per-shard buffers for nsh shards: scratch, parameter gradients, gradients
 * of expanded weights. */
static gboolean
ensure_shards (InvModel *m, size_t nsh, GError **error)
{
  InvModelWork *w = m->work;
  for (size_t s = w->cap_shards; s < nsh; s++)
    {
      if (w->scratch_n && !(w->scratch[s] = work_alloc (w, w->scratch_n, error)))
        return FALSE;
      if (s > 0 && !(w->sgrads[s] = work_alloc (w, m->n_params, error)))
        return FALSE;
      for (size_t i = 0; i < w->n_ops; i++)
        {
          Op *op = &w->ops[i];
          if (op->expand != EXPAND_NONE
              && (!(op->dwexp[s] = work_alloc (w, op->wexp_n, error))
                  || !(op->dbexp[s] = work_alloc (w, op->out_c, error))))
            return FALSE;
        }
      w->cap_shards = s + 1;
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
  /* Free the batch-sized buffers, keep the expanded weights and the
   * per-shard ones (their sizes do not depend on the batch). */
  for (size_t i = 0; i < w->n_ops; i++)
    {
      Op *op = &w->ops[i];
      if (op->kind != OP_RELU)
        work_release (w, &op->out);
      work_release (w, &op->aux);
      float *route = (float *) op->route;
      work_release (w, &route);
      op->out = NULL;
      op->route = NULL;
    }
  work_release (w, &w->x0);
  work_release (w, &w->ga);
  work_release (w, &w->gb);
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
      /* the gradient buffers hold what flows into and out of unfused ops
       * (a conv with its pool: the pool's output) */
      if (!op->fused)
        biggest = MAX (biggest, MAX (op_in_size (op),
                                     op->pool ? op_out_size (&w->ops[i + 2]) : sz));
      if (!inv_size_mul (B, sz, &total))
        goto overflow;
      if (op->kind == OP_RELU)
        op->out = (float *) prev;
      else if (op->pool)
        {
          /* bytes, one per pooling window */
          size_t windows;
          if (!inv_size_mul (B, op->out_c * (op->out_h / 2) * (op->out_w / 2), &windows))
            goto overflow;
          float *route = work_alloc (w, windows / sizeof (float) + 1, error);
          if (!route)
            return FALSE;
          op->route = (uint8_t *) route;
        }
      else if (!(op->out = work_alloc (w, total, error)))
        return FALSE;
      if (op->kind == OP_GROUPPOOL || op->expand == EXPAND_TIED)
        {
          size_t per = op->kind == OP_GROUPPOOL ? op->out_c * op->in_h * op->in_w : w->n_orb, mm;
          if (!inv_size_mul (B, per, &mm) || !(op->aux = work_alloc (w, mm, error)))
            return FALSE;
        }
      if (op->kind == OP_CONV)
        {
          /* The scratch of a conv is bounded by its chunk, not by B. */
          InvConvShape s = { B, op->in_c, op->out_c, op->in_h, op->in_w, 3, op->circular };
          scratch = MAX (scratch, inv_conv2d_scratch_size (&s));
        }
      prev = op->out;
    }
  size_t gsz;
  if (!inv_size_mul (B, biggest, &gsz))
    goto overflow;
  if (!(w->ga = work_alloc (w, gsz, error)) || !(w->gb = work_alloc (w, gsz, error)))
    return FALSE;
  if (scratch > w->scratch_n)
    {
      for (size_t s = 0; s < w->cap_shards; s++)
        {
          work_release (w, &w->scratch[s]);
          if (!(w->scratch[s] = work_alloc (w, scratch, error)))
            {
              w->cap_shards = s; /* ensure_shards redoes the rest */
              return FALSE;
            }
        }
      w->scratch_n = scratch;
    }
  w->biggest = biggest;
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

/* The model's structure (ops, parameter views), nothing sized by the
 * parameters yet: a checkpoint's tensors are checked against it first. */
static InvModel *
model_describe (InvModelKind kind, const char *group, size_t h, size_t w, size_t K,
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
  if (kind == INV_MODEL_TIED_MLP)
    build_orbits (m);
  return m;
}

/* Parameters, gradients and expanded weights of a described model; frees
 * it on failure. */
static InvModel *
model_allocate (InvModel *m, GError **error)
{
  if (!(m->params = inv_floats_new (m->n_params, error))
      || !(m->grads = inv_floats_new (m->n_params, error))
      || !alloc_expanded (m, error))
    {
      inv_model_free (m);
      return NULL;
    }
  return m;
}

static InvModel *
model_alloc (InvModelKind kind, const char *group, size_t h, size_t w, size_t K,
             const InvModelArch *arch, GError **error)
{
  InvModel *m = model_describe (kind, group, h, w, K, arch, error);
  return m ? model_allocate (m, error) : NULL;
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
      g_free (m->work->orb_of);
      g_free (m->work->orb_members);
      g_free (m->work->orb_start);
      g_free (m->work->orb_scale);
      g_free (m->work->pix_scale);
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

/* tied-mlp: W = V·P, i.e. W[o,p] = mean of V[o,·] over the orbit of p.
 * vbar (O, n_orb) = those orbit means of v (O, n). */
INV_HOT static void
tie_orbit_means (const InvModelWork *w, float *vbar, const float *v, size_t O, size_t n)
{
  const size_t nob = w->n_orb;
  for (size_t o = 0; o < O; o++)
    {
      const float *vo = v + o * n;
      float *dst = vbar + o * nob;
      for (size_t k = 0; k < nob; k++)
        dst[k] = 0.0f;
      for (size_t p = 0; p < n; p++)
        dst[w->orb_of[p]] += vo[p];
      for (size_t k = 0; k < nob; k++)
        dst[k] *= w->orb_scale[k];
    }
}

/* dv (O, n) += dvbar[o, orbit of p] / orbit size: the adjoint of
 * tie_orbit_means. */
INV_HOT static void
tie_fold (const InvModelWork *w, float *dv, const float *dvbar, size_t O, size_t n)
{
  const size_t nob = w->n_orb;
  for (size_t o = 0; o < O; o++)
    {
      const float *src = dvbar + o * nob;
      float *d = dv + o * n;
      for (size_t p = 0; p < n; p++)
        d[p] += src[w->orb_of[p]] * w->pix_scale[p];
    }
}

/* xs (R, n_orb) = orbit sums of x (R, n), in double then rounded once: the
 * same bits for x and any g·x, which makes tied-mlp exactly invariant. */
static void
orbit_sums (const InvModelWork *w, float *xs, const float *x, size_t R, size_t n)
{
  for (size_t r = 0; r < R; r++)
    {
      const float *xr = x + r * n;
      float *dst = xs + r * w->n_orb;
      for (size_t k = 0; k < w->n_orb; k++)
        {
          double acc = 0;
          for (uint32_t j = w->orb_start[k]; j < w->orb_start[k + 1]; j++)
            acc += xr[w->orb_members[j]];
          dst[k] = (float) acc;
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
          tie_orbit_means (w, op->wexp, psi, op->out_c, op_in_size (op));
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

typedef struct {
  InvModel *m;
  size_t B, nsh;
  const float *x;          /* forward: (B, n) pixels */
  float *logits;           /* forward: (B, K) */
  float *dx;               /* backward: (B, n) or NULL */
  const float *dlogits;    /* backward: (B, K) */
  gboolean param_grads;
} Pass;

static InvConvShape
conv_shape (const Op *op, size_t R)
{
  InvConvShape s = { R, op->in_c, op->out_c, op->in_h, op->in_w, 3, op->circular };
  return s;
}

/* Forward of shard s: every op on rows r0..r1. */
static void
forward_shard (gpointer data, size_t s)
{
  const Pass *ps = data;
  InvModel *m = ps->m;
  InvModelWork *w = m->work;
  size_t r0, r1;
  shard_rows (ps->B, ps->nsh, s, &r0, &r1);
  const size_t R = r1 - r0, n = m->h * m->w;
  const float mean = m->mean, inv_std = 1.0f / m->std;
  const float *x = ps->x + r0 * n;
  float *x0 = w->x0 + r0 * n;
  for (size_t i = 0; i < R * n; i++)
    x0[i] = (x[i] - mean) * inv_std;

  for (size_t i = 0; i < w->n_ops; i++)
    {
      Op *op = &w->ops[i];
      if (op->fused)
        continue; /* done by the conv before it */
      const float *in = (i == 0 ? w->x0 : w->ops[i - 1].out) + r0 * op_in_size (op);
      float *out = op->pool ? NULL : (i == w->n_ops - 1 ? ps->logits : op->out) + r0 * op_out_size (op);
      const float *wt = NULL, *b = NULL;
      if (op->w_param != NO_PARAM)
        {
          wt = op->expand ? op->wexp : m->params + m->views[op->w_param].offset;
          b = op->expand ? op->bexp : m->params + m->views[op->b_param].offset;
        }
      switch (op->kind)
        {
        case OP_DENSE:
          if (op->expand == EXPAND_TIED)
            {
              /* out (R, O) = orbit sums (R, n_orb) · orbit means of V (O, n_orb)ᵀ + b */
              float *xs = op->aux + r0 * w->n_orb;
              orbit_sums (w, xs, in, R, op_in_size (op));
              inv_dense_forward (out, xs, wt, b, R, w->n_orb, op->out_c);
            }
          else
            inv_dense_forward (out, in, wt, b, R, op_in_size (op), op->out_c);
          break;
        case OP_CONV:
          {
            InvConvShape cs = conv_shape (op, R);
            if (op->pool)
              {
                const Op *mp = &w->ops[i + 2];
                inv_conv2d_relu_pool_forward (mp->out + r0 * op_out_size (mp),
                                              op->route + r0 * op_out_size (mp), in, wt, b,
                                              &cs, w->scratch[s]);
              }
            else if (op->relu)
              inv_conv2d_relu_forward (out, in, wt, b, &cs, w->scratch[s]);
            else
              inv_conv2d_forward (out, in, wt, b, &cs, w->scratch[s]);
            break;
          }
        case OP_RELU:
          inv_relu_forward (out, out, R * op_out_size (op));
          break;
        case OP_MAXPOOL:
          inv_maxpool2_forward (out, in, R * op->in_c, op->in_h, op->in_w);
          break;
        case OP_GROUPPOOL:
          inv_group_pool_forward (out, op->aux + r0 * op->out_c * op->in_h * op->in_w, in, R,
                                  op->out_c, op->G, op->in_h * op->in_w);
          break;
        case OP_MEANPOOL:
          inv_mean_pool_forward (out, in, R, op->in_c, op->in_h * op->in_w);
          break;
        }
    }
}

/* Runs shard passes over B rows, in parallel when there is more than one. */
static void
run_shards (Pass *ps, TaskFunc fn)
{
  if (ps->nsh == 1)
    {
      fn (ps, 0);
      return;
    }
  blas_force_single ();
  parallel_run (ps->nsh, fn, ps);
  blas_restore ();
}

gboolean
inv_model_forward (InvModel *m, float *logits, const float *x, size_t B, GError **error)
{
  Pass ps = { m, B, shard_count (B), x, logits, NULL, NULL, FALSE };
  if (!ensure_capacity (m, B, error) || !ensure_shards (m, ps.nsh, error))
    return FALSE;
  if (B == 0)
    return TRUE;
  expand_weights (m);
  run_shards (&ps, forward_shard);
  return TRUE;
}

/* Backward of shard s; parameter gradients go to m->grads (shard 0) or the
 * shard's own buffer, which the caller adds in shard order. */
static void
backward_shard (gpointer data, size_t s)
{
  const Pass *ps = data;
  InvModel *m = ps->m;
  InvModelWork *w = m->work;
  size_t r0, r1;
  shard_rows (ps->B, ps->nsh, s, &r0, &r1);
  const size_t R = r1 - r0, n = m->h * m->w;
  float *grads = s == 0 ? m->grads : w->sgrads[s];
  if (s > 0 && ps->param_grads)
    memset (grads, 0, m->n_params * sizeof (float));
  const float *dout = ps->dlogits + r0 * m->n_classes;
  /* The shard's own part of the ping-pong buffers: shards may be at
   * different layers at the same time. */
  float *bufs[2] = { w->ga + r0 * w->biggest, w->gb + r0 * w->biggest };
  int which = 0;

  for (size_t i = w->n_ops; i-- > 0;)
    {
      Op *op = &w->ops[i];
      if (op->fused)
        continue; /* the conv before it does this backward */
      const float *in = (i == 0 ? w->x0 : w->ops[i - 1].out) + r0 * op_in_size (op);
      gboolean need_din = i > 0 || ps->dx != NULL;
      float *din = need_din ? bufs[which] : NULL;
      switch (op->kind)
        {
        case OP_DENSE:
        case OP_CONV:
          {
            gboolean exp = op->expand != EXPAND_NONE;
            const float *wt = exp ? op->wexp : m->params + m->views[op->w_param].offset;
            float *dw = NULL, *db = NULL;
            if (ps->param_grads)
              {
                if (exp)
                  {
                    memset (op->dwexp[s], 0, op->wexp_n * sizeof (float));
                    memset (op->dbexp[s], 0, op->out_c * sizeof (float));
                    dw = op->dwexp[s];
                    db = op->dbexp[s];
                  }
                else
                  {
                    dw = grads + m->views[op->w_param].offset;
                    db = grads + m->views[op->b_param].offset;
                  }
              }
            if (op->kind == OP_DENSE && op->expand == EXPAND_TIED)
              {
                /* On orbit sums xs: dw (O, n_orb) = doutᵀ·xs; the input
                 * gradient of pixel p is that of its orbit's sum. */
                const size_t nob = w->n_orb, In = op_in_size (op);
                float *xs = op->aux + r0 * nob;
                inv_dense_backward (NULL, dw, db, dout, xs, wt, R, nob, op->out_c);
                if (din)
                  {
                    inv_dense_backward (xs, NULL, NULL, dout, xs, wt, R, nob, op->out_c);
                    for (size_t r = 0; r < R; r++)
                      for (size_t p = 0; p < In; p++)
                        din[r * In + p] = xs[r * nob + w->orb_of[p]];
                  }
              }
            else if (op->kind == OP_DENSE)
              inv_dense_backward (din, dw, db, dout, in, wt, R, op_in_size (op), op->out_c);
            else
              {
                InvConvShape cs = conv_shape (op, R);
                if (op->pool)
                  inv_conv2d_relu_pool_backward (din, dw, db, dout,
                                                 op->route + r0 * op_out_size (&w->ops[i + 2]),
                                                 in, wt, &cs, w->scratch[s]);
                else if (op->relu)
                  inv_conv2d_relu_backward (din, dw, db, dout, op->out + r0 * op_out_size (op),
                                            in, wt, &cs, w->scratch[s]);
                else
                  inv_conv2d_backward (din, dw, db, dout, in, wt, &cs, w->scratch[s]);
              }
            if (ps->param_grads && exp)
              {
                float *gw = grads + m->views[op->w_param].offset;
                float *gb = grads + m->views[op->b_param].offset;
                switch (op->expand)
                  {
                  case EXPAND_TIED:
                    {
                      tie_fold (w, gw, op->dwexp[s], op->out_c, op_in_size (op));
                      for (size_t o = 0; o < op->out_c; o++)
                        gb[o] += op->dbexp[s][o];
                      break;
                    }
                  case EXPAND_LIFT:
                    inv_gconv_lift_fold (gw, op->dwexp[s], m->fgroup, op->psi_o, op->psi_c);
                    inv_gconv_bias_fold (gb, op->dbexp[s], op->psi_o, m->group->order);
                    break;
                  case EXPAND_GROUP:
                    inv_gconv_fold (gw, op->dwexp[s], m->fgroup, op->psi_o, op->psi_c);
                    inv_gconv_bias_fold (gb, op->dbexp[s], op->psi_o, m->group->order);
                    break;
                  default:
                    break;
                  }
              }
            break;
          }
        case OP_RELU:
          inv_relu_backward (din, dout, op->out + r0 * op_out_size (op), R * op_out_size (op));
          break;
        case OP_MAXPOOL:
          if (din)
            inv_maxpool2_backward (din, dout, in, op->out + r0 * op_out_size (op),
                                   R * op->in_c, op->in_h, op->in_w);
          break;
        case OP_GROUPPOOL:
          if (din)
            inv_group_pool_backward (din, dout, op->aux + r0 * op->out_c * op->in_h * op->in_w,
                                     op->out + r0 * op_out_size (op), R, op->out_c, op->G,
                                     op->in_h * op->in_w);
          break;
        case OP_MEANPOOL:
          if (din)
            inv_mean_pool_backward (din, dout, R, op->in_c, op->in_h * op->in_w);
          break;
        }
      if (!din)
        return;
      dout = din;
      which ^= 1;
    }
  /* dout is ∂/∂x0; pixels were standardized as (x − mean)/std. */
  const float inv_std = 1.0f / m->std;
  float *dx = ps->dx + r0 * n;
  for (size_t i = 0; i < R * n; i++)
    dx[i] = dout[i] * inv_std;
}

typedef struct {
  InvModel *m;
  size_t nsh;
} GradSum;

/* m->grads += the other shards' gradients, in shard order, on [begin, end). */
INV_HOT static void
grad_sum_range (gpointer data, size_t begin, size_t end)
{
  const GradSum *gs = data;
  float *dst = gs->m->grads;
  for (size_t s = 1; s < gs->nsh; s++)
    {
      const float *g = gs->m->work->sgrads[s];
      for (size_t i = begin; i < end; i++)
        dst[i] += g[i];
    }
}

void
inv_model_backward (InvModel *m, float *dx, const float *dlogits, size_t B, gboolean param_grads)
{
  InvModelWork *w = m->work;
  g_return_if_fail (B <= w->cap);
  if (B == 0)
    return;
  /* Any split is right (activations are stored per row); a thread count
   * changed since the forward only needs the shard buffers. */
  Pass ps = { m, B, shard_count (B), NULL, NULL, dx, dlogits, param_grads };
  if (ps.nsh > w->cap_shards && !ensure_shards (m, ps.nsh, NULL))
    ps.nsh = MAX (w->cap_shards, (size_t) 1);
  run_shards (&ps, backward_shard);
  if (param_grads && ps.nsh > 1)
    {
      GradSum gs = { m, ps.nsh };
      inv_model_parallel_for (m->n_params, 4096, grad_sum_range, &gs);
    }
}

void
inv_model_zero_grad (InvModel *m)
{
  memset (m->grads, 0, m->n_params * sizeof (float));
}

float *
inv_model_first_layer (const InvModel *m, size_t *rows, size_t *cols)
{
  const InvModelWork *w = m->work;
  const Op *op = &w->ops[0];
  const InvParam *p = &m->views[op->w_param];
  *rows = p->shape[0];
  *cols = p->numel / p->shape[0];
  float *out = g_new (float, p->numel);
  const float *v = m->params + p->offset;
  if (op->expand == EXPAND_TIED)
    {
      /* W[o,p] = the orbit mean of V: the same bits across each orbit. In
       * double, so that tying a tied V gives V back bit for bit (a sum of
       * k equal floats is exact in double, and so is its quotient by k):
       * a saved model loads and saves again unchanged. */
      double *vbar = g_new (double, w->n_orb);
      for (size_t o = 0; o < *rows; o++)
        {
          const float *vo = v + o * *cols;
          for (size_t k = 0; k < w->n_orb; k++)
            vbar[k] = 0.0;
          for (size_t q = 0; q < *cols; q++)
            vbar[w->orb_of[q]] += vo[q];
          for (size_t k = 0; k < w->n_orb; k++)
            vbar[k] /= (double) (w->orb_start[k + 1] - w->orb_start[k]);
          for (size_t q = 0; q < *cols; q++)
            out[o * *cols + q] = (float) vbar[w->orb_of[q]];
        }
      g_free (vbar);
    }
  else
    memcpy (out, v, p->numel * sizeof (float));
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
  g_autoptr (InvModel) m = model_describe (kind, group, h, w, K, &arch, &arch_error);
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
  /* Every tensor is checked before the parameters are allocated: a small
   * file with large metadata must not cost memory. */
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
    }
  if (!(m = model_allocate (g_steal_pointer (&m), &arch_error)))
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_NOMEM, "%s: %s", path, arch_error->message);
      return NULL;
    }
  for (size_t i = 0; i < m->n_views; i++)
    {
      const InvParam *p = &m->views[i];
      memcpy (m->params + p->offset, inv_st_find (f, p->name)->data, p->numel * sizeof (float));
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
      /* V = the tied W exactly, so that saving writes the same bits */
      memcpy (m->params + m->views[0].offset, tied, r * c * sizeof (float));
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
