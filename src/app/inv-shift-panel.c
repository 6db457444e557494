/* InvShiftPanel: the template holds the heading, the grid the slider rows
 * are added to (one per kind, built here from a table) and the Reset
 * Shifts button (app.reset-shifts). Each row: name, scale, value. */
#include "config.h"
#include "inv-shift-panel.h"
#include <glib/gi18n.h>

typedef struct {
  GtkAdjustment *adjustment;  /* owned by the scale */
  GtkLabel *value_label;
} Slider;

struct _InvShiftPanel
{
  GtkWidget parent_instance;

  /* template widgets */
  GtkWidget *box;
  GtkGrid *slider_grid;
  GtkLabel *status_label;

  /* owned */
  Slider sliders[INV_SHIFT_N_KINDS];
  InvShiftKind last_kind;
  gboolean resetting;
};

G_DEFINE_FINAL_TYPE (InvShiftPanel, inv_shift_panel, GTK_TYPE_WIDGET)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The sliders top to bottom, as issue #6 lists them. */
static const InvShiftKind slider_order[INV_SHIFT_N_KINDS] = {
  INV_SHIFT_NOISE, INV_SHIFT_BLUR, INV_SHIFT_CONTRAST, INV_SHIFT_INVERT,
  INV_SHIFT_OCCLUDE, INV_SHIFT_MIX, INV_SHIFT_UNIFORM,
};

static const struct {
  const char *title;
  const char *tooltip;
} kind_text[INV_SHIFT_N_KINDS] = {
  [INV_SHIFT_NOISE] = { N_("Noise"), N_("Adds Gaussian noise of standard deviation s to every pixel") },
  [INV_SHIFT_UNIFORM] = { N_("Uniform"), N_("Blends the image with uniform random pixels: (1 − s)·x + s·u") },
  [INV_SHIFT_BLUR] = { N_("Blur"), N_("Gaussian blur with σ = 3s pixels") },
  [INV_SHIFT_CONTRAST] = { N_("Contrast"), N_("Lowers the contrast towards gray: 0.5 + (1 − 0.9s)·(x − 0.5)") },
  [INV_SHIFT_INVERT] = { N_("Invert"), N_("Blends the image with its negative: (1 − s)·x + s·(1 − x)") },
  [INV_SHIFT_OCCLUDE] = { N_("Occlusion"), N_("Blacks out a square of side s·H at a random place") },
  [INV_SHIFT_MIX] = { N_("Mix"), N_("Blends in an image of another data set: digits for clothes, clothes for digits") },
};

/* Signal callbacks. */

static void
value_changed_cb (GtkAdjustment *adjustment, InvShiftPanel *self)
{
  for (int k = 0; k < INV_SHIFT_N_KINDS; k++)
    {
      Slider *s = &self->sliders[k];
      if (s->adjustment != adjustment)
        continue;
      double v = gtk_adjustment_get_value (adjustment);
      char text[16];
      g_snprintf (text, sizeof text, "%.2f", v);
      gtk_label_set_text (s->value_label, text);
      if (self->resetting)
        return;
      self->last_kind = k;
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0, (guint) k, v);
      return;
    }
}

/* Helpers. */

static void
add_slider_rows (InvShiftPanel *self)
{
  for (int row = 0; row < INV_SHIFT_N_KINDS; row++)
    {
      InvShiftKind k = slider_order[row];
      GtkWidget *label = gtk_label_new (inv_shift_kind_title (k));
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      GtkAdjustment *adj = gtk_adjustment_new (0, 0, 1, 0.01, 0.1, 0);
      GtkWidget *scale = gtk_scale_new (GTK_ORIENTATION_HORIZONTAL, adj);
      gtk_scale_set_draw_value (GTK_SCALE (scale), FALSE);
      gtk_range_set_round_digits (GTK_RANGE (scale), 2);
      gtk_widget_set_hexpand (scale, TRUE);
      gtk_widget_set_tooltip_text (scale, _(kind_text[k].tooltip));
      gtk_widget_set_name (scale, inv_shift_kind_name (k));
      gtk_accessible_update_property (GTK_ACCESSIBLE (scale), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      inv_shift_kind_title (k), -1);
      GtkWidget *value = gtk_label_new ("0.00");
      gtk_label_set_width_chars (GTK_LABEL (value), 4);
      gtk_label_set_xalign (GTK_LABEL (value), 1);
      gtk_widget_add_css_class (value, "numeric");
      gtk_grid_attach (self->slider_grid, label, 0, row, 1, 1);
      gtk_grid_attach (self->slider_grid, scale, 1, row, 1, 1);
      gtk_grid_attach (self->slider_grid, value, 2, row, 1, 1);
      self->sliders[k].adjustment = adj;
      self->sliders[k].value_label = GTK_LABEL (value);
      g_signal_connect (adj, "value-changed", G_CALLBACK (value_changed_cb), self);
    }
}

