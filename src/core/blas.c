/* OpenBLAS thread count and kernel name, plus the naive reference sgemm. */
#include "blas.h"

/* Not in every cblas.h; OpenBLAS always exports them. */
extern void openblas_set_num_threads (int);
extern int openblas_get_num_threads (void);
extern char *openblas_get_corename (void);

void
inv_blas_set_threads (int n)
{
  openblas_set_num_threads (n < 1 ? 1 : n);
}

int
inv_blas_get_threads (void)
{
  return openblas_get_num_threads ();
}

const char *
inv_blas_corename (void)
{
  const char *s = openblas_get_corename ();
  return s ? s : "unknown";
}

void
inv_sgemm_naive (bool trans_a, bool trans_b, size_t M, size_t N, size_t K,
                 float alpha, const float *A, size_t lda,
                 const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
  for (size_t i = 0; i < M; i++)
    for (size_t j = 0; j < N; j++)
      {
        double acc = 0;
        for (size_t k = 0; k < K; k++)
          {
            float a = trans_a ? A[k * lda + i] : A[i * lda + k];
            float b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
            acc += (double) a * b;
          }
        C[i * ldc + j] = (float) (alpha * acc + (beta == 0.0f ? 0.0 : beta * C[i * ldc + j]));
      }
}
