/* Layers: every backward pass against central finite differences, the BLAS
 * paths against the naive references, even tie splitting in the max pools,
 * exact group equivariance of the expanded group convolutions, and losses
 * against values computed by hand. Then the performance machinery over
 * whole models: passes split into thread shards agree with one unsplit pass,
 * and shared orbit passes in training give the full orbit's gradient. */
#include "layers.h"
#include "blas.h"
#include "dataset.h"
#include "model.h"
#include "rng.h"
#include "train.h"
#include <glib.h>
#include <math.h>
#include <string.h>

/* ---- helpers ---- */

static void
fill_uniform (float *x, size_t n, InvRng *r, double lo, double hi)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (lo + (hi - lo) * inv_rng_uniform (r));
}

static void
fill_normal (float *x, size_t n, InvRng *r, double sd)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (sd * inv_rng_normal (r));
}

static double
dot (const float *a, const float *b, size_t n)
{
  double acc = 0;
  for (size_t i = 0; i < n; i++)
    acc += (double) a[i] * b[i];
  return acc;
}

typedef double (*LossFn) (gpointer ctx);

/* Central differences of loss with respect to x (n), compared with grad (n):
 * |a − num| ≤ atol + rtol·max(|a|, |num|). The step actually taken in float
 * is used as the denominator. */
static void
check_grad (const char *what, LossFn loss, gpointer ctx, float *x, size_t n,
            const float *grad, double eps, double rtol, double atol)
{
  double worst = 0, norm = 0;
  for (size_t j = 0; j < n; j++)
    {
      float save = x[j];
      x[j] = (float) (save + eps);
      double hp = (double) x[j] - save;
      double lp = loss (ctx);
      x[j] = (float) (save - eps);
      double hm = save - (double) x[j];
      double lm = loss (ctx);
      x[j] = save;
      double num = (lp - lm) / (hp + hm);
      double err = fabs (grad[j] - num);
      double tol = atol + rtol * fmax (fabs (grad[j]), fabs (num));
      norm += num * num;
      if (err > tol)
        g_error ("%s: element %zu: analytic %.7g vs numeric %.7g (tol %.3g)",
                 what, j, (double) grad[j], num, tol);
      worst = fmax (worst, err);
    }
  /* A check against an all-zero gradient would prove little. */
  g_assert_cmpfloat (norm, >, 0.0);
  g_test_message ("%s: %zu elements, worst abs error %.3g", what, n, worst);
}

static void
assert_close (const char *what, const float *a, const float *b, size_t n, double rtol, double atol)
{
  for (size_t i = 0; i < n; i++)
    {
      double tol = atol + rtol * fmax (fabs (a[i]), fabs (b[i]));
      if (!(fabs ((double) a[i] - b[i]) <= tol))
        g_error ("%s: element %zu: %.8g vs %.8g", what, i, (double) a[i], (double) b[i]);
    }
}

static float
max_abs (const float *x, size_t n)
{
  float m = 0;
  for (size_t i = 0; i < n; i++)
    m = fmaxf (m, fabsf (x[i]));
  return m;
}

/* Fill with a sentinel so that "overwritten" outputs are really written. */
static void
fill_garbage (float *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    x[i] = 1e30f;
}

/* ---- dense ---- */

typedef struct {
  size_t B, In, O;
  float *in, *w, *b, *out, *R;
} DenseCtx;

static double
dense_loss (gpointer p)
{
  DenseCtx *c = p;
  inv_dense_forward (c->out, c->in, c->w, c->b, c->B, c->In, c->O);
  return dot (c->out, c->R, c->B * c->O);
}

static void
test_dense_grad (void)
{
  InvRng r;
  inv_rng_init (&r, 1);
  DenseCtx c = { .B = 3, .In = 5, .O = 4 };
  size_t nin = c.B * c.In, nw = c.O * c.In, nout = c.B * c.O;
  g_autofree float *in = g_new (float, nin), *w = g_new (float, nw), *b = g_new (float, c.O);
  g_autofree float *out = g_new (float, nout), *R = g_new (float, nout);
  g_autofree float *din = g_new (float, nin), *dw = g_new (float, nw), *db = g_new (float, c.O);
  g_autofree float *prior_w = g_new (float, nw), *prior_b = g_new (float, c.O);
  fill_normal (in, nin, &r, 1);
  fill_normal (w, nw, &r, 1);
  fill_normal (b, c.O, &r, 1);
  fill_normal (R, nout, &r, 1);
  c.in = in, c.w = w, c.b = b, c.out = out, c.R = R;

  /* Parameter gradients accumulate onto what is there; din is overwritten. */
  fill_normal (prior_w, nw, &r, 1);
  fill_normal (prior_b, c.O, &r, 1);
  memcpy (dw, prior_w, nw * sizeof *dw);
  memcpy (db, prior_b, c.O * sizeof *db);
  fill_garbage (din, nin);
  inv_dense_backward (din, dw, db, R, in, w, c.B, c.In, c.O);
  for (size_t i = 0; i < nw; i++)
    dw[i] -= prior_w[i];
  for (size_t i = 0; i < c.O; i++)
    db[i] -= prior_b[i];

  check_grad ("dense din", dense_loss, &c, in, nin, din, 0.05, 1e-3, 1e-4);
  check_grad ("dense dw", dense_loss, &c, w, nw, dw, 0.05, 1e-3, 1e-4);
  check_grad ("dense db", dense_loss, &c, b, c.O, db, 0.05, 1e-3, 1e-4);
}

static void
test_dense_naive (void)
{
  InvRng r;
  inv_rng_init (&r, 2);
  const size_t B = 7, In = 33, O = 9;
  g_autofree float *in = g_new (float, B * In), *w = g_new (float, O * In), *b = g_new (float, O);
  g_autofree float *o1 = g_new (float, B * O), *o2 = g_new (float, B * O);
  fill_normal (in, B * In, &r, 1);
  fill_normal (w, O * In, &r, 1);
  fill_normal (b, O, &r, 1);
  inv_dense_forward (o1, in, w, b, B, In, O);
  inv_dense_forward_naive (o2, in, w, b, B, In, O);
  assert_close ("dense forward", o1, o2, B * O, 1e-5, 1e-5);
  inv_dense_forward (o1, in, w, NULL, B, In, O);
  inv_dense_forward_naive (o2, in, w, NULL, B, In, O);
  assert_close ("dense forward, no bias", o1, o2, B * O, 1e-5, 1e-5);

  /* Backward against naive sgemms of the same formulas. */
  g_autofree float *dout = g_new (float, B * O);
  g_autofree float *din1 = g_new (float, B * In), *din2 = g_new (float, B * In);
  g_autofree float *dw1 = g_new0 (float, O * In), *dw2 = g_new0 (float, O * In);
  fill_normal (dout, B * O, &r, 1);
  inv_dense_backward (din1, dw1, NULL, dout, in, w, B, In, O);
  inv_sgemm_naive (true, false, O, In, B, 1.0f, dout, O, in, In, 0.0f, dw2, In);
  inv_sgemm_naive (false, false, B, In, O, 1.0f, dout, O, w, In, 0.0f, din2, In);
  assert_close ("dense dw", dw1, dw2, O * In, 1e-5, 1e-5);
  assert_close ("dense din", din1, din2, B * In, 1e-5, 1e-5);
  /* NULL din: the weight gradient alone. */
  memset (dw1, 0, O * In * sizeof *dw1);
  inv_dense_backward (NULL, dw1, NULL, dout, in, w, B, In, O);
  assert_close ("dense dw, no din", dw1, dw2, O * In, 1e-5, 1e-5);
}

