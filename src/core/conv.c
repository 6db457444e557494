/* 2-D "same" convolution (cross-correlation, stride 1, odd k), zero or
 * circular padding: im2col over a chunk of the batch + one cblas_sgemm per
 * chunk, and naive direct-loop references. Not strided, not dilated.
 * Size letters: B batch, C input channels, O output channels, H W spatial,
 * k kernel side, HW = H*W, CKK = C*k*k, N = columns of a chunk (nb*HW). */
#include "layers.h"
#include "blas.h"
#include "util.h"
#include <string.h>

/* Largest im2col chunk, in floats of (col + output matrix): 1 MB. The
 * layers are memory-bound (im2col writes k² copies of the input), so a chunk
 * that stays in cache takes ~1.7× less CPU time than one batch-sized sgemm
 * (B = 256, 16→32 channels at 14×14), and the sgemm is still wide
 * (N = 1372 columns there). */
#define CHUNK_FLOATS ((size_t) 1 << 18)

/* Images per chunk: depends only on the shape, so forward, backward and
 * inv_conv2d_scratch_size agree. */
static size_t
chunk_images (const InvConvShape *s)
{
  size_t hw, ckk, per;
  if (!inv_size_mul (s->H, s->W, &hw) || !inv_size_mul (s->C, s->k * s->k, &ckk)
      || ckk > SIZE_MAX - s->O || !inv_size_mul (hw, ckk + s->O, &per) || per == 0)
    return 1;
  size_t nb = CHUNK_FLOATS / per;
  if (nb < 1)
    nb = 1;
  if (nb > s->B)
    nb = s->B ? s->B : 1;
  return nb;
}

size_t
inv_conv2d_scratch_size (const InvConvShape *s)
{
  /* col (CKK, N) + output/gradient matrix (O, N); backward reuses col for
   * dcol after dw is done, so forward and backward need the same. */
  size_t hw, ckk, per, n;
  if (!inv_size_mul (s->H, s->W, &hw) || !inv_size_mul (s->C, s->k * s->k, &ckk)
      || ckk > SIZE_MAX - s->O || !inv_size_mul (hw, ckk + s->O, &per)
      || !inv_size_mul (per, chunk_images (s), &n))
    return SIZE_MAX;
  return n;
}

/* Valid output range [lo, hi) for a zero-padded tap at offset d = kidx - k/2:
 * input index i + d must lie in [0, n). */
static inline void
zero_range (ptrdiff_t n, ptrdiff_t d, ptrdiff_t *lo, ptrdiff_t *hi)
{
  *lo = d < 0 ? -d : 0;
  *hi = d > 0 ? n - d : n;
  if (*hi < *lo)
    *hi = *lo;
  if (*lo > n)
    *lo = *hi = n;
}

/* Circular tap: input index (i + d) mod n = i + sh for i < n - sh, else
 * i + sh - n; sh = d mod n in [0, n). */
static inline ptrdiff_t
wrap_shift (ptrdiff_t n, ptrdiff_t d)
{
  ptrdiff_t sh = d % n;
  return sh < 0 ? sh + n : sh;
}

/* One output row of a tap: dst (W) from the input row src (W) shifted by dx. */
static inline void
row_zero (float *dst, const float *src, ptrdiff_t W, ptrdiff_t x0, ptrdiff_t x1, ptrdiff_t dx)
{
  for (ptrdiff_t x = 0; x < x0; x++)
    dst[x] = 0.0f;
  for (ptrdiff_t x = x0; x < x1; x++)
    dst[x] = src[x + dx];
  for (ptrdiff_t x = x1; x < W; x++)
    dst[x] = 0.0f;
}

static inline void
row_wrap (float *dst, const float *src, ptrdiff_t W, ptrdiff_t sh)
{
  for (ptrdiff_t x = 0; x < W - sh; x++)
    dst[x] = src[x + sh];
  for (ptrdiff_t x = W - sh; x < W; x++)
    dst[x] = src[x + sh - W];
}

/* col (CKK, N), row (c*k + ki)*k + kj, column bl*HW + y*W + x, from
 * in (nb, C, H, W). */
