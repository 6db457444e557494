/* Overflow-checked sizes, aligned buffers, and the programs' locale set-up. */
#include "config.h"
#include "util.h"
#include <libintl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (inv-util-error-quark, inv_util_error)

bool
inv_size_mul (size_t a, size_t b, size_t *out)
{
  if (a != 0 && b > SIZE_MAX / a)
    return false;
  *out = a * b;
  return true;
}

bool
inv_size_prod (const size_t *dims, size_t n, size_t *out)
{
  size_t p = 1;
  for (size_t i = 0; i < n; i++)
    if (!inv_size_mul (p, dims[i], &p))
      return false;
  *out = p;
  return true;
}

float *
inv_floats_new (size_t n, GError **error)
{
  size_t bytes;
  if (!inv_size_mul (n ? n : 1, sizeof (float), &bytes) || bytes > SIZE_MAX - 64)
    {
      g_set_error (error, INV_UTIL_ERROR, INV_UTIL_ERROR_OVERFLOW,
                   "buffer of %zu floats is too large", n);
      return NULL;
    }
  bytes = (bytes + 63) / 64 * 64;
  void *p = NULL;
  if (posix_memalign (&p, 64, bytes) != 0)
    {
      g_set_error (error, INV_UTIL_ERROR, INV_UTIL_ERROR_NOMEM,
                   "out of memory allocating %zu bytes", bytes);
      return NULL;
    }
  memset (p, 0, bytes);
  return p;
}

void
inv_free (void *p)
{
  free (p);
}

double
inv_now (void)
{
  return g_get_monotonic_time () / 1e6;
}

void
inv_i18n_init (void)
{
  setlocale (LC_ALL, "");
  setlocale (LC_NUMERIC, "C");
  const char *localedir = g_getenv ("INVLAB_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
