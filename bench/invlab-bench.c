/* invlab-bench: the C side of bench/run. Training throughput, evaluation of
 * every metric, the machine's cblas_sgemm GFLOP/s and the analytic FLOPs of a
 * training step, each printed as one JSON line. Not a test and not part of
 * the installed programs. Size letters: B base images, G group order, R = B*G
 * rows, n = H*W pixels, K classes. */
#include "blas.h"
#include "dataset.h"
#include "metrics.h"
#include "model.h"
#include "spectrum.h"
#include "train.h"
#include "util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static double
cpu_seconds (void)
{
  struct rusage u;
  getrusage (RUSAGE_SELF, &u);
  return (double) u.ru_utime.tv_sec + 1e-6 * (double) u.ru_utime.tv_usec
         + (double) u.ru_stime.tv_sec + 1e-6 * (double) u.ru_stime.tv_usec;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (const double *v, size_t n)
{
  double *s = g_new (double, n);
  memcpy (s, v, n * sizeof *s);
  qsort (s, n, sizeof *s, cmp_double);
  double m = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  g_free (s);
  return m;
}

static void
print_list (const char *key, const double *v, size_t n, const char *fmt)
{
  printf (",\"%s\":[", key);
  for (size_t i = 0; i < n; i++)
    {
      if (i)
        putchar (',');
      printf (fmt, v[i]);
    }
  putchar (']');
}

/* ---- analytic FLOPs (2 per multiply-add) ---- */

typedef struct {
  double in, out, hw, taps; /* channels or features, output pixels, k*k (1 for fc) */
} Layer;

/* The weighted layers of a default model on 28×28 c4 (gcnn: the expanded
 * convolutions actually computed, channels × |G|). */
static size_t
model_layers (InvModelKind kind, Layer *l)
{
  switch (kind)
    {
    case INV_MODEL_MLP:
    case INV_MODEL_TIED_MLP:
      l[0] = (Layer) { 784, 256, 1, 1 };
      l[1] = (Layer) { 256, 256, 1, 1 };
      l[2] = (Layer) { 256, 10, 1, 1 };
      return 3;
    case INV_MODEL_CNN:
      l[0] = (Layer) { 1, 16, 784, 9 };
      l[1] = (Layer) { 16, 32, 196, 9 };
      l[2] = (Layer) { 1568, 128, 1, 1 };
      l[3] = (Layer) { 128, 10, 1, 1 };
      return 4;
    case INV_MODEL_GCNN:
      l[0] = (Layer) { 1, 32, 784, 9 };
      l[1] = (Layer) { 32, 64, 196, 9 };
      l[2] = (Layer) { 64, 64, 49, 9 };
      l[3] = (Layer) { 64, 64, 49, 9 };
      l[4] = (Layer) { 16, 10, 1, 1 };
      return 5;
    default:
      return 0;
    }
}

/* FLOPs of forward (and, if train, backward: weight gradients of every
 * layer, input gradients of all but the first; input_grad adds the first's). */
static double
model_flops (InvModelKind kind, double rows, gboolean train, gboolean input_grad)
{
  Layer l[8];
  size_t nl = model_layers (kind, l);
  double f = 0;
  for (size_t i = 0; i < nl; i++)
    {
      double mac = rows * l[i].in * l[i].out * l[i].hw * l[i].taps;
      f += 2 * mac;
      if (train)
        f += 2 * mac;
      if ((train || input_grad) && (i > 0 || input_grad))
        f += 2 * mac;
    }
  return f;
}

/* ---- data ---- */

static InvDataset *
load_data (const char *spec, GError **error)
{
  if (g_strcmp0 (spec, "fashion") == 0)
    {
      g_autoptr (GError) e = NULL;
      InvDataset *ds = inv_dataset_load ("fashion", &e);
      if (ds)
        return ds;
      fprintf (stderr, "invlab-bench: Fashion-MNIST not available (%s); using digits\n",
               e->message);
    }
  return inv_dataset_load ("digits", error);
}

/* ---- train ---- */

static int
bench_train (InvModelKind kind, int threads, size_t runs, size_t steps, size_t warmup,
             size_t batch, const char *data, gboolean share)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) ds = NULL;
  g_autoptr (InvModel) m = NULL;
  g_autoptr (InvTrainer) t = NULL;
  inv_blas_set_threads (threads);
  if (!(ds = load_data (data, &error))
      || !(m = inv_model_new (kind, "c4", 28, 28, 10, NULL, 1, &error)))
    goto fail;
  InvTrainConfig cfg;
  inv_train_config_init (&cfg);
  cfg.lambda = 1.0;
  cfg.batch = batch;
  cfg.epochs = 1000;
  cfg.limit = 8192;
  cfg.share_orbits = share;
  if (!(t = inv_trainer_new (m, ds, &cfg, &error)))
    goto fail;
  InvTrainProgress p;
  for (size_t i = 0; i < warmup; i++)
    if (!inv_trainer_step (t, &p, &error))
      goto fail;
  double *rate = g_new (double, runs), *cpu = g_new (double, runs);
  size_t rows_per_step = batch * m->group->order;
  for (size_t r = 0; r < runs; r++)
    {
      double w0 = inv_now (), c0 = cpu_seconds ();
      for (size_t s = 0; s < steps; s++)
        if (!inv_trainer_step (t, &p, &error))
          {
            g_free (rate);
            g_free (cpu);
            goto fail;
          }
      double wall = inv_now () - w0, c = cpu_seconds () - c0;
      rate[r] = (double) (rows_per_step * steps) / wall;
      cpu[r] = c / (double) (rows_per_step * steps) * 1e6;
    }
  double ips = median (rate, runs);
  double flops = model_flops (kind, (double) rows_per_step, TRUE, FALSE);
  printf ("{\"bench\":\"train\",\"impl\":\"invlab\",\"model\":\"%s\",\"group\":\"c4\","
          "\"threads\":%d,\"batch\":%zu,\"orbit_copies\":%zu,\"lambda\":1,\"optimizer\":\"adam\","
          "\"data\":\"%s\",\"shared_orbits\":%s,\"images_per_sec\":%.1f,"
          "\"cpu_us_per_image\":%.3f,\"step_gflop\":%.6f,\"gflops\":%.2f",
          inv_model_kind_name (kind), threads, batch, m->group->order, ds->name,
          share && inv_model_kind_is_tied (kind) ? "true" : "false", ips,
          median (cpu, runs), flops * 1e-9, flops / (double) rows_per_step * ips * 1e-9);
  print_list ("runs", rate, runs, "%.1f");
  printf (",\"steps_per_run\":%zu}\n", steps);
  fflush (stdout);
  g_free (rate);
  g_free (cpu);
  return 0;
