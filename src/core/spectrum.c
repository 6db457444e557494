/* Singular values through LAPACKE (double precision, values only) and the
 * non-invariant energy of a fully-connected first layer, computed in chunks
 * of images with two sgemm calls each. Not a general SVD wrapper: no
 * singular vectors. */
#include "spectrum.h"
#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (inv-spectrum-error-quark, inv_spectrum_error)

/* Images per sgemm in the energy: bounds the scratch to a few MB. */
#define ENERGY_CHUNK 256

gboolean
inv_spectrum_singular_values (double *sv, const float *a, size_t rows, size_t cols,
                              GError **error)
{
  size_t n;
  if (rows == 0 || cols == 0 || rows > INT_MAX || cols > INT_MAX
      || !g_size_checked_mul (&n, rows, cols) || n > SIZE_MAX / sizeof (double))
    {
      g_set_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_SIZE,
                   "cannot take the singular values of a %zu×%zu matrix", rows, cols);
      return FALSE;
    }
  double *ad = g_try_new (double, n); /* (rows, cols), overwritten by LAPACK */
  if (ad == NULL)
    {
      g_set_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_NOMEM,
                   "out of memory for a %zu×%zu matrix", rows, cols);
      return FALSE;
    }
  for (size_t i = 0; i < n; i++)
    ad[i] = a[i];
  /* u and vt are not referenced with jobz 'N', but LAPACKE's row-major
   * checks still want leading dimensions as if they were */
  double dummy = 0.0;
  lapack_int info = LAPACKE_dgesdd (LAPACK_ROW_MAJOR, 'N', (lapack_int) rows,
                                    (lapack_int) cols, ad, (lapack_int) cols, sv,
                                    &dummy, (lapack_int) rows, &dummy, (lapack_int) cols);
  if (info > 0)
    {
      /* divide and conquer did not converge: QR iteration is slower but sturdier */
      size_t k = MIN (rows, cols);
      double *superb = g_try_new (double, k);
      if (superb)
        {
          for (size_t i = 0; i < n; i++)
            ad[i] = a[i];
          info = LAPACKE_dgesvd (LAPACK_ROW_MAJOR, 'N', 'N', (lapack_int) rows,
                                 (lapack_int) cols, ad, (lapack_int) cols, sv, &dummy,
                                 (lapack_int) rows, &dummy, (lapack_int) cols, superb);
          g_free (superb);
        }
    }
  g_free (ad);
  if (info != 0)
    {
      g_set_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_LAPACK,
                   "singular value decomposition of a %zu×%zu matrix failed (%s, info %d)",
                   rows, cols, info < 0 ? "not finite or invalid" : "no convergence",
                   (int) info);
      return FALSE;
    }
  return TRUE;
}

/* out (B, n) = in (B, n) − P·in, each row an image (or a row of W, which
 * P acts on the same way since P is symmetric: ρ(g)ᵀ = ρ(g⁻¹)). */
static void
remove_invariant (float *out, const float *in, size_t B, size_t n, const InvGroup *grp)
{
  size_t G = grp->order;
  for (size_t b = 0; b < B; b++)
    {
      const float *x = in + b * n;
      for (size_t p = 0; p < n; p++)
        {
          double acc = 0.0;
          for (size_t g = 0; g < G; g++)
            acc += x[grp->perm[g * n + p]];
          out[b * n + p] = (float) (x[p] - acc / (double) G);
        }
    }
}

static double
sum_squares (const float *a, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += (double) a[i] * a[i];
  return s;
}