/* Overrides. */

static void
inv_shift_panel_dispose (GObject *object)
{
  InvShiftPanel *self = INV_SHIFT_PANEL (object);
  for (int k = 0; k < INV_SHIFT_N_KINDS; k++)
    if (self->sliders[k].adjustment)
      g_signal_handlers_disconnect_by_data (self->sliders[k].adjustment, self);
  gtk_widget_dispose_template (GTK_WIDGET (object), INV_TYPE_SHIFT_PANEL);
  G_OBJECT_CLASS (inv_shift_panel_parent_class)->dispose (object);
}

static void
inv_shift_panel_class_init (InvShiftPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = inv_shift_panel_dispose;

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_DOUBLE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/invlab/InvarianceLab/inv-shift-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, InvShiftPanel, box);
  gtk_widget_class_bind_template_child (widget_class, InvShiftPanel, slider_grid);
  gtk_widget_class_bind_template_child (widget_class, InvShiftPanel, status_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "shiftpanel");
}

static void
inv_shift_panel_init (InvShiftPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->last_kind = INV_SHIFT_NOISE;
  add_slider_rows (self);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), FALSE);
}

/* Public API. */

const char *
inv_shift_kind_title (InvShiftKind kind)
{
  g_return_val_if_fail (kind < INV_SHIFT_N_KINDS, "");
  return _(kind_text[kind].title);
}

GtkWidget *
inv_shift_panel_new (void)
{
  return g_object_new (INV_TYPE_SHIFT_PANEL, NULL);
}

double
inv_shift_panel_get_severity (InvShiftPanel *self, InvShiftKind kind)
{
  g_return_val_if_fail (INV_IS_SHIFT_PANEL (self), 0);
  g_return_val_if_fail (kind < INV_SHIFT_N_KINDS, 0);
  return gtk_adjustment_get_value (self->sliders[kind].adjustment);
}

void
inv_shift_panel_set_severity (InvShiftPanel *self, InvShiftKind kind, double severity)
{
  g_return_if_fail (INV_IS_SHIFT_PANEL (self));
  g_return_if_fail (kind < INV_SHIFT_N_KINDS);
  gtk_adjustment_set_value (self->sliders[kind].adjustment, CLAMP (severity, 0.0, 1.0));
}

void
inv_shift_panel_reset (InvShiftPanel *self)
{
  g_return_if_fail (INV_IS_SHIFT_PANEL (self));
  if (inv_shift_panel_is_identity (self))
    return;
  self->resetting = TRUE;
  for (int k = 0; k < INV_SHIFT_N_KINDS; k++)
    gtk_adjustment_set_value (self->sliders[k].adjustment, 0);
  self->resetting = FALSE;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, (guint) self->last_kind, 0.0);
}

GtkAdjustment *
inv_shift_panel_get_adjustment (InvShiftPanel *self, InvShiftKind kind)
{
  g_return_val_if_fail (INV_IS_SHIFT_PANEL (self), NULL);
  g_return_val_if_fail (kind < INV_SHIFT_N_KINDS, NULL);
  return self->sliders[kind].adjustment;
}

InvShiftKind
inv_shift_panel_get_last_kind (InvShiftPanel *self)
{
  g_return_val_if_fail (INV_IS_SHIFT_PANEL (self), INV_SHIFT_NOISE);
  return self->last_kind;
}

gboolean
inv_shift_panel_is_identity (InvShiftPanel *self)
{
  g_return_val_if_fail (INV_IS_SHIFT_PANEL (self), TRUE);
  for (int k = 0; k < INV_SHIFT_N_KINDS; k++)
    if (gtk_adjustment_get_value (self->sliders[k].adjustment) > 0)
      return FALSE;
  return TRUE;
}

void
inv_shift_panel_fill_list (InvShiftPanel *self, InvShiftList *list)
{
  g_return_if_fail (INV_IS_SHIFT_PANEL (self));
  list->n = 0;
  for (int k = 0; k < INV_SHIFT_N_KINDS; k++)
    {
      double s = gtk_adjustment_get_value (self->sliders[k].adjustment);
      if (s > 0 && !inv_shift_list_add (list, k, s, NULL))
        g_warn_if_reached ();
    }
}

void
inv_shift_panel_set_status (InvShiftPanel *self, const char *text)
{
  g_return_if_fail (INV_IS_SHIFT_PANEL (self));
  gtk_label_set_text (self->status_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text && *text);
}
