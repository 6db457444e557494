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

/* ---- BLAS kernel selection ----
 * OpenBLAS 0.3.21 falls back to old SSE3 kernels ("Prescott") on CPUs it does
 * not recognize. At start-up the programs call inv_blas_autoselect, which
 * re-executes the program with OPENBLAS_CORETYPE set to kernels that match
 * the CPU (SkylakeX for AVX-512, Haswell for AVX2+FMA), then checks a small
 * sgemm against the naive product in the new process and falls back if it
 * disagrees. It never overrides OPENBLAS_CORETYPE set by the user or the
 * system; INVLAB_BLAS_AUTOSELECT=0 turns it off. */

/* The kernels to switch to, or NULL to keep the current ones. */
const char *inv_blas_choose_coretype (const char *corename, bool avx512, bool avx2_fma);
/* May not return (execv). argv must be main's argv. */
void inv_blas_autoselect (char **argv);
/* One line: the kernels in use and why (for --version --verbose, About). */
const char *inv_blas_selection_reason (void);
/* Max relative error of a 64×64×64 sgemm against the naive product. */
double inv_blas_self_check (void);
