/* The four model kinds of the design (mlp, cnn, tied-mlp, gcnn): parameters
 * in one flat block with named views, forward and backward passes over a
 * batch, and safetensors checkpoints. Inputs are pixels in [0,1]; the model
 * standardizes them with its own mean/std. Size letters: B batch, n = H*W
 * pixels, K classes, G group order. A model is not thread safe: give each
 * thread its own copy (inv_model_copy). */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "group.h"

G_BEGIN_DECLS

#define INV_MODEL_ERROR (inv_model_error_quark ())
GQuark inv_model_error_quark (void);
typedef enum {
  INV_MODEL_ERROR_ARCH,     /* unsupported kind/group/size combination */
  INV_MODEL_ERROR_FILE,     /* checkpoint does not describe a valid model */
  INV_MODEL_ERROR_NOMEM,
} InvModelError;

typedef enum {
  INV_MODEL_MLP,
  INV_MODEL_CNN,
  INV_MODEL_TIED_MLP,
  INV_MODEL_GCNN,
} InvModelKind;

#define INV_MODEL_FORMAT_VERSION 1
#define INV_MODEL_MAX_LAYERS 8
#define INV_MODEL_MAX_PARAMS 16

typedef struct {
  /* mlp, tied-mlp: hidden widths (default 256, 256). cnn: conv channels
   * (16, 32) then fc width in fc (128). gcnn: channels per layer
   * (8, 16, 16, 16; trans: 8, 16). */
  size_t n_layers;
  size_t width[INV_MODEL_MAX_LAYERS];
  size_t fc;
} InvModelArch;

typedef struct {
  char name[32];       /* PyTorch-style: "fc1.weight", "conv2.bias" */
  size_t ndim;
  size_t shape[5];
  size_t numel;
  size_t offset;       /* into params / grads */
} InvParam;

typedef struct InvModelWork InvModelWork;

typedef struct {
  InvModelKind kind;
  InvGroup *group;         /* acts on H×W images (owned) */
  InvGroup *fgroup;        /* gcnn c4/d4/flip: acts on k×k filters (owned), else NULL */
  size_t h, w, n_classes;  /* H, W, K */
  InvModelArch arch;
  float mean, std;         /* input standardization */

  /* parameters, gradients: one flat block each, with named views */
  size_t n_params;
  float *params;           /* (n_params) */
  float *grads;            /* (n_params) */
  InvParam views[INV_MODEL_MAX_PARAMS];
  size_t n_views;

  /* provenance, saved in __metadata__ */
  char *dataset;           /* data set spec it was trained on */
  double lambda;           /* invariance-error weight it was trained with */
  char *train_config;      /* JSON object text, or NULL */
  char **class_names;      /* (K) NULL-terminated, or NULL */

  InvModelWork *work;      /* activations for backward, sized for the largest batch seen */
} InvModel;

const char *inv_model_kind_name (InvModelKind kind);
gboolean inv_model_kind_from_name (const char *name, InvModelKind *kind);
/* TRUE for the kinds that are invariant by construction. */
gboolean inv_model_kind_is_tied (InvModelKind kind);
/* The default architecture of a kind (for a group; gcnn on trans differs). */
void inv_model_arch_default (InvModelKind kind, const char *group, InvModelArch *arch);

/* A freshly initialized model (He-style, from seed). arch NULL = defaults. */
InvModel *inv_model_new (InvModelKind kind, const char *group, size_t h, size_t w,
                         size_t n_classes, const InvModelArch *arch, uint64_t seed,
                         GError **error);
void inv_model_free (InvModel *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvModel, inv_model_free)
/* Deep copy of parameters and metadata; fresh workspace and zero grads. */
InvModel *inv_model_copy (const InvModel *m);
const InvParam *inv_model_find_param (const InvModel *m, const char *name);

/* logits (B,K) = f(x), x (B, H*W) pixels. Keeps activations for a
 * following backward. FALSE only if the workspace cannot be allocated. */
gboolean inv_model_forward (InvModel *m, float *logits, const float *x, size_t B,
                            GError **error);
/* Backward of the last forward, given dlogits (B,K): its first B rows (B
 * may be smaller than the forward's). If param_grads, ADDS
 * the parameter gradients into m->grads. If dx is non-NULL, WRITES the
 * gradient with respect to the input pixels, dx (B, H*W). */
void inv_model_backward (InvModel *m, float *dx, const float *dlogits, size_t B,
                         gboolean param_grads);
void inv_model_zero_grad (InvModel *m);
/* Threads a forward or backward pass uses: the BLAS thread count set with
 * inv_blas_set_threads. A pass over enough rows splits them into that many
 * shards, runs them in parallel with single-threaded BLAS, and adds the
 * shards' parameter gradients in a fixed order: results depend on the
 * thread count, never on timing. */
int inv_model_threads (void);
/* Runs fn (data, begin, end) over [0, n) cut into contiguous ranges of at
 * least min_chunk, one per thread of inv_model_threads (), in parallel (on
 * the threads the passes use). For reproducible results fn must give the
 * same numbers however [0, n) is cut (no sums across ranges). */
typedef void (*InvRangeFunc) (gpointer data, size_t begin, size_t end);
void inv_model_parallel_for (size_t n, size_t min_chunk, InvRangeFunc fn, gpointer data);

/* The first layer as a matrix (fc: out×n; conv: out×(in·k·k)); for
 * tied-mlp the effective (tied) weight. Returns a new buffer (rows, cols), g_free. */
float *inv_model_first_layer (const InvModel *m, size_t *rows, size_t *cols);

/* safetensors checkpoints (atomic save; load validates everything). */
gboolean inv_model_save (const InvModel *m, const char *path, GError **error);
InvModel *inv_model_load (const char *path, GError **error);

G_END_DECLS
