/* Shared helpers of the libFuzzer targets: GLib warnings made fatal, and a
 * private scratch folder (on tmpfs when there is one) for the readers that
 * take a path. Not a test framework: each target is one fuzz-*.c file. */
#pragma once
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* Makes criticals and warnings abort (a g_return_if_fail on fuzzed input is
 * a bug) and silences the core's own messages. Idempotent. */
void fuzz_init (void);
/* The scratch folder, created on first use and removed at exit. */
const char *fuzz_dir (void);
/* Writes len bytes to fuzz_dir()/name (replacing it); returns the path (g_free). */
char *fuzz_write (const char *name, const void *data, size_t len);
/* Removes fuzz_dir()/name if it exists. */
void fuzz_remove (const char *name);
