/* Tests of the saliency maps: gradients against central differences of the
 * logit, gradient×input, Integrated Gradients' completeness, SmoothGrad's
 * seeding and definition, aligned maps of weight-tied models over the whole
 * orbit, and batched against one-at-a-time results. */
#include <math.h>
#include <string.h>
#include "dataset.h"
#include "metrics.h"
#include "model.h"
#include "rng.h"
#include "saliency.h"

#define HW 28
#define NPIX (HW * HW)
#define NCLS 10

static void
fill_uniform (float *x, size_t n, double lo, double hi, uint64_t seed)
{
  InvRng r;
  inv_rng_init (&r, seed);
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (lo + (hi - lo) * inv_rng_uniform (&r));
}

static InvModel *
make_model (InvModelKind kind, const char *group, uint64_t seed)
{
  g_autoptr (GError) error = NULL;
  InvModel *m = inv_model_new (kind, group, HW, HW, NCLS, NULL, seed, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  /* A realistic standardization, so the chain rule through it is tested. */
  m->mean = 0.3f;
  m->std = 0.35f;
  return m;
}

static double
logit (InvModel *m, const float *x, size_t c)
{
  float z[NCLS];
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_model_forward (m, z, x, 1, &error));
  return z[c];
}

static double
max_abs (const float *a, size_t n)
{
  double mx = 0;
  for (size_t i = 0; i < n; i++)
    mx = MAX (mx, fabs ((double) a[i]));
  return mx;
}

static void
gradient_of (InvModel *m, float *map, const float *x, size_t c)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_saliency_compute (m, NULL, map, x, &c, 1, &error));
  g_assert_no_error (error);
}

static const struct {
  InvModelKind kind;
  const char *group;
} all_kinds[] = {
  { INV_MODEL_MLP, "c4" },
  { INV_MODEL_CNN, "c4" },
  { INV_MODEL_TIED_MLP, "c4" },
  { INV_MODEL_GCNN, "c4" },
};

static void
test_gradient_fd (void)
{
  float x[NPIX], map[NPIX], xp[NPIX], xm[NPIX], v[NPIX];
  fill_uniform (x, NPIX, 0.1, 0.9, 1);
  for (size_t k = 0; k < G_N_ELEMENTS (all_kinds); k++)
    {
      g_test_message ("%s", inv_model_kind_name (all_kinds[k].kind));
      g_autoptr (InvModel) m = make_model (all_kinds[k].kind, all_kinds[k].group, 10 + k);
      const size_t c = 3;
      gradient_of (m, map, x, c);
      const double scale = max_abs (map, NPIX);
      g_assert_cmpfloat (scale, >, 0);

      /* Single pixels (mlp and cnn). The networks are piecewise linear in
       * x, so where the forward and backward differences agree no kink lies
       * within ±h and both equal the gradient up to float rounding; where
       * they disagree a ReLU or max-pool switch is in reach: skip that pixel. */
      if (all_kinds[k].kind == INV_MODEL_MLP || all_kinds[k].kind == INV_MODEL_CNN)
        {
          InvRng r;
          inv_rng_init (&r, 100 + k);
          int checked = 0;
          for (int t = 0; t < 32; t++)
            {
              size_t p = inv_rng_below (&r, NPIX);
              const float h = 2e-3f;
              memcpy (xp, x, sizeof x);
              memcpy (xm, x, sizeof x);
              xp[p] += h;
              xm[p] -= h;
              double f0 = logit (m, x, c), fp = logit (m, xp, c), fm = logit (m, xm, c);
              double fwd = (fp - f0) / (double) (xp[p] - x[p]);
              double bwd = (f0 - fm) / (double) (x[p] - xm[p]);
              double tol = 2e-3 * scale + 2e-2 * fabs (map[p]);
              if (fabs (fwd - bwd) > tol)
                continue;
              checked++;
              double fd = (fp - fm) / (double) (xp[p] - xm[p]);
              g_assert_cmpfloat (fabs (fd - map[p]), <=, tol);
            }
          g_test_message ("%d of 32 pixels away from kinks", checked);
          g_assert_cmpint (checked, >=, 20);
        }

      /* Directional derivatives along random unit directions. */
      for (int t = 0; t < 3; t++)
        {
          InvRng r;
          inv_rng_init (&r, 200 + 10 * k + t);
          double vv = 0, gv = 0;
          for (size_t p = 0; p < NPIX; p++)
            {
              v[p] = (float) inv_rng_normal (&r);
              vv += (double) v[p] * v[p];
            }
          for (size_t p = 0; p < NPIX; p++)
            v[p] = (float) (v[p] / sqrt (vv));
          const double h = 1e-2;
          for (size_t p = 0; p < NPIX; p++)
            {
              xp[p] = (float) (x[p] + h * v[p]);
              xm[p] = (float) (x[p] - h * v[p]);
              gv += (double) map[p] * v[p];
            }
          double fd = (logit (m, xp, c) - logit (m, xm, c)) / (2 * h);
          double gnorm = 0;
          for (size_t p = 0; p < NPIX; p++)
            gnorm += (double) map[p] * map[p];
          g_assert_cmpfloat (fabs (fd - gv), <=, 2e-2 * sqrt (gnorm));
        }
    }
}

