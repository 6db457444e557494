/* Group convolutions in the regular representation as plain convolutions:
 * expand the learned filters psi to the weights of an ordinary conv2d (and
 * the bias to every group channel), and fold weight gradients back (the
 * adjoint). Not a convolution itself: conv.c does the arithmetic.
 * Size letters: O output channels, C input channels, G group order, n = k*k
 * filter pixels; group feature maps use channel c*G + g. */
#include "layers.h"

/* (g·ψ)[p] = ψ[perm_g[p]] on a k×k filter. */

void
inv_gconv_lift_expand (float *wexp, const float *psi, const InvGroup *fg,
                       size_t O, size_t C)
{
  /* psi (O, C, n) → wexp (O*G, C, n): wexp[o*G+g, c] = g·psi[o, c]. */
  const size_t G = fg->order, n = fg->h * fg->w;
  for (size_t o = 0; o < O; o++)
    for (size_t g = 0; g < G; g++)
      {
        const uint32_t *perm = fg->perm + g * n;
        for (size_t c = 0; c < C; c++)
          {
            const float *src = psi + (o * C + c) * n;
            float *dst = wexp + ((o * G + g) * C + c) * n;
            for (size_t p = 0; p < n; p++)
              dst[p] = src[perm[p]];
          }
      }
}

void
inv_gconv_lift_fold (float *dpsi, const float *dwexp, const InvGroup *fg,
                     size_t O, size_t C)
{
  /* dwexp (O*G, C, n) → dpsi (O, C, n), accumulating: the transpose of the
   * gather in lift_expand is a scatter-add. */
  const size_t G = fg->order, n = fg->h * fg->w;
  for (size_t o = 0; o < O; o++)
    for (size_t g = 0; g < G; g++)
      {
        const uint32_t *perm = fg->perm + g * n;
        for (size_t c = 0; c < C; c++)
          {
            const float *src = dwexp + ((o * G + g) * C + c) * n;
            float *dst = dpsi + (o * C + c) * n;
            for (size_t p = 0; p < n; p++)
              dst[perm[p]] += src[p];
          }
      }
}

void
inv_gconv_expand (float *wexp, const float *psi, const InvGroup *fg,
                  size_t O, size_t C)
{
  /* psi (O, C, G, n) → wexp (O*G, C*G, n):
   * wexp[o*G+g, c*G+h] = g·psi[o, c, g⁻¹h]. */
  const size_t G = fg->order, n = fg->h * fg->w;
  for (size_t o = 0; o < O; o++)
    for (size_t g = 0; g < G; g++)
      {
        const uint32_t *perm = fg->perm + g * n;
        const size_t ginv = fg->inverse[g];
        for (size_t c = 0; c < C; c++)
          for (size_t h = 0; h < G; h++)
            {
              const float *src = psi + ((o * C + c) * G + inv_group_mul (fg, ginv, h)) * n;
              float *dst = wexp + ((o * G + g) * C * G + c * G + h) * n;
              for (size_t p = 0; p < n; p++)
                dst[p] = src[perm[p]];
            }
      }
}

void
inv_gconv_fold (float *dpsi, const float *dwexp, const InvGroup *fg,
                size_t O, size_t C)
{
  /* dwexp (O*G, C*G, n) → dpsi (O, C, G, n), accumulating. */
  const size_t G = fg->order, n = fg->h * fg->w;
  for (size_t o = 0; o < O; o++)
    for (size_t g = 0; g < G; g++)
      {
        const uint32_t *perm = fg->perm + g * n;
        const size_t ginv = fg->inverse[g];
        for (size_t c = 0; c < C; c++)
          for (size_t h = 0; h < G; h++)
            {
              const float *src = dwexp + ((o * G + g) * C * G + c * G + h) * n;
              float *dst = dpsi + ((o * C + c) * G + inv_group_mul (fg, ginv, h)) * n;
              for (size_t p = 0; p < n; p++)
                dst[perm[p]] += src[p];
            }
      }
}

void
inv_gconv_bias_expand (float *bexp, const float *b, size_t O, size_t G)
{
  /* b (O) → bexp (O*G). */
  for (size_t o = 0; o < O; o++)
    for (size_t g = 0; g < G; g++)
      bexp[o * G + g] = b[o];
}

void
inv_gconv_bias_fold (float *db, const float *dbexp, size_t O, size_t G)
{
  /* dbexp (O*G) → db (O), accumulating. */
  for (size_t o = 0; o < O; o++)
    {
      float acc = 0.0f;
      for (size_t g = 0; g < G; g++)
        acc += dbexp[o * G + g];
      db[o] += acc;
    }
}
