/* Hostile data sets and model files through the real `invlab` ($INVLAB):
 * exit status 1 and one stderr line naming the file and the problem, fast and
 * in bounded memory. The messages it logs make the table in tests/README.md. */
#include "dataset.h"
#include "model.h"
#include "safetensors.h"
#include <fcntl.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define HOSTILE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOSTILE_ASAN 1
#endif
#endif

/* Wall-clock bound per run; generous for a sanitized build, which is
 * several times slower at start-up. */
#define HOSTILE_MAX_SECONDS 1.0
/* Peak resident memory bound per run: the data in the cases is tiny, so
 * anything near this means a size from the file was trusted. */
#ifdef HOSTILE_ASAN
#define HOSTILE_MAX_RSS_KB (128 * 1024)
#else
#define HOSTILE_MAX_RSS_KB (64 * 1024)
#endif

#define IMG_H 28
#define IMG_W 28
#define N_TRAIN 20
#define N_TEST 10

static char *tmp_root;

/* ---- running invlab ---- */

typedef struct {
  int status;       /* exit status, or 128 + signal */
  char *out, *err;  /* stdout, stderr */
  double seconds;
  long max_rss_kb;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs $INVLAB with argv (NULL-terminated, without the program), output to
 * files so nothing can block, and measures time and peak memory. */
static void
run_invlab (Run *r, const char *const *args)
{
  const char *exe = g_getenv ("INVLAB");
  g_assert_nonnull (exe);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) exe);
  for (size_t i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_autofree char *out_path = g_build_filename (tmp_root, "stdout", NULL);
  g_autofree char *err_path = g_build_filename (tmp_root, "stderr", NULL);

  gint64 t0 = g_get_monotonic_time ();
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      int o = open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int e = open (err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (o < 0 || e < 0 || dup2 (o, 1) < 0 || dup2 (e, 2) < 0)
        _exit (126);
      execv (exe, (char **) argv->pdata);
      _exit (127);
    }
  int wstatus = 0;
  struct rusage ru;
  g_assert_cmpint (wait4 (pid, &wstatus, 0, &ru), ==, pid);
  r->seconds = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  r->max_rss_kb = ru.ru_maxrss;
  r->status = WIFEXITED (wstatus) ? WEXITSTATUS (wstatus) : 128 + WTERMSIG (wstatus);
  g_assert_true (g_file_get_contents (out_path, &r->out, NULL, NULL));
  g_assert_true (g_file_get_contents (err_path, &r->err, NULL, NULL));
}

/* The checks every hostile input gets: status 1, nothing on stdout, one
 * stderr line that names `what` and contains `keyword`, fast, small. */
static void
check_rejected (const char *label, const char *const *args, const char *what,
                const char *keyword)
{
  g_auto (Run) r = { 0 };
  run_invlab (&r, args);
  g_autofree char *line = g_strchomp (g_strdup (r.err));
  g_test_message ("HOSTILE %s | %s", label, line);
  g_test_message ("  exit %d, %.3f s, peak RSS %ld KiB", r.status, r.seconds, r.max_rss_kb);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpstr (r.out, ==, "");
  size_t len = strlen (r.err);
  g_assert_cmpuint (len, >, 1);
  g_assert_cmpint (r.err[len - 1], ==, '\n');
  g_assert_null (memchr (r.err, '\n', len - 1));   /* exactly one line */
  if (!strstr (r.err, what))
    g_error ("%s: the message does not name %s: %s", label, what, r.err);
  if (!strstr (r.err, keyword))
    g_error ("%s: the message does not say '%s': %s", label, keyword, r.err);
  g_assert_cmpfloat (r.seconds, <, HOSTILE_MAX_SECONDS);
  g_assert_cmpint (r.max_rss_kb, <, HOSTILE_MAX_RSS_KB);
}

/* ---- files ---- */

static char *
make_dir (const char *name)
{
  char *dir = g_build_filename (tmp_root, name, NULL);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  return dir;
}

