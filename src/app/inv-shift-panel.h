/* InvShiftPanel: a slider for every distribution shift of the design
 * (noise, blur, contrast, invert, occlude, mix, uniform), each severity in
 * [0, 1] with its value shown, and a Reset Shifts button. Evaluates
 * nothing: it says what moved ("changed") and builds the shift list. */
#pragma once
#include <gtk/gtk.h>
#include "shift.h"

G_BEGIN_DECLS

#define INV_TYPE_SHIFT_PANEL (inv_shift_panel_get_type ())
G_DECLARE_FINAL_TYPE (InvShiftPanel, inv_shift_panel, INV, SHIFT_PANEL, GtkWidget)

/* Signal "changed" (guint kind, gdouble severity): a slider moved (once
 * for a reset, with the last kind and 0). */
GtkWidget *inv_shift_panel_new (void);
double inv_shift_panel_get_severity (InvShiftPanel *self, InvShiftKind kind);
/* Moves the slider (clamped to [0, 1]), exactly as dragging it does. */
void inv_shift_panel_set_severity (InvShiftPanel *self, InvShiftKind kind, double severity);
void inv_shift_panel_reset (InvShiftPanel *self);
GtkAdjustment *inv_shift_panel_get_adjustment (InvShiftPanel *self, InvShiftKind kind);
/* The slider moved last (noise before any moved). */
InvShiftKind inv_shift_panel_get_last_kind (InvShiftPanel *self);
gboolean inv_shift_panel_is_identity (InvShiftPanel *self);
/* Replaces list's items by the shifts above 0, in the design's order
 * (noise, uniform, blur, contrast, invert, occlude, mix); keeps its seed
 * and mix source. */
void inv_shift_panel_fill_list (InvShiftPanel *self, InvShiftList *list);
/* A line under the sliders ("Loading the other data set…"), or NULL. */
void inv_shift_panel_set_status (InvShiftPanel *self, const char *text);
/* Translated name of a shift kind ("Noise", "Occlusion", …). */
const char *inv_shift_kind_title (InvShiftKind kind);

G_END_DECLS