/* The bias gradient accumulates column sums of dout, also for more
 * outputs than the kernel's block of 256. */
static void
test_dense_bias_grad (void)
{
  InvRng r;
  inv_rng_init (&r, 12);
  const size_t B = 37, In = 3, O = 300;
  g_autofree float *in = g_new (float, B * In), *w = g_new (float, O * In);
  g_autofree float *dout = g_new (float, B * O), *db = g_new (float, O), *prior = g_new (float, O);
  fill_normal (in, B * In, &r, 1);
  fill_normal (w, O * In, &r, 1);
  fill_normal (dout, B * O, &r, 1);
  fill_normal (prior, O, &r, 1);
  memcpy (db, prior, O * sizeof *db);
  inv_dense_backward (NULL, NULL, db, dout, in, w, B, In, O);
  for (size_t o = 0; o < O; o++)
    {
      double want = prior[o];
      for (size_t b = 0; b < B; b++)
        want += dout[b * O + o];
      g_assert_cmpfloat_with_epsilon (db[o], want, 1e-5 * (1 + fabs (want)));
    }
}

/* ---- ReLU ---- */

typedef struct {
  size_t n;
  float *in, *out, *R;
} ReluCtx;

static double
relu_loss (gpointer p)
{
  ReluCtx *c = p;
  inv_relu_forward (c->out, c->in, c->n);
  return dot (c->out, c->R, c->n);
}

static void
test_relu_grad (void)
{
  InvRng r;
  inv_rng_init (&r, 3);
  const size_t n = 40;
  g_autofree float *in = g_new (float, n), *out = g_new (float, n), *R = g_new (float, n);
  g_autofree float *din = g_new (float, n);
  /* Away from the kink: |x| ≥ 0.1 with steps of 0.01. */
  for (size_t i = 0; i < n; i++)
    {
      double v = 0.1 + inv_rng_uniform (&r);
      in[i] = (float) (i % 2 ? v : -v);
    }
  fill_normal (R, n, &r, 1);
  ReluCtx c = { n, in, out, R };
  inv_relu_forward (out, in, n);
  fill_garbage (din, n);
  inv_relu_backward (din, R, out, n);
  check_grad ("relu din", relu_loss, &c, in, n, din, 0.01, 1e-4, 1e-5);

  /* In place: out == in, din == dout (check_grad left out stale). */
  inv_relu_forward (out, in, n);
  g_autofree float *x = g_memdup2 (in, n * sizeof *in), *d = g_memdup2 (R, n * sizeof *R);
  inv_relu_forward (x, x, n);
  inv_relu_backward (d, d, x, n);
  for (size_t i = 0; i < n; i++)
    {
      g_assert_cmpfloat (x[i], ==, out[i]);
      g_assert_cmpfloat (d[i], ==, din[i]);
    }
}

/* ---- conv2d ---- */

typedef struct {
  InvConvShape s;
  float *in, *w, *b, *out, *R, *scratch;
} ConvCtx;

static double
conv_loss (gpointer p)
{
  ConvCtx *c = p;
  inv_conv2d_forward (c->out, c->in, c->w, c->b, &c->s, c->scratch);
  return dot (c->out, c->R, c->s.B * c->s.O * c->s.H * c->s.W);
}

static void
conv_grad_case (const InvConvShape *s, guint64 seed)
{
  InvRng r;
  inv_rng_init (&r, seed);
  size_t HW = s->H * s->W, nin = s->B * s->C * HW, nout = s->B * s->O * HW;
  size_t nw = s->O * s->C * s->k * s->k;
  g_autofree float *in = g_new (float, nin), *w = g_new (float, nw), *b = g_new (float, s->O);
  g_autofree float *out = g_new (float, nout), *R = g_new (float, nout);
  g_autofree float *din = g_new (float, nin), *dw = g_new (float, nw), *db = g_new (float, s->O);
  g_autofree float *prior_w = g_new (float, nw), *prior_b = g_new (float, s->O);
  g_autofree float *scratch = g_new (float, inv_conv2d_scratch_size (s));
  fill_normal (in, nin, &r, 1);
  fill_normal (w, nw, &r, 1);
  fill_normal (b, s->O, &r, 1);
  fill_normal (R, nout, &r, 1);
  fill_normal (prior_w, nw, &r, 1);
  fill_normal (prior_b, s->O, &r, 1);
  ConvCtx c = { *s, in, w, b, out, R, scratch };

  memcpy (dw, prior_w, nw * sizeof *dw);
  memcpy (db, prior_b, s->O * sizeof *db);
  fill_garbage (din, nin);
  inv_conv2d_backward (din, dw, db, R, in, w, s, scratch);
  for (size_t i = 0; i < nw; i++)
    dw[i] -= prior_w[i];
  for (size_t i = 0; i < s->O; i++)
    db[i] -= prior_b[i];

  g_autofree char *tag = g_strdup_printf ("conv2d %s k=%zu %zux%zu",
                                          s->circular ? "circular" : "zero", s->k, s->H, s->W);
  g_autofree char *t1 = g_strconcat (tag, " din", NULL);
  g_autofree char *t2 = g_strconcat (tag, " dw", NULL);
  g_autofree char *t3 = g_strconcat (tag, " db", NULL);
  /* The loss is linear in each argument: differences are exact up to float
   * rounding of the forward pass, so a large step is fine. */
  check_grad (t1, conv_loss, &c, in, nin, din, 0.05, 1e-3, 2e-4);
  check_grad (t2, conv_loss, &c, w, nw, dw, 0.05, 1e-3, 2e-4);
  check_grad (t3, conv_loss, &c, b, s->O, db, 0.05, 1e-3, 2e-4);
}

