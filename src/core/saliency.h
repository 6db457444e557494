/* Saliency maps of a model's class logit z_c with respect to the input
 * pixels: gradient, gradient×input, SmoothGrad, Integrated Gradients, batched,
 * and per-orbit maps (optionally aligned back to the identity) for the grid.
 * Not the SIS metric (metrics.c). Size letters: B images, n = H*W pixels,
 * K classes, G group order. */
#pragma once
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include "group.h"
#include "model.h"

G_BEGIN_DECLS

#define INV_SALIENCY_ERROR (inv_saliency_error_quark ())
GQuark inv_saliency_error_quark (void);
typedef enum {
  INV_SALIENCY_ERROR_ARGS,     /* class out of range, bad option, size mismatch */
  INV_SALIENCY_ERROR_NOMEM,
} InvSaliencyError;

typedef enum {
  INV_SALIENCY_GRADIENT,       /* ∂z_c/∂x (what SIS uses) */
  INV_SALIENCY_GRADIENT_INPUT, /* x ⊙ ∂z_c/∂x */
  INV_SALIENCY_SMOOTHGRAD,     /* mean over samples of ∂z_c/∂x at x + σε, ε ~ N(0, I) */
  INV_SALIENCY_INTEGRATED,     /* Integrated Gradients from the black (all-zero) image */
} InvSaliencyMethod;
#define INV_SALIENCY_N_METHODS 4

/* Riemann rule of Integrated Gradients over α ∈ [0,1] with S steps:
 * MIDPOINT α_s = (s + ½)/S, s < S, weights 1/S (S gradients);
 * TRAPEZOID α_s = s/S, s ≤ S, weights 1/S with the ends halved (S + 1). */
typedef enum {
  INV_IG_MIDPOINT,
  INV_IG_TRAPEZOID,
} InvIgRule;

typedef struct {
  InvSaliencyMethod method;
  size_t samples;   /* SmoothGrad: noise samples (default 25) */
  double sigma;     /* SmoothGrad: noise std as a fraction of the pixel range [0,1] (default 0.15) */
  uint64_t seed;    /* SmoothGrad: sample s uses stream (seed, INV_SALIENCY_STREAM, s),
                     * the same noise for every image, so a map does not depend
                     * on its batch neighbours */
  size_t steps;     /* Integrated Gradients: S (default 64) */
  InvIgRule rule;   /* Integrated Gradients (default midpoint) */
} InvSaliencyOptions;

#define INV_SALIENCY_STREAM UINT64_C (0x534d4f4f54484752) /* "SMOOTHGR" */
/* As a class: the class the model predicts (on the identity image, for an orbit). */
#define INV_SALIENCY_PREDICTED ((size_t) -1)

void inv_saliency_options_init (InvSaliencyOptions *opt);
/* "gradient", "gradient-input", "smoothgrad", "integrated-gradients". */
const char *inv_saliency_method_name (InvSaliencyMethod method);
/* Also accepts the short forms "grad", "gradxinput", "ig". */
gboolean inv_saliency_method_from_name (const char *name, InvSaliencyMethod *method);

/* maps (B, n) = saliency of z_{classes[b]} at x (B, n) (pixels); classes (B),
 * each < K or INV_SALIENCY_PREDICTED (argmax at x). opt NULL = gradient.
 * Works in chunks of at most INV_SALIENCY_CHUNK rows per forward. */
#define INV_SALIENCY_CHUNK 256
gboolean inv_saliency_compute (InvModel *m, const InvSaliencyOptions *opt, float *maps,
                               const float *x, const size_t *classes, size_t B,
                               GError **error);

/* For the model's LAST forward over B rows: maps (B, n) = ∂z_{classes[b]}/∂x
 * by one backward pass with one-hot dlogits (classes each < K). The building
 * block of the batched gradient and of SIS. */
gboolean inv_saliency_backward_onehot (InvModel *m, float *maps, const size_t *classes,
                                       size_t B, GError **error);

/* One base image's orbit with saliency and predictions, for the grid. */
typedef struct {
  size_t G, n, K;
  size_t cls;       /* the class every map explains */
  gboolean aligned; /* maps[g] was moved back by g⁻¹ */
  float *images;    /* (G, n): g·x, identity first */
  float *maps;      /* (G, n): saliency of images[g] (aligned: g⁻¹·saliency) */
  float *logits;    /* (G, K) */
  float *probs;     /* (G, K): softmax of logits */
  size_t *pred;     /* (G): argmax of logits (first on ties) */
} InvSaliencyOrbit;

/* x (n) pixels; grp NULL = the model's group (it must act on H×W); cls < K or
 * INV_SALIENCY_PREDICTED (class predicted for the identity image); opt NULL =
 * gradient. */
InvSaliencyOrbit *inv_saliency_orbit (InvModel *m, const InvGroup *grp,
                                      const InvSaliencyOptions *opt, const float *x,
                                      size_t cls, gboolean align, GError **error);
void inv_saliency_orbit_free (InvSaliencyOrbit *o);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvSaliencyOrbit, inv_saliency_orbit_free)

G_END_DECLS