static void
put_file (const char *dir, const char *name, const void *data, size_t len)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_set_contents (p, data, (gssize) len, &error));
  g_assert_no_error (error);
}

/* Removes dir and the plain files in it. */
static void
remove_dir (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  const char *name;
  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_assert_cmpint (g_remove (p), ==, 0);
    }
  g_dir_close (d);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* IDX bytes: a header with ndim sizes, then len bytes of data. */
static GByteArray *
idx_bytes (const uint32_t *dims, size_t ndim, const uint8_t *data, size_t len)
{
  GByteArray *b = g_byte_array_new ();
  const uint8_t head[4] = { 0, 0, 0x08, (uint8_t) ndim };
  g_byte_array_append (b, head, 4);
  for (size_t d = 0; d < ndim; d++)
    {
      const uint8_t be[4] = { (uint8_t) (dims[d] >> 24), (uint8_t) (dims[d] >> 16),
                              (uint8_t) (dims[d] >> 8), (uint8_t) dims[d] };
      g_byte_array_append (b, be, 4);
    }
  if (len)
    g_byte_array_append (b, data, (guint) len);
  return b;
}

/* gzip of len bytes, one member. */
static GByteArray *
gzip_bytes (const void *data, size_t len)
{
  z_stream z = { 0 };
  g_assert_cmpint (deflateInit2 (&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), ==, Z_OK);
  GByteArray *out = g_byte_array_new ();
  g_byte_array_set_size (out, (guint) deflateBound (&z, len));
  z.next_in = (Bytef *) data;
  z.avail_in = (uInt) len;
  z.next_out = out->data;
  z.avail_out = out->len;
  g_assert_cmpint (deflate (&z, Z_FINISH), ==, Z_STREAM_END);
  g_byte_array_set_size (out, (guint) z.total_out);
  deflateEnd (&z);
  return out;
}

/* A valid folder: N_TRAIN + N_TEST images of 28×28, labels 0..9. */
static char *
make_valid_folder (const char *name)
{
  char *dir = make_dir (name);
  for (int split = 0; split < 2; split++)
    {
      size_t n = split ? N_TEST : N_TRAIN;
      g_autofree uint8_t *px = g_new (uint8_t, n * IMG_H * IMG_W);
      g_autofree uint8_t *lab = g_new (uint8_t, n);
      for (size_t i = 0; i < n * IMG_H * IMG_W; i++)
        px[i] = (uint8_t) (i * 7 + split);
      for (size_t i = 0; i < n; i++)
        lab[i] = (uint8_t) (i % 10);
      const uint32_t idims[3] = { (uint32_t) n, IMG_H, IMG_W }, ldims[1] = { (uint32_t) n };
      g_autoptr (GByteArray) img = idx_bytes (idims, 3, px, n * IMG_H * IMG_W);
      g_autoptr (GByteArray) labels = idx_bytes (ldims, 1, lab, n);
      put_file (dir, split ? "t10k-images-idx3-ubyte" : "train-images-idx3-ubyte", img->data, img->len);
      put_file (dir, split ? "t10k-labels-idx1-ubyte" : "train-labels-idx1-ubyte", labels->data, labels->len);
    }
  return dir;
}

static void
check_data_rejected (const char *label, const char *dir, const char *what, const char *keyword)
{
  g_autofree char *spec = g_strconcat ("idx:", dir, NULL);
  const char *args[] = { "data", "info", "--dataset", spec, NULL };
  check_rejected (label, args, what, keyword);
}

/* ---- data sets ---- */

/* The valid folder is accepted (so every failure below is the broken file's). */
static void
test_data_valid (void)
{
  g_autofree char *dir = make_valid_folder ("valid");
  g_autofree char *spec = g_strconcat ("idx:", dir, NULL);
  const char *args[] = { "data", "info", "--dataset", spec, NULL };
  g_auto (Run) r = { 0 };
  run_invlab (&r, args);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "20 images"));
  remove_dir (dir);
}

