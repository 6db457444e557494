/* Tests for safetensors reading and writing: bit-exact round trips, the
 * byte layout of the format (built and decoded by hand here), one test per
 * kind of hostile file, and atomic saves under injected write failures. */
#include "safetensors.h"
#include "json.h"
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  char *dir;    /* a fresh folder per test */
  char *path;   /* dir/model.safetensors */
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  fx->dir = g_dir_make_tmp ("invlab-st-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, "model.safetensors", NULL);
}

/* Removes the folder and everything in it (one level of subfolders). */
static void
remove_tree (const char *dir)
{
  g_chmod (dir, 0755);
  GDir *d = g_dir_open (dir, 0, NULL);
  if (d != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *p = g_build_filename (dir, name, NULL);
          if (g_file_test (p, G_FILE_TEST_IS_DIR))
            remove_tree (p);
          else
            g_unlink (p);
        }
      g_dir_close (d);
    }
  g_rmdir (dir);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  remove_tree (fx->dir);
  g_free (fx->dir);
  g_free (fx->path);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The names in dir, sorted, joined by ','. */
static char *
list_dir (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_dir_close (d);
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (",", (char **) names->pdata);
}

/* Like g_file_set_contents, without its fsync (thousands of files here).
 * Unlinking first avoids ext4 flushing a truncated file on close. */
static void
set_file (const char *path, const void *data, size_t len)
{
  g_unlink (path);
  FILE *f = g_fopen (path, "wb");
  g_assert_nonnull (f);
  g_assert_cmpuint (fwrite (data, 1, len, f), ==, len);
  g_assert_cmpint (fclose (f), ==, 0);
}

static void
put_le64 (guint8 *p, guint64 v)
{
  for (int i = 0; i < 8; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static guint64
get_le64 (const guint8 *p)
{
  guint64 v = 0;
  for (int i = 0; i < 8; i++)
    v |= (guint64) p[i] << (8 * i);
  return v;
}

static void
put_le_float (guint8 *p, float f)
{
  guint32 u;
  memcpy (&u, &f, 4);
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (u >> (8 * i));
}

/* Writes prefix (8-byte LE length), header_bytes of header, then data. */
static void
write_raw (const char *path, guint64 prefix, const char *header, size_t header_bytes,
           const guint8 *data, size_t data_bytes)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  guint8 len[8];
  put_le64 (len, prefix);
  g_byte_array_append (b, len, 8);
  g_byte_array_append (b, (const guint8 *) header, (guint) header_bytes);
  if (data_bytes > 0)
    g_byte_array_append (b, data, (guint) data_bytes);
  set_file (path, b->data, b->len);
}

/* A data buffer of floats 1, 2, 3, … (little-endian), bytes long. */
static guint8 *
counting_data (size_t bytes)
{
  guint8 *d = g_malloc0 (bytes + 4);
  for (size_t i = 0; i + 4 <= bytes; i += 4)
    put_le_float (d + i, (float) (i / 4 + 1));
  return d;
}

/* Reads path both from the file and from its bytes in memory, checks the
 * two agree, and returns the file's result. */
static InvStFile *
read_both (const char *path, GError **error)
{
  InvStFile *f = inv_st_read (path, error);
  char *contents = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &contents, &len, NULL))
    return f;   /* not a readable file: only the path variant applies */
  g_autoptr (GError) merr = NULL;
  g_autoptr (InvStFile) m = inv_st_read_bytes (contents, len, path, &merr);
  g_free (contents);
  g_assert_true ((f == NULL) == (m == NULL));
  if (f == NULL)
    {
      g_assert_true (merr != NULL && error != NULL && *error != NULL);
      g_assert_cmpint (merr->code, ==, (*error)->code);
      g_assert_cmpstr (merr->message, ==, (*error)->message);
      return NULL;
    }
  g_assert_cmpuint (m->n, ==, f->n);
  for (size_t i = 0; i < f->n; i++)
    {
      g_assert_cmpstr (m->tensors[i].name, ==, f->tensors[i].name);
      g_assert_cmpuint (m->tensors[i].numel, ==, f->tensors[i].numel);
      g_assert_cmpmem (m->tensors[i].data, 4 * m->tensors[i].numel,
                       f->tensors[i].data, 4 * f->tensors[i].numel);
    }
  g_assert_cmpuint (g_hash_table_size (m->metadata), ==, g_hash_table_size (f->metadata));
  return f;
}

