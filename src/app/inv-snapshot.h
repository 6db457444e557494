/* Immutable results handed from worker threads to the main thread: a
 * family's saliency orbit for one test image (raw and aligned maps), and an
 * evaluation snapshot of the three families (model copies, metrics, orbits,
 * first-layer spectra).
 * Built off the main thread, never modified once posted. G group order,
 * n = H*W pixels, K classes. */
#pragma once
#include <gio/gio.h>
#include "inv-family.h"
#include "metrics.h"
#include "saliency.h"

G_BEGIN_DECLS

/* One model's orbit of one base image. */
typedef struct {
  InvSaliencyOrbit *orbit;  /* images, raw maps, logits, probs, pred (owned) */
  float *aligned;           /* (G, n): g⁻¹·maps[g], the identity orientation */
} InvOrbitMaps;

/* Runs m over the orbit of x (n pixels) under grp and explains class cls
 * (INV_SALIENCY_PREDICTED allowed). m's workspace is used: call it only
 * from the thread that owns m. */
InvOrbitMaps *inv_orbit_maps_compute (InvModel *m, const InvGroup *grp,
                                      const InvSaliencyOptions *opt, const float *x,
                                      size_t cls, GError **error);
void inv_orbit_maps_free (InvOrbitMaps *maps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvOrbitMaps, inv_orbit_maps_free)

/* A model nobody runs any more, shared by reference between threads: to
 * run it, copy it (inv_model_copy reads it only). */
typedef struct {
  InvModel *model;       /* owned */
} InvModelRef;

/* Takes ownership of model. */
InvModelRef *inv_model_ref_new (InvModel *model);
InvModelRef *inv_model_ref_ref (InvModelRef *ref);
void inv_model_ref_unref (InvModelRef *ref);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvModelRef, inv_model_ref_unref)

typedef struct {
  InvModelRef *model;    /* or NULL */
  InvMetrics metrics;    /* NaN where not computed */
  InvOrbitMaps *maps;    /* the orbit of the snapshot's sample, or NULL */
  double *sv;            /* (n_sv) first-layer singular values, descending, or NULL */
  size_t n_sv;
} InvFamilySnapshot;

typedef struct {
  guint64 run;           /* the training run it belongs to */
  size_t step;           /* steps done by each family */
  size_t total_steps;
  size_t sample;         /* test image the maps explain */
  InvSaliencyMethod saliency; /* how the maps were computed */
  gboolean final;        /* taken when training ended */
  InvFamilySnapshot fam[INV_N_FAMILIES];
} InvSnapshot;

/* A snapshot with every family empty and every metric NaN. */
InvSnapshot *inv_snapshot_new (void);
InvSnapshot *inv_snapshot_ref (InvSnapshot *snap);
void inv_snapshot_unref (InvSnapshot *snap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvSnapshot, inv_snapshot_unref)

G_END_DECLS
