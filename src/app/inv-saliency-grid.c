/* InvSaliencyGrid: draws R = 3 family rows × G group columns of cells. A
 * cell is one texture: the grayscale image with the heat map of the
 * saliency (|saliency| for a sequential colour map, signed for a diverging
 * one) blended over it by the plot module (one colour range per row, so the
 * orientations compare), upscaled by whole pixels at the widget's scale so
 * the linear filter keeps pixels square. Text comes from Pango with the
 * theme's colours. Exports draw the same cells with the CLI's saliency grid
 * figure. H×W images, n = H*W. */
#include "config.h"
#include "inv-saliency-grid.h"
#include "plot.h"
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

typedef struct {
  gboolean filled;
  size_t cls;                 /* the class every map explains */
  float *images;              /* (G, n) g·x */
  float *raw;                 /* (G, n) saliency of images[g] */
  float *aligned;             /* (G, n) g⁻¹·raw[g] */
  size_t *pred;               /* (G) */
  float *prob;                /* (G) probability of pred[g] */
  double vmin, vmax;          /* colour range of the shown maps (with textures) */
  char *subtitle;
  GdkTexture **textures;      /* (G) cached for tex_factor and the align mode */
} Row;

struct _InvSaliencyGrid
{
  GtkWidget parent_instance;

  size_t G, h, w;
  char **labels;              /* (G) column labels */
  char **class_names;         /* NULL-terminated, or NULL */
  float *input;               /* (G, n) orbit of the current sample, or NULL */
  GdkTexture **input_textures;/* (G) */
  Row rows[INV_N_FAMILIES];
  gboolean aligned;
  int tex_factor;             /* upscale of the cached textures */
  InvColormap cmap;
  GdkTexture *colorbar;
  guint64 paint_count;        /* snapshots drawn */
};

