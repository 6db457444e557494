/* Saliency maps by backward passes through the model: every method is a
 * weighted sum over S input rows per image (S = 1 for the gradient) of
 * ∂z_c/∂x, computed in chunks of rows with one forward and one backward each.
 * Not the SIS metric. Size letters: B images, S rows per image, n pixels, K
 * classes, G group order. */
#include "saliency.h"
#include "metrics.h"
#include "rng.h"
#include "util.h"
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (inv-saliency-error-quark, inv_saliency_error)

static const struct {
  const char *name;
  const char *alias;
} method_names[INV_SALIENCY_N_METHODS] = {
  [INV_SALIENCY_GRADIENT] = { "gradient", "grad" },
  [INV_SALIENCY_GRADIENT_INPUT] = { "gradient-input", "gradxinput" },
  [INV_SALIENCY_SMOOTHGRAD] = { "smoothgrad", "smoothgrad" },
  [INV_SALIENCY_INTEGRATED] = { "integrated-gradients", "ig" },
};

void
inv_saliency_options_init (InvSaliencyOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->method = INV_SALIENCY_GRADIENT;
  opt->samples = 25;
  opt->sigma = 0.15;
  opt->seed = 0;
  opt->steps = 64;
  opt->rule = INV_IG_MIDPOINT;
}

const char *
inv_saliency_method_name (InvSaliencyMethod method)
{
  if ((unsigned) method >= INV_SALIENCY_N_METHODS)
    return "unknown";
  return method_names[method].name;
}

gboolean
inv_saliency_method_from_name (const char *name, InvSaliencyMethod *method)
{
  if (name == NULL)
    return FALSE;
  for (unsigned i = 0; i < INV_SALIENCY_N_METHODS; i++)
    if (g_ascii_strcasecmp (name, method_names[i].name) == 0
        || g_ascii_strcasecmp (name, method_names[i].alias) == 0)
      {
        *method = (InvSaliencyMethod) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
inv_saliency_backward_onehot (InvModel *m, float *maps, const size_t *classes,
                              size_t B, GError **error)
{
  /* maps (B, n) written; classes (B); dlogits (B, K) one-hot. */
  const size_t K = m->n_classes;
  size_t nk;
  if (!inv_size_mul (B, K, &nk))
    {
      g_set_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS,
                   "batch of %zu rows is too large", B);
      return FALSE;
    }
  for (size_t b = 0; b < B; b++)
    if (classes[b] >= K)
      {
        g_set_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS,
                     "class %zu is out of range (the model has %zu classes)",
                     classes[b], K);
        return FALSE;
      }
  float *d = inv_floats_new (nk, error);
  if (d == NULL)
    return FALSE;
  for (size_t b = 0; b < B; b++)
    d[b * K + classes[b]] = 1.0f;
  inv_model_backward (m, maps, d, B, FALSE);
  inv_free (d);
  return TRUE;
}

/* The S input rows of image b and their weights. */
typedef struct {
  InvSaliencyMethod method;
  size_t S;
  size_t n;
  double sigma;     /* SmoothGrad */
  uint64_t seed;    /* SmoothGrad */
  InvIgRule rule;   /* Integrated Gradients */
  size_t steps;     /* Integrated Gradients */
} RowPlan;

static size_t
plan_rows (const InvSaliencyOptions *opt)
{
  switch (opt->method)
    {
    case INV_SALIENCY_SMOOTHGRAD:
      return opt->samples;
    case INV_SALIENCY_INTEGRATED:
      return opt->rule == INV_IG_TRAPEZOID ? opt->steps + 1 : opt->steps;
    case INV_SALIENCY_GRADIENT:
    case INV_SALIENCY_GRADIENT_INPUT:
    default:
      return 1;
    }
}

/* row (n) = input s of image x (n); returns its weight. */
static double
build_row (const RowPlan *p, float *row, const float *x, size_t s)
{
  const size_t n = p->n;
  switch (p->method)
    {
    case INV_SALIENCY_SMOOTHGRAD:
      {
        InvRng r;
        inv_rng_init_stream (&r, p->seed, INV_SALIENCY_STREAM, s);
        for (size_t j = 0; j < n; j++)
          row[j] = x[j] + (float) (p->sigma * inv_rng_normal (&r));
        return 1.0 / (double) p->S;
      }
    case INV_SALIENCY_INTEGRATED:
      {
        double alpha, w = 1.0 / (double) p->steps;
        if (p->rule == INV_IG_TRAPEZOID)
          {
            alpha = (double) s / (double) p->steps;
            if (s == 0 || s == p->steps)
              w *= 0.5;
          }
        else
          alpha = ((double) s + 0.5) / (double) p->steps;
        for (size_t j = 0; j < n; j++)
          row[j] = (float) (alpha * x[j]);
        return w;
      }
    case INV_SALIENCY_GRADIENT:
    case INV_SALIENCY_GRADIENT_INPUT:
    default:
      memcpy (row, x, n * sizeof *row);
      return 1.0;
    }
}