static void
test_gradient_input (void)
{
  float x[NPIX], g[NPIX], gi[NPIX];
  fill_uniform (x, NPIX, 0, 1, 2);
  g_autoptr (InvModel) m = make_model (INV_MODEL_CNN, "c4", 20);
  InvSaliencyOptions opt;
  inv_saliency_options_init (&opt);
  opt.method = INV_SALIENCY_GRADIENT_INPUT;
  size_t c = 7;
  g_autoptr (GError) error = NULL;
  gradient_of (m, g, x, c);
  g_assert_true (inv_saliency_compute (m, &opt, gi, x, &c, 1, &error));
  g_assert_no_error (error);
  for (size_t p = 0; p < NPIX; p++)
    g_assert_cmpfloat_with_epsilon (gi[p], g[p] * x[p], 1e-6 * fabs (g[p]) + 1e-12);
}

static void
test_ig_completeness (void)
{
  float x[NPIX], zero[NPIX] = { 0 }, ig[NPIX];
  float zx[NCLS], z0[NCLS];
  fill_uniform (x, NPIX, 0, 1, 3);
  static const InvIgRule rules[] = { INV_IG_MIDPOINT, INV_IG_TRAPEZOID };
  for (size_t k = 0; k < G_N_ELEMENTS (all_kinds); k++)
    {
      g_autoptr (InvModel) m = make_model (all_kinds[k].kind, all_kinds[k].group, 30 + k);
      g_autoptr (GError) error = NULL;
      g_assert_true (inv_model_forward (m, zx, x, 1, &error));
      g_assert_true (inv_model_forward (m, z0, zero, 1, &error));
      /* The class whose logit moves most along the path. */
      size_t c = 0;
      for (size_t j = 1; j < NCLS; j++)
        if (fabs (zx[j] - z0[j]) > fabs (zx[c] - z0[c]))
          c = j;
      double want = (double) zx[c] - z0[c];
      for (size_t r = 0; r < G_N_ELEMENTS (rules); r++)
        {
          InvSaliencyOptions opt;
          inv_saliency_options_init (&opt);
          opt.method = INV_SALIENCY_INTEGRATED;
          opt.steps = 128;
          opt.rule = rules[r];
          g_assert_true (inv_saliency_compute (m, &opt, ig, x, &c, 1, &error));
          g_assert_no_error (error);
          double sum = 0;
          for (size_t p = 0; p < NPIX; p++)
            sum += ig[p];
          g_test_message ("%s rule %d: sum IG %g, z_c(x) - z_c(0) %g",
                          inv_model_kind_name (all_kinds[k].kind), (int) rules[r], sum, want);
          g_assert_cmpfloat (fabs (want), >, 1e-3);
          g_assert_cmpfloat (fabs (sum - want), <=, 0.03 * fabs (want));
        }
    }
}

