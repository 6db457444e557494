/* Tests for the strict JSON reader: a table of valid documents compared
 * with a canonical dump written here, a table of invalid documents with the
 * byte offset each error must name, escapes, surrogates, depth and limits. */
#include "json.h"
#include <locale.h>
#include <math.h>
#include <string.h>

/* Canonical compact form: numbers as %.17g, strings raw between quotes
 * (the test inputs choose strings that need no escaping to compare). */
static void
dump (GString *out, const InvJson *j)
{
  switch (j->type)
    {
    case INV_JSON_NULL:
      g_string_append (out, "null");
      break;
    case INV_JSON_BOOL:
      g_string_append (out, j->boolean ? "true" : "false");
      break;
    case INV_JSON_NUMBER:
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.17g", j->number));
        break;
      }
    case INV_JSON_STRING:
      g_string_append_printf (out, "\"%s\"", j->string);
      break;
    case INV_JSON_ARRAY:
    case INV_JSON_OBJECT:
      g_string_append_c (out, j->type == INV_JSON_ARRAY ? '[' : '{');
      for (size_t i = 0; i < j->n; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          if (j->type == INV_JSON_OBJECT)
            g_string_append_printf (out, "\"%s\":", j->keys[i]);
          dump (out, j->items[i]);
        }
      g_string_append_c (out, j->type == INV_JSON_ARRAY ? ']' : '}');
      break;
    default:
      g_assert_not_reached ();
    }
}

typedef struct {
  const char *text;
  const char *canonical;
} ValidCase;