static void
im2col (float *col, const float *in, const InvConvShape *s, size_t nb, size_t N)
{
  const ptrdiff_t H = (ptrdiff_t) s->H, W = (ptrdiff_t) s->W, k = (ptrdiff_t) s->k;
  const ptrdiff_t p = k / 2;
  const size_t C = s->C, HW = s->H * s->W;
  for (size_t bl = 0; bl < nb; bl++)
    for (size_t c = 0; c < C; c++)
      {
        const float *plane = in + (bl * C + c) * HW;
        for (ptrdiff_t ki = 0; ki < k; ki++)
          for (ptrdiff_t kj = 0; kj < k; kj++)
            {
              float *dst = col + ((c * (size_t) k + (size_t) ki) * (size_t) k + (size_t) kj) * N
                           + bl * HW;
              ptrdiff_t dy = ki - p, dx = kj - p;
              if (s->circular)
                {
                  ptrdiff_t shy = wrap_shift (H, dy), shx = wrap_shift (W, dx);
                  for (ptrdiff_t y = 0; y < H; y++)
                    {
                      ptrdiff_t iy = y + shy < H ? y + shy : y + shy - H;
                      row_wrap (dst + y * W, plane + iy * W, W, shx);
                    }
                }
              else
                {
                  ptrdiff_t y0, y1, x0, x1;
                  zero_range (H, dy, &y0, &y1);
                  zero_range (W, dx, &x0, &x1);
                  memset (dst, 0, (size_t) (y0 * W) * sizeof *dst);
                  for (ptrdiff_t y = y0; y < y1; y++)
                    row_zero (dst + y * W, plane + (y + dy) * W, W, x0, x1, dx);
                  memset (dst + y1 * W, 0, (size_t) ((H - y1) * W) * sizeof *dst);
                }
            }
      }
}

/* Adjoint of im2col: din (nb, C, H, W) = Σ over taps of dcol (CKK, N). */
static void
col2im (float *din, const float *dcol, const InvConvShape *s, size_t nb, size_t N)
{
  const ptrdiff_t H = (ptrdiff_t) s->H, W = (ptrdiff_t) s->W, k = (ptrdiff_t) s->k;
  const ptrdiff_t p = k / 2;
  const size_t C = s->C, HW = s->H * s->W;
  for (size_t bl = 0; bl < nb; bl++)
    for (size_t c = 0; c < C; c++)
      {
        float *plane = din + (bl * C + c) * HW;
        memset (plane, 0, HW * sizeof *plane);
        for (ptrdiff_t ki = 0; ki < k; ki++)
          for (ptrdiff_t kj = 0; kj < k; kj++)
            {
              const float *src = dcol
                                 + ((c * (size_t) k + (size_t) ki) * (size_t) k + (size_t) kj) * N
                                 + bl * HW;
              ptrdiff_t dy = ki - p, dx = kj - p;
              if (s->circular)
                {
                  ptrdiff_t shy = wrap_shift (H, dy), shx = wrap_shift (W, dx);
                  for (ptrdiff_t y = 0; y < H; y++)
                    {
                      ptrdiff_t iy = y + shy < H ? y + shy : y + shy - H;
                      float *drow = plane + iy * W;
                      const float *srow = src + y * W;
                      for (ptrdiff_t x = 0; x < W - shx; x++)
                        drow[x + shx] += srow[x];
                      for (ptrdiff_t x = W - shx; x < W; x++)
                        drow[x + shx - W] += srow[x];
                    }
                }
              else
                {
                  ptrdiff_t y0, y1, x0, x1;
                  zero_range (H, dy, &y0, &y1);
                  zero_range (W, dx, &x0, &x1);
                  for (ptrdiff_t y = y0; y < y1; y++)
                    {
                      float *drow = plane + (y + dy) * W;
                      const float *srow = src + y * W;
                      for (ptrdiff_t x = x0; x < x1; x++)
                        drow[x + dx] += srow[x];
                    }
                }
            }
      }
}

