/* InvTrainSession: one long-lived worker thread trains the three families
 * of a run interleaved, evaluates them every few hundred steps and posts
 * immutable snapshots with g_main_context_invoke_full; frequent progress is
 * merged into at most one pending idle. The main thread only takes the lock
 * to flip flags, never while numerics run. */
#include "config.h"
#include "inv-train-session.h"
#include "blas.h"
#include "spectrum.h"
#include "train.h"
#include "util.h"
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* A run as the main thread knows it; messages hold a reference so a
 * finalized session or a later run makes them stale. */
typedef struct {
  GWeakRef session;
  guint64 run;
} RunLink;

typedef struct {
  RunLink *link;
  InvData *data;
  InvRunConfig cfg;
  GCancellable *cancellable;
} Job;

typedef struct {
  guint64 run;
  InvLossPoint point;
} LossRecord;

typedef enum {
  MESSAGE_PROGRESS,
  MESSAGE_SNAPSHOT,
  MESSAGE_FINISHED,
  MESSAGE_FAILED,
} MessageKind;

typedef struct {
  MessageKind kind;
  RunLink *link;
  InvSnapshot *snapshot;
  GError *error;
} Message;

struct _InvTrainSession
{
  GObject parent_instance;

  /* main thread only */
  InvTrainState state;
  guint64 run;                  /* the current run; others are stale */
  GCancellable *cancellable;    /* of the current run */
  size_t step;
  GThread *thread;

  /* constant after init */
  GMainContext *context;

  /* shared with the worker, under lock */
  GMutex lock;
  GCond cond;
  Job *job;                     /* queued, not taken yet */
  gboolean paused;
  gboolean quit;
  gboolean progress_posted;     /* a progress message waits in the main context */
  InvRunProgress progress;      /* latest; losses unused */
  guint64 progress_run;
  GArray *losses;               /* LossRecord not yet reported */

  gint sample;                  /* atomic: test image the snapshots explain */
};

