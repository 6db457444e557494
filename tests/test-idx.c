/* Tests of the IDX reader and writer and of IDX folders as data sets:
 * round trips (plain and gzip), every kind of malformed file, folder-level
 * checks (missing files, count mismatches, labels and class names). */
#include "dataset.h"
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <zlib.h>

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("test-idx-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr (GDir) d = g_dir_open (f->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_assert_cmpint (g_remove (p), ==, 0);
    }
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->dir);
}

/* Writes raw bytes to dir/name; returns the path. */
static char *
write_raw (const char *dir, const char *name, const void *bytes, size_t n)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);
  g_file_set_contents (path, bytes, (gssize) n, &error);
  g_assert_no_error (error);
  return path;
}

static char *
write_text (const char *dir, const char *name, const char *text)
{
  return write_raw (dir, name, text, strlen (text));
}

/* Writes bytes gzip-compressed with zlib's own writer. */
static char *
write_gz (const char *dir, const char *name, const void *bytes, size_t n)
{
  char *path = g_build_filename (dir, name, NULL);
  gzFile gz = gzopen (path, "wb");
  g_assert_nonnull (gz);
  if (n)
    g_assert_cmpint (gzwrite (gz, bytes, (unsigned) n), ==, (int) n);
  g_assert_cmpint (gzclose (gz), ==, Z_OK);
  return path;
}

/* A big-endian IDX header for dims into buf; returns its length. */
static size_t
header (uint8_t *buf, uint8_t type, size_t ndim, const uint32_t *dims)
{
  buf[0] = buf[1] = 0;
  buf[2] = type;
  buf[3] = (uint8_t) ndim;
  for (size_t d = 0; d < ndim; d++)
    {
      buf[4 + 4 * d] = (uint8_t) (dims[d] >> 24);
      buf[5 + 4 * d] = (uint8_t) (dims[d] >> 16);
      buf[6 + 4 * d] = (uint8_t) (dims[d] >> 8);
      buf[7 + 4 * d] = (uint8_t) dims[d];
    }
  return 4 + 4 * ndim;
}

static void
test_roundtrip_plain (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  uint8_t px[2 * 3 * 5];
  for (size_t i = 0; i < sizeof px; i++)
    px[i] = (uint8_t) (i * 37 + 11);
  InvIdx idx = { .type = 0x08, .ndim = 3, .dims = { 2, 3, 5 }, .data = px };
  g_autofree char *path = g_build_filename (f->dir, "x-idx3-ubyte", NULL);
  g_assert_true (inv_idx_write (path, &idx, &error));
  g_assert_no_error (error);

  /* The bytes on disk are the documented format. */
  g_autofree char *raw = NULL;
  size_t len;
  g_assert_true (g_file_get_contents (path, &raw, &len, NULL));
  uint8_t want[16 + sizeof px];
  size_t hl = header (want, 0x08, 3, (const uint32_t[]) { 2, 3, 5 });
  memcpy (want + hl, px, sizeof px);
  g_assert_cmpmem (raw, len, want, hl + sizeof px);

  g_autoptr (InvIdx) back = inv_idx_read (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->type, ==, 0x08);
  g_assert_cmpuint (back->ndim, ==, 3);
  g_assert_cmpuint (back->dims[0], ==, 2);
  g_assert_cmpuint (back->dims[1], ==, 3);
  g_assert_cmpuint (back->dims[2], ==, 5);
  g_assert_cmpmem (back->data, sizeof px, px, sizeof px);
}

static void
test_roundtrip_gzip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  uint8_t buf[8 + 300];
  size_t hl = header (buf, 0x08, 1, (const uint32_t[]) { 300 });
  for (size_t i = 0; i < 300; i++)
    buf[hl + i] = (uint8_t) (255 - i);
  /* Named .gz, and also compressed under a name without .gz: gzip is
   * recognized by its magic bytes. */
  const char *names[] = { "labels.gz", "labels-no-suffix" };
  for (size_t k = 0; k < G_N_ELEMENTS (names); k++)
    {
      g_autofree char *path = write_gz (f->dir, names[k], buf, hl + 300);
      g_autoptr (InvIdx) back = inv_idx_read (path, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (back->ndim, ==, 1);
      g_assert_cmpuint (back->dims[0], ==, 300);
      g_assert_cmpmem (back->data, 300, buf + hl, 300);
    }
}

