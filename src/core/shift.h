/* Distribution shifts of H×W images with pixels in [0,1]: noise, uniform,
 * blur, contrast, invert, occlude and mix, each with a severity s in [0,1]
 * (s = 0 is the identity), composed in list order. Every random draw comes
 * from the stream (seed, position in the list, image index). Not an
 * augmentation library: no geometry (the groups do that). */
#pragma once
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include "dataset.h"

G_BEGIN_DECLS

#define INV_SHIFT_ERROR (inv_shift_error_quark ())
GQuark inv_shift_error_quark (void);
typedef enum {
  INV_SHIFT_ERROR_PARSE,   /* malformed shift list text */
  INV_SHIFT_ERROR_RANGE,   /* severity not a finite number in [0,1] */
  INV_SHIFT_ERROR_FULL,    /* more than INV_SHIFT_MAX shifts */
  INV_SHIFT_ERROR_SOURCE,  /* mix with s > 0 but no usable other data set */
  INV_SHIFT_ERROR_SIZE,    /* zero or overflowing image size */
} InvShiftError;

typedef enum {
  INV_SHIFT_NOISE,
  INV_SHIFT_UNIFORM,
  INV_SHIFT_BLUR,
  INV_SHIFT_CONTRAST,
  INV_SHIFT_INVERT,
  INV_SHIFT_OCCLUDE,
  INV_SHIFT_MIX,
  INV_SHIFT_N_KINDS
} InvShiftKind;

#define INV_SHIFT_MAX 8

typedef struct {
  InvShiftKind kind;
  double severity;              /* s in [0, 1] */
} InvShift;

typedef struct {
  InvShift items[INV_SHIFT_MAX];/* applied items[0] first */
  size_t n;
  uint64_t seed;
  const InvSplit *mix_source;   /* borrowed: the "other" data set of mix, or NULL */
  size_t mix_h, mix_w;          /* its image size */
} InvShiftList;

/* "noise", "uniform", ...; NULL for an invalid kind. */
const char *inv_shift_kind_name (InvShiftKind kind);
gboolean inv_shift_kind_from_name (const char *name, InvShiftKind *kind);

/* An empty list (the identity) with this seed and no mix source. */
void inv_shift_list_init (InvShiftList *list, uint64_t seed);
/* Appends one shift; checks the severity and the capacity. */
gboolean inv_shift_list_add (InvShiftList *list, InvShiftKind kind, double severity,
                             GError **error);
/* Replaces the items of list by those of text, "KIND=S[,KIND=S...]" (or
 * "none" for no shift); keeps seed and mix source. Strict: known kinds,
 * severities finite decimals in [0,1], no empty items, no spaces. On failure
 * list is unchanged and the error names the offending item. */
gboolean inv_shift_list_parse (InvShiftList *list, const char *text, GError **error);
/* The other data set of mix (borrowed; must outlive the list's use). */
void inv_shift_list_set_mix_source (InvShiftList *list, const InvSplit *src,
                                    size_t h, size_t w);
/* "noise=0.5,blur=0.2" (shortest severities that parse back exactly), or
 * "none" for an empty list. g_free. */
char *inv_shift_list_to_string (const InvShiftList *list);
/* TRUE when applying list changes nothing (no items, or all s = 0). */
gboolean inv_shift_list_is_identity (const InvShiftList *list);
/* Checks that list can be applied to h×w images (sizes, mix source). */
gboolean inv_shift_list_validate (const InvShiftList *list, size_t h, size_t w,
                                  GError **error);

/* out (H*W) = list applied to in (H*W), image number index. out may equal
 * in. Fails only where inv_shift_list_validate fails. */
gboolean inv_shift_apply (const InvShiftList *list, size_t index, float *out,
                          const float *in, size_t h, size_t w, GError **error);
/* B images: out (B, H*W), in (B, H*W); image b has index first_index + b. */
gboolean inv_shift_apply_batch (const InvShiftList *list, size_t first_index,
                                float *out, const float *in, size_t B,
                                size_t h, size_t w, GError **error);

G_END_DECLS
