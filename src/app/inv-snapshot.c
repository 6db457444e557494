/* Orbit maps and evaluation snapshots: construction on worker threads,
 * atomic reference counting so any thread may drop the last reference. */
#include "config.h"
#include "inv-snapshot.h"
#include "util.h"
#include <string.h>

InvOrbitMaps *
inv_orbit_maps_compute (InvModel *m, const InvGroup *grp, const InvSaliencyOptions *opt,
                        const float *x, size_t cls, GError **error)
{
  if (grp == NULL)
    grp = m->group;
  g_autoptr (InvSaliencyOrbit) orbit = inv_saliency_orbit (m, grp, opt, x, cls, FALSE, error);
  if (orbit == NULL)
    return NULL;
  size_t G = orbit->G, n = orbit->n, Gn;
  if (!inv_size_mul (G, n, &Gn))
    {
      g_set_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_NOMEM, "orbit too large");
      return NULL;
    }
  float *aligned = inv_floats_new (Gn, error); /* (G, n) */
  if (aligned == NULL)
    return NULL;
  for (size_t g = 0; g < G; g++)
    inv_group_apply (grp, grp->inverse[g], aligned + g * n, orbit->maps + g * n);
  InvOrbitMaps *maps = g_new0 (InvOrbitMaps, 1);
  maps->orbit = g_steal_pointer (&orbit);
  maps->aligned = aligned;
  return maps;
}

void
inv_orbit_maps_free (InvOrbitMaps *maps)
{
  if (maps == NULL)
    return;
  inv_saliency_orbit_free (maps->orbit);
  inv_free (maps->aligned);
  g_free (maps);
}

InvModelRef *
inv_model_ref_new (InvModel *model)
{
  InvModelRef *ref = g_atomic_rc_box_new0 (InvModelRef);
  ref->model = model;
  return ref;
}

InvModelRef *
inv_model_ref_ref (InvModelRef *ref)
{
  return g_atomic_rc_box_acquire (ref);
}

static void
model_ref_clear (gpointer p)
{
  g_clear_pointer (&((InvModelRef *) p)->model, inv_model_free);
}

void
inv_model_ref_unref (InvModelRef *ref)
{
  g_atomic_rc_box_release_full (ref, model_ref_clear);
}

InvSnapshot *
inv_snapshot_new (void)
{
  InvSnapshot *snap = g_atomic_rc_box_new0 (InvSnapshot);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    inv_metrics_init (&snap->fam[f].metrics);
  return snap;
}

InvSnapshot *
inv_snapshot_ref (InvSnapshot *snap)
{
  return g_atomic_rc_box_acquire (snap);
}

static void
snapshot_clear (gpointer p)
{
  InvSnapshot *snap = p;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_clear_pointer (&snap->fam[f].model, inv_model_ref_unref);
      g_clear_pointer (&snap->fam[f].maps, inv_orbit_maps_free);
      g_clear_pointer (&snap->fam[f].sv, g_free);
    }
}

void
inv_snapshot_unref (InvSnapshot *snap)
{
  g_atomic_rc_box_release_full (snap, snapshot_clear);
}
