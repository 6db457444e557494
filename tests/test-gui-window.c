/* GUI tests of the main window, in-process under a headless X server: the
 * actions train the three families on a small subset of the built-in digits
 * while the main loop is timed; the grid, the plots, pause/resume/reset,
 * closing during training and opening/saving models are checked, and the
 * window is rendered to PNG (test-gui-*.png in G_TEST_BUILDDIR). */
#include "config.h"
#include "blas.h"
#include "gui-common.h"
#include "inv-settings.h"
#include "metrics.h"
#include "model.h"
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static InvApplication *app;

#define WINDOW_W 1200
#define WINDOW_H 800

/* ---- main-loop stalls ---- */

/* Nanoseconds this thread has waited on a run queue for a CPU (Linux
 * schedstat), or 0 when the kernel does not tell. */
static gint64
run_queue_delay_ns (void)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/thread-self/schedstat", &text, NULL, NULL))
    return 0;
  guint64 on_cpu, waiting;
  if (sscanf (text, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &on_cpu, &waiting) != 2)
    return 0;
  return (gint64) waiting;
}

/* The longest gap between 10 ms timer callbacks: how long the main loop
 * was blocked at worst. Time the main thread spent runnable but waiting for
 * a CPU taken by other processes is not the app's doing and is subtracted
 * (builds or other tests may share the machine); time spent working,
 * sleeping on a lock or waiting for the X server counts. */
typedef struct {
  gint64 last, last_delay;
  gint64 max_gap, max_wall;
  guint id;
} StallMeter;

static gboolean
stall_tick_cb (gpointer data)
{
  StallMeter *m = data;
  gint64 now = g_get_monotonic_time (), delay = run_queue_delay_ns ();
  if (m->last)
    {
      gint64 wall = now - m->last, gap = wall - (delay - m->last_delay) / 1000;
      if (gap > 50000)
        g_test_message ("main loop blocked for %.1f ms (%.1f ms wall clock)", gap / 1000.0,
                        wall / 1000.0);
      m->max_gap = MAX (m->max_gap, gap);
      m->max_wall = MAX (m->max_wall, wall);
    }
  m->last = now;
  m->last_delay = delay;
  return G_SOURCE_CONTINUE;
}

static void
stall_meter_start (StallMeter *m)
{
  memset (m, 0, sizeof *m);
  m->id = g_timeout_add (10, stall_tick_cb, m);
}

/* The longest blocked time in ms. */
static double
stall_meter_stop (StallMeter *m)
{
  g_clear_handle_id (&m->id, g_source_remove);
  g_test_message ("longest gap between 10 ms ticks: %.1f ms wall clock", m->max_wall / 1000.0);
  return (double) m->max_gap / 1000.0;
}

/* ---- window helpers ---- */

static void
activate (const char *name)
{
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (app), name));
  g_action_group_activate_action (G_ACTION_GROUP (app), name, NULL);
}

/* A presented window on the built-in digits with small, fast settings. */
static InvWindow *
new_window (const char *group, guint subset, guint eval_interval)
{
  InvWindow *win = inv_window_new (GTK_APPLICATION (app), "digits", group);
  g_object_set (inv_window_get_setup_panel (win), "subset", subset, "epochs", 1u, NULL);
  g_object_set (inv_window_get_preferences (win), "eval-images", 128u,
                "eval-interval", eval_interval, "threads", 2u, NULL);
  return gui_present_window (win, WINDOW_W, WINDOW_H);
}

static double
cosine (const float *a, const float *b, size_t n)
{
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; i++)
    {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
  return aa > 0 && bb > 0 ? ab / sqrt (aa * bb) : (aa == bb ? 1 : 0);
}

/* ---- tests ---- */

static void
assert_plot_points (InvWindow *win, const char *metric, size_t at_least)
{
  InvPlot *plot = inv_window_get_plot (win, metric);
  g_assert_nonnull (plot);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      size_t n = inv_plot_get_n_points (plot, f);
      if (n < at_least)
        g_error ("plot %s, %s: %zu points, expected at least %zu", metric, inv_family_id (f), n,
                 at_least);
    }
}

