/* First-layer spectra: singular values of matrices whose values are known in
 * closed form, and the non-invariant energy fraction against an invariant
 * layer (0), single-pixel indicator rows (hand-computed), a naive
 * double-precision reference, scaling, and the model-level wrappers. */
#include "spectrum.h"
#include "rng.h"
#include <math.h>
#include <string.h>

static void
random_fill (float *a, size_t n, uint64_t seed, double scale, double offset)
{
  InvRng r;
  inv_rng_init (&r, seed);
  for (size_t i = 0; i < n; i++)
    a[i] = (float) (offset + scale * inv_rng_normal (&r));
}

static void
sv_ok (double *sv, const float *a, size_t rows, size_t cols)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_spectrum_singular_values (sv, a, rows, cols, &error));
  g_assert_no_error (error);
}

static void
test_diagonal (void)
{
  /* 3×5 and its 5×3 transpose: diagonal (2, −7, 0.5) */
  float a[15] = { 0 }, at[15] = { 0 };
  const float d[3] = { 2.0f, -7.0f, 0.5f };
  for (int i = 0; i < 3; i++)
    {
      a[i * 5 + i] = d[i];
      at[i * 3 + i] = d[i];
    }
  const double want[3] = { 7.0, 2.0, 0.5 };
  double sv[3];
  sv_ok (sv, a, 3, 5);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat_with_epsilon (sv[i], want[i], 1e-5);
  sv_ok (sv, at, 5, 3);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat_with_epsilon (sv[i], want[i], 1e-5);
  /* 1×1 */
  float one = -3.0f;
  sv_ok (sv, &one, 1, 1);
  g_assert_cmpfloat_with_epsilon (sv[0], 3.0, 1e-6);
}

static void
test_rank_one (void)
{
  enum { R = 6, C = 9 };
  float u[R], v[C], a[R * C];
  random_fill (u, R, 1, 1.0, 0.0);
  random_fill (v, C, 2, 1.0, 0.0);
  double nu = 0.0, nv = 0.0;
  for (int i = 0; i < R; i++)
    nu += (double) u[i] * u[i];
  for (int j = 0; j < C; j++)
    nv += (double) v[j] * v[j];
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++)
      a[i * C + j] = u[i] * v[j];
  double sv[R];
  sv_ok (sv, a, R, C);
  g_assert_cmpfloat_with_epsilon (sv[0], sqrt (nu) * sqrt (nv), 1e-5 * sqrt (nu * nv));
  for (int i = 1; i < R; i++)
    g_assert_cmpfloat (sv[i], <, 1e-5);
}

static void
test_two_by_two (void)
{
  /* [[3, 0], [4, 5]]: AᵀA = [[25, 20], [20, 25]], eigenvalues 45 and 5 */
  const float a[4] = { 3, 0, 4, 5 };
  /* [[1, 1], [0, 1]]: the golden ratio and its inverse */
  const float b[4] = { 1, 1, 0, 1 };
  double sv[2];
  sv_ok (sv, a, 2, 2);
  g_assert_cmpfloat_with_epsilon (sv[0], sqrt (45.0), 1e-5);
  g_assert_cmpfloat_with_epsilon (sv[1], sqrt (5.0), 1e-5);
  sv_ok (sv, b, 2, 2);
  double phi = (1.0 + sqrt (5.0)) / 2.0;
  g_assert_cmpfloat_with_epsilon (sv[0], phi, 1e-5);
  g_assert_cmpfloat_with_epsilon (sv[1], 1.0 / phi, 1e-5);
}

