/* invlab train: trains one model on the core and saves it as safetensors.
 * Progress goes to stderr (a bar on a terminal, plain lines otherwise); the
 * result line goes to stdout. Ctrl-C keeps the last completed epoch. */
#include "config.h"
#include "cli.h"
#include "blas.h"
#include "metrics.h"
#include "model.h"
#include "train.h"
#include "util.h"
#include <glib/gi18n.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void
on_sigint (int sig)
{
  interrupted = 1;
}

typedef struct {
  InvModel *model;
  InvModel *last_epoch;   /* copy at the last completed epoch */
  gboolean tty;
  double last_print;
} TrainState;

static void
format_time (char *buf, size_t n, double s)
{
  if (!isfinite (s) || s < 0)
    g_snprintf (buf, n, "--:--");
  else if (s >= 3600)
    g_snprintf (buf, n, "%d:%02d:%02d", (int) (s / 3600), (int) fmod (s / 60, 60), (int) fmod (s, 60));
  else
    g_snprintf (buf, n, "%02d:%02d", (int) (s / 60), (int) fmod (s, 60));
}

static gboolean
progress_cb (const InvTrainProgress *p, gpointer user_data)
{
  TrainState *st = user_data;
  if (p->epoch_done)
    {
      inv_model_free (st->last_epoch);
      st->last_epoch = inv_model_copy (st->model);
    }
  double now = inv_now ();
  gboolean last = p->step == p->total_steps;
  char eta[32];
  format_time (eta, sizeof eta, p->eta);
  if (st->tty)
    {
      if (now - st->last_print >= 0.1 || last)
        {
          const int width = 24;
          int filled = (int) (width * (double) p->step / p->total_steps);
          char bar[64];
          for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '-';
          bar[width] = '\0';
          /* Translators: a progress bar; "img/s" is images per second and
           * the last %s the time left (mm:ss). */
          fputc ('\r', stderr);
          fprintf (stderr, _("[%s] epoch %zu/%zu  step %zu/%zu  loss %.4f  %.0f img/s  left %s "),
                   bar, p->epoch, p->epochs, p->step, p->total_steps, p->loss,
                   p->images_per_sec, eta);
          if (last)
            fputc ('\n', stderr);
          fflush (stderr);
          st->last_print = now;
        }
    }
  else if (p->epoch_done || now - st->last_print >= 5.0 || last)
    {
      /* Translators: "ce" is the cross-entropy, "penalty" the invariance
       * penalty, the last %s the time left (mm:ss). */
      fprintf (stderr, _("epoch %zu/%zu step %zu/%zu loss %.4f ce %.4f penalty %.4f %.0f img/s left %s\n"),
               p->epoch, p->epochs, p->step, p->total_steps, p->loss, p->ce, p->penalty,
               p->images_per_sec, eta);
      st->last_print = now;
    }
  return !interrupted;
}