static void
test_train_c4 (void)
{
  InvWindow *win = new_window ("c4", 2000, 10);
  InvSaliencyGrid *grid = inv_window_get_grid (win);
  GtkWidget *stack = inv_window_get_plot_stack (win);
  g_assert_cmpuint (inv_saliency_grid_get_n_rows (grid), ==, 3);
  g_assert_cmpuint (inv_saliency_grid_get_n_columns (grid), ==, 4);
  g_assert_cmpuint (inv_saliency_grid_get_n_filled_cells (grid), ==, 0);
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (app), "pause"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (app), "save"));
  g_autoptr (GdkTexture) before = gui_render_widget (GTK_WIDGET (win), "test-gui-before.png");
  GuiRegion grid_r = gui_widget_region (win, GTK_WIDGET (grid));
  GuiRegion plot_r = gui_widget_region (win, GTK_WIDGET (inv_window_get_plot (win, "loss")));
  GuiRegion acc_r = gui_widget_region (win,
                                       GTK_WIDGET (inv_window_get_plot (win, "orbit_accuracy")));

  StallMeter meter;
  stall_meter_start (&meter);
  activate ("train");
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_RUNNING);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (app), "pause"));

  /* Use the window while it trains: tabs, sample, size. */
  gui_wait_for_step (win, 4);
  g_test_message ("switching to the invariance tab");
  gtk_stack_set_visible_child_name (GTK_STACK (stack), "invariance");
  gui_spin (150);
  g_test_message ("changing the sample");
  gtk_widget_activate_action (GTK_WIDGET (win), "win.next-sample", NULL);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.next-sample", NULL);
  gui_spin (150);
  g_test_message ("switching to the training tab");
  gtk_stack_set_visible_child_name (GTK_STACK (stack), "training");
  g_test_message ("resizing");
  gtk_window_set_default_size (GTK_WINDOW (win), WINDOW_W - 60, WINDOW_H - 40);
  gui_spin (150);
  gtk_window_set_default_size (GTK_WINDOW (win), WINDOW_W, WINDOW_H);
  g_test_message ("waiting for the end");
  gui_wait_trained (win);
  double stall_ms = stall_meter_stop (&meter);
  g_test_message ("longest main-loop stall while training: %.1f ms", stall_ms);
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_FINISHED);
  g_assert_cmpfloat (stall_ms, <, 100.0);

  gui_wait_idle (win);
  /* 2000 images / 64 per step = 32 steps: snapshots at 0, 10, 20, 30, 32. */
  assert_plot_points (win, "loss", 10);
  assert_plot_points (win, "orbit_accuracy", 5);
  assert_plot_points (win, "pdi", 5);
  assert_plot_points (win, "logit_invariance", 5);
  assert_plot_points (win, "sis", 5);
  g_assert_cmpuint (inv_saliency_grid_get_n_filled_cells (grid), ==, 3 * 4);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (app), "save"));

  gtk_test_widget_wait_for_draw (GTK_WIDGET (win));
  g_autoptr (GdkTexture) after = gui_render_widget (GTK_WIDGET (win), "test-gui-after.png");
  g_assert_cmpint (gui_widget_region (win, GTK_WIDGET (grid)).w, ==, grid_r.w);
  double grid_change = gui_region_change (before, after, grid_r);
  double loss_change = gui_region_change (before, after, plot_r);
  double acc_change = gui_region_change (before, after, acc_r);
  g_test_message ("changed pixels: grid %.3f, loss plot %.3f, accuracy plot %.3f",
                  grid_change, loss_change, acc_change);
  g_assert_cmpfloat (grid_change, >, 0.05);
  g_assert_cmpfloat (loss_change, >, 0.005);
  g_assert_cmpfloat (acc_change, >, 0.005);
  g_assert_cmpfloat (gui_region_luminance (after, grid_r).stddev, >, 10);
  g_assert_cmpfloat (gui_region_luminance (after, plot_r).stddev, >, 5);
  g_assert_cmpfloat (gui_region_luminance (before, grid_r).stddev, >, 5);

  /* Aligned to the identity, the weight-tied model's maps agree across the
   * orbit, the unconstrained model's do not. */
  g_action_group_change_action_state (G_ACTION_GROUP (win), "align", g_variant_new_boolean (TRUE));
  g_assert_true (inv_saliency_grid_get_aligned (grid));
  size_t n = 28 * 28;
  double tied_min = 1, free_min = 1;
  for (size_t g = 1; g < 4; g++)
    {
      tied_min = MIN (tied_min, cosine (inv_saliency_grid_get_cell_map (grid, INV_FAMILY_TIED, 0),
                                        inv_saliency_grid_get_cell_map (grid, INV_FAMILY_TIED, g), n));
      free_min = MIN (free_min,
                      cosine (inv_saliency_grid_get_cell_map (grid, INV_FAMILY_UNCONSTRAINED, 0),
                              inv_saliency_grid_get_cell_map (grid, INV_FAMILY_UNCONSTRAINED, g), n));
    }
  g_test_message ("aligned maps, least cosine to the identity's: weight-tied %.6f, "
                  "unconstrained %.4f", tied_min, free_min);
  g_assert_cmpfloat (tied_min, >, 0.9999);
  g_assert_cmpfloat (free_min, <, 0.99);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (win));
  gtk_stack_set_visible_child_name (GTK_STACK (stack), "invariance");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (win));
  g_autoptr (GdkTexture) aligned = gui_render_widget (GTK_WIDGET (win), "test-gui-aligned.png");
  g_assert_cmpfloat (gui_region_change (after, aligned, grid_r), >, 0.01);
  gui_destroy_window (win);
}

