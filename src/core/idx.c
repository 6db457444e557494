/* The IDX file format (MNIST's): read plain or gzip-compressed files of
 * unsigned bytes, validating every header field against hostile input, and
 * write plain ones. Not a general IDX library: only type 0x08 is accepted. */
#include "dataset.h"
#include "util.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

G_DEFINE_QUARK (inv-data-error-quark, inv_data_error)

#define IDX_TYPE_U8 0x08
/* Decompressed data arrives in chunks of this size; the buffer grows with
 * the data actually found, so a tiny file that claims a huge size never
 * makes us allocate that size. */
#define IDX_CHUNK ((size_t) 1 << 20)

/* A byte source: a plain FILE or a gzip stream. */
typedef struct {
  FILE *plain;
  gzFile gz;
  const char *path;
} IdxSource;

/* Reads up to n bytes; returns how many were read, or -1 (error set). */
static gssize
source_read (IdxSource *src, void *buf, size_t n, GError **error)
{
  size_t got = 0;
  while (got < n)
    {
      size_t want = MIN (n - got, IDX_CHUNK);
      if (src->gz)
        {
          int r = gzread (src->gz, (char *) buf + got, (unsigned) want);
          if (r < 0)
            {
              int errnum = Z_OK;
              const char *msg = gzerror (src->gz, &errnum);
              g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT,
                           "%s: corrupt gzip data: %s", src->path, msg);
              return -1;
            }
          if (r == 0)
            break;
          got += (size_t) r;
        }
      else
        {
          size_t r = fread ((char *) buf + got, 1, want, src->plain);
          if (r == 0)
            {
              if (ferror (src->plain))
                {
                  g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO,
                               "%s: read error: %s", src->path, g_strerror (errno));
                  return -1;
                }
              break;
            }
          got += r;
        }
    }
  return (gssize) got;
}

/* Header: 0x00 0x00 TYPE NDIM, then NDIM big-endian uint32 sizes. */
static gboolean
parse_header (IdxSource *src, InvIdx *idx, size_t *n_bytes, GError **error)
{
  uint8_t magic[4];
  gssize r = source_read (src, magic, 4, error);
  if (r < 0)
    return FALSE;
  if (r < 4)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT,
                   "%s: truncated: the IDX header needs 4 bytes, found %zd", src->path, r);
      return FALSE;
    }
  if (magic[0] != 0 || magic[1] != 0)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT,
                   "%s: not an IDX file (bad magic %02x %02x)", src->path, magic[0], magic[1]);
      return FALSE;
    }
  if (magic[2] != IDX_TYPE_U8)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT,
                   "%s: unsupported IDX type code 0x%02x (only 0x08, unsigned bytes)",
                   src->path, magic[2]);
      return FALSE;
    }
  if (magic[3] < 1 || magic[3] > 4)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT,
                   "%s: unsupported number of dimensions %u (1 to 4)", src->path, magic[3]);
      return FALSE;
    }
  idx->type = magic[2];
  idx->ndim = magic[3];

  uint8_t raw[16];
  size_t need = 4 * idx->ndim;
  r = source_read (src, raw, need, error);
  if (r < 0)
    return FALSE;
  if ((size_t) r < need)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT,
                   "%s: truncated: the IDX header needs %zu bytes of sizes, found %zd",
                   src->path, need, r);
      return FALSE;
    }
  for (size_t d = 0; d < idx->ndim; d++)
    {
      const uint8_t *b = raw + 4 * d;
      size_t v = ((size_t) b[0] << 24) | ((size_t) b[1] << 16) | ((size_t) b[2] << 8) | b[3];
      if (v == 0 || v > INV_IDX_MAX_DIM)
        {
          g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS,
                       "%s: dimension %zu has size %zu (must be 1 to %zu)",
                       src->path, d, v, (size_t) INV_IDX_MAX_DIM);
          return FALSE;
        }
      idx->dims[d] = v;
    }
  size_t prod;
  if (!inv_size_prod (idx->dims, idx->ndim, &prod))
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS,
                   "%s: the product of the dimensions overflows", src->path);
      return FALSE;
    }
  if (prod > INV_IDX_MAX_BYTES)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS,
                   "%s: %zu bytes of data is more than the limit of %zu",
                   src->path, prod, (size_t) INV_IDX_MAX_BYTES);
      return FALSE;
    }
  *n_bytes = prod;
  return TRUE;
}

/* Reads exactly n data bytes and checks that nothing follows them. Reads at
 * most one byte past the data, so a gzip bomb is never expanded further. */