static void
test_random_frobenius (void)
{
  /* Σσ² = ‖A‖_F², σ descending and ≥ 0, for wide and tall shapes */
  const size_t shapes[][2] = { { 16, 9 }, { 40, 100 }, { 100, 40 } };
  for (size_t t = 0; t < G_N_ELEMENTS (shapes); t++)
    {
      size_t r = shapes[t][0], c = shapes[t][1], k = MIN (r, c);
      g_autofree float *a = g_new (float, r * c);
      g_autofree double *sv = g_new (double, k);
      random_fill (a, r * c, 10 + t, 0.3, 0.0);
      sv_ok (sv, a, r, c);
      double f2 = 0.0, s2 = 0.0;
      for (size_t i = 0; i < r * c; i++)
        f2 += (double) a[i] * a[i];
      for (size_t i = 0; i < k; i++)
        {
          s2 += sv[i] * sv[i];
          g_assert_cmpfloat (sv[i], >=, 0.0);
          if (i)
            g_assert_cmpfloat (sv[i], <=, sv[i - 1]);
        }
      g_assert_cmpfloat_with_epsilon (s2 / f2, 1.0, 1e-9);
    }
}

static void
test_sv_errors (void)
{
  g_autoptr (GError) error = NULL;
  double sv[2];
  float a[4] = { 1, 2, 3, NAN };
  g_assert_false (inv_spectrum_singular_values (sv, a, 0, 2, &error));
  g_assert_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_SIZE);
  g_clear_error (&error);
  g_assert_false (inv_spectrum_singular_values (sv, a, (size_t) 1 << 40, 2, &error));
  g_assert_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_SIZE);
  g_clear_error (&error);
  g_assert_false (inv_spectrum_singular_values (sv, a, 2, 2, &error));
  g_assert_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_LAPACK);
}

static InvGroup *
group_ok (const char *name, size_t h, size_t w)
{
  g_autoptr (GError) error = NULL;
  InvGroup *grp = inv_group_new (name, h, w, &error);
  g_assert_no_error (error);
  return grp;
}

static double
energy_ok (const float *w, size_t out, size_t n, const float *x, size_t N,
           const InvGroup *grp)
{
  g_autoptr (GError) error = NULL;
  double f = -1.0;
  g_assert_true (inv_spectrum_noninvariant_energy (&f, w, out, n, x, N, grp, &error));
  g_assert_no_error (error);
  return f;
}

/* Naive reference in double: ‖W(I − P)X‖_F / ‖WX‖_F with P applied as
 * written, (Px)[p] = mean over g of x[perm[g*n + p]]. x (N, n). */
static double
energy_reference (const float *w, size_t out, size_t n, const float *x, size_t N,
                  const InvGroup *grp)
{
  double num = 0.0, den = 0.0;
  g_autofree double *d = g_new (double, n);
  for (size_t i = 0; i < N; i++)
    {
      const float *xi = x + i * n;
      for (size_t p = 0; p < n; p++)
        {
          double m = 0.0;
          for (size_t g = 0; g < grp->order; g++)
            m += xi[grp->perm[g * n + p]];
          d[p] = xi[p] - m / grp->order;
        }
      for (size_t o = 0; o < out; o++)
        {
          double a = 0.0, b = 0.0;
          for (size_t p = 0; p < n; p++)
            {
              a += (double) w[o * n + p] * d[p];
              b += (double) w[o * n + p] * xi[p];
            }
          num += a * a;
          den += b * b;
        }
    }
  return den > 0.0 ? sqrt (num / den) : 0.0;
}