static void
test_train_d4 (void)
{
  InvWindow *win = new_window ("d4", 300, 100);
  InvSaliencyGrid *grid = inv_window_get_grid (win);
  g_assert_cmpuint (inv_saliency_grid_get_n_columns (grid), ==, 8);
  activate ("train");
  gui_wait_trained (win);
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_FINISHED);
  gui_wait_idle (win);
  g_assert_cmpuint (inv_saliency_grid_get_n_filled_cells (grid), ==, 3 * 8);
  assert_plot_points (win, "sis", 2);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (win));
  g_autoptr (GdkTexture) tex = gui_render_widget (GTK_WIDGET (win), "test-gui-d4.png");
  GuiRegion grid_r = gui_widget_region (win, GTK_WIDGET (grid));
  g_assert_cmpfloat (gui_region_luminance (tex, grid_r).stddev, >, 10);
  gui_destroy_window (win);
}

static void
test_pause_resume_reset (void)
{
  InvWindow *win = new_window ("c4", 20000, 1000);
  activate ("train");
  gui_wait_for_step (win, 3);
  activate ("pause");
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_PAUSED);
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (app), "pause"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (app), "train"));
  gui_spin (400); /* the step in flight finishes and is reported */
  size_t paused_at = inv_window_get_step (win);
  gui_spin (400);
  g_assert_cmpuint (inv_window_get_step (win), ==, paused_at);

  activate ("train"); /* resumes */
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_RUNNING);
  gui_wait_for_step (win, paused_at + 2);

  activate ("reset");
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_IDLE);
  gui_spin (400); /* whatever the old run still posts is dropped */
  g_assert_cmpuint (inv_window_get_step (win), ==, 0);
  g_assert_cmpuint (inv_plot_get_n_points (inv_window_get_plot (win, "loss"), 0), ==, 0);
  g_assert_cmpuint (inv_plot_get_n_points (inv_window_get_plot (win, "sis"), 0), ==, 0);
  g_assert_cmpuint (inv_saliency_grid_get_n_filled_cells (inv_window_get_grid (win)), ==, 0);

  /* Reset while paused, then train again from scratch. */
  activate ("train");
  gui_wait_for_step (win, 2);
  activate ("pause");
  activate ("reset");
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_IDLE);
  activate ("train");
  gui_wait_for_step (win, 2);
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_RUNNING);
  activate ("reset");
  gui_destroy_window (win);
}

