/* Pooling layers: 2×2 max pooling (stride 2), the group pool (mean over the
 * group, then max over space) and the global mean pool, forward and backward.
 * Every max splits its gradient evenly among tied maxima (DESIGN.md: a
 * symmetric subgradient keeps saliency of invariant nets invariant). "Tied"
 * includes values within float rounding of the max: a rotated input reaches
 * the same value through sums in another order, and a last-bit difference
 * must not decide which orientation gets the gradient. Not a
 * general pooling library: no other window sizes or strides.
 * Size letters: N planes, B batch, C channels, G group order, H W spatial. */
#include "layers.h"
#include <math.h>
#include <string.h>

#define tie_floor inv_tie_floor

/* Compiles to maxss; NaN handling does not matter here. */
static inline float
max2 (float a, float b)
{
  return a > b ? a : b;
}

INV_HOT void
inv_maxpool2_forward (float *out, const float *in, size_t N, size_t H, size_t W)
{
  /* out (N, H/2, W/2), in (N, H, W). */
  const size_t Ho = H / 2, Wo = W / 2;
  for (size_t n = 0; n < N; n++)
    {
      const float *plane = in + n * H * W;
      float *op = out + n * Ho * Wo;
      for (size_t i = 0; i < Ho; i++)
        {
          const float *r0 = plane + 2 * i * W, *r1 = r0 + W;
          for (size_t j = 0; j < Wo; j++)
            {
              float a = max2 (r0[2 * j], r0[2 * j + 1]);
              float b = max2 (r1[2 * j], r1[2 * j + 1]);
              op[i * Wo + j] = max2 (a, b);
            }
        }
    }
}

INV_HOT void
inv_maxpool2_backward (float *din, const float *dout, const float *in,
                       const float *out, size_t N, size_t H, size_t W)
{
  /* din (N,H,W) is overwritten: every input pixel lies in exactly one window.
   * A window with t tied maxima gives each dout/t; t = 0 only for NaN. */
  const size_t Ho = H / 2, Wo = W / 2;
  for (size_t n = 0; n < N; n++)
    {
      const float *plane = in + n * H * W;
      float *dp = din + n * H * W;
      const float *op = out + n * Ho * Wo, *gp = dout + n * Ho * Wo;
      for (size_t i = 0; i < Ho; i++)
        {
          const float *r0 = plane + 2 * i * W, *r1 = r0 + W;
          float *d0 = dp + 2 * i * W, *d1 = d0 + W;
          for (size_t j = 0; j < Wo; j++)
            {
              float m = tie_floor (op[i * Wo + j]);
              float e00 = r0[2 * j] >= m, e01 = r0[2 * j + 1] >= m;
              float e10 = r1[2 * j] >= m, e11 = r1[2 * j + 1] >= m;
              float t = e00 + e01 + e10 + e11;
              /* divide unconditionally (by 1 when t = 0), select after: no
               * branch, so the loop vectorizes */
              float q = gp[i * Wo + j] / (t > 0.0f ? t : 1.0f);
              float share = t > 0.0f ? q : 0.0f;
              d0[2 * j] = e00 * share;
              d0[2 * j + 1] = e01 * share;
              d1[2 * j] = e10 * share;
              d1[2 * j + 1] = e11 * share;
            }
        }
      if (H % 2)
        memset (dp + (H - 1) * W, 0, W * sizeof *dp);
      if (W % 2)
        for (size_t i = 0; i < H; i++)
          dp[i * W + W - 1] = 0.0f;
    }
}

INV_HOT void
inv_group_pool_forward (float *out, float *mean_map, const float *in,
                        size_t B, size_t C, size_t G, size_t HW)
{
  /* in (B, C*G, HW) channel c*G+g; mean_map (B, C, HW); out (B, C).
   * The group mean is summed in double so that it does not depend on the
   * order of the g channels (a transformed input permutes them). */
  const double inv_g = 1.0 / (double) G;
  for (size_t b = 0; b < B; b++)
    for (size_t c = 0; c < C; c++)
      {
        const float *src = in + (b * C + c) * G * HW;
        float *mm = mean_map + (b * C + c) * HW;
        float best = -INFINITY;
        for (size_t p = 0; p < HW; p++)
          {
            double acc = 0;
            for (size_t g = 0; g < G; g++)
              acc += src[g * HW + p];
            mm[p] = (float) (acc * inv_g);
            best = max2 (best, mm[p]);
          }
        out[b * C + c] = best;
      }
}

INV_HOT void
inv_group_pool_backward (float *din, const float *dout, const float *mean_map,
                         const float *out, size_t B, size_t C, size_t G, size_t HW)
{
  /* din (B, C*G, HW) overwritten: dout[b,c] / (ties · G) at every tied
   * spatial maximum of mean_map, for every g. */
  for (size_t b = 0; b < B; b++)
    for (size_t c = 0; c < C; c++)
      {
        const float *mm = mean_map + (b * C + c) * HW;
        float m = tie_floor (out[b * C + c]);
        float t = 0.0f;
        for (size_t p = 0; p < HW; p++)
          t += mm[p] >= m;
        float share = t > 0.0f ? dout[b * C + c] / (t * (float) G) : 0.0f;
        float *dst = din + (b * C + c) * G * HW;
        for (size_t p = 0; p < HW; p++)
          dst[p] = (mm[p] >= m) * share;
        for (size_t g = 1; g < G; g++)
          memcpy (dst + g * HW, dst, HW * sizeof *dst);
      }
}

void
inv_mean_pool_forward (float *out, const float *in, size_t B, size_t C, size_t HW)
{
  /* out (B, C), in (B, C, HW). */
  for (size_t i = 0; i < B * C; i++)
    {
      const float *src = in + i * HW;
      double acc = 0;
      for (size_t p = 0; p < HW; p++)
        acc += src[p];
      out[i] = (float) (acc / (double) HW);
    }
}

void
inv_mean_pool_backward (float *din, const float *dout, size_t B, size_t C, size_t HW)
{
  /* din (B, C, HW) overwritten with dout / HW. */
  for (size_t i = 0; i < B * C; i++)
    {
      float v = dout[i] / (float) HW;
      float *dst = din + i * HW;
      for (size_t p = 0; p < HW; p++)
        dst[p] = v;
    }
}