/* Writes a malformed file (gzip-compressed when gzip) and checks that
 * reading it fails with code and a message naming the file and needle. */
static void
expect_bad (Fixture *f, const char *name, const uint8_t *bytes, size_t n, gboolean gzip,
            int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = gzip ? write_gz (f->dir, name, bytes, n) : write_raw (f->dir, name, bytes, n);
  InvIdx *idx = inv_idx_read (path, &error);
  g_assert_null (idx);
  g_assert_error (error, INV_DATA_ERROR, code);
  g_test_message ("%s: %s", name, error->message);
  g_assert_nonnull (strstr (error->message, path));
  if (needle)
    g_assert_nonnull (strstr (error->message, needle));
}

static void
test_truncated (Fixture *f, gconstpointer data)
{
  uint8_t buf[12 + 20];
  size_t hl = header (buf, 0x08, 2, (const uint32_t[]) { 4, 5 });
  memset (buf + hl, 7, 20);
  for (int gz = 0; gz < 2; gz++)
    {
      /* Data short by one byte. */
      expect_bad (f, gz ? "short.gz" : "short", buf, hl + 19, gz, INV_DATA_ERROR_FORMAT,
                  "truncated: expected 20 bytes of data, found 19");
      /* Header cut inside the sizes, and inside the magic. */
      expect_bad (f, gz ? "short-head.gz" : "short-head", buf, 9, gz, INV_DATA_ERROR_FORMAT,
                  "truncated");
      expect_bad (f, gz ? "short-magic.gz" : "short-magic", buf, 3, gz, INV_DATA_ERROR_FORMAT,
                  "truncated");
    }
  expect_bad (f, "empty", buf, 0, FALSE, INV_DATA_ERROR_FORMAT, "truncated");

  /* A gzip stream cut short: the compressed bytes end early. */
  g_autofree char *path = write_gz (f->dir, "whole.gz", buf, sizeof buf);
  g_autofree char *gz_bytes = NULL;
  size_t gz_len;
  g_assert_true (g_file_get_contents (path, &gz_bytes, &gz_len, NULL));
  g_autoptr (GError) error = NULL;
  g_autofree char *cut = write_raw (f->dir, "cut.gz", gz_bytes, gz_len / 2);
  InvIdx *idx = inv_idx_read (cut, &error);
  g_assert_null (idx);
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, cut));
}

static void
test_bad_magic (Fixture *f, gconstpointer data)
{
  uint8_t buf[8 + 4];
  size_t hl = header (buf, 0x08, 1, (const uint32_t[]) { 4 });
  memset (buf + hl, 1, 4);
  buf[0] = 1;
  expect_bad (f, "magic0", buf, sizeof buf, FALSE, INV_DATA_ERROR_FORMAT, "magic");
  buf[0] = 0;
  buf[1] = 8;
  expect_bad (f, "magic1.gz", buf, sizeof buf, TRUE, INV_DATA_ERROR_FORMAT, "magic");
  buf[1] = 0;
  /* Valid IDX types other than unsigned bytes, and nonsense ones. */
  const uint8_t types[] = { 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0xff };
  for (size_t i = 0; i < G_N_ELEMENTS (types); i++)
    {
      buf[2] = types[i];
      g_autofree char *name = g_strdup_printf ("type-%02x", types[i]);
      expect_bad (f, name, buf, sizeof buf, FALSE, INV_DATA_ERROR_FORMAT, "type code");
    }
  buf[2] = 0x08;
  buf[3] = 0;
  expect_bad (f, "ndim0", buf, 4, FALSE, INV_DATA_ERROR_FORMAT, "dimensions");
  buf[3] = 5;
  expect_bad (f, "ndim5", buf, sizeof buf, FALSE, INV_DATA_ERROR_FORMAT, "dimensions");
}

