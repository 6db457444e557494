/* GUI test of the translations, in-process under a headless X server: with
 * the language LANGUAGE names (meson runs it as test-gui-i18n-de and
 * test-gui-i18n-fr) and the catalogs meson compiles into the build tree
 * (INVLAB_LOCALEDIR), the main window, the preferences window and the About
 * dialog show the catalog's translations of their labels, buttons, tab
 * titles and tooltips, and none of the English originals; the expected
 * translations come from po/LANG.po itself. The main window is rendered to
 * test-gui-i18n-LANG.png in G_TEST_BUILDDIR. Not a judge of the
 * translations' wording, nor a check that every string is translated
 * (test-i18n and msgfmt do that for the catalogs). */
#include "config.h"
#include "gui-common.h"
#include "inv-preferences-window.h"
#include "util.h"
#include <string.h>

static InvApplication *app;
static char *lang;        /* the first language of LANGUAGE, or NULL */
static GHashTable *po;    /* msgid → msgstr of po/LANG.po */

#define WINDOW_W 1200
#define WINDOW_H 800

/* Strings of the main window, as the sources write them (msgids): page
 * titles of both stacks (their switchers' buttons), header bar buttons and
 * tooltips, the status line, section titles and field labels of the setup
 * panel and the drawing page, the selected item of a drop-down. Each is
 * translated differently in German and French. */
static const char *const window_msgids[] = {
  "_Train", "_Reset", "Ready", "Main Menu", "Train the three model families (Space)",
  "Stop training and discard the models (Ctrl+R)", "Setup", "Shifts", "Draw", "Shift",
  "Spectrum", "Drawing Pad", "_Brush", "_Clear", "Orbit Saliency", "_Align to identity",
  "Data", "_Data set", "Built-in digits", "_Group", "Model", "_Learning rate", "_Epochs",
  "Training _images",
};

/* Strings of the preferences window: its title, a section and fields. */
static const char *const prefs_msgids[] = {
  "Preferences", "Evaluation", "_Batch size", "_Worker threads", "_Evaluation images",
};

/* ---- the catalog's source ---- */

typedef struct {
  GString *id, *str, *cur;
  gboolean skip; /* a context, plural forms or a fuzzy flag */
} PoEntry;

static void
po_entry_flush (PoEntry *e, GHashTable *table)
{
  if (!e->skip && e->id && e->str && e->id->len > 0 && e->str->len > 0)
    g_hash_table_insert (table, g_strcompress (e->id->str), g_strcompress (e->str->str));
  if (e->id)
    g_string_free (e->id, TRUE);
  if (e->str)
    g_string_free (e->str, TRUE);
  memset (e, 0, sizeof *e);
}

/* Appends the contents of the quoted string that begins at the first '"'
 * of line (escapes kept, for g_strcompress). */
static void
po_append_quoted (GString *to, const char *line)
{
  const char *a = strchr (line, '"'), *b = strrchr (line, '"');
  g_assert_true (a != NULL && b > a);
  g_string_append_len (to, a + 1, b - a - 1);
}

/* The translated messages of a .po file: msgid → msgstr (escapes undone),
 * without the header, messages with a context or plural forms, and fuzzy
 * ones (msgfmt leaves those out). */
static GHashTable *
read_po (const char *path)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  PoEntry e = { 0 };
  for (size_t i = 0; lines[i]; i++)
    {
      const char *l = lines[i];
      if (*l == '\0')
        po_entry_flush (&e, table);
      else if (g_str_has_prefix (l, "#,") && strstr (l, "fuzzy"))
        e.skip = TRUE;
      else if (g_str_has_prefix (l, "msgctxt") || g_str_has_prefix (l, "msgid_plural"))
        e.skip = TRUE;
      else if (g_str_has_prefix (l, "msgid "))
        {
          if (e.id)
            po_entry_flush (&e, table);
          e.id = g_string_new (NULL);
          po_append_quoted (e.cur = e.id, l);
        }
      else if (g_str_has_prefix (l, "msgstr "))
        {
          e.str = g_string_new (NULL);
          po_append_quoted (e.cur = e.str, l);
        }
      else if (*l == '"' && e.cur)
        po_append_quoted (e.cur, l);
    }
  po_entry_flush (&e, table);
  return table;
}

/* The translation the running program should show for msgid: gettext's,
 * which must be po/LANG.po's and differ from the msgid (else the catalog was
 * not loaded, or is not LANG's). */
