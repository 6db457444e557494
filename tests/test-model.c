/* Whole models: gradients by central differences for every kind, exact
 * invariance of the weight-tied kinds for every group (random and real
 * images, before and after training), checkpoints that round-trip, and
 * checkpoint files that must be refused. */
#include "dataset.h"
#include "layers.h"
#include "model.h"
#include "rng.h"
#include "safetensors.h"
#include "train.h"
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

typedef struct {
  InvModelKind kind;
  const char *group;
  size_t h;
  InvModelArch arch;
} SmallCase;

static const SmallCase small_cases[] = {
  { INV_MODEL_MLP, "c4", 8, { 2, { 7, 5 }, 0 } },
  { INV_MODEL_TIED_MLP, "c4", 8, { 2, { 7, 5 }, 0 } },
  { INV_MODEL_TIED_MLP, "trans:2", 8, { 1, { 6 }, 0 } },
  { INV_MODEL_CNN, "c4", 8, { 2, { 3, 4 }, 5 } },
  { INV_MODEL_GCNN, "c4", 8, { 4, { 2, 3, 2, 2 }, 0 } },
  { INV_MODEL_GCNN, "d4", 8, { 2, { 2, 2 }, 0 } },
  { INV_MODEL_GCNN, "flip", 8, { 3, { 2, 2, 3 }, 0 } },
  { INV_MODEL_GCNN, "trans:4", 8, { 2, { 2, 3 }, 0 } },
};

static void
random_fill (float *x, size_t n, InvRng *r, double lo, double hi)
{
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (lo + (hi - lo) * inv_rng_uniform (r));
}

/* L = Σ_b Σ_k r[b,k] z[b,k], in double. */
static double
proj_loss (InvModel *m, const float *x, const float *r, size_t B)
{
  size_t K = m->n_classes;
  g_autofree float *z = g_new (float, B * K);
  g_assert_true (inv_model_forward (m, z, x, B, NULL));
  double L = 0;
  for (size_t i = 0; i < B * K; i++)
    L += (double) r[i] * z[i];
  return L;
}

static void
check_close (const char *what, double analytic, double numeric)
{
  double tol = 2e-2 * MAX (fabs (analytic), fabs (numeric)) + 2e-3;
  if (fabs (analytic - numeric) > tol)
    g_error ("%s: analytic %.6g vs numeric %.6g", what, analytic, numeric);
}

