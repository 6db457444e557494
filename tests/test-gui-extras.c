/* GUI tests of the app's other part-2 features, in-process under a
 * headless X server: the drawing pad (a stroke synthesized through its drag
 * gesture shows in every orientation of the grid), exports (PNG, SVG, PDF,
 * CSV, safetensors), a bad model file (an error dialog, models kept), a
 * diverging learning rate (message, last finite weights, lower the rate),
 * the keyboard shortcuts, GSettings and dark mode. Screenshots:
 * test-gui-drawing.png, test-gui-dark.png in G_TEST_BUILDDIR. */
#include "config.h"
#include "gui-common.h"
#include "inv-settings.h"
#include "group.h"
#include "metrics.h"
#include "model.h"
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static InvApplication *app;

#define WINDOW_W 1200
#define WINDOW_H 800

/* ---- window helpers ---- */

static InvWindow *
new_window (guint subset)
{
  InvWindow *win = inv_window_new (GTK_APPLICATION (app), "digits", "c4");
  g_object_set (inv_window_get_setup_panel (win), "subset", subset, "epochs", 1u, NULL);
  g_object_set (inv_window_get_preferences (win), "eval-images", 128u, "eval-interval", 100u,
                "threads", 2u, NULL);
  return gui_present_window (win, WINDOW_W, WINDOW_H);
}

static gboolean
message_dialog_cond (gpointer data)
{
  return gui_find_toplevel (GTK_TYPE_MESSAGE_DIALOG) != NULL;
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  for (const char *name; d && (name = g_dir_read_name (d));)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        remove_tree (p);
      else
        g_remove (p);
    }
  g_rmdir (dir);
}

/* ---- tests ---- */

static GtkGesture *
find_drag_gesture (GtkWidget *widget)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) c = g_list_model_get_item (controllers, i);
      if (GTK_IS_GESTURE_DRAG (c))
        return GTK_GESTURE (c);
    }
  return NULL;
}

/* Draws a stroke through points (widget coordinates) the way the drag
 * gesture reports a mouse drag. */
static void
synthesize_stroke (InvDrawingPad *pad, const double (*pts)[2], size_t n)
{
  GtkGesture *drag = find_drag_gesture (GTK_WIDGET (pad));
  g_assert_nonnull (drag);
  g_signal_emit_by_name (drag, "drag-begin", pts[0][0], pts[0][1]);
  for (size_t i = 1; i < n; i++)
    g_signal_emit_by_name (drag, "drag-update", pts[i][0] - pts[0][0], pts[i][1] - pts[0][1]);
  g_signal_emit_by_name (drag, "drag-end", pts[n - 1][0] - pts[0][0], pts[n - 1][1] - pts[0][1]);
}

/* Checks that every column of every filled row shows g·drawing. */
static void
assert_grid_shows (InvWindow *win, const InvGroup *grp, const float *drawing)
{
  InvSaliencyGrid *grid = inv_window_get_grid (win);
  size_t n = grp->h * grp->w;
  g_autofree float *expect = g_new (float, n);
  for (size_t g = 0; g < grp->order; g++)
    {
      inv_group_apply (grp, g, expect, drawing);
      for (int f = 0; f < INV_N_FAMILIES; f++)
        {
          const float *cell = inv_saliency_grid_get_cell_image (grid, f, g);
          g_assert_nonnull (cell);
          g_assert_nonnull (inv_saliency_grid_get_cell_map (grid, f, g));
          for (size_t p = 0; p < n; p++)
            if (fabsf (cell[p] - expect[p]) > 1e-6f)
              g_error ("%s, column %zu, pixel %zu: %g, expected %g", inv_family_id (f), g, p,
                       cell[p], expect[p]);
        }
    }
}

