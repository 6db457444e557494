/* InvTrainSession: trains the three model families of one run in a
 * long-lived worker thread, interleaved step by step, and hands progress and
 * immutable evaluation snapshots to the main thread. Pause, resume and reset
 * at any time; results of a run that was reset are dropped. Never touches
 * widgets. */
#pragma once
#include <gio/gio.h>
#include "inv-data.h"
#include "inv-family.h"
#include "inv-snapshot.h"
#include "train.h"

G_BEGIN_DECLS

typedef enum {
  INV_TRAIN_STATE_IDLE,      /* no run, or the run was reset */
  INV_TRAIN_STATE_RUNNING,
  INV_TRAIN_STATE_PAUSED,
  INV_TRAIN_STATE_FINISHED,  /* the run trained every step */
  INV_TRAIN_STATE_FAILED,    /* the run stopped on an error ("failed" was emitted) */
} InvTrainState;

GType inv_train_state_get_type (void);
#define INV_TYPE_TRAIN_STATE (inv_train_state_get_type ())

/* What one run trains; the worker keeps its own copy. */
typedef struct {
  char group[16];            /* "c4", "d4", "flip", "trans" */
  InvModelKind arch;         /* INV_MODEL_MLP or INV_MODEL_CNN; its twin is tied */
  double lambda;             /* λ of the regularized family */
  InvOptimizer optimizer;    /* Adam (the panel's) or SGD with momentum (tests) */
  double lr;                 /* learning rate */
  size_t epochs;
  size_t limit;              /* first training images (0 = all) */
  size_t batch;              /* base images per step */
  size_t orbit_samples;      /* group elements per image (0 = the whole orbit) */
  guint64 seed;
  size_t eval_images;        /* test images per evaluation snapshot */
  size_t eval_interval;      /* steps between snapshots (also one at the start and the end) */
  InvSaliencyMethod saliency;
  int threads;               /* BLAS threads of the worker */
} InvRunConfig;

/* The app's defaults: c4, mlp, λ = 1, lr 1e-3, 3 epochs, 10000 images,
 * batch 64, 256 evaluation images every 200 steps, gradient, 2 threads. */
void inv_run_config_init (InvRunConfig *cfg);

typedef struct {
  InvFamily family;
  size_t step;               /* the last step of the averaged window */
  double loss;               /* mean loss over the window */
} InvLossPoint;

typedef struct {
  size_t epoch, epochs;      /* 1-based epoch of the last step */
  size_t step, total_steps;  /* per family */
  double images_per_sec;     /* all families, orbit copies counted */
  double elapsed, eta;       /* seconds of training; pauses and evaluations excluded */
  const InvLossPoint *losses;/* (n_losses) new since the previous report */
  size_t n_losses;
} InvRunProgress;

#define INV_TYPE_TRAIN_SESSION (inv_train_session_get_type ())
G_DECLARE_FINAL_TYPE (InvTrainSession, inv_train_session, INV, TRAIN_SESSION, GObject)

/* Signals (main thread): "progress" (const InvRunProgress *), "snapshot"
 * (InvSnapshot *, ref it to keep it), "failed" (const GError *). A run
 * that diverges (INV_TRAIN_ERROR_DIVERGED, the message naming the family
 * and the step) first posts a final snapshot of the last finite weights. */
InvTrainSession *inv_train_session_new (void);
InvTrainState inv_train_session_get_state (InvTrainSession *self);
/* Starts a run (state must not be running or paused). */
gboolean inv_train_session_start (InvTrainSession *self, InvData *data,
                                  const InvRunConfig *cfg, GError **error);
void inv_train_session_pause (InvTrainSession *self);
void inv_train_session_resume (InvTrainSession *self);
/* Cancels the run; nothing it produced reaches the main thread any more. */
void inv_train_session_reset (InvTrainSession *self);
/* The test image the next snapshots explain. */
void inv_train_session_set_sample (InvTrainSession *self, size_t index);
/* Steps per family done, as last reported. */
size_t inv_train_session_get_step (InvTrainSession *self);

G_END_DECLS