static void
assert_failure (const char *path, InvStFile *f, GError *error, InvStError code, const char *what)
{
  g_assert_null (f);
  g_assert_error (error, INV_ST_ERROR, (gint) code);
  g_assert_true (g_str_has_prefix (error->message, path));
  if (what != NULL && strstr (error->message, what) == NULL)
    g_error ("expected \"%s\" in \"%s\"", what, error->message);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

/* ---- hostile files, one test each ---- */

typedef struct {
  const char *id;
  const char *header;
  gssize header_bytes;        /* -1: strlen (header) */
  gint64 prefix;              /* header length written; -1: header_bytes */
  size_t data_bytes;          /* data buffer of floats 1, 2, 3, … */
  int bad_at;                 /* float index made non-finite, -1: none */
  float bad;
  InvStError code;
  const char *message;        /* must appear in the message */
} HostileCase;

#define F INV_ST_ERROR_FORMAT
#define T INV_ST_ERROR_TENSOR
#define V INV_ST_ERROR_VALUE
#define ENTRY(shape, offs) "{\"dtype\":\"F32\",\"shape\":" shape ",\"data_offsets\":" offs "}"

static const HostileCase hostile_cases[] = {
  { "header-length-zero", "{}", -1, 0, 0, -1, 0, F, "header length is 0" },
  { "header-length-beyond-file", "{}", -1, 1000, 0, -1, 0, F,
    "header length 1000 exceeds the file size 10" },
  { "header-length-huge", "{}", -1, -2, 4, -1, 0, F,
    "header length 18446744073709551614 exceeds the file size 14" },
  { "header-not-json", "{\"a\":", -1, -1, 0, -1, 0, F, "header is not valid JSON: byte 5" },
  { "header-trailing-garbage", "{}  x", -1, -1, 0, -1, 0, F, "header is not valid JSON: byte 4" },
  { "header-nul-padding", "{}\0\0\0\0\0\0", 8, -1, 0, -1, 0, F, "header is not valid JSON: byte 2" },
  { "header-invalid-utf8", "{\"a\xff\":1}", -1, -1, 0, -1, 0, F, "not valid JSON: byte 3" },
  { "header-array", "[]", -1, -1, 0, -1, 0, F, "header is an array, expected a JSON object" },
  { "header-string", "\"x\"", -1, -1, 0, -1, 0, F, "header is a string" },
  { "entry-array", "{\"t\":[1]}", -1, -1, 0, -1, 0, F, "tensor 't': entry is an array" },
  { "entry-number", "{\"t\":5}", -1, -1, 0, -1, 0, F, "tensor 't': entry is a number" },
  { "entry-null", "{\"t\":null}", -1, -1, 0, -1, 0, F, "tensor 't': entry is null" },
  { "dtype-f16", "{\"t\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", -1, -1, 4, -1, 0,
    F, "tensor 't': dtype 'F16' is not supported" },
  { "dtype-f64", "{\"t\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", -1, -1, 8, -1, 0,
    F, "dtype 'F64'" },
  { "valid-control", "{\"t\":" ENTRY ("[1]", "[0,4]") "}", -1, -1, 4, -1, 0, 0, NULL },
  { "dtype-missing", "{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", -1, -1, 4, -1, 0, F,
    "tensor 't': missing field 'dtype'" },
  { "shape-missing", "{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", -1, -1, 4, -1, 0, F,
    "missing field 'shape'" },
  { "offsets-missing", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", -1, -1, 4, -1, 0, F,
    "missing field 'data_offsets'" },
  { "dtype-number", "{\"t\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", -1, -1, 4, -1, 0,
    F, "dtype is a number" },
  { "unknown-field", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", -1,
    -1, 4, -1, 0, F, "tensor 't': unknown field 'x'" },
  { "field-twice", "{\"t\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
    -1, -1, 4, -1, 0, F, "field 'dtype' appears twice" },
  { "shape-number", "{\"t\":" ENTRY ("4", "[0,16]") "}", -1, -1, 16, -1, 0, T,
    "tensor 't': shape is a number, expected an array" },
  { "shape-negative", "{\"t\":" ENTRY ("[-1]", "[0,4]") "}", -1, -1, 4, -1, 0, T,
    "tensor 't': shape element 0 is not a non-negative integer" },
  { "shape-fraction", "{\"t\":" ENTRY ("[2,1.5]", "[0,12]") "}", -1, -1, 12, -1, 0, T,
    "shape element 1 is not a non-negative integer" },
  { "shape-string", "{\"t\":" ENTRY ("[\"2\"]", "[0,8]") "}", -1, -1, 8, -1, 0, T, "shape element 0" },
  { "shape-out-of-range", "{\"t\":" ENTRY ("[1e400]", "[0,8]") "}", -1, -1, 8, -1, 0, F,
    "not valid JSON" },
  { "shape-inexact", "{\"t\":" ENTRY ("[9007199254740993]", "[0,8]") "}", -1, -1, 8, -1, 0, T,
    "shape element 0" },
  { "shape-too-many-dims", "{\"t\":" ENTRY ("[1,1,1,1,1,1,1,1,1]", "[0,4]") "}", -1, -1, 4, -1, 0, T,
    "shape has 9 dimensions (at most 8)" },
  { "shape-overflow", "{\"t\":" ENTRY ("[4294967296,4294967296,16]", "[0,4]") "}", -1, -1, 4, -1, 0,
    T, "too many elements" },
  { "shape-bytes-overflow", "{\"t\":" ENTRY ("[2147483648,2147483648,4]", "[0,4]") "}", -1, -1, 4,
    -1, 0, T, "too many elements" },
  { "offsets-number", "{\"t\":" ENTRY ("[1]", "0") "}", -1, -1, 4, -1, 0, F,
    "tensor 't': data_offsets is not an array of two non-negative integers" },
  { "offsets-three", "{\"t\":" ENTRY ("[1]", "[0,4,4]") "}", -1, -1, 4, -1, 0, F,
    "data_offsets is not an array of two" },
  { "offsets-one", "{\"t\":" ENTRY ("[1]", "[4]") "}", -1, -1, 4, -1, 0, F,
    "data_offsets is not an array of two" },
  { "offsets-negative", "{\"t\":" ENTRY ("[1]", "[-4,0]") "}", -1, -1, 4, -1, 0, F,
    "data_offsets is not an array of two" },
  { "offsets-fraction", "{\"t\":" ENTRY ("[1]", "[0,4.5]") "}", -1, -1, 4, -1, 0, F,
    "data_offsets is not an array of two" },
  { "offsets-strings", "{\"t\":" ENTRY ("[1]", "[\"0\",\"4\"]") "}", -1, -1, 4, -1, 0, F,
    "data_offsets is not an array of two" },
  { "offsets-reversed", "{\"t\":" ENTRY ("[1]", "[4,0]") "}", -1, -1, 4, -1, 0, F,
    "data_offsets [4, 0] begin after they end" },
  { "offsets-beyond-data", "{\"t\":" ENTRY ("[2]", "[0,8]") "}", -1, -1, 4, -1, 0, F,
    "tensor 't': data_offsets [0, 8] exceed the data buffer of 4 bytes" },
  { "offsets-size-mismatch", "{\"fc1.weight\":" ENTRY ("[3,4]", "[0,40]") "}", -1, -1, 40, -1, 0, F,
    "/model.safetensors: tensor 'fc1.weight': data_offsets [0, 40] do not match shape [3, 4] (48 bytes)" },
  { "offsets-size-mismatch-0d", "{\"s\":" ENTRY ("[]", "[0,8]") "}", -1, -1, 8, -1, 0, F,
    "data_offsets [0, 8] do not match shape [] (4 bytes)" },
  { "overlap", "{\"a\":" ENTRY ("[4]", "[0,16]") ",\"b\":" ENTRY ("[4]", "[8,24]") "}", -1, -1, 24,
    -1, 0, F, "tensors 'a' and 'b' overlap" },
  { "overlap-same", "{\"a\":" ENTRY ("[2]", "[0,8]") ",\"b\":" ENTRY ("[2]", "[0,8]") "}", -1, -1, 8,
    -1, 0, F, "overlap" },
  { "overlap-empty-inside", "{\"a\":" ENTRY ("[2]", "[0,8]") ",\"b\":" ENTRY ("[0]", "[4,4]") "}", -1,
    -1, 8, -1, 0, F, "tensors 'a' and 'b' overlap" },
  { "gap", "{\"a\":" ENTRY ("[2]", "[0,8]") ",\"b\":" ENTRY ("[2]", "[12,20]") "}", -1, -1, 20, -1, 0,
    F, "data bytes [8, 12) are not covered by any tensor" },
  { "gap-at-start", "{\"a\":" ENTRY ("[2]", "[4,12]") "}", -1, -1, 12, -1, 0, F,
    "data bytes [0, 4) are not covered" },
  { "uncovered-tail", "{\"a\":" ENTRY ("[2]", "[0,8]") "}", -1, -1, 12, -1, 0, F,
    "data bytes [8, 12) are not covered by any tensor" },
  { "uncovered-all", "{}", -1, -1, 4, -1, 0, F, "data bytes [0, 4) are not covered" },
  { "duplicate-name", "{\"a\":" ENTRY ("[1]", "[0,4]") ",\"a\":" ENTRY ("[1]", "[4,8]") "}", -1, -1,
    8, -1, 0, T, "duplicate tensor name 'a'" },
  { "metadata-string", "{\"__metadata__\":\"x\"}", -1, -1, 0, -1, 0, F,
    "__metadata__ is a string, expected an object of strings" },
  { "metadata-number-value", "{\"__metadata__\":{\"k\":1}}", -1, -1, 0, -1, 0, F,
    "__metadata__ entry 'k' is a number, expected a string" },
  { "metadata-object-value", "{\"__metadata__\":{\"k\":{}}}", -1, -1, 0, -1, 0, F,
    "__metadata__ entry 'k' is an object" },
  { "metadata-duplicate-key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", -1, -1, 0, -1, 0, F,
    "__metadata__ key 'k' appears twice" },
  { "metadata-twice", "{\"__metadata__\":{},\"__metadata__\":{}}", -1, -1, 0, -1, 0, F,
    "__metadata__ appears twice" },
  { "value-nan", "{\"a\":" ENTRY ("[1]", "[0,4]") ",\"b\":" ENTRY ("[3]", "[4,16]") "}", -1, -1, 16,
    3, NAN, V, "tensor 'b' holds a non-finite value at element 2" },
  { "value-inf", "{\"a\":" ENTRY ("[2,2]", "[0,16]") "}", -1, -1, 16, 0, INFINITY, V,
    "tensor 'a' holds a non-finite value at element 0" },
  { "value-minus-inf", "{\"a\":" ENTRY ("[2,2]", "[0,16]") "}", -1, -1, 16, 3, -INFINITY, V,
    "tensor 'a' holds a non-finite value at element 3" },
  { "name-control-chars", "{\"a\\u0001\\n\":" ENTRY ("[1]", "[0,8]") "}", -1, -1, 8, -1, 0, F,
    "tensor 'a\\x01\\x0a': data_offsets" },
};

static void
test_hostile (Fixture *fx, gconstpointer data)
{
  const HostileCase *c = data;
  size_t header_bytes = c->header_bytes < 0 ? strlen (c->header) : (size_t) c->header_bytes;
  guint64 prefix = c->prefix == -1 ? header_bytes : c->prefix == -2 ? G_MAXUINT64 - 1
                                                                     : (guint64) c->prefix;
  g_autofree guint8 *bytes = counting_data (c->data_bytes);
  if (c->bad_at >= 0)
    put_le_float (bytes + 4 * c->bad_at, c->bad);
  write_raw (fx->path, prefix, c->header, header_bytes, bytes, c->data_bytes);

  g_autoptr (GError) error = NULL;
  g_autoptr (InvStFile) f = read_both (fx->path, &error);
  if (c->message == NULL)
    {
      /* A control: the same layout, made valid, reads. */
      g_assert_no_error (error);
      g_assert_nonnull (f);
      return;
    }
  assert_failure (fx->path, g_steal_pointer (&f), error, c->code, c->message);
}

static void
test_short_files (Fixture *fx, gconstpointer data)
{
  static const guint8 zeros[8] = { 0 };
  for (size_t len = 0; len < 8; len++)
    {
      g_autoptr (GError) error = NULL;
      set_file (fx->path, zeros, len);
      InvStFile *f = read_both (fx->path, &error);
      g_autofree char *what = g_strdup_printf ("file is %zu bytes, shorter than", len);
      assert_failure (fx->path, f, error, INV_ST_ERROR_FORMAT, what);
    }
}

/* A header length above INV_ST_MAX_HEADER inside a (sparse) file that is
 * large enough: refused before anything that size is allocated. */
static void
test_header_over_limit (Fixture *fx, gconstpointer data)
{
  guint64 n = INV_ST_MAX_HEADER + 1;
  write_raw (fx->path, n, "{}", 2, NULL, 0);
  int fd = g_open (fx->path, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) (8 + n + 64)), ==, 0);
  close (fd);
  g_autoptr (GError) error = NULL;
  InvStFile *f = inv_st_read (fx->path, &error);
  g_autofree char *what = g_strdup_printf ("header length %" G_GUINT64_FORMAT
                                           " exceeds the limit of %" G_GUINT64_FORMAT " bytes",
                                           n, (guint64) INV_ST_MAX_HEADER);
  assert_failure (fx->path, f, error, INV_ST_ERROR_FORMAT, what);
}

