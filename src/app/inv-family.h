/* The three model families the app trains side by side (Unconstrained,
 * Regularized, Weight-tied): their names, colours and model kinds. Not a
 * GObject: a small table shared by the trainer, the grid and the plots. */
#pragma once
#include <glib.h>
#include "model.h"

G_BEGIN_DECLS

typedef enum {
  INV_FAMILY_UNCONSTRAINED,  /* λ = 0 on orbit-augmented data */
  INV_FAMILY_REGULARIZED,    /* same network, λ > 0 */
  INV_FAMILY_TIED,           /* tied-mlp or gcnn, identity images only */
  INV_N_FAMILIES
} InvFamily;

/* "unconstrained", "regularized", "weight-tied" (file names, test paths). */
const char *inv_family_id (InvFamily family);
/* Translated title for rows and legends. */
const char *inv_family_title (InvFamily family);
/* RGBA in [0,1]; the same in the grid and the plots. */
void inv_family_color (InvFamily family, double rgba[4]);
/* The kind a family trains for a base architecture (mlp or cnn). */
InvModelKind inv_family_kind (InvFamily family, InvModelKind arch);
/* The family a (loaded) model belongs to: tied kinds, else by its λ. */
InvFamily inv_family_of_model (const InvModel *model);

G_END_DECLS
