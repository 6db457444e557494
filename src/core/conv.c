/* 2-D "same" convolution (cross-correlation, stride 1, odd k), zero or
 * circular padding: per chunk of the batch, padded planes, im2col and one
 * cblas_sgemm, with the ReLU (and a 2×2 max pool) after it fused into the
 * pass over the result; naive direct-loop references. Not strided, not
 * dilated. Size letters: B batch, C input channels, O output channels,
 * H W spatial, k kernel side, HW = H*W, CKK = C*k*k, N = columns of a
 * chunk (nb*HW). */
#include "layers.h"
#include "blas.h"
#include "util.h"
#include <stdint.h>
#include <string.h>

/* Largest chunk of the batch, in floats of scratch (col + output matrix +
 * padded input): 1 MB. The layers are memory-bound (im2col writes k² copies
 * of the input), so a chunk that stays in cache takes ~1.7× less CPU time
 * than one batch-sized sgemm (B = 256, 16→32 channels at 14×14), and the
 * sgemm is still wide (N = 1372 columns there). */
#define CHUNK_FLOATS ((size_t) 1 << 18)
/* Floats of scratch after the last buffer, so that whole-vector loads and
 * stores of a row's last pooling windows stay inside the scratch. */
#define SLACK 16

/* Floats of scratch per image: col (CKK, HW) + output matrix (O, HW) + the
 * padded input planes (C, Hp, Wp), Hp = H + 2·(k/2); 0 on overflow. */
static size_t
per_image (const InvConvShape *s)
{
  size_t hw, ckk, per, hpwp, pad, p2 = s->k / 2 * 2;
  if (!inv_size_mul (s->H, s->W, &hw) || !inv_size_mul (s->C, s->k * s->k, &ckk)
      || ckk > SIZE_MAX - s->O || !inv_size_mul (hw, ckk + s->O, &per)
      || s->H > SIZE_MAX - p2 || s->W > SIZE_MAX - p2
      || !inv_size_mul (s->H + p2, s->W + p2, &hpwp) || !inv_size_mul (hpwp, s->C, &pad)
      || per > SIZE_MAX - pad)
    return 0;
  return per + pad;
}

/* Images per chunk: depends only on the shape, so forward, backward and
 * inv_conv2d_scratch_size agree. */
static size_t
chunk_images (const InvConvShape *s)
{
  size_t per = per_image (s);
  if (per == 0)
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
  /* col (CKK, N) + output/gradient matrix (O, N) + padded planes; backward
   * reuses col for dcol and the padded planes for their gradient after dw
   * is done, so forward and backward need the same. */
  size_t per = per_image (s), n;
  if (per == 0 || !inv_size_mul (per, chunk_images (s), &n) || n > SIZE_MAX - SLACK)
    return SIZE_MAX;
  return n + SLACK;
}

/* i mod n in [0, n). */
static inline size_t
wrap (ptrdiff_t i, size_t n)
{
  ptrdiff_t r = i % (ptrdiff_t) n;
  return (size_t) (r < 0 ? r + (ptrdiff_t) n : r);
}

/* pad (nb·C, Hp, Wp) = the planes of in (nb, C, H, W) with a border of p
 * = k/2: zeros, or the wrapped-around pixels (circular). */
INV_HOT static void
pad_planes (float *pad, const float *in, const InvConvShape *s, size_t nb)
{
  const size_t H = s->H, W = s->W, p = s->k / 2, Hp = H + 2 * p, Wp = W + 2 * p;
  for (size_t pl = 0; pl < nb * s->C; pl++)
    {
      const float *src = in + pl * H * W;
      float *dst = pad + pl * Hp * Wp;
      if (!s->circular)
        {
          memset (dst, 0, p * Wp * sizeof *dst);
          memset (dst + (p + H) * Wp, 0, p * Wp * sizeof *dst);
          for (size_t y = 0; y < H; y++)
            {
              float *row = dst + (y + p) * Wp;
              for (size_t x = 0; x < p; x++)
                row[x] = row[p + W + x] = 0.0f;
              memcpy (row + p, src + y * W, W * sizeof *row);
            }
        }
      else
        for (size_t yp = 0; yp < Hp; yp++)
          {
            const float *srow = src + wrap ((ptrdiff_t) yp - (ptrdiff_t) p, H) * W;
            float *row = dst + yp * Wp;
            for (size_t xp = 0; xp < Wp; xp++)
              row[xp] = srow[wrap ((ptrdiff_t) xp - (ptrdiff_t) p, W)];
          }
    }
}