static void
conv_grad_cases (bool circular)
{
  /* Non-square sizes catch H/W swaps; k = 5 on a 3-row image makes taps
   * fall wholly outside (zero) or wrap more than once (circular). */
  const size_t cases[][6] = {
    /* B C O H W k */
    { 2, 2, 3, 5, 6, 3 },
    { 2, 3, 2, 4, 5, 1 },
    { 1, 2, 2, 6, 5, 5 },
    { 2, 1, 2, 3, 4, 5 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      InvConvShape s = { cases[i][0], cases[i][1], cases[i][2], cases[i][3], cases[i][4],
                         cases[i][5], circular };
      conv_grad_case (&s, 100 + i + (circular ? 50 : 0));
    }
}

static void
test_conv_grad_zero (void)
{
  conv_grad_cases (false);
}

static void
test_conv_grad_circular (void)
{
  conv_grad_cases (true);
}

static void
conv_naive_case (const InvConvShape *s, guint64 seed, bool expect_chunks)
{
  InvRng r;
  inv_rng_init (&r, seed);
  size_t HW = s->H * s->W, nin = s->B * s->C * HW, nout = s->B * s->O * HW;
  size_t ckk = s->C * s->k * s->k, nw = s->O * ckk;
  size_t nscratch = inv_conv2d_scratch_size (s);
  if (expect_chunks) /* the case must really split the batch */
    g_assert_cmpuint (nscratch, <, s->B * HW * (ckk + s->O));
  g_autofree float *in = g_new (float, nin), *w = g_new (float, nw), *b = g_new (float, s->O);
  g_autofree float *o1 = g_new (float, nout), *o2 = g_new (float, nout);
  g_autofree float *dout = g_new (float, nout), *scratch = g_new (float, nscratch);
  g_autofree float *din1 = g_new (float, nin), *din2 = g_new (float, nin);
  g_autofree float *dw1 = g_new (float, nw), *dw2 = g_new (float, nw);
  g_autofree float *db1 = g_new (float, s->O), *db2 = g_new (float, s->O);
  fill_uniform (in, nin, &r, -1, 1);
  fill_uniform (w, nw, &r, -1, 1);
  fill_uniform (b, s->O, &r, -1, 1);
  fill_uniform (dout, nout, &r, -1, 1);

  inv_conv2d_forward (o1, in, w, b, s, scratch);
  inv_conv2d_forward_naive (o2, in, w, b, s);
  /* Sums of up to CKK products of magnitude ≤ 1: scale the tolerance. */
  double atol = 1e-6 * (double) ckk;
  assert_close ("conv2d forward", o1, o2, nout, 1e-4, atol);
  inv_conv2d_forward (o1, in, w, NULL, s, scratch);
  inv_conv2d_forward_naive (o2, in, w, NULL, s);
  assert_close ("conv2d forward, no bias", o1, o2, nout, 1e-4, atol);

  fill_uniform (dw1, nw, &r, -1, 1);
  memcpy (dw2, dw1, nw * sizeof *dw1);
  fill_uniform (db1, s->O, &r, -1, 1);
  memcpy (db2, db1, s->O * sizeof *db1);
  fill_garbage (din1, nin);
  fill_garbage (din2, nin);
  inv_conv2d_backward (din1, dw1, db1, dout, in, w, s, scratch);
  inv_conv2d_backward_naive (din2, dw2, db2, dout, in, w, s);
  double natol = 1e-6 * (double) (s->B * HW);
  assert_close ("conv2d din", din1, din2, nin, 1e-4, 1e-6 * (double) (s->O * s->k * s->k));
  assert_close ("conv2d dw", dw1, dw2, nw, 1e-4, natol);
  assert_close ("conv2d db", db1, db2, s->O, 1e-4, natol);

  /* Optional outputs: each gradient alone gives the same numbers. */
  g_autofree float *dw3 = g_new0 (float, nw), *din3 = g_new (float, nin);
  memset (dw2, 0, nw * sizeof *dw2);
  inv_conv2d_backward_naive (NULL, dw2, NULL, dout, in, w, s);
  inv_conv2d_backward (NULL, dw3, NULL, dout, in, w, s, scratch);
  assert_close ("conv2d dw alone", dw3, dw2, nw, 1e-4, natol);
  inv_conv2d_backward (din3, NULL, NULL, dout, in, w, s, scratch);
  assert_close ("conv2d din alone", din3, din1, nin, 0, 0);

  /* Conv + ReLU in one pass = the naive conv, then max (·, 0); its backward
   * = the naive backward of dout masked where the output is positive. */
  inv_conv2d_relu_forward (o1, in, w, b, s, scratch);
  inv_conv2d_forward_naive (o2, in, w, b, s);
  size_t positive = 0;
  for (size_t i = 0; i < nout; i++)
    {
      o2[i] = o2[i] > 0.0f ? o2[i] : 0.0f;
      positive += o1[i] > 0.0f;
    }
  assert_close ("conv2d+relu forward", o1, o2, nout, 1e-4, atol);
  g_assert_cmpuint (positive, >, 0);
  g_assert_cmpuint (positive, <, nout);
  g_autofree float *masked = g_new (float, nout);
  for (size_t i = 0; i < nout; i++)
    masked[i] = o1[i] > 0.0f ? dout[i] : 0.0f;
  fill_uniform (dw1, nw, &r, -1, 1);
  memcpy (dw2, dw1, nw * sizeof *dw1);
  fill_uniform (db1, s->O, &r, -1, 1);
  memcpy (db2, db1, s->O * sizeof *db1);
  fill_garbage (din1, nin);
  fill_garbage (din2, nin);
  inv_conv2d_relu_backward (din1, dw1, db1, dout, o1, in, w, s, scratch);
  inv_conv2d_backward_naive (din2, dw2, db2, masked, in, w, s);
  assert_close ("conv2d+relu din", din1, din2, nin, 1e-4, 1e-6 * (double) (s->O * s->k * s->k));
  assert_close ("conv2d+relu dw", dw1, dw2, nw, 1e-4, natol);
  assert_close ("conv2d+relu db", db1, db2, s->O, 1e-4, natol);
}

static void
test_conv_naive (void)
{
  for (int circ = 0; circ < 2; circ++)
    {
      InvConvShape a = { 3, 4, 5, 7, 6, 3, circ };
      conv_naive_case (&a, 200 + circ, false);
      InvConvShape b = { 2, 3, 4, 5, 5, 5, circ };
      conv_naive_case (&b, 210 + circ, false);
      InvConvShape c = { 2, 3, 2, 4, 3, 1, circ };
      conv_naive_case (&c, 220 + circ, false);
      /* Large enough per image that the batch is split into chunks. */
      InvConvShape d = { 5, 16, 2, 16, 12, 5, circ };
      conv_naive_case (&d, 230 + circ, true);
    }
}

/* conv → ReLU → max pool in one pass = the naive conv, max (·, 0) and the
 * pool; its backward = the pool's backward, then the conv+ReLU backward;
 * with the exact ties the ReLU's zeros make. */
static void
test_conv_relu_pool (void)
{
  const InvConvShape shapes[] = { { 3, 2, 5, 8, 6, 3, false }, { 2, 3, 4, 7, 5, 3, false },
                                  { 40, 4, 6, 14, 14, 3, false }, { 2, 2, 3, 6, 6, 3, true } };
  for (size_t c = 0; c < G_N_ELEMENTS (shapes); c++)
    {
      const InvConvShape *s = &shapes[c];
      InvRng r;
      inv_rng_init (&r, 300 + c);
      size_t HW = s->H * s->W, HWo = (s->H / 2) * (s->W / 2);
      size_t nin = s->B * s->C * HW, nout = s->B * s->O * HW, npool = s->B * s->O * HWo;
      size_t nw = s->O * s->C * s->k * s->k;
      g_autofree float *in = g_new (float, nin), *w = g_new (float, nw), *b = g_new (float, s->O);
      g_autofree float *out = g_new (float, nout), *pooled = g_new (float, npool);
      g_autofree float *pooled2 = g_new (float, npool);
      g_autofree uint8_t *route = g_new (uint8_t, npool);
      g_autofree float *dpool = g_new (float, npool), *dfull = g_new (float, nout);
      g_autofree float *scratch = g_new (float, inv_conv2d_scratch_size (s));
      g_autofree float *din1 = g_new (float, nin), *din2 = g_new (float, nin);
      g_autofree float *dw1 = g_new0 (float, nw), *dw2 = g_new0 (float, nw);
      g_autofree float *db1 = g_new0 (float, s->O), *db2 = g_new0 (float, s->O);
      fill_uniform (in, nin, &r, -1, 1);
      fill_uniform (w, nw, &r, -1, 1);
      fill_uniform (b, s->O, &r, -0.5, 0.5);
      fill_uniform (dpool, npool, &r, -1, 1);
      /* the reference: naive conv, ReLU, pool */
      inv_conv2d_forward_naive (out, in, w, b, s);
      size_t zeros = 0;
      for (size_t i = 0; i < nout; i++)
        {
          out[i] = out[i] > 0.0f ? out[i] : 0.0f;
          zeros += out[i] == 0.0f;
        }
      g_assert_cmpuint (zeros, >, 0); /* ties at 0 are exercised */
      inv_maxpool2_forward (pooled2, out, s->B * s->O, s->H, s->W);
      inv_conv2d_relu_pool_forward (pooled, route, in, w, b, s, scratch);
      assert_close ("conv+relu+pool forward", pooled, pooled2, npool, 1e-4, 1e-6 * 9 * s->C);
      /* The backward routes as the pool's backward over the BLAS path's own
       * conv output does (the naive one may round ties apart). */
      inv_conv2d_relu_forward (out, in, w, b, s, scratch);
      inv_maxpool2_forward (pooled2, out, s->B * s->O, s->H, s->W);
      g_assert_cmpmem (pooled, npool * sizeof (float), pooled2, npool * sizeof (float));
      fill_garbage (din1, nin);
      fill_garbage (din2, nin);
      inv_conv2d_relu_pool_backward (din1, dw1, db1, dpool, route, in, w, s, scratch);
      inv_maxpool2_backward (dfull, dpool, out, pooled2, s->B * s->O, s->H, s->W);
      inv_conv2d_relu_backward (din2, dw2, db2, dfull, out, in, w, s, scratch);
      double atol = 1e-6 * (double) (s->B * HW);
      assert_close ("conv+relu+pool din", din1, din2, nin, 1e-5, 1e-6 * (double) (s->O * 9));
      assert_close ("conv+relu+pool dw", dw1, dw2, nw, 1e-5, atol);
      assert_close ("conv+relu+pool db", db1, db2, s->O, 1e-5, atol);
      g_assert_cmpfloat (max_abs (dw1, nw), >, 0.0f);
      /* input gradient alone */
      g_autofree float *din3 = g_new (float, nin);
      inv_conv2d_relu_pool_backward (din3, NULL, NULL, dpool, route, in, w, s, scratch);
      assert_close ("conv+relu+pool din alone", din3, din1, nin, 0, 0);
    }
}

static void
test_conv_scratch (void)
{
  InvConvShape s = { 256, 16, 32, 14, 14, 3, false };
  size_t n = inv_conv2d_scratch_size (&s);
  /* At least one image's col + output matrix, at most the whole batch's. */
  g_assert_cmpuint (n, >=, 196 * (144 + 32));
  g_assert_cmpuint (n, <=, 256 * 196 * (144 + 32));
  InvConvShape huge = { 1, SIZE_MAX / 4, 2, 1024, 1024, 3, false };
  g_assert_cmpuint (inv_conv2d_scratch_size (&huge), ==, SIZE_MAX);
}

/* ---- max pooling ---- */

typedef struct {
  size_t N, H, W;
  float *in, *out, *R;
} PoolCtx;

static double
maxpool_loss (gpointer p)
{
  PoolCtx *c = p;
  inv_maxpool2_forward (c->out, c->in, c->N, c->H, c->W);
  return dot (c->out, c->R, c->N * (c->H / 2) * (c->W / 2));
}

static void
test_maxpool_grad (void)
{
  InvRng r;
  inv_rng_init (&r, 4);
  const size_t N = 3, H = 4, W = 6, n = N * H * W, no = N * (H / 2) * (W / 2);
  g_autofree float *in = g_new (float, n), *out = g_new (float, no), *R = g_new (float, no);
  g_autofree float *din = g_new (float, n);
  g_autofree size_t *idx = g_new (size_t, n);
  /* Distinct values 0.1 apart in random order: no ties, and a step of 0.01
   * never changes which element wins. */
  for (size_t i = 0; i < n; i++)
    idx[i] = i;
  inv_rng_shuffle (&r, idx, n);
  for (size_t i = 0; i < n; i++)
    in[i] = (float) (0.1 * (double) idx[i] - 1.0);
  fill_normal (R, no, &r, 1);
  PoolCtx c = { N, H, W, in, out, R };
  inv_maxpool2_forward (out, in, N, H, W);
  fill_garbage (din, n);
  inv_maxpool2_backward (din, R, in, out, N, H, W);
  check_grad ("maxpool din", maxpool_loss, &c, in, n, din, 0.01, 1e-4, 1e-5);
}

static void
test_maxpool_ties (void)
{
  /* One plane 2×6: windows {1,3 / 3,0} (two maxima), {2,2 / 2,2} (four),
   * {5,1 / 0,-1} (one). */
  const float in[12] = { 1, 3, 2, 2, 5, 1,
                         3, 0, 2, 2, 0, -1 };
  const float dout[3] = { 0.8f, 2.0f, -1.5f };
  const float want[12] = { 0, 0.4f, 0.5f, 0.5f, -1.5f, 0,
                           0.4f, 0, 0.5f, 0.5f, 0, 0 };
  float out[3], din[12];
  inv_maxpool2_forward (out, in, 1, 2, 6);
  g_assert_cmpfloat (out[0], ==, 3);
  g_assert_cmpfloat (out[1], ==, 2);
  g_assert_cmpfloat (out[2], ==, 5);
  fill_garbage (din, 12);
  inv_maxpool2_backward (din, dout, in, out, 1, 2, 6);
  for (size_t i = 0; i < 12; i++)
    g_assert_cmpfloat_with_epsilon (din[i], want[i], 1e-7);
}

/* ---- group pool and mean pool ---- */

typedef struct {
  size_t B, C, G, HW;
  float *in, *mean_map, *out, *R;
} GPoolCtx;

static double
group_pool_loss (gpointer p)
{
  GPoolCtx *c = p;
  inv_group_pool_forward (c->out, c->mean_map, c->in, c->B, c->C, c->G, c->HW);
  return dot (c->out, c->R, c->B * c->C);
}

static void
test_group_pool_grad (void)
{
  InvRng r;
  inv_rng_init (&r, 5);
  const size_t B = 2, C = 3, G = 4, HW = 6, n = B * C * G * HW;
  g_autofree float *in = g_new (float, n), *mm = g_new (float, B * C * HW);
  g_autofree float *out = g_new (float, B * C), *R = g_new (float, B * C);
  g_autofree float *din = g_new (float, n);
  g_autofree size_t *idx = g_new (size_t, HW);
  /* Per (b,c) a spatial profile with values 0.2 apart, plus per-g noise of
   * ±0.01: the group mean keeps one clear spatial maximum. */
  for (size_t bc = 0; bc < B * C; bc++)
    {
      for (size_t p = 0; p < HW; p++)
        idx[p] = p;
      inv_rng_shuffle (&r, idx, HW);
      for (size_t g = 0; g < G; g++)
        for (size_t p = 0; p < HW; p++)
          in[(bc * G + g) * HW + p] = (float) (0.2 * (double) idx[p]
                                               + 0.02 * (inv_rng_uniform (&r) - 0.5));
    }
  fill_normal (R, B * C, &r, 1);
  GPoolCtx c = { B, C, G, HW, in, mm, out, R };
  inv_group_pool_forward (out, mm, in, B, C, G, HW);
  /* The forward pass against its definition. */
  for (size_t bc = 0; bc < B * C; bc++)
    {
      double best = -INFINITY;
      for (size_t p = 0; p < HW; p++)
        {
          double m = 0;
          for (size_t g = 0; g < G; g++)
            m += in[(bc * G + g) * HW + p];
          best = fmax (best, m / G);
        }
      g_assert_cmpfloat_with_epsilon (out[bc], best, 1e-6);
    }
  fill_garbage (din, n);
  inv_group_pool_backward (din, R, mm, out, B, C, G, HW);
  check_grad ("group pool din", group_pool_loss, &c, in, n, din, 0.005, 1e-3, 1e-5);
}

static void
test_group_pool_ties (void)
{
  /* B=1, C=2, G=2, HW=6. Channel 0: mean (1,2,0,2,-1,1): two maxima;
   * channel 1: mean (2,0,2,1,2,-1): three. */
  const float in[24] = {
    1, 3, 0, 3, -1, 0,  /* c0 g0 */
    1, 1, 0, 1, -1, 2,  /* c0 g1 */
    2, 0, 4, 1, 0, -1,  /* c1 g0 */
    2, 0, 0, 1, 4, -1,  /* c1 g1 */
  };
  const float dout[2] = { 1.0f, 3.0f };
  float out[2], mm[12], din[24];
  inv_group_pool_forward (out, mm, in, 1, 2, 2, 6);
  g_assert_cmpfloat (out[0], ==, 2);
  g_assert_cmpfloat (out[1], ==, 2);
  fill_garbage (din, 24);
  inv_group_pool_backward (din, dout, mm, out, 1, 2, 2, 6);
  /* dout / (ties · G) at every tied maximum, for both g. */
  const float a = 1.0f / 4, b = 3.0f / 6;
  const float want[24] = {
    0, a, 0, a, 0, 0,
    0, a, 0, a, 0, 0,
    b, 0, b, 0, b, 0,
    b, 0, b, 0, b, 0,
  };
  for (size_t i = 0; i < 24; i++)
    g_assert_cmpfloat_with_epsilon (din[i], want[i], 1e-7);
}

typedef struct {
  size_t B, C, HW;
  float *in, *out, *R;
} MPoolCtx;

static double
mean_pool_loss (gpointer p)
{
  MPoolCtx *c = p;
  inv_mean_pool_forward (c->out, c->in, c->B, c->C, c->HW);
  return dot (c->out, c->R, c->B * c->C);
}

static void
test_mean_pool_grad (void)
{
  InvRng r;
  inv_rng_init (&r, 6);
  const size_t B = 2, C = 3, HW = 10, n = B * C * HW;
  g_autofree float *in = g_new (float, n), *out = g_new (float, B * C), *R = g_new (float, B * C);
  g_autofree float *din = g_new (float, n);
  fill_normal (in, n, &r, 1);
  fill_normal (R, B * C, &r, 1);
  MPoolCtx c = { B, C, HW, in, out, R };
  inv_mean_pool_forward (out, in, B, C, HW);
  for (size_t i = 0; i < B * C; i++)
    {
      double m = 0;
      for (size_t p = 0; p < HW; p++)
        m += in[i * HW + p];
      g_assert_cmpfloat_with_epsilon (out[i], m / HW, 1e-6);
    }
  fill_garbage (din, n);
  inv_mean_pool_backward (din, R, B, C, HW);
  check_grad ("mean pool din", mean_pool_loss, &c, in, n, din, 0.05, 1e-4, 1e-6);
}

/* ---- group convolutions: expand → conv2d → fold ---- */

typedef struct {
  const InvGroup *fg;
  bool lifting;
  size_t O, C;      /* psi channels (before expansion) */
  InvConvShape s;   /* of the expanded conv */
  float *x, *psi, *b, *wexp, *bexp, *out, *R, *scratch;
} GConvCtx;

static void
gconv_run (GConvCtx *c)
{
  size_t G = c->fg->order;
  if (c->lifting)
    inv_gconv_lift_expand (c->wexp, c->psi, c->fg, c->O, c->C);
  else
    inv_gconv_expand (c->wexp, c->psi, c->fg, c->O, c->C);
  inv_gconv_bias_expand (c->bexp, c->b, c->O, G);
  inv_conv2d_forward (c->out, c->x, c->wexp, c->bexp, &c->s, c->scratch);
}

static double
gconv_loss (gpointer p)
{
  GConvCtx *c = p;
  gconv_run (c);
  return dot (c->out, c->R, c->s.B * c->s.O * c->s.H * c->s.W);
}

/* Buffers for a lifting (C → O·G) or group (C·G → O·G) conv on B×H×W. */
static GConvCtx
gconv_ctx_new (const InvGroup *fg, bool lifting, size_t B, size_t O, size_t C,
               size_t H, size_t W, bool circular)
{
  size_t G = fg->order, kk = fg->h * fg->w;
  GConvCtx c = { .fg = fg, .lifting = lifting, .O = O, .C = C };
  c.s = (InvConvShape) { B, lifting ? C : C * G, O * G, H, W, fg->h, circular };
  size_t npsi = O * C * (lifting ? 1 : G) * kk;
  c.x = g_new (float, B * c.s.C * H * W);
  c.psi = g_new (float, npsi);
  c.b = g_new (float, O);
  c.wexp = g_new (float, c.s.O * c.s.C * kk);
  c.bexp = g_new (float, c.s.O);
  c.out = g_new (float, B * c.s.O * H * W);
  c.R = g_new (float, B * c.s.O * H * W);
  c.scratch = g_new (float, inv_conv2d_scratch_size (&c.s));
  return c;
}

static void
gconv_ctx_clear (GConvCtx *c)
{
  g_free (c->x);
  g_free (c->psi);
  g_free (c->b);
  g_free (c->wexp);
  g_free (c->bexp);
  g_free (c->out);
  g_free (c->R);
  g_free (c->scratch);
}

static void
gconv_grad_case (const char *group, bool lifting, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvGroup) fg = inv_group_new (group, 3, 3, &error);
  g_assert_no_error (error);
  InvRng r;
  inv_rng_init (&r, seed);
  size_t G = fg->order;
  GConvCtx c = gconv_ctx_new (fg, lifting, 2, 2, lifting ? 1 : 2, 5, 5, false);
  size_t npsi = c.O * c.C * (lifting ? 1 : G) * 9, nout = c.s.B * c.s.O * 25;
  size_t nwexp = c.s.O * c.s.C * 9;
  fill_normal (c.x, c.s.B * c.s.C * 25, &r, 1);
  fill_normal (c.psi, npsi, &r, 1);
  fill_normal (c.b, c.O, &r, 1);
  fill_normal (c.R, nout, &r, 1);

  /* Analytic: conv backward into the expanded gradients, then fold onto a
   * nonzero prior (fold accumulates). */
  g_autofree float *dwexp = g_new0 (float, nwexp), *dbexp = g_new0 (float, c.s.O);
  g_autofree float *dpsi = g_new (float, npsi), *db = g_new (float, c.O);
  g_autofree float *prior_psi = g_new (float, npsi), *prior_b = g_new (float, c.O);
  fill_normal (prior_psi, npsi, &r, 1);
  fill_normal (prior_b, c.O, &r, 1);
  memcpy (dpsi, prior_psi, npsi * sizeof *dpsi);
  memcpy (db, prior_b, c.O * sizeof *db);
  gconv_run (&c);
  inv_conv2d_backward (NULL, dwexp, dbexp, c.R, c.x, c.wexp, &c.s, c.scratch);
  if (lifting)
    inv_gconv_lift_fold (dpsi, dwexp, fg, c.O, c.C);
  else
    inv_gconv_fold (dpsi, dwexp, fg, c.O, c.C);
  inv_gconv_bias_fold (db, dbexp, c.O, G);
  for (size_t i = 0; i < npsi; i++)
    dpsi[i] -= prior_psi[i];
  for (size_t i = 0; i < c.O; i++)
    db[i] -= prior_b[i];

  g_autofree char *t1 = g_strdup_printf ("%s %s dpsi", lifting ? "lifting" : "group conv", group);
  g_autofree char *t2 = g_strdup_printf ("%s %s db", lifting ? "lifting" : "group conv", group);
  check_grad (t1, gconv_loss, &c, c.psi, npsi, dpsi, 0.25, 1e-3, 2e-4);
  check_grad (t2, gconv_loss, &c, c.b, c.O, db, 0.25, 1e-3, 2e-4);
  gconv_ctx_clear (&c);
}