static void
test_close_during_training (void)
{
  InvWindow *win = new_window ("c4", 20000, 5);
  activate ("train");
  gui_wait_for_step (win, 6); /* a snapshot has been taken */
  g_assert_cmpint (inv_window_get_state (win), ==, INV_TRAIN_STATE_RUNNING);
  gui_destroy_window (win);
  g_assert_null (gtk_application_get_active_window (GTK_APPLICATION (app)));
}

static char *
save_model (const char *dir, InvModelKind kind, const char *group, double lambda,
            const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) m = inv_model_new (kind, group, 28, 28, 10, NULL, 7, &error);
  g_assert_no_error (error);
  m->lambda = lambda;
  m->dataset = g_strdup ("digits");
  char *path = g_build_filename (dir, name, NULL);
  g_assert_true (inv_model_save (m, path, &error));
  g_assert_no_error (error);
  return path;
}

/* A regularized MLP made by `invlab train` (the test environment names
 * the executable in INVLAB), or by the core when it is not there. */
static char *
train_with_cli (const char *dir, const char *name)
{
  const char *invlab = g_getenv ("INVLAB");
  if (invlab == NULL || !g_file_test (invlab, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_message ("INVLAB not set: the regularized model comes from the core");
      return save_model (dir, INV_MODEL_MLP, "c4", 0.5, name);
    }
  char *path = g_build_filename (dir, name, NULL);
  const char *argv[] = { invlab, "train", "--dataset", "digits", "--group", "c4", "--model",
                         "mlp", "--reg", "0.5", "--limit", "256", "--eval-limit", "64",
                         "--out", path, NULL };
  g_autoptr (GError) error = NULL;
  int status = 0;
  g_autofree char *out = NULL, *err = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("invlab train failed: %s", err);
  return path;
}

typedef struct {
  InvWindow *win;
  InvFamily family;
} RowWait;

static gboolean
row_filled_cond (gpointer data)
{
  RowWait *w = data;
  return inv_window_is_idle (w->win)
         && inv_saliency_grid_get_cell_map (inv_window_get_grid (w->win), w->family, 0) != NULL;
}

static void
open_and_wait (InvWindow *win, const char *path, InvFamily family)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  inv_window_open_file (win, file);
  RowWait w = { win, family };
  gui_wait_until (row_filled_cond, &w, "the opened model's row");
}

static void
test_open_and_save (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("invlab-gui-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *tied = save_model (dir, INV_MODEL_TIED_MLP, "c4", 0, "tied.safetensors");
  g_autofree char *reg = train_with_cli (dir, "reg.safetensors");
  g_autofree char *d4 = save_model (dir, INV_MODEL_MLP, "d4", 0, "free-d4.safetensors");

  InvWindow *win = new_window ("c4", 1000, 100);
  InvSaliencyGrid *grid = inv_window_get_grid (win);
  open_and_wait (win, tied, INV_FAMILY_TIED);
  g_assert_cmpuint (inv_saliency_grid_get_n_filled_cells (grid), ==, 4);
  g_assert_null (inv_saliency_grid_get_cell_map (grid, INV_FAMILY_UNCONSTRAINED, 0));
  open_and_wait (win, reg, INV_FAMILY_REGULARIZED);
  g_assert_cmpuint (inv_saliency_grid_get_n_filled_cells (grid), ==, 8);

  /* Saving writes one file per model shown. */
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_assert_cmpint (g_mkdir (out, 0700), ==, 0);
  g_autoptr (GFile) folder = g_file_new_for_path (out);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (app), "save"));
  inv_window_save_to_folder (win, folder);
  g_autofree char *saved = g_build_filename (out, "weight-tied-tied-mlp-c4.safetensors", NULL);
  gui_wait_for_file (saved);
  g_autoptr (InvModel) back = inv_model_load (saved, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->kind, ==, INV_MODEL_TIED_MLP);

  /* A model of another group switches the window to that group. */
  open_and_wait (win, d4, INV_FAMILY_UNCONSTRAINED);
  g_assert_cmpstr (inv_setup_panel_get_group (inv_window_get_setup_panel (win)), ==, "d4");
  g_assert_cmpuint (inv_saliency_grid_get_n_columns (grid), ==, 8);
  g_assert_cmpuint (inv_saliency_grid_get_n_filled_cells (grid), ==, 8);
  gui_destroy_window (win);

  const char *files[] = { tied, reg, d4, saved };
  for (size_t i = 0; i < G_N_ELEMENTS (files); i++)
    g_remove (files[i]);
  g_autoptr (GDir) d = g_dir_open (out, 0, NULL);
  for (const char *name; d && (name = g_dir_read_name (d));)
    {
      g_autofree char *p = g_build_filename (out, name, NULL);
      g_remove (p);
    }
  g_rmdir (out);
  g_rmdir (dir);
}

