/* gui-common: helpers shared by the in-process GUI tests (see gui-common.h):
 * environment and application, main-loop waits, window set-up and teardown,
 * rendering and pixel statistics. Compiled into every GUI test; no tests. */
#include "config.h"
#include "gui-common.h"
#include <math.h>
#include <stdlib.h>

/* ASan builds: fontconfig, Pango and Cairo keep font caches for the life of
 * the process; LeakSanitizer reports them at exit. Our own objects are
 * checked with weak pointers instead (gui_destroy_window). */
const char *__lsan_default_suppressions (void);
const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n"
         "leak:libpangoft2-1.0.so\n"
         "leak:libpangocairo-1.0.so\n";
}

/* ---- the application ---- */

InvApplication *
gui_app_new (const char *app_id)
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  /* A headless X server has no GPU: software GL takes ~300 ms a frame
   * whatever the app draws (and its driver leaks at exit). Setting
   * GSK_RENDERER in the environment tests another renderer. */
  if (g_getenv ("GSK_RENDERER") == NULL)
    {
      g_setenv ("GSK_RENDERER", "cairo", TRUE);
      g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
    }
  InvApplication *app = g_object_new (INV_TYPE_APPLICATION, "application-id", app_id,
                                      "flags", G_APPLICATION_NON_UNIQUE, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  return app;
}

/* ---- the main loop ---- */

void
gui_wait_until (GuiCondition cond, gpointer data, const char *what)
{
  gint64 end = g_get_monotonic_time () + GUI_WAIT_TIMEOUT_S * G_USEC_PER_SEC;
  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
timeout_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
gui_spin (guint ms)
{
  gboolean done = FALSE;
  g_timeout_add (ms, timeout_flag_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
window_idle_cond (gpointer data)
{
  return inv_window_is_idle (data);
}

void
gui_wait_idle (InvWindow *win)
{
  gui_wait_until (window_idle_cond, win, "the window to be idle");
}

static gboolean
trained_cond (gpointer data)
{
  InvTrainState s = inv_window_get_state (data);
  return s == INV_TRAIN_STATE_FINISHED || s == INV_TRAIN_STATE_FAILED;
}

void
gui_wait_trained (InvWindow *win)
{
  gui_wait_until (trained_cond, win, "training to end");
}

typedef struct {
  InvWindow *win;
  size_t step;
} StepWait;

static gboolean
step_reached_cond (gpointer data)
{
  StepWait *w = data;
  return inv_window_get_step (w->win) >= w->step;
}

void
gui_wait_for_step (InvWindow *win, size_t step)
{
  StepWait w = { win, step };
  gui_wait_until (step_reached_cond, &w, "a training step");
}

static gboolean
file_exists_cond (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

void
gui_wait_for_file (const char *path)
{
  gui_wait_until (file_exists_cond, (gpointer) path, path);
}

/* ---- windows ---- */

InvWindow *
gui_present_window (InvWindow *win, int width, int height)
{
  gtk_window_set_default_size (GTK_WINDOW (win), width, height);
  gtk_window_present (GTK_WINDOW (win));
  gui_wait_idle (win);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (win));
  return win;
}

void
gui_train_to_end (InvWindow *win)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (win));
  g_assert_nonnull (app);
  g_action_group_activate_action (G_ACTION_GROUP (app), "train", NULL);
  gui_wait_trained (win);
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_FINISHED);
  gui_wait_idle (win);
}

static gboolean
pointer_cleared_cond (gpointer data)
{
  return *(gpointer *) data == NULL;
}

void
gui_destroy_window (InvWindow *win)
{
  InvTrainSession *session = inv_window_get_session (win);
  gpointer win_ptr = win, session_ptr = session;
  g_object_add_weak_pointer (G_OBJECT (win), &win_ptr);
  g_object_add_weak_pointer (G_OBJECT (session), &session_ptr);
  gtk_window_destroy (GTK_WINDOW (win));
  gui_wait_until (pointer_cleared_cond, &session_ptr, "the training session to be finalized");
  gui_wait_until (pointer_cleared_cond, &win_ptr, "the window to be finalized");
}

