/* safetensors: reads and writes F32 tensors in the safetensors format,
 * validating every header field of a possibly hostile file with memory
 * bounded by the file size. Not model aware and no dtype other than F32. */
#include "safetensors.h"
#include "json.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (inv-st-error-quark, inv_st_error)

G_STATIC_ASSERT (sizeof (float) == sizeof (guint32));

/* Integers from 2^53 on are not exact in a JSON number read as double. */
#define ST_MAX_EXACT_INT 9007199254740992.0
/* Floats converted per chunk when writing. */
#define ST_CHUNK 4096
/* Characters of a name shown in an error message. */
#define ST_NAME_SHOWN 80

/* One validated header entry, before its data is read. */
typedef struct {
  const char *name;               /* borrowed from the JSON tree */
  size_t ndim;
  size_t shape[INV_ST_MAX_DIMS];  /* (ndim) */
  size_t numel;
  guint64 begin, end;             /* byte offsets in the data buffer */
  size_t index;                   /* position in the header, tie-breaker */
} StEntry;

typedef struct {
  FILE *f;
  const char *path;               /* the target, for messages */
  guint64 written;
  gboolean fault;                 /* INVLAB_FAULT_WRITE_AT is set */
  guint64 fault_at;
} StWriter;

static void
st_fail (GError **error, InvStError code, const char *path, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

/* Sets error to "PATH: message". */
static void
st_fail (GError **error, InvStError code, const char *path, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, INV_ST_ERROR, code, "%s: %s", path, what);
}

/* A printable, bounded, valid UTF-8 copy of a (hostile) name for messages. */
static char *
shown_name (const char *name)
{
  g_autofree char *valid = g_utf8_make_valid (name, -1);
  GString *s = g_string_new (NULL);
  const char *c = valid;
  size_t chars = 0;
  for (; *c != '\0' && chars < ST_NAME_SHOWN; c = g_utf8_next_char (c), chars++)
    {
      gunichar u = g_utf8_get_char (c);
      if (u < 0x20 || u == 0x7f)
        g_string_append_printf (s, "\\x%02x", (unsigned) u);
      else
        g_string_append_unichar (s, u);
    }
  if (*c != '\0')
    g_string_append (s, "...");
  return g_string_free (s, FALSE);
}

static const char *
json_type_name (InvJsonType type)
{
  switch (type)
    {
    case INV_JSON_NULL: return "null";
    case INV_JSON_BOOL: return "a boolean";
    case INV_JSON_NUMBER: return "a number";
    case INV_JSON_STRING: return "a string";
    case INV_JSON_ARRAY: return "an array";
    case INV_JSON_OBJECT: return "an object";
    default: return "an unknown value";
    }
}

/* The shape as "[3, 4]" (messages, sep ", ") or "[3,4]" (headers, sep ","). */
static char *
shape_string (const size_t *shape, size_t ndim, const char *sep)
{
  GString *s = g_string_new ("[");
  for (size_t i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%zu", i ? sep : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* True if j is a number holding an exact integer in [0, 2^53). */
static gboolean
json_exact_uint (const InvJson *j, guint64 *out)
{
  if (j->type != INV_JSON_NUMBER)
    return FALSE;
  double v = j->number;
  if (!(v >= 0.0) || signbit (v) || v >= ST_MAX_EXACT_INT || v != floor (v))
    return FALSE;
  *out = (guint64) v;
  return TRUE;
}

static gboolean
floats_all_finite (const float *v, size_t n, size_t *bad)
{
  for (size_t i = 0; i < n; i++)
    if (!isfinite (v[i]))
      {
        *bad = i;
        return FALSE;
      }
  return TRUE;
}

/* ---- reading ---- */

static gboolean
parse_metadata (const char *path, const InvJson *j, GHashTable *metadata, GError **error)
{
  if (j->type != INV_JSON_OBJECT)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path,
               "__metadata__ is %s, expected an object of strings", json_type_name (j->type));
      return FALSE;
    }
  for (size_t i = 0; i < j->n; i++)
    {
      g_autofree char *key = shown_name (j->keys[i]);
      if (j->items[i]->type != INV_JSON_STRING)
        {
          st_fail (error, INV_ST_ERROR_FORMAT, path, "__metadata__ entry '%s' is %s, expected a string",
                   key, json_type_name (j->items[i]->type));
          return FALSE;
        }
      if (g_hash_table_contains (metadata, j->keys[i]))
        {
          st_fail (error, INV_ST_ERROR_FORMAT, path, "__metadata__ key '%s' appears twice", key);
          return FALSE;
        }
      g_hash_table_insert (metadata, g_strdup (j->keys[i]), g_strdup (j->items[i]->string));
    }
  return TRUE;
}

