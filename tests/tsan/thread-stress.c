/*
 * thread-stress.c: a plain program (no Criterion) that drives one event
 * base from several threads, for the ThreadSanitizer step of
 * scripts/verify-correctness.sh --full.
 *
 * Why not Criterion: Criterion 2.4 cannot start under TSAN on this
 * machine (its BoxFort runner maps a shared arena at an address that
 * lies in TSAN's shadow region: "Could not initialize inheritable
 * arena").  So the TSAN step runs this program, which exits 0 when the
 * run completed with consistent counts and 1 otherwise; TSAN itself
 * fails the process on a data race (halt_on_error).
 *
 * What runs: the main thread dispatches the base; once the loop runs, a
 * callback starts the workers (a loopbreak issued before the loop starts
 * would be forgotten when it starts).  Each worker, a fixed number of
 * times, adds and deletes its own timer event on the base and activates
 * a shared user event.  The last worker to finish breaks the loop; one
 * non-blocking pass then runs what was still active.  A watchdog alarm
 * turns a deadlock into a failure.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#define WORKERS 2
#define ROUNDS 2000

static struct event_base *base;
static struct event *shared_ev;
static atomic_long fired;         /* shared_ev callbacks run */
static atomic_int workers_left = WORKERS;

static void
on_shared(evutil_socket_t fd, short what, void *arg)
{
	atomic_fetch_add(&fired, 1);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	/* 60 s timers are deleted long before they could fire. */
	fprintf(stderr, "thread-stress: a 60 s timer fired\n");
	exit(1);
}

static void *
worker(void *arg)
{
	struct timeval tv = { 60, 0 };
	struct event *own = event_new(base, -1, 0, on_timer, NULL);
	long failures = 0;

	if (!own)
		return (void *)1;
	for (int i = 0; i < ROUNDS; i++) {
		failures += event_add(own, &tv) != 0;
		event_active(shared_ev, EV_READ, 1);
		failures += event_del(own) != 0;
	}
	event_free(own);
	if (atomic_fetch_sub(&workers_left, 1) == 1)
		event_base_loopbreak(base);
	return (void *)failures;
}

static pthread_t th[WORKERS];
static int started;

/* Runs inside the loop: only now may the workers start. */
static void
on_start(evutil_socket_t fd, short what, void *arg)
{
	for (int i = 0; i < WORKERS; i++) {
		if (pthread_create(&th[i], NULL, worker, NULL) != 0) {
			fprintf(stderr, "thread-stress: pthread_create failed\n");
			exit(1);
		}
		started++;
	}
}

/* Keeps the loop alive (it has no fd events) until loopbreak. */
static void
on_keepalive(evutil_socket_t fd, short what, void *arg)
{
}

int
main(void)
{
	struct timeval second = { 1, 0 };
	struct event *keepalive;
	long bad = 0;

	alarm(60);   /* a deadlock is a failure, not a hang */
	if (evthread_use_pthreads() != 0 || !(base = event_base_new())) {
		fprintf(stderr, "thread-stress: no threaded base\n");
		return 1;
	}
	shared_ev = event_new(base, -1, EV_PERSIST, on_shared, NULL);
	keepalive = event_new(base, -1, EV_PERSIST, on_keepalive, NULL);
	if (!shared_ev || !keepalive || event_add(keepalive, &second) != 0 ||
	    event_base_once(base, -1, EV_TIMEOUT, on_start, NULL, NULL) != 0) {
		fprintf(stderr, "thread-stress: setup failed\n");
		return 1;
	}
	if (event_base_dispatch(base) == -1 || started != WORKERS) {
		fprintf(stderr, "thread-stress: dispatch failed\n");
		return 1;
	}
	/* The break may have come before the last activation ran. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	for (int i = 0; i < WORKERS; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		bad += (long)ret;
	}
	/* Activations of an already-active event coalesce, so the callback
	 * ran between once and once per activation. */
	long n = atomic_load(&fired);
	if (n < 1 || n > (long)WORKERS * ROUNDS) {
		fprintf(stderr, "thread-stress: %ld callbacks for %d activations\n",
		    n, WORKERS * ROUNDS);
		bad++;
	}
	event_free(shared_ev);
	event_free(keepalive);
	event_base_free(base);
	printf("thread-stress: %d workers x %d rounds, %ld callbacks, %s\n",
	    WORKERS, ROUNDS, n, bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}