static void
test_drawing (void)
{
  InvWindow *win = new_window (1000);
  gui_train_to_end (win);
  g_action_group_change_action_state (G_ACTION_GROUP (win), "align", g_variant_new_boolean (FALSE));
  gtk_stack_set_visible_child_name (GTK_STACK (inv_window_get_side_stack (win)), "draw");
  g_assert_true (inv_window_is_drawing (win));
  InvDrawingPad *pad = inv_window_get_drawing_pad (win);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (win));
  gui_wait_idle (win);
  g_assert_true (inv_drawing_pad_is_empty (pad));

  /* An "L" in the upper left: no rotation maps it onto itself. */
  double side = MIN (gtk_widget_get_width (GTK_WIDGET (pad)), gtk_widget_get_height (GTK_WIDGET (pad)));
  double ox = (gtk_widget_get_width (GTK_WIDGET (pad)) - side) / 2;
  double oy = (gtk_widget_get_height (GTK_WIDGET (pad)) - side) / 2;
  const double stroke[][2] = {
    { ox + 0.25 * side, oy + 0.15 * side }, { ox + 0.25 * side, oy + 0.35 * side },
    { ox + 0.25 * side, oy + 0.55 * side }, { ox + 0.40 * side, oy + 0.55 * side },
    { ox + 0.55 * side, oy + 0.55 * side },
  };
  synthesize_stroke (pad, stroke, 3);
  g_assert_false (inv_drawing_pad_is_empty (pad));
  gui_wait_idle (win);
  g_autoptr (GError) error = NULL;
  g_autoptr (InvGroup) grp = inv_group_new ("c4", 28, 28, &error);
  g_assert_no_error (error);
  size_t h, w;
  const float *img = inv_drawing_pad_get_image (pad, &h, &w);
  g_assert_cmpuint (h, ==, 28);
  g_assert_cmpuint (w, ==, 28);
  assert_grid_shows (win, grp, img);

  /* Drawing on updates the grid. */
  synthesize_stroke (pad, stroke, G_N_ELEMENTS (stroke));
  gui_wait_idle (win);
  img = inv_drawing_pad_get_image (pad, NULL, NULL);
  size_t ink = 0;
  for (size_t p = 0; p < 28 * 28; p++)
    ink += img[p] > 0.5f;
  g_test_message ("the stroke inked %zu of 784 pixels", ink);
  g_assert_cmpuint (ink, >, 20);
  g_assert_cmpuint (ink, <, 300);
  assert_grid_shows (win, grp, img);
  /* Its rotations differ: the grid shows four different images. */
  InvSaliencyGrid *grid = inv_window_get_grid (win);
  for (size_t g = 1; g < 4; g++)
    g_assert_cmpint (memcmp (inv_saliency_grid_get_cell_image (grid, 0, 0),
                             inv_saliency_grid_get_cell_image (grid, 0, g), 28 * 28 * sizeof (float)),
                     !=, 0);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (win));
  g_autoptr (GdkTexture) png = gui_render_widget (GTK_WIDGET (win), "test-gui-drawing.png");

  /* Clear, and back to the test images. */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.clear-drawing", NULL);
  g_assert_true (inv_drawing_pad_is_empty (pad));
  gtk_stack_set_visible_child_name (GTK_STACK (inv_window_get_side_stack (win)), "setup");
  gui_wait_idle (win);
  g_assert_false (inv_window_is_drawing (win));
  gui_destroy_window (win);
}

static void
assert_file_starts (const char *path, const char *magic, size_t magic_len, gsize min_size)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  g_test_message ("%s: %zu bytes", path, (size_t) len);
  g_assert_cmpuint (len, >=, min_size);
  g_assert_cmpint (memcmp (data, magic, magic_len), ==, 0);
}