static void
test_gconv_lift_grad (void)
{
  gconv_grad_case ("c4", true, 300);
  gconv_grad_case ("d4", true, 301);
  gconv_grad_case ("flip", true, 302);
}

static void
test_gconv_group_grad (void)
{
  gconv_grad_case ("c4", false, 310);
  gconv_grad_case ("d4", false, 311);
  gconv_grad_case ("flip", false, 312);
}

/* (g·f)[c*G + h] = g·f[c*G + g⁻¹h] for a group feature map f (B, C*G, H*W);
 * with G = 1 (C channels, no group axis) it is the plain image action. */
static void
transform_map (float *out, const float *in, const InvGroup *img, size_t g,
               size_t B, size_t C, size_t G)
{
  size_t HW = img->h * img->w;
  for (size_t b = 0; b < B; b++)
    for (size_t c = 0; c < C; c++)
      for (size_t h = 0; h < G; h++)
        {
          size_t src = G == 1 ? 0 : inv_group_mul (img, img->inverse[g], h);
          inv_group_apply (img, g, out + ((b * C + c) * G + h) * HW,
                           in + ((b * C + c) * G + src) * HW);
        }
}

/* out(g·x) = g·out(x) for every g, where g acts on the output as a group
 * feature map: this is what makes the expansion a group convolution. */
