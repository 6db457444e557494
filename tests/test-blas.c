/* The OpenBLAS path against the naive reference, for every transpose
 * combination; and the thread-count switch. */
#include "blas.h"
#include "rng.h"
#include <glib.h>
#include <math.h>

static void
fill (float *x, size_t n, InvRng *r)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (inv_rng_uniform (r) * 2 - 1);
}

static void
test_sgemm (void)
{
  InvRng r;
  inv_rng_init (&r, 11);
  const size_t M = 37, N = 23, K = 51;
  g_autofree float *A = g_new (float, M * K), *B = g_new (float, K * N);
  g_autofree float *C1 = g_new (float, M * N), *C2 = g_new (float, M * N);
  fill (A, M * K, &r);
  fill (B, K * N, &r);
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      {
        fill (C1, M * N, &r);
        for (size_t i = 0; i < M * N; i++)
          C2[i] = C1[i];
        size_t lda = ta ? M : K, ldb = tb ? K : N;
        /* C (M,N) = 0.5 op(A) op(B) + 0.25 C */
        cblas_sgemm (CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                     M, N, K, 0.5f, A, lda, B, ldb, 0.25f, C1, N);
        inv_sgemm_naive (ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 0.25f, C2, N);
        for (size_t i = 0; i < M * N; i++)
          g_assert_cmpfloat_with_epsilon (C1[i], C2[i], 1e-4);
      }
}

static void
test_threads (void)
{
  inv_blas_set_threads (1);
  g_assert_cmpint (inv_blas_get_threads (), ==, 1);
  inv_blas_set_threads (2);
  g_assert_cmpint (inv_blas_get_threads (), >=, 1);
  g_assert_cmpstr (inv_blas_corename (), !=, "");
}

static void
test_choose (void)
{
  const struct { const char *core; bool avx512, avx2; const char *want; } cases[] = {
    { "Prescott", true, true, "SkylakeX" }, { "Prescott", false, true, "Haswell" },
    { "PRESCOTT", false, true, "Haswell" }, { "Prescott", false, false, NULL },
    { "Nehalem", false, true, "Haswell" }, { "Sandybridge", true, true, "SkylakeX" },
    { "Haswell", true, true, NULL }, { "Zen", false, true, NULL }, { "SkylakeX", true, true, NULL },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpstr (inv_blas_choose_coretype (cases[i].core, cases[i].avx512, cases[i].avx2), ==,
                     cases[i].want);
  g_assert_cmpfloat (inv_blas_self_check (), <, 1e-4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/blas/sgemm", test_sgemm);
  g_test_add_func ("/blas/threads", test_threads);
  g_test_add_func ("/blas/choose", test_choose);
  return g_test_run ();
}