int
inv_cli_train (int argc, char **argv)
{
  g_autofree char *dataset = NULL, *group = NULL, *kind_name = NULL, *augment = NULL;
  g_autofree char *optimizer = NULL, *out = NULL;
  double lambda = 0, lr = 1e-3;
  gint64 epochs = 1, batch = 64, seed = 1, limit = 0, orbit_samples = 0, eval_limit = 2000;
  int threads = 2;
  const GOptionEntry entries[] = {
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset, N_("Data set: fashion, digits, digits:SEED or idx:DIR (default fashion)"), "SPEC" },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group, N_("Group: c4, d4, flip, trans or trans:K (default c4)"), "NAME" },
    { "model", 'm', 0, G_OPTION_ARG_STRING, &kind_name, N_("Model kind: mlp, cnn, tied-mlp or gcnn (default mlp)"), "KIND" },
    { "reg", 0, 0, G_OPTION_ARG_DOUBLE, &lambda, N_("Invariance-error weight λ (default 0)"), "LAMBDA" },
    { "augment", 0, 0, G_OPTION_ARG_STRING, &augment, N_("orbit (every group element) or none (default orbit)"), "MODE" },
    { "orbit-samples", 0, 0, G_OPTION_ARG_INT64, &orbit_samples, N_("Random group elements per image instead of the whole orbit"), "M" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT64, &epochs, N_("Epochs (default 1)"), "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT64, &batch, N_("Base images per step (default 64)"), "B" },
    { "optimizer", 0, 0, G_OPTION_ARG_STRING, &optimizer, N_("adam or sgd (default adam)"), "NAME" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, N_("Learning rate (default 0.001)"), "LR" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Random seed (default 1)"), "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("BLAS threads (default 2)"), "T" },
    { "limit", 'n', 0, G_OPTION_ARG_INT64, &limit, N_("Train on the first N training images (default all)"), "N" },
    { "eval-limit", 0, 0, G_OPTION_ARG_INT64, &eval_limit, N_("Held-out images for the final accuracy (default 2000, 0 = all)"), "N" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Where to save the model (.safetensors)"), "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (N_("- train one model"));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autofree char *description = g_strconcat (
    _("Examples:"), "\n"
    "  invlab train --model mlp --group c4 --epochs 1 --limit 5000 --out mlp.safetensors\n"
    "  invlab train --model mlp --reg 1 --out reg.safetensors\n"
    "  invlab train --model gcnn --dataset digits --augment none --out gcnn.safetensors\n\n",
    _("Ctrl-C stops cleanly and saves the last completed epoch."), NULL);
  g_option_context_set_description (ctx, description);
  int status = INV_EXIT_OK;
  if (!inv_cli_parse (ctx, "train", &argc, &argv, &status))
    return status;
  if (argc > 1)
    {
      inv_cli_error ("train", _("unexpected argument '%s'"), argv[1]);
      return INV_EXIT_USAGE;
    }
  if (!out)
    {
      inv_cli_error ("train", "%s", _("--out FILE is required (where to save the model)"));
      return INV_EXIT_USAGE;
    }
  InvModelKind kind = INV_MODEL_MLP;
  if (kind_name && !inv_model_kind_from_name (kind_name, &kind))
    {
      inv_cli_error ("train", _("--model '%s' is not a model kind (expected mlp, cnn, tied-mlp or gcnn)"), kind_name);
      return INV_EXIT_USAGE;
    }
  InvTrainConfig cfg;
  inv_train_config_init (&cfg);
  cfg.lambda = lambda;
  cfg.lr = lr;
  if (augment && g_strcmp0 (augment, "orbit") != 0 && g_strcmp0 (augment, "none") != 0)
    {
      inv_cli_error ("train", _("--augment '%s' must be orbit or none"), augment);
      return INV_EXIT_USAGE;
    }
  cfg.augment = g_strcmp0 (augment, "none") == 0 ? INV_AUGMENT_NONE : INV_AUGMENT_ORBIT;
  if (optimizer && g_strcmp0 (optimizer, "adam") != 0 && g_strcmp0 (optimizer, "sgd") != 0)
    {
      inv_cli_error ("train", _("--optimizer '%s' must be adam or sgd"), optimizer);
      return INV_EXIT_USAGE;
    }
  cfg.optimizer = g_strcmp0 (optimizer, "sgd") == 0 ? INV_OPTIMIZER_SGD : INV_OPTIMIZER_ADAM;
  struct { const char *flag; gint64 v, lo, hi; } ranges[] = {
    { "--epochs", epochs, 1, 100000 }, { "--batch", batch, 1, 65536 },
    { "--limit", limit, 0, G_MAXINT32 }, { "--orbit-samples", orbit_samples, 0, 4096 },
    { "--seed", seed, 0, G_MAXINT64 }, { "--threads", threads, 1, 256 },
    { "--eval-limit", eval_limit, 0, G_MAXINT32 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (ranges); i++)
    if (ranges[i].v < ranges[i].lo || ranges[i].v > ranges[i].hi)
      {
        /* Translators: "--epochs 0 is out of range (1 to 100000)". */
        inv_cli_error ("train", _("%s %lld is out of range (%lld to %lld)"), ranges[i].flag,
                       (long long) ranges[i].v, (long long) ranges[i].lo, (long long) ranges[i].hi);
        return INV_EXIT_USAGE;
      }
  if (!isfinite (lambda) || lambda < 0)
    {
      inv_cli_error ("train", _("--reg %g must be a finite number ≥ 0"), lambda);
      return INV_EXIT_USAGE;
    }
  if (!isfinite (lr) || lr <= 0 || lr > 100)
    {
      inv_cli_error ("train", _("--lr %g must be in (0, 100]"), lr);
      return INV_EXIT_USAGE;
    }
  cfg.epochs = (size_t) epochs;
  cfg.batch = (size_t) batch;
  cfg.seed = (uint64_t) seed;
  cfg.limit = (size_t) limit;
  cfg.orbit_samples = (size_t) orbit_samples;
  inv_blas_set_threads (threads);

  const char *spec = dataset ? dataset : "fashion";
  const char *grp = group ? group : "c4";
  g_autoptr (InvDataset) ds = inv_cli_load_dataset ("train", spec);
  if (!ds)
    return INV_EXIT_FAILURE;
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) model = inv_model_new (kind, grp, ds->h, ds->w, ds->n_classes, NULL,
                                              cfg.seed, &error);
  if (!model)
    {
      inv_cli_error ("train", "%s", error->message);
      return error->domain == INV_GROUP_ERROR ? INV_EXIT_USAGE : INV_EXIT_FAILURE;
    }
  g_autoptr (InvTrainer) trainer = inv_trainer_new (model, ds, &cfg, &error);
  if (!trainer)
    {
      inv_cli_error ("train", "%s", error->message);
      return INV_EXIT_USAGE;
    }

  struct sigaction sa = { 0 }, old_sa;
  sa.sa_handler = on_sigint;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, &old_sa);
  TrainState st = { .model = model, .tty = isatty (STDERR_FILENO) };
  /* Translators: "training MODEL-KIND on DATA-SET, group GROUP, λ = VALUE,
   * AUGMENTATION, BLAS KERNELS × N threads". */
  fprintf (stderr, ngettext ("training %s on %s, group %s, λ = %g, %s, BLAS %s × %d thread\n",
                             "training %s on %s, group %s, λ = %g, %s, BLAS %s × %d threads\n",
                             (unsigned long) threads),
           inv_model_kind_name (kind), ds->title, model->group->name, lambda,
           cfg.augment == INV_AUGMENT_ORBIT ? _("orbit-augmented") : _("no augmentation"),
           inv_blas_corename (), threads);
  gboolean ok = inv_trainer_run (trainer, progress_cb, &st, NULL, &error);
  sigaction (SIGINT, &old_sa, NULL);

  if (!ok)
    {
      if (st.tty)
        fputc ('\n', stderr);
      gboolean cancelled = g_error_matches (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_CANCELLED);
      inv_cli_error ("train", "%s", error->message);
      /* Keep what is worth keeping: the last completed epoch. */
      if (st.last_epoch)
        {
          g_autoptr (GError) save_error = NULL;
          if (inv_model_save (st.last_epoch, out, &save_error))
            fprintf (stderr, _("invlab train: saved the last completed epoch to %s\n"), out);
          else
            inv_cli_error ("train", "%s", save_error->message);
        }
      else
        fputs (_("invlab train: no epoch completed; nothing saved\n"), stderr);
      inv_model_free (st.last_epoch);
      return cancelled ? 130 : INV_EXIT_FAILURE;
    }
  inv_model_free (st.last_epoch);

  if (!inv_model_save (model, out, &error))
    {
      inv_cli_error ("train", "%s", error->message);
      return INV_EXIT_FAILURE;
    }
  InvEvalOptions opt;
  inv_eval_options_init (&opt);
  opt.which = INV_METRIC_ORBIT_ACCURACY;
  opt.limit = (size_t) eval_limit;
  InvMetrics res;
  if (!inv_evaluate (model, &ds->test, &opt, &res, &error))
    {
      inv_cli_error ("train", _("evaluating on held-out images: %s"), error->message);
      return INV_EXIT_FAILURE;
    }
  printf (_("saved %s; held-out orbit accuracy %.4f on %zu test images × %zu group elements\n"),
          out, res.orbit_accuracy, res.n_images, res.group_order);
  return INV_EXIT_OK;
}