static void
test_export (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("invlab-export-XXXXXX", &error);
  g_assert_no_error (error);
  InvWindow *win = new_window (1000);
  gui_train_to_end (win);
  g_action_group_activate_action (G_ACTION_GROUP (app), "set-shift", g_variant_new ("(sd)", "blur", 0.5));
  gtk_stack_set_visible_child_name (GTK_STACK (inv_window_get_plot_stack (win)), "shift");
  gui_wait_idle (win);

  /* The saliency grid in the three formats (the action takes a path). */
  static const struct {
    const char *ext, *magic;
    gsize min;
  } formats[] = { { "png", "\x89PNG\r\n\x1a\n", 5000 }, { "svg", "<?xml", 5000 },
                  { "pdf", "%PDF-", 3000 } };
  for (size_t i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *name = g_strdup_printf ("grid.%s", formats[i].ext);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_action_group_activate_action (G_ACTION_GROUP (app), "export-grid", g_variant_new_string (path));
      gui_wait_for_file (path);
      assert_file_starts (path, formats[i].magic, strlen (formats[i].magic), formats[i].min);
      if (strcmp (formats[i].ext, "svg") == 0)
        {
          g_autofree char *text = NULL;
          g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
          g_assert_nonnull (strstr (text, "<svg"));
        }
    }
  g_autofree char *grid_png = g_build_filename (dir, "grid.png", NULL);
  g_autoptr (GdkTexture) tex = gdk_texture_new_from_filename (grid_png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (tex), >, 400);
  const char *out = g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".";
  g_autofree char *keep = g_build_filename (out, "test-gui-export-grid.png", NULL);
  g_assert_true (gdk_texture_save_to_png (tex, keep));

  /* Every plot, at a chosen size, through the export function (PNG) and
   * the action (PDF). */
  static const char *const figures[] = { "loss", "orbit_accuracy", "pdi", "logit_invariance",
                                         "sis", "shift", "spectrum", "energy" };
  for (size_t i = 0; i < G_N_ELEMENTS (figures); i++)
    {
      InvExportItem item;
      g_assert_true (inv_export_item_from_name (figures[i], &item));
      g_autofree char *png = g_strdup_printf ("%s/%s.png", dir, figures[i]);
      g_autofree char *pdf = g_strdup_printf ("%s/%s.pdf", dir, figures[i]);
      inv_window_export (win, item, png, 640, 400, -1);
      g_action_group_activate_action (G_ACTION_GROUP (app), "export-figure",
                                      g_variant_new ("(ss)", figures[i], pdf));
      gui_wait_for_file (png);
      gui_wait_for_file (pdf);
      assert_file_starts (png, "\x89PNG", 4, 3000);
      assert_file_starts (pdf, "%PDF-", 5, 2000);
      g_autoptr (GdkTexture) t = gdk_texture_new_from_filename (png, &error);
      g_assert_no_error (error);
      g_assert_cmpint (gdk_texture_get_width (t), ==, 640);
      g_assert_cmpint (gdk_texture_get_height (t), ==, 400);
    }

  /* The current metrics: a header row and a row per family. */
  g_autofree char *metrics = g_build_filename (dir, "metrics.csv", NULL);
  g_action_group_activate_action (G_ACTION_GROUP (app), "export-metrics", g_variant_new_string (metrics));
  gui_wait_for_file (metrics);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (metrics, &text, NULL, NULL));
  g_auto (GStrv) rows = g_strsplit (g_strchomp (text), "\n", -1);
  g_assert_cmpuint (g_strv_length (rows), ==, 1 + INV_N_FAMILIES);
  g_assert_true (g_str_has_prefix (rows[0], "family,model,shift,n_images,orbit_accuracy"));
  g_auto (GStrv) header = g_strsplit (rows[0], ",", -1);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_auto (GStrv) fields = g_strsplit (rows[f + 1], ",", -1);
      g_assert_cmpuint (g_strv_length (fields), ==, g_strv_length (header));
      g_assert_cmpstr (fields[0], ==, inv_family_id (f));
      g_assert_cmpstr (fields[2], ==, "blur=0.5");
      g_assert_cmpstr (fields[3], ==, "128");
      InvMetrics m;
      g_assert_true (inv_window_get_current_metrics (win, f, &m));
      for (guint k = 0; header[k]; k++)
        if (strcmp (header[k], "pdi") == 0)
          g_assert_cmpfloat_with_epsilon (g_ascii_strtod (fields[k], NULL), m.pdi, 1e-8);
    }

  /* The shift curves. */
  g_autofree char *curves = g_build_filename (dir, "curves.csv", NULL);
  g_action_group_activate_action (G_ACTION_GROUP (app), "export-curves", g_variant_new_string (curves));
  gui_wait_for_file (curves);
  g_autofree char *ctext = NULL;
  g_assert_true (g_file_get_contents (curves, &ctext, NULL, NULL));
  g_auto (GStrv) crows = g_strsplit (g_strchomp (ctext), "\n", -1);
  g_assert_cmpuint (g_strv_length (crows), ==, 1 + INV_N_FAMILIES * 6);
  g_assert_true (g_str_has_prefix (crows[0], "family,shift,severity,"));
  g_assert_true (g_str_has_prefix (crows[1], "unconstrained,blur,0,"));

  /* The models: all three into a folder, or one. */
  g_autofree char *models = g_build_filename (dir, "models", NULL);
  g_assert_cmpint (g_mkdir (models, 0700), ==, 0);
  inv_window_export (win, INV_EXPORT_MODELS, models, 0, 0, -1);
  g_autofree char *tied = g_build_filename (models, "weight-tied-tied-mlp-c4.safetensors", NULL);
  gui_wait_for_file (tied);
  g_autofree char *one = g_build_filename (dir, "regularized.safetensors", NULL);
  inv_window_export (win, INV_EXPORT_MODELS, one, 0, 0, INV_FAMILY_REGULARIZED);
  gui_wait_for_file (one);
  gui_spin (200);
  g_autoptr (InvModel) back = inv_model_load (one, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->kind, ==, INV_MODEL_MLP);
  g_assert_cmpfloat (back->lambda, >, 0);
  g_autoptr (GDir) d = g_dir_open (models, 0, NULL);
  guint count = 0;
  while (g_dir_read_name (d))
    count++;
  g_assert_cmpuint (count, ==, 3);

  /* Ctrl+E opens the Export dialog. */
  g_auto (GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.export");
  g_assert_cmpstr (accels[0], ==, "<Control>e");
  g_action_group_activate_action (G_ACTION_GROUP (app), "export", NULL);
  GtkWidget *dialog = GTK_WIDGET (inv_window_get_export_dialog (win));
  g_assert_true (gtk_widget_get_visible (dialog));
  inv_export_dialog_set_item (INV_EXPORT_DIALOG (dialog), INV_EXPORT_METRICS_CSV);
  g_assert_cmpint (inv_export_dialog_get_item (INV_EXPORT_DIALOG (dialog)), ==, INV_EXPORT_METRICS_CSV);
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_false (gtk_widget_get_visible (dialog));
  gui_destroy_window (win);
  remove_tree (dir);
}