void
inv_conv2d_forward (float *out, const float *in, const float *w, const float *b,
                    const InvConvShape *s, float *scratch)
{
  const size_t HW = s->H * s->W, CKK = s->C * s->k * s->k, O = s->O;
  g_return_if_fail (s->k % 2 == 1 && s->C > 0);
  if (s->B == 0 || O == 0 || HW == 0)
    return;
  const size_t nbmax = chunk_images (s);
  float *col = scratch;                    /* (CKK, N) */
  float *tmp = scratch + CKK * nbmax * HW; /* (O, N) */
  for (size_t b0 = 0; b0 < s->B; b0 += nbmax)
    {
      size_t nb = s->B - b0 < nbmax ? s->B - b0 : nbmax;
      size_t N = nb * HW;
      im2col (col, in + b0 * s->C * HW, s, nb, N);
      /* tmp (O,N) = w (O,CKK) · col (CKK,N): NoTrans, NoTrans; M=O N=N K=CKK. */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, (int) O, (int) N, (int) CKK,
                   1.0f, w, (int) CKK, col, (int) N, 0.0f, tmp, (int) N);
      /* (O, nb, HW) → (nb, O, HW), adding the bias on the way. */
      for (size_t bl = 0; bl < nb; bl++)
        for (size_t o = 0; o < O; o++)
          {
            float bias = b ? b[o] : 0.0f;
            const float *src = tmp + o * N + bl * HW;
            float *dst = out + ((b0 + bl) * O + o) * HW;
            for (size_t i = 0; i < HW; i++)
              dst[i] = src[i] + bias;
          }
    }
}

void
inv_conv2d_backward (float *din, float *dw, float *db, const float *dout,
                     const float *in, const float *w, const InvConvShape *s,
                     float *scratch)
{
  const size_t HW = s->H * s->W, CKK = s->C * s->k * s->k, O = s->O;
  g_return_if_fail (s->k % 2 == 1 && s->C > 0);
  if (s->B == 0 || O == 0 || HW == 0)
    {
      if (din)
        memset (din, 0, s->B * s->C * HW * sizeof *din);
      return;
    }
  const size_t nbmax = chunk_images (s);
  float *col = scratch;                     /* (CKK, N): col, then dcol */
  float *dmat = scratch + CKK * nbmax * HW; /* (O, N) */
  for (size_t b0 = 0; b0 < s->B; b0 += nbmax)
    {
      size_t nb = s->B - b0 < nbmax ? s->B - b0 : nbmax;
      size_t N = nb * HW;
      /* dout (nb, O, HW) → dmat (O, nb, HW); db sums on the way. */
      for (size_t o = 0; o < O; o++)
        {
          double acc = 0;
          for (size_t bl = 0; bl < nb; bl++)
            {
              const float *src = dout + ((b0 + bl) * O + o) * HW;
              float *dst = dmat + o * N + bl * HW;
              float part = 0.0f;
              for (size_t i = 0; i < HW; i++)
                {
                  dst[i] = src[i];
                  part += src[i];
                }
              acc += part;
            }
          if (db)
            db[o] += (float) acc;
        }
      if (dw)
        {
          im2col (col, in + b0 * s->C * HW, s, nb, N);
          /* dw (O,CKK) += dmat (O,N) · col (CKK,N)ᵀ: NoTrans, Trans; M=O N=CKK K=N. */
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) O, (int) CKK, (int) N,
                       1.0f, dmat, (int) N, col, (int) N, 1.0f, dw, (int) CKK);
        }
      if (din)
        {
          /* dcol (CKK,N) = w (O,CKK)ᵀ · dmat (O,N): Trans, NoTrans; M=CKK N=N K=O. */
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) CKK, (int) N, (int) O,
                       1.0f, w, (int) CKK, dmat, (int) N, 0.0f, col, (int) N);
          col2im (din + b0 * s->C * HW, col, s, nb, N);
        }
    }
}

/* Input index of output index i and tap offset d, or -1 outside a zero pad. */
static inline ptrdiff_t
tap_index (ptrdiff_t i, ptrdiff_t d, ptrdiff_t n, bool circular)
{
  ptrdiff_t j = i + d;
  if (circular)
    {
      j %= n;
      return j < 0 ? j + n : j;
    }
  return j >= 0 && j < n ? j : -1;
}