G_DEFINE_FINAL_TYPE (InvSaliencyGrid, inv_saliency_grid, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ALIGNED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define PAD 8.0
#define GAP 6.0
#define COLORBAR_W 12.0
#define OVERLAY_ALPHA 0.85

/* Helpers. */

static void
free_textures (GdkTexture ***textures, size_t G)
{
  if (*textures == NULL)
    return;
  for (size_t g = 0; g < G; g++)
    g_clear_object (&(*textures)[g]);
  g_clear_pointer (textures, g_free);
}

static void
row_clear (Row *row, size_t G)
{
  free_textures (&row->textures, G);
  g_clear_pointer (&row->images, g_free);
  g_clear_pointer (&row->raw, g_free);
  g_clear_pointer (&row->aligned, g_free);
  g_clear_pointer (&row->pred, g_free);
  g_clear_pointer (&row->prob, g_free);
  g_clear_pointer (&row->subtitle, g_free);
  row->filled = FALSE;
}

static void
invalidate_textures (InvSaliencyGrid *self)
{
  for (int f = 0; f < INV_N_FAMILIES; f++)
    free_textures (&self->rows[f].textures, self->G);
  free_textures (&self->input_textures, self->G);
}

/* The values a cell's heat map shows: |map| for sequential colour maps. */
static void
shown_values (InvSaliencyGrid *self, float *out, const float *map, size_t n)
{
  gboolean signed_map = inv_colormap_is_diverging (self->cmap);
  for (size_t p = 0; p < n; p++)
    out[p] = signed_map ? map[p] : fabsf (map[p]);
}

/* A (h·f, w·f) RGBA texture from rgba (h, w, 4), each pixel repeated
 * f × f times so the renderer's linear filter keeps pixels square. */
static GdkTexture *
upscaled_texture (const guint8 *rgba, size_t h, size_t w, int f)
{
  size_t F = (size_t) f, W = w * F, H = h * F, stride = W * 4;
  guint32 *pix = g_malloc (stride * H); /* (H, W) RGBA words */
  for (size_t y = 0; y < h; y++)
    {
      guint32 *row = pix + y * F * W;
      const guint32 *src = (const guint32 *) (const void *) (rgba + y * w * 4);
      for (size_t x = 0; x < w; x++)
        for (size_t k = 0; k < F; k++)
          row[x * F + k] = src[x];
      for (size_t k = 1; k < F; k++)
        memcpy (row + k * W, row, stride);
    }
  g_autoptr (GBytes) bytes = g_bytes_new_take (pix, stride * H);
  return gdk_memory_texture_new ((int) W, (int) H, GDK_MEMORY_R8G8B8A8, bytes, stride);
}

/* The cell's pixels come from the plot module, as in the CLI's figures:
 * the image in gray with |saliency| blended over it (heat NULL: the image
 * only, as a map of zeros shows it). */
static GdkTexture *
cell_texture (const float *img, const float *heat, size_t h, size_t w, int f,
              InvColormap cmap, double vmin, double vmax)
{
  size_t n = h * w;
  g_autofree guint32 *rgba = g_new (guint32, n); /* (h, w) RGBA words, aligned for copying */
  g_autofree float *zeros = heat ? NULL : g_new0 (float, n);
  inv_plot_overlay_to_rgba ((guint8 *) rgba, w * 4, img, heat ? heat : zeros, h, w,
                            cmap, vmin, vmax, OVERLAY_ALPHA);
  return upscaled_texture ((const guint8 *) rgba, h, w, f);
}

/* The colour range of a row's shown maps, as the CLI's saliency grid
 * figure computes it (one range per row). */
static void
row_range (InvSaliencyGrid *self, Row *row, double *vmin, double *vmax)
{
  size_t n = self->h * self->w;
  const float *base = self->aligned ? row->aligned : row->raw;
  g_autofree const float **maps = g_new (const float *, self->G);
  g_autofree const float **images = g_new (const float *, self->G);
  for (size_t g = 0; g < self->G; g++)
    {
      maps[g] = base + g * n;
      images[g] = row->images + g * n;
    }
  InvPlotSaliencyGrid desc = {
    .rows = 1,
    .cols = self->G,
    .h = self->h,
    .w = self->w,
    .images = images,
    .maps = maps,
    .cmap = self->cmap,
    .layout = INV_PLOT_SALIENCY_OVERLAY,
    .scale = INV_PLOT_SCALE_ROW,
    .overlay_alpha = OVERLAY_ALPHA,
  };
  inv_plot_saliency_grid_range (&desc, 0, vmin, vmax);
}

static GdkTexture *
row_texture (InvSaliencyGrid *self, Row *row, size_t g)
{
  size_t n = self->h * self->w;
  if (row->textures == NULL)
    {
      row->textures = g_new0 (GdkTexture *, self->G);
      row_range (self, row, &row->vmin, &row->vmax);
    }
  if (row->textures[g] == NULL)
    {
      const float *img = row->images + (self->aligned ? 0 : g) * n;
      const float *map = (self->aligned ? row->aligned : row->raw) + g * n;
      g_autofree float *heat = g_new (float, n); /* (n) the values the colour map shows */
      shown_values (self, heat, map, n);
      row->textures[g] = cell_texture (img, heat, self->h, self->w, self->tex_factor,
                                       self->cmap, row->vmin, row->vmax);
    }
  return row->textures[g];
}

static GdkTexture *
input_texture (InvSaliencyGrid *self, size_t g)
{
  if (self->input_textures == NULL)
    self->input_textures = g_new0 (GdkTexture *, self->G);
  if (self->input_textures[g] == NULL)
    self->input_textures[g] = cell_texture (self->input + g * self->h * self->w, NULL,
                                            self->h, self->w, self->tex_factor, self->cmap,
                                            inv_colormap_is_diverging (self->cmap) ? -1 : 0, 1);
  return self->input_textures[g];
}

static GdkTexture *
colorbar_texture (InvColormap cmap)
{
  enum { STEPS = 128 };
  guint8 *pix = g_malloc (STEPS * 3); /* (STEPS, 1, 3), top = high */
  for (int i = 0; i < STEPS; i++)
    {
      double c[3];
      inv_colormap_rgb (cmap, 1.0 - (i + 0.5) / STEPS, c);
      for (int k = 0; k < 3; k++)
        pix[i * 3 + k] = (guint8) lrint (CLAMP (c[k], 0.0, 1.0) * 255.0);
    }
  g_autoptr (GBytes) bytes = g_bytes_new_take (pix, STEPS * 3);
  return gdk_memory_texture_new (1, STEPS, GDK_MEMORY_R8G8B8, bytes, 3);
}

static void
get_color (GtkWidget *widget, GdkRGBA *color)
{
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), color);
}

