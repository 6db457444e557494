/* Tests of the invariance metrics: the array functions against values worked
 * out by hand from DESIGN.md's formulas, then the evaluator on models that are
 * invariant by construction (tied-mlp, gcnn) and on a plain mlp, checked
 * against direct forward passes. */
#include <math.h>
#include <string.h>
#include "dataset.h"
#include "json.h"
#include "layers.h"
#include "metrics.h"
#include "model.h"
#include "rng.h"
#include "saliency.h"
#include "shift.h"
#include "spectrum.h"

#define EPS 1e-12

static void
fill_uniform (float *x, size_t n, double lo, double hi, uint64_t seed)
{
  InvRng r;
  inv_rng_init (&r, seed);
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (lo + (hi - lo) * inv_rng_uniform (&r));
}

/* Entropy of a two-point distribution, written out. */
static double
h2 (double a, double b)
{
  return -(a * log (a) + b * log (b));
}

/* ---- array metrics ---- */

static void
test_identical_orbit (void)
{
  /* N = 3 orbits, G = 4, K = 5: every orbit element has its image's logits. */
  enum { N = 3, G = 4, K = 5 };
  float base[N * K], z[N * G * K];
  fill_uniform (base, N * K, -3, 3, 1);
  for (size_t i = 0; i < N; i++)
    for (size_t g = 0; g < G; g++)
      memcpy (z + (i * G + g) * K, base + i * K, K * sizeof (float));
  g_assert_cmpfloat_with_epsilon (inv_metric_pdi (z, N, G, K), 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (inv_metric_logit_invariance (z, N, G, K), 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (inv_metric_invariance_error (z, N, G, K), 0.0, EPS);
  g_assert_cmpfloat_with_epsilon (inv_metric_orbit_consistency (z, N, G, K), 1.0, EPS);
}

static void
test_jsd_disjoint (void)
{
  /* p = (1,0), q = (0,1): exp (−1000) is exactly 0 in double, so the
   * distributions are exactly one-hot and 0·ln 0 must count as 0.
   * JSD = H(½,½) − 0 = ln 2 = ln min(G,K) → PDI = 0. */
  const float z[] = { 0, -1000, -1000, 0 };
  g_assert_cmpfloat_with_epsilon (inv_orbit_jsd (z, 2, 2), log (2.0), EPS);
  g_assert_cmpfloat_with_epsilon (inv_metric_pdi (z, 1, 2, 2), 0.0, EPS);
  /* K = 3 > G = 2: still normalized by ln 2. */
  const float z3[] = { 0, -1000, -1000, -1000, 0, -1000 };
  g_assert_cmpfloat_with_epsilon (inv_metric_pdi (z3, 1, 2, 3), 0.0, EPS);
  /* G = 4 > K = 2: two elements on each class, normalized by ln K = ln 2. */
  const float z4[] = { 0, -1000, -1000, 0, 0, -1000, -1000, 0 };
  g_assert_cmpfloat_with_epsilon (inv_metric_pdi (z4, 1, 4, 2), 0.0, EPS);
}

static void
test_jsd_known (void)
{
  /* p = (0.8, 0.2) from logits (ln 0.8, ln 0.2); q = (0.5, 0.5) from (0, 0).
   * p̄ = (0.65, 0.35); JSD = H(p̄) − ½ (H(p) + H(q)). */
  const float z[] = { (float) log (0.8), (float) log (0.2), 0, 0 };
  double jsd = h2 (0.65, 0.35) - 0.5 * (h2 (0.8, 0.2) + h2 (0.5, 0.5));
  g_assert_cmpfloat (jsd, >, 0.01);
  g_assert_cmpfloat_with_epsilon (inv_orbit_jsd (z, 2, 2), jsd, 1e-7);
  g_assert_cmpfloat_with_epsilon (inv_metric_pdi (z, 1, 2, 2), 1.0 - jsd / log (2.0), 1e-7);

  /* Two orbits: the mean of their JSDs (the second orbit is invariant). */
  const float z2[] = { (float) log (0.8), (float) log (0.2), 0, 0, 1, 2, 1, 2 };
  g_assert_cmpfloat_with_epsilon (inv_metric_pdi (z2, 2, 2, 2),
                                  1.0 - 0.5 * jsd / log (2.0), 1e-7);
}

static void
test_li_known (void)
{
  /* One orbit, G = 2, K = 2. Rows (7, 3) and (4, 4): centred (2, −2) and
   * (0, 0); m̃ = (1, −1); Σ‖z̃ − m̃‖² = 2 + 2 = 4, Σ‖z̃‖² = 8 → LI = ½. */
  const float z1[] = { 7, 3, 4, 4 };
  g_assert_cmpfloat_with_epsilon (inv_metric_logit_invariance (z1, 1, 2, 2), 0.5, EPS);

  /* Pooled over orbits, not averaged: add an invariant orbit with centred
   * rows (b, −b), b = 1 (raw (6, 4) twice): numerator 4 + 0, denominator
   * 8 + 2·2b² = 12 → LI = 1 − 4/12 (a mean of per-orbit values gives ¾). */
  const float z2[] = { 7, 3, 4, 4, 6, 4, 6, 4 };
  g_assert_cmpfloat_with_epsilon (inv_metric_logit_invariance (z2, 2, 2, 2),
                                  1.0 - 4.0 / 12.0, EPS);

  /* Centred logits ±a around different means: rows (μ1 + a, μ1 − a),
   * (μ2 − a, μ2 + a): centred (a, −a), (−a, a), m̃ = 0 → LI = 0. */
  const float z3[] = { 10 + 1.5f, 10 - 1.5f, -3 - 1.5f, -3 + 1.5f };
  g_assert_cmpfloat_with_epsilon (inv_metric_logit_invariance (z3, 1, 2, 2), 0.0, EPS);
}

static void
test_li_zero_denominator (void)
{
  /* Every row constant: all centred logits are 0 → LI = 1 (and PDI = 1,
   * IE = mean_g ‖z − z̄‖² on raw logits: rows (3,3,3), (1,1,1): z̄ = (2,2,2),
   * each deviation has ‖·‖² = 3). */
  const float z[] = { 3, 3, 3, 1, 1, 1 };
  g_assert_cmpfloat_with_epsilon (inv_metric_logit_invariance (z, 1, 2, 3), 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (inv_metric_pdi (z, 1, 2, 3), 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (inv_metric_invariance_error (z, 1, 2, 3), 3.0, EPS);
}

static void
test_ie_known (void)
{
  /* Rows (1, 2), (3, 0): z̄ = (2, 1); ‖(−1, 1)‖² = ‖(1, −1)‖² = 2 → IE = 2.
   * Second orbit rows (0,0),(0,0),... invariant → 0. Mean over i: 1. */
  const float z[] = { 1, 2, 3, 0, 0, 0, 0, 0 };
  g_assert_cmpfloat_with_epsilon (inv_metric_invariance_error (z, 1, 2, 2), 2.0, EPS);
  g_assert_cmpfloat_with_epsilon (inv_metric_invariance_error (z, 2, 2, 2), 1.0, EPS);

  /* Agrees with the training penalty (an independent implementation). */
  enum { N = 5, G = 8, K = 10 };
  float r[N * G * K];
  fill_uniform (r, N * G * K, -4, 4, 2);
  g_assert_cmpfloat_with_epsilon (inv_metric_invariance_error (r, N, G, K),
                                  inv_invariance_penalty (NULL, r, N, G, K, 1.0f), 1e-9);
}

static void
test_sis_cases (void)
{
  const float one[] = { 1, 2, 3, 1, 2, 3 };           /* identical */
  const float orth[] = { 1, 0, 0, 0, 5, 0 };          /* orthogonal */
  const float zero_v[] = { 0, 0, 0, 0.5f, -1, 2 };     /* zero vs non-zero */
  const float zeros[] = { 0, 0, 0, 0, 0, 0 };         /* both zero */
  const float scaled[] = { 1, 2, 3, 2, 4, 6 };        /* cosine ignores scale */
  g_assert_cmpfloat_with_epsilon (inv_metric_sis (one, 1, 2, 3), 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (inv_metric_sis (orth, 1, 2, 3), 0.0, EPS);
  g_assert_cmpfloat_with_epsilon (inv_metric_sis (zero_v, 1, 2, 3), 0.0, EPS);
  g_assert_cmpfloat_with_epsilon (inv_metric_sis (zeros, 1, 2, 3), 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (inv_metric_sis (scaled, 1, 2, 3), 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (inv_cosine (one, orth + 3, 3), 2.0 / sqrt (14.0), EPS);

  /* G = 3: a = (1,0), b = (0,1), c = (1,1): cos(a,b) = 0, cos(a,c) =
   * cos(b,c) = 1/√2; mean over the 3 pairs = (2/√2)/3 = √2/3. */
  const float tri[] = { 1, 0, 0, 1, 1, 1 };
  g_assert_cmpfloat_with_epsilon (inv_metric_sis (tri, 1, 3, 2), sqrt (2.0) / 3.0, EPS);
  /* A second orbit of identical maps: mean over i = (√2/3 + 1)/2. */
  const float tri2[] = { 1, 0, 0, 1, 1, 1, -1, 2, -1, 2, -1, 2 };
  g_assert_cmpfloat_with_epsilon (inv_metric_sis (tri2, 2, 3, 2),
                                  (sqrt (2.0) / 3.0 + 1.0) / 2.0, EPS);
  /* Anti-parallel maps: cosine −1. */
  const float anti[] = { 1, -2, -1, 2 };
  g_assert_cmpfloat_with_epsilon (inv_metric_sis (anti, 1, 2, 2), -1.0, EPS);
}

static void
test_accuracy_table (void)
{
  /* N = 3, G = 2, K = 3; argmax of each row:
   *   orbit 0 (label 1): 1, 1   → 2 correct, consistent
   *   orbit 1 (label 0): 0, 2   → 1 correct, not consistent
   *   orbit 2 (label 2): 1, 1   → 0 correct, consistent (consistently wrong)
   * Row (5, 5, 1) ties: the first maximum (0) counts. */
  const float z[] = {
    0, 3, 1,   -1, 2, 0,
    5, 5, 1,   0, 1, 4,
    0, 9, 8,   2, 3, 1,
  };
  const uint8_t labels[] = { 1, 0, 2 };
  g_assert_cmpfloat_with_epsilon (inv_metric_orbit_accuracy (z, labels, 3, 2, 3), 3.0 / 6.0, EPS);
  g_assert_cmpfloat_with_epsilon (inv_metric_orbit_consistency (z, 3, 2, 3), 2.0 / 3.0, EPS);
  g_assert_cmpuint (inv_argmax (z + 6, 3), ==, 0);
}

static void
test_offset_invariance (void)
{
  /* A different constant added to every row changes neither the softmax nor
   * the centred logits, so PDI and LI stay; IE sees it. */
  enum { N = 4, G = 8, K = 10 };
  float z[N * G * K], zo[N * G * K], off[N * G];
  fill_uniform (z, N * G * K, -2, 2, 3);
  fill_uniform (off, N * G, -20, 20, 4);
  for (size_t r = 0; r < N * G; r++)
    for (size_t k = 0; k < K; k++)
      zo[r * K + k] = z[r * K + k] + off[r];
  double pdi = inv_metric_pdi (z, N, G, K), li = inv_metric_logit_invariance (z, N, G, K);
  g_assert_cmpfloat (pdi, <, 0.99);
  g_assert_cmpfloat (li, <, 0.99);
  g_assert_cmpfloat_with_epsilon (inv_metric_pdi (zo, N, G, K), pdi, 1e-5);
  g_assert_cmpfloat_with_epsilon (inv_metric_logit_invariance (zo, N, G, K), li, 1e-5);
  g_assert_cmpfloat (inv_metric_invariance_error (zo, N, G, K), >,
                     inv_metric_invariance_error (z, N, G, K) + 1.0);
}

static void
test_empty (void)
{
  const float z[] = { 0 };
  g_assert_true (isnan (inv_metric_pdi (z, 0, 4, 10)));
  g_assert_true (isnan (inv_metric_logit_invariance (z, 0, 4, 10)));
  g_assert_true (isnan (inv_metric_sis (z, 0, 4, 10)));
  /* G = 1: nothing to compare, everything invariant. */
  const float z1[] = { 1, 2 };
  g_assert_cmpfloat_with_epsilon (inv_metric_pdi (z1, 1, 1, 2), 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (inv_metric_sis (z1, 1, 1, 2), 1.0, EPS);
}

static void
test_table_json (void)
{
  const InvMetricInfo *t = inv_metric_infos ();
  guint all = 0;
  for (size_t i = 0; i < INV_N_METRICS; i++)
    {
      g_assert_true (inv_metric_info_find (t[i].name) == &t[i]);
      g_assert_true (inv_metric_info_find (t[i].abbrev) == &t[i]);
      g_assert_cmpuint (all & t[i].flag, ==, 0);
      all |= t[i].flag;
    }
  g_assert_cmpuint (all, ==, INV_METRIC_ALL);
  g_assert_null (inv_metric_info_find ("nonsense"));

  InvMetrics r;
  inv_metrics_init (&r);
  r.n_images = 7;
  r.group_order = 4;
  r.orbit_accuracy = 0.25;
  r.pdi = 0.5;
  r.logit_invariance = 0.125;
  r.sis = 1;
  r.invariance_error = 3.5;
  r.sensitivity = 1e-3;
  g_assert_cmpfloat (inv_metric_info_find ("PDI")->get (&r), ==, 0.5);

  g_autoptr (GString) s = g_string_new (NULL);
  inv_metrics_to_json (&r, s);
  g_autoptr (GError) error = NULL;
  g_autoptr (InvJson) j = inv_json_parse (s->str, s->len, &error);
  g_assert_no_error (error);
  g_assert_cmpint (j->type, ==, INV_JSON_OBJECT);
  g_assert_cmpuint (j->n, ==, INV_N_METRICS + 2);
  g_assert_cmpfloat (inv_json_get (j, "n_images")->number, ==, 7);
  g_assert_cmpfloat (inv_json_get (j, "group_order")->number, ==, 4);
  for (size_t i = 0; i < INV_N_METRICS; i++)
    {
      const InvJson *v = inv_json_get (j, t[i].name);
      g_assert_nonnull (v);
      double want = t[i].get (&r);
      if (isnan (want))
        g_assert_cmpint (v->type, ==, INV_JSON_NULL);
      else
        g_assert_cmpfloat_with_epsilon (v->number, want, 1e-12);
    }
}

/* ---- the evaluator on models ---- */

#define HW 28
#define NPIX (HW * HW)
#define NCLS 10

typedef struct {
  InvSplit split;
  uint8_t *images;
  uint8_t *labels;
} RandomSplit;

static void
random_split_init (RandomSplit *rs, size_t n, uint64_t seed)
{
  InvRng r;
  inv_rng_init (&r, seed);
  rs->images = g_new (uint8_t, n * NPIX);
  rs->labels = g_new (uint8_t, n);
  for (size_t i = 0; i < n * NPIX; i++)
    rs->images[i] = (uint8_t) inv_rng_below (&r, 256);
  for (size_t i = 0; i < n; i++)
    rs->labels[i] = (uint8_t) inv_rng_below (&r, NCLS);
  rs->split.n = n;
  rs->split.images = rs->images;
  rs->split.labels = rs->labels;
}

static void
random_split_clear (RandomSplit *rs)
{
  g_free (rs->images);
  g_free (rs->labels);
}

static InvModel *
make_model (InvModelKind kind, const char *group, uint64_t seed)
{
  g_autoptr (GError) error = NULL;
  InvModel *m = inv_model_new (kind, group, HW, HW, NCLS, NULL, seed, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  /* A realistic standardization: black pixels are not 0 inside the model. */
  m->mean = 0.2f;
  m->std = 0.3f;
  return m;
}

/* Digits if the generator works, else NULL (random images are used then). */
static InvDataset *
digits_or_null (void)
{
  g_autoptr (GError) error = NULL;
  InvDataset *ds = inv_dataset_digits (7, 40, 12, &error);
  if (ds == NULL)
    g_test_message ("digits unavailable: %s", error ? error->message : "?");
  return ds;
}

static void
check_exactly_invariant (InvModel *m, const InvSplit *split, size_t limit,
                         const InvShiftList *shifts, double sis_tol)
{
  InvEvalOptions opt;
  inv_eval_options_init (&opt);
  opt.limit = limit;
  opt.batch = 5;   /* several batches, the last one partial */
  opt.shifts = shifts;
  InvMetrics r;
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_evaluate (m, split, &opt, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.n_images, ==, MIN (limit, split->n));
  g_assert_cmpuint (r.group_order, ==, m->group->order);
  g_test_message ("pdi %.9f li %.9f sis %.9f ie %.3g", r.pdi, r.logit_invariance, r.sis,
                  r.invariance_error);
  g_assert_cmpfloat_with_epsilon (r.pdi, 1.0, 1e-4);
  g_assert_cmpfloat_with_epsilon (r.logit_invariance, 1.0, 1e-4);
  g_assert_cmpfloat_with_epsilon (r.sis, 1.0, sis_tol);
  g_assert_cmpfloat_with_epsilon (r.invariance_error, 0.0, 1e-6);
  g_assert_cmpfloat (r.orbit_consistency, ==, 1.0);
  g_assert_true (r.sensitivity > 0 && isfinite (r.sensitivity));
  g_assert_true (r.orbit_accuracy >= 0 && r.orbit_accuracy <= 1);
}

static void
test_eval_tied (void)
{
  static const struct { InvModelKind kind; const char *group; } cases[] = {
    { INV_MODEL_TIED_MLP, "c4" },
    { INV_MODEL_GCNN, "c4" },
    { INV_MODEL_GCNN, "d4" },
  };
  RandomSplit rs;
  random_split_init (&rs, 12, 11);
  g_autoptr (InvDataset) ds = digits_or_null ();
  for (size_t c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_test_message ("%s %s", inv_model_kind_name (cases[c].kind), cases[c].group);
      g_autoptr (InvModel) m = make_model (cases[c].kind, cases[c].group, 100 + c);
      g_test_message ("random images");
      check_exactly_invariant (m, &rs.split, 12, NULL, 1e-4);
      g_test_message ("digits");
      if (ds)
        check_exactly_invariant (m, &ds->test, 12, NULL, 1e-4);
    }
  random_split_clear (&rs);
}

static void
test_eval_tied_shifted (void)
{
  /* Shifts before the orbit keep exact invariance (blur: near-tied pools
   * may round differently per orientation, DESIGN.md allows 2e-3). */
  g_autoptr (InvDataset) ds = digits_or_null ();
  RandomSplit rs;
  random_split_init (&rs, 8, 12);
  const InvSplit *split = ds ? &ds->test : &rs.split;
  InvShiftList shifts;
  inv_shift_list_init (&shifts, 5);
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_shift_list_parse (&shifts, "noise=0.3,blur=0.4", &error));
  g_assert_no_error (error);
  g_autoptr (InvModel) t = make_model (INV_MODEL_TIED_MLP, "c4", 21);
  check_exactly_invariant (t, split, 8, &shifts, 1e-4);
  g_autoptr (InvModel) gc = make_model (INV_MODEL_GCNN, "c4", 22);
  check_exactly_invariant (gc, split, 8, &shifts, 2e-3);
  random_split_clear (&rs);
}

/* The evaluator against direct computation: logits of every orbit by
 * separate forwards, the saliency orbit helper, the array metrics. */
static void
test_eval_mlp_direct (void)
{
  enum { N = 7 };
  RandomSplit rs;
  random_split_init (&rs, N, 13);
  g_autoptr (InvModel) m = make_model (INV_MODEL_MLP, "c4", 31);
  const InvGroup *grp = m->group;
  const size_t G = grp->order;
  g_autoptr (GError) error = NULL;

  InvShiftList shifts;
  inv_shift_list_init (&shifts, 9);
  g_assert_true (inv_shift_list_parse (&shifts, "contrast=0.5,noise=0.2", &error));

  g_autofree float *x = g_new (float, NPIX);
  g_autofree float *xs = g_new (float, NPIX);
  g_autofree float *orbit = g_new (float, G * NPIX);
  g_autofree float *logits = g_new (float, N * G * NCLS);
  g_autofree float *maps = g_new (float, N * G * NPIX);
  for (size_t i = 0; i < N; i++)
    {
      inv_split_get_image (&rs.split, HW, HW, i, x);
      g_assert_true (inv_shift_apply (&shifts, i, xs, x, HW, HW, &error));
      inv_group_orbit (grp, orbit, xs);
      for (size_t g = 0; g < G; g++)   /* one image per forward */
        g_assert_true (inv_model_forward (m, logits + (i * G + g) * NCLS,
                                          orbit + g * NPIX, 1, &error));
      g_autoptr (InvSaliencyOrbit) o =
        inv_saliency_orbit (m, NULL, NULL, xs, rs.labels[i], TRUE, &error);
      g_assert_no_error (error);
      memcpy (maps + i * G * NPIX, o->maps, G * NPIX * sizeof (float));
    }

  InvEvalOptions opt;
  inv_eval_options_init (&opt);
  opt.batch = 3;
  opt.shifts = &shifts;
  opt.which = INV_METRIC_ALL & ~(guint) INV_METRIC_SENSITIVITY;
  InvMetrics r;
  g_assert_true (inv_evaluate (m, &rs.split, &opt, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.n_images, ==, N);
  g_assert_true (isnan (r.sensitivity));
  g_assert_cmpfloat_with_epsilon (r.orbit_accuracy,
                                  inv_metric_orbit_accuracy (logits, rs.labels, N, G, NCLS), 1e-12);
  g_assert_cmpfloat_with_epsilon (r.orbit_consistency,
                                  inv_metric_orbit_consistency (logits, N, G, NCLS), 1e-12);
  g_assert_cmpfloat_with_epsilon (r.pdi, inv_metric_pdi (logits, N, G, NCLS), 1e-5);
  g_assert_cmpfloat_with_epsilon (r.logit_invariance,
                                  inv_metric_logit_invariance (logits, N, G, NCLS), 1e-5);
  g_assert_cmpfloat_with_epsilon (r.invariance_error,
                                  inv_metric_invariance_error (logits, N, G, NCLS), 1e-4);
  g_assert_cmpfloat_with_epsilon (r.sis, inv_metric_sis (maps, N, G, NPIX), 1e-5);

  /* An untrained mlp is not invariant. */
  g_test_message ("mlp: pdi %g li %g sis %g ie %g", r.pdi, r.logit_invariance, r.sis,
                  r.invariance_error);
  g_assert_cmpfloat (r.logit_invariance, <, 0.9);
  g_assert_cmpfloat (r.sis, <, 0.9);
  g_assert_cmpfloat (r.invariance_error, >, 1e-3);

  /* Batching does not change anything. */
  opt.batch = 32;
  InvMetrics r2;
  g_assert_true (inv_evaluate (m, &rs.split, &opt, &r2, &error));
  g_assert_cmpfloat_with_epsilon (r2.logit_invariance, r.logit_invariance, 1e-6);
  g_assert_cmpfloat_with_epsilon (r2.sis, r.sis, 1e-6);
  random_split_clear (&rs);
}

static void
test_eval_sensitivity (void)
{
  RandomSplit rs;
  random_split_init (&rs, 4, 14);
  g_autoptr (InvModel) m = make_model (INV_MODEL_MLP, "c4", 41);
  g_autoptr (GError) error = NULL;
  const uint64_t seed = 77;

  InvEvalOptions opt;
  inv_eval_options_init (&opt);
  opt.which = INV_METRIC_SENSITIVITY;
  opt.seed = seed;
  opt.limit = 1;
  InvMetrics r;
  g_assert_true (inv_evaluate (m, &rs.split, &opt, &r, &error));
  g_assert_no_error (error);
  g_assert_true (isnan (r.pdi) && isnan (r.sis));

  /* Direct: δ from the image's own stream, two separate forwards. */
  float x[NPIX], xd[NPIX], z0[NCLS], z1[NCLS];
  inv_split_get_image (&rs.split, HW, HW, 0, x);
  InvRng rng;
  inv_rng_init_stream (&rng, seed, INV_SENSITIVITY_STREAM, 0);
  double dd = 0;
  for (size_t p = 0; p < NPIX; p++)
    {
      double d = INV_SENSITIVITY_SIGMA * inv_rng_normal (&rng);
      xd[p] = x[p] + (float) d;
      dd += d * d;
    }
  g_assert_true (inv_model_forward (m, z0, x, 1, &error));
  g_assert_true (inv_model_forward (m, z1, xd, 1, &error));
  double ss = 0;
  for (size_t k = 0; k < NCLS; k++)
    ss += ((double) z1[k] - z0[k]) * ((double) z1[k] - z0[k]);
  double want = sqrt (ss) / sqrt (dd);
  g_test_message ("sensitivity %g, direct %g", r.sensitivity, want);
  g_assert_cmpfloat (want, >, 0);
  g_assert_cmpfloat_with_epsilon (r.sensitivity, want, 1e-3 * want);

  /* Four images in one batch: image i draws stream i, whatever its batch. */
  double sum = 0;
  opt.limit = 4;
  g_assert_true (inv_evaluate (m, &rs.split, &opt, &r, &error));
  for (size_t i = 0; i < 4; i++)
    {
      inv_split_get_image (&rs.split, HW, HW, i, x);
      inv_rng_init_stream (&rng, seed, INV_SENSITIVITY_STREAM, i);
      dd = 0;
      for (size_t p = 0; p < NPIX; p++)
        {
          double d = INV_SENSITIVITY_SIGMA * inv_rng_normal (&rng);
          xd[p] = x[p] + (float) d;
          dd += d * d;
        }
      g_assert_true (inv_model_forward (m, z0, x, 1, &error));
      g_assert_true (inv_model_forward (m, z1, xd, 1, &error));
      ss = 0;
      for (size_t k = 0; k < NCLS; k++)
        ss += ((double) z1[k] - z0[k]) * ((double) z1[k] - z0[k]);
      sum += sqrt (ss) / sqrt (dd);
    }
  g_assert_cmpfloat_with_epsilon (r.sensitivity, sum / 4, 1e-3 * sum / 4);
  random_split_clear (&rs);
}

static void
test_eval_options (void)
{
  RandomSplit rs;
  random_split_init (&rs, 6, 15);
  g_autoptr (InvModel) m = make_model (INV_MODEL_CNN, "c4", 51);
  g_autoptr (GError) error = NULL;
  InvEvalOptions opt;
  inv_eval_options_init (&opt);

  /* Only the cheap metrics; the rest stay NaN; cnn has no energy. */
  opt.which = INV_METRIC_PDI | INV_METRIC_NONINVARIANT_ENERGY;
  InvMetrics r;
  g_assert_true (inv_evaluate (m, &rs.split, &opt, &r, &error));
  g_assert_no_error (error);
  g_assert_true (isfinite (r.pdi));
  g_assert_cmpuint (r.computed, ==, INV_METRIC_PDI);
  g_assert_true (isnan (r.logit_invariance) && isnan (r.sis) && isnan (r.sensitivity)
                 && isnan (r.noninvariant_energy) && isnan (r.orbit_accuracy));

  /* Another group than the model's. */
  g_autoptr (InvGroup) flip = inv_group_new ("flip", HW, HW, &error);
  opt.which = INV_METRIC_ALL;
  opt.group = flip;
  g_assert_true (inv_evaluate (m, &rs.split, &opt, &r, &error));
  g_assert_cmpuint (r.group_order, ==, 2);

  /* A group on other sizes is refused. */
  g_autoptr (InvGroup) small = inv_group_new ("c4", 8, 8, &error);
  opt.group = small;
  g_assert_false (inv_evaluate (m, &rs.split, &opt, &r, &error));
  g_assert_error (error, INV_METRICS_ERROR, INV_METRICS_ERROR_ARGS);
  g_clear_error (&error);
  opt.group = NULL;

  /* Labels beyond K are refused. */
  rs.labels[2] = NCLS;
  g_assert_false (inv_evaluate (m, &rs.split, &opt, &r, &error));
  g_assert_error (error, INV_METRICS_ERROR, INV_METRICS_ERROR_ARGS);
  g_assert_true (isnan (r.pdi));
  g_clear_error (&error);
  rs.labels[2] = 0;

  /* Cancelled before the first batch. */
  g_autoptr (GCancellable) c = g_cancellable_new ();
  g_cancellable_cancel (c);
  opt.cancellable = c;
  g_assert_false (inv_evaluate (m, &rs.split, &opt, &r, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* SIS on the predicted class differs from SIS on the label in general,
   * and equals it when the labels are the predictions. */
  opt.cancellable = NULL;
  opt.which = INV_METRIC_SIS;
  opt.sis_predicted = TRUE;
  InvMetrics rp;
  g_assert_true (inv_evaluate (m, &rs.split, &opt, &rp, &error));
  float x[NPIX], z[NCLS];
  for (size_t i = 0; i < rs.split.n; i++)
    {
      inv_split_get_image (&rs.split, HW, HW, i, x);
      g_assert_true (inv_model_forward (m, z, x, 1, &error));
      rs.labels[i] = (uint8_t) inv_argmax (z, NCLS);
    }
  opt.sis_predicted = FALSE;
  g_assert_true (inv_evaluate (m, &rs.split, &opt, &r, &error));
  g_assert_cmpfloat_with_epsilon (r.sis, rp.sis, 1e-9);
  random_split_clear (&rs);
}

static void
test_eval_energy (void)
{
  /* The fraction over the (shifted) base images: 0 for tied-mlp; for an mlp
   * the spectrum code's value on the same images, standardized here. */
  enum { N = 9 };
  RandomSplit rs;
  random_split_init (&rs, N, 16);
  g_autoptr (GError) error = NULL;
  InvShiftList shifts;
  inv_shift_list_init (&shifts, 3);
  g_assert_true (inv_shift_list_parse (&shifts, "invert=0.3", &error));
  InvEvalOptions opt;
  inv_eval_options_init (&opt);
  opt.which = INV_METRIC_NONINVARIANT_ENERGY;
  opt.shifts = &shifts;
  opt.batch = 4;
  InvMetrics r;

  g_autoptr (InvModel) t = make_model (INV_MODEL_TIED_MLP, "c4", 61);
  g_assert_true (inv_evaluate (t, &rs.split, &opt, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (r.noninvariant_energy, 0.0, 1e-4);

  g_autoptr (InvModel) m = make_model (INV_MODEL_MLP, "c4", 62);
  g_assert_true (inv_evaluate (m, &rs.split, &opt, &r, &error));
  g_assert_no_error (error);
  g_autofree float *px = g_new (float, N * NPIX);
  g_autofree float *xs = g_new (float, N * NPIX);
  float x[NPIX];
  for (size_t i = 0; i < N; i++)
    {
      inv_split_get_image (&rs.split, HW, HW, i, x);
      g_assert_true (inv_shift_apply (&shifts, i, px + i * NPIX, x, HW, HW, &error));
    }
  double want = NAN;
  g_assert_true (inv_spectrum_model_energy (&want, m, px, N, &error));
  g_assert_cmpfloat (want, >, 0.1);
  g_assert_cmpfloat_with_epsilon (r.noninvariant_energy, want, 1e-9);

  /* Another group: the spectrum module's array function with that group. */
  g_autoptr (InvGroup) flip = inv_group_new ("flip", HW, HW, &error);
  opt.group = flip;
  g_assert_true (inv_evaluate (m, &rs.split, &opt, &r, &error));
  g_assert_no_error (error);
  size_t rows, cols;
  g_autofree float *w = inv_model_first_layer (m, &rows, &cols);
  for (size_t i = 0; i < N * NPIX; i++)
    xs[i] = (px[i] - m->mean) / m->std;
  g_assert_true (inv_spectrum_noninvariant_energy (&want, w, rows, cols, xs, N, flip, &error));
  g_assert_cmpfloat_with_epsilon (r.noninvariant_energy, want, 1e-6);
  random_split_clear (&rs);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/identical-orbit", test_identical_orbit);
  g_test_add_func ("/metrics/jsd-disjoint", test_jsd_disjoint);
  g_test_add_func ("/metrics/jsd-known", test_jsd_known);
  g_test_add_func ("/metrics/li-known", test_li_known);
  g_test_add_func ("/metrics/li-zero-denominator", test_li_zero_denominator);
  g_test_add_func ("/metrics/ie-known", test_ie_known);
  g_test_add_func ("/metrics/sis-cases", test_sis_cases);
  g_test_add_func ("/metrics/accuracy-table", test_accuracy_table);
  g_test_add_func ("/metrics/offset-invariance", test_offset_invariance);
  g_test_add_func ("/metrics/empty", test_empty);
  g_test_add_func ("/metrics/table-json", test_table_json);
  g_test_add_func ("/metrics/eval-tied", test_eval_tied);
  g_test_add_func ("/metrics/eval-tied-shifted", test_eval_tied_shifted);
  g_test_add_func ("/metrics/eval-mlp-direct", test_eval_mlp_direct);
  g_test_add_func ("/metrics/eval-sensitivity", test_eval_sensitivity);
  g_test_add_func ("/metrics/eval-options", test_eval_options);
  g_test_add_func ("/metrics/eval-energy", test_eval_energy);
  return g_test_run ();
}
