/* InvEvaluator: evaluates the current models off the main thread while the
 * person drags a shift slider or draws: the explained image's orbit and
 * saliency (the grid lane), every family's metrics on the evaluation subset
 * (the metrics lane) and metric-against-severity curves (the sweep lane).
 * Each lane is a worker thread with one pending slot: a newer request
 * supersedes the pending one and cancels the running one (the metrics lane
 * lets a young job finish so metrics keep flowing during a drag), so stale
 * work never queues up. Results reach the main thread in request order,
 * older ones dropped. Never touches widgets. G group order, n = H*W. */
#pragma once
#include <gio/gio.h>
#include "inv-data.h"
#include "inv-family.h"
#include "inv-snapshot.h"
#include "shift.h"

G_BEGIN_DECLS

typedef enum {
  INV_EVAL_LANE_GRID,
  INV_EVAL_LANE_METRICS,
  INV_EVAL_LANE_SWEEP,
  INV_EVAL_N_LANES
} InvEvalLane;

#define INV_EVAL_LANE_BIT(lane) (1u << (lane))

/* What to evaluate; filled by the main thread, immutable once submitted. */
typedef struct {
  InvData *data;                       /* the test split evaluated (ref) */
  InvData *mix;                        /* the other data set of mix, or NULL (ref) */
  char group[16];                      /* acts on the data's images */
  InvModelRef *models[INV_N_FAMILIES]; /* NULL: no model in that row (refs) */
  InvShiftList shifts;                 /* its mix source is set from mix */
  guint64 seed;                        /* sensitivity noise */
  /* grid lane */
  float *input;                        /* (n) pixels of the explained image */
  size_t input_index;                  /* its index in the shifts' random streams */
  size_t cls;                          /* class to explain, or INV_SALIENCY_PREDICTED */
  InvSaliencyOptions saliency;
  /* metrics lane */
  gboolean metrics[INV_N_FAMILIES];    /* families to evaluate */
  gboolean spectrum[INV_N_FAMILIES];   /* families whose singular values to compute */
  size_t eval_images;                  /* first test images evaluated */
  /* sweep lane */
  InvShiftKind sweep_kind;
  size_t sweep_steps;                  /* ≥ 2 */
} InvEvalRequest;

/* A request on data's test split (ref taken) for group, with no models,
 * the identity shift and no input. */
InvEvalRequest *inv_eval_request_new (InvData *data, const char *group);
InvEvalRequest *inv_eval_request_ref (InvEvalRequest *req);
void inv_eval_request_unref (InvEvalRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvEvalRequest, inv_eval_request_unref)
/* Copies x (n = H*W of the data) as the explained image. */
void inv_eval_request_set_input (InvEvalRequest *req, const float *x, size_t index, size_t cls);

/* A lane's answer to one request (valid during the "result" emission). */
typedef struct {
  InvEvalLane lane;
  guint64 serial;                      /* what inv_evaluator_submit returned */
  double seconds;                      /* how long the job ran */
  InvEvalRequest *request;             /* what was evaluated */
  GError *error;                       /* the job failed; nothing else is set */
  /* grid lane */
  size_t G, n;
  float *shifted;                      /* (n) the input after the shifts */
  float *orbit;                        /* (G, n) its orbit */
  InvOrbitMaps *maps[INV_N_FAMILIES];  /* NULL where there is no model */
  /* metrics lane */
  InvMetrics metrics[INV_N_FAMILIES];
  gboolean evaluated[INV_N_FAMILIES];
  double *sv[INV_N_FAMILIES];          /* (n_sv) descending, or NULL */
  size_t n_sv[INV_N_FAMILIES];
  /* sweep lane */
  size_t steps;
  double *severities;                  /* (steps) */
  InvMetrics *sweep[INV_N_FAMILIES];   /* (steps) each, or NULL */
} InvEvalResult;

#define INV_TYPE_EVALUATOR (inv_evaluator_get_type ())
G_DECLARE_FINAL_TYPE (InvEvaluator, inv_evaluator, INV, EVALUATOR, GObject)

/* Signal (main thread): "result" (const InvEvalResult *). */
InvEvaluator *inv_evaluator_new (void);
/* Queues req on the lanes of the mask (INV_EVAL_LANE_BIT); returns the
 * serial its results carry. */
guint64 inv_evaluator_submit (InvEvaluator *self, guint lanes, InvEvalRequest *req);
/* Drops every pending and running job; no result of them is delivered. */
void inv_evaluator_cancel_all (InvEvaluator *self);
/* TRUE when no job is pending, running or waiting to be delivered. */
gboolean inv_evaluator_is_idle (InvEvaluator *self);
/* Whether a job of the lane is pending, running or undelivered. */
gboolean inv_evaluator_lane_busy (InvEvaluator *self, InvEvalLane lane);

G_END_DECLS