static void
test_not_a_file (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  InvStFile *f = inv_st_read (fx->path, &error);   /* does not exist */
  assert_failure (fx->path, f, error, INV_ST_ERROR_IO, g_strerror (ENOENT));
  g_clear_error (&error);
  f = inv_st_read (fx->dir, &error);
  assert_failure (fx->dir, f, error, INV_ST_ERROR_IO, "not a regular file");
}

/* ---- valid files built by hand ---- */

/* Trailing spaces, tensors listed out of offset order, metadata in the
 * middle, empty tensors: all valid; the reader orders tensors by offset. */
static void
test_read_handmade (Fixture *fx, gconstpointer data)
{
  const char *header =
    "{ \"b\" : {\"data_offsets\":[8,20],\"shape\":[3],\"dtype\":\"F32\"},\n"
    "  \"__metadata__\": {\"kind\":\"mlp\", \"note\":\"caf\\u00e9\"},\n"
    "  \"e\": " ENTRY ("[3,0]", "[20,20]") ",\n"
    "  \"a\": " ENTRY ("[2]", "[0,8]") ",\n"
    "  \"z\": " ENTRY ("[0]", "[0,0]") "}      ";
  g_autofree guint8 *bytes = counting_data (20);
  write_raw (fx->path, strlen (header), header, strlen (header), bytes, 20);

  g_autoptr (GError) error = NULL;
  g_autoptr (InvStFile) f = read_both (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->n, ==, 4);
  /* By (begin, end): z [0,0], a [0,8], b [8,20], e [20,20]. */
  g_assert_cmpstr (f->tensors[0].name, ==, "z");
  g_assert_cmpstr (f->tensors[1].name, ==, "a");
  g_assert_cmpstr (f->tensors[2].name, ==, "b");
  g_assert_cmpstr (f->tensors[3].name, ==, "e");
  const InvStTensor *b = inv_st_find (f, "b");
  g_assert_true (b == &f->tensors[2]);
  g_assert_cmpuint (b->ndim, ==, 1);
  g_assert_cmpuint (b->shape[0], ==, 3);
  g_assert_cmpuint (b->numel, ==, 3);
  g_assert_cmpfloat (b->data[0], ==, 3.0f);
  g_assert_cmpfloat (b->data[2], ==, 5.0f);
  const InvStTensor *a = inv_st_find (f, "a");
  g_assert_cmpfloat (a->data[0], ==, 1.0f);
  g_assert_cmpfloat (a->data[1], ==, 2.0f);
  const InvStTensor *e = inv_st_find (f, "e");
  g_assert_cmpuint (e->ndim, ==, 2);
  g_assert_cmpuint (e->numel, ==, 0);
  g_assert_nonnull (e->data);
  g_assert_null (inv_st_find (f, "__metadata__"));
  g_assert_null (inv_st_find (f, "c"));
  g_assert_cmpuint (g_hash_table_size (f->metadata), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (f->metadata, "kind"), ==, "mlp");
  g_assert_cmpstr (g_hash_table_lookup (f->metadata, "note"), ==, "caf\xc3\xa9");
}