static void
test_actions (void)
{
  static const char *const names[] = { "train", "pause", "reset", "open", "save",
                                       "preferences", "shortcuts", "about", "quit" };
  for (size_t i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), names[i]));
  static const char *const accel_actions[] = { "app.train", "app.pause", "app.reset",
                                               "app.open", "app.save", "app.preferences",
                                               "app.shortcuts", "app.quit" };
  for (size_t i = 0; i < G_N_ELEMENTS (accel_actions); i++)
    {
      g_auto (GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app),
                                                                    accel_actions[i]);
      g_assert_nonnull (accels);
      g_assert_nonnull (accels[0]);
    }
  /* Without a window only the window-independent actions are enabled. */
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (app), "train"));

  InvWindow *win = new_window ("flip", 1000, 100);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (app), "train"));
  g_assert_cmpuint (inv_saliency_grid_get_n_columns (inv_window_get_grid (win)), ==, 2);
  activate ("preferences");
  GtkWidget *prefs = GTK_WIDGET (inv_window_get_preferences (win));
  g_assert_true (gtk_widget_get_visible (prefs));
  gtk_test_widget_wait_for_draw (prefs);
  g_autoptr (GdkTexture) prefs_png = gui_render_widget (prefs, "test-gui-preferences.png");
  gtk_window_close (GTK_WINDOW (inv_window_get_preferences (win)));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (inv_window_get_preferences (win))));
  activate ("shortcuts");
  activate ("about");
  gui_spin (300);
  /* About's system information names the BLAS kernels in use. */
  {
    GListModel *tl = gtk_window_get_toplevels ();
    gboolean found = FALSE;
    for (guint i = 0; i < g_list_model_get_n_items (tl); i++)
      {
        g_autoptr (GtkWindow) w = g_list_model_get_item (tl, i);
        if (!GTK_IS_ABOUT_DIALOG (w))
          continue;
        const char *info = gtk_about_dialog_get_system_information (GTK_ABOUT_DIALOG (w));
        g_assert_nonnull (info);
        g_assert_nonnull (strstr (info, inv_blas_corename ()));
        g_assert_true (g_str_has_prefix (info, "BLAS: "));
        found = TRUE;
      }
    g_assert_true (found);
  }
  /* Close the dialogs the actions opened (every toplevel but ours). */
  GListModel *toplevels = gtk_window_get_toplevels ();
  for (guint i = g_list_model_get_n_items (toplevels); i-- > 0;)
    {
      g_autoptr (GtkWindow) w = g_list_model_get_item (toplevels, i);
      if (GTK_IS_SHORTCUTS_WINDOW (w) || GTK_IS_ABOUT_DIALOG (w))
        gtk_window_destroy (w);
    }
  gui_destroy_window (win);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  app = gui_app_new ("io.github.invlab.InvarianceLab.Test");
  /* These tests start from a grid that is not aligned to the identity
   * (the app's default, kept in GSettings, is aligned). */
  g_autoptr (GSettings) settings = inv_settings_new ();
  if (settings)
    g_settings_set_boolean (settings, "align-to-identity", FALSE);

  g_test_add_func ("/gui-window/actions", test_actions);
  g_test_add_func ("/gui-window/train-c4", test_train_c4);
  g_test_add_func ("/gui-window/train-d4", test_train_d4);
  g_test_add_func ("/gui-window/pause-resume-reset", test_pause_resume_reset);
  g_test_add_func ("/gui-window/close-during-training", test_close_during_training);
  g_test_add_func ("/gui-window/open-and-save", test_open_and_save);
  int status = g_test_run ();
  g_object_unref (app);
  return status;
}
