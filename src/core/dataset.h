/* Image classification data sets held as bytes (pixels 0..255, labels < K):
 * Fashion-MNIST (Debian's IDX files), any IDX folder, and the built-in
 * synthetic digits. Images are converted to floats only when a batch needs
 * them. N images, H×W pixels, K classes. */
#pragma once
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

#define INV_DATA_ERROR (inv_data_error_quark ())
GQuark inv_data_error_quark (void);
typedef enum {
  INV_DATA_ERROR_IO,         /* cannot open / read */
  INV_DATA_ERROR_FORMAT,     /* wrong magic, truncated, bad gzip */
  INV_DATA_ERROR_DIMENSIONS, /* zero, oversized or overflowing dims, mismatch */
  INV_DATA_ERROR_LABEL,      /* label out of range */
  INV_DATA_ERROR_SPEC,       /* unknown data set name */
} InvDataError;

/* Caps against hostile files: no IDX file may expand beyond this. */
#define INV_IDX_MAX_BYTES ((size_t) 1 << 30)
#define INV_IDX_MAX_DIM ((size_t) 1 << 24)

typedef struct {
  uint8_t type;      /* IDX type code; only 0x08 (unsigned byte) is accepted */
  size_t ndim;       /* 1..4 */
  size_t dims[4];
  uint8_t *data;     /* product of dims bytes, g_free */
} InvIdx;

/* Reads a plain or gzip-compressed IDX file (gzip detected by its magic
 * bytes; a name ending in .gz that is not gzip is an error). */
InvIdx *inv_idx_read (const char *path, GError **error);
/* Writes a plain IDX file (tests and tools). */
gboolean inv_idx_write (const char *path, const InvIdx *idx, GError **error);
void inv_idx_free (InvIdx *idx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvIdx, inv_idx_free)

typedef struct {
  size_t n;          /* N */
  uint8_t *images;   /* (N, H, W) */
  uint8_t *labels;   /* (N) */
} InvSplit;

typedef struct {
  char *name;        /* "fashion", "digits", "idx:/path" */
  char *title;       /* human name: "Fashion-MNIST", ... */
  size_t h, w;
  size_t n_classes;  /* K */
  char **class_names;/* (K), NULL-terminated */
  InvSplit train, test;
  double mean, std;  /* of the training pixels scaled to [0,1] */
} InvDataset;

/* spec: "fashion" (INVLAB_FASHION_DIR or the default folder), "digits"
 * (built-in, default seed and sizes), "digits:SEED", "idx:DIR". */
InvDataset *inv_dataset_load (const char *spec, GError **error);
/* Loads an IDX folder (four MNIST-named files, each optionally .gz, and an
 * optional classes.txt). */
InvDataset *inv_dataset_load_idx (const char *dir, const char *name, GError **error);
/* Built-in synthetic digits, deterministic from seed on every machine. */
InvDataset *inv_dataset_digits (uint64_t seed, size_t n_train, size_t n_test, GError **error);
void inv_dataset_free (InvDataset *ds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvDataset, inv_dataset_free)

/* Pixels of image i of a split as floats in [0,1]: out (H*W). */
void inv_split_get_image (const InvSplit *s, size_t h, size_t w, size_t i, float *out);

#define INV_DIGITS_DEFAULT_SEED 20230808u
#define INV_DIGITS_DEFAULT_TRAIN 10000
#define INV_DIGITS_DEFAULT_TEST 2000

G_END_DECLS