static void
gconv_equivariance_case (const char *group, bool lifting, size_t H, bool circular, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvGroup) fg = inv_group_new (group, 3, 3, &error);
  g_assert_no_error (error);
  g_autoptr (InvGroup) img = inv_group_new (group, H, H, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fg->order, ==, img->order);
  InvRng r;
  inv_rng_init (&r, seed);
  size_t G = fg->order, B = 2, O = 2, C = lifting ? 1 : 2;
  GConvCtx c = gconv_ctx_new (fg, lifting, B, O, C, H, H, circular);
  size_t nx = B * c.s.C * H * H, nout = B * c.s.O * H * H;
  size_t npsi = O * C * (lifting ? 1 : G) * 9;
  fill_uniform (c.x, nx, &r, -1, 1);
  fill_uniform (c.psi, npsi, &r, -1.0 / sqrt ((double) c.s.C * 9), 1.0 / sqrt ((double) c.s.C * 9));
  fill_uniform (c.b, O, &r, -1, 1);

  g_autofree float *x0 = g_memdup2 (c.x, nx * sizeof *c.x);
  g_autofree float *out0 = g_new (float, nout), *want = g_new (float, nout);
  gconv_run (&c);
  memcpy (out0, c.out, nout * sizeof *out0);
  double worst = 0;
  for (size_t g = 0; g < G; g++)
    {
      transform_map (c.x, x0, img, g, B, C, lifting ? 1 : G);
      gconv_run (&c);
      transform_map (want, out0, img, g, B, O, G);
      for (size_t i = 0; i < nout; i++)
        {
          double err = fabs ((double) c.out[i] - want[i]);
          if (err > 1e-5)
            g_error ("%s %s %zux%zu %s: g=%zu element %zu: %.8g vs %.8g", group,
                     lifting ? "lifting" : "group conv", H, H, circular ? "circular" : "zero",
                     g, i, (double) c.out[i], (double) want[i]);
          worst = fmax (worst, err);
        }
    }
  /* The output must depend on g non-trivially for the check to mean much. */
  g_assert_cmpfloat (fabs ((double) want[0] - out0[0]) + fabs ((double) want[nout / 2] - out0[nout / 2]),
                     >, 0.0);
  g_test_message ("%s %s %zux%zu: worst %.3g", group, lifting ? "lifting" : "gconv", H, H, worst);
  gconv_ctx_clear (&c);
}