static gboolean
check_options (const InvSaliencyOptions *opt, GError **error)
{
  if ((unsigned) opt->method >= INV_SALIENCY_N_METHODS)
    {
      g_set_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS,
                   "unknown saliency method %d", (int) opt->method);
      return FALSE;
    }
  if (opt->method == INV_SALIENCY_SMOOTHGRAD
      && (opt->samples == 0 || opt->samples > 100000 || !(opt->sigma >= 0) || !isfinite (opt->sigma)))
    {
      g_set_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS,
                   "SmoothGrad needs 1 to 100000 samples and a finite noise level ≥ 0");
      return FALSE;
    }
  if (opt->method == INV_SALIENCY_INTEGRATED
      && (opt->steps == 0 || opt->steps > 100000
          || (opt->rule != INV_IG_MIDPOINT && opt->rule != INV_IG_TRAPEZOID)))
    {
      g_set_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS,
                   "Integrated Gradients needs 1 to 100000 steps and a known rule");
      return FALSE;
    }
  return TRUE;
}

/* cls (B) = classes, with INV_SALIENCY_PREDICTED replaced by the argmax at x. */
static gboolean
resolve_classes (InvModel *m, size_t *cls, const float *x, const size_t *classes,
                 size_t B, GError **error)
{
  const size_t n = m->h * m->w, K = m->n_classes;
  gboolean need = FALSE;
  for (size_t b = 0; b < B; b++)
    {
      cls[b] = classes[b];
      if (classes[b] == INV_SALIENCY_PREDICTED)
        need = TRUE;
      else if (classes[b] >= K)
        {
          g_set_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS,
                       "class %zu is out of range (the model has %zu classes)",
                       classes[b], K);
          return FALSE;
        }
    }
  if (!need)
    return TRUE;
  const size_t chunk = MIN (B, (size_t) INV_SALIENCY_CHUNK);
  float *logits = inv_floats_new (chunk * K, error);
  if (logits == NULL)
    return FALSE;
  for (size_t b0 = 0; b0 < B; b0 += chunk)
    {
      size_t nb = MIN (chunk, B - b0);
      if (!inv_model_forward (m, logits, x + b0 * n, nb, error))
        {
          inv_free (logits);
          return FALSE;
        }
      for (size_t b = 0; b < nb; b++)
        if (cls[b0 + b] == INV_SALIENCY_PREDICTED)
          cls[b0 + b] = inv_argmax (logits + b * K, K);
    }
  inv_free (logits);
  return TRUE;
}

