/* A small strict JSON reader for safetensors headers: objects, arrays,
 * strings (with \u escapes to UTF-8), numbers, true/false/null. Bounded
 * nesting depth and input size; rejects trailing garbage. Not a writer:
 * writers build JSON with GString and inv_json_escape. */
#pragma once
#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

#define INV_JSON_ERROR (inv_json_error_quark ())
GQuark inv_json_error_quark (void);
typedef enum { INV_JSON_ERROR_SYNTAX, INV_JSON_ERROR_LIMIT } InvJsonError;

#define INV_JSON_MAX_DEPTH 64
/* Bounds that keep a hostile document's memory use proportional to a sane
 * header: input bytes, and values (each costs a node of ~64 bytes). */
#define INV_JSON_MAX_INPUT ((size_t) 256 << 20)
#define INV_JSON_MAX_VALUES (1 << 20)

typedef enum {
  INV_JSON_NULL, INV_JSON_BOOL, INV_JSON_NUMBER, INV_JSON_STRING,
  INV_JSON_ARRAY, INV_JSON_OBJECT,
} InvJsonType;

typedef struct InvJson InvJson;
struct InvJson {
  InvJsonType type;
  gboolean boolean;
  double number;
  char *string;          /* STRING: UTF-8, NUL-terminated (embedded NUL rejected) */
  size_t n;              /* ARRAY/OBJECT: number of children */
  InvJson **items;       /* ARRAY/OBJECT children (n) */
  char **keys;           /* OBJECT keys (n), in document order */
};

/* Parses len bytes (not necessarily NUL-terminated). Error messages give
 * the byte offset. */
InvJson *inv_json_parse (const char *text, size_t len, GError **error);
void inv_json_free (InvJson *j);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvJson, inv_json_free)
/* First member named key of an object, or NULL. */
const InvJson *inv_json_get (const InvJson *obj, const char *key);
/* Appends s as a quoted JSON string. */
void inv_json_escape (GString *out, const char *s);

G_END_DECLS
