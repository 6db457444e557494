/* InvFigure: the copied description plus every buffer it points to, owned
 * through one list of allocations. Drawing and saving call the plot
 * module's draw functions, which are thread safe on separate surfaces. */
#include "config.h"
#include "inv-figure.h"
#include <string.h>

typedef enum {
  FIGURE_LINES,
  FIGURE_MULTIPLES,
  FIGURE_SALIENCY_GRID,
} FigureKind;

struct _InvFigure
{
  FigureKind kind;
  InvPlotLines lines;
  InvPlotMultiples multiples;
  InvPlotSaliencyGrid grid;
  InvPlotTheme theme;
  GPtrArray *allocs;          /* every copied buffer (g_free) */
};

/* Helpers. */

static gpointer
keep (InvFigure *fig, gpointer p)
{
  if (p)
    g_ptr_array_add (fig->allocs, p);
  return p;
}

static const char *
copy_str (InvFigure *fig, const char *s)
{
  return s ? keep (fig, g_strdup (s)) : NULL;
}

static gpointer
copy_mem (InvFigure *fig, gconstpointer p, size_t bytes)
{
  return p && bytes ? keep (fig, g_memdup2 (p, bytes)) : NULL;
}

static InvFigure *
figure_new (FigureKind kind, const InvPlotTheme *theme)
{
  InvFigure *fig = g_new0 (InvFigure, 1);
  fig->kind = kind;
  fig->allocs = g_ptr_array_new_with_free_func (g_free);
  fig->theme = *(theme ? theme : inv_plot_theme_default ());
  fig->theme.font_family = copy_str (fig, fig->theme.font_family);
  return fig;
}

/* dst = a deep copy of src, drawn with the figure's theme. */
static void
copy_lines (InvFigure *fig, InvPlotLines *dst, const InvPlotLines *src)
{
  *dst = *src;
  dst->title = copy_str (fig, src->title);
  dst->x.label = copy_str (fig, src->x.label);
  dst->y.label = copy_str (fig, src->y.label);
  dst->theme = &fig->theme;
  InvPlotSeries *series = keep (fig, g_new0 (InvPlotSeries, MAX (src->n_series, (size_t) 1)));
  for (size_t i = 0; i < src->n_series; i++)
    {
      const InvPlotSeries *s = &src->series[i];
      series[i] = *s;
      series[i].name = copy_str (fig, s->name);
      series[i].x = copy_mem (fig, s->x, s->n * sizeof (double));
      series[i].y = copy_mem (fig, s->y, s->n * sizeof (double));
      if (s->y == NULL)
        series[i].n = 0;
    }
  dst->series = series;
}

static const char *const *
copy_strv (InvFigure *fig, const char *const *v, size_t n)
{
  if (v == NULL)
    return NULL;
  const char **out = keep (fig, g_new0 (const char *, n + 1));
  for (size_t i = 0; i < n; i++)
    out[i] = copy_str (fig, v[i]);
  return out;
}

static const float *const *
copy_images (InvFigure *fig, const float *const *v, size_t count, size_t n)
{
  if (v == NULL)
    return NULL;
  const float **out = keep (fig, g_new0 (const float *, count));
  for (size_t i = 0; i < count; i++)
    out[i] = copy_mem (fig, v[i], n * sizeof (float));
  return out;
}

/* Public API. */

InvFigure *
inv_figure_new_lines (const InvPlotLines *lines)
{
  g_return_val_if_fail (lines != NULL, NULL);
  InvFigure *fig = figure_new (FIGURE_LINES, lines->theme);
  copy_lines (fig, &fig->lines, lines);
  return fig;
}

InvFigure *
inv_figure_new_multiples (const InvPlotMultiples *multiples)
{
  g_return_val_if_fail (multiples != NULL, NULL);
  InvFigure *fig = figure_new (FIGURE_MULTIPLES, multiples->theme);
  fig->multiples = *multiples;
  fig->multiples.title = copy_str (fig, multiples->title);
  fig->multiples.theme = &fig->theme;
  InvPlotLines *panels = keep (fig, g_new0 (InvPlotLines, MAX (multiples->n_panels, (size_t) 1)));
  for (size_t k = 0; k < multiples->n_panels; k++)
    copy_lines (fig, &panels[k], &multiples->panels[k]);
  fig->multiples.panels = panels;
  return fig;
}

InvFigure *
inv_figure_new_saliency_grid (const InvPlotSaliencyGrid *grid)
{
  g_return_val_if_fail (grid != NULL, NULL);
  InvFigure *fig = figure_new (FIGURE_SALIENCY_GRID, grid->theme);
  size_t cells = grid->rows * grid->cols, n = grid->h * grid->w;
  fig->grid = *grid;
  fig->grid.images = copy_images (fig, grid->images, cells, n);
  fig->grid.maps = copy_images (fig, grid->maps, cells, n);
  fig->grid.captions = copy_strv (fig, grid->captions, cells);
  fig->grid.col_titles = copy_strv (fig, grid->col_titles, grid->cols);
  fig->grid.row_titles = copy_strv (fig, grid->row_titles, grid->rows);
  fig->grid.title = copy_str (fig, grid->title);
  fig->grid.bar_label = copy_str (fig, grid->bar_label);
  fig->grid.theme = &fig->theme;
  return fig;
}

void
inv_figure_free (InvFigure *figure)
{
  if (figure == NULL)
    return;
  g_ptr_array_unref (figure->allocs);
  g_free (figure);
}

void
inv_figure_natural_size (const InvFigure *figure, double *width, double *height)
{
  g_return_if_fail (figure != NULL);
  switch (figure->kind)
    {
    case FIGURE_SALIENCY_GRID:
      inv_plot_saliency_grid_size (&figure->grid, 112, width, height);
      break;
    case FIGURE_MULTIPLES:
      inv_plot_multiples_size (&figure->multiples, 300, 230, width, height);
      break;
    case FIGURE_LINES:
    default:
      *width = 720;
      *height = 460;
      break;
    }
}

void
inv_figure_draw (const InvFigure *figure, cairo_t *cr, double width, double height)
{
  g_return_if_fail (figure != NULL);
  switch (figure->kind)
    {
    case FIGURE_SALIENCY_GRID:
      inv_plot_saliency_grid_draw (cr, width, height, &figure->grid);
      break;
    case FIGURE_MULTIPLES:
      inv_plot_multiples_draw (cr, width, height, &figure->multiples);
      break;
    case FIGURE_LINES:
    default:
      inv_plot_lines_draw (cr, width, height, &figure->lines);
      break;
    }
}

static void
draw_figure_cb (cairo_t *cr, double width, double height, const void *data)
{
  inv_figure_draw (data, cr, width, height);
}

gboolean
inv_figure_save (const InvFigure *figure, const char *path, double width, double height,
                 GError **error)
{
  g_return_val_if_fail (figure != NULL && path != NULL, FALSE);
  return inv_plot_save (path, width, height, draw_figure_cb, figure, error);
}