static void
gconv_equivariance_all (bool lifting)
{
  const char *groups[] = { "c4", "d4", "flip" };
  for (size_t i = 0; i < G_N_ELEMENTS (groups); i++)
    for (size_t H = 7; H <= 8; H++)
      for (int circ = 0; circ < 2; circ++)
        gconv_equivariance_case (groups[i], lifting, H, circ, 400 + i * 10 + H + (size_t) circ);
}

static void
test_gconv_lift_equivariance (void)
{
  gconv_equivariance_all (true);
}

static void
test_gconv_group_equivariance (void)
{
  gconv_equivariance_all (false);
}

/* ---- losses ---- */

typedef struct {
  size_t N, K, B, G;
  float *z;
  const uint8_t *labels;
  float lambda;
} LossCtx;

static double
xent_loss (gpointer p)
{
  LossCtx *c = p;
  return inv_softmax_xent (NULL, c->z, c->labels, c->N, c->K, 1.0f);
}

static double
penalty_loss (gpointer p)
{
  LossCtx *c = p;
  return c->lambda * inv_invariance_penalty (NULL, c->z, c->B, c->G, c->K, c->lambda);
}

static void
test_xent_grad (void)
{
  InvRng r;
  inv_rng_init (&r, 7);
  const size_t N = 5, K = 4;
  uint8_t labels[5];
  g_autofree float *z = g_new (float, N * K), *dz = g_new (float, N * K);
  fill_normal (z, N * K, &r, 2);
  for (size_t i = 0; i < N; i++)
    labels[i] = (uint8_t) inv_rng_below (&r, K);
  LossCtx c = { .N = N, .K = K, .z = z, .labels = labels };
  fill_garbage (dz, N * K);
  inv_softmax_xent (dz, z, labels, N, K, 1.0f);
  check_grad ("xent dlogits", xent_loss, &c, z, N * K, dz, 1e-3, 2e-3, 1e-5);

  /* scale multiplies the gradient and leaves the loss alone. */
  g_autofree float *dz3 = g_new (float, N * K);
  double l1 = inv_softmax_xent (NULL, z, labels, N, K, 1.0f);
  double l3 = inv_softmax_xent (dz3, z, labels, N, K, 3.0f);
  g_assert_cmpfloat_with_epsilon (l1, l3, 1e-12);
  for (size_t i = 0; i < N * K; i++)
    g_assert_cmpfloat_with_epsilon (dz3[i], 3.0f * dz[i], 1e-6);
}