static void
test_read_empty_header (Fixture *fx, gconstpointer data)
{
  write_raw (fx->path, 8, "{}      ", 8, NULL, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (InvStFile) f = read_both (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->n, ==, 0);
  g_assert_nonnull (f->metadata);
  g_assert_cmpuint (g_hash_table_size (f->metadata), ==, 0);
}

/* ---- writing ---- */

typedef struct {
  InvStTensor t[6];
  float *bufs[6];
  GHashTable *meta;
} Sample;

static float
random_finite_float (void)
{
  for (;;)
    {
      guint32 u = g_test_rand_int ();
      float f;
      memcpy (&f, &u, 4);
      if (isfinite (f))
        return f;
    }
}

static void
sample_init (Sample *s)
{
  static const struct { const char *name; size_t ndim; size_t shape[4]; } spec[] = {
    { "fc1.weight", 2, { 3, 4 } },
    { "fc1.bias", 1, { 3 } },
    { "scalar", 0, { 0 } },
    { "conv1.weight", 4, { 2, 1, 3, 3 } },
    { "empty", 2, { 0, 5 } },
    { "w\xc3\xabird \"name\"\n\\", 1, { 7 } },
  };
  static const float specials[] = { -0.0f, 0.0f, 1e-45f, FLT_MIN, FLT_MAX, -FLT_MAX, 1.0f / 3.0f,
                                    FLT_EPSILON, 0x1.fffffep-127f };
  memset (s, 0, sizeof *s);
  size_t k = 0;
  for (size_t i = 0; i < G_N_ELEMENTS (spec); i++)
    {
      InvStTensor *t = &s->t[i];
      t->name = (char *) spec[i].name;
      t->ndim = spec[i].ndim;
      t->numel = 1;
      for (size_t d = 0; d < t->ndim; d++)
        {
          t->shape[d] = spec[i].shape[d];
          t->numel *= t->shape[d];
        }
      s->bufs[i] = g_new (float, t->numel + 1);
      for (size_t e = 0; e < t->numel; e++, k++)
        s->bufs[i][e] = k < G_N_ELEMENTS (specials) ? specials[k] : random_finite_float ();
      t->data = s->bufs[i];
    }
  s->meta = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (s->meta, "kind", "mlp");
  g_hash_table_insert (s->meta, "lambda", "1");
  g_hash_table_insert (s->meta, "quote\"back\\slash", "line\nbreak\ttab \x01 \xe2\x82\xac");
  g_hash_table_insert (s->meta, "", "");
}

static void
sample_clear (Sample *s)
{
  for (size_t i = 0; i < G_N_ELEMENTS (s->bufs); i++)
    g_free (s->bufs[i]);
  g_hash_table_unref (s->meta);
}

static GBytes *
read_bytes (const char *path)
{
  char *contents = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

static void
test_roundtrip (Fixture *fx, gconstpointer data)
{
  Sample s;
  sample_init (&s);
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_st_write (fx->path, s.t, G_N_ELEMENTS (s.t), s.meta, &error));
  g_assert_no_error (error);

  g_autoptr (InvStFile) f = inv_st_read (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->n, ==, G_N_ELEMENTS (s.t));
  for (size_t i = 0; i < f->n; i++)
    {
      const InvStTensor *a = &s.t[i], *b = &f->tensors[i];   /* written contiguously in order */
      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_cmpuint (a->ndim, ==, b->ndim);
      for (size_t d = 0; d < a->ndim; d++)
        g_assert_cmpuint (a->shape[d], ==, b->shape[d]);
      g_assert_cmpuint (a->numel, ==, b->numel);
      g_assert_true (memcmp (a->data, b->data, a->numel * sizeof (float)) == 0);
      g_assert_true (inv_st_find (f, a->name) == b);
    }
  g_assert_cmpuint (s.t[2].numel, ==, 1);   /* 0-d is a scalar */
  g_assert_cmpuint (g_hash_table_size (f->metadata), ==, g_hash_table_size (s.meta));
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, s.meta);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_assert_cmpstr (g_hash_table_lookup (f->metadata, k), ==, v);
  g_autofree char *listing = list_dir (fx->dir);
  g_assert_cmpstr (listing, ==, "model.safetensors");

  /* Overwrite in place, no metadata: still fine, metadata empty. */
  g_assert_true (inv_st_write (fx->path, s.t, 2, NULL, &error));
  g_autoptr (InvStFile) f2 = inv_st_read (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f2->n, ==, 2);
  g_assert_cmpuint (g_hash_table_size (f2->metadata), ==, 0);

  /* No tensors at all. */
  g_assert_true (inv_st_write (fx->path, NULL, 0, NULL, &error));
  g_autoptr (InvStFile) f3 = inv_st_read (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f3->n, ==, 0);
  sample_clear (&s);
}