static void
test_energy_invariant (void)
{
  const char *groups[] = { "c4", "d4", "flip", "trans" };
  enum { S = 8, NP = S * S, OUT = 12, N = 50 };
  float v[OUT * NP], w[OUT * NP], wf[OUT * NP], x[N * NP];
  random_fill (v, OUT * NP, 3, 0.1, 0.0);
  random_fill (x, N * NP, 4, 1.0, 0.2);
  for (size_t t = 0; t < G_N_ELEMENTS (groups); t++)
    {
      g_autoptr (InvGroup) grp = group_ok (groups[t], S, S);
      /* W = V P. w: each orbit holds one value exactly (the mean over the
       * orbit, assigned to all its pixels); wf: the float average per pixel
       * as a model would compute it, equal only up to rounding. */
      for (size_t o = 0; o < OUT; o++)
        {
          gboolean done[NP] = { 0 };
          for (size_t p = 0; p < NP; p++)
            {
              float acc = 0.0f;
              for (size_t g = 0; g < grp->order; g++)
                acc += v[o * NP + grp->perm[g * NP + p]];
              wf[o * NP + p] = acc / grp->order;
              if (done[p])
                continue;
              double m = 0.0;
              for (size_t g = 0; g < grp->order; g++)
                m += v[o * NP + grp->perm[g * NP + p]];
              for (size_t g = 0; g < grp->order; g++)
                {
                  size_t q = grp->perm[g * NP + p];
                  w[o * NP + q] = (float) (m / grp->order);
                  done[q] = TRUE;
                }
            }
        }
      double e = energy_ok (w, OUT, NP, x, N, grp);
      double ef = energy_ok (wf, OUT, NP, x, N, grp);
      if (g_test_verbose ())
        g_test_message ("%s: exact %g, float %g", groups[t], e, ef);
      g_assert_cmpfloat (e, <, 1e-6);
      g_assert_cmpfloat (ef, <, 1e-6);
      /* but V itself is far from invariant */
      g_assert_cmpfloat (energy_ok (v, OUT, NP, x, N, grp), >, 0.3);
    }
}

static void
test_energy_indicator (void)
{
  /* Rows of W pick single pixels: W(I − P)X row o is (x − Px)[p_o] and WX
   * row o is x[p_o], so the fraction is computed here by hand. */
  enum { S = 6, NP = S * S, N = 30 };
  const size_t pick[] = { 0, 7, 14, 20, 35, 7 };
  enum { OUT = G_N_ELEMENTS (pick) };
  float w[OUT * NP] = { 0 }, x[N * NP];
  for (size_t o = 0; o < OUT; o++)
    w[o * NP + pick[o]] = 1.0f;
  random_fill (x, N * NP, 5, 1.0, -0.3);
  const char *groups[] = { "c4", "d4", "flip", "trans:3" };
  for (size_t t = 0; t < G_N_ELEMENTS (groups); t++)
    {
      g_autoptr (InvGroup) grp = group_ok (groups[t], S, S);
      double num = 0.0, den = 0.0;
      for (size_t i = 0; i < N; i++)
        for (size_t o = 0; o < OUT; o++)
          {
            const float *xi = x + i * NP;
            size_t p = pick[o];
            double m = 0.0;
            for (size_t g = 0; g < grp->order; g++)
              m += xi[grp->perm[g * NP + p]];
            m /= grp->order;
            num += (xi[p] - m) * (xi[p] - m);
            den += (double) xi[p] * xi[p];
          }
      double want = sqrt (num / den);
      double got = energy_ok (w, OUT, NP, x, N, grp);
      g_assert_cmpfloat_with_epsilon (got, want, 1e-5);
      g_assert_cmpfloat (got, >, 0.1);
    }

  /* c4, centre pixel of an odd image is fixed by every rotation: 0 */
  g_autoptr (InvGroup) c4 = group_ok ("c4", 5, 5);
  float wc[25] = { 0 }, xc[3 * 25];
  wc[12] = 2.0f;
  random_fill (xc, 3 * 25, 6, 1.0, 0.0);
  g_assert_cmpfloat (energy_ok (wc, 1, 25, xc, 3, c4), <, 1e-7);
}

static void
test_energy_reference (void)
{
  /* more images than one chunk, random W and X, against the naive double sums */
  enum { S = 8, NP = S * S, OUT = 20, N = 300 };
  g_autofree float *w = g_new (float, OUT * NP);
  g_autofree float *x = g_new (float, N * NP);
  random_fill (w, OUT * NP, 7, 0.2, 0.01);
  random_fill (x, N * NP, 8, 1.0, 0.1);
  const char *groups[] = { "c4", "d4", "flip", "trans", "trans:2" };
  for (size_t t = 0; t < G_N_ELEMENTS (groups); t++)
    {
      g_autoptr (InvGroup) grp = group_ok (groups[t], S, S);
      double got = energy_ok (w, OUT, NP, x, N, grp);
      double want = energy_reference (w, OUT, NP, x, N, grp);
      g_assert_cmpfloat_with_epsilon (got, want, 1e-5);
      g_assert_cmpfloat (got, >, 0.1);
      g_assert_cmpfloat (got, <, 1.0);
    }
}

