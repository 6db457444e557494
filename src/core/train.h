/* Training: orbit-expanded mini-batches, the design's loss (cross-entropy +
 * λ · invariance error), Adam or SGD with momentum over the flat parameter
 * block. Step-wise so a GUI worker can interleave models, pause and cancel;
 * inv_trainer_run drives whole epochs with a progress callback. */
#pragma once
#include <gio/gio.h>
#include "dataset.h"
#include "model.h"

G_BEGIN_DECLS

#define INV_TRAIN_ERROR (inv_train_error_quark ())
GQuark inv_train_error_quark (void);
typedef enum {
  INV_TRAIN_ERROR_CONFIG,
  INV_TRAIN_ERROR_DIVERGED,   /* non-finite loss or gradient */
  INV_TRAIN_ERROR_CANCELLED,
} InvTrainError;

typedef enum { INV_OPTIMIZER_ADAM, INV_OPTIMIZER_SGD } InvOptimizer;
typedef enum { INV_AUGMENT_ORBIT, INV_AUGMENT_NONE } InvAugment;

typedef struct {
  double lambda;          /* invariance-error weight λ */
  InvAugment augment;
  size_t orbit_samples;   /* m group elements per image (0 = the whole orbit) */
  size_t epochs;
  size_t batch;           /* base images per step */
  InvOptimizer optimizer;
  double lr;
  double momentum;        /* SGD */
  double beta1, beta2, eps; /* Adam */
  uint64_t seed;
  size_t limit;           /* first N training images (0 = all) */
  gboolean share_orbits;  /* models invariant by construction: orbit copies share
                           * one pass (same loss and gradient; default TRUE) */
} InvTrainConfig;

void inv_train_config_init (InvTrainConfig *cfg);
/* The configuration as a JSON object (saved in checkpoints). */
char *inv_train_config_to_json (const InvTrainConfig *cfg, const char *dataset, int threads);

typedef struct {
  size_t epoch;           /* 1-based epoch of the step just done */
  size_t epochs;
  size_t step;            /* steps done so far, overall */
  size_t total_steps;
  size_t images;          /* images seen so far, orbit copies counted */
  double loss;            /* loss of the last step */
  double ce, penalty;     /* its two parts */
  double elapsed;         /* seconds */
  double images_per_sec;  /* orbit copies counted */
  double eta;             /* seconds left */
  gboolean epoch_done;    /* this step completed an epoch */
} InvTrainProgress;

/* Return FALSE to stop training (as a cancel). */
typedef gboolean (*InvTrainProgressFunc) (const InvTrainProgress *p, gpointer user_data);

typedef struct InvTrainer InvTrainer;

/* model and ds are borrowed and must outlive the trainer. Sets the model's
 * normalization from the training split and records the configuration. */
InvTrainer *inv_trainer_new (InvModel *model, const InvDataset *ds,
                             const InvTrainConfig *cfg, GError **error);
void inv_trainer_free (InvTrainer *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvTrainer, inv_trainer_free)
/* One optimization step on the next mini-batch. On a non-finite loss or
 * gradient: FALSE with INV_TRAIN_ERROR_DIVERGED naming the step; the
 * weights are left as they were before the step. */
gboolean inv_trainer_step (InvTrainer *t, InvTrainProgress *progress, GError **error);
gboolean inv_trainer_finished (const InvTrainer *t);
/* Runs the remaining steps. Cancellation (cancellable or callback) returns
 * FALSE with INV_TRAIN_ERROR_CANCELLED; the model keeps its current weights. */
gboolean inv_trainer_run (InvTrainer *t, InvTrainProgressFunc cb, gpointer user_data,
                          GCancellable *cancellable, GError **error);

G_END_DECLS