/* Rows of 7 to 28 floats copy faster inline than through memcpy calls. */
#if defined(__GNUC__) && !defined(__clang__)
#define NO_MEMCPY_IDIOM __attribute__ ((optimize ("no-tree-loop-distribute-patterns")))
#else
#define NO_MEMCPY_IDIOM
#endif

/* dst (H, W) = the window of src (rows of Wp) at its origin; and the
 * adjoint, dst (rows of Wp) += src (H, W). Inlined with constant widths
 * below so the short rows compile to straight vector code. */
static inline void
copy_window (float *restrict dst, const float *restrict src, size_t H, size_t W, size_t Wp)
{
  for (size_t y = 0; y < H; y++)
    for (size_t x = 0; x < W; x++)
      dst[y * W + x] = src[y * Wp + x];
}

static inline void
add_window (float *restrict dst, const float *restrict src, size_t H, size_t W, size_t Wp)
{
  for (size_t y = 0; y < H; y++)
    for (size_t x = 0; x < W; x++)
      dst[y * Wp + x] += src[y * W + x];
}

/* col (CKK, N), row (c*k + ki)*k + kj, column bl*HW + y*W + x, from the
 * padded planes (nb·C, Hp, Wp): every tap is a plain strided copy. */
INV_HOT NO_MEMCPY_IDIOM static void
im2col (float *col, const float *pad, const InvConvShape *s, size_t nb, size_t N)
{
  const size_t H = s->H, W = s->W, k = s->k, C = s->C, HW = H * W;
  const size_t Wp = W + k / 2 * 2, HpWp = (H + k / 2 * 2) * Wp;
  for (size_t bl = 0; bl < nb; bl++)
    for (size_t c = 0; c < C; c++)
      for (size_t ki = 0; ki < k; ki++)
        for (size_t kj = 0; kj < k; kj++)
          {
            float *dst = col + ((c * k + ki) * k + kj) * N + bl * HW;
            const float *src = pad + (bl * C + c) * HpWp + ki * Wp + kj;
            /* the model's layer widths, 3×3 */
            if (k == 3 && W == 7)
              copy_window (dst, src, H, 7, 9);
            else if (k == 3 && W == 14)
              copy_window (dst, src, H, 14, 16);
            else if (k == 3 && W == 28)
              copy_window (dst, src, H, 28, 30);
            else
              copy_window (dst, src, H, W, Wp);
          }
}

/* Adjoint of im2col and of the padding: din (nb, C, H, W) = Σ over taps of
 * dcol (CKK, N), accumulated in the padded planes dpad (nb·C, Hp, Wp), whose
 * border is then dropped (zero padding) or wrapped back (circular). */
INV_HOT static void
col2im (float *din, const float *dcol, float *dpad, const InvConvShape *s, size_t nb, size_t N)
{
  const size_t H = s->H, W = s->W, k = s->k, C = s->C, HW = H * W, p = k / 2;
  const size_t Hp = H + 2 * p, Wp = W + 2 * p, HpWp = Hp * Wp;
  memset (dpad, 0, nb * C * HpWp * sizeof *dpad);
  for (size_t bl = 0; bl < nb; bl++)
    for (size_t c = 0; c < C; c++)
      {
        float *plane = dpad + (bl * C + c) * HpWp;
        for (size_t ki = 0; ki < k; ki++)
          for (size_t kj = 0; kj < k; kj++)
            {
              const float *src = dcol + ((c * k + ki) * k + kj) * N + bl * HW;
              float *dst = plane + ki * Wp + kj;
              if (k == 3 && W == 7)
                add_window (dst, src, H, 7, 9);
              else if (k == 3 && W == 14)
                add_window (dst, src, H, 14, 16);
              else if (k == 3 && W == 28)
                add_window (dst, src, H, 28, 30);
              else
                add_window (dst, src, H, W, Wp);
            }
        float *out = din + (bl * C + c) * HW;
        for (size_t y = 0; y < H; y++)
          memcpy (out + y * W, plane + (y + p) * Wp + p, W * sizeof *out);
        if (s->circular)
          for (size_t yp = 0; yp < Hp; yp++)
            for (size_t xp = 0; xp < Wp; xp++)
              {
                bool inside = yp >= p && yp < p + H && xp >= p && xp < p + W;
                if (!inside)
                  out[wrap ((ptrdiff_t) yp - (ptrdiff_t) p, H) * W
                      + wrap ((ptrdiff_t) xp - (ptrdiff_t) p, W)] += plane[yp * Wp + xp];
              }
      }
}

