/* InvSweepPlot: keeps the curves as a table of metrics per family and
 * severity, and builds one InvPlotMultiples of four panels (orbit accuracy,
 * PDI, LI, SIS) for the snapshot (themed from the widget) and for exports
 * (the CLI's theme). S severities. */
#include "config.h"
#include "inv-sweep-plot.h"
#include "inv-plot.h"
#include "inv-shift-panel.h"
#include "plot.h"
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

struct _InvSweepPlot
{
  GtkWidget parent_instance;

  InvShiftKind kind;
  size_t S;
  double *severities;                 /* (S) */
  InvMetrics *curves[INV_N_FAMILIES]; /* (S) each, or NULL */
  double marker;                      /* NaN: none */
};

G_DEFINE_FINAL_TYPE (InvSweepPlot, inv_sweep_plot, GTK_TYPE_WIDGET)

/* The panels, in order. */
static const char *const panel_metrics[] = { "orbit_accuracy", "pdi", "logit_invariance", "sis" };
#define N_PANELS G_N_ELEMENTS (panel_metrics)
/* Short enough for a quarter of the tab. */
static const char *const panel_titles[] = { N_("Orbit accuracy"), N_("PDI"), N_("Logit inv. (LI)"),
                                            N_("SIS") };

/* Everything a description points to. */
typedef struct {
  InvPlotLines panels[N_PANELS];
  InvPlotSeries series[N_PANELS][INV_N_FAMILIES];
  double *y[N_PANELS][INV_N_FAMILIES];
  char *title;
  InvPlotMultiples fig;
} Figure;

/* Helpers. */

static void
figure_clear (Figure *fig)
{
  for (size_t k = 0; k < N_PANELS; k++)
    for (int f = 0; f < INV_N_FAMILIES; f++)
      g_free (fig->y[k][f]);
  g_free (fig->title);
}

static void
build_figure (InvSweepPlot *self, Figure *fig, const InvPlotTheme *theme)
{
  memset (fig, 0, sizeof *fig);
  for (size_t k = 0; k < N_PANELS; k++)
    {
      const InvMetricInfo *info = inv_metric_info_find (panel_metrics[k]);
      for (int f = 0; f < INV_N_FAMILIES; f++)
        {
          InvPlotSeries *s = &fig->series[k][f];
          s->name = inv_family_title (f);
          inv_family_color (f, s->rgba);
          s->style = INV_PLOT_STYLE_LINE_MARKERS;
          if (self->curves[f])
            {
              fig->y[k][f] = g_new (double, self->S);
              for (size_t i = 0; i < self->S; i++)
                fig->y[k][f][i] = info->get (&self->curves[f][i]);
              s->x = self->severities;
              s->y = fig->y[k][f];
              s->n = self->S;
            }
        }
      fig->panels[k] = (InvPlotLines) {
        .title = _(panel_titles[k]),
        .x = { .label = _("severity"), .fixed = TRUE, .min = 0, .max = 1 },
        .y = { .fixed = TRUE, .min = 0, .max = 1 },
        .series = fig->series[k],
        .n_series = INV_N_FAMILIES,
        .show_marker = isfinite (self->marker),
        .marker_x = self->marker,
      };
    }
  /* Translators: the Shift tab's title, e.g. "Metrics against Noise severity". */
  fig->title = g_strdup_printf (_("Metrics against %s severity"), inv_shift_kind_title (self->kind));
  fig->fig = (InvPlotMultiples) {
    .title = fig->title,
    .panels = fig->panels,
    .n_panels = N_PANELS,
    .cols = N_PANELS,
    .theme = theme,
  };
}

/* Overrides. */

static void
inv_sweep_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  InvSweepPlot *self = INV_SWEEP_PLOT (widget);
  double width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  if (width < 1 || height < 1)
    return;
  InvPlotTheme theme;
  inv_plot_theme_for_widget (&theme, widget);
  theme.font_size = 11;

  Figure fig;
  build_figure (self, &fig, &theme);
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, (float) width,
                                                                          (float) height));
  inv_plot_multiples_draw (cr, width, height, &fig.fig);
  cairo_destroy (cr);
  figure_clear (&fig);
}

static void
inv_sweep_plot_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                        int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 320 : 140;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 720 : 240;
}

static void
inv_sweep_plot_finalize (GObject *object)
{
  inv_sweep_plot_clear (INV_SWEEP_PLOT (object));
  G_OBJECT_CLASS (inv_sweep_plot_parent_class)->finalize (object);
}