gboolean
inv_saliency_compute (InvModel *m, const InvSaliencyOptions *opt, float *maps,
                      const float *x, const size_t *classes, size_t B, GError **error)
{
  /* maps (B, n); x (B, n); classes (B). Rows r = b*S + s of the virtual
   * (B*S, n) input are built and differentiated chunk by chunk; maps[b]
   * accumulates Σ_s w_s ∂z_c/∂x (row) in double, in the order of s, so a
   * map does not depend on how the rows were chunked. */
  InvSaliencyOptions defaults;
  if (opt == NULL)
    {
      inv_saliency_options_init (&defaults);
      opt = &defaults;
    }
  if (!check_options (opt, error))
    return FALSE;
  const size_t n = m->h * m->w, K = m->n_classes;
  const size_t S = plan_rows (opt);
  size_t R, bn;
  if (!inv_size_mul (B, S, &R) || !inv_size_mul (B, n, &bn) || K == 0)
    {
      g_set_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS,
                   "saliency of %zu images × %zu rows is too large", B, S);
      return FALSE;
    }
  if (B == 0)
    return TRUE;

  const RowPlan plan = { opt->method, S, n, opt->sigma, opt->seed, opt->rule, opt->steps };
  const size_t chunk = MIN (R, (size_t) INV_SALIENCY_CHUNK);
  size_t *cls = g_new (size_t, B);
  size_t *row_cls = g_new (size_t, chunk);
  double *wts = g_new (double, chunk);
  float *rows = inv_floats_new (chunk * n, error);
  float *grads = rows ? inv_floats_new (chunk * n, error) : NULL;
  float *logits = grads ? inv_floats_new (chunk * K, error) : NULL;
  double *acc = logits ? g_try_new0 (double, bn) : NULL;
  gboolean ok = FALSE;
  if (logits != NULL && acc == NULL)
    g_set_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_NOMEM,
                 "out of memory for %zu saliency maps", B);
  if (acc == NULL || !resolve_classes (m, cls, x, classes, B, error))
    goto out;

  for (size_t r0 = 0; r0 < R; r0 += chunk)
    {
      const size_t nr = MIN (chunk, R - r0);
      for (size_t j = 0; j < nr; j++)
        {
          size_t b = (r0 + j) / S, s = (r0 + j) % S;
          wts[j] = build_row (&plan, rows + j * n, x + b * n, s);
          row_cls[j] = cls[b];
        }
      if (!inv_model_forward (m, logits, rows, nr, error)
          || !inv_saliency_backward_onehot (m, grads, row_cls, nr, error))
        goto out;
      for (size_t j = 0; j < nr; j++)
        {
          double *a = acc + (r0 + j) / S * n;
          const float *gr = grads + j * n;
          for (size_t p = 0; p < n; p++)
            a[p] += wts[j] * gr[p];
        }
    }

  const gboolean times_input = opt->method == INV_SALIENCY_GRADIENT_INPUT
                               || opt->method == INV_SALIENCY_INTEGRATED;
  for (size_t i = 0; i < bn; i++)
    maps[i] = (float) (times_input ? acc[i] * x[i] : acc[i]);
  ok = TRUE;

out:
  g_free (acc);
  inv_free (logits);
  inv_free (grads);
  inv_free (rows);
  g_free (wts);
  g_free (row_cls);
  g_free (cls);
  return ok;
}

void
inv_saliency_orbit_free (InvSaliencyOrbit *o)
{
  if (o == NULL)
    return;
  inv_free (o->images);
  inv_free (o->maps);
  inv_free (o->logits);
  inv_free (o->probs);
  g_free (o->pred);
  g_free (o);
}

InvSaliencyOrbit *
inv_saliency_orbit (InvModel *m, const InvGroup *grp, const InvSaliencyOptions *opt,
                    const float *x, size_t cls, gboolean align, GError **error)
{
  if (grp == NULL)
    grp = m->group;
  if (grp == NULL || grp->h != m->h || grp->w != m->w)
    {
      g_set_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS,
                   "the group does not act on the model's %zu×%zu images", m->h, m->w);
      return NULL;
    }
  const size_t G = grp->order, n = m->h * m->w, K = m->n_classes;
  if (cls != INV_SALIENCY_PREDICTED && cls >= K)
    {
      g_set_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS,
                   "class %zu is out of range (the model has %zu classes)", cls, K);
      return NULL;
    }
  g_autoptr (InvSaliencyOrbit) o = g_new0 (InvSaliencyOrbit, 1);
  o->G = G;
  o->n = n;
  o->K = K;
  o->aligned = align;
  o->pred = g_new0 (size_t, G);
  if ((o->images = inv_floats_new (G * n, error)) == NULL
      || (o->maps = inv_floats_new (G * n, error)) == NULL
      || (o->logits = inv_floats_new (G * K, error)) == NULL
      || (o->probs = inv_floats_new (G * K, error)) == NULL)
    return NULL;

  inv_group_orbit (grp, o->images, x);
  if (!inv_model_forward (m, o->logits, o->images, G, error))
    return NULL;
  inv_softmax_rows (o->probs, o->logits, G, K);
  for (size_t g = 0; g < G; g++)
    o->pred[g] = inv_argmax (o->logits + g * K, K);
  o->cls = cls == INV_SALIENCY_PREDICTED ? o->pred[0] : cls;

  g_autofree size_t *classes = g_new (size_t, G);
  for (size_t g = 0; g < G; g++)
    classes[g] = o->cls;
  if (!inv_saliency_compute (m, opt, o->maps, o->images, classes, G, error))
    return NULL;
  if (align)
    {
      float *tmp = inv_floats_new (n, error);
      if (tmp == NULL)
        return NULL;
      for (size_t g = 0; g < G; g++)
        {
          memcpy (tmp, o->maps + g * n, n * sizeof *tmp);
          inv_group_apply (grp, grp->inverse[g], o->maps + g * n, tmp);
        }
      inv_free (tmp);
    }
  return g_steal_pointer (&o);
}
