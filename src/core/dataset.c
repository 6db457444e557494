/* Data sets by name ("fashion", "digits[:SEED]", "idx:DIR") and IDX
 * folders: the four MNIST-named files, class names, pixel statistics.
 * Not an augmentation or batching module. N images, H×W pixels, K classes. */
#include "config.h"
#include "dataset.h"
#include <math.h>
#include <string.h>

/* The split files, as MNIST names them; each may also end in .gz. */
static const char *const idx_images_name[2] = { "train-images-idx3-ubyte", "t10k-images-idx3-ubyte" };
static const char *const idx_labels_name[2] = { "train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte" };

static const char *const fashion_names[10] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

void
inv_dataset_free (InvDataset *ds)
{
  if (!ds)
    return;
  g_free (ds->name);
  g_free (ds->title);
  g_strfreev (ds->class_names);
  g_free (ds->train.images);
  g_free (ds->train.labels);
  g_free (ds->test.images);
  g_free (ds->test.labels);
  g_free (ds);
}

void
inv_split_get_image (const InvSplit *s, size_t h, size_t w, size_t i, float *out)
{
  size_t n = h * w;
  const uint8_t *px = s->images + i * n;
  for (size_t p = 0; p < n; p++)
    out[p] = px[p] / 255.0f;
}

/* The path of base or base.gz inside dir (the plain file first), or NULL. */
static char *
find_split_file (const char *dir, const char *base, GError **error)
{
  g_autofree char *plain = g_build_filename (dir, base, NULL);
  if (g_file_test (plain, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&plain);
  g_autofree char *gz = g_strconcat (plain, ".gz", NULL);
  if (g_file_test (gz, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&gz);
  g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO,
               "%s: missing file %s (or %s.gz)", dir, base, base);
  return NULL;
}

/* Loads one split into s, checking shapes; h, w are set by the first split
 * and checked against by the second. */
static gboolean
load_split (const char *dir, int which, InvSplit *s, size_t *h, size_t *w, GError **error)
{
  g_autofree char *img_path = find_split_file (dir, idx_images_name[which], error);
  if (!img_path)
    return FALSE;
  g_autofree char *lab_path = find_split_file (dir, idx_labels_name[which], error);
  if (!lab_path)
    return FALSE;
  g_autoptr (InvIdx) img = inv_idx_read (img_path, error);
  if (!img)
    return FALSE;
  if (img->ndim != 3)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS,
                   "%s: images must have 3 dimensions (N, H, W), found %zu", img_path, img->ndim);
      return FALSE;
    }
  g_autoptr (InvIdx) lab = inv_idx_read (lab_path, error);
  if (!lab)
    return FALSE;
  if (lab->ndim != 1)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS,
                   "%s: labels must have 1 dimension, found %zu", lab_path, lab->ndim);
      return FALSE;
    }
  if (lab->dims[0] != img->dims[0])
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS,
                   "%s has %zu labels but %s has %zu images",
                   lab_path, lab->dims[0], img_path, img->dims[0]);
      return FALSE;
    }
  if (*h == 0)
    {
      *h = img->dims[1];
      *w = img->dims[2];
    }
  else if (img->dims[1] != *h || img->dims[2] != *w)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS,
                   "%s: images are %zu×%zu but the training images are %zu×%zu",
                   img_path, img->dims[1], img->dims[2], *h, *w);
      return FALSE;
    }
  s->n = img->dims[0];
  s->images = g_steal_pointer (&img->data);
  s->labels = g_steal_pointer (&lab->data);
  return TRUE;
}

/* The largest label of a split (0 for an empty one). */
static unsigned
max_label (const InvSplit *s)
{
  unsigned m = 0;
  for (size_t i = 0; i < s->n; i++)
    m = MAX (m, s->labels[i]);
  return m;
}

/* Non-empty lines of classes.txt, or NULL with no error if it is absent. */
static char **
read_class_file (const char *path, size_t *n_out, GError **error)
{
  *n_out = 0;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  g_autofree char *text = NULL;
  GError *local = NULL;
  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO, "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT, "%s: not UTF-8 text", path);
      return NULL;
    }
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *names = g_ptr_array_new ();
  for (size_t i = 0; lines[i]; i++)
    {
      char *name = g_strstrip (lines[i]);
      if (*name && names->len < 256)
        g_ptr_array_add (names, g_strdup (name));
    }
  *n_out = names->len;
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

/* Mean and standard deviation of the pixels scaled to [0,1], from a
 * histogram of byte values so the sums are exact. */
