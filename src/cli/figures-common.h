/* Helpers shared by the figure commands of invlab (sweep, saliency,
 * spectrum): loading the MODEL arguments, choosing their data set, naming
 * models in legends, checking output paths. Not used by the core. */
#pragma once
#include <glib.h>
#include "dataset.h"
#include "model.h"
#include "metrics.h"
#include "shift.h"

/* Loads every path of paths (n); on failure prints the error and returns
 * NULL. The array frees its models. */
GPtrArray *inv_cli_load_models (const char *command, char **paths, size_t n);
/* The data set to evaluate on: spec, else the first model's training data
 * set, else Fashion-MNIST. An unknown spec is a usage error (*status 2,
 * naming --dataset), anything else a runtime failure (1). */
InvDataset *inv_cli_models_dataset (const char *command, const char *spec,
                                    const InvModel *first, int *status);
/* FALSE (with a message naming path and the sizes) unless m takes ds's
 * images and classes. */
gboolean inv_cli_model_fits (const char *command, const char *path, const InvModel *m,
                             const InvDataset *ds);
/* A short legend name for a model file: its basename without .safetensors.
 * g_free. */
char *inv_cli_model_label (const char *path);
/* Parses a --shift list into list (seeded), attaching the mix source
 * (loaded into *other, which the caller frees) when a mix shift needs it.
 * Usage errors give *status 2 naming --shift. */
gboolean inv_cli_parse_shift_option (const char *command, const char *text, uint64_t seed,
                                     const InvDataset *ds, InvShiftList *list,
                                     InvDataset **other, int *status);
/* FALSE (usage, naming flag) unless path ends in .png, .svg or .pdf (or
 * .csv when csv_ok). */
gboolean inv_cli_check_out_path (const char *command, const char *flag, const char *path,
                                 gboolean csv_ok);
/* TRUE when path ends in .csv (any case). */
gboolean inv_cli_path_is_csv (const char *path);
/* Appends text as one CSV field, quoted as RFC 4180 says. */
void inv_cli_append_csv_field (GString *s, const char *text);

/* The small-multiples figure of a severity sweep: one panel per metric that
 * has values, one line per model. results (M, S), severities (S). */
gboolean inv_cli_sweep_figure (const char *path, const char *title, const char *const *labels,
                               size_t M, const InvMetrics *results, const double *severities,
                               size_t S, GError **error);
