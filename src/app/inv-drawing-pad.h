/* InvDrawingPad: an H×W canvas the person draws an input on with the mouse
 * or a pen (white strokes on black, as the data sets' images are), with a
 * brush size and Clear. Emits "changed" after every stroke segment so the
 * window can explain the drawing while it is drawn. Computes nothing. */
#pragma once
#include <gtk/gtk.h>

G_BEGIN_DECLS

#define INV_TYPE_DRAWING_PAD (inv_drawing_pad_get_type ())
G_DECLARE_FINAL_TYPE (InvDrawingPad, inv_drawing_pad, INV, DRAWING_PAD, GtkWidget)

/* Properties: "brush-size" (radius in image pixels, 0.5–4), "empty". */
GtkWidget *inv_drawing_pad_new (void);
/* The canvas size (clears it when it changes). Default 28×28. */
void inv_drawing_pad_set_image_size (InvDrawingPad *self, size_t h, size_t w);
/* The drawing, (H, W) pixels in [0, 1]; valid until the next change. */
const float *inv_drawing_pad_get_image (InvDrawingPad *self, size_t *h, size_t *w);
void inv_drawing_pad_clear (InvDrawingPad *self);
gboolean inv_drawing_pad_is_empty (InvDrawingPad *self);
void inv_drawing_pad_set_brush_size (InvDrawingPad *self, double radius);
double inv_drawing_pad_get_brush_size (InvDrawingPad *self);
/* Paints a segment between two points in widget coordinates, as a drag
 * does; pressure in (0, 1] scales the brush (1 for a mouse). */
void inv_drawing_pad_stroke (InvDrawingPad *self, double x0, double y0, double x1, double y1,
                             double pressure);

G_END_DECLS
