/* Finite groups acting on square H×W images by exact pixel permutations:
 * c4, d4, flip and cyclic translations (trans, k×k shifts). G is the group
 * order; images are single-channel, row 0 at the top. Not a general group
 * library: only what the models, metrics and figures need. */
#pragma once
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

#define INV_GROUP_ERROR (inv_group_error_quark ())
GQuark inv_group_error_quark (void);
typedef enum {
  INV_GROUP_ERROR_UNKNOWN,
  INV_GROUP_ERROR_SIZE,
} InvGroupError;

typedef enum {
  INV_GROUP_C4,
  INV_GROUP_D4,
  INV_GROUP_FLIP,
  INV_GROUP_TRANS,
} InvGroupKind;

typedef struct {
  InvGroupKind kind;
  char name[16];     /* "c4", "d4", "flip", "trans" or "trans:k" */
  size_t order;      /* G */
  size_t h, w;       /* image size it acts on */
  size_t k;          /* trans: shifts per axis (k*k elements); else 0 */
  uint32_t *perm;    /* (G, H*W): (g·x)[p] = x[perm[g*H*W + p]], i.e. perm = g⁻¹(p) */
  size_t *inverse;   /* (G): index of g⁻¹ */
  size_t *table;     /* (G, G): table[a*G + b] = index of a·b (apply b, then a) */
  char **labels;     /* (G) short labels: "0°", "90°", "m·90°", "↓7 →14" */
} InvGroup;

/* Limits on what a model file or --group value can ask for: the order G
 * (the G×G table) and the permutation entries G·H·W (64 MiB). */
#define INV_GROUP_MAX_ORDER 1024
#define INV_GROUP_MAX_ENTRIES (1 << 24)

/* name: "c4", "d4", "flip", "trans" (k = 4) or "trans:K". Sizes must suit
 * the group (square for rotations, divisible by k for trans). */
InvGroup *inv_group_new (const char *name, size_t h, size_t w, GError **error);
void inv_group_free (InvGroup *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvGroup, inv_group_free)

/* out (H*W) = g·in; out != in. */
void inv_group_apply (const InvGroup *grp, size_t g, float *out, const float *in);
void inv_group_apply_u8 (const InvGroup *grp, size_t g, uint8_t *out, const uint8_t *in);
/* Orbit of in: out (G, H*W), identity first. */
void inv_group_orbit (const InvGroup *grp, float *out, const float *in);
static inline size_t inv_group_mul (const InvGroup *grp, size_t a, size_t b)
{ return grp->table[a * grp->order + b]; }

G_END_DECLS