/* The bytes follow the format: decoded here by hand, without the reader. */
static void
test_layout (Fixture *fx, gconstpointer data)
{
  Sample s;
  sample_init (&s);
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_st_write (fx->path, s.t, G_N_ELEMENTS (s.t), s.meta, &error));
  g_autoptr (GBytes) bytes = read_bytes (fx->path);
  gsize size;
  const guint8 *b = g_bytes_get_data (bytes, &size);
  g_assert_cmpuint (size, >=, 8);
  guint64 n = get_le64 (b);
  g_assert_cmpuint ((8 + n) % 8, ==, 0);
  size_t total = 0;
  for (size_t i = 0; i < G_N_ELEMENTS (s.t); i++)
    total += 4 * s.t[i].numel;
  g_assert_cmpuint (size, ==, 8 + n + total);

  /* Header: an object ending in '}' then only spaces. */
  const char *h = (const char *) b + 8;
  size_t end = n;
  while (end > 0 && h[end - 1] == ' ')
    end--;
  g_assert_cmpuint (n - end, <, 8);
  g_assert_cmpint (h[end - 1], ==, '}');
  g_autoptr (InvJson) j = inv_json_parse (h, (size_t) n, &error);
  g_assert_no_error (error);
  g_assert_cmpint (j->type, ==, INV_JSON_OBJECT);
  const InvJson *meta = inv_json_get (j, "__metadata__");
  g_assert_nonnull (meta);
  g_assert_cmpstr (inv_json_get (meta, "kind")->string, ==, "mlp");

  size_t offset = 0;
  for (size_t i = 0; i < G_N_ELEMENTS (s.t); i++)
    {
      const InvStTensor *t = &s.t[i];
      const InvJson *e = inv_json_get (j, t->name);
      g_assert_nonnull (e);
      g_assert_cmpstr (inv_json_get (e, "dtype")->string, ==, "F32");
      const InvJson *shape = inv_json_get (e, "shape");
      g_assert_cmpuint (shape->n, ==, t->ndim);
      for (size_t d = 0; d < t->ndim; d++)
        g_assert_cmpfloat (shape->items[d]->number, ==, (double) t->shape[d]);
      const InvJson *offs = inv_json_get (e, "data_offsets");
      g_assert_cmpuint (offs->n, ==, 2);
      g_assert_cmpfloat (offs->items[0]->number, ==, (double) offset);
      g_assert_cmpfloat (offs->items[1]->number, ==, (double) (offset + 4 * t->numel));
      /* Raw little-endian floats at 8 + n + offset. */
      for (size_t e2 = 0; e2 < t->numel; e2++)
        {
          guint8 le[4];
          put_le_float (le, t->data[e2]);
          g_assert_true (memcmp (b + 8 + n + offset + 4 * e2, le, 4) == 0);
        }
      offset += 4 * t->numel;
    }
  /* The fc1.weight entry as the reference implementation spells it. */
  g_assert_nonnull (g_strstr_len (h, (gssize) n,
                                  "\"fc1.weight\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[0,48]}"));
  sample_clear (&s);
}

