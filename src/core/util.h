/* Small helpers every core module uses: overflow-checked sizes and float
 * buffers that report failure through GError. Not a tensor library. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

#define INV_UTIL_ERROR (inv_util_error_quark ())
GQuark inv_util_error_quark (void);
typedef enum {
  INV_UTIL_ERROR_OVERFLOW,
  INV_UTIL_ERROR_NOMEM,
} InvUtilError;

/* *out = a * b; false on size_t overflow. */
bool inv_size_mul (size_t a, size_t b, size_t *out);
/* Product of n dims, false on overflow. */
bool inv_size_prod (const size_t *dims, size_t n, size_t *out);

/* Zeroed float buffer of n elements, 64-byte aligned; free with inv_free. */
float *inv_floats_new (size_t n, GError **error);
void inv_free (void *p);

/* Monotonic seconds. */
double inv_now (void);

/* The program's message catalogs: the user's locale (LC_NUMERIC stays C, so
 * printed numbers are machine-readable in every language), and the
 * invariance-lab domain from INVLAB_LOCALEDIR when set (the build tree's
 * catalogs, for tests), else the installed ones. Both programs call it
 * first thing in main(). */
void inv_i18n_init (void);

G_END_DECLS
