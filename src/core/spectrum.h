/* Spectra of a model's first layer: the singular values of the layer as a
 * matrix (LAPACK), and, for a fully-connected first layer W (out, n), the
 * non-invariant energy fraction ‖W(I − P)X‖_F / ‖WX‖_F with P the group
 * average. N images, n = H*W pixels. Not a linear algebra library. */
#pragma once
#include <glib.h>
#include <stddef.h>
#include "group.h"
#include "model.h"

G_BEGIN_DECLS

#define INV_SPECTRUM_ERROR (inv_spectrum_error_quark ())
GQuark inv_spectrum_error_quark (void);
typedef enum {
  INV_SPECTRUM_ERROR_SIZE,           /* zero, mismatched or too large sizes */
  INV_SPECTRUM_ERROR_LAPACK,         /* the SVD did not converge / bad input */
  INV_SPECTRUM_ERROR_NOT_APPLICABLE, /* no fully-connected first layer */
  INV_SPECTRUM_ERROR_NOMEM,
} InvSpectrumError;

/* sv (min(rows, cols)) = singular values of a (rows, cols), row-major,
 * descending. Computed in double precision. */
gboolean inv_spectrum_singular_values (double *sv, const float *a, size_t rows,
                                       size_t cols, GError **error);

/* ‖W(I − P)X‖_F / ‖WX‖_F, 0 when ‖WX‖_F = 0. w (out, n); x (N, n): row i is
 * column i of X, one image standardized as the layer sees it; P = (1/G)
 * Σ_g ρ(g), (ρ(g)x)[p] = x[grp->perm[g*n + p]], n = grp->h * grp->w. */
gboolean inv_spectrum_noninvariant_energy (double *fraction, const float *w, size_t out,
                                           size_t n, const float *x, size_t N,
                                           const InvGroup *grp, GError **error);

/* TRUE for the kinds whose first layer is fully connected (mlp, tied-mlp). */
gboolean inv_spectrum_has_energy (InvModelKind kind);
/* Singular values of m's first layer (inv_model_first_layer): a new array of
 * *n_sv values, descending; g_free. */
double *inv_spectrum_model_singular_values (const InvModel *m, size_t *n_sv,
                                            GError **error);
/* The energy fraction of m's first layer and group over pixels (N, H*W) in
 * [0,1] (shifted if a shift applies), standardized here as m does. Fails
 * with INV_SPECTRUM_ERROR_NOT_APPLICABLE (and *fraction = NaN) for cnn and
 * gcnn. */
gboolean inv_spectrum_model_energy (double *fraction, const InvModel *m,
                                    const float *pixels, size_t N, GError **error);

G_END_DECLS
