/* Conventions of every invlab command, run as a process ($INVLAB): --help with
 * examples, --version, exit codes, stdout/stderr, NO_COLOR; and that the man
 * page and bash completion in data/ know every command, option and JSON key. */
#define _GNU_SOURCE /* posix_openpt, ptsname */
#include "config.h"
#include "json.h"
#include "metrics.h"
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  int status;  /* exit status */
  char *out;   /* stdout */
  char *err;   /* stderr */
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static const char *
invlab_path (void)
{
  const char *exe = g_getenv ("INVLAB");
  g_assert_nonnull (exe);
  return exe;
}

/* Runs $INVLAB with argv (NULL-terminated, without the program) and envp
 * (NULL: inherit), stdout and stderr captured through pipes. */
static void
run_invlab_env (Run *r, char **envp, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) invlab_path ());
  for (size_t i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GError) error = NULL;
  int wait_status = 0;
  g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL,
                &r->out, &r->err, &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  r->status = WEXITSTATUS (wait_status);
  g_autofree char *line = g_strjoinv (" ", (char **) argv->pdata);
  g_test_message ("%s\nexit %d\nstdout: %s\nstderr: %s", line, r->status, r->out, r->err);
}

static void
run_invlab (Run *r, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  va_list ap;
  va_start (ap, r);
  const char *a;
  while ((a = va_arg (ap, const char *)))
    g_ptr_array_add (args, (char *) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  run_invlab_env (r, NULL, (const char *const *) args->pdata);
}

static char *
source_file (const char *relative)
{
  return g_test_build_filename (G_TEST_DIST, "..", "data", relative, NULL);
}

static char *
read_source (const char *relative)
{
  g_autofree char *path = source_file (relative);
  char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* The first words of the lines of the "Commands:" section of a help text
 * (up to the next empty line); empty when there is none. */
static GPtrArray *
help_commands (const char *help)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *start = strstr (help, "Commands:\n");
  if (!start)
    return names;
  g_auto (GStrv) lines = g_strsplit (start + strlen ("Commands:\n"), "\n", -1);
  for (size_t i = 0; lines[i] && lines[i][0] != '\0'; i++)
    {
      g_auto (GStrv) words = g_strsplit_set (g_strstrip (lines[i]), " \t", 2);
      if (words[0] && *words[0])
        g_ptr_array_add (names, g_strdup (words[0]));
    }
  return names;
}

/* The long options of a GLib --help text's "Application Options:" section,
 * without the leading dashes. */
static GPtrArray *
help_long_options (const char *help)
{
  GPtrArray *opts = g_ptr_array_new_with_free_func (g_free);
  const char *start = strstr (help, "Application Options:\n");
  g_assert_nonnull (start);
  g_auto (GStrv) lines = g_strsplit (start, "\n", -1);
  g_autoptr (GRegex) re = g_regex_new ("^\\s+(?:-\\w, )?--([a-z][a-z0-9-]*)", 0, 0, NULL);
  for (size_t i = 1; lines[i] && lines[i][0] != '\0'; i++)
    {
      g_autoptr (GMatchInfo) m = NULL;
      if (g_regex_match (re, lines[i], 0, &m))
        g_ptr_array_add (opts, g_match_info_fetch (m, 1));
    }
  return opts;
}

/* Every command path: "data info", "data show", "train", ... from the help
 * texts themselves, so a new command is covered without editing this test. */
static GPtrArray *
command_paths (void)
{
  g_auto (Run) top = { 0 };
  run_invlab (&top, "--help", NULL);
  g_assert_cmpint (top.status, ==, 0);
  g_autoptr (GPtrArray) names = help_commands (top.out);
  g_assert_cmpuint (names->len, >=, 6);
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  for (size_t i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_auto (Run) r = { 0 };
      run_invlab (&r, name, "--help", NULL);
      g_autoptr (GPtrArray) subs = help_commands (r.out);
      if (subs->len == 0)
        g_ptr_array_add (paths, g_strdup (name));
      for (size_t j = 0; j < subs->len; j++)
        g_ptr_array_add (paths, g_strdup_printf ("%s %s", name, (char *) subs->pdata[j]));
    }
  return paths;
}

/* Runs "invlab PATH... EXTRA..." (PATH split at spaces). */
static void
run_path (Run *r, const char *path, const char *extra1, const char *extra2)
{
  g_auto (GStrv) words = g_strsplit (path, " ", -1);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  for (size_t i = 0; words[i]; i++)
    g_ptr_array_add (args, words[i]);
  if (extra1)
    g_ptr_array_add (args, (char *) extra1);
  if (extra2)
    g_ptr_array_add (args, (char *) extra2);
  g_ptr_array_add (args, NULL);
  run_invlab_env (r, NULL, (const char *const *) args->pdata);
}

static void
test_help_every_command (void)
{
  g_auto (Run) top = { 0 };
  run_invlab (&top, "--help", NULL);
  g_assert_cmpint (top.status, ==, 0);
  g_assert_cmpstr (top.err, ==, "");
  g_assert_nonnull (strstr (top.out, "Usage:"));
  g_assert_nonnull (strstr (top.out, "Exit status"));

  g_autoptr (GPtrArray) names = help_commands (top.out);
  for (size_t i = 0; i < names->len; i++)
    {
      /* A command with subcommands answers --help too. */
      g_auto (Run) r = { 0 };
      run_invlab (&r, names->pdata[i], "--help", NULL);
      g_assert_cmpint (r.status, ==, 0);
      g_assert_cmpstr (r.err, ==, "");
      g_assert_nonnull (strstr (r.out, "Examples:"));
    }
  g_autoptr (GPtrArray) paths = command_paths ();
  g_assert_cmpuint (paths->len, >, names->len);  /* data has subcommands */
  for (size_t i = 0; i < paths->len; i++)
    {
      g_auto (Run) r = { 0 }, h = { 0 };
      run_path (&r, paths->pdata[i], "--help", NULL);
      g_assert_cmpint (r.status, ==, 0);
      g_assert_cmpstr (r.err, ==, "");
      g_assert_nonnull (strstr (r.out, "Usage:"));
      g_assert_nonnull (strstr (r.out, "Application Options:"));
      /* at least one example, each a full invlab command line */
      const char *ex = strstr (r.out, "Examples:\n");
      g_assert_nonnull (ex);
      g_autofree char *first = g_strdup_printf ("Examples:\n  invlab %s", (char *) paths->pdata[i]);
      g_assert_true (g_str_has_prefix (ex, first));
      run_path (&h, paths->pdata[i], "-h", NULL);
      g_assert_cmpint (h.status, ==, 0);
      g_assert_cmpstr (h.out, ==, r.out);
    }
}

static void
test_usage_errors (void)
{
  const char *const cases[][4] = {
    { "frobnicate", NULL },                   /* unknown command */
    { "--frobnicate", NULL },                 /* unknown option of invlab */
    { "data", "frobnicate", NULL },           /* unknown subcommand */
    { "eval", "--no-such-option", NULL },     /* unknown option */
    { "eval", NULL },                         /* missing MODEL */
    { "train", "--epochs", "many", NULL },    /* not a number */
    { "data", "info", "--format", "xml" },    /* bad value */
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (Run) r = { 0 };
      const char *args[5] = { 0 };
      memcpy (args, cases[i], sizeof cases[i]);
      run_invlab_env (&r, NULL, args);
      g_assert_cmpint (r.status, ==, 2);
      g_assert_cmpstr (r.out, ==, "");
      g_assert_cmpstr (r.err, !=, "");
      g_assert_nonnull (strstr (r.err, "invlab"));
    }
  /* No command at all: the usage goes to stderr. */
  g_auto (Run) none = { 0 };
  run_invlab (&none, NULL);
  g_assert_cmpint (none.status, ==, 2);
  g_assert_cmpstr (none.out, ==, "");
  g_assert_nonnull (strstr (none.err, "Usage:"));
}

static void
test_runtime_failure (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-cli-conventions-XXXXXX", NULL);
  g_assert_nonnull (dir);
  g_autofree char *missing = g_build_filename (dir, "missing.safetensors", NULL);
  g_auto (Run) r = { 0 };
  run_invlab (&r, "eval", missing, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_nonnull (strstr (r.err, "missing.safetensors"));
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_version (void)
{
  g_auto (Run) r = { 0 };
  run_invlab (&r, "--version", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "invlab " INVLAB_VERSION "\n");
  g_assert_cmpstr (r.err, ==, "");
}

/* The words that a man page section (from the .SS line containing title to
 * the next .SS or .SH) sets in bold as the first argument of .B or .BR,
 * with troff's \- unescaped. */
static GHashTable *
man_bold_words (const char *man, const char *title)
{
  GHashTable *words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *heading = g_strdup_printf (".SS \"%s\"\n", title);
  const char *start = strstr (man, heading);
  g_assert_nonnull (start);
  g_auto (GStrv) lines = g_strsplit (start + strlen (heading), "\n", -1);
  for (size_t i = 0; lines[i]; i++)
    {
      const char *l = lines[i];
      if (g_str_has_prefix (l, ".SS") || g_str_has_prefix (l, ".SH"))
        break;
      const char *arg = g_str_has_prefix (l, ".B ") ? l + 3 : g_str_has_prefix (l, ".BR ") ? l + 4 : NULL;
      if (!arg)
        continue;
      g_auto (GStrv) parts = g_strsplit (arg, " ", 2);
      g_autoptr (GString) w = g_string_new (parts[0]);
      g_string_replace (w, "\\-", "-", 0);
      g_hash_table_add (words, g_string_free (g_steal_pointer (&w), FALSE));
    }
  return words;
}

static void
assert_keys_documented (const InvJson *obj, GHashTable *documented, const char *what)
{
  g_assert_cmpint (obj->type, ==, INV_JSON_OBJECT);
  for (size_t i = 0; i < obj->n; i++)
    if (!g_hash_table_contains (documented, obj->keys[i]))
      g_error ("%s: key \"%s\" is not documented in invlab.1", what, obj->keys[i]);
}

static void
test_data_info_streams_and_json (void)
{
  g_auto (Run) text = { 0 };
  run_invlab (&text, "data", "info", "--dataset", "digits", NULL);
  g_assert_cmpint (text.status, ==, 0);
  g_assert_cmpstr (text.err, ==, "");
  g_assert_nonnull (strstr (text.out, "classes:"));

  g_auto (Run) r = { 0 };
  run_invlab (&r, "data", "info", "--dataset", "digits", "--format", "json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_true (g_str_has_suffix (r.out, "}\n"));
  g_autoptr (GError) error = NULL;
  g_autoptr (InvJson) j = inv_json_parse (r.out, strlen (r.out), &error);
  g_assert_no_error (error);

  /* The man page lists exactly the keys the program prints, in order. */
  g_autofree char *man = read_source ("invlab.1");
  const char *start = strstr (man, ".SS \"invlab data info \\-\\-format json\"\n");
  g_assert_nonnull (start);
  g_auto (GStrv) lines = g_strsplit (start, "\n", -1);
  g_autoptr (GPtrArray) documented = g_ptr_array_new ();
  for (size_t i = 1; lines[i] && !g_str_has_prefix (lines[i], ".S"); i++)
    if (g_str_equal (lines[i], ".TP") && lines[i + 1] && g_str_has_prefix (lines[i + 1], ".B "))
      g_ptr_array_add (documented, lines[i + 1] + 3);
  g_assert_cmpuint (documented->len, ==, j->n);
  for (size_t i = 0; i < j->n; i++)
    g_assert_cmpstr (documented->pdata[i], ==, j->keys[i]);
  g_assert_cmpint (inv_json_get (j, "class_names")->type, ==, INV_JSON_ARRAY);
  g_assert_cmpfloat (inv_json_get (j, "classes")->number, ==, inv_json_get (j, "class_names")->n);
}

static void
test_train_eval_streams_and_json (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-cli-conventions-XXXXXX", NULL);
  g_assert_nonnull (dir);
  g_autofree char *model = g_build_filename (dir, "m.safetensors", NULL);

  /* Progress on stderr, the one result line on stdout. */
  g_auto (Run) t = { 0 };
  run_invlab (&t, "train", "--model", "mlp", "--dataset", "digits", "--limit", "128",
              "--eval-limit", "16", "--out", model, NULL);
  g_assert_cmpint (t.status, ==, 0);
  g_assert_nonnull (strstr (t.err, "epoch 1/1"));
  g_assert_null (strstr (t.out, "epoch"));
  g_assert_true (g_str_has_prefix (t.out, "saved "));
  g_assert_true (g_str_has_suffix (t.out, "\n"));
  g_assert_true (strchr (t.out, '\n') == t.out + strlen (t.out) - 1);  /* one line */

  g_auto (Run) r = { 0 };
  run_invlab (&r, "eval", model, "--dataset", "digits", "--limit", "8", "--shift", "noise=0.5",
              "--format", "json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  g_autoptr (GError) error = NULL;
  g_autoptr (InvJson) j = inv_json_parse (r.out, strlen (r.out), &error);
  g_assert_no_error (error);

  g_autofree char *man = read_source ("invlab.1");
  g_autoptr (GHashTable) doc = man_bold_words (man, "invlab eval \\-\\-format json");
  assert_keys_documented (j, doc, "eval");
  g_assert_cmpstr (inv_json_get (j, "shift")->string, ==, "noise=0.5");
  const InvJson *models = inv_json_get (j, "models");
  g_assert_nonnull (models);
  g_assert_cmpuint (models->n, ==, 1);
  assert_keys_documented (models->items[0], doc, "eval models[]");
  const InvJson *metrics = inv_json_get (models->items[0], "metrics");
  g_assert_nonnull (metrics);
  g_assert_cmpuint (metrics->n, ==, 2 + INV_N_METRICS);  /* n_images, group_order, metrics */
  assert_keys_documented (metrics, doc, "eval metrics");
  g_assert_cmpfloat (inv_json_get (metrics, "n_images")->number, ==, 8);

  g_assert_cmpint (g_unlink (model), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* Runs $INVLAB args with stderr on a pseudo-terminal; returns what it wrote. */
static char *
run_on_terminal (char **envp, const char *const *args, int *status)
{
  int master = posix_openpt (O_RDWR | O_NOCTTY);
  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);
  int slave = open (ptsname (master), O_RDWR | O_NOCTTY);
  g_assert_cmpint (slave, >=, 0);
  int null = open ("/dev/null", O_RDWR);
  g_assert_cmpint (null, >=, 0);

  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) invlab_path ());
  for (size_t i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GError) error = NULL;
  GPid pid;
  g_spawn_async_with_fds (NULL, (char **) argv->pdata, envp, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                          NULL, &pid, null, null, slave, &error);
  g_assert_no_error (error);
  close (slave);
  close (null);

  /* Read until the child's side is closed (EIO on Linux). */
  g_autoptr (GString) out = g_string_new (NULL);
  char buf[512];
  for (;;)
    {
      ssize_t n = read (master, buf, sizeof buf);
      if (n > 0)
        g_string_append_len (out, buf, n);
      else if (n < 0 && errno == EINTR)
        continue;
      else
        break;
    }
  close (master);
  int wait_status = 0;
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (wait_status));
  *status = WEXITSTATUS (wait_status);
  g_test_message ("on a terminal: exit %d, stderr: %s", *status, out->str);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_no_color (void)
{
  const char *const args[] = { "eval", "--no-such-option", NULL };
  g_auto (GStrv) env = g_get_environ ();
  env = g_environ_setenv (env, "TERM", "xterm-256color", TRUE);
  env = g_environ_unsetenv (env, "NO_COLOR");

  /* A person at a terminal gets colour ... */
  int status;
  g_autofree char *tty = run_on_terminal (env, args, &status);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (tty, "no-such-option"));
  g_assert_nonnull (strchr (tty, '\033'));

  /* ... unless NO_COLOR is set, whatever its value ... */
  g_auto (GStrv) no_color = g_environ_setenv (g_strdupv (env), "NO_COLOR", "1", TRUE);
  g_autofree char *plain = run_on_terminal (no_color, args, &status);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (plain, "invlab eval: "));
  g_assert_null (strchr (plain, '\033'));

  /* ... or TERM is dumb ... */
  g_auto (GStrv) dumb = g_environ_setenv (g_strdupv (env), "TERM", "dumb", TRUE);
  g_autofree char *dumb_out = run_on_terminal (dumb, args, &status);
  g_assert_null (strchr (dumb_out, '\033'));

  /* ... and a pipe never does. */
  g_auto (Run) r = { 0 };
  run_invlab_env (&r, env, args);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_true (g_str_has_prefix (r.err, "invlab eval: "));
  g_assert_null (strchr (r.err, '\033'));
}

static void
test_man_page_covers_options (void)
{
  g_autofree char *man = read_source ("invlab.1");
  g_autoptr (GPtrArray) paths = command_paths ();
  for (size_t i = 0; i < paths->len; i++)
    {
      const char *path = paths->pdata[i];
      /* Options are set as .BI "\-x ", " \-\-name": look for \-\-name in the section. */
      g_autofree char *heading = g_strdup_printf (".SS \"invlab %s\"\n", path);
      const char *section = strstr (man, heading);
      if (!section)
        g_error ("invlab.1 has no section for 'invlab %s'", path);
      const char *end = strstr (section + strlen (heading), "\n.S");
      g_autofree char *body = g_strndup (section, end ? (size_t) (end - section) : strlen (section));

      g_auto (Run) r = { 0 };
      run_path (&r, path, "--help", NULL);
      g_autoptr (GPtrArray) opts = help_long_options (r.out);
      g_assert_cmpuint (opts->len, >=, 1);
      for (size_t k = 0; k < opts->len; k++)
        {
          g_autoptr (GString) escaped = g_string_new (opts->pdata[k]);
          g_string_replace (escaped, "-", "\\-", 0);
          g_string_prepend (escaped, "\\-\\-");
          if (!strstr (body, escaped->str))
            g_error ("invlab.1: the section of 'invlab %s' does not document --%s", path,
                     (char *) opts->pdata[k]);
        }
    }
  /* and the exit codes and the environment */
  for (const char *const *w = (const char *const[]) { ".SH \"EXIT STATUS\"", "INVLAB_FASHION_DIR",
                                                      "INVLAB_BLAS_AUTOSELECT", "OPENBLAS_CORETYPE",
                                                      "NO_COLOR", NULL }; *w; w++)
    g_assert_nonnull (strstr (man, *w));
}

/* COMPREPLY of the bash completion for the command line `line`. */
static char *
complete (const char *line)
{
  g_autofree char *script = source_file ("completions/invlab");
  const char *argv[] = {
    "bash", "--norc", "--noprofile", "-c",
    ". \"$1\"; COMP_LINE=$2; COMP_POINT=${#COMP_LINE}; _invlab; printf '%s\\n' \"${COMPREPLY[@]}\"",
    "bash", script, line, NULL,
  };
  char *out = NULL, *err = NULL;
  int wait_status;
  g_autoptr (GError) error = NULL;
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
  g_assert_cmpstr (err, ==, "");
  g_free (err);
  return out;
}

static gboolean
has_line (const char *text, const char *line)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  return g_strv_contains ((const char *const *) lines, line);
}

