/* Shared helpers of the libFuzzer targets (see fuzz-common.h): fatal GLib
 * warnings and a scratch folder removed at exit. */
#include "fuzz-common.h"
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char *scratch;

static void
remove_scratch (void)
{
  if (!scratch)
    return;
  GDir *d = g_dir_open (scratch, 0, NULL);
  if (d)
    {
      const char *name;
      while ((name = g_dir_read_name (d)))
        {
          g_autofree char *p = g_build_filename (scratch, name, NULL);
          g_remove (p);
        }
      g_dir_close (d);
    }
  g_rmdir (scratch);
  g_clear_pointer (&scratch, g_free);
}

static void
quiet_log (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      fprintf (stderr, "%s: %s\n", domain ? domain : "GLib", message);
      abort ();
    }
}

void
fuzz_init (void)
{
  static gboolean done;
  if (done)
    return;
  done = TRUE;
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_log_set_default_handler (quiet_log, NULL);
}

const char *
fuzz_dir (void)
{
  if (scratch)
    return scratch;
  const char *base = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir ();
  scratch = g_build_filename (base, "invlab-fuzz-XXXXXX", NULL);
  if (!g_mkdtemp (scratch))
    {
      fprintf (stderr, "cannot create %s: %s\n", scratch, g_strerror (errno));
      abort ();
    }
  atexit (remove_scratch);
  return scratch;
}

char *
fuzz_write (const char *name, const void *data, size_t len)
{
  char *path = g_build_filename (fuzz_dir (), name, NULL);
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    abort ();
  const char *p = data;
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w <= 0)
        abort ();
      p += w;
      len -= (size_t) w;
    }
  close (fd);
  return path;
}

void
fuzz_remove (const char *name)
{
  g_autofree char *path = g_build_filename (fuzz_dir (), name, NULL);
  g_remove (path);
}