typedef struct {
  const char *label;
  const char *file;      /* the file replaced (or added) in the valid folder */
  const char *keyword;   /* what the message must say */
  GByteArray *(*make) (void);
} DataCase;

static GByteArray *
data_wrong_magic (void)
{
  GByteArray *b = g_byte_array_new ();
  g_byte_array_append (b, (const guint8 *) "PK\x03\x04" "not an IDX file at all", 26);
  return b;
}

static GByteArray *
data_truncated_header (void)
{
  const uint32_t dims[3] = { N_TRAIN, IMG_H, IMG_W };
  GByteArray *b = idx_bytes (dims, 3, NULL, 0);
  g_byte_array_set_size (b, 9);
  return b;
}

static GByteArray *
data_truncated_data (void)
{
  static uint8_t px[N_TRAIN * IMG_H * IMG_W];
  const uint32_t dims[3] = { N_TRAIN, IMG_H, IMG_W };
  return idx_bytes (dims, 3, px, sizeof px / 2);
}

static GByteArray *
data_overflow (void)
{
  /* 2^24 · 2^24 · 2^24 = 2^72 bytes: the product overflows size_t. */
  const uint32_t dims[3] = { 1u << 24, 1u << 24, 1u << 24 };
  return idx_bytes (dims, 3, (const uint8_t *) "\0\0\0\0", 4);
}

static GByteArray *
data_over_cap (void)
{
  /* 2^16 · 2^10 · 2^10 = 2^36 bytes: no overflow, beyond INV_IDX_MAX_BYTES. */
  const uint32_t dims[3] = { 1u << 16, 1u << 10, 1u << 10 };
  return idx_bytes (dims, 3, (const uint8_t *) "\0\0\0\0", 4);
}

static GByteArray *
data_zero_images (void)
{
  const uint32_t dims[3] = { 0, IMG_H, IMG_W };
  return idx_bytes (dims, 3, NULL, 0);
}

static GByteArray *
data_count_mismatch (void)
{
  static uint8_t lab[N_TRAIN - 1];
  const uint32_t dims[1] = { N_TRAIN - 1 };
  return idx_bytes (dims, 1, lab, sizeof lab);
}

static GByteArray *
data_classes_short (void)
{
  GByteArray *b = g_byte_array_new ();
  g_byte_array_append (b, (const guint8 *) "cat\ndog\nbird\n", 13);
  return b;
}

static GByteArray *
data_wrong_type (void)
{
  static uint8_t px[N_TRAIN * IMG_H * IMG_W * 4];
  const uint32_t dims[3] = { N_TRAIN, IMG_H, IMG_W };
  GByteArray *b = idx_bytes (dims, 3, px, sizeof px);
  b->data[2] = 0x0d;   /* float32 */
  return b;
}

static GByteArray *
data_images_2d (void)
{
  static uint8_t px[N_TRAIN * IMG_H * IMG_W];
  const uint32_t dims[2] = { N_TRAIN, IMG_H * IMG_W };
  return idx_bytes (dims, 2, px, sizeof px);
}

static GByteArray *
data_trailing (void)
{
  static uint8_t px[N_TRAIN * IMG_H * IMG_W + 100];
  const uint32_t dims[3] = { N_TRAIN, IMG_H, IMG_W };
  return idx_bytes (dims, 3, px, sizeof px);
}

static GByteArray *
data_size_mismatch (void)
{
  static uint8_t px[N_TEST * 14 * 14];
  const uint32_t dims[3] = { N_TEST, 14, 14 };
  return idx_bytes (dims, 3, px, sizeof px);
}