static void
test_energy_scale (void)
{
  enum { S = 7, NP = S * S, OUT = 9, N = 40 };
  float w[OUT * NP], x[N * NP], w2[OUT * NP], x2[N * NP];
  random_fill (w, OUT * NP, 9, 0.5, 0.0);
  random_fill (x, N * NP, 10, 1.0, 0.5);
  g_autoptr (InvGroup) grp = group_ok ("d4", S, S);
  double base = energy_ok (w, OUT, NP, x, N, grp);
  const double sw[] = { 1e-3, 2.0, -5.0, 1e3 };
  const double sx[] = { 1e-2, 3.0, 0.25, -1.0 };
  for (size_t t = 0; t < G_N_ELEMENTS (sw); t++)
    {
      for (size_t i = 0; i < OUT * NP; i++)
        w2[i] = (float) (sw[t] * w[i]);
      for (size_t i = 0; i < N * NP; i++)
        x2[i] = (float) (sx[t] * x[i]);
      g_assert_cmpfloat_with_epsilon (energy_ok (w2, OUT, NP, x2, N, grp), base, 1e-6);
    }
  /* ‖WX‖ = 0 gives 0 */
  memset (w2, 0, sizeof w2);
  g_assert_cmpfloat (energy_ok (w2, OUT, NP, x, N, grp), ==, 0.0);
  memset (x2, 0, sizeof x2);
  g_assert_cmpfloat (energy_ok (w, OUT, NP, x2, N, grp), ==, 0.0);
}

static void
test_energy_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvGroup) grp = group_ok ("c4", 4, 4);
  float w[2 * 16] = { 0 }, x[3 * 16] = { 0 };
  double f = 0.0;
  g_assert_false (inv_spectrum_noninvariant_energy (&f, w, 2, 15, x, 3, grp, &error));
  g_assert_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_SIZE);
  g_assert_true (isnan (f));
  g_clear_error (&error);
  g_assert_false (inv_spectrum_noninvariant_energy (&f, w, 2, 16, x, 0, grp, &error));
  g_assert_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_SIZE);
  g_clear_error (&error);
  g_assert_false (inv_spectrum_noninvariant_energy (&f, w, 0, 16, x, 3, grp, &error));
  g_assert_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_SIZE);
}