static void
inv_sweep_plot_class_init (InvSweepPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->finalize = inv_sweep_plot_finalize;
  widget_class->snapshot = inv_sweep_plot_snapshot;
  widget_class->measure = inv_sweep_plot_measure;
  gtk_widget_class_set_css_name (widget_class, "sweepplot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
inv_sweep_plot_init (InvSweepPlot *self)
{
  self->kind = INV_SHIFT_NOISE;
  self->marker = 0;
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Invariance metrics against the severity of the shift"), -1);
}

/* Public API. */

GtkWidget *
inv_sweep_plot_new (void)
{
  return g_object_new (INV_TYPE_SWEEP_PLOT, NULL);
}

void
inv_sweep_plot_set_kind (InvSweepPlot *self, InvShiftKind kind)
{
  g_return_if_fail (INV_IS_SWEEP_PLOT (self));
  g_return_if_fail (kind < INV_SHIFT_N_KINDS);
  if (self->kind == kind)
    return;
  inv_sweep_plot_clear (self);
  self->kind = kind;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

InvShiftKind
inv_sweep_plot_get_kind (InvSweepPlot *self)
{
  g_return_val_if_fail (INV_IS_SWEEP_PLOT (self), INV_SHIFT_NOISE);
  return self->kind;
}

void
inv_sweep_plot_set_curves (InvSweepPlot *self, InvShiftKind kind, size_t S,
                           const double *severities, InvMetrics *const *curves)
{
  g_return_if_fail (INV_IS_SWEEP_PLOT (self));
  g_return_if_fail (kind < INV_SHIFT_N_KINDS);
  inv_sweep_plot_clear (self);
  self->kind = kind;
  self->S = S;
  self->severities = g_memdup2 (severities, S * sizeof (double));
  for (int f = 0; f < INV_N_FAMILIES; f++)
    if (curves[f])
      self->curves[f] = g_memdup2 (curves[f], S * sizeof (InvMetrics));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
inv_sweep_plot_clear (InvSweepPlot *self)
{
  g_return_if_fail (INV_IS_SWEEP_PLOT (self));
  g_clear_pointer (&self->severities, g_free);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    g_clear_pointer (&self->curves[f], g_free);
  self->S = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
inv_sweep_plot_set_marker (InvSweepPlot *self, double severity)
{
  g_return_if_fail (INV_IS_SWEEP_PLOT (self));
  if (self->marker == severity || (isnan (self->marker) && isnan (severity)))
    return;
  self->marker = severity;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

size_t
inv_sweep_plot_get_n_points (InvSweepPlot *self, InvFamily family)
{
  g_return_val_if_fail (INV_IS_SWEEP_PLOT (self), 0);
  g_return_val_if_fail (family < INV_N_FAMILIES, 0);
  return self->curves[family] ? self->S : 0;
}

InvFigure *
inv_sweep_plot_get_figure (InvSweepPlot *self)
{
  g_return_val_if_fail (INV_IS_SWEEP_PLOT (self), NULL);
  Figure fig;
  build_figure (self, &fig, NULL);
  InvFigure *out = inv_figure_new_multiples (&fig.fig);
  figure_clear (&fig);
  return out;
}

char *
inv_sweep_plot_to_csv (InvSweepPlot *self)
{
  g_return_val_if_fail (INV_IS_SWEEP_PLOT (self), NULL);
  const InvMetricInfo *infos = inv_metric_infos ();
  GString *s = g_string_new ("family,shift,severity");
  for (size_t k = 0; k < INV_N_METRICS; k++)
    g_string_append_printf (s, ",%s", infos[k].name);
  g_string_append_c (s, '\n');
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  for (int f = 0; f < INV_N_FAMILIES; f++)
    for (size_t i = 0; self->curves[f] && i < self->S; i++)
      {
        g_string_append_printf (s, "%s,%s,%s", inv_family_id (f), inv_shift_kind_name (self->kind),
                                g_ascii_formatd (buf, sizeof buf, "%.4g", self->severities[i]));
        for (size_t k = 0; k < INV_N_METRICS; k++)
          {
            double v = infos[k].get (&self->curves[f][i]);
            g_string_append_c (s, ',');
            if (isfinite (v))
              g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.9g", v));
          }
        g_string_append_c (s, '\n');
      }
  return g_string_free (s, FALSE);
}