gboolean
inv_spectrum_noninvariant_energy (double *fraction, const float *w, size_t out, size_t n,
                                  const float *x, size_t N, const InvGroup *grp,
                                  GError **error)
{
  size_t wn, chunk_n, chunk_out;
  size_t C = MIN (N, (size_t) ENERGY_CHUNK);
  *fraction = NAN;
  if (out == 0 || n == 0 || N == 0 || out > INT_MAX || n > INT_MAX
      || !g_size_checked_mul (&wn, out, n) || !g_size_checked_mul (&chunk_n, C, n)
      || !g_size_checked_mul (&chunk_out, C, out))
    {
      g_set_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_SIZE,
                   "energy of a %zu×%zu layer over %zu images: bad sizes", out, n, N);
      return FALSE;
    }
  if (grp == NULL || grp->h * grp->w != n)
    {
      g_set_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_SIZE,
                   "layer has %zu inputs but the group acts on %zu pixels", n,
                   grp ? grp->h * grp->w : 0);
      return FALSE;
    }
  /* W(I − P)X = [W(I − P)]·[(I − P)X] because I − P is a symmetric
   * projector; projecting both factors keeps a nearly invariant W from
   * drowning its small residual in sgemm rounding. */
  float *wr = g_try_new (float, wn);    /* (out, n) W(I − P) */
  float *d = g_try_new (float, chunk_n); /* (C, n) rows of ((I − P)X)ᵀ */
  float *y = g_try_new (float, chunk_out); /* (C, out) */
  if (wr == NULL || d == NULL || y == NULL)
    {
      g_free (wr);
      g_free (d);
      g_free (y);
      g_set_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_NOMEM,
                   "out of memory for the energy of a %zu×%zu layer", out, n);
      return FALSE;
    }
  remove_invariant (wr, w, out, n, grp);

  double total = 0.0, residual = 0.0;
  for (size_t i0 = 0; i0 < N; i0 += C)
    {
      size_t c = MIN (C, N - i0);
      const float *xc = x + i0 * n;
      /* y (c, out) = xc (c, n) · wᵀ (n, out): NoTrans, Trans */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) c, (int) out, (int) n,
                   1.0f, xc, (int) n, w, (int) n, 0.0f, y, (int) out);
      total += sum_squares (y, c * out);
      remove_invariant (d, xc, c, n, grp);
      /* y (c, out) = d (c, n) · wrᵀ (n, out): NoTrans, Trans */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) c, (int) out, (int) n,
                   1.0f, d, (int) n, wr, (int) n, 0.0f, y, (int) out);
      residual += sum_squares (y, c * out);
    }
  g_free (wr);
  g_free (d);
  g_free (y);
  *fraction = total > 0.0 ? sqrt (residual / total) : 0.0;
  return TRUE;
}

gboolean
inv_spectrum_has_energy (InvModelKind kind)
{
  return kind == INV_MODEL_MLP || kind == INV_MODEL_TIED_MLP;
}

double *
inv_spectrum_model_singular_values (const InvModel *m, size_t *n_sv, GError **error)
{
  size_t rows = 0, cols = 0;
  *n_sv = 0;
  g_autofree float *w = inv_model_first_layer (m, &rows, &cols);
  if (w == NULL || rows == 0 || cols == 0)
    {
      g_set_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_SIZE,
                   "model has no first-layer weight");
      return NULL;
    }
  size_t k = MIN (rows, cols);
  double *sv = g_new (double, k);
  if (!inv_spectrum_singular_values (sv, w, rows, cols, error))
    {
      g_free (sv);
      return NULL;
    }
  *n_sv = k;
  return sv;
}

gboolean
inv_spectrum_model_energy (double *fraction, const InvModel *m, const float *pixels,
                           size_t N, GError **error)
{
  *fraction = NAN;
  if (!inv_spectrum_has_energy (m->kind))
    {
      g_set_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_NOT_APPLICABLE,
                   "the non-invariant energy needs a fully-connected first layer, "
                   "which a %s model does not have", inv_model_kind_name (m->kind));
      return FALSE;
    }
  size_t n = m->h * m->w, rows = 0, cols = 0, total;
  if (N == 0 || !g_size_checked_mul (&total, N, n))
    {
      g_set_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_SIZE,
                   "energy over %zu images: bad size", N);
      return FALSE;
    }
  g_autofree float *w = inv_model_first_layer (m, &rows, &cols);
  if (w == NULL || cols != n)
    {
      g_set_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_SIZE,
                   "first layer has %zu inputs, images have %zu pixels", cols, n);
      return FALSE;
    }
  g_autofree float *x = g_try_new (float, total); /* (N, n) standardized */
  if (x == NULL)
    {
      g_set_error (error, INV_SPECTRUM_ERROR, INV_SPECTRUM_ERROR_NOMEM,
                   "out of memory for %zu images", N);
      return FALSE;
    }
  /* as the model's forward pass standardizes */
  float mean = m->mean, inv_std = 1.0f / m->std;
  for (size_t i = 0; i < total; i++)
    x[i] = (pixels[i] - mean) * inv_std;
  return inv_spectrum_noninvariant_energy (fraction, w, rows, n, x, N, m->group, error);
}
