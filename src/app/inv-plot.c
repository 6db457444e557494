/* InvPlot: snapshot appends one Cairo node drawn by the plot module's line
 * chart, themed with the widget's colours so dark mode works (the Cairo
 * node is rasterized at the widget's scale, so HiDPI is sharp). The
 * history or the set curves are the data; the widget only draws. */
#include "config.h"
#include "inv-plot.h"
#include "plot.h"
#include <glib/gi18n.h>
#include <math.h>

typedef struct {
  double *x, *y;              /* (n) */
  size_t n;
} Curve;

struct _InvPlot
{
  GtkWidget parent_instance;

  /* owned */
  InvHistory *history;
  gulong changed_id;
  char *metric;
  char *title;
  char *x_label;
  char *y_label;
  gboolean y_log;
  double y_min, y_max;        /* fixed y range when y_max > y_min, else automatic */
  Curve curves[INV_N_FAMILIES];
};

G_DEFINE_FINAL_TYPE (InvPlot, inv_plot, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_HISTORY,
  PROP_METRIC,
  PROP_TITLE,
  PROP_X_LABEL,
  PROP_Y_LABEL,
  PROP_Y_LOG,
  PROP_Y_MIN,
  PROP_Y_MAX,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Helpers. */

static void
set_string (InvPlot *self, char **field, const char *value, guint prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_double (InvPlot *self, double *field, double value, guint prop)
{
  if (*field == value)
    return;
  *field = value;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
get_points (InvPlot *self, InvFamily f, const double **x, const double **y, size_t *n)
{
  if (self->history)
    inv_history_get_points (self->history, self->metric, f, x, y, n);
  else
    {
      *x = self->curves[f].x;
      *y = self->curves[f].y;
      *n = self->curves[f].n;
    }
}

/* The chart's description; series (INV_N_FAMILIES) must outlive it. */
static void
build_lines (InvPlot *self, InvPlotLines *lines, InvPlotSeries *series, const InvPlotTheme *theme)
{
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      InvPlotSeries *s = &series[f];
      *s = (InvPlotSeries) { .name = inv_family_title (f), .style = INV_PLOT_STYLE_LINE_MARKERS };
      inv_family_color (f, s->rgba);
      get_points (self, f, &s->x, &s->y, &s->n);
      if (s->n > 40)
        s->style = INV_PLOT_STYLE_LINE;
    }
  *lines = (InvPlotLines) {
    .title = self->title,
    .x = { .label = self->x_label ? self->x_label : _("step") },
    .y = { .label = self->y_label, .log = self->y_log },
    .series = series,
    .n_series = INV_N_FAMILIES,
    .legend = INV_PLOT_LEGEND_AUTO,
    .theme = theme,
  };
  if (self->y_max > self->y_min)
    {
      lines->y.fixed = TRUE;
      lines->y.min = self->y_min;
      lines->y.max = self->y_max;
    }
}

/* Signal callbacks. */

static void
history_changed_cb (InvHistory *history, InvPlot *self)
{
  /* The detail says which metric changed; a clear has none. */
  GSignalInvocationHint *hint = g_signal_get_invocation_hint (history);
  if (hint && hint->detail && self->metric
      && hint->detail != g_quark_try_string (self->metric))
    return;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
inv_plot_theme_for_widget (InvPlotTheme *theme, GtkWidget *widget)
{
  GdkRGBA fg;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  const double background[4] = { 0, 0, 0, 0 };
  const double foreground[4] = { fg.red, fg.green, fg.blue, fg.alpha };
  inv_plot_theme_init (theme, background, foreground);
  PangoFontDescription *font = pango_context_get_font_description (gtk_widget_get_pango_context (widget));
  if (font && pango_font_description_get_family (font))
    theme->font_family = pango_font_description_get_family (font);
}

/* Overrides. */

static void
inv_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  InvPlot *self = INV_PLOT (widget);
  double width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  if (width < 1 || height < 1)
    return;

  InvPlotTheme theme;
  inv_plot_theme_for_widget (&theme, widget);

  InvPlotSeries series[INV_N_FAMILIES];
  InvPlotLines lines;
  build_lines (self, &lines, series, &theme);
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, (float) width,
                                                                          (float) height));
  inv_plot_lines_draw (cr, width, height, &lines);
  cairo_destroy (cr);
}

static void
inv_plot_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                  int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 160 : 120;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 360 : 240;
}

static void
inv_plot_dispose (GObject *object)
{
  inv_plot_set_history (INV_PLOT (object), NULL);
  G_OBJECT_CLASS (inv_plot_parent_class)->dispose (object);
}

static void
inv_plot_finalize (GObject *object)
{
  InvPlot *self = INV_PLOT (object);
  g_free (self->metric);
  g_free (self->title);
  g_free (self->x_label);
  g_free (self->y_label);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_free (self->curves[f].x);
      g_free (self->curves[f].y);
    }
  G_OBJECT_CLASS (inv_plot_parent_class)->finalize (object);
}

