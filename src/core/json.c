/* json: a strict RFC 8259 reader (recursive descent, bounded depth, input
 * size and value count) for safetensors headers, plus a string escaper.
 * Not a general JSON library: no writer, no streaming, no lenient modes. */
#include "json.h"
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (inv-json-error-quark, inv_json_error)

/* A number token longer than this is refused rather than copied. */
#define JSON_MAX_NUMBER_LEN 256

typedef struct {
  const unsigned char *s;   /* (len) input bytes */
  size_t len;
  size_t pos;
  size_t depth;
  size_t values;
  GError **error;
} Parser;

static InvJson *parse_value (Parser *p);

static void
fail (Parser *p, InvJsonError code, size_t at, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static void
fail (Parser *p, InvJsonError code, size_t at, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (p->error, INV_JSON_ERROR, code, "byte %zu: %s", at, what);
}

/* Describes the byte at pos for error messages ("'x'", "byte 0x01", "end of input"). */
static char *
describe_at (const Parser *p, size_t pos)
{
  if (pos >= p->len)
    return g_strdup ("end of input");
  unsigned char c = p->s[pos];
  if (c >= 0x21 && c < 0x7f)
    return g_strdup_printf ("'%c'", c);
  return g_strdup_printf ("byte 0x%02x", c);
}

static void
fail_unexpected (Parser *p, const char *expected)
{
  g_autofree char *got = describe_at (p, p->pos);
  fail (p, INV_JSON_ERROR_SYNTAX, p->pos, "expected %s, found %s", expected, got);
}

static void
skip_ws (Parser *p)
{
  while (p->pos < p->len)
    {
      unsigned char c = p->s[p->pos];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        break;
      p->pos++;
    }
}

/* Length (2–4) of the well-formed UTF-8 sequence at s[0..avail), or 0 if it
 * is malformed: overlong forms, surrogates and code points above U+10FFFF
 * are rejected. s[0] must be ≥ 0x80. */
static size_t
utf8_sequence_len (const unsigned char *s, size_t avail)
{
  unsigned char c = s[0];
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;   /* allowed range of the second byte */
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef)
    {
      n = 3;
      if (c == 0xe0)
        lo = 0xa0;
      else if (c == 0xed)
        hi = 0x9f;
    }
  else if (c >= 0xf0 && c <= 0xf4)
    {
      n = 4;
      if (c == 0xf0)
        lo = 0x90;
      else if (c == 0xf4)
        hi = 0x8f;
    }
  else
    return 0;
  if (avail < n || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xbf)
      return 0;
  return n;
}