static InvModel *
model_ok (InvModelKind kind, const char *group, size_t s, uint64_t seed)
{
  g_autoptr (GError) error = NULL;
  InvModelArch arch;
  inv_model_arch_default (kind, group, &arch);
  if (kind == INV_MODEL_MLP || kind == INV_MODEL_TIED_MLP)
    {
      arch.n_layers = 2;
      arch.width[0] = 32;
      arch.width[1] = 16;
    }
  InvModel *m = inv_model_new (kind, group, s, s, 10, &arch, seed, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  m->mean = 0.3f;
  m->std = 0.4f;
  return m;
}

static void
test_model (void)
{
  enum { S = 28, NP = S * S, N = 20 };
  g_autofree float *px = g_new (float, N * NP);
  g_autofree float *xs = g_new (float, N * NP);
  InvRng r;
  inv_rng_init (&r, 11);
  for (size_t i = 0; i < N * NP; i++)
    px[i] = (float) inv_rng_uniform (&r);

  g_assert_true (inv_spectrum_has_energy (INV_MODEL_MLP));
  g_assert_true (inv_spectrum_has_energy (INV_MODEL_TIED_MLP));
  g_assert_false (inv_spectrum_has_energy (INV_MODEL_CNN));
  g_assert_false (inv_spectrum_has_energy (INV_MODEL_GCNN));

  const char *groups[] = { "c4", "d4" };
  for (size_t t = 0; t < G_N_ELEMENTS (groups); t++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (InvModel) mlp = model_ok (INV_MODEL_MLP, groups[t], S, 1);
      g_autoptr (InvModel) tied = model_ok (INV_MODEL_TIED_MLP, groups[t], S, 1);
      double e_mlp = -1, e_tied = -1;
      g_assert_true (inv_spectrum_model_energy (&e_mlp, mlp, px, N, &error));
      g_assert_no_error (error);
      g_assert_true (inv_spectrum_model_energy (&e_tied, tied, px, N, &error));
      g_assert_no_error (error);
      if (g_test_verbose ())
        g_test_message ("%s: mlp %g, tied-mlp %g", groups[t], e_mlp, e_tied);
      g_assert_cmpfloat (e_tied, <, 1e-6);
      g_assert_cmpfloat (e_mlp, >, 0.1);

      /* the wrapper standardizes as (x − mean)/std */
      size_t rows, cols;
      g_autofree float *w = inv_model_first_layer (mlp, &rows, &cols);
      g_assert_cmpuint (cols, ==, NP);
      for (size_t i = 0; i < N * NP; i++)
        xs[i] = (px[i] - 0.3f) / 0.4f;
      g_assert_cmpfloat_with_epsilon (e_mlp, energy_reference (w, rows, NP, xs, N, mlp->group),
                                      1e-5);

      /* singular values of the first layer: min(rows, cols) of them,
       * descending, holding all of ‖W‖_F² */
      size_t n_sv = 0;
      g_autofree double *sv = inv_spectrum_model_singular_values (mlp, &n_sv, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (n_sv, ==, MIN (rows, cols));
      double f2 = 0.0, s2 = 0.0;
      for (size_t i = 0; i < rows * cols; i++)
        f2 += (double) w[i] * w[i];
      for (size_t i = 0; i < n_sv; i++)
        {
          s2 += sv[i] * sv[i];
          if (i)
            g_assert_cmpfloat (sv[i], <=, sv[i - 1]);
        }
      g_assert_cmpfloat_with_epsilon (s2 / f2, 1.0, 1e-9);
    }

  /* convolutional first layers: singular values yes, energy no */
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) cnn = model_ok (INV_MODEL_CNN, "c4", S, 2);
  double e = 0.0;
  g_assert_false (inv_spectrum_model_energy (&e, cnn, px, N, &error));
  g_assert_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_NOT_APPLICABLE);
  g_assert_true (isnan (e));
  g_clear_error (&error);
  size_t n_sv = 0, rows, cols;
  g_autofree double *sv = inv_spectrum_model_singular_values (cnn, &n_sv, &error);
  g_assert_no_error (error);
  g_autofree float *w = inv_model_first_layer (cnn, &rows, &cols);
  g_assert_cmpuint (rows, ==, 16);
  g_assert_cmpuint (cols, ==, 9);
  g_assert_cmpuint (n_sv, ==, 9);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spectrum/diagonal", test_diagonal);
  g_test_add_func ("/spectrum/rank-one", test_rank_one);
  g_test_add_func ("/spectrum/two-by-two", test_two_by_two);
  g_test_add_func ("/spectrum/random-frobenius", test_random_frobenius);
  g_test_add_func ("/spectrum/sv-errors", test_sv_errors);
  g_test_add_func ("/spectrum/energy-invariant", test_energy_invariant);
  g_test_add_func ("/spectrum/energy-indicator", test_energy_indicator);
  g_test_add_func ("/spectrum/energy-reference", test_energy_reference);
  g_test_add_func ("/spectrum/energy-scale", test_energy_scale);
  g_test_add_func ("/spectrum/energy-errors", test_energy_errors);
  g_test_add_func ("/spectrum/model", test_model);
  return g_test_run ();
}