/* dst (HW) = src + bias, through a ReLU if relu. */
INV_HOT static void
plane_bias (float *dst, const float *src, size_t HW, float bias, bool relu)
{
  if (relu)
    for (size_t i = 0; i < HW; i++)
      {
        float v = src[i] + bias;
        dst[i] = v > 0.0f ? v : 0.0f;
      }
  else
    for (size_t i = 0; i < HW; i++)
      dst[i] = src[i] + bias;
}

/* dst (HW) = src masked by y > 0 (y NULL: no mask); returns Σ dst. Eight
 * partial sums so the sum vectorizes without reassociation flags. */
INV_HOT static double
plane_grad (float *dst, const float *src, const float *y, size_t HW)
{
  float part[8] = { 0 };
  size_t i = 0;
  for (; i + 8 <= HW; i += 8)
    for (size_t l = 0; l < 8; l++)
      {
        float v = src[i + l];
        v = !y || y[i + l] > 0.0f ? v : 0.0f;
        dst[i + l] = v;
        part[l] += v;
      }
  for (; i < HW; i++)
    {
      float v = src[i];
      v = !y || y[i] > 0.0f ? v : 0.0f;
      dst[i] = v;
      part[0] += v;
    }
  double acc = 0;
  for (size_t l = 0; l < 8; l++)
    acc += part[l];
  return acc;
}

/* Float bits as integers, for compares and masks that vectorize (float
 * compares and selects do not: the compiler must keep them from trapping).
 * For floats ≥ +0, the integer order is the float order. */
typedef int32_t bits32 __attribute__ ((may_alias));

/* Forward of bias → ReLU → 2×2 max pool on one plane of the sgemm result
 * src (H, W): pooled (H/2, W/2) and, per window, route = the elements that
 * will get the gradient (tied maxima, see inv_maxpool2_backward, that the
 * ReLU let through) in bits 0-3 and the number of tied maxima in bits 4-6.
 * After the ReLU every value is ≥ +0, so integer compares of the bits order
 * them as floats (and vectorize). */
INV_HOT static void
plane_pool (float *restrict pooled, uint8_t *restrict route, const float *restrict src,
            size_t H, size_t W, float bias)
{
  const size_t Ho = H / 2, Wo = W / 2;
  for (size_t i = 0; i < Ho; i++)
    {
      const float *s0 = src + 2 * i * W, *s1 = s0 + W;
      for (size_t j = 0; j < Wo; j++)
        {
          float v0 = s0[2 * j] + bias, v1 = s0[2 * j + 1] + bias;
          float v2 = s1[2 * j] + bias, v3 = s1[2 * j + 1] + bias;
          int32_t i0, i1, i2, i3, m;
          memcpy (&i0, &v0, 4);
          memcpy (&i1, &v1, 4);
          memcpy (&i2, &v2, 4);
          memcpy (&i3, &v3, 4);
          /* ReLU on the bits: a set sign bit clears the value to +0 */
          i0 &= ~(i0 >> 31);
          i1 &= ~(i1 >> 31);
          i2 &= ~(i2 >> 31);
          i3 &= ~(i3 >> 31);
          int32_t a = i0 > i1 ? i0 : i1, c = i2 > i3 ? i2 : i3, mx = a > c ? a : c;
          float mxf;
          memcpy (&mxf, &mx, 4);
          float mf = mxf - (1e-5f * mxf + 1e-6f); /* inv_tie_floor for mxf ≥ 0 */
          memcpy (&m, &mf, 4);
          int32_t e0 = i0 >= m, e1 = i1 >= m, e2 = i2 >= m, e3 = i3 >= m;
          int32_t win = (e0 & (i0 > 0)) | (e1 & (i1 > 0)) << 1 | (e2 & (i2 > 0)) << 2
                        | (e3 & (i3 > 0)) << 3;
          pooled[i * Wo + j] = mxf;
          route[i * Wo + j] = (uint8_t) (win | (e0 + e1 + e2 + e3) << 4);
        }
    }
}

