/* Helper of test-torch-bridge: exports what the C core sees and computes, so
 * the PyTorch bridge can be compared against it — data-set images as IDX
 * files, the core's logits on test images, and the core's group orbits. Not
 * a test itself and not part of invlab. Raw outputs are float32 in host byte
 * order (the test reads them on the same machine). N images, n = H*W, K
 * classes, G group order. */
#include "dataset.h"
#include "group.h"
#include "model.h"
#include "util.h"
#include <stdio.h>
#include <string.h>

static const char usage[] =
  "usage: torch-logits export DATASET N DIR\n"
  "         IDX files of the first N train and test images (and classes.txt)\n"
  "       torch-logits logits MODEL DATASET N IMAGES.f32 LOGITS.f32\n"
  "         test images (N, n) and the model's logits (N, K)\n"
  "       torch-logits orbit GROUP DATASET N ORBITS.f32\n"
  "         the orbits (N, G, n) of the first N test images\n";

static gboolean
write_floats (const char *path, const float *x, size_t count, GError **error)
{
  return g_file_set_contents (path, (const char *) x, (gssize) (count * sizeof (float)), error);
}

static gboolean
parse_count (const char *s, size_t max, size_t *out, GError **error)
{
  guint64 v;
  if (!g_ascii_string_to_unsigned (s, 10, 1, max, &v, error))
    return FALSE;
  *out = (size_t) v;
  return TRUE;
}

static gboolean
export_split (const InvDataset *ds, const InvSplit *s, size_t N, const char *dir,
              const char *prefix, GError **error)
{
  g_autofree char *ipath = g_strdup_printf ("%s/%s-images-idx3-ubyte", dir, prefix);
  g_autofree char *lpath = g_strdup_printf ("%s/%s-labels-idx1-ubyte", dir, prefix);
  InvIdx images = { 0x08, 3, { N, ds->h, ds->w, 0 }, s->images };
  InvIdx labels = { 0x08, 1, { N, 0, 0, 0 }, s->labels };
  return inv_idx_write (ipath, &images, error) && inv_idx_write (lpath, &labels, error);
}

static gboolean
cmd_export (char **argv, GError **error)
{
  size_t N;
  if (!parse_count (argv[1], G_MAXUINT32, &N, error))
    return FALSE;
  g_autoptr (InvDataset) ds = inv_dataset_load (argv[0], error);
  if (!ds)
    return FALSE;
  const char *dir = argv[2];
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot create %s", dir);
      return FALSE;
    }
  if (!export_split (ds, &ds->train, MIN (N, ds->train.n), dir, "train", error)
      || !export_split (ds, &ds->test, MIN (N, ds->test.n), dir, "t10k", error))
    return FALSE;
  g_autofree char *names = g_strjoinv ("\n", ds->class_names);
  g_autofree char *text = g_strconcat (names, "\n", NULL);
  g_autofree char *cpath = g_build_filename (dir, "classes.txt", NULL);
  return g_file_set_contents (cpath, text, -1, error);
}

static gboolean
cmd_logits (char **argv, GError **error)
{
  size_t N;
  if (!parse_count (argv[2], G_MAXUINT32, &N, error))
    return FALSE;
  g_autoptr (InvModel) m = inv_model_load (argv[0], error);
  if (!m)
    return FALSE;
  g_autoptr (InvDataset) ds = inv_dataset_load (argv[1], error);
  if (!ds)
    return FALSE;
  if (ds->h != m->h || ds->w != m->w)
    {
      g_set_error (error, INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH,
                   "%s: images are %zu×%zu, the model takes %zu×%zu", argv[1], ds->h, ds->w,
                   m->h, m->w);
      return FALSE;
    }
  N = MIN (N, ds->test.n);
  size_t n = m->h * m->w, K = m->n_classes;
  g_autofree float *x = g_new (float, N * n);       /* (N, n) */
  g_autofree float *logits = g_new (float, N * K);  /* (N, K) */
  for (size_t i = 0; i < N; i++)
    inv_split_get_image (&ds->test, ds->h, ds->w, i, x + i * n);
  /* Batches of 32, as the evaluator runs the model. */
  for (size_t i = 0; i < N; i += 32)
    if (!inv_model_forward (m, logits + i * K, x + i * n, MIN (32, N - i), error))
      return FALSE;
  return write_floats (argv[3], x, N * n, error) && write_floats (argv[4], logits, N * K, error);
}

static gboolean
cmd_orbit (char **argv, GError **error)
{
  size_t N;
  if (!parse_count (argv[2], G_MAXUINT32, &N, error))
    return FALSE;
  g_autoptr (InvDataset) ds = inv_dataset_load (argv[1], error);
  if (!ds)
    return FALSE;
  g_autoptr (InvGroup) grp = inv_group_new (argv[0], ds->h, ds->w, error);
  if (!grp)
    return FALSE;
  N = MIN (N, ds->test.n);
  size_t n = ds->h * ds->w, G = grp->order;
  g_autofree float *base = g_new (float, n);           /* (n) */
  g_autofree float *orbits = g_new (float, N * G * n); /* (N, G, n) */
  for (size_t i = 0; i < N; i++)
    {
      inv_split_get_image (&ds->test, ds->h, ds->w, i, base);
      inv_group_orbit (grp, orbits + i * G * n, base);
    }
  return write_floats (argv[3], orbits, N * G * n, error);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;
  if (argc == 5 && strcmp (argv[1], "export") == 0)
    ok = cmd_export (argv + 2, &error);
  else if (argc == 7 && strcmp (argv[1], "logits") == 0)
    ok = cmd_logits (argv + 2, &error);
  else if (argc == 6 && strcmp (argv[1], "orbit") == 0)
    ok = cmd_orbit (argv + 2, &error);
  else
    {
      fputs (usage, stderr);
      return 2;
    }
  if (!ok)
    {
      fprintf (stderr, "torch-logits %s: %s\n", argv[1], error->message);
      return 1;
    }
  return 0;
}
