/* Invariance metrics: per-orbit statistics accumulated in double, shared by
 * the array functions (which the tests check by hand) and the evaluator
 * (which feeds them batch by batch from the model, the per-image work in
 * parallel ranges, summed in image order). Not the training penalty and not
 * the spectrum. Size letters: N base images, B per batch, G group
 * order, K classes, n pixels. */
#include "metrics.h"
#include "layers.h"
#include "rng.h"
#include "saliency.h"
#include "spectrum.h"
#include "util.h"
#include <math.h>
#include <pthread.h>
#include <string.h>

G_DEFINE_QUARK (inv-metrics-error-quark, inv_metrics_error)

/* ---- helpers ---- */

void
inv_softmax_rows (float *p, const float *z, size_t N, size_t K)
{
  /* p (N,K), z (N,K); stable: exp (z − max). */
  for (size_t i = 0; i < N; i++)
    {
      const float *zi = z + i * K;
      float *pi = p + i * K;
      double mx = -INFINITY, sum = 0;
      for (size_t k = 0; k < K; k++)
        mx = zi[k] > mx ? zi[k] : mx;
      for (size_t k = 0; k < K; k++)
        sum += exp ((double) zi[k] - mx);
      for (size_t k = 0; k < K; k++)
        pi[k] = (float) (exp ((double) zi[k] - mx) / sum);
    }
}

size_t
inv_argmax (const float *z, size_t K)
{
  size_t best = 0;
  for (size_t k = 1; k < K; k++)
    if (z[k] > z[best])
      best = k;
  return best;
}

double
inv_cosine (const float *a, const float *b, size_t n)
{
  double ab = 0, aa = 0, bb = 0;
  for (size_t p = 0; p < n; p++)
    {
      ab += (double) a[p] * b[p];
      aa += (double) a[p] * a[p];
      bb += (double) b[p] * b[p];
    }
  if (aa == 0 && bb == 0)
    return 1.0;
  if (aa == 0 || bb == 0)
    return 0.0;
  return ab / (sqrt (aa) * sqrt (bb));
}

/* Entropy in nats of p (K), 0·ln 0 = 0. */
static double
entropy (const double *p, size_t K)
{
  double h = 0;
  for (size_t k = 0; k < K; k++)
    if (p[k] > 0)
      h -= p[k] * log (p[k]);
  return h;
}

/* JSD_G of logits (G,K); scratch (K + K) doubles. */
static double
orbit_jsd (const float *logits, size_t G, size_t K, double *scratch)
{
  double *p = scratch, *pbar = scratch + K;
  double mean_h = 0;
  memset (pbar, 0, K * sizeof *pbar);
  for (size_t g = 0; g < G; g++)
    {
      const float *z = logits + g * K;
      double mx = -INFINITY, sum = 0;
      for (size_t k = 0; k < K; k++)
        mx = z[k] > mx ? z[k] : mx;
      for (size_t k = 0; k < K; k++)
        sum += (p[k] = exp ((double) z[k] - mx));
      for (size_t k = 0; k < K; k++)
        {
          p[k] /= sum;
          pbar[k] += p[k] / (double) G;
        }
      mean_h += entropy (p, K) / (double) G;
    }
  double jsd = entropy (pbar, K) - mean_h;
  /* ≥ 0 by concavity of H; only rounding makes it negative. */
  return jsd > 0 ? jsd : 0.0;
}

double
inv_orbit_jsd (const float *logits, size_t G, size_t K)
{
  if (G == 0 || K == 0)
    return NAN;
  g_autofree double *scratch = g_new (double, 2 * K);
  return orbit_jsd (logits, G, K, scratch);
}

/* ---- per-orbit accumulation ---- */