fail:
  fprintf (stderr, "invlab-bench train: %s\n", error ? error->message : "failed");
  return 1;
}

/* ---- eval ---- */

static int
bench_eval (InvModelKind kind, int threads, size_t runs, size_t limit, const char *data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) ds = NULL;
  g_autoptr (InvModel) m = NULL;
  inv_blas_set_threads (threads);
  /* A fresh model as bench/torch/bench_eval.py makes (seed 1 + position). */
  if (!(ds = load_data (data, &error))
      || !(m = inv_model_new (kind, "c4", 28, 28, 10, NULL, 1 + (uint64_t) kind, &error)))
    goto fail;
  m->mean = 0.2860f;
  m->std = 0.3530f;
  InvEvalOptions opt;
  inv_eval_options_init (&opt);
  opt.limit = limit;
  InvMetrics r;
  double *secs = g_new (double, runs), *cpu = g_new (double, runs);
  double sv_max = NAN;
  for (size_t i = 0; i <= runs; i++)
    {
      double w0 = inv_now (), c0 = cpu_seconds ();
      size_t n_sv = 0;
      g_autofree double *sv = NULL;
      if (!inv_evaluate (m, &ds->test, &opt, &r, &error)
          || !(sv = inv_spectrum_model_singular_values (m, &n_sv, &error)))
        {
          g_free (secs);
          g_free (cpu);
          goto fail;
        }
      sv_max = sv[0];
      if (i == 0)
        continue; /* warm-up */
      secs[i - 1] = inv_now () - w0;
      cpu[i - 1] = cpu_seconds () - c0;
    }
  size_t N = r.n_images, G = r.group_order;
  double flops = model_flops (kind, (double) (N * G), FALSE, TRUE)
                 + model_flops (kind, (double) (2 * N), FALSE, FALSE);
  printf ("{\"bench\":\"eval\",\"impl\":\"invlab\",\"model\":\"%s\",\"group\":\"c4\","
          "\"threads\":%d,\"images\":%zu,\"data\":\"%s\",\"seconds\":%.4f,\"cpu_seconds\":%.4f,"
          "\"gflops\":%.2f",
          inv_model_kind_name (kind), threads, N, ds->name, median (secs, runs),
          median (cpu, runs), flops / median (secs, runs) * 1e-9);
  print_list ("runs", secs, runs, "%.4f");
  GString *js = g_string_new (NULL);
  inv_metrics_to_json (&r, js);
  printf (",\"metrics\":%s,\"spectrum_max\":%.6g}\n", js->str, sv_max);
  g_string_free (js, TRUE);
  fflush (stdout);
  g_free (secs);
  g_free (cpu);
  return 0;