G_DEFINE_FINAL_TYPE (InvTrainSession, inv_train_session, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (InvTrainState, inv_train_state,
                    G_DEFINE_ENUM_VALUE (INV_TRAIN_STATE_IDLE, "idle"),
                    G_DEFINE_ENUM_VALUE (INV_TRAIN_STATE_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (INV_TRAIN_STATE_PAUSED, "paused"),
                    G_DEFINE_ENUM_VALUE (INV_TRAIN_STATE_FINISHED, "finished"),
                    G_DEFINE_ENUM_VALUE (INV_TRAIN_STATE_FAILED, "failed"))

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

enum {
  SIGNAL_PROGRESS,
  SIGNAL_SNAPSHOT,
  SIGNAL_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Worker-side state of one run. */
typedef struct {
  InvTrainSession *self;        /* borrowed: joined before it is finalized */
  Job *job;
  const InvDataset *ds;
  InvModel *model[INV_N_FAMILIES];
  InvTrainer *trainer[INV_N_FAMILIES];
  InvTrainProgress last[INV_N_FAMILIES];
  double loss_sum[INV_N_FAMILIES];
  size_t loss_count[INV_N_FAMILIES];
  size_t loss_every;            /* steps per loss point */
  size_t step, total_steps;
  double active;                /* seconds spent in training steps */
  double last_post;             /* inv_now () of the last progress post */
} Run;

#define PROGRESS_INTERVAL 0.1   /* s between merged progress posts */
#define WORKER_NICE 10

void
inv_run_config_init (InvRunConfig *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  g_strlcpy (cfg->group, "c4", sizeof cfg->group);
  cfg->arch = INV_MODEL_MLP;
  cfg->lambda = 1.0;
  cfg->optimizer = INV_OPTIMIZER_ADAM;
  cfg->lr = 1e-3;
  cfg->epochs = 3;
  cfg->limit = 10000;
  cfg->batch = 64;
  cfg->orbit_samples = 0;
  cfg->seed = 1;
  cfg->eval_images = 256;
  cfg->eval_interval = 200;
  cfg->saliency = INV_SALIENCY_GRADIENT;
  cfg->threads = 2;
}

/* Run links, jobs, messages. */

static RunLink *
run_link_new (InvTrainSession *self, guint64 run)
{
  RunLink *link = g_atomic_rc_box_new0 (RunLink);
  g_weak_ref_init (&link->session, self);
  link->run = run;
  return link;
}

static RunLink *
run_link_ref (RunLink *link)
{
  return g_atomic_rc_box_acquire (link);
}

static void
run_link_clear (gpointer p)
{
  g_weak_ref_clear (&((RunLink *) p)->session);
}

static void
run_link_unref (RunLink *link)
{
  g_atomic_rc_box_release_full (link, run_link_clear);
}

static void
job_free (Job *job)
{
  if (job == NULL)
    return;
  run_link_unref (job->link);
  inv_data_unref (job->data);
  g_object_unref (job->cancellable);
  g_free (job);
}

static void
message_free (gpointer p)
{
  Message *msg = p;
  run_link_unref (msg->link);
  g_clear_pointer (&msg->snapshot, inv_snapshot_unref);
  g_clear_error (&msg->error);
  g_free (msg);
}

static void
set_state (InvTrainSession *self, InvTrainState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* Main thread: emits the latest progress of the current run with the loss
 * points gathered since the previous report. */
static void
deliver_progress (InvTrainSession *self)
{
  InvRunProgress progress;
  g_autoptr (GArray) points = g_array_new (FALSE, FALSE, sizeof (InvLossPoint));
  g_mutex_lock (&self->lock);
  self->progress_posted = FALSE;
  gboolean current = self->progress_run == self->run;
  progress = self->progress;
  for (guint i = 0; i < self->losses->len; i++)
    {
      const LossRecord *rec = &g_array_index (self->losses, LossRecord, i);
      if (rec->run == self->run)
        g_array_append_val (points, rec->point);
    }
  g_array_set_size (self->losses, 0);
  g_mutex_unlock (&self->lock);
  if (!current)
    return;
  progress.losses = (const InvLossPoint *) (void *) points->data;
  progress.n_losses = points->len;
  self->step = progress.step;
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, &progress);
}

/* Main thread: delivers one message unless its run is stale. Progress is
 * flushed first so the plots have every loss point before a snapshot or
 * the end of the run arrives. */
static gboolean
message_dispatch_cb (gpointer data)
{
  Message *msg = data;
  g_autoptr (InvTrainSession) self = g_weak_ref_get (&msg->link->session);
  if (self == NULL)
    return G_SOURCE_REMOVE;
  deliver_progress (self);
  if (msg->kind == MESSAGE_PROGRESS || msg->link->run != self->run)
    return G_SOURCE_REMOVE;
  switch (msg->kind)
    {
    case MESSAGE_SNAPSHOT:
      self->step = msg->snapshot->step;
      g_signal_emit (self, signals[SIGNAL_SNAPSHOT], 0, msg->snapshot);
      break;
    case MESSAGE_FINISHED:
      set_state (self, INV_TRAIN_STATE_FINISHED);
      break;
    case MESSAGE_FAILED:
      set_state (self, INV_TRAIN_STATE_FAILED);
      g_signal_emit (self, signals[SIGNAL_FAILED], 0, msg->error);
      break;
    case MESSAGE_PROGRESS:
    default:
      break;
    }
  return G_SOURCE_REMOVE;
}

/* Worker thread helpers. */

static void
post (Run *r, MessageKind kind, InvSnapshot *snapshot, GError *error)
{
  Message *msg = g_new0 (Message, 1);
  msg->kind = kind;
  msg->link = run_link_ref (r->job->link);
  msg->snapshot = snapshot;
  msg->error = error;
  int priority = kind == MESSAGE_PROGRESS ? G_PRIORITY_DEFAULT_IDLE : G_PRIORITY_DEFAULT;
  g_main_context_invoke_full (r->self->context, priority, message_dispatch_cb, msg, message_free);
}

/* Records the current progress and posts it unless a post is pending or
 * the last one is too recent. */
static void
post_progress (Run *r, gboolean force)
{
  InvTrainSession *self = r->self;
  double now = inv_now ();
  const InvTrainProgress *p = &r->last[INV_FAMILY_UNCONSTRAINED];
  size_t images = 0;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    images += r->last[f].images;
  InvRunProgress progress = {
    .epoch = p->epoch,
    .epochs = r->job->cfg.epochs,
    .step = r->step,
    .total_steps = r->total_steps,
    .images_per_sec = r->active > 0 ? (double) images / r->active : 0,
    .elapsed = r->active,
    .eta = r->step > 0 ? r->active / (double) r->step * (double) (r->total_steps - r->step) : NAN,
  };

  gboolean send = FALSE;
  g_mutex_lock (&self->lock);
  self->progress = progress;
  self->progress_run = r->job->link->run;
  if (!self->progress_posted && (force || now - r->last_post >= PROGRESS_INTERVAL))
    {
      self->progress_posted = TRUE;
      send = TRUE;
    }
  g_mutex_unlock (&self->lock);
  if (send)
    {
      r->last_post = now;
      post (r, MESSAGE_PROGRESS, NULL, NULL);
    }
}

static void
push_loss (Run *r, InvFamily f)
{
  LossRecord rec = {
    .run = r->job->link->run,
    .point = { .family = f, .step = r->step, .loss = r->loss_sum[f] / (double) r->loss_count[f] },
  };
  r->loss_sum[f] = 0;
  r->loss_count[f] = 0;
  g_mutex_lock (&r->self->lock);
  g_array_append_val (r->self->losses, rec);
  g_mutex_unlock (&r->self->lock);
}

/* Blocks while paused; FALSE when the run must stop. */
static gboolean
wait_while_paused (Run *r)
{
  InvTrainSession *self = r->self;
  GCancellable *c = r->job->cancellable;
  g_mutex_lock (&self->lock);
  while (self->paused && !self->quit && !g_cancellable_is_cancelled (c))
    g_cond_wait (&self->cond, &self->lock);
  gboolean go = !self->quit && !g_cancellable_is_cancelled (c);
  g_mutex_unlock (&self->lock);
  return go;
}

/* Evaluates every family and explains the current sample; NULL with an
 * error (possibly G_IO_ERROR_CANCELLED). */
static InvSnapshot *
take_snapshot (Run *r, gboolean final, GError **error)
{
  const InvRunConfig *cfg = &r->job->cfg;
  const InvDataset *ds = r->ds;
  g_autoptr (InvSnapshot) snap = inv_snapshot_new ();
  snap->run = r->job->link->run;
  snap->step = r->step;
  snap->total_steps = r->total_steps;
  snap->final = final;
  if (ds->test.n == 0)
    {
      g_set_error (error, INV_METRICS_ERROR, INV_METRICS_ERROR_ARGS,
                   _("The data set has no test images to evaluate on"));
      return NULL;
    }
  size_t sample = (size_t) MAX (g_atomic_int_get (&r->self->sample), 0);
  sample = MIN (sample, ds->test.n - 1);
  snap->sample = sample;
  snap->saliency = cfg->saliency;
  g_autofree float *x = g_new (float, ds->h * ds->w); /* (n) */
  inv_split_get_image (&ds->test, ds->h, ds->w, sample, x);

  InvSaliencyOptions sal;
  inv_saliency_options_init (&sal);
  sal.method = cfg->saliency;
  sal.seed = cfg->seed;
  InvEvalOptions opt;
  inv_eval_options_init (&opt);
  opt.which = INV_METRIC_LOGITS | INV_METRIC_SIS | INV_METRIC_NONINVARIANT_ENERGY;
  opt.limit = MIN (cfg->eval_images, ds->test.n);
  opt.seed = cfg->seed;
  opt.cancellable = r->job->cancellable;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      InvFamilySnapshot *fs = &snap->fam[f];
      if (!inv_evaluate (r->model[f], &ds->test, &opt, &fs->metrics, error))
        return NULL;
      if (g_cancellable_set_error_if_cancelled (r->job->cancellable, error))
        return NULL;
      fs->maps = inv_orbit_maps_compute (r->model[f], NULL, &sal, x, ds->test.labels[sample], error);
      if (fs->maps == NULL)
        return NULL;
      fs->sv = inv_spectrum_model_singular_values (r->model[f], &fs->n_sv, error);
      if (fs->sv == NULL)
        return NULL;
      fs->model = inv_model_ref_new (inv_model_copy (r->model[f]));
    }
  return g_steal_pointer (&snap);
}

static gboolean
snapshot_and_post (Run *r, gboolean final, GError **error)
{
  InvSnapshot *snap = take_snapshot (r, final, error);
  if (snap == NULL)
    return FALSE;
  post (r, MESSAGE_SNAPSHOT, snap, NULL);
  return TRUE;
}

static gboolean
run_setup (Run *r, GError **error)
{
  const InvRunConfig *cfg = &r->job->cfg;
  const InvDataset *ds = r->ds;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      InvModelKind kind = inv_family_kind (f, cfg->arch);
      r->model[f] = inv_model_new (kind, cfg->group, ds->h, ds->w, ds->n_classes, NULL,
                                   cfg->seed, error);
      if (r->model[f] == NULL)
        return FALSE;
      InvTrainConfig tc;
      inv_train_config_init (&tc);
      tc.lambda = f == INV_FAMILY_REGULARIZED ? cfg->lambda : 0.0;
      /* Every orbit copy of a weight-tied model has the same loss. */
      tc.augment = f == INV_FAMILY_TIED ? INV_AUGMENT_NONE : INV_AUGMENT_ORBIT;
      tc.orbit_samples = cfg->orbit_samples;
      tc.epochs = cfg->epochs;
      tc.batch = cfg->batch;
      tc.optimizer = cfg->optimizer;
      tc.lr = cfg->lr;
      tc.seed = cfg->seed;
      tc.limit = cfg->limit;
      r->trainer[f] = inv_trainer_new (r->model[f], ds, &tc, error);
      if (r->trainer[f] == NULL)
        return FALSE;
    }
  /* Every family has the same images and batch size, so the same steps. */
  size_t n_train = cfg->limit ? MIN (cfg->limit, ds->train.n) : ds->train.n;
  size_t batch = MIN (cfg->batch, n_train);
  r->total_steps = (n_train + batch - 1) / batch * cfg->epochs;
  r->loss_every = MAX (r->total_steps / 400, 1);
  return TRUE;
}

static void
run_job (InvTrainSession *self, Job *job)
{
  Run run = { .self = self, .job = job, .ds = job->data->ds };
  Run *r = &run;
  const InvRunConfig *cfg = &job->cfg;
  GError *error = NULL;
  gboolean done = FALSE;

  inv_blas_set_threads (cfg->threads);
  if (!run_setup (r, &error) || !snapshot_and_post (r, FALSE, &error))
    goto out;
  post_progress (r, TRUE);

  while (r->step < r->total_steps)
    {
      if (!wait_while_paused (r))
        goto out;
      double t0 = inv_now ();
      for (int f = 0; f < INV_N_FAMILIES; f++)
        {
          if (inv_trainer_finished (r->trainer[f]))
            continue;
          if (!inv_trainer_step (r->trainer[f], &r->last[f], &error))
            {
              g_prefix_error (&error, "%s: ", inv_family_title (f));
              goto out;
            }
          r->loss_sum[f] += r->last[f].loss;
          r->loss_count[f]++;
        }
      r->step++;
      r->active += inv_now () - t0;
      gboolean last = r->step == r->total_steps;
      for (int f = 0; f < INV_N_FAMILIES; f++)
        if (r->loss_count[f] > 0 && (r->step % r->loss_every == 0 || last))
          push_loss (r, f);
      post_progress (r, last);
      if ((r->step % MAX (cfg->eval_interval, 1) == 0 || last)
          && !snapshot_and_post (r, last, &error))
        goto out;
    }
  done = TRUE;

out:
  /* A diverged step left the weights of the step before: show them. */
  if (!done && g_error_matches (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_DIVERGED))
    {
      g_autoptr (GError) snap_error = NULL;
      if (!snapshot_and_post (r, TRUE, &snap_error))
        g_debug ("no snapshot of the diverged run: %s", snap_error->message);
    }
  if (done)
    post (r, MESSAGE_FINISHED, NULL, NULL);
  else if (error && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
           && !g_cancellable_is_cancelled (job->cancellable))
    post (r, MESSAGE_FAILED, NULL, g_steal_pointer (&error));
  g_clear_error (&error);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_clear_pointer (&r->trainer[f], inv_trainer_free);
      g_clear_pointer (&r->model[f], inv_model_free);
    }
}

