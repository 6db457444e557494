/* gui-common: what the in-process GUI tests (tests/test-gui-*.c) share: the
 * test environment and application, main-loop waits, presenting and
 * destroying a window, rendering a widget to PNG and pixel statistics of its
 * regions. Not a test itself, and nothing here checks the app's behaviour
 * beyond what each helper says it waits for or asserts. */
#pragma once

#include "inv-application.h"
#include "inv-window-private.h"

G_BEGIN_DECLS

/* How long any gui_wait_* waits before the test fails (g_error). */
#define GUI_WAIT_TIMEOUT_S 300

/* ---- the application ---- */

/* Sets the test environment (GSettings' memory backend; the cairo renderer
 * with GL disabled unless GSK_RENDERER is set: a headless X server has no
 * GPU), then creates and registers a non-unique InvApplication with app_id.
 * Call after g_test_init; g_object_unref when done. */
InvApplication *gui_app_new (const char *app_id);

/* ---- the main loop ---- */

typedef gboolean (*GuiCondition) (gpointer data);

/* Iterates the main loop until cond (data) holds; fails the test after
 * GUI_WAIT_TIMEOUT_S, naming `what`. */
void gui_wait_until (GuiCondition cond, gpointer data, const char *what);

/* Runs the main loop for ms milliseconds. */
void gui_spin (guint ms);

/* Until the window has loaded its data and evaluated everything pending. */
void gui_wait_idle (InvWindow *win);

/* Until training has finished or failed (the state tells which). */
void gui_wait_trained (InvWindow *win);

/* Until the window's training has reached step `step`. */
void gui_wait_for_step (InvWindow *win, size_t step);

/* Until a file exists at path. */
void gui_wait_for_file (const char *path);

/* ---- windows ---- */

/* Sets the window's default size, presents it, and waits until it is idle
 * and drawn. Returns win. */
InvWindow *gui_present_window (InvWindow *win, int width, int height);

/* app.train, then until training has finished (asserted: not failed) and
 * the window is idle. */
void gui_train_to_end (InvWindow *win);

/* Destroys the window and waits until it and its training session are
 * finalized (no reference leaked). */
void gui_destroy_window (InvWindow *win);

/* The first visible toplevel of the type (or a subtype), or NULL. */
GtkWindow *gui_find_toplevel (GType type);

/* ---- pictures ---- */

/* Renders the widget at its scale factor to a texture (scale·height,
 * scale·width) and saves it as png_name in G_TEST_BUILDDIR (else the current
 * folder). g_object_unref. */
GdkTexture *gui_render_widget (GtkWidget *widget, const char *png_name);

/* A rectangle of a texture that gui_render_widget made, in its pixels. */
typedef struct {
  int x, y, w, h;
} GuiRegion;

/* Where widget lies in the rendering of win (at win's scale factor);
 * asserts it is larger than 50×50 pixels. */
GuiRegion gui_widget_region (InvWindow *win, GtkWidget *widget);

/* Luminance (0..255) of a region's pixels: mean, standard deviation, and
 * the fraction brighter than 170. */
typedef struct {
  double mean, stddev, bright;
} GuiLuminance;

GuiLuminance gui_region_luminance (GdkTexture *tex, GuiRegion r);

/* Fraction of the region's pixels that differ between a and b (same size). */
double gui_region_change (GdkTexture *a, GdkTexture *b, GuiRegion r);

G_END_DECLS
