/* Forward and backward passes of every layer the models use, on raw float
 * buffers (llm.c style). Conventions: outputs first, then inputs, weights,
 * sizes. Parameter gradients ACCUMULATE (+=); input gradients (din) are
 * OVERWRITTEN and may be NULL when not needed. Size letters: B batch, N rows,
 * C input channels, O output channels, G group order, H W spatial, K classes.
 * Each BLAS path has a *_naive reference beside it that tests compare. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "group.h"

G_BEGIN_DECLS

/* Hot elementwise loops get an AVX2+FMA (x86-64-v3) clone picked at run time (GCC on
 * x86-64), so a default build (baseline x86-64) is fast on current CPUs.
 * Off under the sanitizers, which instrument every access anyway. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) \
    && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && !defined(__OPTIMIZE_SIZE__)
#define INV_HOT __attribute__ ((target_clones ("arch=x86-64-v3", "default")))
#else
#define INV_HOT
#endif


/* ---- fully connected: out (B,O) = in (B,In) · w(O,In)ᵀ + b(O) ---- */
void inv_dense_forward (float *out, const float *in, const float *w, const float *b,
                        size_t B, size_t In, size_t O);
void inv_dense_backward (float *din, float *dw, float *db, const float *dout,
                         const float *in, const float *w, size_t B, size_t In, size_t O);
void inv_dense_forward_naive (float *out, const float *in, const float *w, const float *b,
                              size_t B, size_t In, size_t O);

/* ---- ReLU (in place allowed: out == in; din == dout) ---- */
void inv_relu_forward (float *out, const float *in, size_t n);
void inv_relu_backward (float *din, const float *dout, const float *out, size_t n);

/* ---- 2-D convolution (cross-correlation), k×k kernel (k odd), stride 1,
 * "same" output size, zero padding or circular padding. ---- */
typedef struct {
  size_t B, C, O, H, W, k;
  bool circular;
} InvConvShape;

/* Floats of scratch the BLAS path needs (im2col buffers). */
size_t inv_conv2d_scratch_size (const InvConvShape *s);
/* out (B,O,H,W); in (B,C,H,W); w (O,C,k,k); b (O) or NULL. */
void inv_conv2d_forward (float *out, const float *in, const float *w, const float *b,
                         const InvConvShape *s, float *scratch);
void inv_conv2d_backward (float *din, float *dw, float *db, const float *dout,
                          const float *in, const float *w, const InvConvShape *s,
                          float *scratch);
/* The convolution and the ReLU after it in one pass: out = max (conv + b, 0).
 * The backward takes the gradient with respect to that out and the out of
 * the forward, and applies the ReLU's mask on the way. */
void inv_conv2d_relu_forward (float *out, const float *in, const float *w, const float *b,
                              const InvConvShape *s, float *scratch);
void inv_conv2d_relu_backward (float *din, float *dw, float *db, const float *dout,
                               const float *out, const float *in, const float *w,
                               const InvConvShape *s, float *scratch);
/* conv → ReLU → 2×2 max pool (H, W as inv_maxpool2_forward) in one pass,
 * without storing the conv's output: pooled (B, O, H/2, W/2) and route
 * (B, O, H/2, W/2), one byte per window saying which of its four elements
 * get the pool's gradient (the tied maxima the ReLU let through, bits 0-3)
 * and how many tied maxima share it (bits 4-6). The backward takes the
 * gradient with respect to pooled, dpool (B, O, H/2, W/2), and gives what
 * inv_maxpool2_backward then inv_conv2d_relu_backward would. */
void inv_conv2d_relu_pool_forward (float *pooled, uint8_t *route, const float *in,
                                   const float *w, const float *b, const InvConvShape *s,
                                   float *scratch);
void inv_conv2d_relu_pool_backward (float *din, float *dw, float *db, const float *dpool,
                                    const uint8_t *route, const float *in, const float *w,
                                    const InvConvShape *s, float *scratch);