static const char *
expected_translation (const char *msgid)
{
  const char *tr = g_dgettext (GETTEXT_PACKAGE, msgid);
  if (strcmp (tr, msgid) == 0)
    g_error ("\"%s\" is not translated: no %s catalog in INVLAB_LOCALEDIR=%s, or a C locale "
             "(LC_ALL=%s)", msgid, lang, g_getenv ("INVLAB_LOCALEDIR"), g_getenv ("LC_ALL"));
  const char *source = g_hash_table_lookup (po, msgid);
  if (source == NULL)
    g_error ("po/%s.po has no translation of \"%s\"", lang, msgid);
  g_assert_cmpstr (tr, ==, source);
  return tr;
}

/* ---- what a window shows ---- */

static void
add_text (GHashTable *texts, const char *text)
{
  if (text && *text)
    g_hash_table_add (texts, g_strdup (text));
}

/* Adds the text of widget and its descendants: labels (with their
 * mnemonic underscores), button labels, window titles, stack page titles,
 * notebook tab labels and tooltips. */
static void
collect_texts (GtkWidget *widget, GHashTable *texts)
{
  if (GTK_IS_LABEL (widget))
    add_text (texts, gtk_label_get_label (GTK_LABEL (widget)));
  if (GTK_IS_BUTTON (widget))
    add_text (texts, gtk_button_get_label (GTK_BUTTON (widget)));
  if (GTK_IS_MENU_BUTTON (widget))
    add_text (texts, gtk_menu_button_get_label (GTK_MENU_BUTTON (widget)));
  add_text (texts, gtk_widget_get_tooltip_text (widget));
  if (GTK_IS_WINDOW (widget))
    {
      add_text (texts, gtk_window_get_title (GTK_WINDOW (widget)));
      GtkWidget *titlebar = gtk_window_get_titlebar (GTK_WINDOW (widget));
      if (titlebar && gtk_widget_get_parent (titlebar) != widget)
        collect_texts (titlebar, texts);
    }
  if (GTK_IS_STACK (widget))
    {
      g_autoptr (GtkSelectionModel) pages = gtk_stack_get_pages (GTK_STACK (widget));
      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (pages)); i++)
        {
          g_autoptr (GObject) page = g_list_model_get_item (G_LIST_MODEL (pages), i);
          add_text (texts, gtk_stack_page_get_title (GTK_STACK_PAGE (page)));
        }
    }
  if (GTK_IS_NOTEBOOK (widget))
    for (int i = 0; i < gtk_notebook_get_n_pages (GTK_NOTEBOOK (widget)); i++)
      {
        GtkWidget *page = gtk_notebook_get_nth_page (GTK_NOTEBOOK (widget), i);
        add_text (texts, gtk_notebook_get_tab_label_text (GTK_NOTEBOOK (widget), page));
      }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    collect_texts (c, texts);
}

static GHashTable *
window_texts (GtkWidget *window)
{
  GHashTable *texts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  collect_texts (window, texts);
  g_test_message ("%u distinct strings in the widget tree", g_hash_table_size (texts));
  return texts;
}

/* Every msgid's translation is shown, and the msgid is not. */
static void
assert_translated (GHashTable *texts, const char *const *msgids, size_t n, const char *where)
{
  g_assert_cmpuint (n, >=, 5);
  for (size_t i = 0; i < n; i++)
    {
      const char *tr = expected_translation (msgids[i]);
      if (!g_hash_table_contains (texts, tr))
        g_error ("%s does not show \"%s\" (the translation of \"%s\")", where, tr, msgids[i]);
      if (g_hash_table_contains (texts, msgids[i]))
        g_error ("%s shows the English \"%s\"", where, msgids[i]);
      g_test_message ("%s: \"%s\" → \"%s\"", where, msgids[i], tr);
    }
}

/* ---- tests ---- */

static gboolean
check_language (void)
{
  if (lang == NULL)
    {
      g_test_skip ("LANGUAGE names no language (meson runs test-gui-i18n-de and -fr)");
      return FALSE;
    }
  return TRUE;
}

static InvWindow *
new_window (void)
{
  InvWindow *win = inv_window_new (GTK_APPLICATION (app), "digits", "c4");
  return gui_present_window (win, WINDOW_W, WINDOW_H);
}

