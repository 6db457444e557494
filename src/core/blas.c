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

/* ---- kernel selection ---- */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *selection_reason;

const char *
inv_blas_choose_coretype (const char *corename, bool avx512, bool avx2_fma)
{
  /* Kernels older than AVX2; OpenBLAS names are case-insensitive. */
  static const char *old[] = { "prescott", "core2", "penryn", "dunnington", "nehalem",
                               "atom", "katmai", "coppermine", "northwood", "banias",
                               "athlon", "opteron", "opteron_sse3", "barcelona", "bobcat",
                               "sandybridge", "bulldozer", "piledriver", "steamroller",
                               "excavator", "unknown" };
  gboolean is_old = FALSE;
  for (size_t i = 0; i < G_N_ELEMENTS (old); i++)
    if (corename && g_ascii_strcasecmp (corename, old[i]) == 0)
      is_old = TRUE;
  if (!is_old)
    return NULL;
  if (avx512)
    return "SkylakeX";
  if (avx2_fma)
    return "Haswell";
  return NULL;
}

double
inv_blas_self_check (void)
{
  enum { N = 64 };
  static float a[N * N], b[N * N], c1[N * N], c2[N * N];
  uint32_t x = 12345;
  for (size_t i = 0; i < N * N; i++)
    {
      x = x * 1664525u + 1013904223u;
      a[i] = (float) (x >> 8) / (float) (1u << 24) - 0.5f;
      x = x * 1664525u + 1013904223u;
      b[i] = (float) (x >> 8) / (float) (1u << 24) - 0.5f;
    }
  /* c1 (N,N) = a (N,N) · b (N,N) */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, a, N, b, N, 0.0f, c1, N);
  inv_sgemm_naive (false, false, N, N, N, 1.0f, a, N, b, N, 0.0f, c2, N);
  double worst = 0;
  for (size_t i = 0; i < N * N; i++)
    {
      double e = fabs ((double) c1[i] - c2[i]) / (1e-3 + fabs ((double) c2[i]));
      if (!(e == e))
        return INFINITY;
      worst = MAX (worst, e);
    }
  return worst;
}

static void
set_reason (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_free (selection_reason);
  selection_reason = g_strdup_vprintf (fmt, ap);
  va_end (ap);
}

void
inv_blas_autoselect (char **argv)
{
  const char *core = inv_blas_corename ();
  const char *picked = g_getenv ("INVLAB_BLAS_PICKED");
  if (picked)
    {
      /* We are the re-executed process: check the new kernels. */
      double err = inv_blas_self_check ();
      if (err < 1e-4)
        {
          set_reason ("OpenBLAS kernels %s, selected by Invariance Lab instead of %s to match "
                      "the CPU (sgemm self-check passed)", core, picked);
          g_unsetenv ("INVLAB_BLAS_PICKED");
          g_unsetenv ("INVLAB_BLAS_PRETEND_CORE");
          return;
        }
      /* Fall back: run again with the kernels OpenBLAS chose itself. */
      g_unsetenv ("OPENBLAS_CORETYPE");
      g_unsetenv ("INVLAB_BLAS_PICKED");
      g_unsetenv ("INVLAB_BLAS_PRETEND_CORE");
      g_setenv ("INVLAB_BLAS_AUTOSELECT", "0", TRUE);
      g_setenv ("INVLAB_BLAS_FALLBACK", core, TRUE);
      execv ("/proc/self/exe", argv);
      set_reason ("OpenBLAS kernels %s (self-check failed and re-executing failed)", core);
      return;
    }
  const char *fallback = g_getenv ("INVLAB_BLAS_FALLBACK");
  if (fallback)
    {
      set_reason ("OpenBLAS kernels %s (the %s kernels failed the sgemm self-check)", core, fallback);
      return;
    }
  if (g_strcmp0 (g_getenv ("INVLAB_BLAS_AUTOSELECT"), "0") == 0)
    {
      set_reason ("OpenBLAS kernels %s (automatic selection off: INVLAB_BLAS_AUTOSELECT=0)", core);
      return;
    }
  const char *env = g_getenv ("OPENBLAS_CORETYPE");
  if (env && *env)
    {
      set_reason ("OpenBLAS kernels %s (OPENBLAS_CORETYPE=%s set by the environment)", core, env);
      return;
    }
  bool avx512 = false, avx2_fma = false;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init ();
  avx512 = __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw")
           && __builtin_cpu_supports ("avx512vl") && __builtin_cpu_supports ("avx512dq");
  avx2_fma = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
#endif
  /* Tests pretend OpenBLAS chose old kernels, to drive the switch on any CPU. */
  const char *pretend = g_getenv ("INVLAB_BLAS_PRETEND_CORE");
  if (pretend && *pretend)
    core = pretend;
  const char *target = inv_blas_choose_coretype (core, avx512, avx2_fma);
  if (!target)
    {
      set_reason ("OpenBLAS kernels %s (chosen by OpenBLAS; they match the CPU)", core);
      return;
    }
  g_setenv ("OPENBLAS_CORETYPE", target, TRUE);
  g_setenv ("INVLAB_BLAS_PICKED", core, TRUE);
  execv ("/proc/self/exe", argv);
  /* exec failed: carry on with what we have */
  g_unsetenv ("OPENBLAS_CORETYPE");
  g_unsetenv ("INVLAB_BLAS_PICKED");
  set_reason ("OpenBLAS kernels %s (could not re-execute with %s)", core, target);
}

const char *
inv_blas_selection_reason (void)
{
  if (!selection_reason)
    set_reason ("OpenBLAS kernels %s", inv_blas_corename ());
  return selection_reason;
}
