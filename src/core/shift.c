/* Distribution shifts: the strict parser of "KIND=S,..." lists and the seven
 * pixel maps of the design's table, applied in list order. Each item draws
 * from its own stream (seed, position, image index); an item with s = 0 is
 * skipped, so it is the identity bit for bit. Images are H×W, row-major. */
#include "shift.h"
#include "rng.h"
#include <errno.h>
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (inv-shift-error-quark, inv_shift_error)

static const char *const kind_names[INV_SHIFT_N_KINDS] = {
  [INV_SHIFT_NOISE] = "noise",
  [INV_SHIFT_UNIFORM] = "uniform",
  [INV_SHIFT_BLUR] = "blur",
  [INV_SHIFT_CONTRAST] = "contrast",
  [INV_SHIFT_INVERT] = "invert",
  [INV_SHIFT_OCCLUDE] = "occlude",
  [INV_SHIFT_MIX] = "mix",
};

#define KINDS_EXPECTED "noise, uniform, blur, contrast, invert, occlude or mix"
/* Longest piece of user text quoted in an error message. */
#define SHOW_MAX 64
/* Blur radius is ceil(9 s) <= 9 for s <= 1. */
#define BLUR_MAX_RADIUS 9

const char *
inv_shift_kind_name (InvShiftKind kind)
{
  if ((unsigned) kind >= INV_SHIFT_N_KINDS)
    return NULL;
  return kind_names[kind];
}

static gboolean
kind_from_bytes (const char *p, size_t len, InvShiftKind *kind)
{
  for (int k = 0; k < INV_SHIFT_N_KINDS; k++)
    if (strlen (kind_names[k]) == len && memcmp (kind_names[k], p, len) == 0)
      {
        *kind = (InvShiftKind) k;
        return TRUE;
      }
  return FALSE;
}

gboolean
inv_shift_kind_from_name (const char *name, InvShiftKind *kind)
{
  if (name == NULL)
    return FALSE;
  return kind_from_bytes (name, strlen (name), kind);
}

static gboolean
severity_ok (double s)
{
  return isfinite (s) && s >= 0.0 && s <= 1.0;
}

void
inv_shift_list_init (InvShiftList *list, uint64_t seed)
{
  memset (list, 0, sizeof *list);
  list->seed = seed;
}

gboolean
inv_shift_list_add (InvShiftList *list, InvShiftKind kind, double severity,
                    GError **error)
{
  if (inv_shift_kind_name (kind) == NULL)
    {
      g_set_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_PARSE,
                   "unknown shift kind %d", (int) kind);
      return FALSE;
    }
  if (!severity_ok (severity))
    {
      g_set_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_RANGE,
                   "shift '%s': severity %g must be a number from 0 to 1",
                   kind_names[kind], severity);
      return FALSE;
    }
  if (list->n >= INV_SHIFT_MAX)
    {
      g_set_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_FULL,
                   "too many shifts (at most %d)", INV_SHIFT_MAX);
      return FALSE;
    }
  list->items[list->n].kind = kind;
  list->items[list->n].severity = severity == 0.0 ? 0.0 : severity; /* no -0 */
  list->n++;
  return TRUE;
}

/* User bytes made printable for a message: at most SHOW_MAX bytes, non-ASCII
 * and control bytes escaped (the input may be anything, messages are UTF-8). */
static char *
show (const char *p, size_t len)
{
  gboolean cut = len > SHOW_MAX;
  g_autofree char *raw = g_strndup (p, cut ? SHOW_MAX : len);
  g_autofree char *esc = g_strescape (raw, NULL);
  return g_strconcat (esc, cut ? "..." : "", NULL);
}

/* A plain decimal: [+-] digits [. digits] [(e|E) [+-] digits], at least one
 * mantissa digit. Excludes what strtod also takes: hex, nan, inf, spaces. */