static void
test_gradients (gconstpointer data)
{
  const SmallCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) m = inv_model_new (c->kind, c->group, c->h, c->h, 3, &c->arch, 5, &error);
  g_assert_no_error (error);
  m->mean = 0.3f;
  m->std = 0.7f;
  const size_t B = 3, n = c->h * c->h, K = 3;
  InvRng r;
  inv_rng_init (&r, 99);
  g_autofree float *x = g_new (float, B * n), *proj = g_new (float, B * K);
  g_autofree float *dx = g_new (float, B * n);
  random_fill (x, B * n, &r, 0, 1);
  random_fill (proj, B * K, &r, -1, 1);
  /* Give biases a spread so ReLUs are not all at the same kink. */
  for (size_t v = 0; v < m->n_views; v++)
    if (g_str_has_suffix (m->views[v].name, ".bias"))
      random_fill (m->params + m->views[v].offset, m->views[v].numel, &r, -0.1, 0.1);

  g_autofree float *z = g_new (float, B * K);
  g_assert_true (inv_model_forward (m, z, x, B, &error));
  inv_model_zero_grad (m);
  inv_model_backward (m, dx, proj, B, TRUE);

  const double eps = g_getenv ("FD_EPS") ? g_ascii_strtod (g_getenv ("FD_EPS"), NULL) : 3e-4;
  /* every parameter tensor: a sample of entries */
  for (size_t v = 0; v < m->n_views; v++)
    {
      const InvParam *p = &m->views[v];
      size_t step = MAX (1, p->numel / 12);
      for (size_t k = 0; k < p->numel; k += step)
        {
          float *w = m->params + p->offset + k;
          float keep = *w;
          *w = keep + eps;
          double lp = proj_loss (m, x, proj, B);
          *w = keep - eps;
          double lm = proj_loss (m, x, proj, B);
          *w = keep;
          g_autofree char *what = g_strdup_printf ("%s %s[%zu]", inv_model_kind_name (c->kind), p->name, k);
          check_close (what, m->grads[p->offset + k], (lp - lm) / (2 * eps));
        }
    }
  /* input pixels */
  for (size_t k = 0; k < B * n; k += 7)
    {
      float keep = x[k];
      x[k] = keep + eps;
      double lp = proj_loss (m, x, proj, B);
      x[k] = keep - eps;
      double lm = proj_loss (m, x, proj, B);
      x[k] = keep;
      g_autofree char *what = g_strdup_printf ("%s dx[%zu]", inv_model_kind_name (c->kind), k);
      check_close (what, dx[k], (lp - lm) / (2 * eps));
    }
  /* A second backward accumulates: grads double. */
  g_autofree float *g1 = g_memdup2 (m->grads, m->n_params * sizeof (float));
  g_assert_true (inv_model_forward (m, z, x, B, &error));
  inv_model_backward (m, NULL, proj, B, TRUE);
  for (size_t i = 0; i < m->n_params; i++)
    g_assert_cmpfloat_with_epsilon (m->grads[i], 2 * g1[i], 1e-5 + 1e-5 * fabsf (g1[i]));
  /* Input-only backward leaves the parameter gradients alone. */
  g_autofree float *dx2 = g_new (float, B * n);
  g_assert_true (inv_model_forward (m, z, x, B, &error));
  inv_model_backward (m, dx2, proj, B, FALSE);
  for (size_t i = 0; i < m->n_params; i++)
    g_assert_cmpfloat_with_epsilon (m->grads[i], 2 * g1[i], 1e-5 + 1e-5 * fabsf (g1[i]));
  for (size_t i = 0; i < B * n; i++)
    g_assert_cmpfloat_with_epsilon (dx2[i], dx[i], 1e-6 + 1e-5 * fabsf (dx[i]));
}

/* max over g and images of |f(g·x) − f(x)|. */
static double
invariance_gap (InvModel *m, const float *x, size_t B)
{
  const InvGroup *grp = m->group;
  size_t n = m->h * m->w, K = m->n_classes, G = grp->order;
  g_autofree float *orbit = g_new (float, B * G * n), *z = g_new (float, B * G * K);
  for (size_t b = 0; b < B; b++)
    inv_group_orbit (grp, orbit + b * G * n, x + b * n);
  g_assert_true (inv_model_forward (m, z, orbit, B * G, NULL));
  double gap = 0;
  for (size_t b = 0; b < B; b++)
    for (size_t g = 1; g < G; g++)
      for (size_t k = 0; k < K; k++)
        gap = MAX (gap, fabs ((double) z[(b * G + g) * K + k] - z[(b * G) * K + k]));
  return gap;
}

typedef struct {
  InvModelKind kind;
  const char *group;
} TiedCase;

static const TiedCase tied_cases[] = {
  { INV_MODEL_TIED_MLP, "c4" }, { INV_MODEL_TIED_MLP, "d4" },
  { INV_MODEL_TIED_MLP, "flip" }, { INV_MODEL_TIED_MLP, "trans" },
  { INV_MODEL_GCNN, "c4" }, { INV_MODEL_GCNN, "d4" },
  { INV_MODEL_GCNN, "flip" }, { INV_MODEL_GCNN, "trans" },
};

static InvDataset *
digits (void)
{
  static InvDataset *ds;
  if (!ds)
    {
      g_autoptr (GError) error = NULL;
      ds = inv_dataset_digits (7, 600, 100, &error);
      g_assert_no_error (error);
    }
  return ds;
}