typedef struct {
  size_t orbits;        /* base images seen by the logit metrics */
  size_t rows;          /* orbit elements seen */
  size_t correct;       /* rows whose argmax is the label */
  size_t consistent;    /* orbits with one argmax */
  double jsd;           /* Σ_i JSD_G(i) */
  double li_num, li_den;/* Σ_ig ‖z̃ − m̃‖², Σ_ig ‖z̃‖² */
  double ie;            /* Σ_i mean_g ‖z − z̄‖² */
  size_t sis_orbits;
  double sis;           /* Σ_i mean pair cosine */
  size_t sens_images;
  double sens;          /* Σ_i ‖Δf‖ / ‖δ‖ */
} Accum;

/* z (G,K) of one orbit, label or −1. scratch: 3K doubles. */
static void
accum_orbit_logits (Accum *a, const float *z, int label, size_t G, size_t K, double *scratch)
{
  a->orbits++;
  a->rows += G;

  size_t first = inv_argmax (z, K);
  gboolean same = TRUE;
  for (size_t g = 0; g < G; g++)
    {
      size_t am = inv_argmax (z + g * K, K);
      if (label >= 0 && am == (size_t) label)
        a->correct++;
      if (am != first)
        same = FALSE;
    }
  if (same)
    a->consistent++;

  a->jsd += orbit_jsd (z, G, K, scratch);

  /* LI on row-centred logits z̃ = z − c_g, IE on raw ones. With the raw
   * orbit mean z̄ (K) and c̄ its mean over k, m̃ = z̄ − c̄. */
  double *zbar = scratch + 2 * K;
  memset (zbar, 0, K * sizeof *zbar);
  for (size_t g = 0; g < G; g++)
    for (size_t k = 0; k < K; k++)
      zbar[k] += (double) z[g * K + k] / (double) G;
  double cbar = 0;
  for (size_t k = 0; k < K; k++)
    cbar += zbar[k] / (double) K;
  double ie = 0;
  for (size_t g = 0; g < G; g++)
    {
      const float *zg = z + g * K;
      double c = 0;
      for (size_t k = 0; k < K; k++)
        c += zg[k];
      c /= (double) K;
      for (size_t k = 0; k < K; k++)
        {
          double zt = (double) zg[k] - c;
          double d = zt - (zbar[k] - cbar);
          double e = (double) zg[k] - zbar[k];
          a->li_num += d * d;
          a->li_den += zt * zt;
          ie += e * e;
        }
    }
  a->ie += ie / (double) G;
}

/* Σ a·b over n, in double, in 8 independent partial sums (a sequential sum
 * waits on every add; these overlap and vectorize). */