static void
test_bad_dims (Fixture *f, gconstpointer data)
{
  uint8_t buf[4 + 16 + 8];
  memset (buf, 0, sizeof buf);
  size_t hl;

  hl = header (buf, 0x08, 3, (const uint32_t[]) { 2, 0, 4 });
  expect_bad (f, "zero-dim", buf, hl + 8, FALSE, INV_DATA_ERROR_DIMENSIONS, "dimension 1");

  hl = header (buf, 0x08, 1, (const uint32_t[]) { (1u << 24) + 1 });
  expect_bad (f, "big-dim", buf, hl + 8, FALSE, INV_DATA_ERROR_DIMENSIONS, "dimension 0");

  hl = header (buf, 0x08, 2, (const uint32_t[]) { 1, 0xffffffffu });
  expect_bad (f, "huge-dim.gz", buf, hl + 8, TRUE, INV_DATA_ERROR_DIMENSIONS, "dimension 1");

  /* Allowed dims whose product is over the byte cap (2^48 > 2^30). */
  hl = header (buf, 0x08, 2, (const uint32_t[]) { 1u << 24, 1u << 24 });
  expect_bad (f, "too-many-bytes", buf, hl + 8, FALSE, INV_DATA_ERROR_DIMENSIONS, "limit");

  /* Four allowed dims: 2^96 overflows size_t. */
  hl = header (buf, 0x08, 4, (const uint32_t[]) { 1u << 24, 1u << 24, 1u << 24, 1u << 24 });
  expect_bad (f, "overflow", buf, hl + 8, FALSE, INV_DATA_ERROR_DIMENSIONS, "overflow");
}

static void
test_trailing (Fixture *f, gconstpointer data)
{
  uint8_t buf[8 + 6];
  size_t hl = header (buf, 0x08, 1, (const uint32_t[]) { 5 });
  memset (buf + hl, 3, 6);
  expect_bad (f, "trailing", buf, hl + 6, FALSE, INV_DATA_ERROR_FORMAT, "after");
  expect_bad (f, "trailing.gz", buf, hl + 6, TRUE, INV_DATA_ERROR_FORMAT, "after");
}

/* A small gzip bomb: 64 MiB of zeros behind a header that announces 16
 * bytes. The reader must stop after the announced size plus one byte. */
static void
test_gzip_bomb (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "bomb.gz", NULL);
  gzFile gz = gzopen (path, "wb9");
  uint8_t head[8];
  size_t hl = header (head, 0x08, 1, (const uint32_t[]) { 16 });
  gzwrite (gz, head, (unsigned) hl);
  g_autofree uint8_t *zeros = g_malloc0 (1 << 20);
  for (int i = 0; i < 64; i++)
    gzwrite (gz, zeros, 1 << 20);
  g_assert_cmpint (gzclose (gz), ==, Z_OK);
  InvIdx *idx = inv_idx_read (path, &error);
  g_assert_null (idx);
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_not_gzip (Fixture *f, gconstpointer data)
{
  uint8_t buf[8 + 4];
  size_t hl = header (buf, 0x08, 1, (const uint32_t[]) { 4 });
  memset (buf + hl, 9, 4);
  expect_bad (f, "plain.gz", buf, sizeof buf, FALSE, INV_DATA_ERROR_FORMAT,
              "is named .gz but is not gzip-compressed");
  /* Gzip magic followed by garbage. */
  const uint8_t junk[] = { 0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x03, 0x55, 0x66 };
  g_autoptr (GError) error = NULL;
  g_autofree char *path = write_raw (f->dir, "junk.gz", junk, sizeof junk);
  InvIdx *idx = inv_idx_read (path, &error);
  g_assert_null (idx);
  g_assert_true (g_error_matches (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT));
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_missing_file (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "nope", NULL);
  InvIdx *idx = inv_idx_read (path, &error);
  g_assert_null (idx);
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_write_invalid (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  uint8_t px[4] = { 0 };
  g_autofree char *path = g_build_filename (f->dir, "w", NULL);
  InvIdx idx = { .type = 0x08, .ndim = 2, .dims = { 2, 0 }, .data = px };
  g_assert_false (inv_idx_write (path, &idx, &error));
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS);
  g_clear_error (&error);
  idx.type = 0x0d;
  idx.dims[1] = 2;
  g_assert_false (inv_idx_write (path, &idx, &error));
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT);
  g_clear_error (&error);
  idx.type = 0x08;
  g_autofree char *bad = g_build_filename (f->dir, "no-such-dir", "w", NULL);
  g_assert_false (inv_idx_write (bad, &idx, &error));
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "no-such-dir"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* IDX folders. */

