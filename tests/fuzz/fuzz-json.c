/* libFuzzer target: the strict JSON reader of safetensors headers. Checks
 * the tree it returns against its own invariants. */
#include "fuzz-common.h"
#include "json.h"
#include <math.h>
#include <string.h>

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

static void
check_tree (const InvJson *j, size_t depth)
{
  g_assert (depth <= INV_JSON_MAX_DEPTH + 1);
  switch (j->type)
    {
    case INV_JSON_STRING:
      g_assert (j->string != NULL);
      g_assert (g_utf8_validate (j->string, -1, NULL));
      break;
    case INV_JSON_ARRAY:
    case INV_JSON_OBJECT:
      for (size_t i = 0; i < j->n; i++)
        {
          g_assert (j->items[i] != NULL);
          check_tree (j->items[i], depth + 1);
          if (j->type == INV_JSON_OBJECT)
            {
              g_assert (j->keys[i] != NULL);
              /* inv_json_get returns the first member of that name. */
              const InvJson *first = inv_json_get (j, j->keys[i]);
              g_assert (first != NULL);
            }
        }
      break;
    case INV_JSON_NUMBER:
      g_assert (isfinite (j->number));
      break;
    case INV_JSON_NULL:
    case INV_JSON_BOOL:
      break;
    default:
      g_assert_not_reached ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvJson) j = inv_json_parse ((const char *) data, size, &error);
  g_assert ((j == NULL) == (error != NULL));
  if (!j)
    return 0;
  check_tree (j, 0);
  /* A document that parsed has no NUL byte outside strings, so a string
   * value re-escaped parses back to the same text. */
  if (j->type == INV_JSON_STRING)
    {
      g_autoptr (GString) s = g_string_new (NULL);
      inv_json_escape (s, j->string);
      g_autoptr (InvJson) back = inv_json_parse (s->str, s->len, &error);
      g_assert (back != NULL && back->type == INV_JSON_STRING);
      g_assert (strcmp (back->string, j->string) == 0);
    }
  return 0;
}
