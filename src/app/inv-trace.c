/* The event trace: a FILE opened for appending on first use, one
 * line-buffered write per event under a mutex, so lines of different
 * threads never interleave. */
#include "config.h"
#include "inv-trace.h"
#include <stdarg.h>
#include <stdio.h>

static GMutex trace_lock;
static FILE *trace_file;
static gboolean trace_checked;

/* Call with trace_lock held. */
static FILE *
trace_open_locked (void)
{
  if (!trace_checked)
    {
      trace_checked = TRUE;
      const char *path = g_getenv ("INVLAB_TRACE");
      if (path && *path)
        {
          trace_file = fopen (path, "a");
          if (trace_file)
            setvbuf (trace_file, NULL, _IOLBF, 0);
          else
            g_message ("INVLAB_TRACE: cannot open %s", path);
        }
    }
  return trace_file;
}

gboolean
inv_trace_enabled (void)
{
  g_mutex_lock (&trace_lock);
  gboolean on = trace_open_locked () != NULL;
  g_mutex_unlock (&trace_lock);
  return on;
}

void
inv_trace (const char *event, const char *fmt, ...)
{
  gint64 now = g_get_monotonic_time ();
  g_mutex_lock (&trace_lock);
  FILE *f = trace_open_locked ();
  if (f)
    {
      fprintf (f, "%" G_GINT64_FORMAT " %s", now, event);
      if (fmt)
        {
          va_list ap;
          va_start (ap, fmt);
          fputc (' ', f);
          vfprintf (f, fmt, ap);
          va_end (ap);
        }
      fputc ('\n', f);
    }
  g_mutex_unlock (&trace_lock);
}

void
inv_trace_reopen (void)
{
  g_mutex_lock (&trace_lock);
  if (trace_file)
    fclose (trace_file);
  trace_file = NULL;
  trace_checked = FALSE;
  g_mutex_unlock (&trace_lock);
}