static void
test_bad_model (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("invlab-bad-XXXXXX", &error);
  g_assert_no_error (error);
  InvWindow *win = new_window (500);
  gui_train_to_end (win);
  const InvModel *before[INV_N_FAMILIES];
  for (int f = 0; f < INV_N_FAMILIES; f++)
    before[f] = inv_window_get_model (win, f);
  size_t cells = inv_saliency_grid_get_n_filled_cells (inv_window_get_grid (win));
  g_assert_cmpuint (cells, ==, 12);

  g_autofree char *junk = g_build_filename (dir, "junk.safetensors", NULL);
  g_assert_true (g_file_set_contents (junk, "this is not a model, just some text", -1, NULL));
  g_action_group_activate_action (G_ACTION_GROUP (app), "open-file", g_variant_new_string (junk));
  gui_wait_until (message_dialog_cond, NULL, "the error dialog");
  GtkWindow *dialog = gui_find_toplevel (GTK_TYPE_MESSAGE_DIALOG);
  g_autofree char *primary = NULL, *secondary = NULL;
  g_object_get (dialog, "text", &primary, "secondary-text", &secondary, NULL);
  g_test_message ("error dialog: %s — %s", primary, secondary);
  g_assert_nonnull (strstr (primary, "junk.safetensors"));
  g_assert_nonnull (strstr (secondary, "junk.safetensors"));
  g_assert_true (gtk_window_get_modal (dialog));
  gui_wait_idle (win);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    g_assert_true (inv_window_get_model (win, f) == before[f]);
  g_assert_cmpuint (inv_saliency_grid_get_n_filled_cells (inv_window_get_grid (win)), ==, cells);
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_CLOSE);
  gui_spin (100);
  g_assert_null (gui_find_toplevel (GTK_TYPE_MESSAGE_DIALOG));
  gui_destroy_window (win);
  g_remove (junk);
  g_rmdir (dir);
}

