/*
 * test-loop-order.c: the order and the loop iteration in which callbacks
 * run when one fd is reported alone.
 *
 * The epoll backend runs such a lone callback at once instead of through
 * the activation queue, when nothing else would run before it (EXP-030).
 * These tests pin what the queue does, under every backend: poll and
 * select always queue, so they hold the reference behaviour, and epoll
 * must match it.  Each test also passes on stock libevent 2.1.12.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "testutil.h"

#define MAX_RUNS 16

static char order[MAX_RUNS + 1]; /* one letter per callback run */
static int n_order;
static struct event_base *the_base;
static struct event *ev_a, *ev_timer, *ev_r0;
static int fds1[2], fds0[2];

static void
note(char c)
{
	if (n_order < MAX_RUNS)
		order[n_order++] = c;
	order[n_order] = '\0';
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	note('T');
}

static void
a_cb(evutil_socket_t fd, short what, void *arg)
{
	note('A');
}

static void
r0_cb(evutil_socket_t fd, short what, void *arg)
{
	tu_drain(fd);
	note('0');
}

/* What the first read callback does besides noting 'R'. */
enum { ADD_ZERO_TIMER, ACTIVATE_A_AND_WAKE_R0, ACTIVATE_A_AND_BREAK, ACTIVATE_TIMER_URGENT,
    NOTHING };
static int r_does;

static void
r_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval zero = { 0, 0 };

	tu_drain(fd);
	note('R');
	switch (r_does) {
	case ADD_ZERO_TIMER:
		cr_assert_eq(evtimer_add(ev_timer, &zero), 0);
		break;
	case ACTIVATE_A_AND_WAKE_R0:
		event_active(ev_a, EV_TIMEOUT, 1);
		tu_write1(fds0[1]);
		break;
	case ACTIVATE_A_AND_BREAK:
		event_active(ev_a, EV_TIMEOUT, 1);
		event_base_loopbreak(the_base);
		break;
	case ACTIVATE_TIMER_URGENT: /* the timer has priority 0 here */
		event_active(ev_timer, EV_TIMEOUT, 1);
		break;
	}
}

/* A base with two priorities; r (priority 1, non-persistent) reads
 * fds1[0], r0 (priority 0) reads fds0[0], a (priority 1) and the timer
 * (priority `timer_pri`) have no fd.  fds1 is made readable. */
static struct event *
setup_cfg(const char *method, struct event_config *cfg, int does, int timer_pri)
{
	the_base = cfg ? tu_base_new_cfg(method, cfg) : tu_base_new(method, 0);
	cr_assert_eq(event_base_priority_init(the_base, 2), 0);
	tu_socketpair(fds1);
	tu_socketpair(fds0);
	struct event *r = event_new(the_base, fds1[0], EV_READ, r_cb, NULL);
	ev_r0 = event_new(the_base, fds0[0], EV_READ | EV_PERSIST, r0_cb, NULL);
	ev_a = event_new(the_base, -1, 0, a_cb, NULL);
	ev_timer = evtimer_new(the_base, timer_cb, NULL);
	cr_assert_eq(event_priority_set(r, 1), 0);
	cr_assert_eq(event_priority_set(ev_r0, 0), 0);
	cr_assert_eq(event_priority_set(ev_a, 1), 0);
	cr_assert_eq(event_priority_set(ev_timer, timer_pri), 0);
	cr_assert_eq(event_add(r, NULL), 0);
	cr_assert_eq(event_add(ev_r0, NULL), 0);
	r_does = does;
	tu_write1(fds1[1]);
	return r;
}

static struct event *
setup(const char *method, int does, int timer_pri)
{
	return setup_cfg(method, NULL, does, timer_pri);
}

static void
teardown(struct event *r)
{
	event_free(r);
	event_free(ev_r0);
	event_free(ev_a);
	event_free(ev_timer);
	close(fds1[0]);
	close(fds1[1]);
	close(fds0[0]);
	close(fds0[1]);
	tu_base_free(the_base);
}

/* One event_base_loop call; the callbacks run so far must spell want. */
static void
loop_expect(int flags, const char *want)
{
	cr_assert_eq(event_base_loop(the_base, flags), 0);
	cr_assert_str_eq(order, want);
}

/* The queue runs the expiry pass before the callbacks: a timer that a
 * callback adds with a zero timeout runs in the next EVLOOP_ONCE call,
 * not in this one (an expiry pass after a lone callback would run it). */
TU_BACKEND_TEST(loop_order, zero_timer_added_by_io_callback_runs_next_call, .timeout = 10)
{
	struct event *r = setup(method, ADD_ZERO_TIMER, 1);
	loop_expect(EVLOOP_ONCE, "R");
	loop_expect(EVLOOP_ONCE, "RT");
	teardown(r);
}

/* An expired timer of a more urgent priority runs before the I/O
 * callback reported in the same wait. */
TU_BACKEND_TEST(loop_order, expired_urgent_timer_runs_before_io, .timeout = 10)
{
	struct event *r = setup(method, NOTHING, 0);
	struct timeval zero = { 0, 0 };
	cr_assert_eq(evtimer_add(ev_timer, &zero), 0);
	loop_expect(EVLOOP_ONCE, "TR");
	teardown(r);
}

/* A callback activated by the I/O callback at its own priority runs in
 * the same pass, before I/O that becomes ready meanwhile, even at a more
 * urgent priority; the new I/O waits for the next call. */