/* Validates one tensor entry against the data buffer size (data_len bytes). */
static gboolean
parse_entry (const char *path, const char *name, const InvJson *j, guint64 data_len,
             StEntry *e, GError **error)
{
  g_autofree char *shown = shown_name (name);
  if (j->type != INV_JSON_OBJECT)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path, "tensor '%s': entry is %s, expected an object",
               shown, json_type_name (j->type));
      return FALSE;
    }
  const InvJson *dtype = NULL, *shape = NULL, *offsets = NULL;
  for (size_t i = 0; i < j->n; i++)
    {
      const InvJson **slot;
      if (strcmp (j->keys[i], "dtype") == 0)
        slot = &dtype;
      else if (strcmp (j->keys[i], "shape") == 0)
        slot = &shape;
      else if (strcmp (j->keys[i], "data_offsets") == 0)
        slot = &offsets;
      else
        {
          g_autofree char *key = shown_name (j->keys[i]);
          st_fail (error, INV_ST_ERROR_FORMAT, path, "tensor '%s': unknown field '%s'", shown, key);
          return FALSE;
        }
      if (*slot != NULL)
        {
          st_fail (error, INV_ST_ERROR_FORMAT, path, "tensor '%s': field '%s' appears twice",
                   shown, j->keys[i]);
          return FALSE;
        }
      *slot = j->items[i];
    }
  if (dtype == NULL || shape == NULL || offsets == NULL)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path, "tensor '%s': missing field '%s'", shown,
               dtype == NULL ? "dtype" : shape == NULL ? "shape" : "data_offsets");
      return FALSE;
    }

  if (dtype->type != INV_JSON_STRING)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path, "tensor '%s': dtype is %s, expected a string",
               shown, json_type_name (dtype->type));
      return FALSE;
    }
  if (strcmp (dtype->string, "F32") != 0)
    {
      g_autofree char *dt = shown_name (dtype->string);
      st_fail (error, INV_ST_ERROR_FORMAT, path,
               "tensor '%s': dtype '%s' is not supported (only F32)", shown, dt);
      return FALSE;
    }

  if (shape->type != INV_JSON_ARRAY)
    {
      st_fail (error, INV_ST_ERROR_TENSOR, path, "tensor '%s': shape is %s, expected an array",
               shown, json_type_name (shape->type));
      return FALSE;
    }
  if (shape->n > INV_ST_MAX_DIMS)
    {
      st_fail (error, INV_ST_ERROR_TENSOR, path, "tensor '%s': shape has %zu dimensions (at most %d)",
               shown, shape->n, INV_ST_MAX_DIMS);
      return FALSE;
    }
  e->ndim = shape->n;
  for (size_t d = 0; d < shape->n; d++)
    {
      guint64 v;
      if (!json_exact_uint (shape->items[d], &v) || v > SIZE_MAX)
        {
          st_fail (error, INV_ST_ERROR_TENSOR, path,
                   "tensor '%s': shape element %zu is not a non-negative integer", shown, d);
          return FALSE;
        }
      e->shape[d] = (size_t) v;
    }
  g_autofree char *shape_str = shape_string (e->shape, e->ndim, ", ");
  size_t bytes;
  if (!inv_size_prod (e->shape, e->ndim, &e->numel)
      || !inv_size_mul (e->numel, sizeof (float), &bytes))
    {
      st_fail (error, INV_ST_ERROR_TENSOR, path, "tensor '%s': shape %s has too many elements",
               shown, shape_str);
      return FALSE;
    }

  guint64 b, en;
  if (offsets->type != INV_JSON_ARRAY || offsets->n != 2
      || !json_exact_uint (offsets->items[0], &b) || !json_exact_uint (offsets->items[1], &en))
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path,
               "tensor '%s': data_offsets is not an array of two non-negative integers", shown);
      return FALSE;
    }
  if (b > en)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path,
               "tensor '%s': data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
               "] begin after they end", shown, b, en);
      return FALSE;
    }
  if (en > data_len)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path,
               "tensor '%s': data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
               "] exceed the data buffer of %" G_GUINT64_FORMAT " bytes", shown, b, en, data_len);
      return FALSE;
    }
  if (en - b != (guint64) bytes)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path,
               "tensor '%s': data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
               "] do not match shape %s (%zu bytes)", shown, b, en, shape_str, bytes);
      return FALSE;
    }
  e->name = name;
  e->begin = b;
  e->end = en;
  return TRUE;
}