static void
test_xent_values (void)
{
  /* Two classes, logits (0, 1): CE(label 1) = ln(1 + e⁻¹), CE(label 0) =
   * ln(1 + e); dCE/dz = p − onehot, p = (1/(1+e), e/(1+e)). */
  const float z[4] = { 0, 1, 0, 1 };
  const uint8_t labels[2] = { 1, 0 };
  float dz[4];
  double e = exp (1.0);
  double want = 0.5 * (log1p (1 / e) + log1p (e));
  double l = inv_softmax_xent (dz, z, labels, 2, 2, 1.0f);
  g_assert_cmpfloat_with_epsilon (l, want, 1e-7);
  double p0 = 1 / (1 + e), p1 = e / (1 + e);
  g_assert_cmpfloat_with_epsilon (dz[0], 0.5 * p0, 1e-7);
  g_assert_cmpfloat_with_epsilon (dz[1], 0.5 * (p1 - 1), 1e-7);
  g_assert_cmpfloat_with_epsilon (dz[2], 0.5 * (p0 - 1), 1e-7);
  g_assert_cmpfloat_with_epsilon (dz[3], 0.5 * p1, 1e-7);

  /* Uniform logits: CE = ln K whatever the label. */
  const float u[3] = { 7, 7, 7 };
  const uint8_t l2[1] = { 2 };
  g_assert_cmpfloat_with_epsilon (inv_softmax_xent (NULL, u, l2, 1, 3, 1.0f), log (3.0), 1e-7);

  /* Stable for large logits: (1000, 0) costs 0 for label 0 and 1000 for 1. */
  const float big[4] = { 1000, 0, 1000, 0 };
  const uint8_t lb[2] = { 0, 1 };
  float db[4];
  l = inv_softmax_xent (db, big, lb, 2, 2, 1.0f);
  g_assert_true (isfinite (l));
  g_assert_cmpfloat_with_epsilon (l, 500.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (db[0], 0.0, 1e-7);
  g_assert_cmpfloat_with_epsilon (db[2], 0.5, 1e-7);
  g_assert_cmpfloat_with_epsilon (db[3], -0.5, 1e-7);
}

static void
test_penalty_grad (void)
{
  InvRng r;
  inv_rng_init (&r, 8);
  const size_t B = 3, G = 4, K = 5, n = B * G * K;
  g_autofree float *z = g_new (float, n), *dz = g_new (float, n), *prior = g_new (float, n);
  fill_normal (z, n, &r, 1);
  fill_normal (prior, n, &r, 1);
  LossCtx c = { .B = B, .G = G, .K = K, .z = z, .lambda = 0.7f };
  /* The penalty ADDS λ·gradient to what is there. */
  memcpy (dz, prior, n * sizeof *dz);
  inv_invariance_penalty (dz, z, B, G, K, c.lambda);
  for (size_t i = 0; i < n; i++)
    dz[i] -= prior[i];
  check_grad ("penalty dlogits", penalty_loss, &c, z, n, dz, 1e-2, 1e-3, 1e-6);
}

static void
test_penalty_values (void)
{
  /* One orbit of two rows (1,0), (3,2): mean (2,1), deviations ∓(1,1),
   * so mean_g ‖·‖² = (2 + 2)/2 = 2; gradient 2λ/(B·G)·dev = λ·dev. A second
   * orbit of identical rows adds 0 error and 0 gradient but halves the mean. */
  const float z[8] = { 1, 0, 3, 2,
                       5, -1, 5, -1 };
  float dz[8] = { 0 };
  double e = inv_invariance_penalty (dz, z, 1, 2, 2, 0.5f);
  g_assert_cmpfloat_with_epsilon (e, 2.0, 1e-12);
  const float want[4] = { -0.5f, -0.5f, 0.5f, 0.5f };
  for (size_t i = 0; i < 4; i++)
    g_assert_cmpfloat_with_epsilon (dz[i], want[i], 1e-7);

  memset (dz, 0, sizeof dz);
  e = inv_invariance_penalty (dz, z, 2, 2, 2, 1.0f);
  g_assert_cmpfloat_with_epsilon (e, 1.0, 1e-12);
  for (size_t i = 0; i < 4; i++)
    g_assert_cmpfloat_with_epsilon (dz[i], want[i], 1e-7); /* 2·1/(2·2)·dev */
  for (size_t i = 4; i < 8; i++)
    g_assert_cmpfloat (dz[i], ==, 0.0f);
  g_assert_cmpfloat (inv_invariance_penalty (NULL, z + 4, 1, 2, 2, 1.0f), ==, 0.0);
}

/* ---- whole models: rows split into shards, orbits shared in training ---- */

typedef struct {
  InvModelKind kind;
  const char *group;
} KindCase;

static const KindCase model_cases[] = {
  { INV_MODEL_MLP, "c4" }, { INV_MODEL_CNN, "c4" }, { INV_MODEL_TIED_MLP, "d4" },
  { INV_MODEL_GCNN, "c4" }, { INV_MODEL_GCNN, "trans" },
};

/* A pass split into 2 or 3 shards run by threads gives the numbers of one
 * unsplit pass (up to float rounding), and the same bits every time. */
static void
test_model_shards (void)
{
  const int saved = inv_blas_get_threads ();
  const size_t B = 40, n = 28 * 28, K = 10;
  InvRng r;
  inv_rng_init (&r, 21);
  g_autofree float *x = g_new (float, B * n), *dz = g_new (float, B * K);
  fill_uniform (x, B * n, &r, 0, 1);
  fill_normal (dz, B * K, &r, 1);
  for (size_t c = 0; c < G_N_ELEMENTS (model_cases); c++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (InvModel) m = inv_model_new (model_cases[c].kind, model_cases[c].group, 28, 28,
                                              K, NULL, 5 + c, &error);
      g_assert_no_error (error);
      const size_t P = m->n_params;
      float *z[4], *dx[4], *g[4];
      const int threads[4] = { 1, 2, 3, 2 };
      for (size_t t = 0; t < 4; t++)
        {
          inv_blas_set_threads (threads[t]);
          g_assert_cmpint (inv_model_threads (), ==, threads[t]);
          z[t] = g_new (float, B * K);
          dx[t] = g_new (float, B * n);
          g_assert_true (inv_model_forward (m, z[t], x, B, &error));
          inv_model_zero_grad (m);
          inv_model_backward (m, dx[t], dz, B, TRUE);
          g[t] = g_memdup2 (m->grads, P * sizeof (float));
          g_assert_cmpint (inv_model_threads (), ==, threads[t]);
        }
      const char *kn = inv_model_kind_name (model_cases[c].kind);
      for (size_t t = 1; t < 3; t++)
        {
          g_test_message ("%s on %s, %d threads", kn, model_cases[c].group, threads[t]);
          assert_close ("shard logits", z[t], z[0], B * K, 1e-4, 1e-5 * max_abs (z[0], B * K));
          assert_close ("shard dx", dx[t], dx[0], B * n, 1e-3, 1e-5 * max_abs (dx[0], B * n));
          assert_close ("shard grads", g[t], g[0], P, 1e-3, 1e-5 * max_abs (g[0], P));
        }
      g_assert_cmpmem (z[3], B * K * sizeof (float), z[1], B * K * sizeof (float));
      g_assert_cmpmem (dx[3], B * n * sizeof (float), dx[1], B * n * sizeof (float));
      g_assert_cmpmem (g[3], P * sizeof (float), g[1], P * sizeof (float));
      /* A backward over the first rows of the forward only. */
      g_autofree float *dx_part = g_new (float, 8 * n);
      inv_model_backward (m, dx_part, dz, 8, FALSE);
      assert_close ("first rows dx", dx_part, dx[3], 8 * n, 1e-3, 1e-5 * max_abs (dx[3], 8 * n));
      for (size_t t = 0; t < 4; t++)
        {
          g_free (z[t]);
          g_free (dx[t]);
          g_free (g[t]);
        }
    }
  inv_blas_set_threads (saved);
}

/* An invariant model trained on whole orbits gets the same loss and
 * gradient whether its orbit copies share one pass or not: one SGD step
 * with learning rate 1 and no momentum moves the weights by −gradient. */
static void
test_train_orbit_sharing (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) ds = inv_dataset_digits (5, 96, 8, &error);
  g_assert_no_error (error);
  const KindCase cases[] = { { INV_MODEL_TIED_MLP, "c4" }, { INV_MODEL_TIED_MLP, "d4" },
                             { INV_MODEL_GCNN, "c4" } };
  for (size_t c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      float *step[2];
      double loss[2], penalty[2];
      size_t P = 0, images[2];
      for (int shared = 0; shared < 2; shared++)
        {
          g_autoptr (InvModel) m = inv_model_new (cases[c].kind, cases[c].group, 28, 28, 10,
                                                  NULL, 3, &error);
          g_assert_no_error (error);
          P = m->n_params;
          InvTrainConfig cfg;
          inv_train_config_init (&cfg);
          g_assert_true (cfg.share_orbits);
          cfg.share_orbits = shared;
          cfg.lambda = 1;
          cfg.batch = 16;
          cfg.optimizer = INV_OPTIMIZER_SGD;
          cfg.lr = 1;
          cfg.momentum = 0;
          g_autoptr (InvTrainer) t = inv_trainer_new (m, ds, &cfg, &error);
          g_assert_no_error (error);
          g_autofree float *p0 = g_memdup2 (m->params, P * sizeof (float));
          InvTrainProgress p;
          g_assert_true (inv_trainer_step (t, &p, &error));
          g_assert_no_error (error);
          step[shared] = g_new (float, P);
          for (size_t i = 0; i < P; i++)
            step[shared][i] = p0[i] - m->params[i];
          loss[shared] = p.loss;
          penalty[shared] = p.penalty;
          images[shared] = p.images;
        }
      g_test_message ("%s on %s: loss %.9g vs %.9g, penalty %.3g vs %.3g",
                      inv_model_kind_name (cases[c].kind), cases[c].group, loss[1], loss[0],
                      penalty[1], penalty[0]);
      g_assert_cmpuint (images[1], ==, images[0]);
      g_assert_cmpfloat (penalty[1], ==, 0.0);
      g_assert_cmpfloat (penalty[0], <, 1e-8);
      g_assert_cmpfloat_with_epsilon (loss[1], loss[0], 1e-5 * loss[0]);
      assert_close ("shared-orbit gradient", step[1], step[0], P, 1e-3, 1e-4 * max_abs (step[0], P));
      g_assert_cmpfloat (max_abs (step[0], P), >, 0.0f);
      g_free (step[0]);
      g_free (step[1]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/layers/dense/grad", test_dense_grad);
  g_test_add_func ("/layers/dense/naive", test_dense_naive);
  g_test_add_func ("/layers/dense/bias-grad", test_dense_bias_grad);
  g_test_add_func ("/layers/relu/grad", test_relu_grad);
  g_test_add_func ("/layers/conv2d/grad-zero", test_conv_grad_zero);
  g_test_add_func ("/layers/conv2d/grad-circular", test_conv_grad_circular);
  g_test_add_func ("/layers/conv2d/naive", test_conv_naive);
  g_test_add_func ("/layers/conv2d/scratch", test_conv_scratch);
  g_test_add_func ("/layers/conv2d/relu-pool", test_conv_relu_pool);
  g_test_add_func ("/layers/maxpool/grad", test_maxpool_grad);
  g_test_add_func ("/layers/maxpool/ties", test_maxpool_ties);
  g_test_add_func ("/layers/group-pool/grad", test_group_pool_grad);
  g_test_add_func ("/layers/group-pool/ties", test_group_pool_ties);
  g_test_add_func ("/layers/mean-pool/grad", test_mean_pool_grad);
  g_test_add_func ("/layers/gconv/lift-grad", test_gconv_lift_grad);
  g_test_add_func ("/layers/gconv/group-grad", test_gconv_group_grad);
  g_test_add_func ("/layers/gconv/lift-equivariance", test_gconv_lift_equivariance);
  g_test_add_func ("/layers/gconv/group-equivariance", test_gconv_group_equivariance);
  g_test_add_func ("/layers/xent/grad", test_xent_grad);
  g_test_add_func ("/layers/xent/values", test_xent_values);
  g_test_add_func ("/layers/penalty/grad", test_penalty_grad);
  g_test_add_func ("/layers/penalty/values", test_penalty_values);
  g_test_add_func ("/layers/model/shards", test_model_shards);
  g_test_add_func ("/layers/train/orbit-sharing", test_train_orbit_sharing);
  return g_test_run ();
}