static GByteArray *
data_gzip_corrupt (void)
{
  static uint8_t px[N_TRAIN * IMG_H * IMG_W];
  for (size_t i = 0; i < sizeof px; i++)
    px[i] = (uint8_t) (i * 31 + i / 7);
  const uint32_t dims[3] = { N_TRAIN, IMG_H, IMG_W };
  g_autoptr (GByteArray) raw = idx_bytes (dims, 3, px, sizeof px);
  GByteArray *gz = gzip_bytes (raw->data, raw->len);
  for (size_t i = gz->len / 2; i < gz->len / 2 + 16; i++)
    gz->data[i] ^= 0x5a;
  return gz;
}

static GByteArray *
data_gzip_truncated (void)
{
  static uint8_t px[N_TRAIN * IMG_H * IMG_W];
  for (size_t i = 0; i < sizeof px; i++)
    px[i] = (uint8_t) (i * 13 + i / 5);
  const uint32_t dims[3] = { N_TRAIN, IMG_H, IMG_W };
  g_autoptr (GByteArray) raw = idx_bytes (dims, 3, px, sizeof px);
  GByteArray *gz = gzip_bytes (raw->data, raw->len);
  g_byte_array_set_size (gz, gz->len / 2);
  return gz;
}

static GByteArray *
data_gzip_over_cap (void)
{
  /* The header claims 2^31 bytes; a few zero bytes follow. */
  uint8_t zeros[4096] = { 0 };
  const uint32_t dims[3] = { 1u << 11, 1u << 10, 1u << 10 };
  g_autoptr (GByteArray) raw = idx_bytes (dims, 3, zeros, sizeof zeros);
  return gzip_bytes (raw->data, raw->len);
}

/* A gzip bomb: a valid header for N_TRAIN images, then 1 GiB of zeros as
 * 1024 concatenated gzip members of 1 MiB each (a file of about 1 MiB). */
#define BOMB_MEMBERS 1024
static GByteArray *
data_gzip_bomb (void)
{
  static uint8_t px[N_TRAIN * IMG_H * IMG_W];
  const uint32_t dims[3] = { N_TRAIN, IMG_H, IMG_W };
  g_autoptr (GByteArray) raw = idx_bytes (dims, 3, px, sizeof px);
  GByteArray *gz = gzip_bytes (raw->data, raw->len);
  g_autofree uint8_t *mib = g_new0 (uint8_t, 1 << 20);
  g_autoptr (GByteArray) member = gzip_bytes (mib, 1 << 20);
  for (int i = 0; i < BOMB_MEMBERS; i++)
    g_byte_array_append (gz, member->data, member->len);
  return gz;
}

static GByteArray *
data_named_gz_plain (void)
{
  static uint8_t px[N_TRAIN * IMG_H * IMG_W];
  const uint32_t dims[3] = { N_TRAIN, IMG_H, IMG_W };
  return idx_bytes (dims, 3, px, sizeof px);
}

static GByteArray *
data_empty (void)
{
  return g_byte_array_new ();
}

static const DataCase data_cases[] = {
  { "wrong magic", "train-images-idx3-ubyte", "magic", data_wrong_magic },
  { "truncated header", "train-images-idx3-ubyte", "truncated", data_truncated_header },
  { "truncated data", "train-images-idx3-ubyte", "truncated", data_truncated_data },
  { "empty file", "train-images-idx3-ubyte", "truncated", data_empty },
  { "dimension product overflows size_t", "t10k-images-idx3-ubyte", "overflow", data_overflow },
  { "dimensions beyond the 1 GiB cap", "train-images-idx3-ubyte", "limit", data_over_cap },
  { "0 images", "train-images-idx3-ubyte", "size 0", data_zero_images },
  { "images/labels count mismatch", "train-labels-idx1-ubyte", "labels but", data_count_mismatch },
  { "labels out of range (classes.txt)", "classes.txt", "go up to", data_classes_short },
  { "IDX type not unsigned byte", "train-images-idx3-ubyte", "type", data_wrong_type },
  { "images with 2 dimensions", "train-images-idx3-ubyte", "3 dimensions", data_images_2d },
  { "data after the announced size", "train-images-idx3-ubyte", "unexpected data", data_trailing },
  { "test images of another size", "t10k-images-idx3-ubyte", "training images are", data_size_mismatch },
  { "corrupt gzip", "train-images-idx3-ubyte.gz", "gzip", data_gzip_corrupt },
  { "truncated gzip", "train-images-idx3-ubyte.gz", "truncated", data_gzip_truncated },
  { "gzip claiming more than the cap", "train-images-idx3-ubyte.gz", "limit", data_gzip_over_cap },
  { "gzip bomb (1 GiB of zeros after the data)", "train-images-idx3-ubyte.gz", "unexpected data", data_gzip_bomb },
  { "named .gz, not gzip", "train-images-idx3-ubyte.gz", "not gzip", data_named_gz_plain },
};