static void
test_diverge (void)
{
  InvWindow *win = new_window (3000);
  InvSetupPanel *panel = inv_window_get_setup_panel (win);
  /* SGD at 10 diverges within a few steps (Adam within the panel's range
   * does not). */
  inv_setup_panel_override_training (panel, INV_OPTIMIZER_SGD, 10);
  g_assert_cmpfloat (inv_setup_panel_get_learning_rate (panel), ==, 10);
  g_action_group_activate_action (G_ACTION_GROUP (app), "train", NULL);
  gui_wait_trained (win);
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_FAILED);
  gui_wait_idle (win);
  const char *text = inv_window_get_info_text (win);
  g_assert_nonnull (text);
  g_test_message ("info bar: %s", text);
  g_assert_nonnull (strstr (text, "step"));
  g_assert_nonnull (strstr (text, "learning rate"));
  /* The last finite weights are kept and shown. */
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      const InvModel *m = inv_window_get_model (win, f);
      g_assert_nonnull (m);
      for (size_t i = 0; i < m->n_params; i++)
        if (!isfinite (m->params[i]))
          g_error ("%s: parameter %zu is %g", inv_family_id (f), i, m->params[i]);
    }
  /* The info bar offers to lower the learning rate. */
  GtkInfoBar *bar = inv_window_get_info_bar (win);
  gtk_info_bar_response (bar, 1);
  g_assert_cmpfloat_with_epsilon (inv_setup_panel_get_learning_rate (panel), 1.0, 1e-12);
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_IDLE);
  g_assert_null (inv_window_get_model (win, INV_FAMILY_UNCONSTRAINED));
  g_assert_nonnull (strstr (inv_window_get_info_text (win), "1"));
  gui_destroy_window (win);
}

/* Runs the window's key shortcut for keyval as a key press would. */
static gboolean
press (InvWindow *win, guint keyval)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (win));
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) c = g_list_model_get_item (controllers, i);
      if (!GTK_IS_SHORTCUT_CONTROLLER (c))
        continue;
      for (guint k = 0; k < g_list_model_get_n_items (G_LIST_MODEL (c)); k++)
        {
          g_autoptr (GtkShortcut) s = g_list_model_get_item (G_LIST_MODEL (c), k);
          GtkShortcutTrigger *t = gtk_shortcut_get_trigger (s);
          if (GTK_IS_KEYVAL_TRIGGER (t) && gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (t)) == keyval
              && gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (t)) == 0)
            return gtk_shortcut_action_activate (gtk_shortcut_get_action (s), 0, GTK_WIDGET (win),
                                                 gtk_shortcut_get_arguments (s));
        }
    }
  g_error ("no shortcut for key %u", keyval);
  return FALSE;
}

