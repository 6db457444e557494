/* The trainer in a worker thread, driven as the GUI drives it: 200 cycles of
 * start, pause, inspect, resume, cancel, with no deadlock (every wait is
 * bounded), no leak and flat resident memory. Also run under ThreadSanitizer. */
#include "dataset.h"
#include "model.h"
#include "train.h"
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define THREADS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define THREADS_SANITIZED 1
#endif
#endif

#define N_CYCLES 200
/* No single wait of the protocol may take longer than this. */
#define WAIT_LIMIT_US (20 * G_USEC_PER_SEC)

/* The protocol uses pthread primitives, which ThreadSanitizer understands;
 * GLib's futex-based GMutex is opaque to it unless GLib is instrumented. */
typedef enum { REQ_RUN, REQ_PAUSE, REQ_CANCEL } Request;
typedef enum { DRIVE_STEPS, DRIVE_RUN } Drive;
typedef enum { STATE_STARTING, STATE_RUNNING, STATE_PAUSED, STATE_DONE } State;

/* Shared between the main thread and one worker; every field below lock is
 * read and written only with lock held. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t changed; /* signalled on every change of request, state, steps */
  Request request;        /* what the main thread wants */
  State state;            /* what the worker is doing */
  size_t steps;           /* steps completed */
  GError *error;          /* a step's failure, owned */
  Drive drive;            /* set before the worker starts */
  GCancellable *cancel;   /* DRIVE_RUN: cancelled by the main thread (thread safe) */

  /* worker-owned while running; the main thread touches them only while the
   * worker is paused or done */
  InvModel *model;
  InvTrainer *trainer;
} Worker;

static InvDataset *
digits (void)
{
  static InvDataset *ds;
  if (!ds)
    {
      g_autoptr (GError) error = NULL;
      ds = inv_dataset_digits (5, 256, 16, &error);
      g_assert_no_error (error);
    }
  return ds;
}

static void
set_state (Worker *w, State s)
{
  w->state = s;
  pthread_cond_broadcast (&w->changed);
}

/* With w->lock held: waits while a pause is requested. */
static void
wait_while_paused (Worker *w)
{
  while (w->request == REQ_PAUSE)
    {
      if (w->state != STATE_PAUSED)
        set_state (w, STATE_PAUSED);
      pthread_cond_wait (&w->changed, &w->lock);
    }
  if (w->state != STATE_RUNNING && w->request == REQ_RUN)
    set_state (w, STATE_RUNNING);
}

static void
drive_steps (Worker *w)
{
  pthread_mutex_lock (&w->lock);
  for (;;)
    {
      wait_while_paused (w);
      if (w->request == REQ_CANCEL || w->error)
        break;
      pthread_mutex_unlock (&w->lock);

      /* The step itself runs unlocked, as in the GUI. */
      InvTrainProgress progress;
      GError *error = NULL;
      gboolean ok = inv_trainer_finished (w->trainer)
                    || inv_trainer_step (w->trainer, &progress, &error);

      pthread_mutex_lock (&w->lock);
      if (!ok)
        w->error = error;
      else
        w->steps++;
      pthread_cond_broadcast (&w->changed);
    }
  pthread_mutex_unlock (&w->lock);
}

/* DRIVE_RUN's progress callback: counts the step and blocks while paused. */
static gboolean
progress_cb (const InvTrainProgress *p, gpointer data)
{
  Worker *w = data;
  pthread_mutex_lock (&w->lock);
  w->steps++;
  pthread_cond_broadcast (&w->changed);
  wait_while_paused (w);
  gboolean go_on = w->request != REQ_CANCEL;
  pthread_mutex_unlock (&w->lock);
  return go_on;
}

static void
drive_run (Worker *w)
{
  GError *error = NULL;
  gboolean ok = inv_trainer_run (w->trainer, progress_cb, w, w->cancel, &error);
  /* Cancelling is the only way this run ends. */
  g_assert_false (ok);
  pthread_mutex_lock (&w->lock);
  if (!g_error_matches (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_CANCELLED))
    w->error = error;
  else
    g_error_free (error);
  pthread_mutex_unlock (&w->lock);
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  pthread_mutex_lock (&w->lock);
  set_state (w, STATE_RUNNING);
  pthread_mutex_unlock (&w->lock);
  if (w->drive == DRIVE_STEPS)
    drive_steps (w);
  else
    drive_run (w);
  pthread_mutex_lock (&w->lock);
  set_state (w, STATE_DONE);
  pthread_mutex_unlock (&w->lock);
  return NULL;
}

/* With w->lock held: waits until done (w) holds; fails the test after
 * WAIT_LIMIT_US of the monotonic clock. */