static gboolean
is_decimal (const char *p, size_t len)
{
  size_t i = 0, digits = 0;
  if (i < len && (p[i] == '+' || p[i] == '-'))
    i++;
  while (i < len && g_ascii_isdigit (p[i]))
    i++, digits++;
  if (i < len && p[i] == '.')
    {
      i++;
      while (i < len && g_ascii_isdigit (p[i]))
        i++, digits++;
    }
  if (digits == 0)
    return FALSE;
  if (i < len && (p[i] == 'e' || p[i] == 'E'))
    {
      size_t exp_digits = 0;
      i++;
      if (i < len && (p[i] == '+' || p[i] == '-'))
        i++;
      while (i < len && g_ascii_isdigit (p[i]))
        i++, exp_digits++;
      if (exp_digits == 0)
        return FALSE;
    }
  return i == len;
}

/* One item "KIND=S" of len bytes at p (no ','). */
static gboolean
parse_item (const char *p, size_t len, InvShift *out, GError **error)
{
  const char *eq = memchr (p, '=', len);
  if (eq == NULL)
    {
      g_autofree char *item = show (p, len);
      g_set_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_PARSE,
                   "shift '%s': expected KIND=SEVERITY, e.g. noise=0.5", item);
      return FALSE;
    }
  size_t klen = (size_t) (eq - p);
  if (!kind_from_bytes (p, klen, &out->kind))
    {
      g_autofree char *item = show (p, len);
      g_autofree char *kind = show (p, klen);
      g_set_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_PARSE,
                   "shift '%s': unknown kind '%s' (expected " KINDS_EXPECTED ")",
                   item, kind);
      return FALSE;
    }
  const char *num = eq + 1;
  size_t nlen = len - klen - 1;
  double s = NAN;
  gboolean syntax = is_decimal (num, nlen);
  if (syntax)
    {
      g_autofree char *copy = g_strndup (num, nlen);
      char *end = NULL;
      errno = 0;
      s = g_ascii_strtod (copy, &end);
      if (end != copy + nlen)
        syntax = FALSE;
    }
  if (!syntax || !severity_ok (s))
    {
      g_autofree char *item = show (p, len);
      g_autofree char *sev = show (num, nlen);
      g_set_error (error, INV_SHIFT_ERROR,
                   syntax ? INV_SHIFT_ERROR_RANGE : INV_SHIFT_ERROR_PARSE,
                   "shift '%s': severity '%s' must be a number from 0 to 1",
                   item, sev);
      return FALSE;
    }
  out->severity = s == 0.0 ? 0.0 : s;
  return TRUE;
}

gboolean
inv_shift_list_parse (InvShiftList *list, const char *text, GError **error)
{
  if (text == NULL || text[0] == '\0')
    {
      g_set_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_PARSE,
                   "empty shift list (expected KIND=SEVERITY[,...], e.g. noise=0.5, or none)");
      return FALSE;
    }
  InvShift items[INV_SHIFT_MAX] = { 0 };
  size_t n = 0;
  if (strcmp (text, "none") != 0)
    {
      const char *p = text;
      for (size_t pos = 1;; pos++)
        {
          const char *comma = strchr (p, ',');
          size_t len = comma ? (size_t) (comma - p) : strlen (p);
          if (len == 0)
            {
              g_autofree char *all = show (text, strlen (text));
              g_set_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_PARSE,
                           "shift list '%s': item %zu is empty", all, pos);
              return FALSE;
            }
          if (n == INV_SHIFT_MAX)
            {
              g_autofree char *item = show (p, len);
              g_set_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_FULL,
                           "shift '%s': too many shifts (at most %d)", item,
                           INV_SHIFT_MAX);
              return FALSE;
            }
          if (!parse_item (p, len, &items[n], error))
            return FALSE;
          n++;
          if (comma == NULL)
            break;
          p = comma + 1;
        }
    }
  memcpy (list->items, items, n * sizeof items[0]);
  list->n = n;
  return TRUE;
}

void
inv_shift_list_set_mix_source (InvShiftList *list, const InvSplit *src, size_t h,
                               size_t w)
{
  list->mix_source = src;
  list->mix_h = h;
  list->mix_w = w;
}

