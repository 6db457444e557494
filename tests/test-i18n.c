/* test-i18n: invlab speaks German and French when LANGUAGE asks for them,
 * from the catalogs meson compiles into the build tree (INVLAB_LOCALEDIR);
 * its machine-readable output stays the same; po/de.po and po/fr.po compile
 * cleanly and translate every message of the sources. Not a judge of style. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>

typedef struct {
  char *out;
  char *err;
  int status;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

static const char *
invlab_path (void)
{
  const char *path = g_getenv ("INVLAB");
  g_assert_nonnull (path);
  return path;
}

/* The environment of a child: language (NULL for the untranslated C
 * locale), the build tree's catalogs, and nothing else that could pick
 * another language. GNU gettext ignores LANGUAGE in the C locale, hence
 * C.UTF-8, which every glibc has built in. g_strfreev. */
static char **
child_environ (const char *language)
{
  char **env = g_get_environ ();
  g_autofree char *localedir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  env = g_environ_unsetenv (env, "LC_MESSAGES");
  env = g_environ_unsetenv (env, "LANGUAGE");
  env = g_environ_setenv (env, "INVLAB_LOCALEDIR", localedir, TRUE);
  env = g_environ_setenv (env, "NO_COLOR", "1", TRUE);
  if (language)
    {
      env = g_environ_setenv (env, "LANGUAGE", language, TRUE);
      env = g_environ_setenv (env, "LC_ALL", "C.UTF-8", TRUE);
      env = g_environ_setenv (env, "LANG", "C.UTF-8", TRUE);
    }
  else
    {
      env = g_environ_setenv (env, "LC_ALL", "C", TRUE);
      env = g_environ_setenv (env, "LANG", "C", TRUE);
    }
  return env;
}

/* Runs argv (argv[0] a path) with child_environ (language); the exit
 * status, or -1 when it did not exit normally. */
static void
run_argv (const char *language, const char *const *argv, Run *r)
{
  g_auto (GStrv) env = child_environ (language);
  g_autoptr (GError) error = NULL;
  int wait_status = 0;
  gboolean ok = g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL,
                              &r->out, &r->err, &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  r->status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
}

/* invlab with up to 7 arguments, NULL-terminated. */
static void
run_invlab (const char *language, Run *r, const char *arg, ...)
{
  const char *argv[9] = { invlab_path () };
  size_t n = 1;
  va_list ap;
  va_start (ap, arg);
  for (const char *a = arg; a; a = va_arg (ap, const char *))
    {
      g_assert_cmpuint (n, <, G_N_ELEMENTS (argv) - 1);
      argv[n++] = a;
    }
  va_end (ap);
  argv[n] = NULL;
  run_argv (language, argv, r);
}

static void
assert_contains (const char *haystack, const char *needle)
{
  if (!strstr (haystack, needle))
    g_error ("expected \"%s\" in:\n%s", needle, haystack);
}

static void
assert_lacks (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle))
    g_error ("did not expect \"%s\" in:\n%s", needle, haystack);
}

/* What each language must say. The English texts they replace are checked
 * to be absent, and present in the C locale (so these tests can fail). */
typedef struct {
  const char *language;
  const char *usage;          /* invlab --help */
  const char *train_summary;  /* invlab --help: the train command */
  const char *lr_option;      /* invlab train --help */
  const char *train_params;   /* invlab train --help: the parameter string */
  const char *examples;       /* invlab train --help */
  const char *no_model;       /* invlab eval */
  const char *epochs_range;   /* invlab train --epochs 0 */
  const char *unknown;        /* invlab frobnicate */
  const char *data_set_label; /* invlab data info */
  const char *images;         /* invlab data info */
} Language;

static const Language english = {
  "C",
  "Usage: invlab COMMAND [OPTIONS]",
  "train one model and save it as safetensors",
  "Learning rate (default 0.001)",
  "- train one model",
  "Examples:",
  "invlab eval: no model given (see 'invlab eval --help')",
  "invlab train: --epochs 0 is out of range (1 to 100000)",
  "invlab: unknown command 'frobnicate'",
  "data set:",
  "2000 images",
};