static void
test_data_case (gconstpointer p)
{
  const DataCase *c = p;
  g_autofree char *dir = make_valid_folder ("data");
  /* A .gz replaces the plain file of the same name. */
  if (g_str_has_suffix (c->file, ".gz"))
    {
      g_autofree char *plain_name = g_strndup (c->file, strlen (c->file) - 3);
      g_autofree char *plain = g_build_filename (dir, plain_name, NULL);
      g_assert_cmpint (g_remove (plain), ==, 0);
    }
  g_autoptr (GByteArray) bytes = c->make ();
  put_file (dir, c->file, bytes->data, bytes->len);
  g_autofree char *path = g_build_filename (dir, c->file, NULL);
  check_data_rejected (c->label, dir, path, c->keyword);
  remove_dir (dir);
}

static void
test_data_missing_file (void)
{
  g_autofree char *dir = make_valid_folder ("missing");
  g_autofree char *p = g_build_filename (dir, "t10k-labels-idx1-ubyte", NULL);
  g_assert_cmpint (g_remove (p), ==, 0);
  check_data_rejected ("missing file", dir, "t10k-labels-idx1-ubyte", "missing");
  remove_dir (dir);
}

/* ---- models ---- */

/* A valid small model (mlp, c4, 28×28, one hidden layer of 4) written by
 * the project's writer; *header is its JSON header text. */
static GByteArray *
valid_model (char **header)
{
  InvModelArch arch = { .n_layers = 1, .width = { 4 } };
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) m = inv_model_new (INV_MODEL_MLP, "c4", IMG_H, IMG_W, 10, &arch, 5, &error);
  g_assert_no_error (error);
  m->mean = 0.2f;
  m->std = 0.3f;
  g_autofree char *path = g_build_filename (tmp_root, "valid.safetensors", NULL);
  g_assert_true (inv_model_save (m, path, &error));
  g_assert_no_error (error);
  char *bytes = NULL;
  size_t len = 0;
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  g_assert_cmpint (g_remove (path), ==, 0);
  guint64 hlen;
  memcpy (&hlen, bytes, 8);
  hlen = GUINT64_FROM_LE (hlen);
  g_assert_cmpuint (hlen + 8, <=, len);
  if (header)
    *header = g_strndup (bytes + 8, (gsize) hlen);
  return g_byte_array_new_take ((guint8 *) bytes, len);
}

/* The file with its header replaced by text (padded with spaces to a
 * multiple of 8, as the writer does) and the same data. */
static GByteArray *
with_header (const GByteArray *file, const char *text)
{
  guint64 old;
  memcpy (&old, file->data, 8);
  old = GUINT64_FROM_LE (old);
  g_autoptr (GString) h = g_string_new (text);
  while (h->len % 8)
    g_string_append_c (h, ' ');
  guint64 le = GUINT64_TO_LE ((guint64) h->len);
  GByteArray *b = g_byte_array_new ();
  g_byte_array_append (b, (const guint8 *) &le, 8);
  g_byte_array_append (b, (const guint8 *) h->str, (guint) h->len);
  g_byte_array_append (b, file->data + 8 + old, (guint) (file->len - 8 - old));
  return b;
}