/* dst (H, W) = g (H/2, W/2) routed back by route (see plane_pool): g / t at
 * the routed elements, +0 elsewhere. Returns Σ dst. */
INV_HOT static double
plane_unpool (float *restrict dst, const float *restrict g, const uint8_t *restrict route,
              size_t H, size_t W)
{
  const size_t Ho = H / 2, Wo = W / 2;
  bits32 *di = (bits32 *) dst;
  for (size_t i = 0; i < Ho; i++)
    {
      bits32 *d0 = di + 2 * i * W, *d1 = d0 + W;
      for (size_t j = 0; j < Wo; j++)
        {
          int32_t r = route[i * Wo + j], t = r >> 4;
          float share = g[i * Wo + j] / (float) (t | (t == 0));
          int32_t sb;
          memcpy (&sb, &share, sizeof sb);
          d0[2 * j] = sb & -(r & 1);
          d0[2 * j + 1] = sb & -((r >> 1) & 1);
          d1[2 * j] = sb & -((r >> 2) & 1);
          d1[2 * j + 1] = sb & -((r >> 3) & 1);
        }
      if (W % 2)
        d0[W - 1] = d1[W - 1] = 0;
    }
  if (H % 2)
    memset (dst + (H - 1) * W, 0, W * sizeof *dst);
  float part[8] = { 0 };
  size_t i = 0, HW = H * W;
  for (; i + 8 <= HW; i += 8)
    for (size_t l = 0; l < 8; l++)
      part[l] += dst[i + l];
  for (; i < HW; i++)
    part[0] += dst[i];
  double acc = 0;
  for (size_t l = 0; l < 8; l++)
    acc += part[l];
  return acc;
}

/* AVX2 versions of plane_pool and plane_unpool: a pooling row holds only 7
 * or 14 windows, too few for the compiler's vector loops (set-up and scalar
 * tails), so these take 8 windows at a time, whole vectors of the scratch
 * (see SLACK), splitting even and odd columns with permutes. Same numbers
 * as the portable ones. Off under the sanitizers, so that those runs test
 * the portable code. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) \
    && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#include <immintrin.h>
#define HAVE_AVX2_POOL 1

static bool
avx2_pool (void)
{
  return __builtin_cpu_supports ("avx2");
}

/* The first 2·nw floats of a row as its even and odd columns. Loads 16
 * floats: past the row's end they come from the next row (or the scratch's
 * slack) and are ignored. */
__attribute__ ((target ("avx2"))) static inline void
load_pairs (const float *row, __m256 *even, __m256 *odd)
{
  const __m256i split = _mm256_setr_epi32 (0, 2, 4, 6, 1, 3, 5, 7);
  __m256 a = _mm256_permutevar8x32_ps (_mm256_loadu_ps (row), split);     /* x0..x3 | y0..y3 */
  __m256 b = _mm256_permutevar8x32_ps (_mm256_loadu_ps (row + 8), split); /* x4..x7 | y4..y7 */
  *even = _mm256_permute2f128_ps (a, b, 0x20);
  *odd = _mm256_permute2f128_ps (a, b, 0x31);
}

/* The inverse: even and odd columns back into 16 floats of row; whatever
 * lands past the row's 2·nw floats must be overwritten later. */
__attribute__ ((target ("avx2"))) static inline void
store_pairs (float *row, __m256 even, __m256 odd)
{
  __m256 lo = _mm256_unpacklo_ps (even, odd); /* x0 y0 x1 y1 | x4 y4 x5 y5 */
  __m256 hi = _mm256_unpackhi_ps (even, odd); /* x2 y2 x3 y3 | x6 y6 x7 y7 */
  _mm256_storeu_ps (row, _mm256_permute2f128_ps (lo, hi, 0x20));
  _mm256_storeu_ps (row + 8, _mm256_permute2f128_ps (lo, hi, 0x31));
}