static const Language languages[] = {
  {
    "de",
    "Aufruf: invlab BEFEHL [OPTIONEN]",
    "ein Modell trainieren und als safetensors speichern",
    "Lernrate (Vorgabe 0.001)",
    "- ein Modell trainieren",
    "Beispiele:",
    "invlab eval: kein Modell angegeben (siehe »invlab eval --help«)",
    "invlab train: --epochs 0 liegt außerhalb des Bereichs (1 bis 100000)",
    "invlab: unbekannter Befehl »frobnicate«",
    "Datensatz:",
    "2000 Bilder",
  },
  {
    "fr",
    "Utilisation\u00a0: invlab COMMANDE [OPTIONS]",
    "entraîner un modèle et l'enregistrer en safetensors",
    "Taux d'apprentissage (par défaut 0.001)",
    "- entraîner un modèle",
    "Exemples\u00a0:",
    "invlab eval: aucun modèle indiqué (voir «\u00a0invlab eval --help\u00a0»)",
    "invlab train: --epochs 0 est hors limites (de 1 à 100000)",
    "invlab\u00a0: commande inconnue «\u00a0frobnicate\u00a0»",
    "jeu de données\u00a0:",
    "2000 images",
  },
};

static const char *
env_language (const Language *lang)
{
  return g_str_equal (lang->language, "C") ? NULL : lang->language;
}