static int
entry_cmp (const void *a, const void *b)
{
  const StEntry *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* Entries sorted by offset must tile [0, data_len) exactly. */
static gboolean
check_coverage (const char *path, const StEntry *e, size_t n, guint64 data_len, GError **error)
{
  guint64 covered = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (e[i].begin < covered)
        {
          g_autofree char *a = shown_name (e[i - 1].name);
          g_autofree char *b = shown_name (e[i].name);
          st_fail (error, INV_ST_ERROR_FORMAT, path,
                   "tensors '%s' and '%s' overlap (data_offsets [%" G_GUINT64_FORMAT ", %"
                   G_GUINT64_FORMAT "] and [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "])",
                   a, b, e[i - 1].begin, e[i - 1].end, e[i].begin, e[i].end);
          return FALSE;
        }
      if (e[i].begin > covered)
        {
          st_fail (error, INV_ST_ERROR_FORMAT, path,
                   "data bytes [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                   ") are not covered by any tensor", covered, e[i].begin);
          return FALSE;
        }
      covered = e[i].end;
    }
  if (covered != data_len)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path,
               "data bytes [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
               ") are not covered by any tensor", covered, data_len);
      return FALSE;
    }
  return TRUE;
}

/* Reads exactly len bytes; a short read is an I/O error (file changed or
 * shrank while reading). */
static gboolean
read_exact (FILE *f, void *buf, size_t len, const char *path, const char *what, GError **error)
{
  if (len == 0)
    return TRUE;
  if (fread (buf, 1, len, f) != len)
    {
      int errsv = errno;
      st_fail (error, INV_ST_ERROR_IO, path, "cannot read the %s: %s", what,
               ferror (f) ? g_strerror (errsv) : "unexpected end of file");
      return FALSE;
    }
  return TRUE;
}

static void
floats_from_le (float *v, size_t n)   /* in place; a no-op on little-endian hosts */
{
  for (size_t i = 0; i < n; i++)
    {
      guint32 u;
      memcpy (&u, &v[i], 4);
      u = GUINT32_FROM_LE (u);
      memcpy (&v[i], &u, 4);
    }
}

void
inv_st_file_free (InvStFile *f)
{
  if (f == NULL)
    return;
  for (size_t i = 0; i < f->n; i++)
    {
      g_free (f->tensors[i].name);
      g_free (f->tensors[i].data);
    }
  g_free (f->tensors);
  g_clear_pointer (&f->metadata, g_hash_table_unref);
  g_free (f);
}