GtkWindow *
gui_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) w = g_list_model_get_item (toplevels, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return w; /* the list keeps its reference */
    }
  return NULL;
}

/* ---- pictures ---- */

GdkTexture *
gui_render_widget (GtkWidget *widget, const char *png_name)
{
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  float scale = (float) gtk_widget_get_scale_factor (widget);
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  gtk_snapshot_scale (snapshot, scale, scale);
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  g_autoptr (GskRenderNode) node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  GdkTexture *tex = gsk_renderer_render_texture (renderer, node,
                                                 &GRAPHENE_RECT_INIT (0, 0, scale * (float) w,
                                                                      scale * (float) h));
  const char *dir = g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".";
  g_autofree char *path = g_build_filename (dir, png_name, NULL);
  g_assert_true (gdk_texture_save_to_png (tex, path));
  g_test_message ("window rendered to %s", path);
  return tex;
}

GuiRegion
gui_widget_region (InvWindow *win, GtkWidget *widget)
{
  graphene_rect_t b;
  g_assert_true (gtk_widget_compute_bounds (widget, GTK_WIDGET (win), &b));
  float k = (float) gtk_widget_get_scale_factor (GTK_WIDGET (win));
  GuiRegion r = { (int) ceilf (k * b.origin.x), (int) ceilf (k * b.origin.y),
                  (int) (k * b.size.width), (int) (k * b.size.height) };
  g_assert_cmpint (r.w, >, 50);
  g_assert_cmpint (r.h, >, 50);
  return r;
}

/* The texture's pixels, (h, w, 4) bytes B, G, R, A (premultiplied), row
 * stride *stride. g_free. */
static guchar *
download (GdkTexture *tex, gsize *stride)
{
  int w = gdk_texture_get_width (tex), h = gdk_texture_get_height (tex);
  *stride = (gsize) w * 4;
  guchar *data = g_malloc (*stride * (gsize) h);
  gdk_texture_download (tex, data, *stride);
  return data;
}

GuiLuminance
gui_region_luminance (GdkTexture *tex, GuiRegion r)
{
  int tw = gdk_texture_get_width (tex), th = gdk_texture_get_height (tex);
  gsize stride;
  g_autofree guchar *px = download (tex, &stride);
  double s = 0, s2 = 0, bright = 0, n = 0;
  for (int y = MAX (r.y, 0); y < r.y + r.h && y < th; y++)
    for (int x = MAX (r.x, 0); x < r.x + r.w && x < tw; x++)
      {
        const guchar *p = px + (gsize) y * stride + (gsize) x * 4;
        double l = 0.114 * p[0] + 0.587 * p[1] + 0.299 * p[2];
        s += l;
        s2 += l * l;
        bright += l > 170;
        n++;
      }
  GuiLuminance lum = { 0, 0, 0 };
  if (n > 0)
    {
      lum.mean = s / n;
      lum.stddev = sqrt (MAX (s2 / n - lum.mean * lum.mean, 0));
      lum.bright = bright / n;
    }
  return lum;
}

double
gui_region_change (GdkTexture *a, GdkTexture *b, GuiRegion r)
{
  int w = gdk_texture_get_width (a), h = gdk_texture_get_height (a);
  g_assert_cmpint (w, ==, gdk_texture_get_width (b));
  g_assert_cmpint (h, ==, gdk_texture_get_height (b));
  gsize stride;
  g_autofree guchar *pa = download (a, &stride);
  g_autofree guchar *pb = download (b, &stride);
  double changed = 0, n = 0;
  for (int y = MAX (r.y, 0); y < r.y + r.h && y < h; y++)
    for (int x = MAX (r.x, 0); x < r.x + r.w && x < w; x++)
      {
        gsize o = (gsize) y * stride + (gsize) x * 4;
        int d = abs (pa[o] - pb[o]) + abs (pa[o + 1] - pb[o + 1]) + abs (pa[o + 2] - pb[o + 2]);
        changed += d > 12;
        n++;
      }
  return n > 0 ? changed / n : 0;
}
