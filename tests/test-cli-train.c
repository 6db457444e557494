/* invlab train and invlab eval end to end, through the real binary: models
 * learn, files are reproducible, Ctrl-C keeps the last epoch, eval reports
 * the design's metrics, and bad input gets a clear message. */
#include "json.h"
#include "model.h"
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *tmpdir;

static int
run (char **out, char **err, const char *first, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_ptr_array_add (args, (char *) g_getenv ("INVLAB"));
  va_list ap;
  va_start (ap, first);
  for (const char *a = first; a; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_autofree char *o = NULL, *e = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &o, &e, &status, &error));
  g_assert_no_error (error);
  g_test_message ("stdout: %s\nstderr: %s", o, e);
  if (out)
    *out = g_steal_pointer (&o);
  if (err)
    *err = g_steal_pointer (&e);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static char *
path_for (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static double
accuracy_of (const char *out)
{
  const char *p = strstr (out, "orbit accuracy ");
  g_assert_nonnull (p);
  return g_ascii_strtod (p + strlen ("orbit accuracy "), NULL);
}

/* The bound: an mlp on 5000 Fashion-MNIST images after one epoch. */
static void
test_mlp_fashion (void)
{
  g_autofree char *model = path_for ("mlp.safetensors");
  g_autofree char *out = NULL, *err = NULL;
  int rc = run (&out, &err, "train", "--dataset", "fashion", "--group", "c4", "--model", "mlp",
                "--epochs", "1", "--limit", "5000", "--seed", "1", "--threads", "2",
                "--out", model, NULL);
  g_assert_cmpint (rc, ==, 0);
  double acc = accuracy_of (out);
  g_test_message ("mlp on 5000 Fashion-MNIST images, 1 epoch: orbit accuracy %.4f", acc);
  g_assert_cmpfloat (acc, >, 0.6);
  /* progress went to stderr as plain lines (not a terminal) */
  g_assert_nonnull (strstr (err, "epoch 1/1 step 79/79"));
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) m = inv_model_load (model, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (m->dataset, ==, "fashion");
  g_assert_nonnull (strstr (m->train_config, "\"limit\":5000"));
}

typedef struct {
  const char *kind, *group, *augment, *limit, *lr, *epochs;
  double bound;
} KindCase;

/* Every kind on the built-in digits, every group a weight-tied kind
 * supports: clearly better than chance (0.1). */
static const KindCase kind_cases[] = {
  { "mlp", "d4", "orbit", "1500", "0.003", "2", 0.35 },
  { "tied-mlp", "c4", "none", "2000", "0.003", "2", 0.35 },
  { "tied-mlp", "trans", "none", "2000", "0.003", "2", 0.25 },
  { "cnn", "flip", "orbit", "1000", "0.003", "2", 0.35 },
  { "gcnn", "c4", "none", "1500", "0.003", "2", 0.3 },
  { "gcnn", "flip", "none", "1000", "0.003", "2", 0.3 },
  /* global mean pooling learns slowly: a larger step */
  { "gcnn", "trans", "none", "1500", "0.01", "3", 0.3 },
};

static void
test_kind (gconstpointer data)
{
  const KindCase *c = data;
  g_autofree char *name = g_strdup_printf ("%s-%s.safetensors", c->kind, c->group);
  g_autofree char *model = path_for (name);
  g_autofree char *out = NULL;
  int rc = run (&out, NULL, "train", "--dataset", "digits", "--group", c->group, "--model", c->kind,
                "--augment", c->augment, "--epochs", c->epochs, "--limit", c->limit, "--lr", c->lr,
                "--eval-limit", "300", "--out", model, NULL);
  g_assert_cmpint (rc, ==, 0);
  double acc = accuracy_of (out);
  g_test_message ("%s on %s: orbit accuracy %.4f", c->kind, c->group, acc);
  g_assert_cmpfloat (acc, >, c->bound);
}

static void
test_reproducible (void)
{
  g_autofree char *a = path_for ("a.safetensors"), *b = path_for ("b.safetensors");
  g_autofree char *c = path_for ("c.safetensors");
  const char *common[] = { "train", "--dataset", "digits", "--model", "tied-mlp", "--reg", "1",
                           "--limit", "500", "--threads", "2", "--eval-limit", "50" };
  g_assert_cmpint (run (NULL, NULL, common[0], common[1], common[2], common[3], common[4], common[5],
                        common[6], common[7], common[8], common[9], common[10], common[11], common[12],
                        "--seed", "5", "--out", a, NULL), ==, 0);
  g_assert_cmpint (run (NULL, NULL, common[0], common[1], common[2], common[3], common[4], common[5],
                        common[6], common[7], common[8], common[9], common[10], common[11], common[12],
                        "--seed", "5", "--out", b, NULL), ==, 0);
  g_assert_cmpint (run (NULL, NULL, common[0], common[1], common[2], common[3], common[4], common[5],
                        common[6], common[7], common[8], common[9], common[10], common[11], common[12],
                        "--seed", "6", "--out", c, NULL), ==, 0);
  g_autofree char *da = NULL, *db = NULL, *dc = NULL;
  gsize la, lb, lc;
  g_assert_true (g_file_get_contents (a, &da, &la, NULL));
  g_assert_true (g_file_get_contents (b, &db, &lb, NULL));
  g_assert_true (g_file_get_contents (c, &dc, &lc, NULL));
  g_assert_cmpmem (da, la, db, lb);
  g_assert_true (la != lc || memcmp (da, dc, la) != 0);
}

/* SIGINT during training: exit 130, the last completed epoch saved. */
static void
test_interrupt (void)
{
  g_autofree char *model = path_for ("interrupted.safetensors");
  const char *argv[] = { g_getenv ("INVLAB"), "train", "--dataset", "digits", "--model", "mlp",
                         "--limit", "640", "--epochs", "100000", "--out", model, NULL };
  GPid pid;
  int err_fd;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                           NULL, NULL, &pid, NULL, NULL, &err_fd, &error));
  g_assert_no_error (error);
  /* Wait for two epochs' progress lines. */
  g_autoptr (GString) err = g_string_new (NULL);
  char buf[4096];
  while (!strstr (err->str, "epoch 2/100000"))
    {
      ssize_t n = read (err_fd, buf, sizeof buf);
      g_assert_cmpint (n, >, 0);
      g_string_append_len (err, buf, n);
    }
  kill (pid, SIGINT);
  while (TRUE)
    {
      ssize_t n = read (err_fd, buf, sizeof buf);
      if (n <= 0)
        break;
      g_string_append_len (err, buf, n);
    }
  close (err_fd);
  int status;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_test_message ("%s", err->str);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 130);
  g_assert_nonnull (strstr (err->str, "saved the last completed epoch"));
  g_autoptr (InvModel) m = inv_model_load (model, &error);
  g_assert_no_error (error);
}