static void
inv_plot_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  InvPlot *self = INV_PLOT (object);
  switch (prop_id)
    {
    case PROP_HISTORY:
      g_value_set_object (value, self->history);
      break;
    case PROP_METRIC:
      g_value_set_string (value, self->metric);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_X_LABEL:
      g_value_set_string (value, self->x_label);
      break;
    case PROP_Y_LABEL:
      g_value_set_string (value, self->y_label);
      break;
    case PROP_Y_LOG:
      g_value_set_boolean (value, self->y_log);
      break;
    case PROP_Y_MIN:
      g_value_set_double (value, self->y_min);
      break;
    case PROP_Y_MAX:
      g_value_set_double (value, self->y_max);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inv_plot_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  InvPlot *self = INV_PLOT (object);
  switch (prop_id)
    {
    case PROP_HISTORY:
      inv_plot_set_history (self, g_value_get_object (value));
      break;
    case PROP_METRIC:
      inv_plot_set_metric (self, g_value_get_string (value));
      break;
    case PROP_TITLE:
      set_string (self, &self->title, g_value_get_string (value), PROP_TITLE);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      self->title ? self->title : "", -1);
      break;
    case PROP_X_LABEL:
      set_string (self, &self->x_label, g_value_get_string (value), PROP_X_LABEL);
      break;
    case PROP_Y_LABEL:
      set_string (self, &self->y_label, g_value_get_string (value), PROP_Y_LABEL);
      break;
    case PROP_Y_LOG:
      if (self->y_log != g_value_get_boolean (value))
        {
          self->y_log = g_value_get_boolean (value);
          gtk_widget_queue_draw (GTK_WIDGET (self));
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_Y_MIN:
      set_double (self, &self->y_min, g_value_get_double (value), PROP_Y_MIN);
      break;
    case PROP_Y_MAX:
      set_double (self, &self->y_max, g_value_get_double (value), PROP_Y_MAX);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inv_plot_class_init (InvPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = inv_plot_dispose;
  object_class->finalize = inv_plot_finalize;
  object_class->get_property = inv_plot_get_property;
  object_class->set_property = inv_plot_set_property;
  widget_class->snapshot = inv_plot_snapshot;
  widget_class->measure = inv_plot_measure;

  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  properties[PROP_HISTORY] = g_param_spec_object ("history", NULL, NULL, INV_TYPE_HISTORY, flags);
  properties[PROP_METRIC] = g_param_spec_string ("metric", NULL, NULL, NULL, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_X_LABEL] = g_param_spec_string ("x-label", NULL, NULL, NULL, flags);
  properties[PROP_Y_LABEL] = g_param_spec_string ("y-label", NULL, NULL, NULL, flags);
  properties[PROP_Y_LOG] = g_param_spec_boolean ("y-log", NULL, NULL, FALSE, flags);
  properties[PROP_Y_MIN] = g_param_spec_double ("y-min", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE,
                                                0, flags);
  properties[PROP_Y_MAX] = g_param_spec_double ("y-max", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE,
                                                0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_css_name (widget_class, "plot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
inv_plot_init (InvPlot *self)
{
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
}

/* Public API. */

GtkWidget *
inv_plot_new (void)
{
  return g_object_new (INV_TYPE_PLOT, NULL);
}

void
inv_plot_set_history (InvPlot *self, InvHistory *history)
{
  g_return_if_fail (INV_IS_PLOT (self));
  g_return_if_fail (history == NULL || INV_IS_HISTORY (history));
  if (self->history == history)
    return;
  if (self->history)
    g_clear_signal_handler (&self->changed_id, self->history);
  g_set_object (&self->history, history);
  if (history)
    self->changed_id = g_signal_connect (history, "changed", G_CALLBACK (history_changed_cb), self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HISTORY]);
}

InvHistory *
inv_plot_get_history (InvPlot *self)
{
  g_return_val_if_fail (INV_IS_PLOT (self), NULL);
  return self->history;
}

void
inv_plot_set_metric (InvPlot *self, const char *metric)
{
  g_return_if_fail (INV_IS_PLOT (self));
  set_string (self, &self->metric, metric, PROP_METRIC);
}

const char *
inv_plot_get_metric (InvPlot *self)
{
  g_return_val_if_fail (INV_IS_PLOT (self), NULL);
  return self->metric;
}

const char *
inv_plot_get_title (InvPlot *self)
{
  g_return_val_if_fail (INV_IS_PLOT (self), NULL);
  return self->title;
}

void
inv_plot_set_curve (InvPlot *self, InvFamily family, const double *x, const double *y, size_t n)
{
  g_return_if_fail (INV_IS_PLOT (self));
  g_return_if_fail (family < INV_N_FAMILIES);
  g_return_if_fail (n == 0 || y != NULL);
  Curve *c = &self->curves[family];
  g_clear_pointer (&c->x, g_free);
  g_clear_pointer (&c->y, g_free);
  c->n = n;
  if (n > 0)
    {
      c->y = g_memdup2 (y, n * sizeof (double));
      c->x = g_new (double, n);
      for (size_t i = 0; i < n; i++)
        c->x[i] = x ? x[i] : (double) i;
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
inv_plot_clear_curves (InvPlot *self)
{
  g_return_if_fail (INV_IS_PLOT (self));
  for (int f = 0; f < INV_N_FAMILIES; f++)
    inv_plot_set_curve (self, f, NULL, NULL, 0);
}

size_t
inv_plot_get_n_points (InvPlot *self, InvFamily family)
{
  g_return_val_if_fail (INV_IS_PLOT (self), 0);
  g_return_val_if_fail (family < INV_N_FAMILIES, 0);
  const double *x, *y;
  size_t n;
  get_points (self, family, &x, &y, &n);
  return n;
}

InvFigure *
inv_plot_get_figure (InvPlot *self)
{
  g_return_val_if_fail (INV_IS_PLOT (self), NULL);
  InvPlotSeries series[INV_N_FAMILIES];
  InvPlotLines lines;
  build_lines (self, &lines, series, NULL);
  return inv_figure_new_lines (&lines);
}