static void
check_help (const Language *lang, const Language *other)
{
  Run r = { 0 };
  run_invlab (env_language (lang), &r, "--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  assert_contains (r.out, lang->usage);
  assert_contains (r.out, lang->train_summary);
  assert_lacks (r.out, other->usage);
  assert_lacks (r.out, other->train_summary);
  /* command names are not translated */
  assert_contains (r.out, "  train      ");
  assert_contains (r.out, "  reproduce  ");
  run_clear (&r);
}

static void
check_train_help (const Language *lang, const Language *other)
{
  Run r = { 0 };
  run_invlab (env_language (lang), &r, "train", "--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  assert_contains (r.out, lang->lr_option);
  assert_contains (r.out, lang->train_params);
  assert_contains (r.out, lang->examples);
  assert_lacks (r.out, other->lr_option);
  assert_lacks (r.out, other->train_params);
  /* option names, their placeholders and the examples' commands stay */
  assert_contains (r.out, "--lr=LR");
  assert_contains (r.out, "--out=FILE");
  assert_contains (r.out, "invlab train --model mlp --reg 1 --out reg.safetensors");
  run_clear (&r);
}

static void
check_errors (const Language *lang, const Language *other)
{
  Run r = { 0 };
  run_invlab (env_language (lang), &r, "eval", NULL);
  g_assert_cmpint (r.status, ==, 2);
  assert_contains (r.err, lang->no_model);
  assert_lacks (r.err, other->no_model);
  run_clear (&r);

  run_invlab (env_language (lang), &r, "train", "--epochs", "0", "--out", "unused.safetensors", NULL);
  g_assert_cmpint (r.status, ==, 2);
  assert_contains (r.err, lang->epochs_range);
  run_clear (&r);

  run_invlab (env_language (lang), &r, "frobnicate", NULL);
  g_assert_cmpint (r.status, ==, 2);
  assert_contains (r.err, lang->unknown);
  run_clear (&r);

  /* The core's messages stay English this round; the CLI's prefix is kept. */
  run_invlab (env_language (lang), &r, "eval", "/nonexistent/model.safetensors", NULL);
  g_assert_cmpint (r.status, ==, 1);
  assert_contains (r.err, "invlab eval: /nonexistent/model.safetensors");
  run_clear (&r);
}

static void
check_data_info (const Language *lang, const Language *other)
{
  Run r = { 0 };
  run_invlab (env_language (lang), &r, "data", "info", "--dataset", "digits", NULL);
  g_assert_cmpint (r.status, ==, 0);
  assert_contains (r.out, lang->data_set_label);
  assert_contains (r.out, lang->images);
  assert_lacks (r.out, other->data_set_label);
  /* The labels are padded by characters: every value starts in one column. */
  g_auto (GStrv) lines = g_strsplit (r.out, "\n", -1);
  glong column = -1;
  for (int i = 0; i < 7; i++)
    {
      g_assert_nonnull (lines[i]);
      const char *colon = g_utf8_strchr (lines[i], -1, ':');
      g_assert_nonnull (colon);
      const char *value = g_utf8_next_char (colon);
      while (*value == ' ')
        value++;
      glong c = g_utf8_pointer_to_offset (lines[i], value);
      if (column < 0)
        column = c;
      g_assert_cmpint (c, ==, column);
    }
  run_clear (&r);
}

static void
test_language (gconstpointer data)
{
  const Language *lang = data;
  check_help (lang, &english);
  check_train_help (lang, &english);
  check_errors (lang, &english);
  check_data_info (lang, &english);
}

/* The control: without LANGUAGE, in the C locale, the English texts that
 * test_language expects to be gone. */
static void
test_english (void)
{
  check_help (&english, &languages[0]);
  check_train_help (&english, &languages[0]);
  check_errors (&english, &languages[0]);
  check_data_info (&english, &languages[0]);
}

/* JSON and CSV are for programs: byte for byte the same in every language. */
static void
test_machine_output (void)
{
  Run c = { 0 };
  run_invlab (NULL, &c, "data", "info", "--dataset", "digits", "--format", "json", NULL);
  g_assert_cmpint (c.status, ==, 0);
  assert_contains (c.out, "\"train_counts\"");
  for (size_t i = 0; i < G_N_ELEMENTS (languages); i++)
    {
      Run r = { 0 };
      run_invlab (languages[i].language, &r, "data", "info", "--dataset", "digits", "--format", "json",
                  NULL);
      g_assert_cmpint (r.status, ==, 0);
      g_assert_cmpstr (r.out, ==, c.out);
      run_clear (&r);
    }
  run_clear (&c);
}

static char *
po_path (const char *language)
{
  g_autofree char *name = g_strconcat (language, ".po", NULL);
  return g_test_build_filename (G_TEST_DIST, "..", "po", name, NULL);
}

/* msgfmt --check --check-format passes and counts nothing fuzzy or
 * untranslated. */
static void
test_msgfmt (gconstpointer data)
{
  const char *language = data;
  g_autofree char *msgfmt = g_find_program_in_path ("msgfmt");
  if (!msgfmt)
    {
      g_test_skip ("msgfmt (gettext) is not installed");
      return;
    }
  g_autofree char *po = po_path (language);
  const char *argv[] = { msgfmt, "--check", "--check-format", "--statistics", "-o", "/dev/null", po, NULL };
  Run r = { 0 };
  run_argv (NULL, argv, &r);
  g_test_message ("msgfmt %s: %s", language, r.err);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_regex_match_simple ("^[0-9]+ translated messages?\\.\\n$", r.err, 0, 0));
  run_clear (&r);
}

/* Every message of the sources in POTFILES, extracted afresh, has a
 * translation in each language (msgcmp counts untranslated and fuzzy
 * entries as missing). */
static void
test_sources_covered (void)
{
  g_autofree char *xgettext = g_find_program_in_path ("xgettext");
  g_autofree char *msgcmp = g_find_program_in_path ("msgcmp");
  if (!xgettext || !msgcmp)
    {
      g_test_skip ("xgettext and msgcmp (gettext) are not installed");
      return;
    }
  g_autofree char *srcroot = g_test_build_filename (G_TEST_DIST, "..", NULL);
  g_autofree char *potfiles = g_build_filename (srcroot, "po", "POTFILES", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *tmpdir = g_dir_make_tmp ("test-i18n-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *pot = g_build_filename (tmpdir, "sources.pot", NULL);
  g_autofree char *files_from = g_strconcat ("--files-from=", potfiles, NULL);
  g_autofree char *directory = g_strconcat ("--directory=", srcroot, NULL);
  /* the keywords of meson's glib preset that these sources use */
  const char *xargv[] = { xgettext, "--from-code=UTF-8", "--keyword=_", "--keyword=N_",
                          "--keyword=C_:1c,2", "--keyword=NC_:1c,2", "--keyword=g_dngettext:2,3",
                          "--keyword=g_dpgettext2:2c,3", files_from, directory, "-o", pot, NULL };
  Run r = { 0 };
  run_argv (NULL, xargv, &r);
  if (r.status != 0)
    g_error ("xgettext failed (is G_TEST_SRCDIR the tests' source folder?):\n%s", r.err);
  g_assert_true (g_file_test (pot, G_FILE_TEST_EXISTS));
  run_clear (&r);

  g_autoptr (GString) missing = g_string_new (NULL);
  for (size_t i = 0; i < G_N_ELEMENTS (languages); i++)
    {
      g_autofree char *po = po_path (languages[i].language);
      const char *cargv[] = { msgcmp, po, pot, NULL };
      run_argv (NULL, cargv, &r);
      if (r.status != 0)
        g_string_append_printf (missing, "%s:\n%s", po, r.err);
      run_clear (&r);
    }
  if (missing->len)
    g_error ("translations missing for messages of the sources (run 'ninja "
             "invariance-lab-update-po' and translate; %s is kept):\n%s", pot, missing->str);
  g_unlink (pot);
  g_rmdir (tmpdir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/i18n/english-control", test_english);
  g_test_add_data_func ("/i18n/cli/de", &languages[0], test_language);
  g_test_add_data_func ("/i18n/cli/fr", &languages[1], test_language);
  g_test_add_func ("/i18n/cli/machine-output", test_machine_output);
  g_test_add_data_func ("/i18n/msgfmt/de", "de", test_msgfmt);
  g_test_add_data_func ("/i18n/msgfmt/fr", "fr", test_msgfmt);
  g_test_add_func ("/i18n/sources-covered", test_sources_covered);
  return g_test_run ();
}