static const ValidCase valid_cases[] = {
  { "null", "null" },
  { " true ", "true" },
  { "\t\r\nfalse\n", "false" },
  { "0", "0" },
  { "-0", "-0" },
  { "7", "7" },
  { "-12.25", "-12.25" },
  { "1.5e3", "1500" },
  { "1E+2", "100" },
  { "25e-2", "0.25" },
  { "0.5", "0.5" },
  { "1e-400", "0" },
  { "123456789", "123456789" },
  { "\"\"", "\"\"" },
  { "\"abc\"", "\"abc\"" },
  { "\"a\x7f" "b\"", "\"a\x7f" "b\"" },
  { "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"", "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"" },
  { "\"\\u00e9\\u20AC\"", "\"\xc3\xa9\xe2\x82\xac\"" },
  { "\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"" },
  { "\"\\uDBFF\\uDFFF\"", "\"\xf4\x8f\xbf\xbf\"" },
  { "\"\\/\\t\"", "\"/\t\"" },
  { "[]", "[]" },
  { "{}", "{}" },
  { "[ ]", "[]" },
  { "{ }", "{}" },
  { "[[],{}]", "[[],{}]" },
  { "[1 , 2 ,3]", "[1,2,3]" },
  { " {\"a\" : [1 , {\"b\":null}] ,\"c\":true} ", "{\"a\":[1,{\"b\":null}],\"c\":true}" },
  { "{\"a\":1,\"a\":2}", "{\"a\":1,\"a\":2}" },
  { "{\"\":\"\"}", "{\"\":\"\"}" },
  { "[\"x\",-1,false,null,{\"k\":[[]]}]", "[\"x\",-1,false,null,{\"k\":[[]]}]" },
};

static void
test_valid (void)
{
  for (size_t i = 0; i < G_N_ELEMENTS (valid_cases); i++)
    {
      const ValidCase *c = &valid_cases[i];
      g_autoptr (GError) error = NULL;
      g_autoptr (InvJson) j = inv_json_parse (c->text, strlen (c->text), &error);
      g_assert_no_error (error);
      g_assert_nonnull (j);
      g_autoptr (GString) out = g_string_new (NULL);
      dump (out, j);
      g_assert_cmpstr (out->str, ==, c->canonical);
    }
}

typedef struct {
  const char *text;
  int len;            /* -1: strlen */
  InvJsonError code;
  size_t offset;      /* the byte the error must name */
} InvalidCase;

#define SYN INV_JSON_ERROR_SYNTAX
#define LIM INV_JSON_ERROR_LIMIT

static const InvalidCase invalid_cases[] = {
  { "", -1, SYN, 0 },
  { "   ", -1, SYN, 3 },
  { "[1,]", -1, SYN, 3 },
  { "{\"a\":1,}", -1, SYN, 7 },
  { "[1 2]", -1, SYN, 3 },
  { "{\"a\" 1}", -1, SYN, 5 },
  { "{1:2}", -1, SYN, 1 },
  { "{'a':2}", -1, SYN, 1 },
  { "{\"a\":}", -1, SYN, 5 },
  { "[", -1, SYN, 1 },
  { "{", -1, SYN, 1 },
  { "{\"a\"", -1, SYN, 4 },
  { "{\"a\":", -1, SYN, 5 },
  { "[1", -1, SYN, 2 },
  { "]", -1, SYN, 0 },
  { "01", -1, SYN, 0 },
  { "-01", -1, SYN, 1 },
  { "00", -1, SYN, 0 },
  { "1.", -1, SYN, 2 },
  { "1.e5", -1, SYN, 2 },
  { ".5", -1, SYN, 0 },
  { "+1", -1, SYN, 0 },
  { "1e", -1, SYN, 2 },
  { "1e+", -1, SYN, 3 },
  { "-", -1, SYN, 1 },
  { "- 1", -1, SYN, 1 },
  { "0x10", -1, SYN, 1 },
  { "NaN", -1, SYN, 0 },
  { "Infinity", -1, SYN, 0 },
  { "-Infinity", -1, SYN, 1 },
  { "tru", -1, SYN, 0 },
  { "nul", -1, SYN, 0 },
  { "True", -1, SYN, 0 },
  { "truex", -1, SYN, 4 },
  { "[1] x", -1, SYN, 4 },
  { "1 2", -1, SYN, 2 },
  { "// c\n1", -1, SYN, 0 },
  { "/* c */ 1", -1, SYN, 0 },
  { "[1 /* c */]", -1, SYN, 3 },
  { "\"abc", -1, SYN, 4 },
  { "\"abc\\", -1, SYN, 5 },
  { "\"a\x01\"", -1, SYN, 2 },
  { "\"a\nb\"", -1, SYN, 2 },
  { "\"a\tb\"", -1, SYN, 2 },
  { "\"\\x\"", -1, SYN, 1 },
  { "\"\\'\"", -1, SYN, 1 },
  { "\"\\u12\"", -1, SYN, 3 },
  { "\"\\u12g4\"", -1, SYN, 5 },
  { "\"\\U0041\"", -1, SYN, 1 },
  { "\"\\u0000\"", -1, SYN, 1 },
  { "\"\\ud800\"", -1, SYN, 1 },
  { "\"\\udc00\"", -1, SYN, 1 },
  { "\"\\udfff\\ud800\"", -1, SYN, 1 },
  { "\"\\ud800\\u0041\"", -1, SYN, 1 },
  { "\"\\ud800\\ud800\"", -1, SYN, 1 },
  { "\"\\ud800x\"", -1, SYN, 1 },
  { "\"a\\ud83d\\ude0\"", -1, SYN, 2 + 6 + 2 + 3 },
  { "\"\xff\"", -1, SYN, 1 },
  { "\"\x80\"", -1, SYN, 1 },
  { "\"\xc0\xaf\"", -1, SYN, 1 },             /* overlong '/' */
  { "\"\xc1\xbf\"", -1, SYN, 1 },
  { "\"\xe0\x80\xaf\"", -1, SYN, 1 },         /* overlong, 3 bytes */
  { "\"\xf0\x80\x80\xaf\"", -1, SYN, 1 },     /* overlong, 4 bytes */
  { "\"\xed\xa0\x80\"", -1, SYN, 1 },         /* encoded surrogate */
  { "\"ab\xe2\x82\"", -1, SYN, 3 },           /* truncated sequence */
  { "\"\xe2\x82", -1, SYN, 1 },
  { "\"\xf4\x90\x80\x80\"", -1, SYN, 1 },     /* above U+10FFFF */
  { "\"\xf5\x80\x80\x80\"", -1, SYN, 1 },
  { "\"\xc3\x28\"", -1, SYN, 1 },
  { "[\xc3\xa9]", -1, SYN, 1 },
  { "\xef\xbb\xbf{}", -1, SYN, 0 },            /* byte order mark */
  { "[1,\0]", 5, SYN, 3 },
  { "\"a\0b\"", 5, SYN, 2 },
  { "{}\0", 3, SYN, 2 },
  { "1e400", -1, LIM, 0 },
  { "[-1e400]", -1, LIM, 1 },
  { "[1,2e999999999]", -1, LIM, 3 },
};

static void
test_invalid (void)
{
  for (size_t i = 0; i < G_N_ELEMENTS (invalid_cases); i++)
    {
      const InvalidCase *c = &invalid_cases[i];
      size_t len = c->len < 0 ? strlen (c->text) : (size_t) c->len;
      g_autoptr (GError) error = NULL;
      InvJson *j = inv_json_parse (c->text, len, &error);
      g_autofree char *prefix = g_strdup_printf ("byte %zu: ", c->offset);
      if (j != NULL || !g_error_matches (error, INV_JSON_ERROR, (gint) c->code)
          || !g_str_has_prefix (error->message, prefix))
        {
          g_autofree char *shown = g_strescape (c->text, NULL);
          g_test_fail_printf ("case %zu \"%s\": expected code %d and \"%s...\", got %s",
                              i, shown, c->code, prefix, error ? error->message : "success");
          inv_json_free (j);
          continue;
        }
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
    }
}

/* Parsing must never read past len: the input is copied into an exact-size
 * heap buffer so ASan catches any overread, and every prefix is tried. */
static void
test_prefixes (void)
{
  const char *doc = "{\"a\":[1.5e3,-0,\"\\ud83d\\ude00\\n\xc3\xa9\",true,false,null,{}],\"b\":\"x\"}";
  size_t n = strlen (doc);
  for (size_t len = 0; len <= n; len++)
    {
      char *buf = g_malloc (len ? len : 1);
      memcpy (buf, doc, len);
      g_autoptr (GError) error = NULL;
      g_autoptr (InvJson) j = inv_json_parse (buf, len, &error);
      if (len < n)
        {
          g_assert_null (j);
          g_assert_error (error, INV_JSON_ERROR, INV_JSON_ERROR_SYNTAX);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_cmpint (j->type, ==, INV_JSON_OBJECT);
        }
      g_free (buf);
    }
}

static void
test_get (void)
{
  const char *doc = "{\"a\":1,\"b\":{\"c\":\"d\"},\"a\":2}";
  g_autoptr (InvJson) j = inv_json_parse (doc, strlen (doc), NULL);
  g_assert_nonnull (j);
  g_assert_cmpuint (j->n, ==, 3);
  g_assert_cmpstr (j->keys[2], ==, "a");
  const InvJson *a = inv_json_get (j, "a");
  g_assert_nonnull (a);
  g_assert_cmpfloat (a->number, ==, 1.0);   /* the first of duplicates */
  const InvJson *c = inv_json_get (inv_json_get (j, "b"), "c");
  g_assert_nonnull (c);
  g_assert_cmpstr (c->string, ==, "d");
  g_assert_null (inv_json_get (j, "z"));
  g_assert_null (inv_json_get (a, "a"));     /* not an object */
  g_assert_null (inv_json_get (NULL, "a"));
}

static void
test_numbers (void)
{
  static const struct { const char *text; double value; } cases[] = {
    { "3.141592653589793", G_PI },
    { "1e308", 1e308 },
    { "1.7976931348623157e308", G_MAXDOUBLE },
    { "2.2250738585072014e-308", G_MINDOUBLE },
    { "4.9e-324", 4.9e-324 },
    { "9007199254740993", 9007199254740992.0 },
    { "123456789012345678", 123456789012345678.0 },
    { "-0.0", -0.0 },
    { "0e0", 0.0 },
    { "1E1", 10.0 },
    { "0.1", 0.1 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (InvJson) j = inv_json_parse (cases[i].text, strlen (cases[i].text), &error);
      g_assert_no_error (error);
      g_assert_cmpint (j->type, ==, INV_JSON_NUMBER);
      g_assert_true (j->number == cases[i].value);
      g_assert_cmpint (!!signbit (j->number), ==, !!signbit (cases[i].value));
    }

  /* A number followed by more digits than the bounded copy allows. */
  g_autoptr (GString) long_num = g_string_new ("0.");
  for (int i = 0; i < 300; i++)
    g_string_append_c (long_num, '1');
  g_autoptr (GError) error = NULL;
  g_assert_null (inv_json_parse (long_num->str, long_num->len, &error));
  g_assert_error (error, INV_JSON_ERROR, INV_JSON_ERROR_LIMIT);
}

/* g_ascii_strtod must be used: a locale with a decimal comma changes nothing. */
static void
test_numbers_locale (void)
{
  static const char *const locales[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "nl_NL.UTF-8" };
  const char *set = NULL;
  for (size_t i = 0; i < G_N_ELEMENTS (locales) && set == NULL; i++)
    set = setlocale (LC_NUMERIC, locales[i]);
  if (set == NULL)
    {
      g_test_skip ("no locale with a decimal comma is installed");
      return;
    }
  g_autoptr (InvJson) j = inv_json_parse ("[2.5,1e-1]", 10, NULL);
  setlocale (LC_NUMERIC, "C");
  g_assert_nonnull (j);
  g_assert_true (j->items[0]->number == 2.5);
  g_assert_true (j->items[1]->number == 0.1);
}

static char *
nested (size_t depth, gboolean objects)
{
  GString *s = g_string_new (NULL);
  for (size_t i = 0; i < depth; i++)
    g_string_append (s, objects ? "{\"k\":" : "[");
  g_string_append (s, "1");
  for (size_t i = 0; i < depth; i++)
    g_string_append_c (s, objects ? '}' : ']');
  return g_string_free (s, FALSE);
}

static void
test_depth (void)
{
  for (int objects = 0; objects <= 1; objects++)
    {
      g_autofree char *ok = nested (INV_JSON_MAX_DEPTH, objects);
      g_autoptr (GError) error = NULL;
      g_autoptr (InvJson) j = inv_json_parse (ok, strlen (ok), &error);
      g_assert_no_error (error);
      size_t depth = 0;
      for (const InvJson *k = j; k->type != INV_JSON_NUMBER; k = k->items[0])
        depth++;
      g_assert_cmpuint (depth, ==, INV_JSON_MAX_DEPTH);

      g_autofree char *deep = nested (INV_JSON_MAX_DEPTH + 1, objects);
      g_assert_null (inv_json_parse (deep, strlen (deep), &error));
      g_assert_error (error, INV_JSON_ERROR, INV_JSON_ERROR_LIMIT);
      g_clear_error (&error);
    }

  /* Far too deep, unterminated: must fail at the limit, not overflow the stack. */
  size_t n = 1000000;
  g_autofree char *brackets = g_malloc (n);
  memset (brackets, '[', n);
  g_autoptr (GError) error = NULL;
  g_assert_null (inv_json_parse (brackets, n, &error));
  g_assert_error (error, INV_JSON_ERROR, INV_JSON_ERROR_LIMIT);
  g_autofree char *prefix = g_strdup_printf ("byte %d: ", INV_JSON_MAX_DEPTH);
  g_assert_true (g_str_has_prefix (error->message, prefix));
}

static void
test_value_limit (void)
{
  /* [0,0,...] with one value too many (the array itself counts). */
  size_t zeros = INV_JSON_MAX_VALUES;
  g_autoptr (GString) s = g_string_sized_new (2 * zeros + 2);
  g_string_append_c (s, '[');
  for (size_t i = 0; i < zeros; i++)
    g_string_append (s, i ? ",0" : "0");
  g_string_append_c (s, ']');
  g_autoptr (GError) error = NULL;
  g_assert_null (inv_json_parse (s->str, s->len, &error));
  g_assert_error (error, INV_JSON_ERROR, INV_JSON_ERROR_LIMIT);

  /* One fewer fits. */
  g_string_truncate (s, s->len - 3);
  g_string_append_c (s, ']');
  g_clear_error (&error);
  g_autoptr (InvJson) j = inv_json_parse (s->str, s->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (j->n, ==, zeros - 1);
}

static void
utf8_of (guint32 cp, char out[8])
{
  int n = g_unichar_to_utf8 (cp, out);
  out[n] = '\0';
}

/* Every code point written as a \u escape (a surrogate pair above U+FFFF)
 * decodes to its UTF-8 encoding; g_unichar_to_utf8 is the reference. */
static void
test_unicode_escapes (void)
{
  for (guint32 cp = 1; cp <= 0x10ffff; cp += cp < 0x10000 ? 1 : 61)
    {
      if (cp >= 0xd800 && cp <= 0xdfff)
        continue;
      char text[32];
      if (cp < 0x10000)
        g_snprintf (text, sizeof text, "\"\\u%04X\"", cp);
      else
        {
          guint32 v = cp - 0x10000;
          g_snprintf (text, sizeof text, "\"\\u%04x\\u%04X\"", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
        }
      g_autoptr (InvJson) j = inv_json_parse (text, strlen (text), NULL);
      g_assert_nonnull (j);
      char expect[8];
      utf8_of (cp, expect);
      g_assert_cmpstr (j->string, ==, expect);
    }
  /* The last code point, exactly. */
  g_autoptr (InvJson) j = inv_json_parse ("\"\\udbff\\udfff\"", 14, NULL);
  char expect[8];
  utf8_of (0x10ffff, expect);
  g_assert_cmpstr (j->string, ==, expect);
}

static void
test_escape_exact (void)
{
  g_autoptr (GString) out = g_string_new (NULL);
  inv_json_escape (out, "a\"b\\c\n\x01\x1f/\xc3\xa9");
  g_assert_cmpstr (out->str, ==, "\"a\\\"b\\\\c\\n\\u0001\\u001f/\xc3\xa9\"");
  g_string_truncate (out, 0);
  inv_json_escape (out, "");
  g_assert_cmpstr (out->str, ==, "\"\"");
  g_string_assign (out, "x=");
  inv_json_escape (out, "\b\f\r\t");
  g_assert_cmpstr (out->str, ==, "x=\"\\b\\f\\r\\t\"");
}

static void
test_escape_roundtrip (void)
{
  char controls[32];
  for (int i = 1; i < 32; i++)
    controls[i - 1] = (char) i;
  controls[31] = '\0';
  const char *cases[] = {
    "", "plain", "\"", "\\", "\"\\\"\\\\", "\\u0041", "\\", "a\\nb",
    controls, "\x7f", "tab\there", "</script>", "{\"a\":[1,2]}",
    "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
    "\xe2\x80\xa8\xe2\x80\xa9", "\xef\xbb\xbf" "bom", "'single'",
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      inv_json_escape (out, cases[i]);
      for (size_t k = 0; k < out->len; k++)
        g_assert_cmpint ((unsigned char) out->str[k], >=, 0x20);
      g_autoptr (GError) error = NULL;
      g_autoptr (InvJson) j = inv_json_parse (out->str, out->len, &error);
      g_assert_no_error (error);
      g_assert_cmpint (j->type, ==, INV_JSON_STRING);
      g_assert_cmpstr (j->string, ==, cases[i]);
    }

  /* Random byte strings: invalid UTF-8 becomes U+FFFD, so the literal
   * always parses, and valid UTF-8 input comes back unchanged. */
  GRand *rand = g_rand_new_with_seed (42);
  for (int round = 0; round < 2000; round++)
    {
      char s[24];
      int n = g_rand_int_range (rand, 0, (int) sizeof s);
      for (int k = 0; k < n; k++)
        s[k] = (char) g_rand_int_range (rand, 1, 256);
      s[n] = '\0';
      g_autoptr (GString) out = g_string_new (NULL);
      inv_json_escape (out, s);
      g_autoptr (GError) error = NULL;
      g_autoptr (InvJson) j = inv_json_parse (out->str, out->len, &error);
      g_assert_no_error (error);
      if (g_utf8_validate (s, -1, NULL))
        g_assert_cmpstr (j->string, ==, s);
      else
        g_assert_nonnull (strstr (j->string, "\xef\xbf\xbd"));
    }
  g_rand_free (rand);
}

/* Random mutations of a valid document: every result either parses or
 * fails with an error; ASan checks the memory side. */
static void
test_mutations (void)
{
  const char *doc = "{\"__metadata__\":{\"k\":\"v\\u00e9\"},\"t\":{\"dtype\":\"F32\",\"shape\":[2,3],"
                    "\"data_offsets\":[0,24]},\"u\":[true,false,null,-1.5e-3,\"\\ud83d\\ude00\"]}";
  size_t n = strlen (doc);
  GRand *rand = g_rand_new_with_seed (7);
  static const char alphabet[] = "{}[],:\"\\u0123456789eE+-. tfnlrsa\x80\xc3\xed\xf0\x01";
  for (int round = 0; round < 20000; round++)
    {
      char *buf = g_memdup2 (doc, n);
      int edits = g_rand_int_range (rand, 1, 4);
      for (int e = 0; e < edits; e++)
        buf[g_rand_int_range (rand, 0, (int) n)] =
          alphabet[g_rand_int_range (rand, 0, (int) sizeof alphabet - 1)];
      size_t len = (size_t) g_rand_int_range (rand, 0, (int) n + 1);
      g_autoptr (GError) error = NULL;
      InvJson *j = inv_json_parse (buf, len, &error);
      g_assert_true ((j == NULL) != (error == NULL));
      inv_json_free (j);
      g_free (buf);
    }
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json/valid", test_valid);
  g_test_add_func ("/json/invalid", test_invalid);
  g_test_add_func ("/json/prefixes", test_prefixes);
  g_test_add_func ("/json/get", test_get);
  g_test_add_func ("/json/numbers", test_numbers);
  g_test_add_func ("/json/numbers-locale", test_numbers_locale);
  g_test_add_func ("/json/depth", test_depth);
  g_test_add_func ("/json/value-limit", test_value_limit);
  g_test_add_func ("/json/unicode-escapes", test_unicode_escapes);
  g_test_add_func ("/json/escape-exact", test_escape_exact);
  g_test_add_func ("/json/escape-roundtrip", test_escape_roundtrip);
  g_test_add_func ("/json/mutations", test_mutations);
  return g_test_run ();
}
