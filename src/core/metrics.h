/* The invariance metrics of DESIGN.md ("Metrics"): pure functions on
 * orbit-grouped logits and aligned saliency maps, and an evaluator that runs a
 * model over the (optionally shifted) images of a split. Not the training
 * penalty (loss.c) and not the first-layer spectrum (spectrum.c).
 * Size letters: N base images, G group order, K classes, n = H*W pixels. */
#pragma once
#include <gio/gio.h>
#include <stddef.h>
#include <stdint.h>
#include "dataset.h"
#include "group.h"
#include "model.h"
#include "shift.h"

G_BEGIN_DECLS

#define INV_METRICS_ERROR (inv_metrics_error_quark ())
GQuark inv_metrics_error_quark (void);
typedef enum {
  INV_METRICS_ERROR_ARGS,      /* options, group or labels that do not fit the model */
  INV_METRICS_ERROR_NOMEM,
} InvMetricsError;

/* ---- small helpers ---- */
/* p (N,K) = softmax of each row of z (N,K) (in place allowed: p == z). */
void inv_softmax_rows (float *p, const float *z, size_t N, size_t K);
/* Index of the largest of z (K); the first one on ties. */
size_t inv_argmax (const float *z, size_t K);
/* Cosine similarity of a and b (n), in double; cos(0,0) = 1, cos(0,v) = 0. */
double inv_cosine (const float *a, const float *b, size_t n);
/* JSD_G of one orbit's logits (G,K): H(p̄) − mean_g H(p_g), in nats. */
double inv_orbit_jsd (const float *logits, size_t G, size_t K);

/* ---- metrics on arrays. logits (N, G, K): row i*G+g holds z(g·x_i),
 * identity first; labels (N). NaN when N or G is 0. ---- */
/* Fraction of (i,g) with argmax z(g·x_i) = y_i. */
double inv_metric_orbit_accuracy (const float *logits, const uint8_t *labels,
                                  size_t N, size_t G, size_t K);
/* Fraction of i whose argmax is the same for every g. */
double inv_metric_orbit_consistency (const float *logits, size_t N, size_t G, size_t K);
/* 1 − mean_i JSD_G(i) / ln min(G,K); 1 when min(G,K) ≤ 1. */
double inv_metric_pdi (const float *logits, size_t N, size_t G, size_t K);
/* 1 − Σ_ig ‖z̃_ig − m̃_i‖² / Σ_ig ‖z̃_ig‖² on row-centred logits; 1 when the
 * denominator is 0. */
double inv_metric_logit_invariance (const float *logits, size_t N, size_t G, size_t K);
/* mean_i mean_g ‖z_ig − z̄_i‖² on raw logits. */
double inv_metric_invariance_error (const float *logits, size_t N, size_t G, size_t K);
/* maps (N, G, n): aligned saliency a^g = g⁻¹·s(g·x_i), row i*G+g.
 * mean_i of the mean cosine over unordered pairs g ≠ h; 1 when G = 1. */
double inv_metric_sis (const float *maps, size_t N, size_t G, size_t n);

/* ---- the evaluator ---- */
typedef enum {
  INV_METRIC_ORBIT_ACCURACY      = 1 << 0,
  INV_METRIC_ORBIT_CONSISTENCY   = 1 << 1,
  INV_METRIC_PDI                 = 1 << 2,
  INV_METRIC_LOGIT_INVARIANCE    = 1 << 3,
  INV_METRIC_SIS                 = 1 << 4,
  INV_METRIC_INVARIANCE_ERROR    = 1 << 5,
  INV_METRIC_SENSITIVITY         = 1 << 6,
  INV_METRIC_NONINVARIANT_ENERGY = 1 << 7,
} InvMetricFlags;
/* One orbit forward gives these five; SIS adds a backward, sensitivity a
 * forward of 2 rows per image, the energy one pass of the spectrum code. */
#define INV_METRIC_LOGITS (INV_METRIC_ORBIT_ACCURACY | INV_METRIC_ORBIT_CONSISTENCY \
                           | INV_METRIC_PDI | INV_METRIC_LOGIT_INVARIANCE \
                           | INV_METRIC_INVARIANCE_ERROR)
#define INV_METRIC_ALL 0xffu
#define INV_N_METRICS 8

#define INV_EVAL_DEFAULT_BATCH 32
/* Tag of the sensitivity noise: image i of the split draws δ from stream
 * (seed, INV_SENSITIVITY_STREAM, i); the shifts use small tags (their
 * positions), so the two never share noise. */
#define INV_SENSITIVITY_STREAM UINT64_C (0x53454e5349544956) /* "SENSITIV" */
#define INV_SENSITIVITY_SIGMA 0.01

typedef struct {
  guint which;                  /* InvMetricFlags to compute (default all); others are NaN */
  size_t limit;                 /* the first images of the split (0 = all) */
  size_t batch;                 /* base images per forward (0 = default) */
  const InvGroup *group;        /* NULL = the model's group; must act on H×W */
  const InvShiftList *shifts;   /* applied to each base image before its orbit; NULL = none */
  gboolean sis_predicted;       /* SIS explains the class predicted for the identity
                                 * image instead of the label */
  uint64_t seed;                /* sensitivity noise */
  GCancellable *cancellable;    /* checked once per batch; NULL = none */
} InvEvalOptions;

typedef struct {
  size_t n_images;              /* N base images evaluated */
  size_t group_order;           /* G */
  guint computed;               /* InvMetricFlags that hold a value */
  double orbit_accuracy;
  double orbit_consistency;
  double pdi;
  double logit_invariance;
  double sis;
  double invariance_error;
  double sensitivity;
  double noninvariant_energy;   /* mlp and tied-mlp only; NaN otherwise */
} InvMetrics;

void inv_eval_options_init (InvEvalOptions *opt);
/* Every metric NaN, counts 0. */
void inv_metrics_init (InvMetrics *r);

/* Evaluates m over the first opt->limit images of split (images H×W as the
 * model's; labels < K). Every metric, sensitivity and energy included, is
 * taken on the shifted base images. opt NULL = defaults. On error (or
 * cancellation: G_IO_ERROR_CANCELLED) *out holds NaNs. */
gboolean inv_evaluate (InvModel *m, const InvSplit *split, const InvEvalOptions *opt,
                       InvMetrics *out, GError **error);

/* The metrics as a table, in the order of the flags, for the front ends. */
typedef struct {
  const char *name;     /* JSON key and CLI name: "orbit_accuracy" */
  const char *abbrev;   /* "acc", "PDI", "LI", "SIS", "IE", ... */
  const char *title;    /* "Orbit accuracy" (English; front ends translate) */
  InvMetricFlags flag;
  double (*get) (const InvMetrics *r);
} InvMetricInfo;

/* The INV_N_METRICS entries. */
const InvMetricInfo *inv_metric_infos (void);
/* By name (or abbreviation, case-insensitive), or NULL. */
const InvMetricInfo *inv_metric_info_find (const char *name);
/* Appends {"n_images":N,"group_order":G,"orbit_accuracy":…,…} (NaN as null,
 * numbers in the C locale). */
void inv_metrics_to_json (const InvMetrics *r, GString *out);

G_END_DECLS