static uint8_t *
read_data (IdxSource *src, size_t n, GError **error)
{
  g_autofree uint8_t *data = NULL;
  size_t cap = 0, got = 0;
  while (got < n)
    {
      if (got == cap)
        {
          cap = MIN (n, MAX (IDX_CHUNK, cap * 2));
          uint8_t *grown = g_try_realloc (data, cap);
          if (!grown)
            {
              g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO,
                           "%s: out of memory for %zu bytes", src->path, cap);
              return NULL;
            }
          data = grown;
        }
      gssize r = source_read (src, data + got, cap - got, error);
      if (r < 0)
        return NULL;
      if (r == 0)
        break;
      got += (size_t) r;
    }
  if (got < n)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT,
                   "%s: truncated: expected %zu bytes of data, found %zu", src->path, n, got);
      return NULL;
    }
  uint8_t extra;
  gssize r = source_read (src, &extra, 1, error);
  if (r < 0)
    return NULL;
  if (r > 0)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT,
                   "%s: unexpected data after the %zu bytes the header announces",
                   src->path, n);
      return NULL;
    }
  return g_steal_pointer (&data);
}

InvIdx *
inv_idx_read (const char *path, GError **error)
{
  IdxSource src = { .path = path };
  src.plain = fopen (path, "rb");
  if (!src.plain)
    {
      int errsv = errno;
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO,
                   "%s: cannot open: %s", path, g_strerror (errsv));
      return NULL;
    }
  uint8_t head[2];
  size_t nhead = fread (head, 1, 2, src.plain);
  gboolean is_gzip = nhead == 2 && head[0] == 0x1f && head[1] == 0x8b;
  if (!is_gzip && g_str_has_suffix (path, ".gz"))
    {
      fclose (src.plain);
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT,
                   "%s is named .gz but is not gzip-compressed", path);
      return NULL;
    }
  if (is_gzip)
    {
      fclose (src.plain);
      src.plain = NULL;
      src.gz = gzopen (path, "rb");
      if (!src.gz)
        {
          g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO,
                       "%s: cannot open as gzip", path);
          return NULL;
        }
      gzbuffer (src.gz, 1 << 17);
    }
  else
    rewind (src.plain);

  InvIdx *idx = g_new0 (InvIdx, 1);
  size_t n = 0;
  gboolean ok = parse_header (&src, idx, &n, error);
  if (ok && src.plain)
    {
      /* A plain file's size is known: refuse a short one before allocating. */
      long pos = ftell (src.plain);
      if (pos >= 0 && fseek (src.plain, 0, SEEK_END) == 0)
        {
          long end = ftell (src.plain);
          if (end >= pos && (size_t) (end - pos) < n)
            {
              g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT,
                           "%s: truncated: expected %zu bytes of data, found %ld",
                           path, n, end - pos);
              ok = FALSE;
            }
          if (fseek (src.plain, pos, SEEK_SET) != 0)
            {
              if (ok)
                g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO,
                             "%s: cannot seek: %s", path, g_strerror (errno));
              ok = FALSE;
            }
        }
    }
  if (ok)
    {
      idx->data = read_data (&src, n, error);
      ok = idx->data != NULL;
    }
  if (src.gz)
    gzclose (src.gz);
  if (src.plain)
    fclose (src.plain);
  if (!ok)
    {
      inv_idx_free (idx);
      return NULL;
    }
  return idx;
}

gboolean
inv_idx_write (const char *path, const InvIdx *idx, GError **error)
{
  if (idx->type != IDX_TYPE_U8 || idx->ndim < 1 || idx->ndim > 4)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_FORMAT,
                   "%s: can only write type 0x08 with 1 to 4 dimensions", path);
      return FALSE;
    }
  size_t n;
  for (size_t d = 0; d < idx->ndim; d++)
    if (idx->dims[d] == 0 || idx->dims[d] > INV_IDX_MAX_DIM)
      {
        g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS,
                     "%s: dimension %zu has size %zu (must be 1 to %zu)",
                     path, d, idx->dims[d], (size_t) INV_IDX_MAX_DIM);
        return FALSE;
      }
  if (!inv_size_prod (idx->dims, idx->ndim, &n) || n > INV_IDX_MAX_BYTES)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS,
                   "%s: data too large to write", path);
      return FALSE;
    }
  size_t header = 4 + 4 * idx->ndim;
  g_autofree uint8_t *buf = g_malloc (header + n);
  buf[0] = 0;
  buf[1] = 0;
  buf[2] = idx->type;
  buf[3] = (uint8_t) idx->ndim;
  for (size_t d = 0; d < idx->ndim; d++)
    {
      uint32_t v = (uint32_t) idx->dims[d];
      uint8_t *b = buf + 4 + 4 * d;
      b[0] = (uint8_t) (v >> 24);
      b[1] = (uint8_t) (v >> 16);
      b[2] = (uint8_t) (v >> 8);
      b[3] = (uint8_t) v;
    }
  memcpy (buf + header, idx->data, n);
  GError *local = NULL;
  if (!g_file_set_contents (path, (const char *) buf, (gssize) (header + n), &local))
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO, "cannot write %s: %s", path, local->message);
      g_error_free (local);
      return FALSE;
    }
  return TRUE;
}

void
inv_idx_free (InvIdx *idx)
{
  if (!idx)
    return;
  g_free (idx->data);
  g_free (idx);
}