/* ReLU on float bits: a set sign bit clears the value to +0. */
__attribute__ ((target ("avx2"))) static inline __m256i
relu_bits (__m256 x)
{
  __m256i b = _mm256_castps_si256 (x);
  return _mm256_andnot_si256 (_mm256_srai_epi32 (b, 31), b);
}

__attribute__ ((target ("avx2"))) static void
plane_pool_avx2 (float *restrict pooled, uint8_t *restrict route, const float *restrict src,
                 size_t H, size_t W, float bias)
{
  const size_t Ho = H / 2, Wo = W / 2;
  const __m256 vb = _mm256_set1_ps (bias), c5 = _mm256_set1_ps (1e-5f), c6 = _mm256_set1_ps (1e-6f);
  const __m256i zero = _mm256_setzero_si256 ();
  for (size_t i = 0; i < Ho; i++)
    for (size_t j0 = 0; j0 < Wo; j0 += 8)
      {
        int nw = (int) MIN (Wo - j0, (size_t) 8);
        __m256 te, to, be, bo;
        load_pairs (src + 2 * i * W + 2 * j0, &te, &to);
        load_pairs (src + (2 * i + 1) * W + 2 * j0, &be, &bo);
        __m256i v0 = relu_bits (_mm256_add_ps (te, vb)), v1 = relu_bits (_mm256_add_ps (to, vb));
        __m256i v2 = relu_bits (_mm256_add_ps (be, vb)), v3 = relu_bits (_mm256_add_ps (bo, vb));
        __m256i mx = _mm256_max_epi32 (_mm256_max_epi32 (v0, v1), _mm256_max_epi32 (v2, v3));
        __m256 mxf = _mm256_castsi256_ps (mx);
        /* inv_tie_floor for mxf ≥ 0, without contraction as the scalar code */
        __m256i m = _mm256_castps_si256 (_mm256_sub_ps (mxf, _mm256_add_ps (_mm256_mul_ps (c5, mxf), c6)));
        __m256i r = zero, t = zero;
        const __m256i v[4] = { v0, v1, v2, v3 };
        for (int k = 0; k < 4; k++)
          {
            __m256i e = _mm256_or_si256 (_mm256_cmpgt_epi32 (v[k], m), _mm256_cmpeq_epi32 (v[k], m));
            __m256i win = _mm256_and_si256 (e, _mm256_cmpgt_epi32 (v[k], zero));
            t = _mm256_sub_epi32 (t, e);
            r = _mm256_or_si256 (r, _mm256_and_si256 (win, _mm256_set1_epi32 (1 << k)));
          }
        r = _mm256_or_si256 (r, _mm256_slli_epi32 (t, 4));
        /* the model's buffers have no slack: exactly nw values */
        float pb[8];
        int32_t rb[8];
        _mm256_storeu_ps (pb, mxf);
        _mm256_storeu_si256 ((__m256i *) rb, r);
        for (int k = 0; k < nw; k++)
          {
            pooled[i * Wo + j0 + k] = pb[k];
            route[i * Wo + j0 + k] = (uint8_t) rb[k];
          }
      }
}

/* The top row's last vector spills into the bottom row, which is written
 * after it from a copy (so nothing spills past the plane). */
#define UNPOOL_MAX_W 256