static void
wait_for (Worker *w, gboolean (*done) (const Worker *w), const char *what)
{
  struct timespec deadline;
  clock_gettime (CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += WAIT_LIMIT_US / G_USEC_PER_SEC;
  while (!done (w))
    if (pthread_cond_timedwait (&w->changed, &w->lock, &deadline) == ETIMEDOUT && !done (w))
      g_error ("deadlock? waited %d s for %s", (int) (WAIT_LIMIT_US / G_USEC_PER_SEC), what);
}

static size_t resume_mark;   /* main thread only: steps when resumed */

static gboolean stepped (const Worker *w) { return w->steps >= 1 || w->error; }
static gboolean paused (const Worker *w) { return w->state == STATE_PAUSED || w->error; }
static gboolean resumed (const Worker *w) { return w->steps > resume_mark || w->error; }
static gboolean done (const Worker *w) { return w->state == STATE_DONE; }

static void
request (Worker *w, Request r)
{
  w->request = r;
  pthread_cond_broadcast (&w->changed);
  if (r == REQ_CANCEL && w->cancel)
    g_cancellable_cancel (w->cancel);
}

/* One GUI-like session: start, let it train, pause, look at the model,
 * check that a paused trainer does not step, resume, cancel, join. */
static void
run_cycle (const InvModel *initial, size_t cycle)
{
  Worker w = { 0 };
  pthread_condattr_t attr;
  pthread_condattr_init (&attr);
  pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
  pthread_cond_init (&w.changed, &attr);
  pthread_condattr_destroy (&attr);
  pthread_mutex_init (&w.lock, NULL);
  w.drive = cycle % 2 ? DRIVE_RUN : DRIVE_STEPS;
  if (w.drive == DRIVE_RUN)
    w.cancel = g_cancellable_new ();
  w.model = inv_model_copy (initial);
  InvTrainConfig cfg;
  inv_train_config_init (&cfg);
  cfg.epochs = 1000;      /* never finishes within a cycle */
  cfg.batch = 8;
  cfg.seed = cycle;
  cfg.lambda = cycle % 4 < 2 ? 1.0 : 0.0;
  cfg.optimizer = cycle % 3 ? INV_OPTIMIZER_ADAM : INV_OPTIMIZER_SGD;
  cfg.lr = cfg.optimizer == INV_OPTIMIZER_SGD ? 0.01 : 1e-3;
  g_autoptr (GError) error = NULL;
  w.trainer = inv_trainer_new (w.model, digits (), &cfg, &error);
  g_assert_no_error (error);

  GThread *thread = g_thread_new ("trainer", worker_main, &w);
  pthread_mutex_lock (&w.lock);
  wait_for (&w, stepped, "the first step");
  request (&w, REQ_PAUSE);
  wait_for (&w, paused, "the pause");
  g_assert_no_error (w.error);
  size_t paused_at = w.steps;
  pthread_mutex_unlock (&w.lock);

  /* Paused: the main thread may read the model, as the GUI's snapshots do. */
  g_autoptr (InvModel) snapshot = inv_model_copy (w.model);
  for (size_t i = 0; i < snapshot->n_params; i++)
    g_assert_true (isfinite (snapshot->params[i]));
  g_usleep (cycle % 10 == 0 ? 20000 : 200);

  pthread_mutex_lock (&w.lock);
  g_assert_cmpuint (w.steps, ==, paused_at);   /* a paused trainer does not step */
  g_assert_cmpint (w.state, ==, STATE_PAUSED);
  resume_mark = paused_at;
  request (&w, REQ_RUN);
  wait_for (&w, resumed, "a step after resuming");
  g_assert_no_error (w.error);
  /* Cancel, sometimes while paused, sometimes while running. */
  if (cycle % 3 == 1)
    {
      request (&w, REQ_PAUSE);
      wait_for (&w, paused, "the second pause");
    }
  request (&w, REQ_CANCEL);
  wait_for (&w, done, "the cancel");
  pthread_mutex_unlock (&w.lock);
  g_thread_join (thread);

  g_assert_no_error (w.error);
  for (size_t i = 0; i < w.model->n_params; i++)
    g_assert_true (isfinite (w.model->params[i]));
  inv_trainer_free (w.trainer);
  inv_model_free (w.model);
  g_clear_object (&w.cancel);
  pthread_mutex_destroy (&w.lock);
  pthread_cond_destroy (&w.changed);
}

/* Resident set size in KiB, from /proc/self/statm. */
static long
rss_kib (void)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/self/statm", &text, NULL, NULL))
    return -1;
  long size = 0, resident = 0;
  if (sscanf (text, "%ld %ld", &size, &resident) != 2)
    return -1;
  return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

static void
test_cycles (void)
{
  InvModelArch arch = { .n_layers = 1, .width = { 32 } };
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) initial = inv_model_new (INV_MODEL_MLP, "c4", 28, 28, 10, &arch, 1, &error);
  g_assert_no_error (error);

  /* Warm-up cycles: allocator arenas, thread stacks and BLAS buffers reach
   * their steady size before the first measurement. */
  for (size_t c = 0; c < 10; c++)
    run_cycle (initial, c);
  long before = rss_kib ();
  gint64 t0 = g_get_monotonic_time ();
  for (size_t c = 0; c < N_CYCLES; c++)
    run_cycle (initial, 10 + c);
  double seconds = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  long after = rss_kib ();
  g_test_message ("%d cycles in %.1f s; RSS %ld KiB before, %ld KiB after",
                  N_CYCLES, seconds, before, after);
  g_assert_cmpint (before, >, 0);
#ifdef THREADS_SANITIZED
  /* Sanitizer allocators hold freed memory back (quarantine, shadow), so
   * RSS is no measure there; LeakSanitizer checks for leaks instead. */
  g_test_message ("sanitized build: RSS bound not checked");
#else
  /* Each cycle allocates ~100 KiB of model, trainer and thread: a leak of
   * any of them over 200 cycles would exceed this. */
  g_assert_cmpint (after - before, <, 4 * 1024);
#endif
}

/* The same protocol with the gcnn, whose step is heavier and allocates its
 * own workspace: fewer cycles, same checks. */
static void
test_cycles_gcnn (void)
{
  InvModelArch arch = { .n_layers = 2, .width = { 2, 4 } };
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) initial = inv_model_new (INV_MODEL_GCNN, "c4", 28, 28, 10, &arch, 2, &error);
  g_assert_no_error (error);
  for (size_t c = 0; c < 20; c++)
    run_cycle (initial, c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/trainer-threads/cycles", test_cycles);
  g_test_add_func ("/trainer-threads/cycles-gcnn", test_cycles_gcnn);
  int status = g_test_run ();
  inv_dataset_free (digits ());
  return status;
}