/* Writes one split: n images of h×w (pixel i*h*w+p = (i+p) % 256) with the
 * given labels. Compressed when gz. */
static void
write_split (const char *dir, const char *images, const char *labels, size_t n, size_t h,
             size_t w, const uint8_t *lab, size_t n_lab, gboolean gz)
{
  g_autoptr (GError) error = NULL;
  g_autofree uint8_t *px = g_malloc (n * h * w);
  for (size_t i = 0; i < n * h * w; i++)
    px[i] = (uint8_t) (i % 251);
  InvIdx img = { .type = 0x08, .ndim = 3, .dims = { n, h, w }, .data = px };
  InvIdx lb = { .type = 0x08, .ndim = 1, .dims = { n_lab }, .data = (uint8_t *) lab };
  g_autofree char *ip = g_build_filename (dir, images, NULL);
  g_autofree char *lp = g_build_filename (dir, labels, NULL);
  g_assert_true (inv_idx_write (ip, &img, &error));
  g_assert_true (inv_idx_write (lp, &lb, &error));
  if (gz)
    {
      /* Recompress under the .gz name, removing the plain file. */
      const char *paths[] = { ip, lp };
      for (int k = 0; k < 2; k++)
        {
          g_autofree char *raw = NULL;
          size_t len;
          g_assert_true (g_file_get_contents (paths[k], &raw, &len, NULL));
          g_autofree char *base = g_path_get_basename (paths[k]);
          g_autofree char *gzname = g_strconcat (base, ".gz", NULL);
          g_autofree char *p = write_gz (dir, gzname, raw, len);
          g_assert_cmpint (g_remove (paths[k]), ==, 0);
        }
    }
}

static void
write_folder (const char *dir, const uint8_t *train_lab, size_t n_train,
              const uint8_t *test_lab, size_t n_test, gboolean gz)
{
  write_split (dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", n_train, 4, 4,
               train_lab, n_train, gz);
  write_split (dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", n_test, 4, 4,
               test_lab, n_test, FALSE);
}