__attribute__ ((target ("avx2"))) static double
plane_unpool_avx2 (float *restrict dst, const float *restrict g, const uint8_t *restrict route,
                   size_t H, size_t W)
{
  const size_t Ho = H / 2, Wo = W / 2;
  const __m256i zero = _mm256_setzero_si256 (), one = _mm256_set1_epi32 (1);
  __m256 acc = _mm256_setzero_ps ();
  float bottom[UNPOOL_MAX_W + 16];
  for (size_t i = 0; i < Ho; i++)
    {
      for (size_t j0 = 0; j0 < Wo; j0 += 8)
        {
          /* the model's buffers have no slack: exactly nw values; the
           * other lanes route nowhere */
          int nw = (int) MIN (Wo - j0, (size_t) 8);
          int32_t rb[8] = { 0 };
          float gb[8] = { 0 };
          for (int k = 0; k < nw; k++)
            {
              rb[k] = route[i * Wo + j0 + k];
              gb[k] = g[i * Wo + j0 + k];
            }
          __m256i r = _mm256_loadu_si256 ((const __m256i *) rb);
          __m256i t = _mm256_srli_epi32 (r, 4);
          t = _mm256_or_si256 (t, _mm256_and_si256 (_mm256_cmpeq_epi32 (t, zero), one));
          __m256 share = _mm256_div_ps (_mm256_loadu_ps (gb), _mm256_cvtepi32_ps (t));
          __m256 d[4];
          for (int k = 0; k < 4; k++)
            {
              __m256i bit = _mm256_set1_epi32 (1 << k);
              __m256i sel = _mm256_cmpeq_epi32 (_mm256_and_si256 (r, bit), bit);
              d[k] = _mm256_and_ps (share, _mm256_castsi256_ps (sel));
            }
          store_pairs (dst + 2 * i * W + 2 * j0, d[0], d[1]);
          store_pairs (bottom + 2 * j0, d[2], d[3]);
          acc = _mm256_add_ps (acc, _mm256_add_ps (_mm256_add_ps (d[0], d[1]),
                                                   _mm256_add_ps (d[2], d[3])));
        }
      memcpy (dst + (2 * i + 1) * W, bottom, 2 * Wo * sizeof *dst);
      if (W % 2)
        dst[2 * i * W + W - 1] = dst[(2 * i + 1) * W + W - 1] = 0.0f;
    }
  if (H % 2)
    memset (dst + (H - 1) * W, 0, W * sizeof *dst);
  float part[8];
  _mm256_storeu_ps (part, acc);
  double sum = 0;
  for (int l = 0; l < 8; l++)
    sum += part[l];
  return sum;
}
#endif

/* Forward: chunks of nb images, im2col + one sgemm each, then the sgemm's
 * (O, nb, HW) result laid out as (nb, O, HW) with the bias (and the ReLU)
 * added on the way. */
static void
conv_forward (float *out, uint8_t *route, const float *in, const float *w, const float *b,
              const InvConvShape *s, float *scratch, bool relu)
{
  const size_t HW = s->H * s->W, CKK = s->C * s->k * s->k, O = s->O;
  g_return_if_fail (s->k % 2 == 1 && s->C > 0);
  if (s->B == 0 || O == 0 || HW == 0)
    return;
  const size_t nbmax = chunk_images (s);
#ifdef HAVE_AVX2_POOL
  const bool avx2 = route && avx2_pool ();
#endif
  float *col = scratch;                     /* (CKK, N) */
  float *tmp = col + CKK * nbmax * HW;      /* (O, N) */
  float *pad = tmp + O * nbmax * HW;        /* (nb·C, Hp, Wp) */
  for (size_t b0 = 0; b0 < s->B; b0 += nbmax)
    {
      size_t nb = s->B - b0 < nbmax ? s->B - b0 : nbmax;
      size_t N = nb * HW;
      pad_planes (pad, in + b0 * s->C * HW, s, nb);
      im2col (col, pad, s, nb, N);
      /* tmp (O,N) = w (O,CKK) · col (CKK,N): NoTrans, NoTrans; M=O N=N K=CKK. */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, (int) O, (int) N, (int) CKK,
                   1.0f, w, (int) CKK, col, (int) N, 0.0f, tmp, (int) N);
      const size_t HWo = (s->H / 2) * (s->W / 2);
      for (size_t bl = 0; bl < nb; bl++)
        for (size_t o = 0; o < O; o++)
          if (route)
            {
              size_t at = ((b0 + bl) * O + o) * HWo;
#ifdef HAVE_AVX2_POOL
              if (avx2)
                plane_pool_avx2 (out + at, route + at, tmp + o * N + bl * HW, s->H, s->W,
                                 b ? b[o] : 0.0f);
              else
#endif
                plane_pool (out + at, route + at, tmp + o * N + bl * HW, s->H, s->W,
                            b ? b[o] : 0.0f);
            }
          else
            plane_bias (out + ((b0 + bl) * O + o) * HW, tmp + o * N + bl * HW, HW,
                        b ? b[o] : 0.0f, relu);
    }
}

void
inv_conv2d_forward (float *out, const float *in, const float *w, const float *b,
                    const InvConvShape *s, float *scratch)
{
  conv_forward (out, NULL, in, w, b, s, scratch, false);
}

