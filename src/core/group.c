/* The groups c4, d4, flip and trans as exact pixel permutations. Each
 * element's permutation is found by applying the transformation to an image
 * of pixel indices; the multiplication table and inverses are then found by
 * comparing permutations, so they are correct by construction and the tests
 * check the axioms independently. */
#include "group.h"
#include <string.h>

G_DEFINE_QUARK (inv-group-error-quark, inv_group_error)

/* numpy.rot90(x, 1) for a square n×n image, row 0 at the top:
 * out[i][j] = x[j][n-1-i]. */
static void
rot90_u32 (uint32_t *out, const uint32_t *in, size_t n)
{
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++)
      out[i * n + j] = in[j * n + (n - 1 - i)];
}

static void
mirror_u32 (uint32_t *out, const uint32_t *in, size_t h, size_t w)
{
  for (size_t i = 0; i < h; i++)
    for (size_t j = 0; j < w; j++)
      out[i * w + j] = in[i * w + (w - 1 - j)];
}

static void
shift_u32 (uint32_t *out, const uint32_t *in, size_t h, size_t w, size_t dy, size_t dx)
{
  for (size_t i = 0; i < h; i++)
    for (size_t j = 0; j < w; j++)
      out[i * w + j] = in[((i + h - dy) % h) * w + (j + w - dx) % w];
}

static gboolean
parse_name (const char *name, InvGroupKind *kind, size_t *k, GError **error)
{
  *k = 0;
  if (g_strcmp0 (name, "c4") == 0)
    *kind = INV_GROUP_C4;
  else if (g_strcmp0 (name, "d4") == 0)
    *kind = INV_GROUP_D4;
  else if (g_strcmp0 (name, "flip") == 0)
    *kind = INV_GROUP_FLIP;
  else if (g_strcmp0 (name, "trans") == 0)
    {
      *kind = INV_GROUP_TRANS;
      *k = 4;
    }
  else if (name && g_str_has_prefix (name, "trans:"))
    {
      char *end = NULL;
      guint64 v = g_ascii_strtoull (name + 6, &end, 10);
      if (end == name + 6 || *end != '\0' || v < 1 || v > 64)
        {
          g_set_error (error, INV_GROUP_ERROR, INV_GROUP_ERROR_UNKNOWN,
                       "group '%s': shifts per axis must be a number from 1 to 64", name);
          return FALSE;
        }
      *kind = INV_GROUP_TRANS;
      *k = (size_t) v;
    }
  else
    {
      g_set_error (error, INV_GROUP_ERROR, INV_GROUP_ERROR_UNKNOWN,
                   "unknown group '%s' (expected c4, d4, flip, trans or trans:K)",
                   name ? name : "(null)");
      return FALSE;
    }
  return TRUE;
}