char *
inv_shift_list_to_string (const InvShiftList *list)
{
  if (list->n == 0)
    return g_strdup ("none");
  GString *s = g_string_new (NULL);
  for (size_t i = 0; i < list->n; i++)
    {
      const InvShift *it = &list->items[i];
      const char *name = inv_shift_kind_name (it->kind);
      char num[G_ASCII_DTOSTR_BUF_SIZE];
      /* shortest %g that reads back as the same double */
      for (int prec = 1; prec <= 17; prec++)
        {
          char fmt[8];
          g_snprintf (fmt, sizeof fmt, "%%.%dg", prec);
          g_ascii_formatd (num, sizeof num, fmt, it->severity);
          if (g_ascii_strtod (num, NULL) == it->severity)
            break;
        }
      g_string_append_printf (s, "%s%s=%s", i ? "," : "", name ? name : "?", num);
    }
  return g_string_free (s, FALSE);
}

gboolean
inv_shift_list_is_identity (const InvShiftList *list)
{
  for (size_t i = 0; i < list->n; i++)
    if (list->items[i].severity != 0.0)
      return FALSE;
  return TRUE;
}

gboolean
inv_shift_list_validate (const InvShiftList *list, size_t h, size_t w, GError **error)
{
  size_t n;
  if (h == 0 || w == 0 || !g_size_checked_mul (&n, h, w))
    {
      g_set_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_SIZE,
                   "cannot shift images of %zu×%zu pixels", h, w);
      return FALSE;
    }
  if (list->n > INV_SHIFT_MAX)
    {
      g_set_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_FULL,
                   "too many shifts (at most %d)", INV_SHIFT_MAX);
      return FALSE;
    }
  for (size_t i = 0; i < list->n; i++)
    {
      const InvShift *it = &list->items[i];
      if (inv_shift_kind_name (it->kind) == NULL || !severity_ok (it->severity))
        {
          g_set_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_RANGE,
                       "shift %zu: invalid kind or severity", i + 1);
          return FALSE;
        }
      if (it->kind == INV_SHIFT_MIX && it->severity > 0.0)
        {
          const InvSplit *src = list->mix_source;
          size_t mn;
          if (src == NULL || src->n == 0 || src->images == NULL)
            {
              g_set_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_SOURCE,
                           "shift 'mix': no other data set to mix in");
              return FALSE;
            }
          if (list->mix_h == 0 || list->mix_w == 0
              || !g_size_checked_mul (&mn, list->mix_h, list->mix_w))
            {
              g_set_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_SIZE,
                           "shift 'mix': other data set has images of %zu×%zu pixels",
                           list->mix_h, list->mix_w);
              return FALSE;
            }
        }
    }
  return TRUE;
}

static inline float
clip01 (double v)
{
  return (float) (v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v);
}

/* x (H*W) blurred in place; tmp (max(H, W)) scratch. */
static void
blur (float *x, size_t h, size_t w, double s, float *tmp)
{
  double sigma = 3.0 * s;
  double two_var = 2.0 * sigma * sigma;
  if (two_var == 0.0)
    return; /* every tap but the centre weighs 0 */
  int r = (int) ceil (3.0 * sigma);
  if (r > BLUR_MAX_RADIUS)
    r = BLUR_MAX_RADIUS;
  double k[2 * BLUR_MAX_RADIUS + 1], sum = 0.0;
  for (int i = -r; i <= r; i++)
    sum += k[i + r] = exp (-(double) (i * i) / two_var);
  for (int i = -r; i <= r; i++)
    k[i + r] /= sum;

  /* rows, then columns; out-of-range taps read the edge pixel */
  for (size_t y = 0; y < h; y++)
    {
      float *row = x + y * w;
      memcpy (tmp, row, w * sizeof *tmp);
      for (size_t c = 0; c < w; c++)
        {
          double acc = 0.0;
          for (int i = -r; i <= r; i++)
            {
              ptrdiff_t q = (ptrdiff_t) c + i;
              q = q < 0 ? 0 : q >= (ptrdiff_t) w ? (ptrdiff_t) w - 1 : q;
              acc += k[i + r] * tmp[q];
            }
          row[c] = (float) acc;
        }
    }
  for (size_t c = 0; c < w; c++)
    {
      for (size_t y = 0; y < h; y++)
        tmp[y] = x[y * w + c];
      for (size_t y = 0; y < h; y++)
        {
          double acc = 0.0;
          for (int i = -r; i <= r; i++)
            {
              ptrdiff_t q = (ptrdiff_t) y + i;
              q = q < 0 ? 0 : q >= (ptrdiff_t) h ? (ptrdiff_t) h - 1 : q;
              acc += k[i + r] * tmp[q];
            }
          x[y * w + c] = (float) acc;
        }
    }
}