void
inv_conv2d_relu_forward (float *out, const float *in, const float *w, const float *b,
                         const InvConvShape *s, float *scratch)
{
  conv_forward (out, NULL, in, w, b, s, scratch, true);
}

void
inv_conv2d_relu_pool_forward (float *pooled, uint8_t *route, const float *in, const float *w,
                              const float *b, const InvConvShape *s, float *scratch)
{
  g_return_if_fail (route != NULL);
  conv_forward (pooled, route, in, w, b, s, scratch, true);
}

/* Backward: dout (B, O, HW) laid out as dmat (O, nb, HW) per chunk, masked
 * by out > 0 when relu (out = the forward's output) and summed into db on
 * the way (with pooled: dout is the gradient of a 2×2 max pool after the
 * ReLU, routed back to its maxima first); then dw += dmat · colᵀ and dcol = wᵀ · dmat, folded back by
 * col2im. */
static void
conv_backward (float *din, float *dw, float *db, const float *dout, const float *out,
               const uint8_t *route, const float *in, const float *w, const InvConvShape *s,
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
#ifdef HAVE_AVX2_POOL
  const bool avx2 = route && avx2_pool ();
#endif
  float *col = scratch;                     /* (CKK, N): col, then dcol */
  float *dmat = col + CKK * nbmax * HW;     /* (O, N) */
  float *pad = dmat + O * nbmax * HW;       /* (nb·C, Hp, Wp): input, then its gradient */
  for (size_t b0 = 0; b0 < s->B; b0 += nbmax)
    {
      size_t nb = s->B - b0 < nbmax ? s->B - b0 : nbmax;
      size_t N = nb * HW;
      const size_t HWo = (s->H / 2) * (s->W / 2);
      for (size_t o = 0; o < O; o++)
        {
          double acc = 0;
          for (size_t bl = 0; bl < nb; bl++)
            {
              size_t at = ((b0 + bl) * O + o) * HW, pat = ((b0 + bl) * O + o) * HWo;
              if (route)
#ifdef HAVE_AVX2_POOL
                if (avx2 && s->W <= UNPOOL_MAX_W)
                  acc += plane_unpool_avx2 (dmat + o * N + bl * HW, dout + pat, route + pat,
                                            s->H, s->W);
                else
#endif
                  acc += plane_unpool (dmat + o * N + bl * HW, dout + pat, route + pat, s->H, s->W);
              else
                acc += plane_grad (dmat + o * N + bl * HW, dout + at, out ? out + at : NULL, HW);
            }
          if (db)
            db[o] += (float) acc;
        }
      if (dw)
        {
          pad_planes (pad, in + b0 * s->C * HW, s, nb);
          im2col (col, pad, s, nb, N);
          /* dw (O,CKK) += dmat (O,N) · col (CKK,N)ᵀ: NoTrans, Trans; M=O N=CKK K=N. */
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) O, (int) CKK, (int) N,
                       1.0f, dmat, (int) N, col, (int) N, 1.0f, dw, (int) CKK);
        }
      if (din)
        {
          /* dcol (CKK,N) = w (O,CKK)ᵀ · dmat (O,N): Trans, NoTrans; M=CKK N=N K=O. */
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) CKK, (int) N, (int) O,
                       1.0f, w, (int) CKK, dmat, (int) N, 0.0f, col, (int) N);
          col2im (din + b0 * s->C * HW, col, pad, s, nb, N);
        }
    }
}

void
inv_conv2d_backward (float *din, float *dw, float *db, const float *dout,
                     const float *in, const float *w, const InvConvShape *s,
                     float *scratch)
{
  conv_backward (din, dw, db, dout, NULL, NULL, in, w, s, scratch);
}

void
inv_conv2d_relu_backward (float *din, float *dw, float *db, const float *dout,
                          const float *out, const float *in, const float *w,
                          const InvConvShape *s, float *scratch)
{
  g_return_if_fail (out != NULL);
  conv_backward (din, dw, db, dout, out, NULL, in, w, s, scratch);
}

void
inv_conv2d_relu_pool_backward (float *din, float *dw, float *db, const float *dpool,
                               const uint8_t *route, const float *in, const float *w,
                               const InvConvShape *s, float *scratch)
{
  g_return_if_fail (route != NULL);
  conv_backward (din, dw, db, dpool, NULL, route, in, w, s, scratch);
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