INV_HOT static double
dot8 (const float *a, const float *b, size_t n)
{
  double part[8] = { 0 };
  size_t p = 0;
  for (; p + 8 <= n; p += 8)
    for (size_t l = 0; l < 8; l++)
      part[l] += (double) a[p + l] * b[p + l];
  for (; p < n; p++)
    part[0] += (double) a[p] * b[p];
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

/* Mean pair cosine of maps (G,n), the aligned saliency of one orbit, as
 * inv_cosine defines it; each map's norm is computed once, not per pair. */
static double
orbit_sis (const float *maps, size_t G, size_t n)
{
  if (G < 2)
    return 1.0;
  double small[64];
  double *sq = G <= G_N_ELEMENTS (small) ? small : g_new (double, G);
  for (size_t g = 0; g < G; g++)
    sq[g] = dot8 (maps + g * n, maps + g * n, n);
  double sum = 0;
  size_t pairs = 0;
  for (size_t g = 0; g < G; g++)
    for (size_t h = g + 1; h < G; h++)
      {
        double c;
        if (sq[g] == 0 && sq[h] == 0)
          c = 1.0;
        else if (sq[g] == 0 || sq[h] == 0)
          c = 0.0;
        else
          c = dot8 (maps + g * n, maps + h * n, n) / (sqrt (sq[g]) * sqrt (sq[h]));
        sum += c;
        pairs++;
      }
  if (sq != small)
    g_free (sq);
  return sum / (double) pairs;
}

static void
accum_orbit_sis (Accum *a, const float *maps, size_t G, size_t n)
{
  a->sis += orbit_sis (maps, G, n);
  a->sis_orbits++;
}

static double
ratio (double num, size_t den)
{
  return den ? num / (double) den : NAN;
}

static double
finish_accuracy (const Accum *a)
{
  return ratio ((double) a->correct, a->rows);
}

static double
finish_consistency (const Accum *a)
{
  return ratio ((double) a->consistent, a->orbits);
}

static double
finish_pdi (const Accum *a, size_t G, size_t K)
{
  if (a->orbits == 0)
    return NAN;
  size_t mn = MIN (G, K);
  if (mn <= 1)
    return 1.0;
  return 1.0 - a->jsd / (double) a->orbits / log ((double) mn);
}

static double
finish_li (const Accum *a)
{
  if (a->orbits == 0)
    return NAN;
  if (a->li_den == 0)
    return 1.0;
  return 1.0 - a->li_num / a->li_den;
}

static double
finish_ie (const Accum *a)
{
  return ratio (a->ie, a->orbits);
}

/* Runs the logit accumulation over (N, G, K). */
static void
accum_all_logits (Accum *a, const float *logits, const uint8_t *labels,
                  size_t N, size_t G, size_t K)
{
  memset (a, 0, sizeof *a);
  if (N == 0 || G == 0 || K == 0)
    return;
  g_autofree double *scratch = g_new (double, 3 * K);
  for (size_t i = 0; i < N; i++)
    accum_orbit_logits (a, logits + i * G * K, labels ? labels[i] : -1, G, K, scratch);
}

double
inv_metric_orbit_accuracy (const float *logits, const uint8_t *labels,
                           size_t N, size_t G, size_t K)
{
  Accum a;
  accum_all_logits (&a, logits, labels, N, G, K);
  return finish_accuracy (&a);
}

double
inv_metric_orbit_consistency (const float *logits, size_t N, size_t G, size_t K)
{
  Accum a;
  accum_all_logits (&a, logits, NULL, N, G, K);
  return finish_consistency (&a);
}

double
inv_metric_pdi (const float *logits, size_t N, size_t G, size_t K)
{
  Accum a;
  accum_all_logits (&a, logits, NULL, N, G, K);
  return finish_pdi (&a, G, K);
}

double
inv_metric_logit_invariance (const float *logits, size_t N, size_t G, size_t K)
{
  Accum a;
  accum_all_logits (&a, logits, NULL, N, G, K);
  return finish_li (&a);
}

double
inv_metric_invariance_error (const float *logits, size_t N, size_t G, size_t K)
{
  Accum a;
  accum_all_logits (&a, logits, NULL, N, G, K);
  return finish_ie (&a);
}

double
inv_metric_sis (const float *maps, size_t N, size_t G, size_t n)
{
  if (N == 0 || G == 0)
    return NAN;
  Accum a;
  memset (&a, 0, sizeof a);
  for (size_t i = 0; i < N; i++)
    accum_orbit_sis (&a, maps + i * G * n, G, n);
  return a.sis / (double) a.sis_orbits;
}

/* ---- the table and JSON ---- */

static double get_orbit_accuracy (const InvMetrics *r) { return r->orbit_accuracy; }
static double get_orbit_consistency (const InvMetrics *r) { return r->orbit_consistency; }
static double get_pdi (const InvMetrics *r) { return r->pdi; }
static double get_logit_invariance (const InvMetrics *r) { return r->logit_invariance; }
static double get_sis (const InvMetrics *r) { return r->sis; }
static double get_invariance_error (const InvMetrics *r) { return r->invariance_error; }
static double get_sensitivity (const InvMetrics *r) { return r->sensitivity; }
static double get_noninvariant_energy (const InvMetrics *r) { return r->noninvariant_energy; }

static const InvMetricInfo metric_infos[INV_N_METRICS] = {
  { "orbit_accuracy", "acc", "Orbit accuracy", INV_METRIC_ORBIT_ACCURACY, get_orbit_accuracy },
  { "orbit_consistency", "cons", "Orbit consistency", INV_METRIC_ORBIT_CONSISTENCY,
    get_orbit_consistency },
  { "pdi", "PDI", "Predictive distribution invariance", INV_METRIC_PDI, get_pdi },
  { "logit_invariance", "LI", "Logit invariance", INV_METRIC_LOGIT_INVARIANCE,
    get_logit_invariance },
  { "sis", "SIS", "Saliency invariance similarity", INV_METRIC_SIS, get_sis },
  { "invariance_error", "IE", "Invariance error", INV_METRIC_INVARIANCE_ERROR,
    get_invariance_error },
  { "sensitivity", "sens", "Sensitivity", INV_METRIC_SENSITIVITY, get_sensitivity },
  { "noninvariant_energy", "NIE", "Non-invariant energy fraction",
    INV_METRIC_NONINVARIANT_ENERGY, get_noninvariant_energy },
};

const InvMetricInfo *
inv_metric_infos (void)
{
  return metric_infos;
}

const InvMetricInfo *
inv_metric_info_find (const char *name)
{
  if (name == NULL)
    return NULL;
  for (size_t i = 0; i < INV_N_METRICS; i++)
    if (g_ascii_strcasecmp (name, metric_infos[i].name) == 0
        || g_ascii_strcasecmp (name, metric_infos[i].abbrev) == 0)
      return &metric_infos[i];
  return NULL;
}

void
inv_metrics_init (InvMetrics *r)
{
  memset (r, 0, sizeof *r);
  r->orbit_accuracy = r->orbit_consistency = r->pdi = r->logit_invariance = NAN;
  r->sis = r->invariance_error = r->sensitivity = r->noninvariant_energy = NAN;
}

void
inv_metrics_to_json (const InvMetrics *r, GString *out)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append_printf (out, "{\"n_images\":%zu,\"group_order\":%zu",
                          r->n_images, r->group_order);
  for (size_t i = 0; i < INV_N_METRICS; i++)
    {
      double v = metric_infos[i].get (r);
      g_string_append_printf (out, ",\"%s\":", metric_infos[i].name);
      if (isfinite (v))
        g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.10g", v));
      else
        g_string_append (out, "null");
    }
  g_string_append_c (out, '}');
}