static void
test_smoothgrad (void)
{
  float x[NPIX], a[NPIX], b[NPIX], g[NPIX], noisy[NPIX];
  double acc[NPIX] = { 0 };
  fill_uniform (x, NPIX, 0, 1, 4);
  g_autoptr (InvModel) m = make_model (INV_MODEL_MLP, "c4", 40);
  g_autoptr (GError) error = NULL;
  InvSaliencyOptions opt;
  inv_saliency_options_init (&opt);
  opt.method = INV_SALIENCY_SMOOTHGRAD;
  opt.samples = 6;
  opt.sigma = 0.2;
  opt.seed = 99;
  size_t c = 1;
  g_assert_true (inv_saliency_compute (m, &opt, a, x, &c, 1, &error));
  g_assert_true (inv_saliency_compute (m, &opt, b, x, &c, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);

  /* The definition: the mean of gradients at x + σ ε_s, ε_s from stream s. */
  for (size_t s = 0; s < opt.samples; s++)
    {
      InvRng r;
      inv_rng_init_stream (&r, opt.seed, INV_SALIENCY_STREAM, s);
      for (size_t p = 0; p < NPIX; p++)
        noisy[p] = x[p] + (float) (opt.sigma * inv_rng_normal (&r));
      gradient_of (m, g, noisy, c);
      for (size_t p = 0; p < NPIX; p++)
        acc[p] += g[p] / (double) opt.samples;
    }
  double scale = max_abs (a, NPIX);
  for (size_t p = 0; p < NPIX; p++)
    g_assert_cmpfloat_with_epsilon (a[p], acc[p], 1e-5 * scale);

  /* Another seed, other noise, another map. */
  opt.seed = 100;
  g_assert_true (inv_saliency_compute (m, &opt, b, x, &c, 1, &error));
  g_assert_true (memcmp (a, b, sizeof a) != 0);

  /* No noise, one sample: the gradient. */
  opt.samples = 1;
  opt.sigma = 0;
  g_assert_true (inv_saliency_compute (m, &opt, b, x, &c, 1, &error));
  gradient_of (m, g, x, c);
  for (size_t p = 0; p < NPIX; p++)
    g_assert_cmpfloat_with_epsilon (b[p], g[p], 1e-6 * scale);
}

/* Digits test images if the generator works, else random ones: (n, NPIX). */
static float *
test_images (size_t n)
{
  float *x = g_new (float, n * NPIX);
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) ds = inv_dataset_digits (3, 20, n, &error);
  if (ds && ds->h == HW && ds->w == HW)
    for (size_t i = 0; i < n; i++)
      inv_split_get_image (&ds->test, HW, HW, i, x + i * NPIX);
  else
    fill_uniform (x, n * NPIX, 0, 1, 5);
  return x;
}