static void
test_exact_invariance (gconstpointer data)
{
  const TiedCase *c = data;
  InvDataset *ds = digits ();
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) m = inv_model_new (c->kind, c->group, 28, 28, 10, NULL, 3, &error);
  g_assert_no_error (error);
  const size_t B = 6, n = 28 * 28;
  g_autofree float *x = g_new (float, 2 * B * n);
  InvRng r;
  inv_rng_init (&r, 1);
  random_fill (x, B * n, &r, 0, 1);
  for (size_t b = 0; b < B; b++)
    inv_split_get_image (&ds->test, 28, 28, b, x + (B + b) * n);

  double before = invariance_gap (m, x, 2 * B);
  g_test_message ("%s on %s before training: max |f(g·x) − f(x)| = %g",
                  inv_model_kind_name (c->kind), c->group, before);
  g_assert_cmpfloat (before, <, 1e-4);

  /* Train a few steps on orbit-augmented data with λ = 1 (the loss still
   * moves the weights) and check again. */
  InvTrainConfig cfg;
  inv_train_config_init (&cfg);
  cfg.limit = 64;
  cfg.batch = 16;
  cfg.lambda = 1;
  cfg.lr = 3e-3;
  cfg.orbit_samples = MIN (2, m->group->order);
  g_autofree float *p0 = g_memdup2 (m->params, m->n_params * sizeof (float));
  g_autoptr (InvTrainer) t = inv_trainer_new (m, ds, &cfg, &error);
  g_assert_no_error (error);
  g_assert_true (inv_trainer_run (t, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (memcmp (p0, m->params, m->n_params * sizeof (float)) != 0);
  double after = invariance_gap (m, x, 2 * B);
  g_test_message ("after training: %g", after);
  g_assert_cmpfloat (after, <, 1e-4);
}

/* The unconstrained kinds are not invariant: the same check must fail. */
static void
test_not_invariant (void)
{
  const InvModelKind kinds[] = { INV_MODEL_MLP, INV_MODEL_CNN };
  for (size_t i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr (InvModel) m = inv_model_new (kinds[i], "c4", 28, 28, 10, NULL, 3, NULL);
      g_autofree float *x = g_new (float, 4 * 784);
      for (size_t b = 0; b < 4; b++)
        inv_split_get_image (&digits ()->test, 28, 28, b, x + b * 784);
      g_assert_cmpfloat (invariance_gap (m, x, 4), >, 1e-2);
    }
}

static char *
tmp_path (const char *dir, const char *name)
{
  return g_build_filename (dir, name, NULL);
}

static void
assert_same_file (const char *a, const char *b)
{
  g_autofree char *da = NULL, *db = NULL;
  gsize la = 0, lb = 0;
  g_assert_true (g_file_get_contents (a, &da, &la, NULL));
  g_assert_true (g_file_get_contents (b, &db, &lb, NULL));
  g_assert_cmpmem (da, la, db, lb);
}

static void
test_roundtrip (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("invlab-model-XXXXXX", &error);
  g_assert_no_error (error);
  const InvModelKind kinds[] = { INV_MODEL_MLP, INV_MODEL_CNN, INV_MODEL_TIED_MLP, INV_MODEL_GCNN };
  g_autofree float *x = g_new (float, 5 * 784);
  for (size_t b = 0; b < 5; b++)
    inv_split_get_image (&digits ()->test, 28, 28, b, x + b * 784);
  for (size_t i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr (InvModel) m = inv_model_new (kinds[i], "d4", 28, 28, 10, NULL, 11, &error);
      g_assert_no_error (error);
      m->mean = 0.25f;
      m->std = 0.5f;
      m->lambda = 1.5;
      m->dataset = g_strdup ("digits");
      m->train_config = g_strdup ("{\"epochs\":1}");
      m->class_names = g_strdupv (digits ()->class_names);
      g_autofree char *path = tmp_path (dir, "m.safetensors");
      g_assert_true (inv_model_save (m, path, &error));
      g_assert_no_error (error);
      g_autoptr (InvModel) l = inv_model_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (l->kind, ==, m->kind);
      g_assert_cmpstr (l->group->name, ==, "d4");
      g_assert_cmpfloat (l->mean, ==, m->mean);
      g_assert_cmpfloat (l->std, ==, m->std);
      g_assert_cmpfloat (l->lambda, ==, 1.5);
      g_assert_cmpstr (l->dataset, ==, "digits");
      g_assert_cmpstr (l->train_config, ==, "{\"epochs\":1}");
      g_assert_cmpstrv (l->class_names, m->class_names);
      float z1[50], z2[50];
      g_assert_true (inv_model_forward (m, z1, x, 5, NULL));
      g_assert_true (inv_model_forward (l, z2, x, 5, NULL));
      if (kinds[i] == INV_MODEL_TIED_MLP)
        for (size_t k = 0; k < 50; k++) /* W = V·P re-tied from the stored W */
          g_assert_cmpfloat_with_epsilon (z1[k], z2[k], 1e-5);
      else
        g_assert_cmpmem (z1, sizeof z1, z2, sizeof z2);

      /* A tied-mlp file is a plain MLP to any reader: fc1.weight is the
       * effective, invariant weight. */
      if (kinds[i] == INV_MODEL_TIED_MLP)
        {
          g_autoptr (InvStFile) f = inv_st_read (path, &error);
          g_assert_no_error (error);
          const InvStTensor *w = inv_st_find (f, "fc1.weight");
          g_assert_nonnull (w);
          g_autofree float *row = g_new (float, 784);
          inv_group_apply (l->group, 1, row, w->data);
          for (size_t p = 0; p < 784; p++)
            g_assert_cmpfloat_with_epsilon (row[p], w->data[p], 1e-6);
        }

      /* Saving the loaded model writes the same file, bit for bit. */
      g_autofree char *again = tmp_path (dir, "again.safetensors");
      g_assert_true (inv_model_save (l, again, &error));
      g_assert_no_error (error);
      assert_same_file (path, again);
      g_remove (again);
      g_remove (path);
    }
  /* Also with orbits whose sizes are not powers of two (trans:7: 49), where
   * a float mean of equal values need not give the value back. */
  g_autoptr (InvModel) t = inv_model_new (INV_MODEL_TIED_MLP, "trans:7", 28, 28, 10, NULL, 5, &error);
  g_assert_no_error (error);
  g_autofree char *p1 = tmp_path (dir, "t1.safetensors"), *p2 = tmp_path (dir, "t2.safetensors");
  g_assert_true (inv_model_save (t, p1, &error));
  g_autoptr (InvModel) tl = inv_model_load (p1, &error);
  g_assert_no_error (error);
  g_assert_true (inv_model_save (tl, p2, &error));
  assert_same_file (p1, p2);
  g_remove (p1);
  g_remove (p2);
  g_rmdir (dir);
}

/* Writes a model file with one thing changed, and checks the message. */
typedef struct {
  const char *what;
  const char *expect;   /* substring of the error message */
} BadCase;

static void
write_variant (const char *path, const InvModel *m, const char *variant)
{
  g_autoptr (GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (meta, "format", g_strdup ("invariance-lab"));
  g_hash_table_insert (meta, "format_version", g_strdup (g_str_equal (variant, "future") ? "2" : "1"));
  g_hash_table_insert (meta, "kind", g_strdup (g_str_equal (variant, "kind") ? "transformer" : "mlp"));
  g_hash_table_insert (meta, "group", g_strdup (g_str_equal (variant, "group") ? "so3" : "c4"));
  g_hash_table_insert (meta, "height", g_strdup ("28"));
  g_hash_table_insert (meta, "width", g_strdup ("28"));
  g_hash_table_insert (meta, "classes", g_strdup ("10"));
  g_hash_table_insert (meta, "arch", g_strdup (g_str_equal (variant, "arch") ? "256,128" : "256,256"));
  g_hash_table_insert (meta, "mean", g_strdup (g_str_equal (variant, "mean") ? "nan" : "0.28"));
  g_hash_table_insert (meta, "std", g_strdup ("0.35"));
  g_hash_table_insert (meta, "dataset", g_strdup ("fashion"));
  InvStTensor t[8];
  size_t n = 0;
  for (size_t i = 0; i < m->n_views; i++)
    {
      const InvParam *p = &m->views[i];
      if (g_str_equal (variant, "missing") && g_str_equal (p->name, "fc2.bias"))
        continue;
      t[n].name = (char *) p->name;
      t[n].ndim = p->ndim;
      memcpy (t[n].shape, p->shape, sizeof p->shape);
      t[n].numel = p->numel;
      t[n].data = m->params + p->offset;
      n++;
    }
  if (g_str_equal (variant, "extra"))
    {
      t[n] = t[n - 1];
      t[n].name = (char *) "fc9.bias";
      n++;
    }
  if (g_str_equal (variant, "shape"))
    {
      /* fc3.weight (10, 256) stored as (5, 512) */
      for (size_t i = 0; i < n; i++)
        if (g_str_equal (t[i].name, "fc3.weight"))
          {
            t[i].shape[0] = 5;
            t[i].shape[1] = 512;
          }
    }
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_st_write (path, t, n, meta, &error));
}

static void
test_bad_files (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("invlab-bad-XXXXXX", &error);
  g_autofree char *path = tmp_path (dir, "bad.safetensors");
  g_autoptr (InvModel) m = inv_model_new (INV_MODEL_MLP, "c4", 28, 28, 10, NULL, 1, &error);
  g_assert_no_error (error);
  const BadCase cases[] = {
    { "ok", NULL },
    { "future", "format version 2 is newer" },
    { "kind", "unknown model kind 'transformer'" },
    { "group", "unknown group 'so3'" },
    { "arch", "fc2.weight' has shape [256, 256], but" },
    { "mean", "'mean' = 'nan' is not a finite number" },
    { "missing", "tensor 'fc2.bias' is missing" },
    { "extra", "unexpected tensor 'fc9.bias'" },
    { "shape", "fc3.weight' has shape [5, 512]" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      write_variant (path, m, cases[i].what);
      g_autoptr (GError) e = NULL;
      g_autoptr (InvModel) l = inv_model_load (path, &e);
      if (!cases[i].expect)
        {
          g_assert_no_error (e);
          g_assert_nonnull (l);
          continue;
        }
      g_assert_null (l);
      g_assert_nonnull (e);
      g_test_message ("%s: %s", cases[i].what, e->message);
      g_assert_nonnull (strstr (e->message, path));
      if (!strstr (e->message, cases[i].expect))
        g_error ("case %s: '%s' lacks '%s'", cases[i].what, e->message, cases[i].expect);
    }

  /* Byte-level damage to a good file: truncation, a header length larger
   * than the file, a header that is not JSON, a NaN weight. */
  g_assert_true (inv_model_save (m, path, &error));
  gchar *bytes;
  gsize len;
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  struct { const char *what; size_t cut; int patch; const char *expect; } dmg[] = {
    { "truncated", len - 100, -1, NULL },
    { "header-length", len, 0, NULL },
    { "not-json", len, 1, NULL },
    { "nan", len, 2, "non-finite" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (dmg); i++)
    {
      g_autofree char *copy = g_memdup2 (bytes, len);
      uint64_t hlen;
      memcpy (&hlen, copy, 8);
      if (dmg[i].patch == 0)
        {
          uint64_t big = len * 2;
          memcpy (copy, &big, 8);
        }
      else if (dmg[i].patch == 1)
        copy[8] = '#';
      else if (dmg[i].patch == 2)
        {
          float nan = NAN;
          memcpy (copy + len - 4, &nan, 4);
        }
      g_assert_true (g_file_set_contents (path, copy, dmg[i].cut, NULL));
      g_autoptr (GError) e = NULL;
      g_autoptr (InvModel) l = inv_model_load (path, &e);
      g_assert_null (l);
      g_assert_nonnull (e);
      g_test_message ("%s: %s", dmg[i].what, e->message);
      g_assert_nonnull (strstr (e->message, path));
      if (dmg[i].expect)
        g_assert_nonnull (strstr (e->message, dmg[i].expect));
    }
  g_free (bytes);
  g_remove (path);
  g_rmdir (dir);
}

static void
test_arch_errors (void)
{
  g_autoptr (GError) error = NULL;
  InvModel *m = inv_model_new (INV_MODEL_GCNN, "c4", 30, 30, 10, NULL, 1, &error);
  g_assert_null (m);
  g_assert_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH);
  g_clear_error (&error);
  m = inv_model_new (INV_MODEL_CNN, "c4", 28, 28, 1, NULL, 1, &error);
  g_assert_null (m);
  g_assert_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH);
  g_clear_error (&error);
  m = inv_model_new (INV_MODEL_MLP, "c7", 28, 28, 10, NULL, 1, &error);
  g_assert_null (m);
  g_assert_error (error, INV_GROUP_ERROR, INV_GROUP_ERROR_UNKNOWN);
}

/* The default architectures of DESIGN.md, by their tensors. */
static void
test_default_shapes (void)
{
  const struct { InvModelKind kind; const char *group; const char *name; size_t ndim; size_t shape[5]; } cases[] = {
    { INV_MODEL_MLP, "c4", "fc1.weight", 2, { 256, 784 } },
    { INV_MODEL_MLP, "c4", "fc3.weight", 2, { 10, 256 } },
    { INV_MODEL_CNN, "c4", "conv1.weight", 4, { 16, 1, 3, 3 } },
    { INV_MODEL_CNN, "c4", "conv2.weight", 4, { 32, 16, 3, 3 } },
    { INV_MODEL_CNN, "c4", "fc1.weight", 2, { 128, 1568 } },
    { INV_MODEL_CNN, "c4", "fc2.weight", 2, { 10, 128 } },
    { INV_MODEL_GCNN, "c4", "conv1.weight", 4, { 8, 1, 3, 3 } },
    { INV_MODEL_GCNN, "c4", "conv2.weight", 5, { 16, 8, 4, 3, 3 } },
    { INV_MODEL_GCNN, "d4", "conv4.weight", 5, { 16, 16, 8, 3, 3 } },
    { INV_MODEL_GCNN, "c4", "fc1.weight", 2, { 10, 16 } },
    { INV_MODEL_GCNN, "trans", "conv2.weight", 4, { 16, 8, 3, 3 } },
    { INV_MODEL_GCNN, "trans", "fc1.weight", 2, { 10, 16 } },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (InvModel) m = inv_model_new (cases[i].kind, cases[i].group, 28, 28, 10, NULL, 1, &error);
      g_assert_no_error (error);
      const InvParam *p = inv_model_find_param (m, cases[i].name);
      g_assert_nonnull (p);
      g_assert_cmpuint (p->ndim, ==, cases[i].ndim);
      g_assert_cmpmem (p->shape, p->ndim * sizeof (size_t), cases[i].shape, cases[i].ndim * sizeof (size_t));
    }
  g_autoptr (InvModel) t = inv_model_new (INV_MODEL_GCNN, "trans", 28, 28, 10, NULL, 1, NULL);
  g_assert_null (inv_model_find_param (t, "conv3.weight"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (size_t i = 0; i < G_N_ELEMENTS (small_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/model/gradients/%s-%s",
                                               inv_model_kind_name (small_cases[i].kind),
                                               small_cases[i].group);
      g_test_add_data_func (path, &small_cases[i], test_gradients);
    }
  for (size_t i = 0; i < G_N_ELEMENTS (tied_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/model/exact-invariance/%s-%s",
                                               inv_model_kind_name (tied_cases[i].kind),
                                               tied_cases[i].group);
      g_test_add_data_func (path, &tied_cases[i], test_exact_invariance);
    }
  g_test_add_func ("/model/not-invariant", test_not_invariant);
  g_test_add_func ("/model/roundtrip", test_roundtrip);
  g_test_add_func ("/model/bad-files", test_bad_files);
  g_test_add_func ("/model/arch-errors", test_arch_errors);
  g_test_add_func ("/model/default-shapes", test_default_shapes);
  int rc = g_test_run ();
  return rc;
}