/* Item pos of list applied in place to x (H*W) of image index. */
static void
apply_one (const InvShiftList *list, size_t pos, size_t index, float *x, size_t h,
           size_t w, float *tmp)
{
  const InvShift *it = &list->items[pos];
  double s = it->severity;
  size_t n = h * w;
  InvRng rng;
  inv_rng_init_stream (&rng, list->seed, pos, index);

  switch (it->kind)
    {
    case INV_SHIFT_NOISE:
      for (size_t p = 0; p < n; p++)
        x[p] = clip01 (x[p] + s * inv_rng_normal (&rng));
      break;
    case INV_SHIFT_UNIFORM:
      for (size_t p = 0; p < n; p++)
        x[p] = (float) ((1.0 - s) * x[p] + s * inv_rng_uniform (&rng));
      break;
    case INV_SHIFT_BLUR:
      blur (x, h, w, s, tmp);
      break;
    case INV_SHIFT_CONTRAST:
      for (size_t p = 0; p < n; p++)
        x[p] = (float) (0.5 + (1.0 - 0.9 * s) * (x[p] - 0.5));
      break;
    case INV_SHIFT_INVERT:
      for (size_t p = 0; p < n; p++)
        x[p] = (float) ((1.0 - s) * x[p] + s * (1.0 - x[p]));
      break;
    case INV_SHIFT_OCCLUDE:
      {
        size_t side = (size_t) lround (s * (double) h);
        side = MIN (side, MIN (h, w));
        if (side == 0)
          break;
        size_t r0 = inv_rng_below (&rng, h - side + 1);
        size_t c0 = inv_rng_below (&rng, w - side + 1);
        for (size_t y = r0; y < r0 + side; y++)
          memset (x + y * w + c0, 0, side * sizeof *x);
      }
      break;
    case INV_SHIFT_MIX:
      {
        const InvSplit *src = list->mix_source;
        size_t mh = list->mix_h, mw = list->mix_w;
        const uint8_t *o = src->images + inv_rng_below (&rng, src->n) * mh * mw;
        /* nearest neighbour: pixel centres mapped onto the other grid; bytes
         * scaled as inv_split_get_image scales them */
        for (size_t y = 0; y < h; y++)
          {
            size_t sy = (2 * y + 1) * mh / (2 * h);
            for (size_t c = 0; c < w; c++)
              {
                size_t sc = (2 * c + 1) * mw / (2 * w);
                float ov = o[sy * mw + sc] / 255.0f;
                x[y * w + c] = (float) ((1.0 - s) * x[y * w + c] + s * ov);
              }
          }
      }
      break;
    case INV_SHIFT_N_KINDS:
    default:
      g_assert_not_reached ();
    }
}

/* Validated list, out (H*W) = shifted in (H*W); tmp (max(H, W)). */
static void
apply_checked (const InvShiftList *list, size_t index, float *out, const float *in,
               size_t h, size_t w, float *tmp)
{
  if (out != in)
    memcpy (out, in, h * w * sizeof *out);
  for (size_t i = 0; i < list->n; i++)
    if (list->items[i].severity != 0.0)
      apply_one (list, i, index, out, h, w, tmp);
}

gboolean
inv_shift_apply (const InvShiftList *list, size_t index, float *out, const float *in,
                 size_t h, size_t w, GError **error)
{
  return inv_shift_apply_batch (list, index, out, in, 1, h, w, error);
}

gboolean
inv_shift_apply_batch (const InvShiftList *list, size_t first_index, float *out,
                       const float *in, size_t B, size_t h, size_t w, GError **error)
{
  if (!inv_shift_list_validate (list, h, w, error))
    return FALSE;
  size_t n = h * w;
  float *tmp = g_new (float, MAX (h, w));
  for (size_t b = 0; b < B; b++)
    apply_checked (list, first_index + b, out + b * n, in + b * n, h, w, tmp);
  g_free (tmp);
  return TRUE;
}