static void
test_shortcuts (void)
{
  InvWindow *win = new_window (20000);
  /* Space trains and pauses, unless a text or spin entry has the focus. */
  gtk_widget_grab_focus (GTK_WIDGET (inv_window_get_grid (win)));
  gtk_window_set_focus (GTK_WINDOW (win), NULL);
  g_assert_true (press (win, GDK_KEY_space));
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_RUNNING);
  g_assert_true (press (win, GDK_KEY_space));
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_PAUSED);
  g_assert_true (press (win, GDK_KEY_space));
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_RUNNING);
  g_action_group_activate_action (G_ACTION_GROUP (app), "reset", NULL);

  /* Left and Right step through the test images. */
  GtkSpinButton *spin_button = ((InvWindow *) win)->sample_spin;
  g_assert_cmpfloat (gtk_spin_button_get_value (spin_button), ==, 0);
  g_assert_true (press (win, GDK_KEY_Right));
  g_assert_true (press (win, GDK_KEY_Right));
  g_assert_cmpfloat (gtk_spin_button_get_value (spin_button), ==, 2);
  g_assert_true (press (win, GDK_KEY_Left));
  g_assert_cmpfloat (gtk_spin_button_get_value (spin_button), ==, 1);

  /* In the spin button, Space and the arrows are the entry's. */
  gtk_widget_grab_focus (GTK_WIDGET (spin_button));
  g_assert_false (press (win, GDK_KEY_space));
  g_assert_false (press (win, GDK_KEY_Right));
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_IDLE);
  g_assert_cmpfloat (gtk_spin_button_get_value (spin_button), ==, 1);

  /* The accelerators of the issue, and the shortcuts window lists them. */
  static const struct {
    const char *action, *accel;
  } accels[] = {
    { "app.reset", "<Control>r" }, { "app.open", "<Control>o" }, { "app.save", "<Control>s" },
    { "app.export", "<Control>e" }, { "app.preferences", "<Control>comma" },
    { "app.quit", "<Control>q" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (accels); i++)
    {
      g_auto (GStrv) a = gtk_application_get_accels_for_action (GTK_APPLICATION (app), accels[i].action);
      g_assert_cmpstr (a[0], ==, accels[i].accel);
    }
  g_autoptr (GtkBuilder) builder =
    gtk_builder_new_from_resource ("/io/github/invlab/InvarianceLab/inv-shortcuts.ui");
  g_autoptr (GBytes) ui = g_resources_lookup_data ("/io/github/invlab/InvarianceLab/inv-shortcuts.ui",
                                                   0, NULL);
  const char *xml = g_bytes_get_data (ui, NULL);
  static const char *const listed[] = { ">space<", ">Left ", ">Right ", "&lt;Control&gt;e",
                                        "&lt;Control&gt;r", "&lt;Control&gt;o", "&lt;Control&gt;s",
                                        "&lt;Control&gt;comma", "&lt;Control&gt;q" };
  for (size_t i = 0; i < G_N_ELEMENTS (listed); i++)
    if (strstr (xml, listed[i]) == NULL)
      g_error ("the shortcuts window does not list %s", listed[i]);
  gui_destroy_window (win);
}