fail:
  fprintf (stderr, "invlab-bench eval: %s\n", error ? error->message : "failed");
  return 1;
}

/* ---- sgemm ---- */

typedef struct {
  const char *name;
  gboolean ta, tb;
  int M, N, K;
} Gemm;

/* Seconds per call of a cblas_sgemm shape: the best of a few batches sized
 * to last ~0.1 s (the machine's capability, not its noise). */
static double
time_gemm (const Gemm *g, float *a, float *b, float *c, size_t runs, double *median_out)
{
  int lda = g->ta ? g->M : g->K, ldb = g->tb ? g->K : g->N;
  double flop = 2.0 * g->M * g->N * g->K;
  size_t reps = (size_t) MAX (1.0, 2e9 / flop); /* ~0.02-0.05 s per batch */
  double *t = g_new (double, runs), best = INFINITY;
  for (size_t r = 0; r <= runs; r++)
    {
      double t0 = inv_now ();
      for (size_t i = 0; i < reps; i++)
        /* c (M,N) = op(a) (M,K) · op(b) (K,N): shapes and transposes from g. */
        cblas_sgemm (CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans,
                     g->tb ? CblasTrans : CblasNoTrans, g->M, g->N, g->K, 1.0f,
                     a, lda, b, ldb, 0.0f, c, g->N);
      double dt = (inv_now () - t0) / (double) reps;
      if (r > 0)
        t[r - 1] = dt;
      best = MIN (best, dt);
    }
  *median_out = median (t, runs);
  g_free (t);
  return best;
}

/* T single-threaded sgemm streams at once, one per thread, each on its own
 * buffers: what the machine gives to work split into independent pieces
 * (as the model's shards are), against OpenBLAS's own threading. */
typedef struct {
  const Gemm *shapes;
  size_t n_shapes, reps;
  float *a, *b, *c;
} Stream;