/* Optional cross-check with Python's own json and struct modules. */
static void
test_python (Fixture *fx, gconstpointer data)
{
  if (!g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("no /usr/bin/python3");
      return;
    }
  Sample s;
  sample_init (&s);
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_st_write (fx->path, s.t, G_N_ELEMENTS (s.t), s.meta, &error));
  const char *script =
    "import json, struct, sys\n"
    "b = open(sys.argv[1], 'rb').read()\n"
    "n = struct.unpack('<Q', b[:8])[0]\n"
    "h = json.loads(b[8:8 + n].decode('utf-8'))\n"
    "d = b[8 + n:]\n"
    "m = h.pop('__metadata__')\n"
    "print(len(m), m['kind'])\n"
    "for k, e in sorted(h.items(), key=lambda kv: kv[1]['data_offsets']):\n"
    "    s, t = e['data_offsets']\n"
    "    v = struct.unpack('<%df' % ((t - s) // 4), d[s:t])\n"
    "    print(e['dtype'], json.dumps(e['shape']), s, t, repr(sum(v)))\n";
  const char *argv[] = { "/usr/bin/python3", "-c", script, fx->path, NULL };
  g_autofree char *out = NULL;
  int status = 0;
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);

  g_auto (GStrv) got = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (got), ==, 1 + G_N_ELEMENTS (s.t) + 1);
  g_assert_cmpstr (got[0], ==, "4 mlp");
  g_assert_cmpstr (got[G_N_ELEMENTS (s.t) + 1], ==, "");
  size_t offset = 0;
  for (size_t i = 0; i < G_N_ELEMENTS (s.t); i++)
    {
      const InvStTensor *t = &s.t[i];
      g_autoptr (GString) want = g_string_new ("F32 [");
      for (size_t d = 0; d < t->ndim; d++)
        g_string_append_printf (want, "%s%zu", d ? ", " : "", t->shape[d]);
      g_string_append_printf (want, "] %zu %zu ", offset, offset + 4 * t->numel);
      offset += 4 * t->numel;
      /* Python prints repr (sum); compare the value, not its spelling. */
      double sum = 0.0;
      for (size_t e = 0; e < t->numel; e++)
        sum += (double) t->data[e];
      const char *line = got[i + 1];
      g_assert_true (g_str_has_prefix (line, want->str));
      g_assert_true (g_ascii_strtod (line + want->len, NULL) == sum);
    }
  sample_clear (&s);
}

static void
test_alignment (Fixture *fx, gconstpointer data)
{
  float v[3] = { 1, 2, 3 };
  for (size_t len = 1; len <= 17; len++)
    {
      g_autofree char *name = g_strnfill (len, 'n');
      InvStTensor t = { name, 1, { 3 }, 3, v };
      g_autoptr (GError) error = NULL;
      g_assert_true (inv_st_write (fx->path, &t, 1, NULL, &error));
      g_autoptr (GBytes) bytes = read_bytes (fx->path);
      gsize size;
      const guint8 *b = g_bytes_get_data (bytes, &size);
      guint64 n = get_le64 (b);
      g_assert_cmpuint ((8 + n) % 8, ==, 0);
      g_assert_cmpuint (size, ==, 8 + n + 12);
      g_autoptr (InvStFile) f = inv_st_read (fx->path, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (f->tensors[0].name, ==, name);
    }
}

/* Same content, metadata inserted in another order: identical bytes. */
static void
test_deterministic (Fixture *fx, gconstpointer data)
{
  float v[2] = { 1, 2 };
  InvStTensor t = { "w", 1, { 2 }, 2, v };
  g_autoptr (GHashTable) m1 = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) m2 = g_hash_table_new (g_str_hash, g_str_equal);
  const char *keys[] = { "a", "bb", "c", "dd", "e", "ff", "g" };
  for (size_t i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_hash_table_insert (m1, (gpointer) keys[i], (gpointer) keys[i]);
      g_hash_table_insert (m2, (gpointer) keys[G_N_ELEMENTS (keys) - 1 - i],
                           (gpointer) keys[G_N_ELEMENTS (keys) - 1 - i]);
    }
  g_autofree char *p2 = g_build_filename (fx->dir, "second.safetensors", NULL);
  g_assert_true (inv_st_write (fx->path, &t, 1, m1, NULL));
  g_assert_true (inv_st_write (p2, &t, 1, m2, NULL));
  g_autoptr (GBytes) b1 = read_bytes (fx->path);
  g_autoptr (GBytes) b2 = read_bytes (p2);
  g_assert_true (g_bytes_equal (b1, b2));
}

