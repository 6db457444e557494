/* Severity sweeps: every metric of a model at evenly spaced severities of one
 * shift kind (composed after any fixed shifts). Shared by `invlab sweep`,
 * `invlab reproduce` and the app's Shift tab. Not a plotting module. */
#pragma once
#include "metrics.h"
#include "model.h"
#include "shift.h"

G_BEGIN_DECLS

typedef struct {
  InvShiftKind kind;        /* the swept shift */
  size_t steps;             /* severities 0, 1/(steps−1), …, 1 (steps ≥ 2) */
  const InvShiftList *base; /* fixed shifts applied first (seed and mix source are
                             * taken from it); NULL = none */
  uint64_t seed;            /* used when base is NULL */
  const InvSplit *mix_source;  /* the mix shift's other data set when base is NULL */
  size_t mix_h, mix_w;
} InvSweepOptions;

/* results (steps) receive the metrics at each severity; severities (steps)
 * the severity values. eval carries limit/which/batch (its shifts are
 * ignored). */
gboolean inv_sweep_run (InvModel *m, const InvSplit *split, const InvSweepOptions *opt,
                        const InvEvalOptions *eval, double *severities, InvMetrics *results,
                        GError **error);

G_END_DECLS