/* ---- the evaluator ---- */

void
inv_eval_options_init (InvEvalOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->which = INV_METRIC_ALL;
  opt->batch = INV_EVAL_DEFAULT_BATCH;
  opt->seed = 1;
}

/* Work buffers of one evaluation. */
typedef struct {
  float *base;      /* (B, n) shifted base images */
  float *orbit;     /* (B*G, n), then (B, n) x_b + δ_b rows when the
                     * sensitivity shares the orbit forward */
  float *logits;    /* (B*G (+ B), K) */
  float *sal;       /* (B*G, n) saliency, aligned in place */
  float *sens_x;    /* (2B, n): x_b rows then x_b + δ_b rows (no orbit pass) */
  float *sens_z;    /* (2B, K) */
  double *dnorm;    /* (B) ‖δ_b‖ */
  double *sis;      /* (B) mean pair cosine of each orbit's aligned maps */
  float *energy_x;  /* (N, n) base images for the non-invariant energy, or NULL */
  size_t *classes;  /* (B*G) */
  double *scratch;  /* (3K) */
} EvalWork;

static void
eval_work_clear (EvalWork *w)
{
  inv_free (w->base);
  inv_free (w->orbit);
  inv_free (w->logits);
  inv_free (w->sal);
  inv_free (w->sens_x);
  inv_free (w->sens_z);
  inv_free (w->energy_x);
  g_free (w->classes);
  g_free (w->scratch);
  g_free (w->dnorm);
  g_free (w->sis);
}