static void
test_settings (void)
{
  g_autoptr (GSettings) settings = inv_settings_new ();
  if (settings == NULL)
    {
      g_test_skip ("the GSettings schema is not available (GSETTINGS_SCHEMA_DIR)");
      return;
    }
  InvWindow *win = new_window (1000);
  InvPreferencesWindow *prefs = inv_window_get_preferences (win);
  /* Preferences write their keys... */
  g_object_set (prefs, "colormap", "diverging", "eval-images", 300u, "threads", 3u,
                "saliency-method", "integrated-gradients", NULL);
  g_autofree char *cmap = g_settings_get_string (settings, "colormap");
  g_assert_cmpstr (cmap, ==, "diverging");
  g_assert_cmpint (g_settings_get_int (settings, "eval-subset-size"), ==, 300);
  g_assert_cmpint (g_settings_get_int (settings, "worker-threads"), ==, 3);
  g_autofree char *method = g_settings_get_string (settings, "saliency-method");
  g_assert_cmpstr (method, ==, "ig");
  g_assert_cmpint (inv_saliency_grid_get_colormap (inv_window_get_grid (win)), ==,
                   INV_COLORMAP_DIVERGING);
  /* ... and follow them. */
  g_settings_set_string (settings, "colormap", "viridis");
  g_settings_set_string (settings, "saliency-method", "gradient");
  g_settings_set_int (settings, "eval-subset-size", 128);
  g_assert_cmpint (inv_saliency_grid_get_colormap (inv_window_get_grid (win)), ==,
                   INV_COLORMAP_VIRIDIS);
  guint images;
  g_object_get (prefs, "eval-images", &images, NULL);
  g_assert_cmpuint (images, ==, 128);
  g_settings_set_string (settings, "default-dataset-folder", "/tmp");
  g_assert_cmpstr (inv_preferences_window_get_dataset_folder (prefs), ==, "/tmp");
  g_settings_set_string (settings, "default-dataset-folder", "");

  /* The setup panel follows the settings over their whole range (the
   * schema's and the controls' ranges agree; more training images than
   * the split has means all of them). */
  InvSetupPanel *panel = inv_window_get_setup_panel (win);
  g_settings_set_double (settings, "lambda", 0.5);
  g_settings_set_int (settings, "train-subset", 1000000);
  double lambda;
  guint subset;
  g_object_get (panel, "lambda", &lambda, "subset", &subset, NULL);
  g_assert_cmpfloat_with_epsilon (lambda, 0.5, 1e-9);
  g_assert_cmpuint (subset, ==, 1000000);
  g_settings_set_int (settings, "train-subset", 100);
  g_object_get (panel, "subset", &subset, NULL);
  g_assert_cmpuint (subset, ==, 100);
  g_object_set (panel, "subset", 1500u, "seed", 42u, NULL);
  g_assert_cmpint (g_settings_get_int (settings, "train-subset"), ==, 1500);
  g_assert_cmpint (g_settings_get_int (settings, "seed"), ==, 42);
  g_autofree char *dataset = g_settings_get_string (settings, "dataset");
  g_assert_cmpstr (dataset, ==, "digits");

  /* The window's size is remembered. */
  gtk_window_set_default_size (GTK_WINDOW (win), 1111, 777);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (win));
  gui_destroy_window (win);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 1111);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 777);
  g_settings_set_double (settings, "lambda", 1.0);
  g_settings_set_int (settings, "seed", 1);
}

static void
test_dark (void)
{
  GtkSettings *gs = gtk_settings_get_default ();
  g_object_set (gs, "gtk-application-prefer-dark-theme", TRUE, NULL);
  InvWindow *win = new_window (500);
  gui_train_to_end (win);
  gtk_stack_set_visible_child_name (GTK_STACK (inv_window_get_plot_stack (win)), "invariance");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (win));
  g_autoptr (GdkTexture) tex = gui_render_widget (GTK_WIDGET (win), "test-gui-dark.png");
  /* The plots draw their text and axes in the theme's (light) colour on
   * the dark background. */
  GuiRegion plot_r = gui_widget_region (win, GTK_WIDGET (inv_window_get_plot (win, "pdi")));
  GuiLuminance lum = gui_region_luminance (tex, plot_r);
  g_test_message ("dark plot: mean luminance %.0f, %.3f of its pixels bright", lum.mean,
                  lum.bright);
  g_assert_cmpfloat (lum.mean, <, 110);
  g_assert_cmpfloat (lum.bright, >, 0.003);
  gui_destroy_window (win);
  g_object_set (gs, "gtk-application-prefer-dark-theme", FALSE, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  app = gui_app_new ("io.github.invlab.InvarianceLab.TestExtras");

  g_test_add_func ("/gui-extras/drawing", test_drawing);
  g_test_add_func ("/gui-extras/export", test_export);
  g_test_add_func ("/gui-extras/bad-model", test_bad_model);
  g_test_add_func ("/gui-extras/diverge", test_diverge);
  g_test_add_func ("/gui-extras/shortcuts", test_shortcuts);
  g_test_add_func ("/gui-extras/settings", test_settings);
  g_test_add_func ("/gui-extras/dark", test_dark);
  int status = g_test_run ();
  g_object_unref (app);
  return status;
}