static gpointer
stream_run (gpointer data)
{
  Stream *st = data;
  for (size_t r = 0; r < st->reps; r++)
    for (size_t i = 0; i < st->n_shapes; i++)
      {
        const Gemm *g = &st->shapes[i];
        int lda = g->ta ? g->M : g->K, ldb = g->tb ? g->K : g->N;
        /* c (M,N) = op(a) (M,K) · op(b) (K,N): shapes and transposes from g. */
        cblas_sgemm (CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans,
                     g->tb ? CblasTrans : CblasNoTrans, g->M, g->N, g->K, 1.0f,
                     st->a, lda, st->b, ldb, 0.0f, st->c, g->N);
      }
  return NULL;
}

/* Median GFLOP/s of T concurrent streams of the shapes. */
static double
concurrent_gflops (const Gemm *shapes, size_t n_shapes, int threads, size_t runs)
{
  size_t big = 1024 * 1024;
  double flop = 0;
  for (size_t i = 0; i < n_shapes; i++)
    flop += 2.0 * shapes[i].M * shapes[i].N * shapes[i].K;
  size_t reps = (size_t) MAX (1.0, 1e9 / flop);
  Stream *st = g_new0 (Stream, threads);
  for (int t = 0; t < threads; t++)
    {
      st[t] = (Stream) { shapes, n_shapes, reps, inv_floats_new (big, NULL),
                         inv_floats_new (big, NULL), inv_floats_new (big, NULL) };
      for (size_t i = 0; i < big; i++)
        st[t].a[i] = st[t].b[i] = (float) (i % 7) * 0.1f;
    }
  inv_blas_set_threads (1);
  double *rate = g_new (double, runs);
  for (size_t r = 0; r <= runs; r++)
    {
      GThread **th = g_new (GThread *, threads);
      double t0 = inv_now ();
      for (int t = 0; t < threads; t++)
        th[t] = g_thread_new ("sgemm", stream_run, &st[t]);
      for (int t = 0; t < threads; t++)
        g_thread_join (th[t]);
      double dt = inv_now () - t0;
      g_free (th);
      if (r > 0)
        rate[r - 1] = flop * (double) reps * threads / dt * 1e-9;
    }
  inv_blas_set_threads (threads);
  double m = median (rate, runs);
  for (int t = 0; t < threads; t++)
    {
      inv_free (st[t].a);
      inv_free (st[t].b);
      inv_free (st[t].c);
    }
  g_free (st);
  g_free (rate);
  return m;
}

static int
bench_sgemm (int threads, size_t runs)
{
  inv_blas_set_threads (threads);
  /* The mlp's training step on 256 rows (64 base images × 4): forward
   * in·Wᵀ, weight gradient doutᵀ·in, input gradient dout·W. */
  static const Gemm shapes[] = {
    { "square1024", FALSE, FALSE, 1024, 1024, 1024 },
    { "mlp.fc1.fwd", FALSE, TRUE, 256, 256, 784 },
    { "mlp.fc1.dw", TRUE, FALSE, 256, 784, 256 },
    { "mlp.fc2.fwd", FALSE, TRUE, 256, 256, 256 },
    { "mlp.fc2.dw", TRUE, FALSE, 256, 256, 256 },
    { "mlp.fc2.din", FALSE, FALSE, 256, 256, 256 },
    { "mlp.fc3.fwd", FALSE, TRUE, 256, 10, 256 },
    { "mlp.fc3.dw", TRUE, FALSE, 10, 256, 256 },
    { "mlp.fc3.din", FALSE, FALSE, 256, 256, 10 },
  };
  size_t big = 1024 * 1024;
  float *a = inv_floats_new (big, NULL), *b = inv_floats_new (big, NULL), *c = inv_floats_new (big, NULL);
  for (size_t i = 0; i < big; i++)
    {
      a[i] = (float) ((i * 7919) % 1000) * 1e-3f - 0.5f;
      b[i] = (float) ((i * 104729) % 1000) * 1e-3f - 0.5f;
    }
  double mlp_flop = 0, mlp_best = 0, mlp_med = 0;
  printf ("{\"bench\":\"sgemm\",\"threads\":%d,\"corename\":\"%s\",\"shapes\":{", threads,
          inv_blas_corename ());
  for (size_t i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      double med, best = time_gemm (&shapes[i], a, b, c, runs, &med);
      double flop = 2.0 * shapes[i].M * shapes[i].N * shapes[i].K;
      printf ("%s\"%s\":{\"gflops\":%.2f,\"gflops_median\":%.2f}", i ? "," : "", shapes[i].name,
              flop / best * 1e-9, flop / med * 1e-9);
      if (i > 0)
        {
          mlp_flop += flop;
          mlp_best += best;
          mlp_med += med;
        }
    }
  printf ("},\"mlp_step_gflops\":%.2f,\"mlp_step_gflops_median\":%.2f,"
          "\"mlp_concurrent_gflops_median\":%.2f}\n",
          mlp_flop / mlp_best * 1e-9, mlp_flop / mlp_med * 1e-9,
          concurrent_gflops (shapes + 1, G_N_ELEMENTS (shapes) - 1, threads, runs));
  fflush (stdout);
  inv_free (a);
  inv_free (b);
  inv_free (c);
  return 0;
}