static void
close_file (FILE *f)
{
  if (f != NULL)
    fclose (f);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FILE, close_file)

/* Reads a file of file_size bytes from f, positioned at its start; path
 * names it in messages. f may be NULL when file_size < 8. */
static InvStFile *
read_stream (FILE *f, guint64 file_size, const char *path, GError **error)
{
  if (file_size < 8)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path,
               "file is %" G_GUINT64_FORMAT " bytes, shorter than the 8-byte header length",
               file_size);
      return NULL;
    }

  guint64 header_len;
  if (!read_exact (f, &header_len, 8, path, "header length", error))
    return NULL;
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len == 0)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path, "header length is 0");
      return NULL;
    }
  if (header_len > file_size - 8)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path,
               "header length %" G_GUINT64_FORMAT " exceeds the file size %" G_GUINT64_FORMAT,
               header_len, file_size);
      return NULL;
    }
  if (header_len > INV_ST_MAX_HEADER)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path,
               "header length %" G_GUINT64_FORMAT " exceeds the limit of %" G_GUINT64_FORMAT
               " bytes", header_len, (guint64) INV_ST_MAX_HEADER);
      return NULL;
    }
  guint64 data_len = file_size - 8 - header_len;

  g_autoptr (InvJson) root = NULL;
  {
    g_autofree char *header = g_try_malloc ((size_t) header_len);
    if (header == NULL)
      {
        st_fail (error, INV_ST_ERROR_IO, path, "out of memory for a header of %" G_GUINT64_FORMAT
                 " bytes", header_len);
        return NULL;
      }
    if (!read_exact (f, header, (size_t) header_len, path, "header", error))
      return NULL;
    g_autoptr (GError) jerr = NULL;
    root = inv_json_parse (header, (size_t) header_len, &jerr);
    if (root == NULL)
      {
        st_fail (error, INV_ST_ERROR_FORMAT, path, "header is not valid JSON: %s", jerr->message);
        return NULL;
      }
  }
  if (root->type != INV_JSON_OBJECT)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path, "header is %s, expected a JSON object",
               json_type_name (root->type));
      return NULL;
    }

  g_autoptr (GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree StEntry *entries = g_new0 (StEntry, root->n);
  size_t n = 0;
  gboolean seen_metadata = FALSE;
  for (size_t i = 0; i < root->n; i++)
    {
      const char *key = root->keys[i];
      if (strcmp (key, "__metadata__") == 0)
        {
          if (seen_metadata)
            {
              st_fail (error, INV_ST_ERROR_FORMAT, path, "__metadata__ appears twice");
              return NULL;
            }
          seen_metadata = TRUE;
          if (!parse_metadata (path, root->items[i], metadata, error))
            return NULL;
          continue;
        }
      if (!g_hash_table_add (names, (gpointer) key))
        {
          g_autofree char *shown = shown_name (key);
          st_fail (error, INV_ST_ERROR_TENSOR, path, "duplicate tensor name '%s'", shown);
          return NULL;
        }
      if (!parse_entry (path, key, root->items[i], data_len, &entries[n], error))
        return NULL;
      entries[n].index = n;
      n++;
    }
  if (n > 0)
    qsort (entries, n, sizeof *entries, entry_cmp);
  if (!check_coverage (path, entries, n, data_len, error))
    return NULL;

  /* Every tensor now lies inside the file, so the allocations below add up
   * to at most the file size. Sorted entries tile the data contiguously. */
  g_autoptr (InvStFile) out = g_new0 (InvStFile, 1);
  out->metadata = g_steal_pointer (&metadata);
  out->tensors = g_new0 (InvStTensor, n);
  for (size_t i = 0; i < n; i++)
    {
      const StEntry *e = &entries[i];
      InvStTensor *t = &out->tensors[i];
      out->n = i + 1;
      t->name = g_strdup (e->name);
      t->ndim = e->ndim;
      memcpy (t->shape, e->shape, sizeof t->shape);
      t->numel = e->numel;
      size_t bytes = (size_t) (e->end - e->begin);
      /* Never NULL, so callers may memcpy from an empty tensor. */
      t->data = g_try_malloc (bytes > 0 ? bytes : sizeof (float));
      if (t->data == NULL)
        {
          g_autofree char *shown = shown_name (e->name);
          st_fail (error, INV_ST_ERROR_IO, path, "tensor '%s': out of memory for %zu bytes",
                   shown, bytes);
          return NULL;
        }
      if (i == 0 && fseeko (f, (off_t) (8 + header_len), SEEK_SET) != 0)
        {
          int errsv = errno;
          st_fail (error, INV_ST_ERROR_IO, path, "cannot seek to the data: %s", g_strerror (errsv));
          return NULL;
        }
      if (!read_exact (f, t->data, bytes, path, "tensor data", error))
        return NULL;
      floats_from_le (t->data, t->numel);
      size_t bad;
      if (!floats_all_finite (t->data, t->numel, &bad))
        {
          g_autofree char *shown = shown_name (e->name);
          st_fail (error, INV_ST_ERROR_VALUE, path,
                   "tensor '%s' holds a non-finite value at element %zu", shown, bad);
          return NULL;
        }
    }
  return g_steal_pointer (&out);
}