/* glibc's vector math (libmvec, ≤ 4 ulp; part of libm on x86-64 since
 * 2.22): four log and cos at a time in the AVX2 variant. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__GLIBC__)
#include <immintrin.h>
#define HAVE_VECTOR_NORMALS 1
__m256d _ZGVdN4v_log (__m256d x);
__m256d _ZGVdN4v_cos (__m256d x);

/* z (n) = sqrt (−2 ln u1) · cos (2π u2), Box-Muller as inv_rng_normal. */
__attribute__ ((target ("avx2,fma"))) static void
box_muller_avx2 (double *z, const double *u1, const double *u2, size_t n)
{
  size_t i = 0;
  const __m256d m2 = _mm256_set1_pd (-2.0), tau = _mm256_set1_pd (2.0 * M_PI);
  for (; i + 4 <= n; i += 4)
    {
      __m256d r = _mm256_sqrt_pd (_mm256_mul_pd (m2, _ZGVdN4v_log (_mm256_loadu_pd (u1 + i))));
      __m256d c = _ZGVdN4v_cos (_mm256_mul_pd (tau, _mm256_loadu_pd (u2 + i)));
      _mm256_storeu_pd (z + i, _mm256_mul_pd (r, c));
    }
  for (; i < n; i++)
    z[i] = sqrt (-2.0 * log (u1[i])) * cos (2.0 * M_PI * u2[i]);
}
#endif

/* z (n) standard normals from r: the draws of n calls of inv_rng_normal
 * (the same uniforms; log and cos four at a time where the CPU allows, equal
 * to the scalar ones within a few units in the last place). */
static void
normals (InvRng *r, double *z, double *u1, double *u2, size_t n)
{
#ifdef HAVE_VECTOR_NORMALS
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    {
      for (size_t i = 0; i < n; i++)
        {
          u1[i] = 1.0 - inv_rng_uniform (r); /* (0, 1] so log is finite */
          u2[i] = inv_rng_uniform (r);
        }
      box_muller_avx2 (z, u1, u2, n);
      return;
    }
#endif
  for (size_t i = 0; i < n; i++)
    z[i] = inv_rng_normal (r);
}

/* xd (B, n) = x + δ_b for the base images b0..b1 of x (B, n), numbered
 * first.. in the split, δ_b from the image's own stream; dnorm (B) = ‖δ_b‖. */
static void
sensitivity_inputs (float *xd, double *dnorm, const float *x, size_t first, size_t b0,
                    size_t b1, size_t n, uint64_t seed)
{
  double *z = g_new (double, 3 * n);
  for (size_t b = b0; b < b1; b++)
    {
      InvRng r;
      inv_rng_init_stream (&r, seed, INV_SENSITIVITY_STREAM, first + b);
      normals (&r, z, z + n, z + 2 * n, n);
      double dd = 0;
      for (size_t p = 0; p < n; p++)
        {
          float d = (float) (INV_SENSITIVITY_SIGMA * z[p]);
          xd[b * n + p] = x[b * n + p] + d;
          dd += (double) d * d;
        }
      dnorm[b] = sqrt (dd);
    }
  g_free (z);
}

/* Adds ‖f(x_b + δ_b) − f(x_b)‖ / ‖δ_b‖ of B images: z0 row b·stride0 and
 * z1 row b of logits with K columns. */
static void
sensitivity_accum (Accum *a, const float *z0, size_t stride0, const float *z1,
                   const double *dnorm, size_t B, size_t K)
{
  for (size_t b = 0; b < B; b++)
    {
      const float *r0 = z0 + b * stride0 * K, *r1 = z1 + b * K;
      double ss = 0;
      for (size_t k = 0; k < K; k++)
        {
          double d = (double) r1[k] - r0[k];
          ss += d * d;
        }
      a->sens += dnorm[b] > 0 ? sqrt (ss) / dnorm[b] : 0.0;
      a->sens_images++;
    }
}

typedef struct {
  float *xd;
  double *dnorm;
  const float *x;
  size_t first, n;
  uint64_t seed;
} SensJob;

static void
sensitivity_range (gpointer data, size_t b0, size_t b1)
{
  const SensJob *j = data;
  sensitivity_inputs (j->xd, j->dnorm, j->x, j->first, b0, b1, j->n, j->seed);
}

