/* InvExportDialog: asks what to export (the saliency grid or a plot as
 * PNG, SVG or PDF at a chosen size, the current metrics or the shift
 * curves as CSV, the models as safetensors), then where, and emits
 * "export" with the chosen file. Writes nothing itself. */
#pragma once
#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  INV_EXPORT_GRID,           /* figures */
  INV_EXPORT_LOSS,
  INV_EXPORT_ACCURACY,
  INV_EXPORT_PDI,
  INV_EXPORT_LOGIT_INVARIANCE,
  INV_EXPORT_SIS,
  INV_EXPORT_SHIFT_CURVES,
  INV_EXPORT_SPECTRUM,
  INV_EXPORT_ENERGY,
  INV_EXPORT_METRICS_CSV,    /* tables */
  INV_EXPORT_CURVES_CSV,
  INV_EXPORT_MODELS,         /* a folder (every model) or one file */
  INV_N_EXPORTS
} InvExportItem;

/* Figure names of the app.export-figure action: "grid", "loss",
 * "orbit_accuracy", "pdi", "logit_invariance", "sis", "shift",
 * "spectrum", "energy"; FALSE for other names and non-figures. */
gboolean inv_export_item_from_name (const char *name, InvExportItem *item);
gboolean inv_export_item_is_figure (InvExportItem item);
/* A file name to offer: "saliency-grid.png", "metrics.csv", … g_free. */
char *inv_export_item_file_name (InvExportItem item, const char *extension);

#define INV_TYPE_EXPORT_DIALOG (inv_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (InvExportDialog, inv_export_dialog, INV, EXPORT_DIALOG, GtkWindow)

/* Signal "export" (GFile *): the person chose where; read the choices
 * with the getters. */
InvExportDialog *inv_export_dialog_new (void);
InvExportItem inv_export_dialog_get_item (InvExportDialog *self);
void inv_export_dialog_set_item (InvExportDialog *self, InvExportItem item);
/* "png", "svg" or "pdf". */
const char *inv_export_dialog_get_format (InvExportDialog *self);
void inv_export_dialog_get_size (InvExportDialog *self, double *width, double *height);
/* The family of a one-model export, or -1 for all of them. */
int inv_export_dialog_get_family (InvExportDialog *self);

G_END_DECLS
