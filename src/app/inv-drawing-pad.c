/* InvDrawingPad: a drag gesture paints antialiased round-capped segments
 * into a float canvas (max-blended, so a stroke never darkens); the canvas
 * is shown as one texture upscaled by whole pixels, like the grid's cells,
 * in the largest centred square. A pen's pressure scales the brush. H×W
 * canvas, n = H*W. */
#include "config.h"
#include "inv-drawing-pad.h"
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

struct _InvDrawingPad
{
  GtkWidget parent_instance;

  size_t h, w;
  float *image;               /* (H, W) in [0, 1] */
  gboolean empty;
  double brush;               /* radius in image pixels */
  double last_x, last_y;      /* widget coordinates of the drag so far */
  double start_x, start_y;
  GdkTexture *texture;        /* cached for tex_factor */
  int tex_factor;
};

G_DEFINE_FINAL_TYPE (InvDrawingPad, inv_drawing_pad, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_BRUSH_SIZE,
  PROP_EMPTY,
  N_PROPS
};

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

#define BRUSH_MIN 0.5
#define BRUSH_MAX 4.0

/* Helpers. */

/* The square the canvas is shown in, in widget coordinates. */
static void
canvas_rect (InvDrawingPad *self, double *x, double *y, double *side)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  double height = gtk_widget_get_height (GTK_WIDGET (self));
  *side = floor (MIN (width, height));
  *x = floor ((width - *side) / 2);
  *y = floor ((height - *side) / 2);
}

static void
set_empty (InvDrawingPad *self, gboolean empty)
{
  if (self->empty == empty)
    return;
  self->empty = empty;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EMPTY]);
}

static void
changed (InvDrawingPad *self)
{
  g_clear_object (&self->texture);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* Distance from (px, py) to the segment a–b. */
static double
segment_distance (double px, double py, double ax, double ay, double bx, double by)
{
  double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  t = CLAMP (t, 0.0, 1.0);
  double qx = ax + t * dx - px, qy = ay + t * dy - py;
  return sqrt (qx * qx + qy * qy);
}

/* Paints the segment a–b (image pixel units, pixel centres at +0.5) with
 * radius r and a one-pixel antialiased edge. */
static void
paint_segment (InvDrawingPad *self, double ax, double ay, double bx, double by, double r)
{
  long x0 = (long) floor (MIN (ax, bx) - r - 1), x1 = (long) ceil (MAX (ax, bx) + r + 1);
  long y0 = (long) floor (MIN (ay, by) - r - 1), y1 = (long) ceil (MAX (ay, by) + r + 1);
  x0 = MAX (x0, 0);
  y0 = MAX (y0, 0);
  x1 = MIN (x1, (long) self->w - 1);
  y1 = MIN (y1, (long) self->h - 1);
  gboolean any = FALSE;
  for (long y = y0; y <= y1; y++)
    for (long x = x0; x <= x1; x++)
      {
        double d = segment_distance (x + 0.5, y + 0.5, ax, ay, bx, by);
        float v = (float) CLAMP (r + 0.5 - d, 0.0, 1.0);
        float *p = &self->image[(size_t) y * self->w + (size_t) x];
        if (v > *p)
          {
            *p = v;
            any = TRUE;
          }
      }
  if (any)
    set_empty (self, FALSE);
}

static GdkTexture *
canvas_texture (InvDrawingPad *self, int f)
{
  size_t F = (size_t) f, W = self->w * F, H = self->h * F, stride = W * 4;
  guint8 *pix = g_malloc (stride * H); /* (H, W, 4) R, G, B, A */
  for (size_t y = 0; y < H; y++)
    for (size_t x = 0; x < W; x++)
      {
        guint8 v = (guint8) lrintf (CLAMP (self->image[(y / F) * self->w + x / F], 0.0f, 1.0f) * 255);
        guint8 *p = pix + y * stride + x * 4;
        p[0] = p[1] = p[2] = v;
        p[3] = 255;
      }
  g_autoptr (GBytes) bytes = g_bytes_new_take (pix, stride * H);
  return gdk_memory_texture_new ((int) W, (int) H, GDK_MEMORY_R8G8B8A8, bytes, stride);
}

/* Signal callbacks. */

static double
event_pressure (GtkGesture *gesture)
{
  GdkEvent *event = gtk_gesture_get_last_event (gesture, gtk_gesture_get_last_updated_sequence (gesture));
  double p;
  if (event && gdk_event_get_axis (event, GDK_AXIS_PRESSURE, &p) && p > 0)
    return MIN (p, 1.0);
  return 1.0;
}

static void
drag_begin_cb (GtkGestureDrag *gesture, double x, double y, InvDrawingPad *self)
{
  self->start_x = self->last_x = x;
  self->start_y = self->last_y = y;
  inv_drawing_pad_stroke (self, x, y, x, y, event_pressure (GTK_GESTURE (gesture)));
}

static void
drag_update_cb (GtkGestureDrag *gesture, double dx, double dy, InvDrawingPad *self)
{
  double x = self->start_x + dx, y = self->start_y + dy;
  inv_drawing_pad_stroke (self, self->last_x, self->last_y, x, y,
                          event_pressure (GTK_GESTURE (gesture)));
  self->last_x = x;
  self->last_y = y;
}

/* Overrides. */

static void
inv_drawing_pad_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  InvDrawingPad *self = INV_DRAWING_PAD (widget);
  double x, y, side;
  canvas_rect (self, &x, &y, &side);
  if (side < 4 || self->w == 0)
    return;
  int f = (int) ceil (side * gtk_widget_get_scale_factor (widget) / (double) self->w);
  f = CLAMP (f, 1, 16);
  if (f != self->tex_factor)
    {
      g_clear_object (&self->texture);
      self->tex_factor = f;
    }
  if (self->texture == NULL)
    self->texture = canvas_texture (self, f);
  graphene_rect_t r = GRAPHENE_RECT_INIT ((float) x, (float) y, (float) side, (float) side);
  gtk_snapshot_append_texture (snapshot, self->texture, &r);

  GdkRGBA fg;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  fg.alpha *= 0.35f;
  GskRoundedRect outline;
  gsk_rounded_rect_init_from_rect (&outline, &r, 0);
  const float widths[4] = { 1, 1, 1, 1 };
  const GdkRGBA colors[4] = { fg, fg, fg, fg };
  gtk_snapshot_append_border (snapshot, &outline, widths, colors);
  if (self->empty)
    {
      GdkRGBA hint = { 1, 1, 1, 0.55f };
      g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (widget, _("Draw here"));
      int lw, lh;
      pango_layout_get_pixel_size (layout, &lw, &lh);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) (x + (side - lw) / 2),
                                                              (float) (y + (side - lh) / 2)));
      gtk_snapshot_append_layout (snapshot, layout, &hint);
      gtk_snapshot_restore (snapshot);
    }
}