/* Sensitivity of B base images alone (no orbit forward to share). */
static gboolean
eval_sensitivity (InvModel *m, EvalWork *w, Accum *a, size_t first, size_t B,
                  uint64_t seed, GError **error)
{
  const size_t n = m->h * m->w, K = m->n_classes;
  memcpy (w->sens_x, w->base, B * n * sizeof (float));
  SensJob job = { w->sens_x + B * n, w->dnorm, w->base, first, n, seed };
  inv_model_parallel_for (B, 4, sensitivity_range, &job);
  /* x and x + δ in one forward, so both see the same arithmetic. */
  if (!inv_model_forward (m, w->sens_z, w->sens_x, 2 * B, error))
    return FALSE;
  sensitivity_accum (a, w->sens_z, 1, w->sens_z + B * K, w->dnorm, B, K);
  return TRUE;
}

/* Non-invariant energy fraction of the first layer over the base images X
 * (N, n) in pixels. The spectrum code standardizes them as the model does;
 * with another group than the model's, P is that group's average. */
static gboolean
eval_noninvariant_energy (InvModel *m, const InvGroup *grp, const float *X, size_t N,
                          double *out, GError **error)
{
  *out = NAN;
  if (grp == m->group)
    return inv_spectrum_model_energy (out, m, X, N, error);

  const size_t n = m->h * m->w;
  size_t rows = 0, cols = 0;
  g_autofree float *w = inv_model_first_layer (m, &rows, &cols);
  if (w == NULL || cols != n)
    {
      g_set_error (error, INV_METRICS_ERROR, INV_METRICS_ERROR_ARGS,
                   "the model has no fully-connected first layer");
      return FALSE;
    }
  float *xs = inv_floats_new (N * n, error);
  if (xs == NULL)
    return FALSE;
  const float mean = m->mean, inv_std = 1.0f / m->std;
  for (size_t i = 0; i < N * n; i++)
    xs[i] = (X[i] - mean) * inv_std;
  gboolean ok = inv_spectrum_noninvariant_energy (out, w, rows, n, xs, N, grp, error);
  inv_free (xs);
  return ok;
}

/* The per-image work of one batch around the model's passes, in parallel
 * ranges of images (each image's numbers do not depend on the others). */
typedef struct {
  const InvSplit *split;
  const InvEvalOptions *opt;
  const InvGroup *grp;
  EvalWork *wk;
  size_t i0, nb, h, w;
  gboolean orbit, sens_shared;
  pthread_mutex_t lock;
  GError *error;          /* of the first failing image */
  size_t error_at;
} BatchJob;

/* Base images (shifted), their copies for the energy, orbits and x + δ rows. */
static void
prepare_range (gpointer data, size_t b0, size_t b1)
{
  BatchJob *j = data;
  EvalWork *wk = j->wk;
  const size_t n = j->h * j->w, G = j->grp->order;
  float *img = g_new (float, n);
  for (size_t b = b0; b < b1; b++)
    {
      inv_split_get_image (j->split, j->h, j->w, j->i0 + b, img);
      if (j->opt->shifts)
        {
          GError *e = NULL;
          if (!inv_shift_apply (j->opt->shifts, j->i0 + b, wk->base + b * n, img, j->h, j->w, &e))
            {
              pthread_mutex_lock (&j->lock);
              if (!j->error || b < j->error_at)
                {
                  g_clear_error (&j->error);
                  j->error = e;
                  j->error_at = b;
                }
              else
                g_error_free (e);
              pthread_mutex_unlock (&j->lock);
              break;
            }
        }
      else
        memcpy (wk->base + b * n, img, n * sizeof (float));
      if (wk->energy_x)
        memcpy (wk->energy_x + (j->i0 + b) * n, wk->base + b * n, n * sizeof (float));
      if (j->orbit)
        inv_group_orbit (j->grp, wk->orbit + b * G * n, wk->base + b * n);
      if (j->sens_shared)
        sensitivity_inputs (wk->orbit + j->nb * G * n, wk->dnorm, wk->base, j->i0, b, b + 1, n,
                            j->opt->seed);
    }
  g_free (img);
}