static void
test_orbit_aligned (void)
{
  static const struct { InvModelKind kind; const char *group; } cases[] = {
    { INV_MODEL_TIED_MLP, "c4" },
    { INV_MODEL_TIED_MLP, "d4" },
    { INV_MODEL_GCNN, "c4" },
    { INV_MODEL_GCNN, "d4" },
  };
  g_autofree float *x = test_images (3);
  for (size_t k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr (InvModel) m = make_model (cases[k].kind, cases[k].group, 50 + k);
      g_test_message ("%s %s", inv_model_kind_name (cases[k].kind), cases[k].group);
      for (size_t i = 0; i < 3; i++)
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (InvSaliencyOrbit) o =
            inv_saliency_orbit (m, NULL, NULL, x + i * NPIX, INV_SALIENCY_PREDICTED, TRUE,
                                &error);
          g_assert_no_error (error);
          g_assert_cmpuint (o->G, ==, m->group->order);
          g_assert_cmpuint (o->cls, ==, o->pred[0]);
          for (size_t g = 1; g < o->G; g++)
            {
              double cs = inv_cosine (o->maps, o->maps + g * NPIX, NPIX);
              if (cs <= 0.9999)
                g_test_message ("image %zu element %zu: cos %.9f", i, g, cs);
              g_assert_cmpfloat (cs, >, 0.9999);
              g_assert_cmpuint (o->pred[g], ==, o->pred[0]);
              for (size_t j = 0; j < NCLS; j++)
                g_assert_cmpfloat_with_epsilon (o->probs[g * NCLS + j], o->probs[j], 1e-5);
            }
        }
    }
}

static void
test_orbit_contents (void)
{
  /* An mlp: unaligned maps are the saliency of each orbit image; aligned
   * ones are those moved back by g⁻¹; probabilities are the softmax. */
  g_autofree float *x = test_images (1);
  g_autoptr (InvModel) m = make_model (INV_MODEL_MLP, "d4", 60);
  g_autoptr (GError) error = NULL;
  const size_t c = 4;
  g_autoptr (InvSaliencyOrbit) u = inv_saliency_orbit (m, NULL, NULL, x, c, FALSE, &error);
  g_autoptr (InvSaliencyOrbit) a = inv_saliency_orbit (m, NULL, NULL, x, c, TRUE, &error);
  g_assert_no_error (error);
  const InvGroup *grp = m->group;
  float img[NPIX], map[NPIX], back[NPIX];
  double min_cos = 1;
  for (size_t g = 0; g < grp->order; g++)
    {
      inv_group_apply (grp, g, img, x);
      g_assert_cmpmem (img, sizeof img, u->images + g * NPIX, sizeof img);
      gradient_of (m, map, img, c);
      double scale = max_abs (map, NPIX);
      for (size_t p = 0; p < NPIX; p++)
        g_assert_cmpfloat_with_epsilon (u->maps[g * NPIX + p], map[p], 1e-5 * scale);
      inv_group_apply (grp, grp->inverse[g], back, u->maps + g * NPIX);
      g_assert_cmpmem (back, sizeof back, a->maps + g * NPIX, sizeof back);
      double sum = 0;
      for (size_t j = 0; j < NCLS; j++)
        sum += u->probs[g * NCLS + j];
      g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-5);
      g_assert_cmpuint (u->pred[g], ==, inv_argmax (u->logits + g * NCLS, NCLS));
      g_assert_cmpuint (u->pred[g], ==, inv_argmax (u->probs + g * NCLS, NCLS));
      min_cos = MIN (min_cos, inv_cosine (a->maps, a->maps + g * NPIX, NPIX));
    }
  /* Not invariant: the aligned maps differ. */
  g_assert_cmpfloat (min_cos, <, 0.99);
}