static void
append_utf8 (GString *out, guint32 cp)
{
  char buf[4];
  size_t n;
  if (cp < 0x80)
    {
      buf[0] = (char) cp;
      n = 1;
    }
  else if (cp < 0x800)
    {
      buf[0] = (char) (0xc0 | (cp >> 6));
      buf[1] = (char) (0x80 | (cp & 0x3f));
      n = 2;
    }
  else if (cp < 0x10000)
    {
      buf[0] = (char) (0xe0 | (cp >> 12));
      buf[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
      buf[2] = (char) (0x80 | (cp & 0x3f));
      n = 3;
    }
  else
    {
      buf[0] = (char) (0xf0 | (cp >> 18));
      buf[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
      buf[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
      buf[3] = (char) (0x80 | (cp & 0x3f));
      n = 4;
    }
  g_string_append_len (out, buf, (gssize) n);
}

/* Reads the 4 hex digits of a \u escape at p->pos; -1 on error. */
static gint32
read_hex4 (Parser *p)
{
  if (p->len - p->pos < 4)
    {
      fail (p, INV_JSON_ERROR_SYNTAX, p->pos, "truncated \\u escape");
      return -1;
    }
  gint32 v = 0;
  for (size_t i = 0; i < 4; i++)
    {
      int d = g_ascii_xdigit_value ((char) p->s[p->pos + i]);
      if (d < 0)
        {
          fail (p, INV_JSON_ERROR_SYNTAX, p->pos + i, "invalid hex digit in \\u escape");
          return -1;
        }
      v = v * 16 + d;
    }
  p->pos += 4;
  return v;
}

/* Parses a string literal at p->pos (which holds '"'); returns the decoded
 * UTF-8 text or NULL with the error set. */
static char *
parse_string (Parser *p)
{
  g_autoptr (GString) out = g_string_new (NULL);
  p->pos++;   /* opening quote */
  for (;;)
    {
      size_t run = p->pos;
      while (run < p->len && p->s[run] >= 0x20 && p->s[run] < 0x80
             && p->s[run] != '"' && p->s[run] != '\\')
        run++;
      if (run > p->pos)
        g_string_append_len (out, (const char *) p->s + p->pos, (gssize) (run - p->pos));
      p->pos = run;
      if (p->pos >= p->len)
        {
          fail (p, INV_JSON_ERROR_SYNTAX, p->pos, "unterminated string");
          return NULL;
        }
      unsigned char c = p->s[p->pos];
      if (c == '"')
        {
          p->pos++;
          return g_string_free (g_steal_pointer (&out), FALSE);
        }
      if (c < 0x20)
        {
          fail (p, INV_JSON_ERROR_SYNTAX, p->pos,
                "unescaped control character 0x%02x in string", c);
          return NULL;
        }
      if (c >= 0x80)
        {
          size_t n = utf8_sequence_len (p->s + p->pos, p->len - p->pos);
          if (n == 0)
            {
              fail (p, INV_JSON_ERROR_SYNTAX, p->pos, "invalid UTF-8 in string");
              return NULL;
            }
          g_string_append_len (out, (const char *) p->s + p->pos, (gssize) n);
          p->pos += n;
          continue;
        }
      /* backslash */
      size_t esc_at = p->pos;
      p->pos++;
      if (p->pos >= p->len)
        {
          fail (p, INV_JSON_ERROR_SYNTAX, p->pos, "unterminated string");
          return NULL;
        }
      char e = (char) p->s[p->pos++];
      switch (e)
        {
        case '"': g_string_append_c (out, '"'); break;
        case '\\': g_string_append_c (out, '\\'); break;
        case '/': g_string_append_c (out, '/'); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            gint32 u = read_hex4 (p);
            if (u < 0)
              return NULL;
            guint32 cp = (guint32) u;
            if (cp == 0)
              {
                fail (p, INV_JSON_ERROR_SYNTAX, esc_at, "\\u0000 is not allowed in strings");
                return NULL;
              }
            if (cp >= 0xdc00 && cp <= 0xdfff)
              {
                fail (p, INV_JSON_ERROR_SYNTAX, esc_at, "lone low surrogate \\u%04x", cp);
                return NULL;
              }
            if (cp >= 0xd800 && cp <= 0xdbff)
              {
                if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                  {
                    fail (p, INV_JSON_ERROR_SYNTAX, esc_at,
                          "high surrogate \\u%04x is not followed by a low surrogate", cp);
                    return NULL;
                  }
                p->pos += 2;
                gint32 lo = read_hex4 (p);
                if (lo < 0)
                  return NULL;
                if (lo < 0xdc00 || lo > 0xdfff)
                  {
                    fail (p, INV_JSON_ERROR_SYNTAX, esc_at,
                          "high surrogate \\u%04x is not followed by a low surrogate", cp);
                    return NULL;
                  }
                cp = 0x10000 + ((cp - 0xd800) << 10) + ((guint32) lo - 0xdc00);
              }
            append_utf8 (out, cp);
            break;
          }
        default:
          {
            g_autofree char *got = describe_at (p, p->pos - 1);
            fail (p, INV_JSON_ERROR_SYNTAX, esc_at, "invalid escape \\ followed by %s", got);
            return NULL;
          }
        }
    }
}

static gboolean
at_digit (const Parser *p)
{
  return p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

static gboolean
parse_number (Parser *p, double *out)
{
  size_t start = p->pos;
  if (p->s[p->pos] == '-')
    p->pos++;
  if (!at_digit (p))
    {
      fail_unexpected (p, "a digit");
      return FALSE;
    }
  if (p->s[p->pos] == '0')
    {
      p->pos++;
      if (at_digit (p))
        {
          fail (p, INV_JSON_ERROR_SYNTAX, p->pos - 1, "leading zero in number");
          return FALSE;
        }
    }
  else
    while (at_digit (p))
      p->pos++;
  if (p->pos < p->len && p->s[p->pos] == '.')
    {
      p->pos++;
      if (!at_digit (p))
        {
          fail_unexpected (p, "a digit after the decimal point");
          return FALSE;
        }
      while (at_digit (p))
        p->pos++;
    }
  if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
    {
      p->pos++;
      if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
        p->pos++;
      if (!at_digit (p))
        {
          fail_unexpected (p, "a digit in the exponent");
          return FALSE;
        }
      while (at_digit (p))
        p->pos++;
    }
  size_t n = p->pos - start;
  if (n > JSON_MAX_NUMBER_LEN)
    {
      fail (p, INV_JSON_ERROR_LIMIT, start, "number has %zu characters (at most %d)",
            n, JSON_MAX_NUMBER_LEN);
      return FALSE;
    }
  char buf[JSON_MAX_NUMBER_LEN + 1];
  memcpy (buf, p->s + start, n);
  buf[n] = '\0';
  char *end = NULL;
  double v = g_ascii_strtod (buf, &end);
  if (end != buf + n)
    {
      fail (p, INV_JSON_ERROR_SYNTAX, start, "malformed number");
      return FALSE;
    }
  if (!isfinite (v))
    {
      fail (p, INV_JSON_ERROR_LIMIT, start, "number %s is out of range", buf);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
match_literal (Parser *p, const char *word)
{
  size_t n = strlen (word);
  if (p->len - p->pos < n || memcmp (p->s + p->pos, word, n) != 0)
    return FALSE;
  p->pos += n;
  return TRUE;
}

static InvJson *
new_node (Parser *p, InvJsonType type)
{
  if (p->values >= INV_JSON_MAX_VALUES)
    {
      fail (p, INV_JSON_ERROR_LIMIT, p->pos, "more than %d values", INV_JSON_MAX_VALUES);
      return NULL;
    }
  p->values++;
  InvJson *j = g_new0 (InvJson, 1);
  j->type = type;
  return j;
}

/* Parses an array or object; p->pos holds '[' or '{'. */
static InvJson *
parse_container (Parser *p, gboolean is_object)
{
  if (p->depth >= INV_JSON_MAX_DEPTH)
    {
      fail (p, INV_JSON_ERROR_LIMIT, p->pos, "nesting deeper than %d levels",
            INV_JSON_MAX_DEPTH);
      return NULL;
    }
  g_autoptr (InvJson) node = new_node (p, is_object ? INV_JSON_OBJECT : INV_JSON_ARRAY);
  if (node == NULL)
    return NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) inv_json_free);
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  char close = is_object ? '}' : ']';

  p->depth++;
  p->pos++;
  skip_ws (p);
  if (p->pos < p->len && p->s[p->pos] == (unsigned char) close)
    p->pos++;
  else
    for (;;)
      {
        if (is_object)
          {
            if (p->pos >= p->len || p->s[p->pos] != '"')
              {
                fail_unexpected (p, "a string key");
                return NULL;
              }
            char *key = parse_string (p);
            if (key == NULL)
              return NULL;
            g_ptr_array_add (keys, key);
            skip_ws (p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
              {
                fail_unexpected (p, "':' after an object key");
                return NULL;
              }
            p->pos++;
            skip_ws (p);
          }
        InvJson *child = parse_value (p);
        if (child == NULL)
          return NULL;
        g_ptr_array_add (items, child);
        skip_ws (p);
        if (p->pos < p->len && p->s[p->pos] == ',')
          {
            p->pos++;
            skip_ws (p);
            continue;
          }
        if (p->pos < p->len && p->s[p->pos] == (unsigned char) close)
          {
            p->pos++;
            break;
          }
        fail_unexpected (p, is_object ? "',' or '}' in object" : "',' or ']' in array");
        return NULL;
      }
  p->depth--;

  node->n = items->len;
  node->items = (InvJson **) g_ptr_array_free (g_steal_pointer (&items), FALSE);
  if (is_object)
    node->keys = (char **) g_ptr_array_free (g_steal_pointer (&keys), FALSE);
  return g_steal_pointer (&node);
}

/* Parses one value at p->pos (whitespace already skipped). */
static InvJson *
parse_value (Parser *p)
{
  if (p->pos >= p->len)
    {
      fail_unexpected (p, "a value");
      return NULL;
    }
  size_t start = p->pos;
  unsigned char c = p->s[p->pos];
  InvJson *j;
  switch (c)
    {
    case '{':
      return parse_container (p, TRUE);
    case '[':
      return parse_container (p, FALSE);
    case '"':
      {
        char *s = parse_string (p);
        if (s == NULL)
          return NULL;
        j = new_node (p, INV_JSON_STRING);
        if (j == NULL)
          {
            g_free (s);
            return NULL;
          }
        j->string = s;
        return j;
      }
    case 't':
    case 'f':
    case 'n':
      {
        InvJsonType type = c == 'n' ? INV_JSON_NULL : INV_JSON_BOOL;
        if (!match_literal (p, c == 't' ? "true" : c == 'f' ? "false" : "null"))
          {
            fail (p, INV_JSON_ERROR_SYNTAX, start, "invalid literal");
            return NULL;
          }
        j = new_node (p, type);
        if (j != NULL)
          j->boolean = c == 't';
        return j;
      }
    default:
      if (c == '-' || (c >= '0' && c <= '9'))
        {
          double v;
          if (!parse_number (p, &v))
            return NULL;
          j = new_node (p, INV_JSON_NUMBER);
          if (j != NULL)
            j->number = v;
          return j;
        }
      fail_unexpected (p, "a value");
      return NULL;
    }
}

InvJson *
inv_json_parse (const char *text, size_t len, GError **error)
{
  g_return_val_if_fail (text != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  Parser p = { (const unsigned char *) text, len, 0, 0, 0, error };
  if (len > INV_JSON_MAX_INPUT)
    {
      fail (&p, INV_JSON_ERROR_LIMIT, 0, "input of %zu bytes exceeds the limit of %zu bytes",
            len, (size_t) INV_JSON_MAX_INPUT);
      return NULL;
    }
  skip_ws (&p);
  g_autoptr (InvJson) root = parse_value (&p);
  if (root == NULL)
    return NULL;
  skip_ws (&p);
  if (p.pos != len)
    {
      fail_unexpected (&p, "end of input after the value");
      return NULL;
    }
  return g_steal_pointer (&root);
}

void
inv_json_free (InvJson *j)
{
  if (j == NULL)
    return;
  for (size_t i = 0; i < j->n; i++)
    {
      inv_json_free (j->items[i]);
      if (j->keys != NULL)
        g_free (j->keys[i]);
    }
  g_free (j->items);
  g_free (j->keys);
  g_free (j->string);
  g_free (j);
}

const InvJson *
inv_json_get (const InvJson *obj, const char *key)
{
  if (obj == NULL || obj->type != INV_JSON_OBJECT || key == NULL)
    return NULL;
  for (size_t i = 0; i < obj->n; i++)
    if (strcmp (obj->keys[i], key) == 0)
      return obj->items[i];
  return NULL;
}

void
inv_json_escape (GString *out, const char *s)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (s != NULL);
  const unsigned char *u = (const unsigned char *) s;
  size_t len = strlen (s);
  g_string_append_c (out, '"');
  for (size_t i = 0; i < len;)
    {
      unsigned char c = u[i];
      if (c >= 0x80)
        {
          size_t n = utf8_sequence_len (u + i, len - i);
          if (n == 0)
            {
              /* Invalid UTF-8 would make the literal unparsable. */
              g_string_append (out, "\\ufffd");
              i++;
            }
          else
            {
              g_string_append_len (out, s + i, (gssize) n);
              i += n;
            }
          continue;
        }
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
        }
      i++;
    }
  g_string_append_c (out, '"');
}