static void
test_folder_ok (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const uint8_t train[] = { 0, 1, 2, 4, 1, 0 };
  const uint8_t test[] = { 3, 2, 1 };
  write_folder (f->dir, train, 6, test, 3, TRUE);
  g_autofree char *spec = g_strconcat ("idx:", f->dir, NULL);
  g_autoptr (InvDataset) ds = inv_dataset_load (spec, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ds->name, ==, spec);
  g_assert_cmpuint (ds->train.n, ==, 6);
  g_assert_cmpuint (ds->test.n, ==, 3);
  g_assert_cmpuint (ds->h, ==, 4);
  g_assert_cmpuint (ds->w, ==, 4);
  /* K = largest label + 1, named by the digits. */
  g_assert_cmpuint (ds->n_classes, ==, 5);
  g_assert_cmpstr (ds->class_names[4], ==, "4");
  g_assert_null (ds->class_names[5]);
  g_assert_cmpmem (ds->train.labels, 6, train, 6);
  g_assert_cmpmem (ds->test.labels, 3, test, 3);

  /* Mean and std of the training pixels, computed here independently. */
  double sum = 0, sum2 = 0;
  for (size_t i = 0; i < 6 * 16; i++)
    {
      double v = (double) (i % 251) / 255.0;
      sum += v;
      sum2 += v * v;
    }
  double mean = sum / 96;
  g_assert_cmpfloat_with_epsilon (ds->mean, mean, 1e-12);
  g_assert_cmpfloat_with_epsilon (ds->std, sqrt (sum2 / 96 - mean * mean), 1e-12);

  float img[16];
  inv_split_get_image (&ds->train, 4, 4, 2, img);
  for (size_t p = 0; p < 16; p++)
    g_assert_cmpfloat_with_epsilon (img[p], ((32 + p) % 251) / 255.0, 1e-7);

  /* classes.txt names the classes (blank lines ignored, spaces trimmed). */
  g_autofree char *cp = write_text (f->dir, "classes.txt", "cat\n\n dog \nemu\nfox\ngnu\nhen\n");
  g_autoptr (InvDataset) named = inv_dataset_load_idx (f->dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (named->n_classes, ==, 6);
  g_assert_cmpstr (named->class_names[0], ==, "cat");
  g_assert_cmpstr (named->class_names[1], ==, "dog");
  g_assert_cmpstr (named->class_names[5], ==, "hen");
  g_assert_null (named->class_names[6]);
  g_assert_true (g_str_has_prefix (named->name, "idx:"));
}

/* Labels beyond the names of classes.txt are an error naming both files. */
static void
test_folder_label_range (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const uint8_t train[] = { 0, 1, 2, 3 };
  const uint8_t test[] = { 0, 1 };
  write_folder (f->dir, train, 4, test, 2, FALSE);
  g_autofree char *cp = write_text (f->dir, "classes.txt", "a\nb\nc\n");
  InvDataset *ds = inv_dataset_load_idx (f->dir, NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_LABEL);
  g_assert_nonnull (strstr (error->message, "classes.txt"));
  g_assert_nonnull (strstr (error->message, "train-labels-idx1-ubyte"));
  g_clear_error (&error);

  /* Without classes.txt, label 255 makes K = 256. */
  g_assert_cmpint (g_remove (cp), ==, 0);
  const uint8_t wide[] = { 0, 255, 3, 3 };
  write_folder (f->dir, wide, 4, test, 2, FALSE);
  g_autoptr (InvDataset) big = inv_dataset_load_idx (f->dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (big->n_classes, ==, 256);
  g_assert_cmpstr (big->class_names[255], ==, "255");

  /* A single class is no classification problem. */
  const uint8_t zeros[] = { 0, 0, 0, 0 };
  write_folder (f->dir, zeros, 4, zeros, 2, FALSE);
  ds = inv_dataset_load_idx (f->dir, NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_LABEL);
  g_assert_nonnull (strstr (error->message, f->dir));
}

static void
test_folder_count_mismatch (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const uint8_t lab[] = { 0, 1, 0, 1, 0 };
  write_split (f->dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 4, 4, 4, lab, 5, FALSE);
  write_split (f->dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 2, 4, 4, lab, 2, FALSE);
  InvDataset *ds = inv_dataset_load_idx (f->dir, NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS);
  g_assert_nonnull (strstr (error->message, "train-labels-idx1-ubyte"));
  g_assert_nonnull (strstr (error->message, "train-images-idx3-ubyte"));
  g_clear_error (&error);

  /* Test images of another size than the training images. */
  write_split (f->dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 4, 4, 4, lab, 4, FALSE);
  write_split (f->dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 2, 5, 4, lab, 2, FALSE);
  ds = inv_dataset_load_idx (f->dir, NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS);
  g_assert_nonnull (strstr (error->message, "t10k-images-idx3-ubyte"));
  g_clear_error (&error);

  /* Labels stored as a 2-D file. */
  write_split (f->dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 2, 4, 4, lab, 2, FALSE);
  g_autofree char *lp = g_build_filename (f->dir, "t10k-labels-idx1-ubyte", NULL);
  InvIdx two = { .type = 0x08, .ndim = 2, .dims = { 2, 1 }, .data = (uint8_t *) lab };
  g_assert_true (inv_idx_write (lp, &two, &error));
  ds = inv_dataset_load_idx (f->dir, NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS);
  g_assert_nonnull (strstr (error->message, lp));
}

static void
test_folder_missing (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *nowhere = g_build_filename (f->dir, "nowhere", NULL);
  InvDataset *ds = inv_dataset_load_idx (nowhere, NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO);
  g_assert_nonnull (strstr (error->message, nowhere));
  g_clear_error (&error);

  const uint8_t lab[] = { 0, 1 };
  write_split (f->dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 2, 4, 4, lab, 2, FALSE);
  ds = inv_dataset_load_idx (f->dir, NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "t10k-images-idx3-ubyte"));
  g_clear_error (&error);

  /* A broken file inside the folder: the error names it. */
  write_split (f->dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 2, 4, 4, lab, 2, FALSE);
  g_autofree char *lp = g_build_filename (f->dir, "t10k-labels-idx1-ubyte", NULL);
  g_assert_cmpint (g_remove (lp), ==, 0);
  g_autofree char *gz = write_raw (f->dir, "t10k-labels-idx1-ubyte.gz", "\0\0\x08\x01\0\0\0\x02\0\1", 10);
  ds = inv_dataset_load_idx (f->dir, NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, gz));
}