static void
test_batched (void)
{
  enum { B = 5 };
  g_autofree float *x = test_images (B);
  const size_t classes[B] = { 0, 9, INV_SALIENCY_PREDICTED, 3, 3 };
  static const InvSaliencyMethod methods[] = {
    INV_SALIENCY_GRADIENT, INV_SALIENCY_GRADIENT_INPUT, INV_SALIENCY_SMOOTHGRAD,
    INV_SALIENCY_INTEGRATED,
  };
  g_autoptr (InvModel) m = make_model (INV_MODEL_CNN, "c4", 70);
  float maps[B * NPIX], one[NPIX];
  for (size_t t = 0; t < G_N_ELEMENTS (methods); t++)
    {
      InvSaliencyOptions opt;
      inv_saliency_options_init (&opt);
      opt.method = methods[t];
      opt.samples = 7;
      opt.steps = 9;
      opt.rule = INV_IG_TRAPEZOID;
      g_autoptr (GError) error = NULL;
      g_assert_true (inv_saliency_compute (m, &opt, maps, x, classes, B, &error));
      g_assert_no_error (error);
      for (size_t b = 0; b < B; b++)
        {
          g_assert_true (inv_saliency_compute (m, &opt, one, x + b * NPIX, classes + b, 1,
                                               &error));
          double scale = max_abs (one, NPIX);
          g_assert_cmpfloat (scale, >, 0);
          for (size_t p = 0; p < NPIX; p++)
            g_assert_cmpfloat_with_epsilon (maps[b * NPIX + p], one[p], 1e-5 * scale);
        }
    }
  /* More rows than one chunk: B·S = 5·60 > INV_SALIENCY_CHUNK. */
  InvSaliencyOptions opt;
  inv_saliency_options_init (&opt);
  opt.method = INV_SALIENCY_INTEGRATED;
  opt.steps = 60;
  g_assert_cmpuint (B * opt.steps, >, INV_SALIENCY_CHUNK);
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_saliency_compute (m, &opt, maps, x, classes, B, &error));
  for (size_t b = 0; b < B; b++)
    {
      g_assert_true (inv_saliency_compute (m, &opt, one, x + b * NPIX, classes + b, 1, &error));
      double scale = max_abs (one, NPIX);
      for (size_t p = 0; p < NPIX; p++)
        g_assert_cmpfloat_with_epsilon (maps[b * NPIX + p], one[p], 1e-5 * scale);
    }
}

static void
test_names_errors (void)
{
  for (int i = 0; i < INV_SALIENCY_N_METHODS; i++)
    {
      InvSaliencyMethod m;
      g_assert_true (inv_saliency_method_from_name (inv_saliency_method_name (i), &m));
      g_assert_cmpint (m, ==, i);
    }
  InvSaliencyMethod m;
  g_assert_true (inv_saliency_method_from_name ("ig", &m));
  g_assert_cmpint (m, ==, INV_SALIENCY_INTEGRATED);
  g_assert_false (inv_saliency_method_from_name ("lrp", &m));

  g_autoptr (InvModel) model = make_model (INV_MODEL_MLP, "c4", 80);
  float x[NPIX] = { 0 }, map[NPIX];
  size_t c = NCLS;
  g_autoptr (GError) error = NULL;
  g_assert_false (inv_saliency_compute (model, NULL, map, x, &c, 1, &error));
  g_assert_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS);
  g_clear_error (&error);
  g_assert_null (inv_saliency_orbit (model, NULL, NULL, x, NCLS, TRUE, &error));
  g_assert_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS);
  g_clear_error (&error);
  InvSaliencyOptions opt;
  inv_saliency_options_init (&opt);
  opt.method = INV_SALIENCY_INTEGRATED;
  opt.steps = 0;
  c = 0;
  g_assert_false (inv_saliency_compute (model, &opt, map, x, &c, 1, &error));
  g_assert_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS);
  g_clear_error (&error);
  g_autoptr (InvGroup) small = inv_group_new ("c4", 8, 8, &error);
  g_assert_null (inv_saliency_orbit (model, small, NULL, x, 0, TRUE, &error));
  g_assert_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/saliency/gradient-fd", test_gradient_fd);
  g_test_add_func ("/saliency/gradient-input", test_gradient_input);
  g_test_add_func ("/saliency/ig-completeness", test_ig_completeness);
  g_test_add_func ("/saliency/smoothgrad", test_smoothgrad);
  g_test_add_func ("/saliency/orbit-aligned", test_orbit_aligned);
  g_test_add_func ("/saliency/orbit-contents", test_orbit_contents);
  g_test_add_func ("/saliency/batched", test_batched);
  g_test_add_func ("/saliency/names-errors", test_names_errors);
  return g_test_run ();
}