static void
test_main_window (void)
{
  if (!check_language ())
    return;
  InvWindow *win = new_window ();
  g_autofree char *png = g_strdup_printf ("test-gui-i18n-%s.png", lang);
  g_autoptr (GdkTexture) tex = gui_render_widget (GTK_WIDGET (win), png);
  GuiRegion all = { 0, 0, gdk_texture_get_width (tex), gdk_texture_get_height (tex) };
  GuiLuminance lum = gui_region_luminance (tex, all);
  g_test_message ("window luminance: mean %.1f, standard deviation %.1f", lum.mean, lum.stddev);
  g_assert_cmpfloat (lum.stddev, >, 10);

  g_autoptr (GHashTable) texts = window_texts (GTK_WIDGET (win));
  assert_translated (texts, window_msgids, G_N_ELEMENTS (window_msgids), "the main window");
  /* The subtitle names the core's data set (titled in English there) in
   * the user's language: "Eingebaute Ziffern · c4, 4 Elemente". */
  const char *digits = expected_translation ("Built-in digits");
  gboolean subtitle = FALSE;
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, texts);
  while (g_hash_table_iter_next (&it, &key, NULL))
    subtitle |= g_str_has_prefix (key, digits) && strstr (key, " · c4") != NULL;
  if (!subtitle)
    g_error ("no subtitle \"%s · c4, …\" in the main window", digits);
  gui_destroy_window (win);
}

static gboolean
about_shown_cond (gpointer data)
{
  return gui_find_toplevel (GTK_TYPE_ABOUT_DIALOG) != NULL;
}

static void
test_dialogs (void)
{
  if (!check_language ())
    return;
  InvWindow *win = new_window ();

  /* The preferences window, opened by app.preferences. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  GtkWindow *prefs = gui_find_toplevel (INV_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (prefs);
  g_assert_true (prefs == GTK_WINDOW (inv_window_get_preferences (win)));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (prefs));
  g_autoptr (GHashTable) prefs_texts = window_texts (GTK_WIDGET (prefs));
  assert_translated (prefs_texts, prefs_msgids, G_N_ELEMENTS (prefs_msgids),
                     "the preferences window");
  gtk_window_close (prefs);
  g_assert_null (gui_find_toplevel (INV_TYPE_PREFERENCES_WINDOW));

  /* The About dialog, opened by app.about: its description is the
   * translation of the catalog's message that says the same in English. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  gui_wait_until (about_shown_cond, NULL, "the About dialog");
  GtkWindow *about = gui_find_toplevel (GTK_TYPE_ABOUT_DIALOG);
  const char *comments = gtk_about_dialog_get_comments (GTK_ABOUT_DIALOG (about));
  g_assert_nonnull (comments);
  const char *msgid = NULL;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, po);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (strcmp (v, comments) == 0)
      msgid = k;
  if (msgid == NULL)
    g_error ("the About dialog's description is not a translation from po/%s.po: %s", lang,
             comments);
  g_assert_cmpstr (expected_translation (msgid), ==, comments);
  g_autoptr (GHashTable) about_texts = window_texts (GTK_WIDGET (about));
  g_assert_true (g_hash_table_contains (about_texts, comments));
  g_assert_false (g_hash_table_contains (about_texts, msgid));
  g_test_message ("the About dialog: \"%.40s…\" → \"%.40s…\"", msgid, comments);
  gtk_window_destroy (about);
  gui_destroy_window (win);
}

int
main (int argc, char **argv)
{
  /* As the app's main() does, before GTK starts. */
  inv_i18n_init ();
  g_test_init (&argc, &argv, NULL);
  const char *language = g_getenv ("LANGUAGE");
  if (language && *language)
    {
      lang = g_strndup (language, strcspn (language, ":"));
      g_autofree char *po_name = g_strdup_printf ("%s.po", lang);
      g_autofree char *po_path = g_test_build_filename (G_TEST_DIST, "..", "po", po_name, NULL);
      po = read_po (po_path);
      g_test_message ("%s: %u translated messages in %s", lang, g_hash_table_size (po), po_path);
    }
  app = gui_app_new ("io.github.invlab.InvarianceLab.TestI18n");

  g_test_add_func ("/gui-i18n/main-window", test_main_window);
  g_test_add_func ("/gui-i18n/dialogs", test_dialogs);
  int status = g_test_run ();
  g_object_unref (app);
  g_clear_pointer (&po, g_hash_table_unref);
  g_free (lang);
  return status;
}
