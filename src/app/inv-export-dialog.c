/* InvExportDialog: a template of drop-downs and size spins; the controls
 * that do not apply to the chosen item are insensitive. Export… opens a
 * file chooser (a folder for all the models) and emits "export". */
#include "config.h"
#include "inv-export-dialog.h"
#include <glib/gi18n.h>

struct _InvExportDialog
{
  GtkWindow parent_instance;

  /* template widgets */
  GtkDropDown *item_dropdown;
  GtkDropDown *format_dropdown;
  GtkWidget *size_box;
  GtkSpinButton *width_spin;
  GtkSpinButton *height_spin;
  GtkDropDown *family_dropdown;
  GtkLabel *hint_label;
  GtkButton *export_button;

  /* owned */
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (InvExportDialog, inv_export_dialog, GTK_TYPE_WINDOW)

enum {
  SIGNAL_EXPORT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *const formats[] = { "png", "svg", "pdf" };

static const struct {
  const char *name;   /* app.export-figure name, or NULL */
  const char *file;   /* file name without extension */
} items[INV_N_EXPORTS] = {
  [INV_EXPORT_GRID] = { "grid", "saliency-grid" },
  [INV_EXPORT_LOSS] = { "loss", "loss" },
  [INV_EXPORT_ACCURACY] = { "orbit_accuracy", "orbit-accuracy" },
  [INV_EXPORT_PDI] = { "pdi", "pdi" },
  [INV_EXPORT_LOGIT_INVARIANCE] = { "logit_invariance", "logit-invariance" },
  [INV_EXPORT_SIS] = { "sis", "sis" },
  [INV_EXPORT_SHIFT_CURVES] = { "shift", "shift-curves" },
  [INV_EXPORT_SPECTRUM] = { "spectrum", "spectrum" },
  [INV_EXPORT_ENERGY] = { "energy", "noninvariant-energy" },
  [INV_EXPORT_METRICS_CSV] = { NULL, "metrics" },
  [INV_EXPORT_CURVES_CSV] = { NULL, "shift-curves" },
  [INV_EXPORT_MODELS] = { NULL, "model" },
};

/* Helpers. */

static void
update_sensitivity (InvExportDialog *self)
{
  InvExportItem item = inv_export_dialog_get_item (self);
  gboolean figure = inv_export_item_is_figure (item);
  gtk_widget_set_sensitive (GTK_WIDGET (self->format_dropdown), figure);
  gtk_widget_set_sensitive (self->size_box, figure);
  gtk_widget_set_sensitive (GTK_WIDGET (self->family_dropdown), item == INV_EXPORT_MODELS);
  const char *hint = figure ? _("Figures are drawn as the command line draws them: black on white.")
                     : item == INV_EXPORT_MODELS ? _("Models are saved as safetensors files that invlab and PyTorch read.")
                     : _("Comma-separated values with a header row.");
  gtk_label_set_text (self->hint_label, hint);
}

/* Signal callbacks. */

static void
item_selected_cb (InvExportDialog *self)
{
  update_sensitivity (self);
}

static void
chosen_cb (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  InvExportDialog *self = INV_EXPORT_DIALOG (user_data);
  g_autoptr (GFile) file = NULL;
  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_clear_object (&self->chooser);
  if (file)
    {
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      g_signal_emit (self, signals[SIGNAL_EXPORT], 0, file);
    }
}

static void
export_clicked_cb (InvExportDialog *self)
{
  if (self->chooser)
    return;
  InvExportItem item = inv_export_dialog_get_item (self);
  gboolean folder = item == INV_EXPORT_MODELS && inv_export_dialog_get_family (self) < 0;
  self->chooser = gtk_file_chooser_native_new (folder ? _("Export the Models to a Folder") : _("Export"),
                                               GTK_WINDOW (self),
                                               folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                                      : GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  if (!folder)
    {
      const char *ext = inv_export_item_is_figure (item) ? inv_export_dialog_get_format (self)
                        : item == INV_EXPORT_MODELS ? "safetensors" : "csv";
      g_autofree char *name = inv_export_item_file_name (item, ext);
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
    }
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chosen_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* Overrides. */

static void
inv_export_dialog_dispose (GObject *object)
{
  InvExportDialog *self = INV_EXPORT_DIALOG (object);
  if (self->chooser)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (object), INV_TYPE_EXPORT_DIALOG);
  G_OBJECT_CLASS (inv_export_dialog_parent_class)->dispose (object);
}

static void
inv_export_dialog_class_init (InvExportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = inv_export_dialog_dispose;

  signals[SIGNAL_EXPORT] =
    g_signal_new ("export", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_FILE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/invlab/InvarianceLab/inv-export-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, InvExportDialog, item_dropdown);
  gtk_widget_class_bind_template_child (widget_class, InvExportDialog, format_dropdown);
  gtk_widget_class_bind_template_child (widget_class, InvExportDialog, size_box);
  gtk_widget_class_bind_template_child (widget_class, InvExportDialog, width_spin);
  gtk_widget_class_bind_template_child (widget_class, InvExportDialog, height_spin);
  gtk_widget_class_bind_template_child (widget_class, InvExportDialog, family_dropdown);
  gtk_widget_class_bind_template_child (widget_class, InvExportDialog, hint_label);
  gtk_widget_class_bind_template_child (widget_class, InvExportDialog, export_button);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
inv_export_dialog_init (InvExportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Connected here, not in the template, so gtk4-builder-tool validates it. */
  g_signal_connect_swapped (self->item_dropdown, "notify::selected",
                            G_CALLBACK (item_selected_cb), self);
  g_signal_connect_swapped (self->export_button, "clicked", G_CALLBACK (export_clicked_cb), self);
  update_sensitivity (self);
}

/* Public API. */

gboolean
inv_export_item_from_name (const char *name, InvExportItem *item)
{
  for (int i = 0; name && i < INV_N_EXPORTS; i++)
    if (items[i].name && g_strcmp0 (items[i].name, name) == 0)
      {
        *item = i;
        return TRUE;
      }
  return FALSE;
}

gboolean
inv_export_item_is_figure (InvExportItem item)
{
  return item <= INV_EXPORT_ENERGY;
}

char *
inv_export_item_file_name (InvExportItem item, const char *extension)
{
  g_return_val_if_fail (item < INV_N_EXPORTS, NULL);
  return g_strdup_printf ("%s.%s", items[item].file, extension);
}

InvExportDialog *
inv_export_dialog_new (void)
{
  return g_object_new (INV_TYPE_EXPORT_DIALOG, NULL);
}

InvExportItem
inv_export_dialog_get_item (InvExportDialog *self)
{
  g_return_val_if_fail (INV_IS_EXPORT_DIALOG (self), INV_EXPORT_GRID);
  guint i = gtk_drop_down_get_selected (self->item_dropdown);
  return i < INV_N_EXPORTS ? (InvExportItem) i : INV_EXPORT_GRID;
}

void
inv_export_dialog_set_item (InvExportDialog *self, InvExportItem item)
{
  g_return_if_fail (INV_IS_EXPORT_DIALOG (self));
  g_return_if_fail (item < INV_N_EXPORTS);
  gtk_drop_down_set_selected (self->item_dropdown, item);
}

const char *
inv_export_dialog_get_format (InvExportDialog *self)
{
  g_return_val_if_fail (INV_IS_EXPORT_DIALOG (self), "png");
  guint i = gtk_drop_down_get_selected (self->format_dropdown);
  return formats[MIN (i, G_N_ELEMENTS (formats) - 1)];
}

void
inv_export_dialog_get_size (InvExportDialog *self, double *width, double *height)
{
  g_return_if_fail (INV_IS_EXPORT_DIALOG (self));
  *width = gtk_spin_button_get_value (self->width_spin);
  *height = gtk_spin_button_get_value (self->height_spin);
}

int
inv_export_dialog_get_family (InvExportDialog *self)
{
  g_return_val_if_fail (INV_IS_EXPORT_DIALOG (self), -1);
  return (int) gtk_drop_down_get_selected (self->family_dropdown) - 1;
}