static void
usage (void)
{
  fprintf (stderr,
           "usage: invlab-bench train --model KIND [--threads T] [--runs 5] [--steps 20]\n"
           "                          [--warmup 3] [--batch 64] [--data fashion|digits]\n"
           "                          [--share 0|1]\n"
           "       invlab-bench eval --model KIND [--threads T] [--runs 5] [--limit 1000]\n"
           "       invlab-bench sgemm [--threads T] [--runs 5]\n"
           "       invlab-bench corename\n");
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      usage ();
      return 2;
    }
  const char *cmd = argv[1];
  InvModelKind kind = INV_MODEL_MLP;
  int threads = 1;
  size_t runs = 5, steps = 20, warmup = 3, batch = 64, limit = 1000;
  const char *data = "fashion";
  gboolean share = TRUE;
  /* The kernels the CLI and the app would use on this CPU. */
  inv_blas_autoselect (argv);
  for (int i = 2; i < argc; i++)
    {
      const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
      if (!val)
        {
          usage ();
          return 2;
        }
      i++;
      if (strcmp (opt, "--model") == 0)
        {
          if (!inv_model_kind_from_name (val, &kind))
            {
              fprintf (stderr, "invlab-bench: unknown model '%s'\n", val);
              return 2;
            }
        }
      else if (strcmp (opt, "--threads") == 0)
        threads = atoi (val);
      else if (strcmp (opt, "--runs") == 0)
        runs = strtoul (val, NULL, 10);
      else if (strcmp (opt, "--steps") == 0)
        steps = strtoul (val, NULL, 10);
      else if (strcmp (opt, "--warmup") == 0)
        warmup = strtoul (val, NULL, 10);
      else if (strcmp (opt, "--batch") == 0)
        batch = strtoul (val, NULL, 10);
      else if (strcmp (opt, "--limit") == 0)
        limit = strtoul (val, NULL, 10);
      else if (strcmp (opt, "--data") == 0)
        data = val;
      else if (strcmp (opt, "--share") == 0)
        share = atoi (val) != 0;
      else
        {
          usage ();
          return 2;
        }
    }
  if (threads < 1 || runs < 1 || steps < 1 || batch < 1)
    {
      usage ();
      return 2;
    }
  if (strcmp (cmd, "train") == 0)
    return bench_train (kind, threads, runs, steps, warmup, batch, data, share);
  if (strcmp (cmd, "eval") == 0)
    return bench_eval (kind, threads, runs, limit, data);
  if (strcmp (cmd, "sgemm") == 0)
    return bench_sgemm (threads, runs);
  if (strcmp (cmd, "corename") == 0)
    {
      printf ("%s\n%s\n", inv_blas_corename (), inv_blas_selection_reason ());
      return 0;
    }
  usage ();
  return 2;
}