/* header with the first occurrence of from replaced by to (which must exist). */
static char *
replace_once (const char *header, const char *from, const char *to)
{
  const char *at = strstr (header, from);
  if (!at)
    g_error ("the writer's header no longer contains %s: %s", from, header);
  return g_strdup_printf ("%.*s%s%s", (int) (at - header), header, to, at + strlen (from));
}

typedef struct {
  const char *label;
  const char *keyword;
  const char *from, *to;   /* header edit, or NULL */
  int special;             /* one of the MODEL_* edits below */
} ModelCase;

enum {
  MODEL_HEADER_EDIT,
  MODEL_HEADER_BEYOND_FILE,
  MODEL_HEADER_HUGE,
  MODEL_NOT_JSON,
  MODEL_JSON_ARRAY,
  MODEL_NAN,
  MODEL_INF,
  MODEL_TRUNCATED,
  MODEL_EMPTY,
  MODEL_EXTRA_TENSOR,
  MODEL_MISSING_TENSOR,
  MODEL_FILE,              /* from: a file under tests/fuzz/regressions/fuzz-safetensors */
};

/* Offsets of the writer's layout for arch 4 on 28×28, K 10: fc1.weight
 * [4,784] 12544 bytes, fc1.bias [4] 16, fc2.weight [10,4] 160, fc2.bias 40. */
static const ModelCase model_cases[] = {
  { "header length beyond the file", "header length", NULL, NULL, MODEL_HEADER_BEYOND_FILE },
  { "header length of 2^40 bytes", "header length", NULL, NULL, MODEL_HEADER_HUGE },
  { "header that is not JSON", "JSON", NULL, NULL, MODEL_NOT_JSON },
  { "header a JSON array, not an object", "object", NULL, NULL, MODEL_JSON_ARRAY },
  { "duplicate tensor name", "duplicate", "\"fc1.bias\"", "\"fc1.weight\"", MODEL_HEADER_EDIT },
  { "unknown tensor name", "unexpected tensor", NULL, NULL, MODEL_EXTRA_TENSOR },
  { "missing tensor", "missing", NULL, NULL, MODEL_MISSING_TENSOR },
  { "wrong dtype (F16)", "F16", "\"F32\"", "\"F16\"", MODEL_HEADER_EDIT },
  { "data offsets beyond the data", "offsets", "[12560,12720]", "[12560,99999999]", MODEL_HEADER_EDIT },
  { "overlapping data offsets", "overlap", "[12544,12560]", "[12540,12556]", MODEL_HEADER_EDIT },
  { "offsets that do not match the shape", "offsets", "[12544,12560]", "[12544,12556]", MODEL_HEADER_EDIT },
  { "shapes that do not match the architecture", "shape", "\"arch\":\"4\"", "\"arch\":\"5\"", MODEL_HEADER_EDIT },
  { "NaN weight", "non-finite", NULL, NULL, MODEL_NAN },
  { "Inf weight", "non-finite", NULL, NULL, MODEL_INF },
  { "unknown kind", "kind", "\"kind\":\"mlp\"", "\"kind\":\"resnet\"", MODEL_HEADER_EDIT },
  { "unknown group", "group", "\"group\":\"c4\"", "\"group\":\"c5\"", MODEL_HEADER_EDIT },
  { "future format version", "version", "\"format_version\":\"1\"", "\"format_version\":\"99\"", MODEL_HEADER_EDIT },
  { "not an Invariance Lab model", "not an Invariance Lab model", "\"format\":\"invariance-lab\"", "\"format\":\"other\"", MODEL_HEADER_EDIT },
  { "non-numeric metadata", "not a positive integer", "\"height\":\"28\"", "\"height\":\"28px\"", MODEL_HEADER_EDIT },
  { "unusable normalization", "normalization", "\"std\":\"", "\"std\":\"-", MODEL_HEADER_EDIT },
  { "truncated data", "exceed the data", NULL, NULL, MODEL_TRUNCATED },
  { "empty file", "shorter than", NULL, NULL, MODEL_EMPTY },
  /* found by fuzzing: small files whose metadata asks for gigabytes */
  { "260-byte file: trans:64 on 2048×2048 images", "more than the limit",
    "group-trans64-2048px", NULL, MODEL_FILE },
  { "252-byte file: arch 256 on 512×512 images", "missing", "arch-larger-than-file", NULL,
    MODEL_FILE },
};