static const InvJson *
model_metrics (const InvJson *root, size_t i)
{
  const InvJson *models = inv_json_get (root, "models");
  g_assert_nonnull (models);
  g_assert_cmpint (models->type, ==, INV_JSON_ARRAY);
  g_assert_cmpuint (i, <, models->n);
  return inv_json_get (models->items[i], "metrics");
}

static double
num (const InvJson *obj, const char *key)
{
  const InvJson *v = inv_json_get (obj, key);
  g_assert_nonnull (v);
  if (v->type == INV_JSON_NULL)
    return NAN;
  g_assert_cmpint (v->type, ==, INV_JSON_NUMBER);
  return v->number;
}

static void
test_eval_json (void)
{
  g_autofree char *mlp = path_for ("eval-mlp.safetensors"), *tied = path_for ("eval-tied.safetensors");
  g_assert_cmpint (run (NULL, NULL, "train", "--dataset", "digits", "--model", "mlp", "--limit", "500",
                        "--eval-limit", "10", "--out", mlp, NULL), ==, 0);
  g_assert_cmpint (run (NULL, NULL, "train", "--dataset", "digits", "--model", "tied-mlp", "--limit", "500",
                        "--eval-limit", "10", "--out", tied, NULL), ==, 0);
  g_autofree char *out = NULL;
  g_assert_cmpint (run (&out, NULL, "eval", mlp, tied, "--limit", "100", "--format", "json", NULL), ==, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (InvJson) root = inv_json_parse (out, strlen (out), &error);
  g_assert_no_error (error);
  const char *keys[] = { "orbit_accuracy", "orbit_consistency", "pdi", "logit_invariance", "sis",
                         "invariance_error", "sensitivity", "noninvariant_energy" };
  for (size_t i = 0; i < 2; i++)
    {
      const InvJson *m = model_metrics (root, i);
      for (size_t k = 0; k < G_N_ELEMENTS (keys); k++)
        g_assert_true (isfinite (num (m, keys[k])));
    }
  const InvJson *a = model_metrics (root, 0), *b = model_metrics (root, 1);
  g_assert_cmpfloat (num (a, "logit_invariance"), <, 0.999);
  g_assert_cmpfloat (fabs (num (b, "logit_invariance") - 1), <, 1e-4);
  g_assert_cmpfloat (fabs (num (b, "pdi") - 1), <, 1e-4);
  g_assert_cmpfloat (num (b, "noninvariant_energy"), <, 1e-6);
  g_assert_cmpfloat (num (a, "noninvariant_energy"), >, 0.01);

  /* csv: a header and one row per model */
  g_autofree char *csv = NULL;
  g_assert_cmpint (run (&csv, NULL, "eval", mlp, tied, "--limit", "20", "--format", "csv",
                        "--shift", "noise=0.3", NULL), ==, 0);
  g_auto (GStrv) lines = g_strsplit (g_strstrip (csv), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (g_str_has_prefix (lines[0], "file,kind,group,lambda,shift,n_images,orbit_accuracy"));
  g_assert_nonnull (strstr (lines[1], "noise=0.3"));
  /* the table names every metric */
  g_autofree char *table = NULL;
  g_assert_cmpint (run (&table, NULL, "eval", tied, "--limit", "20", NULL), ==, 0);
  g_assert_nonnull (strstr (table, "logit_invariance"));
}

static void
test_bad_input (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (run (NULL, &err, "train", "--model", "resnet", "--out", "x.safetensors", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--model 'resnet'"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (NULL, &err, "train", "--dataset", "digits", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--out"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (NULL, &err, "train", "--epochs", "zero", "--out", "x", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--epochs"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (NULL, &err, "train", "--lr", "-1", "--out", "x", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--lr"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (NULL, &err, "train", "--dataset", "digits", "--group", "c9", "--out", "x", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "c9"));
  g_clear_pointer (&err, g_free);
  g_autofree char *missing = path_for ("does-not-exist.safetensors");
  g_assert_cmpint (run (NULL, &err, "eval", missing, NULL), ==, 1);
  g_assert_nonnull (strstr (err, missing));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (NULL, &err, "eval", missing, "--shift", "nois=1", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--shift"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (NULL, &err, "eval", missing, "--format", "xml", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--format"));
  g_clear_pointer (&err, g_free);
  /* a file that is not a model */
  g_autofree char *junk = path_for ("junk.safetensors");
  g_assert_true (g_file_set_contents (junk, "this is not a model", -1, NULL));
  g_assert_cmpint (run (NULL, &err, "eval", junk, NULL), ==, 1);
  g_assert_nonnull (strstr (err, junk));
}

/* The kernel switch: never overrides the environment, can be turned off,
 * and re-executes with matching kernels when OpenBLAS picked old ones
 * (simulated with the test-only INVLAB_BLAS_PRETEND_CORE). */
static void
test_blas_autoselect (void)
{
  const struct { const char *env[3]; const char *expect; } cases[] = {
    { { "INVLAB_BLAS_AUTOSELECT=0", NULL }, "INVLAB_BLAS_AUTOSELECT=0" },
    { { "INVLAB_BLAS_AUTOSELECT=1", "OPENBLAS_CORETYPE=Prescott", NULL }, "OPENBLAS_CORETYPE=Prescott set by the environment" },
    { { "INVLAB_BLAS_AUTOSELECT=1", "INVLAB_BLAS_PRETEND_CORE=Prescott", NULL }, "instead of Prescott" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (GStrv) env = g_get_environ ();
      env = g_environ_unsetenv (env, "OPENBLAS_CORETYPE");
      for (size_t k = 0; cases[i].env[k]; k++)
        {
          g_auto (GStrv) kv = g_strsplit (cases[i].env[k], "=", 2);
          env = g_environ_setenv (env, kv[0], kv[1], TRUE);
        }
      const char *argv[] = { g_getenv ("INVLAB"), "--version", "--verbose", NULL };
      g_autofree char *out = NULL;
      int status;
      g_assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                                   &status, NULL));
      g_test_message ("%s", out);
      g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
      g_assert_nonnull (strstr (out, cases[i].expect));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autoptr (GError) error = NULL;
  tmpdir = g_dir_make_tmp ("invlab-cli-XXXXXX", &error);
  g_assert_no_error (error);
  g_test_add_func ("/cli/train/mlp-fashion", test_mlp_fashion);
  for (size_t i = 0; i < G_N_ELEMENTS (kind_cases); i++)
    {
      g_autofree char *p = g_strdup_printf ("/cli/train/%s-%s", kind_cases[i].kind, kind_cases[i].group);
      g_test_add_data_func (p, &kind_cases[i], test_kind);
    }
  g_test_add_func ("/cli/train/reproducible", test_reproducible);
  g_test_add_func ("/cli/train/interrupt", test_interrupt);
  g_test_add_func ("/cli/eval/json", test_eval_json);
  g_test_add_func ("/cli/bad-input", test_bad_input);
  g_test_add_func ("/cli/blas-autoselect", test_blas_autoselect);
  int rc = g_test_run ();
  g_autoptr (GDir) d = g_dir_open (tmpdir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = path_for (name);
      g_remove (p);
    }
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return rc;
}