/* Saliency maps aligned back to the identity, and each orbit's SIS. */
static void
sis_range (gpointer data, size_t b0, size_t b1)
{
  BatchJob *j = data;
  EvalWork *wk = j->wk;
  const InvGroup *grp = j->grp;
  const size_t n = j->h * j->w, G = grp->order;
  float *tmp = g_new (float, n);
  for (size_t b = b0; b < b1; b++)
    {
      for (size_t g = 1; g < G; g++)
        {
          float *sm = wk->sal + (b * G + g) * n;
          memcpy (tmp, sm, n * sizeof (float));
          inv_group_apply (grp, grp->inverse[g], sm, tmp);
        }
      wk->sis[b] = orbit_sis (wk->sal + b * G * n, G, n);
    }
  g_free (tmp);
}

gboolean
inv_evaluate (InvModel *m, const InvSplit *split, const InvEvalOptions *opt,
              InvMetrics *out, GError **error)
{
  InvEvalOptions defaults;
  if (opt == NULL)
    {
      inv_eval_options_init (&defaults);
      opt = &defaults;
    }
  inv_metrics_init (out);

  const InvGroup *grp = opt->group ? opt->group : m->group;
  const size_t h = m->h, w = m->w, n = h * w, K = m->n_classes;
  if (grp == NULL || grp->h != h || grp->w != w)
    {
      g_set_error (error, INV_METRICS_ERROR, INV_METRICS_ERROR_ARGS,
                   "the group does not act on the model's %zu×%zu images", h, w);
      return FALSE;
    }
  if (opt->shifts && !inv_shift_list_validate (opt->shifts, h, w, error))
    return FALSE;
  const size_t G = grp->order;
  const size_t N = opt->limit ? MIN (opt->limit, split->n) : split->n;
  const size_t B = MIN (opt->batch ? opt->batch : INV_EVAL_DEFAULT_BATCH, MAX (N, (size_t) 1));
  guint which = opt->which & INV_METRIC_ALL;
  if (!inv_spectrum_has_energy (m->kind))
    which &= ~(guint) INV_METRIC_NONINVARIANT_ENERGY;
  const gboolean need_orbit = (which & (INV_METRIC_LOGITS | INV_METRIC_SIS)) != 0;

  size_t bg, bgn, bgk, nn;
  if (!inv_size_mul (B, G, &bg) || !inv_size_mul (bg, n, &bgn) || !inv_size_mul (bg, K, &bgk)
      || !inv_size_mul (N, n, &nn) || bgn > SIZE_MAX / 4)
    {
      g_set_error (error, INV_METRICS_ERROR, INV_METRICS_ERROR_ARGS,
                   "evaluation of %zu images is too large", N);
      return FALSE;
    }
  for (size_t i = 0; i < N; i++)
    if (split->labels[i] >= K)
      {
        g_set_error (error, INV_METRICS_ERROR, INV_METRICS_ERROR_ARGS,
                     "label %u of image %zu is out of range (the model has %zu classes)",
                     split->labels[i], i, K);
        return FALSE;
      }

  EvalWork wk = { 0 };
  Accum acc;
  memset (&acc, 0, sizeof acc);
  gboolean ok = FALSE;
  double energy = NAN;
  wk.classes = g_new (size_t, bg);
  wk.scratch = g_new (double, 3 * K);
  if ((wk.base = inv_floats_new (B * n, error)) == NULL)
    goto out;
  /* With an orbit forward, the x + δ rows ride along in it: f(x) is the
   * identity row, and both come from the same pass. */
  const gboolean sens_shared = need_orbit && (which & INV_METRIC_SENSITIVITY);
  const size_t extra = sens_shared ? B : 0;
  wk.dnorm = g_new (double, B);
  wk.sis = g_new (double, B);
  if (need_orbit
      && ((wk.orbit = inv_floats_new (bgn + extra * n, error)) == NULL
          || (wk.logits = inv_floats_new (bgk + extra * K, error)) == NULL))
    goto out;
  if ((which & INV_METRIC_SIS) && (wk.sal = inv_floats_new (bgn, error)) == NULL)
    goto out;
  if ((which & INV_METRIC_SENSITIVITY) && !sens_shared
      && ((wk.sens_x = inv_floats_new (2 * B * n, error)) == NULL
          || (wk.sens_z = inv_floats_new (2 * B * K, error)) == NULL))
    goto out;
  if ((which & INV_METRIC_NONINVARIANT_ENERGY) && (wk.energy_x = inv_floats_new (nn, error)) == NULL)
    goto out;

  for (size_t i0 = 0; i0 < N; i0 += B)
    {
      if (g_cancellable_set_error_if_cancelled (opt->cancellable, error))
        goto out;
      const size_t nb = MIN (B, N - i0);
      BatchJob job = { split, opt, grp, &wk, i0, nb, h, w, need_orbit, sens_shared,
                       PTHREAD_MUTEX_INITIALIZER, NULL, 0 };
      inv_model_parallel_for (nb, 4, prepare_range, &job);
      pthread_mutex_destroy (&job.lock);
      if (job.error)
        {
          g_propagate_error (error, job.error);
          goto out;
        }

      if (need_orbit)
        {
          if (!inv_model_forward (m, wk.logits, wk.orbit, nb * G + (sens_shared ? nb : 0), error))
            goto out;
          if (sens_shared)
            sensitivity_accum (&acc, wk.logits, G, wk.logits + nb * G * K, wk.dnorm, nb, K);
          for (size_t b = 0; b < nb; b++)
            accum_orbit_logits (&acc, wk.logits + b * G * K, split->labels[i0 + b], G, K,
                                wk.scratch);
        }

      if (which & INV_METRIC_SIS)
        {
          /* One backward for the orbit rows of the batch: row b*G+g
           * explains class c_b. */
          for (size_t b = 0; b < nb; b++)
            {
              size_t c = opt->sis_predicted ? inv_argmax (wk.logits + b * G * K, K)
                                            : split->labels[i0 + b];
              for (size_t g = 0; g < G; g++)
                wk.classes[b * G + g] = c;
            }
          if (!inv_saliency_backward_onehot (m, wk.sal, wk.classes, nb * G, error))
            goto out;
          inv_model_parallel_for (nb, 4, sis_range, &job);
          for (size_t b = 0; b < nb; b++)
            {
              acc.sis += wk.sis[b];
              acc.sis_orbits++;
            }
        }

      if ((which & INV_METRIC_SENSITIVITY) && !sens_shared
          && !eval_sensitivity (m, &wk, &acc, i0, nb, opt->seed, error))
        goto out;
    }

  if ((which & INV_METRIC_NONINVARIANT_ENERGY) && N > 0
      && !eval_noninvariant_energy (m, grp, wk.energy_x, N, &energy, error))
    goto out;

  out->n_images = N;
  out->group_order = G;
  out->computed = which;
  if (which & INV_METRIC_ORBIT_ACCURACY)
    out->orbit_accuracy = finish_accuracy (&acc);
  if (which & INV_METRIC_ORBIT_CONSISTENCY)
    out->orbit_consistency = finish_consistency (&acc);
  if (which & INV_METRIC_PDI)
    out->pdi = finish_pdi (&acc, G, K);
  if (which & INV_METRIC_LOGIT_INVARIANCE)
    out->logit_invariance = finish_li (&acc);
  if (which & INV_METRIC_INVARIANCE_ERROR)
    out->invariance_error = finish_ie (&acc);
  if (which & INV_METRIC_SIS)
    out->sis = acc.sis_orbits ? acc.sis / (double) acc.sis_orbits : NAN;
  if (which & INV_METRIC_SENSITIVITY)
    out->sensitivity = ratio (acc.sens, acc.sens_images);
  if (which & INV_METRIC_NONINVARIANT_ENERGY)
    out->noninvariant_energy = energy;
  ok = TRUE;

out:
  eval_work_clear (&wk);
  if (!ok)
    inv_metrics_init (out);
  return ok;
}