/* Invalid input to the writer: an error, and no file or temporary file. */
static void
test_write_invalid (Fixture *fx, gconstpointer data)
{
  float v[4] = { 1, 2, NAN, 4 };
  float w[4] = { 1, 2, 3, 4 };
  struct {
    InvStTensor t[2];
    size_t n;
    InvStError code;
    const char *what;
  } cases[] = {
    { { { "a", 1, { 4 }, 4, v } }, 1, INV_ST_ERROR_VALUE, "tensor 'a' holds a non-finite value at element 2" },
    { { { "a", 1, { 4 }, 4, w }, { "a", 1, { 4 }, 4, w } }, 2, INV_ST_ERROR_TENSOR, "duplicate tensor name 'a'" },
    { { { "a", 2, { 2, 3 }, 4, w } }, 1, INV_ST_ERROR_TENSOR, "numel 4 does not match shape [2,3]" },
    { { { "__metadata__", 1, { 4 }, 4, w } }, 1, INV_ST_ERROR_TENSOR, "reserved" },
    { { { "a", 9, { 1, 1, 1, 1, 1, 1, 1, 1 }, 1, w } }, 1, INV_ST_ERROR_TENSOR, "9 dimensions" },
    { { { "a", 1, { 4 }, 4, NULL } }, 1, INV_ST_ERROR_TENSOR, "tensor 'a' has no data" },
    { { { NULL, 1, { 4 }, 4, w } }, 1, INV_ST_ERROR_TENSOR, "tensor 0 has no UTF-8 name" },
    { { { "bad\xff", 1, { 4 }, 4, w } }, 1, INV_ST_ERROR_TENSOR, "tensor 0 has no UTF-8 name" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_false (inv_st_write (fx->path, cases[i].t, cases[i].n, NULL, &error));
      g_assert_error (error, INV_ST_ERROR, (gint) cases[i].code);
      g_assert_true (g_str_has_prefix (error->message, fx->path));
      if (strstr (error->message, cases[i].what) == NULL)
        g_error ("case %zu: expected \"%s\" in \"%s\"", i, cases[i].what, error->message);
      g_autofree char *listing = list_dir (fx->dir);
      g_assert_cmpstr (listing, ==, "");
    }

  g_autoptr (GHashTable) meta = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (meta, "k", "bad\xc3");
  g_autoptr (GError) error = NULL;
  g_assert_false (inv_st_write (fx->path, NULL, 0, meta, &error));
  g_assert_error (error, INV_ST_ERROR, INV_ST_ERROR_FORMAT);
  g_assert_true (g_str_has_prefix (error->message, fx->path));
}

/* ---- atomic saves ---- */

static void
write_original (Fixture *fx, GBytes **original)
{
  float v[5] = { 5, 4, 3, 2, 1 };
  InvStTensor t = { "old", 1, { 5 }, 5, v };
  g_assert_true (inv_st_write (fx->path, &t, 1, NULL, NULL));
  *original = read_bytes (fx->path);
}

static void
assert_original_intact (Fixture *fx, GBytes *original)
{
  g_autoptr (GBytes) now = read_bytes (fx->path);
  g_assert_true (g_bytes_equal (now, original));
  g_autofree char *listing = list_dir (fx->dir);
  g_assert_cmpstr (listing, ==, "model.safetensors");
}

static void
test_fault_injection (Fixture *fx, gconstpointer data)
{
  g_autoptr (GBytes) original = NULL;
  write_original (fx, &original);

  Sample s;
  sample_init (&s);
  /* The size the new file will have, from a write elsewhere. */
  g_autofree char *probe_dir = g_dir_make_tmp ("invlab-st-probe-XXXXXX", NULL);
  g_autofree char *probe = g_build_filename (probe_dir, "p.safetensors", NULL);
  g_assert_true (inv_st_write (probe, s.t, G_N_ELEMENTS (s.t), s.meta, NULL));
  g_autoptr (GBytes) expected = read_bytes (probe);
  g_unlink (probe);
  g_rmdir (probe_dir);
  gsize total = g_bytes_get_size (expected);
  guint64 header_end = 8 + get_le64 (g_bytes_get_data (expected, NULL));

  const guint64 at[] = { 0, 1, 7, 8, 9, header_end - 1, header_end, header_end + 1,
                         header_end + 50, total - 4, total - 1 };
  for (size_t i = 0; i < G_N_ELEMENTS (at); i++)
    {
      g_autofree char *value = g_strdup_printf ("%" G_GUINT64_FORMAT, at[i]);
      g_setenv ("INVLAB_FAULT_WRITE_AT", value, TRUE);
      g_autoptr (GError) error = NULL;
      gboolean ok = inv_st_write (fx->path, s.t, G_N_ELEMENTS (s.t), s.meta, &error);
      g_unsetenv ("INVLAB_FAULT_WRITE_AT");
      g_assert_false (ok);
      g_assert_error (error, INV_ST_ERROR, INV_ST_ERROR_IO);
      g_assert_true (g_str_has_prefix (error->message, fx->path));
      assert_original_intact (fx, original);
    }

  /* Failing with no previous file leaves nothing behind. */
  g_autofree char *fresh = g_build_filename (fx->dir, "fresh.safetensors", NULL);
  g_setenv ("INVLAB_FAULT_WRITE_AT", "100", TRUE);
  g_assert_false (inv_st_write (fresh, s.t, G_N_ELEMENTS (s.t), s.meta, NULL));
  g_unsetenv ("INVLAB_FAULT_WRITE_AT");
  g_assert_false (g_file_test (fresh, G_FILE_TEST_EXISTS));
  assert_original_intact (fx, original);

  /* A budget of the whole file, or a value that is not a count, lets it through. */
  const char *harmless[] = { NULL, "not-a-number" };
  g_autofree char *whole = g_strdup_printf ("%zu", total);
  harmless[0] = whole;
  for (size_t i = 0; i < G_N_ELEMENTS (harmless); i++)
    {
      g_setenv ("INVLAB_FAULT_WRITE_AT", harmless[i], TRUE);
      g_autoptr (GError) error = NULL;
      gboolean ok = inv_st_write (fx->path, s.t, G_N_ELEMENTS (s.t), s.meta, &error);
      g_unsetenv ("INVLAB_FAULT_WRITE_AT");
      g_assert_no_error (error);
      g_assert_true (ok);
      g_autoptr (GBytes) now = read_bytes (fx->path);
      g_assert_true (g_bytes_equal (now, expected));
    }
  g_autofree char *listing = list_dir (fx->dir);
  g_assert_cmpstr (listing, ==, "model.safetensors");
  sample_clear (&s);
}

static void
test_missing_folder (Fixture *fx, gconstpointer data)
{
  g_autofree char *dir = g_build_filename (fx->dir, "nope", NULL);
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  float v[1] = { 1 };
  InvStTensor t = { "a", 1, { 1 }, 1, v };
  g_autoptr (GError) error = NULL;
  g_assert_false (inv_st_write (path, &t, 1, NULL, &error));
  g_assert_error (error, INV_ST_ERROR, INV_ST_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, g_strerror (ENOENT)));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

/* The target is a folder: the final rename fails, the temporary file goes. */
static void
test_target_is_folder (Fixture *fx, gconstpointer data)
{
  g_assert_cmpint (g_mkdir (fx->path, 0755), ==, 0);
  float v[1] = { 1 };
  InvStTensor t = { "a", 1, { 1 }, 1, v };
  g_autoptr (GError) error = NULL;
  g_assert_false (inv_st_write (fx->path, &t, 1, NULL, &error));
  g_assert_error (error, INV_ST_ERROR, INV_ST_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, fx->path));
  g_assert_true (g_file_test (fx->path, G_FILE_TEST_IS_DIR));
  g_autofree char *listing = list_dir (fx->dir);
  g_assert_cmpstr (listing, ==, "model.safetensors");
}

