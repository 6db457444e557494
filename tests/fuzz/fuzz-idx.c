/* libFuzzer target: the IDX reader (plain and gzip) and the IDX folder
 * loader. The first byte picks the mode; the rest is the file, or for a
 * folder up to five parts split at FUZZ_IDX_SEP (the four MNIST files, then
 * classes.txt), each gzip-named when it starts with the gzip magic. */
#define _GNU_SOURCE  /* memmem */
#include "fuzz-common.h"
#include "dataset.h"
#include <string.h>

#define FUZZ_IDX_SEP "\xfe\xfeSP"
#define FUZZ_IDX_SEP_LEN 4

static const char *const part_names[5] = {
  "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "classes.txt",
};

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  fuzz_dir ();
  return 0;
}

static gboolean
is_gzip (const uint8_t *p, size_t n)
{
  return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static void
check_idx (const InvIdx *idx)
{
  g_assert (idx->type == 0x08);
  g_assert (idx->ndim >= 1 && idx->ndim <= 4);
  size_t prod = 1;
  for (size_t d = 0; d < idx->ndim; d++)
    {
      g_assert (idx->dims[d] >= 1 && idx->dims[d] <= INV_IDX_MAX_DIM);
      prod *= idx->dims[d];
      g_assert (prod <= INV_IDX_MAX_BYTES);
    }
  /* Touch the first and last byte: ASan checks the buffer is that long. */
  volatile uint8_t sink = idx->data[0] ^ idx->data[prod - 1];
  (void) sink;
}

static void
fuzz_file (const uint8_t *data, size_t size, gboolean gz_name)
{
  fuzz_remove (gz_name ? "f" : "f.gz");
  g_autofree char *path = fuzz_write (gz_name ? "f.gz" : "f", data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (InvIdx) idx = inv_idx_read (path, &error);
  g_assert ((idx == NULL) == (error != NULL));
  if (idx)
    check_idx (idx);
  else
    g_assert (strstr (error->message, path) != NULL);
}

static void
check_split (const InvSplit *s, const InvDataset *ds)
{
  g_assert (s->n >= 1);
  for (size_t i = 0; i < s->n; i++)
    g_assert (s->labels[i] < ds->n_classes);
  float px[64];
  if (ds->h * ds->w <= G_N_ELEMENTS (px))
    inv_split_get_image (s, ds->h, ds->w, s->n - 1, px);
}

static void
fuzz_folder (const uint8_t *data, size_t size)
{
  for (size_t i = 0; i < G_N_ELEMENTS (part_names); i++)
    {
      g_autofree char *gz = g_strconcat (part_names[i], ".gz", NULL);
      fuzz_remove (part_names[i]);
      fuzz_remove (gz);
    }
  const uint8_t *p = data, *end = data + size;
  for (size_t i = 0; i < G_N_ELEMENTS (part_names) && p <= end; i++)
    {
      const uint8_t *sep = memmem (p, (size_t) (end - p), FUZZ_IDX_SEP, FUZZ_IDX_SEP_LEN);
      size_t len = sep ? (size_t) (sep - p) : (size_t) (end - p);
      g_autofree char *name = i < 4 && is_gzip (p, len) ? g_strconcat (part_names[i], ".gz", NULL)
                                                        : g_strdup (part_names[i]);
      g_free (fuzz_write (name, p, len));
      if (!sep)
        break;
      p = sep + FUZZ_IDX_SEP_LEN;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) ds = inv_dataset_load_idx (fuzz_dir (), NULL, &error);
  g_assert ((ds == NULL) == (error != NULL));
  if (!ds)
    return;
  g_assert (ds->h >= 1 && ds->w >= 1 && ds->n_classes >= 2);
  g_assert (g_strv_length (ds->class_names) == ds->n_classes);
  check_split (&ds->train, ds);
  check_split (&ds->test, ds);
  g_assert (ds->mean >= 0 && ds->mean <= 1 && ds->std >= 0 && ds->std <= 1);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  switch (data[0] & 3)
    {
    case 0:
      fuzz_file (data + 1, size - 1, FALSE);
      break;
    case 1:
      fuzz_file (data + 1, size - 1, TRUE);
      break;
    default:
      fuzz_folder (data + 1, size - 1);
      break;
    }
  return 0;
}