static GByteArray *
make_model_case (const ModelCase *c)
{
  g_autofree char *header = NULL;
  g_autoptr (GByteArray) valid = valid_model (&header);
  guint64 hlen = strlen (header);
  switch (c->special)
    {
    case MODEL_HEADER_EDIT:
      {
        g_autofree char *h = replace_once (header, c->from, c->to);
        return with_header (valid, h);
      }
    case MODEL_HEADER_BEYOND_FILE:
    case MODEL_HEADER_HUGE:
      {
        GByteArray *b = g_byte_array_new ();
        g_byte_array_append (b, valid->data, valid->len);
        guint64 le = GUINT64_TO_LE (c->special == MODEL_HEADER_HUGE ? (guint64) 1 << 40
                                                                    : (guint64) valid->len);
        memcpy (b->data, &le, 8);
        return b;
      }
    case MODEL_NOT_JSON:
      return with_header (valid, "{\"__metadata__\": this is not JSON");
    case MODEL_JSON_ARRAY:
      return with_header (valid, "[1, 2, 3]");
    case MODEL_NAN:
    case MODEL_INF:
      {
        GByteArray *b = g_byte_array_new ();
        g_byte_array_append (b, valid->data, valid->len);
        float v = c->special == MODEL_NAN ? NAN : INFINITY;
        memcpy (b->data + 8 + hlen + 40, &v, 4);   /* fc1.weight[0, 10] */
        return b;
      }
    case MODEL_TRUNCATED:
      {
        GByteArray *b = g_byte_array_new ();
        g_byte_array_append (b, valid->data, valid->len - 100);
        return b;
      }
    case MODEL_EMPTY:
      return g_byte_array_new ();
    case MODEL_FILE:
      {
        const char *src = g_test_get_filename (G_TEST_DIST, "fuzz", "regressions",
                                               "fuzz-safetensors", c->from, NULL);
        char *bytes = NULL;
        size_t len = 0;
        g_assert_true (g_file_get_contents (src, &bytes, &len, NULL));
        return g_byte_array_new_take ((guint8 *) bytes, len);
      }
    case MODEL_EXTRA_TENSOR:
    case MODEL_MISSING_TENSOR:
      {
        /* Through the safetensors writer, so only the tensor list is wrong. */
        g_autoptr (GError) error = NULL;
        g_autofree char *src = g_build_filename (tmp_root, "src.safetensors", NULL);
        g_assert_true (g_file_set_contents (src, (const char *) valid->data, valid->len, NULL));
        g_autoptr (InvStFile) f = inv_st_read (src, &error);
        g_assert_no_error (error);
        g_assert_cmpint (g_remove (src), ==, 0);
        InvStTensor t[INV_MODEL_MAX_PARAMS + 1];
        size_t n = 0;
        for (size_t i = 0; i < f->n; i++)
          if (c->special != MODEL_MISSING_TENSOR || strcmp (f->tensors[i].name, "fc2.bias") != 0)
            t[n++] = f->tensors[i];
        float extra[3] = { 1, 2, 3 };
        if (c->special == MODEL_EXTRA_TENSOR)
          t[n++] = (InvStTensor) { (char *) "fc9.weight", 1, { 3 }, 3, extra };
        g_autofree char *out = g_build_filename (tmp_root, "edited.safetensors", NULL);
        g_assert_true (inv_st_write (out, t, n, f->metadata, &error));
        g_assert_no_error (error);
        char *bytes = NULL;
        size_t len = 0;
        g_assert_true (g_file_get_contents (out, &bytes, &len, NULL));
        g_assert_cmpint (g_remove (out), ==, 0);
        return g_byte_array_new_take ((guint8 *) bytes, len);
      }
    default:
      g_assert_not_reached ();
    }
}