InvStFile *
inv_st_read (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_autoptr (FILE) f = g_fopen (path, "rbe");
  if (f == NULL)
    {
      int errsv = errno;
      st_fail (error, INV_ST_ERROR_IO, path, "cannot open: %s", g_strerror (errsv));
      return NULL;
    }
  struct stat st;
  if (fstat (fileno (f), &st) != 0)
    {
      int errsv = errno;
      st_fail (error, INV_ST_ERROR_IO, path, "cannot stat: %s", g_strerror (errsv));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      st_fail (error, INV_ST_ERROR_IO, path, "not a regular file");
      return NULL;
    }
  return read_stream (f, (guint64) st.st_size, path, error);
}

InvStFile *
inv_st_read_bytes (const void *data, size_t len, const char *name, GError **error)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (len < 8)   /* also spares fmemopen a zero-size buffer */
    return read_stream (NULL, len, name, error);
  g_autoptr (FILE) f = fmemopen ((void *) data, len, "rb");
  if (f == NULL)
    {
      int errsv = errno;
      st_fail (error, INV_ST_ERROR_IO, name, "cannot open: %s", g_strerror (errsv));
      return NULL;
    }
  return read_stream (f, len, name, error);
}

const InvStTensor *
inv_st_find (const InvStFile *f, const char *name)
{
  if (f == NULL || name == NULL)
    return NULL;
  for (size_t i = 0; i < f->n; i++)
    if (strcmp (f->tensors[i].name, name) == 0)
      return &f->tensors[i];
  return NULL;
}

/* ---- writing ---- */