TU_BACKEND_TEST(loop_order, same_priority_activation_runs_in_the_same_pass, .timeout = 10)
{
	struct event *r = setup(method, ACTIVATE_A_AND_WAKE_R0, 1);
	loop_expect(EVLOOP_ONCE, "RA");
	loop_expect(EVLOOP_ONCE, "RA0");
	teardown(r);
}

/* A loopbreak in the I/O callback stops the pass: what it activated stays
 * queued for the next call. */
TU_BACKEND_TEST(loop_order, loopbreak_leaves_the_rest_queued, .timeout = 10)
{
	struct event *r = setup(method, ACTIVATE_A_AND_BREAK, 1);
	cr_assert_eq(event_base_dispatch(the_base), 0);
	cr_assert(event_base_got_break(the_base));
	cr_assert_str_eq(order, "R");
	cr_assert(event_pending(ev_a, EV_TIMEOUT, NULL), "a is no longer queued");
	loop_expect(EVLOOP_NONBLOCK, "RA");
	teardown(r);
}

/* The I/O callback was an active event for a moment; the running event
 * is itself while it runs. */
static struct event *running_seen;
static void
self_cb(evutil_socket_t fd, short what, void *arg)
{
	tu_drain(fd);
	running_seen = event_base_get_running_event(the_base);
	note('S');
}

TU_BACKEND_TEST(loop_order, lone_io_callback_counts_as_active, .timeout = 10)
{
	int p[2];
	the_base = tu_base_new(method, 0);
	tu_socketpair(p);
	struct event *s = event_new(the_base, p[0], EV_READ | EV_PERSIST, self_cb, NULL);
	cr_assert_eq(event_add(s, NULL), 0);
	tu_write1(p[1]);
	loop_expect(EVLOOP_ONCE, "S");
	cr_assert_eq(running_seen, s);
	cr_assert_eq(event_base_get_max_events(the_base, EVENT_BASE_COUNT_ACTIVE, 0), 1);
	cr_assert_eq(event_base_get_num_events(the_base, EVENT_BASE_COUNT_ACTIVE), 0);
	event_free(s);
	close(p[0]);
	close(p[1]);
	tu_base_free(the_base);
}

/* A callback activated by the I/O callback at a more urgent priority runs
 * in the same EVLOOP_ONCE call: the call returns only when nothing is
 * left queued. */
TU_BACKEND_TEST(loop_order, urgent_activation_runs_in_the_same_once_call, .timeout = 10)
{
	struct event *r = setup(method, ACTIVATE_TIMER_URGENT, 0);
	loop_expect(EVLOOP_ONCE, "RT");
	teardown(r);
}

/* The base's own wakeup fd (evthread_make_base_notifiable) is an internal
 * event: when it alone wakes the loop, EVLOOP_ONCE has run nothing of the
 * user's yet and must go on waiting for a user callback. */
static void *
write_fds1_later(void *arg)
{
	usleep(100 * 1000);
	tu_write1(fds1[1]);
	return NULL;
}

TU_BACKEND_TEST(loop_order, internal_wakeup_alone_does_not_end_once, .timeout = 10)
{
	pthread_t writer;
	struct event *r = setup(method, NOTHING, 1);
	tu_drain(fds1[0]); /* r becomes ready only when the thread writes */
	/* The base's eventfd is the one that appears now (the test runner
	 * may have eventfds of its own). */
	char before[1024];
	for (int fd = 0; fd < 1024; fd++)
		before[fd] = (char)tu_fd_is(fd, "eventfd");
	cr_assert_eq(evthread_make_base_notifiable(the_base), 0);
	int efd = -1;
	for (int fd = 0; fd < 1024 && efd < 0; fd++)
		if (!before[fd] && tu_fd_is(fd, "eventfd"))
			efd = fd;
	cr_assert_geq(efd, 0, "no new eventfd after evthread_make_base_notifiable");
	uint64_t one = 1;
	cr_assert_eq(write(efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	cr_assert_eq(pthread_create(&writer, NULL, write_fds1_later, NULL), 0);
	loop_expect(EVLOOP_ONCE, "R");
	pthread_join(writer, NULL);
	teardown(r);
}

/* Under a dispatch limit (one callback, or no time, before the loop looks
 * for new events again), the I/O callback's activation waits behind the
 * newly ready I/O of a more urgent priority: all three run in one
 * EVLOOP_ONCE call, in that order.  Without the limit it would be "RA". */
static struct event *
setup_limited(const char *method, const struct timeval *interval, int max_callbacks)
{
	struct event_config *cfg = event_config_new();
	cr_assert_eq(event_config_set_max_dispatch_interval(cfg, interval, max_callbacks, 0), 0);
	struct event *r = setup_cfg(method, cfg, ACTIVATE_A_AND_WAKE_R0, 1);
	event_config_free(cfg);
	return r;
}

TU_BACKEND_TEST(loop_order, callback_limit_lets_new_io_in_between, .timeout = 10)
{
	struct event *r = setup_limited(method, NULL, 1);
	loop_expect(EVLOOP_ONCE, "R0A");
	teardown(r);
}

TU_BACKEND_TEST(loop_order, time_limit_lets_new_io_in_between, .timeout = 10)
{
	struct timeval none = { 0, 0 };
	struct event *r = setup_limited(method, &none, -1);
	loop_expect(EVLOOP_ONCE, "R0A");
	teardown(r);
}