/* The worker yields the CPU to the main thread: on a small machine the
 * numerics would otherwise delay frames by whole scheduler slices. On Linux
 * the nice value of a thread is its own. */
static void
lower_thread_priority (void)
{
#ifdef __linux__
  pid_t tid = (pid_t) syscall (SYS_gettid);
  if (setpriority (PRIO_PROCESS, (id_t) tid, WORKER_NICE) != 0)
    g_debug ("cannot lower the trainer's priority");
#endif
}

static gpointer
worker_main (gpointer data)
{
  InvTrainSession *self = data;
  lower_thread_priority ();
  g_mutex_lock (&self->lock);
  for (;;)
    {
      while (!self->quit && self->job == NULL)
        g_cond_wait (&self->cond, &self->lock);
      if (self->quit)
        break;
      Job *job = g_steal_pointer (&self->job);
      g_mutex_unlock (&self->lock);
      run_job (self, job);
      job_free (job);
      g_mutex_lock (&self->lock);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* Overrides. */

static void
inv_train_session_dispose (GObject *object)
{
  InvTrainSession *self = INV_TRAIN_SESSION (object);
  if (self->thread)
    {
      g_cancellable_cancel (self->cancellable);
      g_mutex_lock (&self->lock);
      self->quit = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      g_thread_join (g_steal_pointer (&self->thread));
    }
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (inv_train_session_parent_class)->dispose (object);
}

static void
inv_train_session_finalize (GObject *object)
{
  InvTrainSession *self = INV_TRAIN_SESSION (object);
  g_clear_pointer (&self->job, job_free);
  g_clear_pointer (&self->losses, g_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (inv_train_session_parent_class)->finalize (object);
}

static void
inv_train_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  InvTrainSession *self = INV_TRAIN_SESSION (object);
  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inv_train_session_class_init (InvTrainSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = inv_train_session_dispose;
  object_class->finalize = inv_train_session_finalize;
  object_class->get_property = inv_train_session_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, INV_TYPE_TRAIN_STATE, INV_TRAIN_STATE_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_SNAPSHOT] =
    g_signal_new ("snapshot", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
inv_train_session_init (InvTrainSession *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->losses = g_array_new (FALSE, FALSE, sizeof (LossRecord));
  self->context = g_main_context_ref_thread_default ();
  self->thread = g_thread_new ("inv-trainer", worker_main, self);
}

/* Public API. */

InvTrainSession *
inv_train_session_new (void)
{
  return g_object_new (INV_TYPE_TRAIN_SESSION, NULL);
}

InvTrainState
inv_train_session_get_state (InvTrainSession *self)
{
  g_return_val_if_fail (INV_IS_TRAIN_SESSION (self), INV_TRAIN_STATE_IDLE);
  return self->state;
}

size_t
inv_train_session_get_step (InvTrainSession *self)
{
  g_return_val_if_fail (INV_IS_TRAIN_SESSION (self), 0);
  return self->step;
}

gboolean
inv_train_session_start (InvTrainSession *self, InvData *data, const InvRunConfig *cfg,
                         GError **error)
{
  g_return_val_if_fail (INV_IS_TRAIN_SESSION (self), FALSE);
  g_return_val_if_fail (data != NULL && cfg != NULL, FALSE);
  if (self->state == INV_TRAIN_STATE_RUNNING || self->state == INV_TRAIN_STATE_PAUSED)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, _("Training is already running"));
      return FALSE;
    }
  self->run++;
  self->step = 0;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  Job *job = g_new0 (Job, 1);
  job->link = run_link_new (self, self->run);
  job->data = inv_data_ref (data);
  job->cfg = *cfg;
  job->cancellable = g_object_ref (self->cancellable);

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->job, job_free);
  self->job = job;
  self->paused = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  set_state (self, INV_TRAIN_STATE_RUNNING);
  return TRUE;
}

void
inv_train_session_pause (InvTrainSession *self)
{
  g_return_if_fail (INV_IS_TRAIN_SESSION (self));
  if (self->state != INV_TRAIN_STATE_RUNNING)
    return;
  g_mutex_lock (&self->lock);
  self->paused = TRUE;
  g_mutex_unlock (&self->lock);
  set_state (self, INV_TRAIN_STATE_PAUSED);
}

void
inv_train_session_resume (InvTrainSession *self)
{
  g_return_if_fail (INV_IS_TRAIN_SESSION (self));
  if (self->state != INV_TRAIN_STATE_PAUSED)
    return;
  g_mutex_lock (&self->lock);
  self->paused = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  set_state (self, INV_TRAIN_STATE_RUNNING);
}

void
inv_train_session_reset (InvTrainSession *self)
{
  g_return_if_fail (INV_IS_TRAIN_SESSION (self));
  /* A new run number makes every message of the old run stale. */
  self->run++;
  self->step = 0;
  g_cancellable_cancel (self->cancellable);
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->job, job_free);
  self->paused = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  set_state (self, INV_TRAIN_STATE_IDLE);
}

void
inv_train_session_set_sample (InvTrainSession *self, size_t index)
{
  g_return_if_fail (INV_IS_TRAIN_SESSION (self));
  g_atomic_int_set (&self->sample, (gint) MIN (index, (size_t) G_MAXINT));
}