static void
test_completion_covers_options (void)
{
  g_autofree char *bash = g_find_program_in_path ("bash");
  if (!bash)
    {
      g_test_skip ("bash is not installed");
      return;
    }
  g_auto (Run) top = { 0 };
  run_invlab (&top, "--help", NULL);
  g_autoptr (GPtrArray) names = help_commands (top.out);
  g_autofree char *commands = complete ("invlab ");
  for (size_t i = 0; i < names->len; i++)
    if (!has_line (commands, names->pdata[i]))
      g_error ("the completion does not offer the command %s", (char *) names->pdata[i]);

  g_autoptr (GPtrArray) paths = command_paths ();
  for (size_t i = 0; i < paths->len; i++)
    {
      g_auto (Run) r = { 0 };
      run_path (&r, paths->pdata[i], "--help", NULL);
      g_autoptr (GPtrArray) opts = help_long_options (r.out);
      g_autofree char *line = g_strdup_printf ("invlab %s --", (char *) paths->pdata[i]);
      g_autofree char *offered = complete (line);
      for (size_t k = 0; k < opts->len; k++)
        {
          g_autofree char *opt = g_strdup_printf ("--%s", (char *) opts->pdata[k]);
          if (!has_line (offered, opt))
            g_error ("the completion of 'invlab %s' does not offer %s", (char *) paths->pdata[i], opt);
        }
    }

  /* Values: each offered value is one the program accepts. */
  g_autofree char *kinds = complete ("invlab train --model ");
  g_assert_cmpstr (kinds, ==, "mlp\ncnn\ntied-mlp\ngcnn\n");
  g_autofree char *kinds_eq = complete ("invlab train --model=ti");
  g_assert_cmpstr (kinds_eq, ==, "tied-mlp\n");
  g_autofree char *shifts = complete ("invlab eval m.safetensors --shift noise=0.5,b");
  g_assert_cmpstr (shifts, ==, "0.5,blur=\n");  /* bash completes after the '=' */
  g_autofree char *formats = complete ("invlab eval m.safetensors --format ");
  g_assert_cmpstr (formats, ==, "table\njson\ncsv\n");
  g_autofree char *methods = complete ("invlab saliency --method ");
  g_assert_cmpstr (methods, ==, "gradient\ngradxinput\nsmoothgrad\nig\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("INVLAB_BLAS_AUTOSELECT", "0", TRUE);
  g_test_add_func ("/cli-conventions/help-every-command", test_help_every_command);
  g_test_add_func ("/cli-conventions/usage-errors", test_usage_errors);
  g_test_add_func ("/cli-conventions/runtime-failure", test_runtime_failure);
  g_test_add_func ("/cli-conventions/version", test_version);
  g_test_add_func ("/cli-conventions/data-info-json", test_data_info_streams_and_json);
  g_test_add_func ("/cli-conventions/train-eval-json", test_train_eval_streams_and_json);
  g_test_add_func ("/cli-conventions/no-color", test_no_color);
  g_test_add_func ("/cli-conventions/man-page-options", test_man_page_covers_options);
  g_test_add_func ("/cli-conventions/completion", test_completion_covers_options);
  return g_test_run ();
}