/* The unedited model loads and evaluates (so every failure below is the edit's). */
static void
test_model_valid (void)
{
  g_autoptr (GByteArray) valid = valid_model (NULL);
  g_autofree char *path = g_build_filename (tmp_root, "model.safetensors", NULL);
  g_assert_true (g_file_set_contents (path, (const char *) valid->data, valid->len, NULL));
  const char *args[] = { "eval", path, "--dataset", "digits", "--limit", "10", NULL };
  g_auto (Run) r = { 0 };
  run_invlab (&r, args);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "model.safetensors"));
  g_assert_cmpint (g_remove (path), ==, 0);
}

static void
test_model_case (gconstpointer p)
{
  const ModelCase *c = p;
  g_autoptr (GByteArray) bytes = make_model_case (c);
  g_autofree char *path = g_build_filename (tmp_root, "model.safetensors", NULL);
  g_assert_true (g_file_set_contents (path, (const char *) bytes->data, bytes->len, NULL));
  const char *args[] = { "eval", path, "--dataset", "digits", NULL };
  check_rejected (c->label, args, path, c->keyword);
  g_assert_cmpint (g_remove (path), ==, 0);
}

static void
test_model_missing (void)
{
  g_autofree char *path = g_build_filename (tmp_root, "absent.safetensors", NULL);
  const char *args[] = { "eval", path, "--dataset", "digits", NULL };
  check_rejected ("missing file", args, path, "cannot open");
}

static void
test_model_folder (void)
{
  const char *args[] = { "eval", tmp_root, "--dataset", "digits", NULL };
  check_rejected ("a folder instead of a file", args, tmp_root, "not a regular file");
}

static char *
slug (const char *label)
{
  GString *s = g_string_new (NULL);
  for (const char *p = label; *p; p++)
    g_string_append_c (s, g_ascii_isalnum (*p) ? g_ascii_tolower (*p) : '-');
  return g_string_free (s, FALSE);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");   /* so the messages' "×" print as such in the log */
  g_test_init (&argc, &argv, NULL);
  g_autoptr (GError) error = NULL;
  tmp_root = g_dir_make_tmp ("test-hostile-cli-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/hostile/data/valid", test_data_valid);
  for (size_t i = 0; i < G_N_ELEMENTS (data_cases); i++)
    {
      g_autofree char *s = slug (data_cases[i].label);
      g_autofree char *name = g_strconcat ("/hostile/data/", s, NULL);
      g_test_add_data_func (name, &data_cases[i], test_data_case);
    }
  g_test_add_func ("/hostile/data/missing-file", test_data_missing_file);
  g_test_add_func ("/hostile/model/valid", test_model_valid);
  for (size_t i = 0; i < G_N_ELEMENTS (model_cases); i++)
    {
      g_autofree char *s = slug (model_cases[i].label);
      g_autofree char *name = g_strconcat ("/hostile/model/", s, NULL);
      g_test_add_data_func (name, &model_cases[i], test_model_case);
    }
  g_test_add_func ("/hostile/model/missing-file", test_model_missing);
  g_test_add_func ("/hostile/model/folder", test_model_folder);

  int status = g_test_run ();
  g_autofree char *out = g_build_filename (tmp_root, "stdout", NULL);
  g_autofree char *err = g_build_filename (tmp_root, "stderr", NULL);
  g_remove (out);
  g_remove (err);
  g_rmdir (tmp_root);
  g_free (tmp_root);
  return status;
}