static PangoLayout *
make_layout (GtkWidget *widget, const char *text, gboolean bold, double scale)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  PangoAttrList *attrs = pango_attr_list_new ();
  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  if (scale != 1.0)
    pango_attr_list_insert (attrs, pango_attr_scale_new (scale));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  return layout;
}

/* Draws layout with its top-left at (x, y), ellipsized to max_w (> 0),
 * aligned by align (0 left, 0.5 centre, 1 right) within max_w. */
static void
draw_layout (GtkSnapshot *snapshot, PangoLayout *layout, double x, double y,
             double max_w, double align, const GdkRGBA *color)
{
  if (max_w > 0)
    {
      pango_layout_set_width (layout, (int) (max_w * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
  int lw, lh;
  pango_layout_get_pixel_size (layout, &lw, &lh);
  double dx = max_w > 0 ? align * (max_w - lw) : 0;
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) (x + dx), (float) y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static double
layout_height (GtkWidget *widget, double scale)
{
  g_autoptr (PangoLayout) layout = make_layout (widget, "Ag°", FALSE, scale);
  int w, h;
  pango_layout_get_pixel_size (layout, &w, &h);
  return h;
}

static const char *
class_name (InvSaliencyGrid *self, size_t k, char buf[32])
{
  if (self->class_names)
    for (size_t i = 0; self->class_names[i]; i++)
      if (i == k)
        return self->class_names[i];
  g_snprintf (buf, 32, "%zu", k);
  return buf;
}

/* Overrides. */

static void
inv_saliency_grid_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  InvSaliencyGrid *self = INV_SALIENCY_GRID (widget);
  double width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  GdkRGBA fg, dim, bad = { 0.88, 0.11, 0.14, 1 };
  self->paint_count++;
  get_color (widget, &fg);
  dim = fg;
  dim.alpha *= 0.6;

  if (self->G == 0)
    {
      g_autoptr (PangoLayout) msg = make_layout (widget, _("Loading the data set…"), FALSE, 1.0);
      draw_layout (snapshot, msg, 0, height / 2 - 10, width, 0.5, &dim);
      return;
    }

  double line = layout_height (widget, 1.0), small = layout_height (widget, 0.85);
  double title_w = 0;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_autoptr (PangoLayout) l = make_layout (widget, inv_family_title (f), TRUE, 1.0);
      int lw, lh;
      pango_layout_get_pixel_size (l, &lw, &lh);
      title_w = MAX (title_w, lw + 18.0);
    }
  title_w = MIN (MAX (title_w, 120.0), 180.0);
  double header_h = small + 4, caption_h = small + 6, bar_w = COLORBAR_W + 44;
  double G = (double) self->G;
  double cell_w = (width - 2 * PAD - title_w - bar_w - (G - 1) * GAP) / G;
  double cell_h = (height - 2 * PAD - header_h - 3 * caption_h - 2 * GAP) / 3;
  double cell = floor (MIN (cell_w, cell_h));
  if (cell < 8)
    return;

  int factor = (int) ceil (cell * gtk_widget_get_scale_factor (widget) / (double) self->w);
  factor = CLAMP (factor, 1, 16);
  if (factor != self->tex_factor)
    {
      invalidate_textures (self);
      self->tex_factor = factor;
    }

  double grid_w = title_w + G * cell + (G - 1) * GAP + bar_w;
  double grid_h = header_h + 3 * (cell + caption_h) + 2 * GAP;
  double x0 = floor ((width - grid_w) / 2) + title_w;
  double y0 = floor (MAX ((height - grid_h) / 2, PAD)) + header_h;

  /* column labels */
  for (size_t g = 0; g < self->G; g++)
    {
      g_autoptr (PangoLayout) l = make_layout (widget, self->labels[g], FALSE, 0.85);
      draw_layout (snapshot, l, x0 + (double) g * (cell + GAP), y0 - header_h, cell, 0.5, &dim);
    }

  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      Row *row = &self->rows[f];
      double y = y0 + f * (cell + caption_h + GAP);

      /* row title with the family's colour */
      double rgba[4];
      inv_family_color (f, rgba);
      GdkRGBA swatch = { (float) rgba[0], (float) rgba[1], (float) rgba[2], 1 };
      double ty = y + cell / 2 - line;
      gtk_snapshot_append_color (snapshot, &swatch,
                                 &GRAPHENE_RECT_INIT ((float) (x0 - title_w), (float) (ty + 3),
                                                      4, (float) (2 * line - 6)));
      g_autoptr (PangoLayout) title = make_layout (widget, inv_family_title (f), TRUE, 1.0);
      draw_layout (snapshot, title, x0 - title_w + 10, ty, title_w - 16, 0, &fg);
      const char *sub = row->filled ? row->subtitle : _("not trained");
      if (sub)
        {
          g_autoptr (PangoLayout) l = make_layout (widget, sub, FALSE, 0.85);
          draw_layout (snapshot, l, x0 - title_w + 10, ty + line, title_w - 16, 0, &dim);
        }

      for (size_t g = 0; g < self->G; g++)
        {
          double x = x0 + (double) g * (cell + GAP);
          graphene_rect_t r = GRAPHENE_RECT_INIT ((float) x, (float) y, (float) cell, (float) cell);
          if (row->filled)
            {
              gtk_snapshot_append_texture (snapshot, row_texture (self, row, g), &r);
              char buf[32];
              g_autofree char *cap = g_strdup_printf ("%s %.0f%%", class_name (self, row->pred[g], buf),
                                                      100.0 * row->prob[g]);
              g_autoptr (PangoLayout) l = make_layout (widget, cap, FALSE, 0.85);
              draw_layout (snapshot, l, x - GAP / 2, y + cell + 2, cell + GAP, 0.5,
                           row->pred[g] == row->cls ? &fg : &bad);
            }
          else if (self->input)
            {
              gtk_snapshot_push_opacity (snapshot, 0.35);
              gtk_snapshot_append_texture (snapshot, input_texture (self, g), &r);
              gtk_snapshot_pop (snapshot);
            }
          else
            {
              GdkRGBA empty = dim;
              empty.alpha *= 0.15;
              gtk_snapshot_append_color (snapshot, &empty, &r);
            }
        }
    }

  /* colour bar */
  if (self->colorbar == NULL)
    self->colorbar = colorbar_texture (self->cmap);
  double bx = x0 + G * cell + (G - 1) * GAP + 14, by = y0, bh = 3 * cell + 2 * (caption_h + GAP);
  gtk_snapshot_append_texture (snapshot, self->colorbar,
                               &GRAPHENE_RECT_INIT ((float) bx, (float) by, COLORBAR_W, (float) bh));
  gboolean signed_map = inv_colormap_is_diverging (self->cmap);
  g_autoptr (PangoLayout) hi = make_layout (widget, signed_map ? "+" : _("high"), FALSE, 0.85);
  g_autoptr (PangoLayout) lo = make_layout (widget, signed_map ? "−" : "0", FALSE, 0.85);
  g_autoptr (PangoLayout) what = make_layout (widget, signed_map ? "∂z/∂x" : "|∂z/∂x|", FALSE, 0.85);
  draw_layout (snapshot, hi, bx + COLORBAR_W + 4, by, 0, 0, &dim);
  draw_layout (snapshot, lo, bx + COLORBAR_W + 4, by + bh - small, 0, 0, &dim);
  draw_layout (snapshot, what, bx - 6, by - header_h, 0, 0, &dim);
}

