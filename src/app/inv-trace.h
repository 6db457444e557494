/* The app's event trace: with INVLAB_TRACE=FILE set, one line per event is
 * appended to FILE — "MICROSECONDS EVENT DETAILS", the time from
 * g_get_monotonic_time () — for measuring UI latency (issue #7). Not a
 * logger: nothing is written when the variable is unset. Any thread. */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

/* Whether INVLAB_TRACE names a file (read once; later changes are seen
 * after inv_trace_reopen). */
gboolean inv_trace_enabled (void);
/* Appends "<now µs> <event> <details>\n"; fmt may be NULL. */
void inv_trace (const char *event, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Closes the trace file and reads INVLAB_TRACE again (tests). */
void inv_trace_reopen (void);

G_END_DECLS