static void
inv_drawing_pad_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                         int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = 112;
  *natural = 280;
}

static void
inv_drawing_pad_finalize (GObject *object)
{
  InvDrawingPad *self = INV_DRAWING_PAD (object);
  g_free (self->image);
  g_clear_object (&self->texture);
  G_OBJECT_CLASS (inv_drawing_pad_parent_class)->finalize (object);
}

static void
inv_drawing_pad_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  InvDrawingPad *self = INV_DRAWING_PAD (object);
  switch (prop_id)
    {
    case PROP_BRUSH_SIZE:
      g_value_set_double (value, self->brush);
      break;
    case PROP_EMPTY:
      g_value_set_boolean (value, self->empty);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inv_drawing_pad_set_property (GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
  InvDrawingPad *self = INV_DRAWING_PAD (object);
  switch (prop_id)
    {
    case PROP_BRUSH_SIZE:
      inv_drawing_pad_set_brush_size (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inv_drawing_pad_class_init (InvDrawingPadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->finalize = inv_drawing_pad_finalize;
  object_class->get_property = inv_drawing_pad_get_property;
  object_class->set_property = inv_drawing_pad_set_property;
  widget_class->snapshot = inv_drawing_pad_snapshot;
  widget_class->measure = inv_drawing_pad_measure;

  properties[PROP_BRUSH_SIZE] =
    g_param_spec_double ("brush-size", NULL, NULL, BRUSH_MIN, BRUSH_MAX, 1.2,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_EMPTY] =
    g_param_spec_boolean ("empty", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  gtk_widget_class_set_css_name (widget_class, "drawingpad");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
inv_drawing_pad_init (InvDrawingPad *self)
{
  self->brush = 1.2;
  self->empty = TRUE;
  inv_drawing_pad_set_image_size (self, 28, 28);
  GtkGesture *drag = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), GDK_BUTTON_PRIMARY);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "crosshair");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Drawing pad: draw an input for the models"), -1);
}

/* Public API. */

GtkWidget *
inv_drawing_pad_new (void)
{
  return g_object_new (INV_TYPE_DRAWING_PAD, NULL);
}

void
inv_drawing_pad_set_image_size (InvDrawingPad *self, size_t h, size_t w)
{
  g_return_if_fail (INV_IS_DRAWING_PAD (self));
  g_return_if_fail (h > 0 && w > 0 && h <= 4096 && w <= 4096);
  if (h == self->h && w == self->w)
    return;
  g_free (self->image);
  self->h = h;
  self->w = w;
  self->image = g_new0 (float, h * w);
  set_empty (self, TRUE);
  changed (self);
}

const float *
inv_drawing_pad_get_image (InvDrawingPad *self, size_t *h, size_t *w)
{
  g_return_val_if_fail (INV_IS_DRAWING_PAD (self), NULL);
  if (h)
    *h = self->h;
  if (w)
    *w = self->w;
  return self->image;
}

void
inv_drawing_pad_clear (InvDrawingPad *self)
{
  g_return_if_fail (INV_IS_DRAWING_PAD (self));
  memset (self->image, 0, self->h * self->w * sizeof (float));
  set_empty (self, TRUE);
  changed (self);
}

gboolean
inv_drawing_pad_is_empty (InvDrawingPad *self)
{
  g_return_val_if_fail (INV_IS_DRAWING_PAD (self), TRUE);
  return self->empty;
}

void
inv_drawing_pad_set_brush_size (InvDrawingPad *self, double radius)
{
  g_return_if_fail (INV_IS_DRAWING_PAD (self));
  radius = CLAMP (radius, BRUSH_MIN, BRUSH_MAX);
  if (self->brush == radius)
    return;
  self->brush = radius;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BRUSH_SIZE]);
}

double
inv_drawing_pad_get_brush_size (InvDrawingPad *self)
{
  g_return_val_if_fail (INV_IS_DRAWING_PAD (self), 0);
  return self->brush;
}

void
inv_drawing_pad_stroke (InvDrawingPad *self, double x0, double y0, double x1, double y1,
                        double pressure)
{
  g_return_if_fail (INV_IS_DRAWING_PAD (self));
  double ox, oy, side;
  canvas_rect (self, &ox, &oy, &side);
  if (side < 1)
    return;
  double sx = (double) self->w / side, sy = (double) self->h / side;
  double r = self->brush * (pressure > 0 && pressure <= 1 ? 0.5 + 0.5 * pressure : 1.0);
  paint_segment (self, (x0 - ox) * sx, (y0 - oy) * sy, (x1 - ox) * sx, (y1 - oy) * sy, r);
  changed (self);
}