static int
str_ptr_cmp (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Builds the header (without its length prefix), padded with spaces so the
 * data starts 8-byte aligned; validates the tensors and metadata. */
static GString *
build_header (const char *path, const InvStTensor *tensors, size_t n, GHashTable *metadata,
              GError **error)
{
  g_autoptr (GString) h = g_string_new ("{");
  gboolean first = TRUE;

  if (metadata != NULL && g_hash_table_size (metadata) > 0)
    {
      guint nk = 0;
      g_autofree const char **keys = (const char **) g_hash_table_get_keys_as_array (metadata, &nk);
      qsort (keys, nk, sizeof *keys, str_ptr_cmp);   /* deterministic files */
      g_string_append (h, "\"__metadata__\":{");
      for (guint i = 0; i < nk; i++)
        {
          const char *value = g_hash_table_lookup (metadata, keys[i]);
          if (keys[i] == NULL || value == NULL
              || !g_utf8_validate (keys[i], -1, NULL) || !g_utf8_validate (value, -1, NULL))
            {
              st_fail (error, INV_ST_ERROR_FORMAT, path,
                       "metadata entry %u is not a pair of UTF-8 strings", i);
              return NULL;
            }
          if (i > 0)
            g_string_append_c (h, ',');
          inv_json_escape (h, keys[i]);
          g_string_append_c (h, ':');
          inv_json_escape (h, value);
        }
      g_string_append_c (h, '}');
      first = FALSE;
    }

  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  guint64 offset = 0;
  for (size_t i = 0; i < n; i++)
    {
      const InvStTensor *t = &tensors[i];
      if (t->name == NULL || !g_utf8_validate (t->name, -1, NULL))
        {
          st_fail (error, INV_ST_ERROR_TENSOR, path, "tensor %zu has no UTF-8 name", i);
          return NULL;
        }
      g_autofree char *shown = shown_name (t->name);
      if (strcmp (t->name, "__metadata__") == 0)
        {
          st_fail (error, INV_ST_ERROR_TENSOR, path, "tensor name '__metadata__' is reserved");
          return NULL;
        }
      if (!g_hash_table_add (names, t->name))
        {
          st_fail (error, INV_ST_ERROR_TENSOR, path, "duplicate tensor name '%s'", shown);
          return NULL;
        }
      if (t->ndim > INV_ST_MAX_DIMS)
        {
          st_fail (error, INV_ST_ERROR_TENSOR, path, "tensor '%s': %zu dimensions (at most %d)",
                   shown, t->ndim, INV_ST_MAX_DIMS);
          return NULL;
        }
      g_autofree char *shape_str = shape_string (t->shape, t->ndim, ",");
      size_t numel, bytes;
      if (!inv_size_prod (t->shape, t->ndim, &numel) || numel != t->numel
          || !inv_size_mul (numel, sizeof (float), &bytes))
        {
          st_fail (error, INV_ST_ERROR_TENSOR, path,
                   "tensor '%s': numel %zu does not match shape %s", shown, t->numel, shape_str);
          return NULL;
        }
      if (numel > 0 && t->data == NULL)
        {
          st_fail (error, INV_ST_ERROR_TENSOR, path, "tensor '%s' has no data", shown);
          return NULL;
        }
      size_t bad;
      if (!floats_all_finite (t->data, numel, &bad))
        {
          st_fail (error, INV_ST_ERROR_VALUE, path,
                   "tensor '%s' holds a non-finite value at element %zu", shown, bad);
          return NULL;
        }
      if (offset > G_MAXUINT64 - bytes)
        {
          st_fail (error, INV_ST_ERROR_TENSOR, path, "tensors are too large");
          return NULL;
        }
      if (!first)
        g_string_append_c (h, ',');
      first = FALSE;
      inv_json_escape (h, t->name);
      g_string_append_printf (h, ":{\"dtype\":\"F32\",\"shape\":%s,\"data_offsets\":[%"
                              G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]}",
                              shape_str, offset, offset + bytes);
      offset += bytes;
    }
  g_string_append_c (h, '}');
  while ((8 + h->len) % 8 != 0)
    g_string_append_c (h, ' ');
  if ((guint64) h->len > INV_ST_MAX_HEADER)
    {
      st_fail (error, INV_ST_ERROR_FORMAT, path, "header of %zu bytes exceeds the limit of %"
               G_GUINT64_FORMAT " bytes", h->len, (guint64) INV_ST_MAX_HEADER);
      return NULL;
    }
  return g_steal_pointer (&h);
}