static void
pixel_stats (const InvSplit *s, size_t h, size_t w, double *mean, double *std)
{
  uint64_t hist[256] = { 0 };
  size_t n = s->n * h * w;
  for (size_t i = 0; i < n; i++)
    hist[s->images[i]]++;
  double sum = 0, sum2 = 0;
  for (int v = 0; v < 256; v++)
    {
      double x = v / 255.0;
      sum += (double) hist[v] * x;
      sum2 += (double) hist[v] * x * x;
    }
  *mean = n ? sum / (double) n : 0;
  double var = n ? sum2 / (double) n - *mean * *mean : 0;
  *std = sqrt (MAX (var, 0.0));
}

InvDataset *
inv_dataset_load_idx (const char *dir, const char *name, GError **error)
{
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO,
                   g_file_test (dir, G_FILE_TEST_EXISTS) ? "%s is not a folder"
                                                         : "folder %s does not exist", dir);
      return NULL;
    }
  g_autoptr (InvDataset) ds = g_new0 (InvDataset, 1);
  gboolean fashion = name && strcmp (name, "fashion") == 0;
  ds->name = name ? g_strdup (name) : g_strconcat ("idx:", dir, NULL);
  if (!load_split (dir, 0, &ds->train, &ds->h, &ds->w, error)
      || !load_split (dir, 1, &ds->test, &ds->h, &ds->w, error))
    return NULL;

  unsigned top = MAX (max_label (&ds->train), max_label (&ds->test));
  g_autofree char *class_path = g_build_filename (dir, "classes.txt", NULL);
  size_t n_names = 0;
  GError *local = NULL;
  g_auto (GStrv) names = read_class_file (class_path, &n_names, &local);
  if (local)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  if (names)
    {
      /* classes.txt fixes K; every label must name one of its lines. */
      if (top >= n_names)
        {
          const InvSplit *s = max_label (&ds->train) == top ? &ds->train : &ds->test;
          g_autofree char *lab_path = g_build_filename (dir, idx_labels_name[s == &ds->test], NULL);
          g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_LABEL,
                       "%s names %zu classes but the labels (%s) go up to %u",
                       class_path, n_names, lab_path, top);
          return NULL;
        }
      ds->n_classes = n_names;
      ds->class_names = g_steal_pointer (&names);
    }
  else
    {
      ds->n_classes = (size_t) top + 1;
      ds->class_names = g_new0 (char *, ds->n_classes + 1);
      for (size_t k = 0; k < ds->n_classes; k++)
        ds->class_names[k] = fashion && ds->n_classes == 10
                               ? g_strdup (fashion_names[k]) : g_strdup_printf ("%zu", k);
    }
  if (ds->n_classes < 2)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_LABEL,
                   "%s: the labels name only %zu class (at least 2 needed)", dir, ds->n_classes);
      return NULL;
    }
  if (fashion)
    ds->title = g_strdup ("Fashion-MNIST");
  else
    {
      g_autofree char *base = g_path_get_basename (dir);
      ds->title = g_strdup_printf ("IDX data set %s", base);
    }
  pixel_stats (&ds->train, ds->h, ds->w, &ds->mean, &ds->std);
  return g_steal_pointer (&ds);
}

InvDataset *
inv_dataset_load (const char *spec, GError **error)
{
  if (strcmp (spec, "fashion") == 0)
    {
      const char *dir = g_getenv ("INVLAB_FASHION_DIR");
      if (!dir || !*dir)
        dir = INVLAB_FASHION_DIR;
      return inv_dataset_load_idx (dir, "fashion", error);
    }
  if (strcmp (spec, "digits") == 0)
    return inv_dataset_digits (INV_DIGITS_DEFAULT_SEED, INV_DIGITS_DEFAULT_TRAIN,
                               INV_DIGITS_DEFAULT_TEST, error);
  if (g_str_has_prefix (spec, "digits:"))
    {
      guint64 seed;
      if (!g_ascii_string_to_unsigned (spec + 7, 10, 0, G_MAXUINT64, &seed, NULL))
        {
          g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_SPEC,
                       "'%s': the seed after 'digits:' must be a non-negative integer", spec);
          return NULL;
        }
      return inv_dataset_digits (seed, INV_DIGITS_DEFAULT_TRAIN, INV_DIGITS_DEFAULT_TEST, error);
    }
  if (g_str_has_prefix (spec, "idx:"))
    {
      if (spec[4] == '\0')
        {
          g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_SPEC,
                       "'%s': name a folder after 'idx:'", spec);
          return NULL;
        }
      return inv_dataset_load_idx (spec + 4, spec, error);
    }
  g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_SPEC,
               "unknown data set '%s' (use fashion, digits, digits:SEED or idx:DIR)", spec);
  return NULL;
}
