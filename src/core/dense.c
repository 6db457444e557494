/* Fully connected layer (one sgemm per pass) and ReLU, forward and backward.
 * Not a tensor library: raw row-major float buffers, shapes in comments.
 * Size letters: B batch rows, In inputs, O outputs. */
#include "layers.h"
#include "blas.h"
#include <string.h>

void
inv_dense_forward (float *out, const float *in, const float *w, const float *b,
                   size_t B, size_t In, size_t O)
{
  /* out (B,O), in (B,In), w (O,In), b (O) or NULL. Bias first, then beta = 1. */
  for (size_t r = 0; r < B; r++)
    {
      if (b)
        memcpy (out + r * O, b, O * sizeof *out);
      else
        memset (out + r * O, 0, O * sizeof *out);
    }
  if (B == 0 || O == 0 || In == 0)
    return;
  /* out (B,O) += in (B,In) · w (O,In)ᵀ: NoTrans, Trans; M=B N=O K=In. */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) B, (int) O, (int) In,
               1.0f, in, (int) In, w, (int) In, 1.0f, out, (int) O);
}

/* db (O) += Σ_r dout (B, O), row by row so the loop runs along memory. */
INV_HOT static void
bias_grad (float *db, const float *dout, size_t B, size_t O)
{
  double acc[256];
  for (size_t o0 = 0; o0 < O; o0 += 256)
    {
      size_t no = O - o0 < 256 ? O - o0 : 256;
      for (size_t o = 0; o < no; o++)
        acc[o] = 0;
      for (size_t r = 0; r < B; r++)
        {
          const float *d = dout + r * O + o0;
          for (size_t o = 0; o < no; o++)
            acc[o] += d[o];
        }
      for (size_t o = 0; o < no; o++)
        db[o0 + o] += (float) acc[o];
    }
}

void
inv_dense_backward (float *din, float *dw, float *db, const float *dout,
                    const float *in, const float *w, size_t B, size_t In, size_t O)
{
  /* dout (B,O), in (B,In), w (O,In); dw (O,In) and db (O) accumulate, din (B,In)
   * is overwritten. */
  if (B == 0)
    return;
  if (dw && In > 0 && O > 0)
    /* dw (O,In) += dout (B,O)ᵀ · in (B,In): Trans, NoTrans; M=O N=In K=B. */
    cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) O, (int) In, (int) B,
                 1.0f, dout, (int) O, in, (int) In, 1.0f, dw, (int) In);
  if (db)
    bias_grad (db, dout, B, O);
  if (din)
    {
      if (O == 0)
        memset (din, 0, B * In * sizeof *din);
      else if (In > 0)
        /* din (B,In) = dout (B,O) · w (O,In): NoTrans, NoTrans; M=B N=In K=O. */
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, (int) B, (int) In, (int) O,
                     1.0f, dout, (int) O, w, (int) In, 0.0f, din, (int) In);
    }
}

void
inv_dense_forward_naive (float *out, const float *in, const float *w, const float *b,
                         size_t B, size_t In, size_t O)
{
  for (size_t r = 0; r < B; r++)
    for (size_t o = 0; o < O; o++)
      {
        double acc = b ? b[o] : 0.0;
        for (size_t i = 0; i < In; i++)
          acc += (double) in[r * In + i] * w[o * In + i];
        out[r * O + o] = (float) acc;
      }
}

INV_HOT void
inv_relu_forward (float *out, const float *in, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      float v = in[i];
      out[i] = v > 0.0f ? v : 0.0f;
    }
}

INV_HOT void
inv_relu_backward (float *din, const float *dout, const float *out, size_t n)
{
  /* The subgradient at 0 is 0; out > 0 exactly where in > 0. Both loads
   * happen unconditionally so the select vectorizes (a branch on random
   * signs mispredicts half the time). */
  for (size_t i = 0; i < n; i++)
    {
      float d = dout[i];
      din[i] = out[i] > 0.0f ? d : 0.0f;
    }
}