static void
test_spec (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *bad[] = { "mnist", "", "idx:", "digits:", "digits:-1", "fashion:x" };
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      InvDataset *ds = inv_dataset_load (bad[i], &error);
      g_assert_null (ds);
      g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_SPEC);
      g_autofree char *quoted = g_strdup_printf ("'%s'", bad[i]);
      g_assert_nonnull (strstr (error->message, quoted));
      g_clear_error (&error);
    }

  /* "fashion" reads the folder named by INVLAB_FASHION_DIR. */
  const uint8_t train[10] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  write_folder (f->dir, train, 10, train, 10, FALSE);
  g_autofree char *old = g_strdup (g_getenv ("INVLAB_FASHION_DIR"));
  g_setenv ("INVLAB_FASHION_DIR", f->dir, TRUE);
  g_autoptr (InvDataset) ds = inv_dataset_load ("fashion", &error);
  if (old)
    g_setenv ("INVLAB_FASHION_DIR", old, TRUE);
  else
    g_unsetenv ("INVLAB_FASHION_DIR");
  g_assert_no_error (error);
  g_assert_cmpstr (ds->name, ==, "fashion");
  g_assert_cmpstr (ds->title, ==, "Fashion-MNIST");
  g_assert_cmpuint (ds->n_classes, ==, 10);
  g_assert_cmpstr (ds->class_names[0], ==, "T-shirt/top");
  g_assert_cmpstr (ds->class_names[9], ==, "Ankle boot");
}

/* The installed Fashion-MNIST, when present: its documented sizes. */
static void
test_fashion_installed (void)
{
  if (!g_file_test ("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
                    G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Fashion-MNIST is not installed");
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) ds = inv_dataset_load_idx ("/usr/share/datasets/fashion-mnist",
                                                     "fashion", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ds->train.n, ==, 60000);
  g_assert_cmpuint (ds->test.n, ==, 10000);
  g_assert_cmpuint (ds->h, ==, 28);
  g_assert_cmpuint (ds->w, ==, 28);
  g_assert_cmpuint (ds->n_classes, ==, 10);
  /* Fashion-MNIST is balanced: 6000 and 1000 per class. */
  size_t count[10] = { 0 };
  for (size_t i = 0; i < ds->train.n; i++)
    count[ds->train.labels[i]]++;
  for (int k = 0; k < 10; k++)
    g_assert_cmpuint (count[k], ==, 6000);
  g_assert_cmpfloat (ds->mean, >, 0.25);
  g_assert_cmpfloat (ds->mean, <, 0.32);
  g_assert_cmpfloat (ds->std, >, 0.32);
  g_assert_cmpfloat (ds->std, <, 0.38);
}

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ADD ("/idx/roundtrip-plain", test_roundtrip_plain);
  ADD ("/idx/roundtrip-gzip", test_roundtrip_gzip);
  ADD ("/idx/truncated", test_truncated);
  ADD ("/idx/bad-magic", test_bad_magic);
  ADD ("/idx/bad-dims", test_bad_dims);
  ADD ("/idx/trailing", test_trailing);
  ADD ("/idx/gzip-bomb", test_gzip_bomb);
  ADD ("/idx/not-gzip", test_not_gzip);
  ADD ("/idx/missing-file", test_missing_file);
  ADD ("/idx/write-invalid", test_write_invalid);
  ADD ("/idx/folder-ok", test_folder_ok);
  ADD ("/idx/folder-label-range", test_folder_label_range);
  ADD ("/idx/folder-count-mismatch", test_folder_count_mismatch);
  ADD ("/idx/folder-missing", test_folder_missing);
  ADD ("/idx/spec", test_spec);
  g_test_add_func ("/idx/fashion-installed", test_fashion_installed);
  return g_test_run ();
}
