/* safetensors files: 8-byte little-endian header length N, N bytes of JSON
 * header, then raw little-endian data. Only F32 tensors are written and read.
 * Writes are atomic (temporary file in the same folder + fsync + rename).
 * Reading validates everything and names the file in every error. Not model
 * aware: model.c checks names and shapes against the architecture. */
#pragma once
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

#define INV_ST_ERROR (inv_st_error_quark ())
GQuark inv_st_error_quark (void);
typedef enum {
  INV_ST_ERROR_IO,
  INV_ST_ERROR_FORMAT,   /* header length, JSON, offsets, dtype */
  INV_ST_ERROR_TENSOR,   /* missing/extra/duplicate names, shapes */
  INV_ST_ERROR_VALUE,    /* NaN/Inf */
} InvStError;

#define INV_ST_MAX_HEADER ((uint64_t) 100 << 20)   /* as the reference implementation */
#define INV_ST_MAX_DIMS 8

typedef struct {
  char *name;
  size_t ndim;
  size_t shape[INV_ST_MAX_DIMS];
  size_t numel;
  float *data;          /* write: borrowed; read: owned (g_free) */
} InvStTensor;

typedef struct {
  InvStTensor *tensors; /* (n), in file order of data offsets */
  size_t n;
  GHashTable *metadata; /* char* → char*, may be empty; owned */
} InvStFile;

/* Writes tensors (data borrowed) and string metadata atomically to path.
 * Test hook: if the environment variable INVLAB_FAULT_WRITE_AT is a byte
 * count N, the writer fails with an I/O error when it would write byte N + 1
 * of the temporary file (simulating a full disk); N ≥ the file size passes. */
gboolean inv_st_write (const char *path, const InvStTensor *tensors, size_t n,
                       GHashTable *metadata, GError **error);
/* Reads and validates: header length ≤ file size − 8 and ≤ INV_ST_MAX_HEADER,
 * JSON object, every entry has dtype "F32", shape, data_offsets [b, e] with
 * e − b = numel·4, offsets within the data, no overlap, data fully covered,
 * no duplicate names, finite values, __metadata__ string → string. */
InvStFile *inv_st_read (const char *path, GError **error);
/* As inv_st_read, on len bytes in memory (a fuzzing entry point); name
 * stands for the path in messages. */
InvStFile *inv_st_read_bytes (const void *data, size_t len, const char *name, GError **error);
void inv_st_file_free (InvStFile *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvStFile, inv_st_file_free)
const InvStTensor *inv_st_find (const InvStFile *f, const char *name);

G_END_DECLS