void
inv_conv2d_forward_naive (float *out, const float *in, const float *w, const float *b,
                          const InvConvShape *s)
{
  const ptrdiff_t H = (ptrdiff_t) s->H, W = (ptrdiff_t) s->W, k = (ptrdiff_t) s->k;
  const ptrdiff_t p = k / 2;
  const size_t C = s->C, O = s->O, HW = s->H * s->W;
  for (size_t bi = 0; bi < s->B; bi++)
    for (size_t o = 0; o < O; o++)
      for (ptrdiff_t y = 0; y < H; y++)
        for (ptrdiff_t x = 0; x < W; x++)
          {
            double acc = b ? b[o] : 0.0;
            for (size_t c = 0; c < C; c++)
              for (ptrdiff_t ki = 0; ki < k; ki++)
                for (ptrdiff_t kj = 0; kj < k; kj++)
                  {
                    ptrdiff_t iy = tap_index (y, ki - p, H, s->circular);
                    ptrdiff_t ix = tap_index (x, kj - p, W, s->circular);
                    if (iy < 0 || ix < 0)
                      continue;
                    acc += (double) in[(bi * C + c) * HW + (size_t) (iy * W + ix)]
                           * w[((o * C + c) * (size_t) k + (size_t) ki) * (size_t) k + (size_t) kj];
                  }
            out[(bi * O + o) * HW + (size_t) (y * W + x)] = (float) acc;
          }
}

void
inv_conv2d_backward_naive (float *din, float *dw, float *db, const float *dout,
                           const float *in, const float *w, const InvConvShape *s)
{
  const ptrdiff_t H = (ptrdiff_t) s->H, W = (ptrdiff_t) s->W, k = (ptrdiff_t) s->k;
  const ptrdiff_t p = k / 2;
  const size_t C = s->C, O = s->O, HW = s->H * s->W, B = s->B;
  if (db)
    for (size_t o = 0; o < O; o++)
      {
        double acc = 0;
        for (size_t bi = 0; bi < B; bi++)
          for (size_t i = 0; i < HW; i++)
            acc += dout[(bi * O + o) * HW + i];
        db[o] += (float) acc;
      }
  if (dw)
    for (size_t o = 0; o < O; o++)
      for (size_t c = 0; c < C; c++)
        for (ptrdiff_t ki = 0; ki < k; ki++)
          for (ptrdiff_t kj = 0; kj < k; kj++)
            {
              double acc = 0;
              for (size_t bi = 0; bi < B; bi++)
                for (ptrdiff_t y = 0; y < H; y++)
                  for (ptrdiff_t x = 0; x < W; x++)
                    {
                      ptrdiff_t iy = tap_index (y, ki - p, H, s->circular);
                      ptrdiff_t ix = tap_index (x, kj - p, W, s->circular);
                      if (iy < 0 || ix < 0)
                        continue;
                      acc += (double) dout[(bi * O + o) * HW + (size_t) (y * W + x)]
                             * in[(bi * C + c) * HW + (size_t) (iy * W + ix)];
                    }
              dw[((o * C + c) * (size_t) k + (size_t) ki) * (size_t) k + (size_t) kj] += (float) acc;
            }
  if (din)
    /* Gather form: input pixel (u,v) receives from every output (y,x) whose
     * tap lands on it, y = u - dy (wrapped or dropped). */
    for (size_t bi = 0; bi < B; bi++)
      for (size_t c = 0; c < C; c++)
        for (ptrdiff_t u = 0; u < H; u++)
          for (ptrdiff_t v = 0; v < W; v++)
            {
              double acc = 0;
              for (size_t o = 0; o < O; o++)
                for (ptrdiff_t ki = 0; ki < k; ki++)
                  for (ptrdiff_t kj = 0; kj < k; kj++)
                    {
                      ptrdiff_t y = tap_index (u, p - ki, H, s->circular);
                      ptrdiff_t x = tap_index (v, p - kj, W, s->circular);
                      if (y < 0 || x < 0)
                        continue;
                      acc += (double) dout[(bi * O + o) * HW + (size_t) (y * W + x)]
                             * w[((o * C + c) * (size_t) k + (size_t) ki) * (size_t) k + (size_t) kj];
                    }
              din[(bi * C + c) * HW + (size_t) (u * W + v)] = (float) acc;
            }
}