static void
inv_saliency_grid_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                           int *minimum, int *natural, int *minimum_baseline,
                           int *natural_baseline)
{
  InvSaliencyGrid *self = INV_SALIENCY_GRID (widget);
  int cols = (int) MAX (self->G, 4);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 200 + cols * 40;
      *natural = 200 + cols * 120;
    }
  else
    {
      *minimum = 3 * 60 + 40;
      *natural = 3 * 140 + 60;
    }
}

static void
inv_saliency_grid_dispose (GObject *object)
{
  InvSaliencyGrid *self = INV_SALIENCY_GRID (object);
  invalidate_textures (self);
  g_clear_object (&self->colorbar);
  G_OBJECT_CLASS (inv_saliency_grid_parent_class)->dispose (object);
}

static void
inv_saliency_grid_finalize (GObject *object)
{
  InvSaliencyGrid *self = INV_SALIENCY_GRID (object);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    row_clear (&self->rows[f], self->G);
  g_strfreev (self->labels);
  g_strfreev (self->class_names);
  g_free (self->input);
  G_OBJECT_CLASS (inv_saliency_grid_parent_class)->finalize (object);
}

static void
inv_saliency_grid_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  InvSaliencyGrid *self = INV_SALIENCY_GRID (object);
  switch (prop_id)
    {
    case PROP_ALIGNED:
      g_value_set_boolean (value, self->aligned);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inv_saliency_grid_set_property (GObject *object, guint prop_id, const GValue *value,
                                GParamSpec *pspec)
{
  InvSaliencyGrid *self = INV_SALIENCY_GRID (object);
  switch (prop_id)
    {
    case PROP_ALIGNED:
      inv_saliency_grid_set_aligned (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inv_saliency_grid_class_init (InvSaliencyGridClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = inv_saliency_grid_dispose;
  object_class->finalize = inv_saliency_grid_finalize;
  object_class->get_property = inv_saliency_grid_get_property;
  object_class->set_property = inv_saliency_grid_set_property;
  widget_class->snapshot = inv_saliency_grid_snapshot;
  widget_class->measure = inv_saliency_grid_measure;

  properties[PROP_ALIGNED] =
    g_param_spec_boolean ("aligned", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_css_name (widget_class, "saliencygrid");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
inv_saliency_grid_init (InvSaliencyGrid *self)
{
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Saliency maps of each model over the orbit of the test image"),
                                  -1);
}

/* Public API. */

GtkWidget *
inv_saliency_grid_new (void)
{
  return g_object_new (INV_TYPE_SALIENCY_GRID, NULL);
}

void
inv_saliency_grid_set_columns (InvSaliencyGrid *self, size_t G, const char *const *labels,
                               size_t h, size_t w)
{
  g_return_if_fail (INV_IS_SALIENCY_GRID (self));
  g_return_if_fail (G == 0 || labels != NULL);
  if (G != self->G || h != self->h || w != self->w)
    {
      invalidate_textures (self);
      for (int f = 0; f < INV_N_FAMILIES; f++)
        row_clear (&self->rows[f], self->G);
      g_clear_pointer (&self->input, g_free);
      gtk_widget_queue_resize (GTK_WIDGET (self));
    }
  g_strfreev (self->labels);
  self->labels = g_new0 (char *, G + 1);
  for (size_t g = 0; g < G; g++)
    self->labels[g] = g_strdup (labels[g]);
  self->G = G;
  self->h = h;
  self->w = w;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
inv_saliency_grid_set_class_names (InvSaliencyGrid *self, const char *const *names)
{
  g_return_if_fail (INV_IS_SALIENCY_GRID (self));
  g_strfreev (self->class_names);
  self->class_names = g_strdupv ((char **) names);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
inv_saliency_grid_set_input (InvSaliencyGrid *self, const float *images)
{
  g_return_if_fail (INV_IS_SALIENCY_GRID (self));
  free_textures (&self->input_textures, self->G);
  g_clear_pointer (&self->input, g_free);
  if (images && self->G > 0)
    self->input = g_memdup2 (images, self->G * self->h * self->w * sizeof (float));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
inv_saliency_grid_set_row (InvSaliencyGrid *self, InvFamily family, const InvOrbitMaps *maps,
                           const char *subtitle)
{
  g_return_if_fail (INV_IS_SALIENCY_GRID (self));
  g_return_if_fail (family < INV_N_FAMILIES);
  Row *row = &self->rows[family];
  row_clear (row, self->G);
  if (maps && maps->orbit->G == self->G && maps->orbit->n == self->h * self->w)
    {
      const InvSaliencyOrbit *o = maps->orbit;
      size_t G = o->G, n = o->n, K = o->K, bytes = G * n * sizeof (float);
      row->filled = TRUE;
      row->cls = o->cls;
      row->images = g_memdup2 (o->images, bytes);
      row->raw = g_memdup2 (o->maps, bytes);
      row->aligned = g_memdup2 (maps->aligned, bytes);
      row->pred = g_memdup2 (o->pred, G * sizeof (size_t));
      row->prob = g_new (float, G);
      for (size_t g = 0; g < G; g++)
        row->prob[g] = o->probs[g * K + o->pred[g]];
      row->subtitle = g_strdup (subtitle);
    }
  else if (maps)
    g_warning ("orbit of %zu×%zu pixels does not fit the grid's %zu columns of %zu pixels",
               maps->orbit->G, maps->orbit->n, self->G, self->h * self->w);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
inv_saliency_grid_clear_rows (InvSaliencyGrid *self)
{
  g_return_if_fail (INV_IS_SALIENCY_GRID (self));
  for (int f = 0; f < INV_N_FAMILIES; f++)
    row_clear (&self->rows[f], self->G);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
inv_saliency_grid_set_aligned (InvSaliencyGrid *self, gboolean aligned)
{
  g_return_if_fail (INV_IS_SALIENCY_GRID (self));
  aligned = !!aligned;
  if (self->aligned == aligned)
    return;
  self->aligned = aligned;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    free_textures (&self->rows[f].textures, self->G);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALIGNED]);
}

gboolean
inv_saliency_grid_get_aligned (InvSaliencyGrid *self)
{
  g_return_val_if_fail (INV_IS_SALIENCY_GRID (self), FALSE);
  return self->aligned;
}

size_t
inv_saliency_grid_get_n_rows (InvSaliencyGrid *self)
{
  g_return_val_if_fail (INV_IS_SALIENCY_GRID (self), 0);
  return INV_N_FAMILIES;
}

size_t
inv_saliency_grid_get_n_columns (InvSaliencyGrid *self)
{
  g_return_val_if_fail (INV_IS_SALIENCY_GRID (self), 0);
  return self->G;
}

size_t
inv_saliency_grid_get_n_filled_cells (InvSaliencyGrid *self)
{
  g_return_val_if_fail (INV_IS_SALIENCY_GRID (self), 0);
  size_t n = 0;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    if (self->rows[f].filled)
      n += self->G;
  return n;
}

const float *
inv_saliency_grid_get_cell_map (InvSaliencyGrid *self, InvFamily row, size_t col)
{
  g_return_val_if_fail (INV_IS_SALIENCY_GRID (self), NULL);
  g_return_val_if_fail (row < INV_N_FAMILIES, NULL);
  const Row *r = &self->rows[row];
  if (!r->filled || col >= self->G)
    return NULL;
  return (self->aligned ? r->aligned : r->raw) + col * self->h * self->w;
}

guint64
inv_saliency_grid_get_paint_count (InvSaliencyGrid *self)
{
  g_return_val_if_fail (INV_IS_SALIENCY_GRID (self), 0);
  return self->paint_count;
}

void
inv_saliency_grid_set_colormap (InvSaliencyGrid *self, InvColormap cmap)
{
  g_return_if_fail (INV_IS_SALIENCY_GRID (self));
  g_return_if_fail (cmap < INV_N_COLORMAPS);
  if (self->cmap == cmap)
    return;
  self->cmap = cmap;
  invalidate_textures (self);
  g_clear_object (&self->colorbar);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

InvColormap
inv_saliency_grid_get_colormap (InvSaliencyGrid *self)
{
  g_return_val_if_fail (INV_IS_SALIENCY_GRID (self), INV_COLORMAP_VIRIDIS);
  return self->cmap;
}

const float *
inv_saliency_grid_get_cell_image (InvSaliencyGrid *self, InvFamily row, size_t col)
{
  g_return_val_if_fail (INV_IS_SALIENCY_GRID (self), NULL);
  g_return_val_if_fail (row < INV_N_FAMILIES, NULL);
  if (col >= self->G)
    return NULL;
  size_t n = self->h * self->w;
  const Row *r = &self->rows[row];
  if (r->filled)
    return r->images + (self->aligned ? 0 : col) * n;
  return self->input ? self->input + col * n : NULL;
}

InvFigure *
inv_saliency_grid_get_figure (InvSaliencyGrid *self, const char *title)
{
  g_return_val_if_fail (INV_IS_SALIENCY_GRID (self), NULL);
  size_t R = INV_N_FAMILIES, C = self->G, cells = R * C;
  g_autofree const float **images = g_new0 (const float *, MAX (cells, (size_t) 1));
  g_autofree const float **maps = g_new0 (const float *, MAX (cells, (size_t) 1));
  g_autoptr (GPtrArray) captions = g_ptr_array_new_with_free_func (g_free);
  const char *row_titles[INV_N_FAMILIES];
  for (size_t f = 0; f < R; f++)
    {
      const Row *row = &self->rows[f];
      row_titles[f] = inv_family_title (f);
      for (size_t g = 0; g < C; g++)
        {
          images[f * C + g] = inv_saliency_grid_get_cell_image (self, f, g);
          maps[f * C + g] = inv_saliency_grid_get_cell_map (self, f, g);
          char buf[32];
          g_ptr_array_add (captions, row->filled
                                       ? g_strdup_printf ("%s %.0f%%", class_name (self, row->pred[g], buf),
                                                          100.0 * row->prob[g])
                                       : NULL);
        }
    }
  InvPlotSaliencyGrid desc = {
    .rows = R,
    .cols = C,
    .h = self->h,
    .w = self->w,
    .images = images,
    .maps = maps,
    .captions = (const char *const *) captions->pdata,
    .col_titles = (const char *const *) self->labels,
    .row_titles = row_titles,
    .title = title,
    .cmap = self->cmap,
    .layout = INV_PLOT_SALIENCY_OVERLAY,
    .scale = INV_PLOT_SCALE_ROW,
    .overlay_alpha = OVERLAY_ALPHA,
  };
  return inv_figure_new_saliency_grid (&desc);
}

void
inv_saliency_grid_set_row_subtitle (InvSaliencyGrid *self, InvFamily family, const char *subtitle)
{
  g_return_if_fail (INV_IS_SALIENCY_GRID (self));
  g_return_if_fail (family < INV_N_FAMILIES);
  Row *row = &self->rows[family];
  if (g_strcmp0 (row->subtitle, subtitle) == 0)
    return;
  g_free (row->subtitle);
  row->subtitle = g_strdup (subtitle);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
