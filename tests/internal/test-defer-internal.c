/*
 * test-defer-internal.c: deferred callbacks (libevent/defer-internal.h),
 * which the engine's bufferevents and evbuffers build on.  The API is
 * internal, so this program links the static core library.
 *
 * The contract under test: event_deferred_cb_schedule_ answers 1 exactly
 * when it queued a run that was not queued before, so that an owner that
 * takes one reference per "1" gets exactly one run per reference.  A
 * callback rescheduled while it runs waits for the next iteration; if
 * another thread then schedules it again, it is already queued (answer
 * 0).  The first engine version answered 1 there, and socket bufferevents
 * freed from another thread leaked (found by ASAN in
 * test-bufferevent-threads).
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "defer-internal.h"

static struct event_base *base;
static struct event_callback cb;
static pthread_mutex_t owner = PTHREAD_MUTEX_INITIALIZER;
static long scheduled, runs;

static void
count_run(struct event_callback *c, void *arg)
{
	pthread_mutex_lock(&owner);
	runs++;
	pthread_mutex_unlock(&owner);
}

static void *
run_loop(void *arg)
{
	event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

Test(defer, one_run_per_successful_schedule_across_threads, .timeout = 30)
{
	pthread_t loop;

	cr_assert_eq(evthread_use_pthreads(), 0);
	base = event_base_new();
	cr_assert_not_null(base);
	event_deferred_cb_init_(&cb, 0, count_run, NULL);
	cr_assert_eq(pthread_create(&loop, NULL, run_loop, NULL), 0);
	/* Run until enough schedules succeeded rather than for a fixed count of
	 * attempts: how often the loop thread gets the lock depends on the
	 * machine (CI once saw fewer than 1000 in 300000 attempts).  The
	 * deadline keeps a stuck loop from hanging the test. */
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long i = 0; scheduled < 20000; i++) {
		/* The owner's lock is held while scheduling, as a bufferevent
		 * does, so the callback is often waiting for it while running:
		 * exactly the window of the bug. */
		pthread_mutex_lock(&owner);
		if (event_deferred_cb_schedule_(base, &cb))
			scheduled++;
		pthread_mutex_unlock(&owner);
		if ((i & 63) == 0) {
			usleep(1);
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - start.tv_sec > 10)
				break;
		}
	}
	/* Let the loop drain, then compare. */
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&owner);
		int done = runs == scheduled;
		pthread_mutex_unlock(&owner);
		if (done)
			break;
		usleep(5000);
	}
	pthread_mutex_lock(&owner);
	cr_expect_eq(runs, scheduled, "%ld successful schedules but %ld runs", scheduled, runs);
	cr_expect_gt(scheduled, 1000, "the loop never let the test schedule");
	pthread_mutex_unlock(&owner);
	event_base_loopbreak(base);
	pthread_join(loop, NULL);
	event_base_free(base);
}

Test(defer, schedule_twice_is_one_run, .timeout = 10)
{
	base = event_base_new();
	event_deferred_cb_init_(&cb, 0, count_run, NULL);
	runs = 0;
	cr_assert_eq(event_deferred_cb_schedule_(base, &cb), 1);
	cr_assert_eq(event_deferred_cb_schedule_(base, &cb), 0);
	cr_assert_geq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	cr_assert_eq(runs, 1);
	cr_assert_eq(event_deferred_cb_schedule_(base, &cb), 1);
	cr_assert_eq(event_deferred_cb_cancel_(base, &cb), 1);
	cr_assert_eq(event_deferred_cb_cancel_(base, &cb), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	cr_assert_eq(runs, 1, "a cancelled callback ran");
	event_base_free(base);
}

/* The deterministic form of the cross-thread race above: a callback that
 * rescheduled itself (queued for the next iteration) is scheduled again by
 * another callback of the same iteration.  That must answer 0: it is
 * already queued, and it runs once more, not twice. */
static struct event_callback self_cb, other_cb;
static int self_runs, answer_from_other = -1;

static void
self_resched(struct event_callback *c, void *arg)
{
	if (++self_runs == 1)
		cr_expect_eq(event_deferred_cb_schedule_(base, &self_cb), 1);
}

static void
schedule_the_other(struct event_callback *c, void *arg)
{
	answer_from_other = event_deferred_cb_schedule_(base, &self_cb);
}

Test(defer, rescheduled_then_scheduled_elsewhere_is_one_run, .timeout = 10)
{
	base = event_base_new();
	event_deferred_cb_init_(&self_cb, 0, self_resched, NULL);
	event_deferred_cb_init_(&other_cb, 0, schedule_the_other, NULL);
	cr_assert_eq(event_deferred_cb_schedule_(base, &self_cb), 1);
	cr_assert_eq(event_deferred_cb_schedule_(base, &other_cb), 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	cr_expect_eq(answer_from_other, 0, "scheduling a queued callback answered %d",
	    answer_from_other);
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_loop(base, EVLOOP_NONBLOCK);
	cr_expect_eq(self_runs, 2, "ran %d times", self_runs);
	event_base_free(base);
}