InvGroup *
inv_group_new (const char *name, size_t h, size_t w, GError **error)
{
  InvGroupKind kind;
  size_t k;
  if (!parse_name (name, &kind, &k, error))
    return NULL;
  if (h == 0 || w == 0 || h > 4096 || w > 4096)
    {
      g_set_error (error, INV_GROUP_ERROR, INV_GROUP_ERROR_SIZE,
                   "group %s: image size %zu×%zu is not supported", name, h, w);
      return NULL;
    }
  if ((kind == INV_GROUP_C4 || kind == INV_GROUP_D4) && h != w)
    {
      g_set_error (error, INV_GROUP_ERROR, INV_GROUP_ERROR_SIZE,
                   "group %s needs square images, not %zu×%zu", name, h, w);
      return NULL;
    }
  if (kind == INV_GROUP_TRANS && (h % k != 0 || w % k != 0))
    {
      g_set_error (error, INV_GROUP_ERROR, INV_GROUP_ERROR_SIZE,
                   "group %s: image size %zu×%zu is not divisible by %zu", name, h, w, k);
      return NULL;
    }

  /* The permutations take G·H·W entries: a model file or --group value
   * must not be able to ask for gigabytes. */
  size_t order = kind == INV_GROUP_C4 ? 4 : kind == INV_GROUP_D4 ? 8
                 : kind == INV_GROUP_FLIP ? 2 : k * k;
  if (order > INV_GROUP_MAX_ORDER)
    {
      g_set_error (error, INV_GROUP_ERROR, INV_GROUP_ERROR_SIZE,
                   "group %s has %zu elements, more than the limit of %d", name, order,
                   INV_GROUP_MAX_ORDER);
      return NULL;
    }
  if ((double) order * (double) h * (double) w > (double) INV_GROUP_MAX_ENTRIES)
    {
      g_set_error (error, INV_GROUP_ERROR, INV_GROUP_ERROR_SIZE,
                   "group %s on %zu×%zu images has %zu elements × %zu pixels, more than "
                   "the limit of %d permutation entries", name, h, w, order, h * w,
                   INV_GROUP_MAX_ENTRIES);
      return NULL;
    }

  InvGroup *grp = g_new0 (InvGroup, 1);
  grp->kind = kind;
  g_strlcpy (grp->name, name, sizeof grp->name);
  grp->h = h;
  grp->w = w;
  grp->k = k;
  grp->order = order;
  size_t n = h * w, G = grp->order;
  grp->perm = g_new (uint32_t, G * n);
  grp->labels = g_new0 (char *, G + 1);
  g_autofree uint32_t *tmp = g_new (uint32_t, n);
  for (size_t g = 0; g < G; g++)
    {
      uint32_t *p = grp->perm + g * n;
      for (size_t i = 0; i < n; i++)
        p[i] = (uint32_t) i;
      switch (kind)
        {
        case INV_GROUP_C4:
        case INV_GROUP_D4:
        case INV_GROUP_FLIP:
          {
            size_t rot = kind == INV_GROUP_FLIP ? 0 : g % 4;
            gboolean mirror = (kind == INV_GROUP_D4 && g >= 4) || (kind == INV_GROUP_FLIP && g == 1);
            for (size_t r = 0; r < rot; r++)
              {
                rot90_u32 (tmp, p, h);
                memcpy (p, tmp, n * sizeof *p);
              }
            if (mirror)
              {
                mirror_u32 (tmp, p, h, w);
                memcpy (p, tmp, n * sizeof *p);
              }
            if (kind == INV_GROUP_FLIP)
              grp->labels[g] = g_strdup (mirror ? "mirror" : "identity");
            else
              grp->labels[g] = g_strdup_printf ("%s%zu°", mirror ? "m·" : "", rot * 90);
            break;
          }
        case INV_GROUP_TRANS:
          {
            size_t a = g / k, b = g % k;
            shift_u32 (tmp, p, h, w, a * (h / k), b * (w / k));
            memcpy (p, tmp, n * sizeof *p);
            grp->labels[g] = g_strdup_printf ("↓%zu →%zu", a * (h / k), b * (w / k));
            break;
          }
        }
    }

  /* a·b: apply b, then a: (a·(b·x))[p] = (b·x)[perm_a[p]] = x[perm_b[perm_a[p]]].
   * Translations compose by adding shifts mod k (G up to 1024, so no search);
   * the others (G ≤ 8) find each product among the permutations. */
  grp->table = g_new (size_t, G * G);
  grp->inverse = g_new (size_t, G);
  for (size_t a = 0; a < G; a++)
    for (size_t b = 0; b < G; b++)
      {
        size_t found = G;
        if (kind == INV_GROUP_TRANS)
          found = ((a / k + b / k) % k) * k + (a % k + b % k) % k;
        else
          {
            const uint32_t *pa = grp->perm + a * n, *pb = grp->perm + b * n;
            for (size_t i = 0; i < n; i++)
              tmp[i] = pb[pa[i]];
            for (size_t c = 0; c < G && found == G; c++)
              if (memcmp (tmp, grp->perm + c * n, n * sizeof *tmp) == 0)
                found = c;
          }
        g_assert (found < G); /* closure holds by construction for these groups */
        grp->table[a * G + b] = found;
        if (found == 0)
          grp->inverse[a] = b;
      }
  return grp;
}

void
inv_group_free (InvGroup *g)
{
  if (!g)
    return;
  g_free (g->perm);
  g_free (g->inverse);
  g_free (g->table);
  g_strfreev (g->labels);
  g_free (g);
}

void
inv_group_apply (const InvGroup *grp, size_t g, float *out, const float *in)
{
  size_t n = grp->h * grp->w;
  const uint32_t *p = grp->perm + g * n;
  for (size_t i = 0; i < n; i++)
    out[i] = in[p[i]];
}

void
inv_group_apply_u8 (const InvGroup *grp, size_t g, uint8_t *out, const uint8_t *in)
{
  size_t n = grp->h * grp->w;
  const uint32_t *p = grp->perm + g * n;
  for (size_t i = 0; i < n; i++)
    out[i] = in[p[i]];
}

void
inv_group_orbit (const InvGroup *grp, float *out, const float *in)
{
  size_t n = grp->h * grp->w;
  for (size_t g = 0; g < grp->order; g++)
    inv_group_apply (grp, g, out + g * n, in);
}