void inv_conv2d_forward_naive (float *out, const float *in, const float *w, const float *b,
                               const InvConvShape *s);
void inv_conv2d_backward_naive (float *din, float *dw, float *db, const float *dout,
                                const float *in, const float *w, const InvConvShape *s);

/* ---- 2×2 max pooling, stride 2 (H, W even): out (N,H/2,W/2), in (N,H,W).
 * Backward splits the gradient evenly among tied maxima. ---- */
/* The smallest value that counts as tied with a maximum m: values within
 * float rounding of it (a rotated input reaches the same value through sums
 * in another order, and a last-bit difference must not decide which
 * orientation gets the gradient). */
static inline float
inv_tie_floor (float m)
{
  return m - (1e-5f * __builtin_fabsf (m) + 1e-6f);
}
void inv_maxpool2_forward (float *out, const float *in, size_t N, size_t H, size_t W);
void inv_maxpool2_backward (float *din, const float *dout, const float *in,
                            const float *out, size_t N, size_t H, size_t W);

/* ---- group convolutions as plain convolutions with expanded weights.
 * fg is the group acting on k×k filters (inv_group_new (name, k, k)).
 * Channel layout of a group feature map: channel c*G + g.
 * Lifting: psi (O,C,k,k) → wexp (O*G, C, k, k), wexp[o*G+g] = g·psi[o].
 * Group conv: psi (O,C,G,k,k) → wexp (O*G, C*G, k, k),
 *   wexp[o*G+g, c*G+h] = g·psi[o, c, g⁻¹h].
 * fold is the adjoint of expand and ACCUMULATES into dpsi. ---- */
void inv_gconv_lift_expand (float *wexp, const float *psi, const InvGroup *fg,
                            size_t O, size_t C);
void inv_gconv_lift_fold (float *dpsi, const float *dwexp, const InvGroup *fg,
                          size_t O, size_t C);
void inv_gconv_expand (float *wexp, const float *psi, const InvGroup *fg,
                       size_t O, size_t C);
void inv_gconv_fold (float *dpsi, const float *dwexp, const InvGroup *fg,
                     size_t O, size_t C);
/* bexp (O*G) = b[o] for every g; fold sums over g into db (accumulates). */
void inv_gconv_bias_expand (float *bexp, const float *b, size_t O, size_t G);
void inv_gconv_bias_fold (float *db, const float *dbexp, size_t O, size_t G);

/* ---- invariant pooling.
 * Group pool: in (B, C*G, HW) → out (B, C) = max over space of the mean over
 * g; mean_map (B, C, HW) is kept from forward for backward; ties at the
 * spatial max split evenly. ---- */
void inv_group_pool_forward (float *out, float *mean_map, const float *in,
                             size_t B, size_t C, size_t G, size_t HW);
void inv_group_pool_backward (float *din, const float *dout, const float *mean_map,
                              const float *out, size_t B, size_t C, size_t G, size_t HW);
/* Global mean pool: in (B, C, HW) → out (B, C). */
void inv_mean_pool_forward (float *out, const float *in, size_t B, size_t C, size_t HW);
void inv_mean_pool_backward (float *din, const float *dout, size_t B, size_t C, size_t HW);

/* ---- losses ----
 * Softmax cross-entropy, mean over N rows: logits (N,K), labels (N).
 * Writes dlogits (N,K) = scale · ∂loss/∂logits (if non-NULL). Returns loss. */
double inv_softmax_xent (float *dlogits, const float *logits, const uint8_t *labels,
                         size_t N, size_t K, float scale);
/* Invariance error of orbit-grouped logits (B, G, K) (row i*G+g):
 * mean_i mean_g ‖z_ig − z̄_i‖². ADDS lambda · ∂/∂logits into dlogits (if
 * non-NULL). Returns the (unweighted) error. */
double inv_invariance_penalty (float *dlogits, const float *logits,
                               size_t B, size_t G, size_t K, float lambda);

G_END_DECLS