/* Writes len bytes, honouring the INVLAB_FAULT_WRITE_AT test hook. */
static gboolean
writer_put (StWriter *w, const void *buf, size_t len, GError **error)
{
  size_t allowed = len;
  if (w->fault)
    {
      guint64 room = w->fault_at > w->written ? w->fault_at - w->written : 0;
      if (room < (guint64) len)
        allowed = (size_t) room;
    }
  if (allowed > 0 && fwrite (buf, 1, allowed, w->f) != allowed)
    {
      int errsv = errno;
      st_fail (error, INV_ST_ERROR_IO, w->path, "cannot write: %s", g_strerror (errsv));
      return FALSE;
    }
  w->written += allowed;
  if (allowed < len)
    {
      st_fail (error, INV_ST_ERROR_IO, w->path,
               "cannot write: %s (simulated by INVLAB_FAULT_WRITE_AT after %" G_GUINT64_FORMAT
               " bytes)", g_strerror (ENOSPC), w->written);
      return FALSE;
    }
  return TRUE;
}

static gboolean
writer_put_floats (StWriter *w, const float *v, size_t n, GError **error)
{
  guint32 chunk[ST_CHUNK];   /* little-endian bit patterns */
  for (size_t i = 0; i < n; i += ST_CHUNK)
    {
      size_t m = MIN (ST_CHUNK, n - i);
      memcpy (chunk, v + i, m * sizeof (float));
      for (size_t k = 0; k < m; k++)
        chunk[k] = GUINT32_TO_LE (chunk[k]);
      if (!writer_put (w, chunk, m * sizeof (float), error))
        return FALSE;
    }
  return TRUE;
}

/* Best effort: makes the rename itself durable. */
static void
sync_folder (const char *dir)
{
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd >= 0)
    {
      (void) fsync (fd);
      close (fd);
    }
}

gboolean
inv_st_write (const char *path, const InvStTensor *tensors, size_t n,
              GHashTable *metadata, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (tensors != NULL || n == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_autoptr (GString) header = build_header (path, tensors, n, metadata, error);
  if (header == NULL)
    return FALSE;

  StWriter w = { NULL, path, 0, FALSE, 0 };
  const char *fault = g_getenv ("INVLAB_FAULT_WRITE_AT");
  if (fault != NULL)
    w.fault = g_ascii_string_to_unsigned (fault, 10, 0, G_MAXUINT64, &w.fault_at, NULL);

  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp_base = g_strdup_printf (".%s.XXXXXX", base);
  g_autofree char *tmp = g_build_filename (dir, tmp_base, NULL);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      int errsv = errno;
      st_fail (error, INV_ST_ERROR_IO, path, "cannot create a temporary file in %s: %s",
               dir, g_strerror (errsv));
      return FALSE;
    }
  w.f = fdopen (fd, "wb");
  if (w.f == NULL)
    {
      int errsv = errno;
      close (fd);
      g_unlink (tmp);
      st_fail (error, INV_ST_ERROR_IO, path, "cannot open the temporary file: %s",
               g_strerror (errsv));
      return FALSE;
    }

  guint64 len_le = GUINT64_TO_LE ((guint64) header->len);
  gboolean ok = writer_put (&w, &len_le, 8, error)
                && writer_put (&w, header->str, header->len, error);
  for (size_t i = 0; ok && i < n; i++)
    ok = writer_put_floats (&w, tensors[i].data, tensors[i].numel, error);
  if (ok && (fflush (w.f) != 0 || fsync (fileno (w.f)) != 0))
    {
      int errsv = errno;
      st_fail (error, INV_ST_ERROR_IO, path, "cannot write: %s", g_strerror (errsv));
      ok = FALSE;
    }
  if (fclose (w.f) != 0 && ok)
    {
      int errsv = errno;
      st_fail (error, INV_ST_ERROR_IO, path, "cannot close the temporary file: %s",
               g_strerror (errsv));
      ok = FALSE;
    }
  if (ok && g_rename (tmp, path) != 0)
    {
      int errsv = errno;
      st_fail (error, INV_ST_ERROR_IO, path, "cannot rename the temporary file: %s",
               g_strerror (errsv));
      ok = FALSE;
    }
  if (!ok)
    {
      g_unlink (tmp);
      return FALSE;
    }
  sync_folder (dir);
  return TRUE;
}
