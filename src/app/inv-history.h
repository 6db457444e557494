/* InvHistory: the curves the plots show, per metric key ("loss",
 * "orbit_accuracy", "pdi", "logit_invariance", "sis") and family, as
 * (step, value) points in arrival order. A data model only: the plots
 * listen to "changed" (detailed by the key; a clear has no detail). */
#pragma once
#include <glib-object.h>
#include "inv-family.h"

G_BEGIN_DECLS

#define INV_TYPE_HISTORY (inv_history_get_type ())
G_DECLARE_FINAL_TYPE (InvHistory, inv_history, INV, HISTORY, GObject)

InvHistory *inv_history_new (void);
/* Appends (x, y); a non-finite y is skipped. */
void inv_history_append (InvHistory *self, const char *key, InvFamily family, double x, double y);
void inv_history_clear (InvHistory *self);
/* The points of one curve: xs and ys (*n each), valid until the next
 * change; NULL with *n = 0 when there are none. */
void inv_history_get_points (InvHistory *self, const char *key, InvFamily family,
                             const double **xs, const double **ys, size_t *n);

G_END_DECLS
