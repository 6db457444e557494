/* The BLAS boundary: thread count, kernel name, and a naive sgemm that tests
 * compare the OpenBLAS path against. Row-major everywhere. */
#pragma once
#include <stddef.h>
#include <stdbool.h>
#include <cblas.h>

void inv_blas_set_threads (int n);
int inv_blas_get_threads (void);
const char *inv_blas_corename (void);

/* C (M,N) = alpha * op(A) * op(B) + beta * C, row-major, naive triple loop. */
void inv_sgemm_naive (bool trans_a, bool trans_b, size_t M, size_t N, size_t K,
                      float alpha, const float *A, size_t lda,
                      const float *B, size_t ldb, float beta, float *C, size_t ldc);