static void
test_readonly_folder (Fixture *fx, gconstpointer data)
{
  g_autoptr (GBytes) original = NULL;
  write_original (fx, &original);
  g_assert_cmpint (g_chmod (fx->dir, 0555), ==, 0);
  /* Root ignores the folder's permissions; the fault hook covers that case. */
  g_autofree char *canary = g_build_filename (fx->dir, "canary", NULL);
  if (g_file_set_contents (canary, "x", 1, NULL))
    {
      g_unlink (canary);
      g_chmod (fx->dir, 0755);
      g_test_skip ("permissions are not enforced (running as root)");
      return;
    }
  float v[1] = { 1 };
  InvStTensor t = { "a", 1, { 1 }, 1, v };
  g_autoptr (GError) error = NULL;
  g_assert_false (inv_st_write (fx->path, &t, 1, NULL, &error));
  g_assert_error (error, INV_ST_ERROR, INV_ST_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, fx->path));
  g_chmod (fx->dir, 0755);
  assert_original_intact (fx, original);
}

/* ---- robustness ---- */

/* Every proper prefix of a valid file fails cleanly. */
static void
test_truncations (Fixture *fx, gconstpointer data)
{
  Sample s;
  sample_init (&s);
  g_assert_true (inv_st_write (fx->path, s.t, G_N_ELEMENTS (s.t), s.meta, NULL));
  g_autoptr (GBytes) whole = read_bytes (fx->path);
  gsize size;
  const char *b = g_bytes_get_data (whole, &size);
  for (gsize len = 0; len < size; len++)
    {
      g_autoptr (GError) error = NULL;
      set_file (fx->path, b, len);
      InvStFile *f = read_both (fx->path, &error);
      assert_failure (fx->path, f, error, INV_ST_ERROR_FORMAT, NULL);
    }
  sample_clear (&s);
}

/* Random byte changes in a valid file: each read succeeds or fails with an
 * error naming the file; ASan and UBSan check the rest. */
static void
test_mutations (Fixture *fx, gconstpointer data)
{
  Sample s;
  sample_init (&s);
  g_assert_true (inv_st_write (fx->path, s.t, G_N_ELEMENTS (s.t), s.meta, NULL));
  g_autoptr (GBytes) whole = read_bytes (fx->path);
  gsize size;
  const guint8 *orig = g_bytes_get_data (whole, &size);
  guint64 header_end = 8 + get_le64 (orig);
  GRand *rand = g_rand_new_with_seed (1234);
  static const char alphabet[] = "0123456789[]{},:\"-.e \\uF3\xff\x80";
  for (int round = 0; round < 1500; round++)
    {
      guint8 *b = g_memdup2 (orig, size);
      int edits = g_rand_int_range (rand, 1, 4);
      for (int e = 0; e < edits; e++)
        {
          gsize at = g_rand_boolean (rand) ? (gsize) g_rand_int_range (rand, 8, (int) header_end)
                                           : (gsize) g_rand_int_range (rand, 0, (int) size);
          b[at] = g_rand_boolean (rand) ? (guint8) alphabet[g_rand_int_range (rand, 0, (int) sizeof alphabet - 1)]
                                        : (guint8) g_rand_int_range (rand, 0, 256);
        }
      set_file (fx->path, b, size);
      g_free (b);
      g_autoptr (GError) error = NULL;
      g_autoptr (InvStFile) f = read_both (fx->path, &error);
      g_assert_true ((f == NULL) != (error == NULL));
      if (error != NULL)
        {
          g_assert_true (g_str_has_prefix (error->message, fx->path));
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
        }
    }
  g_rand_free (rand);
  sample_clear (&s);
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (size_t i = 0; i < G_N_ELEMENTS (hostile_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/safetensors/hostile/%s", hostile_cases[i].id);
      g_test_add (path, Fixture, &hostile_cases[i], fixture_set_up, test_hostile, fixture_tear_down);
    }
  ADD ("/safetensors/hostile/short-files", test_short_files);
  ADD ("/safetensors/hostile/header-over-limit", test_header_over_limit);
  ADD ("/safetensors/hostile/not-a-file", test_not_a_file);
  ADD ("/safetensors/hostile/truncations", test_truncations);
  ADD ("/safetensors/hostile/mutations", test_mutations);
  ADD ("/safetensors/read/handmade", test_read_handmade);
  ADD ("/safetensors/read/empty-header", test_read_empty_header);
  ADD ("/safetensors/write/roundtrip", test_roundtrip);
  ADD ("/safetensors/write/layout", test_layout);
  ADD ("/safetensors/write/python", test_python);
  ADD ("/safetensors/write/alignment", test_alignment);
  ADD ("/safetensors/write/deterministic", test_deterministic);
  ADD ("/safetensors/write/invalid", test_write_invalid);
  ADD ("/safetensors/atomic/fault-injection", test_fault_injection);
  ADD ("/safetensors/atomic/missing-folder", test_missing_folder);
  ADD ("/safetensors/atomic/target-is-folder", test_target_is_folder);
  ADD ("/safetensors/atomic/readonly-folder", test_readonly_folder);
  return g_test_run ();
}
