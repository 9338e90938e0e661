/*
 * test-event.c: the event core seen through the public API: one-shot and
 * persistent events, activation, pending state, deletion and re-adding
 * from callbacks, event_base_once, priorities, the loop's exit controls
 * and flags, accessors, finalizers, introspection, the time cache, the
 * dispatch limits, configuration and the 1.x compatibility API.
 *
 * Every test that needs a base runs once per backend (epoll, poll,
 * select); see TU_BACKEND_TEST in support/testutil.h.
 *
 * Timing bounds allow a timer to fire a few milliseconds early: stock
 * libevent reads CLOCK_MONOTONIC_COARSE (one jiffy of resolution) unless
 * EVENT_BASE_FLAG_PRECISE_TIMER is set.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>

#include "testutil.h"

/* ---- recording callbacks ---------------------------------------------- */

/* What the last callback saw, and how often callbacks ran. */
static int n_calls;
static short last_what;
static evutil_socket_t last_fd;
static void *last_arg;

/* Order of callbacks by id, for priority and loop-control tests. */
static int order[64];
static int n_order;

static void
note(int id)
{
	if (n_order < (int)(sizeof(order) / sizeof(order[0])))
		order[n_order++] = id;
}

static void
record_cb(evutil_socket_t fd, short what, void *arg)
{
	n_calls++;
	last_what = what;
	last_fd = fd;
	last_arg = arg;
}

static void
assert_order(const int *want, int n)
{
	int i;

	cr_assert_eq(n_order, n, "expected %d callbacks, got %d", n, n_order);
	for (i = 0; i < n; i++)
		cr_assert_eq(order[i], want[i],
		    "callback %d: expected id %d, got id %d", i, want[i], order[i]);
}

/* ---- one-shot and persistent events ------------------------------------ */

TU_BACKEND_TEST(event, oneshot_read, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	int fds[2], arg;
	struct event *ev;

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ, record_cb, &arg);
	cr_assert_not_null(ev);
	cr_assert_eq(event_add(ev, NULL), 0);
	tu_write1(fds[1]);
	/* Nothing remains after the one-shot fires: the loop reports empty. */
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_what, EV_READ);
	cr_assert_eq(last_fd, fds[0]);
	cr_assert_eq(last_arg, &arg);
	cr_assert_eq(event_pending(ev, EV_READ, NULL), 0);
	event_free(ev);
	tu_base_free(base);
}

static void
persist_read_cb(evutil_socket_t fd, short what, void *arg)
{
	char c;

	cr_assert_eq(what, EV_READ);
	cr_assert_eq(read(fd, &c, 1), 1);
	if (++n_calls == 5)
		event_del(arg);
}

TU_BACKEND_TEST(event, persist_read, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev;
	int fds[2];

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ | EV_PERSIST, persist_read_cb,
	    event_self_cbarg());
	cr_assert_eq(write(fds[1], "abcdefgh", 8), 8);
	cr_assert_eq(event_add(ev, NULL), 0);
	/* Level-triggered: one byte per callback until the fifth deletes it. */
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 5);
	cr_assert_eq(event_pending(ev, EV_READ, NULL), 0);
	cr_assert_eq(tu_drain(fds[0]), 3);
	event_free(ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, persist_stays_pending, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev;
	int fds[2];

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ | EV_PERSIST, record_cb, NULL);
	cr_assert_eq(event_add(ev, NULL), 0);
	tu_write1(fds[1]);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(event_pending(ev, EV_READ, NULL), EV_READ);
	tu_drain(fds[0]);
	tu_write1(fds[1]);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(n_calls, 2);
	event_free(ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, oneshot_write, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev;
	int fds[2];

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_WRITE, record_cb, NULL);
	cr_assert_eq(event_add(ev, NULL), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_what, EV_WRITE);
	event_free(ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, read_and_write_one_event, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev;
	int fds[2];

	tu_socketpair(fds);
	tu_write1(fds[1]);
	ev = event_new(base, fds[0], EV_READ | EV_WRITE, record_cb, NULL);
	cr_assert_eq(event_add(ev, NULL), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_what, EV_READ | EV_WRITE);
	event_free(ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, timeout_without_activity, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(50);
	struct event *ev;
	double t0;
	int fds[2];

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ, record_cb, NULL);
	t0 = tu_now_ms();
	cr_assert_eq(event_add(ev, &tv), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_what, EV_TIMEOUT);
	cr_assert_geq(tu_now_ms() - t0, 42.0);
	cr_assert_eq(event_pending(ev, EV_READ | EV_TIMEOUT, NULL), 0);
	event_free(ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, activity_beats_timeout, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(3000);
	struct event *ev;
	double t0;
	int fds[2];

	tu_socketpair(fds);
	tu_write1(fds[1]);
	ev = event_new(base, fds[0], EV_READ, record_cb, NULL);
	t0 = tu_now_ms();
	cr_assert_eq(event_add(ev, &tv), 0);
	/* Returns 1 at once: the fired one-shot took its timeout with it. */
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_lt(tu_now_ms() - t0, 1000.0);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_what, EV_READ);
	cr_assert_eq(event_pending(ev, EV_READ | EV_TIMEOUT, NULL), 0);
	event_free(ev);
	tu_base_free(base);
}

/* ---- activation --------------------------------------------------------- */

TU_BACKEND_TEST(event, active_runs_unadded_event, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev = event_new(base, -1, 0, record_cb, NULL);

	event_active(ev, EV_WRITE, 0);
	/* An active event shows its activation flags as pending. */
	cr_assert_eq(event_pending(ev, EV_WRITE, NULL), EV_WRITE);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_what, EV_WRITE);
	cr_assert_eq(event_pending(ev, EV_WRITE, NULL), 0);
	event_free(ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, active_twice_merges, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev = event_new(base, -1, 0, record_cb, NULL);

	event_active(ev, EV_READ, 0);
	event_active(ev, EV_WRITE, 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_what, EV_READ | EV_WRITE);
	event_free(ev);
	tu_base_free(base);
}

/* The inline activation of a ready fd (EXP-015) must see an event that
 * event_active() queued already: one run, reporting both causes.  Without
 * that guard the event is queued twice and the queue is corrupted. */
TU_BACKEND_TEST(event, io_ready_merges_with_manual_activation, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	int fds[2];

	tu_socketpair(fds);
	struct event *ev = event_new(base, fds[0], EV_READ | EV_PERSIST, record_cb, NULL);
	cr_assert_eq(event_add(ev, NULL), 0);
	cr_assert_eq(write(fds[1], "x", 1), 1);
	event_active(ev, EV_WRITE, 1);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(n_calls, 1, "ran %d times", n_calls);
	cr_assert_eq(last_what, EV_READ | EV_WRITE);
	event_free(ev);
	close(fds[0]);
	close(fds[1]);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, active_on_added_events, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *once, *persist;
	int fds[2];

	tu_socketpair(fds);
	once = event_new(base, fds[0], EV_READ, record_cb, NULL);
	persist = event_new(base, fds[0], EV_READ | EV_PERSIST, record_cb, NULL);
	cr_assert_eq(event_add(once, NULL), 0);
	cr_assert_eq(event_add(persist, NULL), 0);
	event_active(once, EV_READ, 0);
	event_active(persist, EV_READ, 0);
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	cr_assert_eq(n_calls, 2);
	/* Activation consumes a one-shot; a persistent event stays added. */
	cr_assert_eq(event_pending(once, EV_READ, NULL), 0);
	cr_assert_eq(event_pending(persist, EV_READ, NULL), EV_READ);
	event_free(once);
	event_free(persist);
	tu_base_free(base);
}

/* ---- pending state ------------------------------------------------------ */

TU_BACKEND_TEST(event, pending_with_timeout, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(2000), before, out = { 0, 0 };
	struct event *ev;
	double d;
	int fds[2];

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ, record_cb, NULL);
	cr_assert_eq(event_pending(ev, EV_READ | EV_WRITE | EV_TIMEOUT, NULL), 0);
	gettimeofday(&before, NULL);
	cr_assert_eq(event_add(ev, &tv), 0);
	cr_assert_eq(event_pending(ev, EV_READ, NULL), EV_READ);
	cr_assert_eq(event_pending(ev, EV_WRITE, NULL), 0);
	cr_assert_eq(event_pending(ev, EV_READ | EV_TIMEOUT, NULL),
	    EV_READ | EV_TIMEOUT);
	cr_assert_eq(event_pending(ev, EV_TIMEOUT, &out), EV_TIMEOUT);
	/* The reported expiry is wall-clock time, about now + 2 s. */
	d = tu_tv_diff_ms(&out, &before);
	cr_assert(d >= 1980 && d <= 2300, "expiry is %.1f ms after add", d);
	cr_assert_eq(event_del(ev), 0);
	cr_assert_eq(event_pending(ev, EV_READ | EV_TIMEOUT, NULL), 0);
	event_free(ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, pending_pure_timer, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(500), before, out;
	struct event *ev = evtimer_new(base, record_cb, NULL);
	double d;

	cr_assert_eq(evtimer_pending(ev, NULL), 0);
	gettimeofday(&before, NULL);
	cr_assert_eq(evtimer_add(ev, &tv), 0);
	cr_assert_eq(evtimer_pending(ev, &out), EV_TIMEOUT);
	d = tu_tv_diff_ms(&out, &before);
	cr_assert(d >= 480 && d <= 800, "expiry is %.1f ms after add", d);
	cr_assert_eq(event_pending(ev, EV_READ | EV_WRITE | EV_SIGNAL, NULL), 0);
	cr_assert_eq(evtimer_del(ev), 0);
	cr_assert_eq(evtimer_pending(ev, NULL), 0);
	event_free(ev);
	tu_base_free(base);
}

/* ---- deleting and re-adding from callbacks ----------------------------- */

static void
del_self_cb(evutil_socket_t fd, short what, void *arg)
{
	n_calls++;
	cr_assert_eq(event_del(arg), 0);
	cr_assert_eq(event_pending(arg, EV_READ, NULL), 0);
}

TU_BACKEND_TEST(event, del_running_event_in_callback, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev;
	int fds[2];

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ | EV_PERSIST, del_self_cb,
	    event_self_cbarg());
	cr_assert_eq(write(fds[1], "abc", 3), 3);
	cr_assert_eq(event_add(ev, NULL), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	event_free(ev);
	tu_base_free(base);
}

static void
free_self_cb(evutil_socket_t fd, short what, void *arg)
{
	n_calls++;
	event_free(arg);
}

TU_BACKEND_TEST(event, free_running_event_in_callback, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev;
	int fds[2];

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ | EV_PERSIST, free_self_cb,
	    event_self_cbarg());
	cr_assert_eq(write(fds[1], "abc", 3), 3);
	cr_assert_eq(event_add(ev, NULL), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	tu_base_free(base);
}

static struct event *pair_ev[2];

static void
del_other_cb(evutil_socket_t fd, short what, void *arg)
{
	int me = (int)(intptr_t)arg;

	n_calls++;
	note(me);
	cr_assert_eq(event_del(pair_ev[1 - me]), 0);
	cr_assert_eq(event_del(pair_ev[me]), 0);
}

TU_BACKEND_TEST(event, del_other_active_event_in_callback, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	int a[2], b[2];

	tu_socketpair(a);
	tu_socketpair(b);
	pair_ev[0] = event_new(base, a[0], EV_READ | EV_PERSIST, del_other_cb,
	    (void *)(intptr_t)0);
	pair_ev[1] = event_new(base, b[0], EV_READ | EV_PERSIST, del_other_cb,
	    (void *)(intptr_t)1);
	cr_assert_eq(event_add(pair_ev[0], NULL), 0);
	cr_assert_eq(event_add(pair_ev[1], NULL), 0);
	/* Both become ready in the same poll; whichever runs first deletes
	 * the other while it waits in the active queue. */
	tu_write1(a[1]);
	tu_write1(b[1]);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	event_free(pair_ev[0]);
	event_free(pair_ev[1]);
	tu_base_free(base);
}

static void
del_other_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	n_calls++;
	cr_assert_eq(event_pending(arg, EV_TIMEOUT, NULL), EV_TIMEOUT);
	cr_assert_eq(event_del(arg), 0);
}

TU_BACKEND_TEST(event, del_other_pending_timer_in_callback, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t10 = tu_tv_ms(10), t200 = tu_tv_ms(200);
	struct event *victim = evtimer_new(base, record_cb, NULL);
	struct event *killer = evtimer_new(base, del_other_timer_cb, victim);
	double t0 = tu_now_ms();

	cr_assert_eq(evtimer_add(victim, &t200), 0);
	cr_assert_eq(evtimer_add(killer, &t10), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	/* The loop ran out of events well before the victim's deadline. */
	cr_assert_lt(tu_now_ms() - t0, 150.0);
	cr_assert_eq(n_calls, 1);
	cr_assert_null(last_arg);
	event_free(victim);
	event_free(killer);
	tu_base_free(base);
}

static void
readd_read_cb(evutil_socket_t fd, short what, void *arg)
{
	char c;

	cr_assert_eq(read(fd, &c, 1), 1);
	if (++n_calls < 3)
		cr_assert_eq(event_add(arg, NULL), 0);
}

TU_BACKEND_TEST(event, readd_oneshot_in_callback, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev;
	int fds[2];

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ, readd_read_cb, event_self_cbarg());
	cr_assert_eq(write(fds[1], "abcd", 4), 4);
	cr_assert_eq(event_add(ev, NULL), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 3);
	cr_assert_eq(event_pending(ev, EV_READ, NULL), 0);
	cr_assert_eq(tu_drain(fds[0]), 1);
	event_free(ev);
	tu_base_free(base);
}

static void
readd_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = tu_tv_ms(2);

	cr_assert_eq(what, EV_TIMEOUT);
	if (++n_calls < 5)
		cr_assert_eq(event_add(arg, &tv), 0);
}

TU_BACKEND_TEST(event, readd_timer_in_callback, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev = evtimer_new(base, readd_timer_cb, event_self_cbarg());
	struct timeval tv = tu_tv_ms(2);

	cr_assert_eq(evtimer_add(ev, &tv), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 5);
	event_free(ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, free_pending_event, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(20);
	struct event *ev, *t;
	int fds[2];

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ | EV_PERSIST, record_cb, NULL);
	t = evtimer_new(base, record_cb, NULL);
	cr_assert_eq(event_add(ev, NULL), 0);
	cr_assert_eq(evtimer_add(t, &tv), 0);
	event_free(ev);
	event_free(t);
	tu_write1(fds[1]);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 0);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, del_unadded_event_is_harmless, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev = evtimer_new(base, record_cb, NULL);

	cr_assert_eq(event_del(ev), 0);
	cr_assert_eq(event_del(ev), 0);
	event_free(ev);
	tu_base_free(base);
}

/* ---- event_base_once ----------------------------------------------------- */

TU_BACKEND_TEST(event, base_once_timer, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(10);
	int arg;

	cr_assert_eq(event_base_once(base, -1, EV_TIMEOUT, record_cb, &arg, &tv), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_what, EV_TIMEOUT);
	cr_assert_eq(last_arg, &arg);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, base_once_timer_null_tv_is_immediate, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);

	cr_assert_eq(event_base_once(base, -1, EV_TIMEOUT, record_cb, NULL, NULL), 0);
	cr_assert_geq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_what, EV_TIMEOUT);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, base_once_fd, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(30);
	int fds[2], other[2];

	tu_socketpair(fds);
	tu_socketpair(other);
	tu_write1(fds[1]);
	cr_assert_eq(event_base_once(base, fds[0], EV_READ, record_cb, NULL, NULL), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_what, EV_READ);
	cr_assert_eq(last_fd, fds[0]);
	/* Same with a timeout that wins. */
	cr_assert_eq(event_base_once(base, other[0], EV_READ, record_cb, NULL, &tv), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 2);
	cr_assert_eq(last_what, EV_TIMEOUT);
	cr_assert_eq(last_fd, other[0]);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, base_once_unfired_freed_with_base, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(60000);
	int fds[2];

	tu_socketpair(fds);
	cr_assert_eq(event_base_once(base, -1, EV_TIMEOUT, record_cb, NULL, &tv), 0);
	cr_assert_eq(event_base_once(base, fds[0], EV_READ, record_cb, NULL, NULL), 0);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 2);
	tu_base_free(base);
	cr_assert_eq(n_calls, 0);
}

/* ---- priorities ---------------------------------------------------------- */

static void
note_cb(evutil_socket_t fd, short what, void *arg)
{
	note((int)(intptr_t)arg);
}

TU_BACKEND_TEST(event, priority_order, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	static const int prios[] = { 2, 0, 1, 2, 0 };
	static const int want[] = { 0, 0, 1, 2, 2 };
	struct event *ev[5];
	int i;

	cr_assert_eq(event_base_priority_init(base, 3), 0);
	cr_assert_eq(event_base_get_npriorities(base), 3);
	for (i = 0; i < 5; i++) {
		ev[i] = evtimer_new(base, note_cb, (void *)(intptr_t)prios[i]);
		cr_assert_eq(event_priority_set(ev[i], prios[i]), 0);
		cr_assert_eq(event_get_priority(ev[i]), prios[i]);
		event_active(ev[i], EV_TIMEOUT, 0);
	}
	cr_assert_eq(event_base_dispatch(base), 1);
	assert_order(want, 5);
	for (i = 0; i < 5; i++)
		event_free(ev[i]);
	tu_base_free(base);
}

static struct event *urgent_ev;

static void
urgent_cb(evutil_socket_t fd, short what, void *arg)
{
	note(0);
	/* Keep the urgent queue busy a few times over. */
	if (n_order < 4)
		event_active(urgent_ev, EV_TIMEOUT, 0);
}

TU_BACKEND_TEST(event, priority_high_runs_before_low, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	static const int want[] = { 0, 0, 0, 0, 1 };
	struct event *low;

	cr_assert_eq(event_base_priority_init(base, 2), 0);
	urgent_ev = evtimer_new(base, urgent_cb, NULL);
	low = evtimer_new(base, note_cb, (void *)(intptr_t)1);
	cr_assert_eq(event_priority_set(urgent_ev, 0), 0);
	cr_assert_eq(event_priority_set(low, 1), 0);
	event_active(low, EV_TIMEOUT, 0);
	event_active(urgent_ev, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	assert_order(want, 5);
	event_free(urgent_ev);
	event_free(low);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, default_priority_is_middle, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev;
	struct event stack_ev;

	cr_assert_eq(event_base_get_npriorities(base), 1);
	ev = evtimer_new(base, record_cb, NULL);
	cr_assert_eq(event_get_priority(ev), 0);
	event_free(ev);

	cr_assert_eq(event_base_priority_init(base, 5), 0);
	ev = evtimer_new(base, record_cb, NULL);
	cr_assert_eq(event_get_priority(ev), 2);
	cr_assert_eq(event_assign(&stack_ev, base, -1, 0, record_cb, NULL), 0);
	cr_assert_eq(event_get_priority(&stack_ev), 2);
	event_free(ev);

	cr_assert_eq(event_base_priority_init(base, 4), 0);
	ev = evtimer_new(base, record_cb, NULL);
	cr_assert_eq(event_get_priority(ev), 2);
	cr_assert_eq(event_priority_set(ev, 3), 0);
	cr_assert_eq(event_get_priority(ev), 3);
	event_free(ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, priority_fd_events, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	static const int want[] = { 0, 1, 2 };
	struct event *ev[3];
	int fds[3][2], i;

	cr_assert_eq(event_base_priority_init(base, 3), 0);
	/* Registered low priority first so that order cannot come from
	 * registration or fd order. */
	for (i = 0; i < 3; i++) {
		tu_socketpair(fds[i]);
		ev[i] = event_new(base, fds[i][0], EV_READ, note_cb,
		    (void *)(intptr_t)(2 - i));
		cr_assert_eq(event_priority_set(ev[i], 2 - i), 0);
		cr_assert_eq(event_add(ev[i], NULL), 0);
		tu_write1(fds[i][1]);
	}
	cr_assert_eq(event_base_dispatch(base), 1);
	assert_order(want, 3);
	for (i = 0; i < 3; i++)
		event_free(ev[i]);
	tu_base_free(base);
}

/* ---- loop control -------------------------------------------------------- */

static struct event_base *cur_base;

static void
exit_now_cb(evutil_socket_t fd, short what, void *arg)
{
	note((int)(intptr_t)arg);
	if ((int)(intptr_t)arg == 1)
		cr_assert_eq(event_base_loopexit(cur_base, NULL), 0);
}

TU_BACKEND_TEST(event, loopexit_finishes_active_round, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tick = tu_tv_ms(10);
	static const int want[] = { 1, 2 };
	struct event *a, *b, *keep;

	cur_base = base;
	a = evtimer_new(base, exit_now_cb, (void *)(intptr_t)1);
	b = evtimer_new(base, exit_now_cb, (void *)(intptr_t)2);
	keep = event_new(base, -1, EV_PERSIST, record_cb, NULL);
	cr_assert_eq(event_add(keep, &tick), 0);
	event_active(a, EV_TIMEOUT, 0);
	event_active(b, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_dispatch(base), 0);
	assert_order(want, 2);
	cr_assert_eq(n_calls, 0, "the 10 ms timer must not have run");
	cr_assert(event_base_got_exit(base));
	cr_assert_not(event_base_got_break(base));
	/* Entering the loop again clears the flag. */
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	cr_assert_not(event_base_got_exit(base));
	event_free(a);
	event_free(b);
	event_free(keep);
	tu_base_free(base);
}

static void
count_cb(evutil_socket_t fd, short what, void *arg)
{
	n_calls++;
}

TU_BACKEND_TEST(event, loopexit_with_timeval, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tick = tu_tv_ms(10), stop = tu_tv_ms(100);
	struct event *keep = event_new(base, -1, EV_PERSIST, count_cb, NULL);
	double t0, dt;

	cr_assert_eq(event_add(keep, &tick), 0);
	t0 = tu_now_ms();
	cr_assert_eq(event_base_loopexit(base, &stop), 0);
	cr_assert_eq(event_base_dispatch(base), 0);
	dt = tu_now_ms() - t0;
	cr_assert(dt >= 90 && dt < 600, "loop ran %.1f ms", dt);
	cr_assert(n_calls >= 4 && n_calls <= 11, "ticks: %d", n_calls);
	cr_assert(event_base_got_exit(base));
	cr_assert_eq(event_pending(keep, EV_TIMEOUT, NULL), EV_TIMEOUT);
	event_free(keep);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, loopexit_before_dispatch, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tick = tu_tv_ms(200);
	struct event *keep = event_new(base, -1, EV_PERSIST, count_cb, NULL);
	double t0;

	cr_assert_eq(event_add(keep, &tick), 0);
	cr_assert_eq(event_base_loopexit(base, NULL), 0);
	t0 = tu_now_ms();
	cr_assert_eq(event_base_dispatch(base), 0);
	cr_assert_lt(tu_now_ms() - t0, 150.0);
	cr_assert_eq(n_calls, 0);
	cr_assert(event_base_got_exit(base));
	event_free(keep);
	tu_base_free(base);
}

static void
break_cb(evutil_socket_t fd, short what, void *arg)
{
	note((int)(intptr_t)arg);
	if ((int)(intptr_t)arg == 1)
		cr_assert_eq(event_base_loopbreak(cur_base), 0);
}

TU_BACKEND_TEST(event, loopbreak_stops_after_callback, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	static const int want1[] = { 1 }, want2[] = { 1, 2 };
	struct event *a, *b;

	cur_base = base;
	a = evtimer_new(base, break_cb, (void *)(intptr_t)1);
	b = evtimer_new(base, break_cb, (void *)(intptr_t)2);
	event_active(a, EV_TIMEOUT, 0);
	event_active(b, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_dispatch(base), 0);
	assert_order(want1, 1);
	cr_assert(event_base_got_break(base));
	cr_assert_not(event_base_got_exit(base));
	/* b is still active and runs in the next loop. */
	cr_assert_eq(event_base_dispatch(base), 1);
	assert_order(want2, 2);
	cr_assert_not(event_base_got_break(base));
	event_free(a);
	event_free(b);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, loopbreak_outside_loop_is_reset_on_entry, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(10);
	struct event *t = evtimer_new(base, record_cb, NULL);

	cr_assert_eq(event_base_loopbreak(base), 0);
	cr_assert(event_base_got_break(base));
	cr_assert_eq(evtimer_add(t, &tv), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	cr_assert_not(event_base_got_break(base));
	event_free(t);
	tu_base_free(base);
}

/*
 * Loop-rescan cases.  Events 1 and 2 (priority 1) are active; event 3 is
 * a priority-0 read event on a socketpair.  Event 1's callback makes 3's
 * fd readable.  Unless the loop rescans after event 1, it finishes the
 * priority-1 queue (2) before polling again and finding 3.
 */
static struct event *urgent_late;
static int urgent_fds[2];
static int use_continue, dispatch_sleep_ms;

static void
late_cb(evutil_socket_t fd, short what, void *arg)
{
	int id = (int)(intptr_t)arg;

	note(id);
	if (id == 3) {
		tu_drain(fd);
	} else if (id == 1) {
		tu_write1(urgent_fds[1]);
		if (use_continue)
			cr_assert_eq(event_base_loopcontinue(cur_base), 0);
		if (dispatch_sleep_ms)
			tu_sleep_ms(dispatch_sleep_ms);
	}
}

static void
run_late_case(const char *method, struct event_config *cfg, const int *want)
{
	struct event_base *base = cfg ? tu_base_new_cfg(method, cfg) :
	    tu_base_new(method, 0);
	struct event *a, *b;

	cur_base = base;
	n_order = 0;
	cr_assert_eq(event_base_priority_init(base, 3), 0);
	tu_socketpair(urgent_fds);
	urgent_late = event_new(base, urgent_fds[0], EV_READ, late_cb,
	    (void *)(intptr_t)3);
	a = evtimer_new(base, late_cb, (void *)(intptr_t)1);
	b = evtimer_new(base, late_cb, (void *)(intptr_t)2);
	event_priority_set(urgent_late, 0);
	event_priority_set(a, 1);
	event_priority_set(b, 1);
	cr_assert_eq(event_add(urgent_late, NULL), 0);
	event_active(a, EV_TIMEOUT, 0);
	event_active(b, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	assert_order(want, 3);
	event_free(a);
	event_free(b);
	event_free(urgent_late);
	close(urgent_fds[0]);
	close(urgent_fds[1]);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, without_loopcontinue_queue_finishes, .timeout = 10)
{
	static const int want[] = { 1, 2, 3 };

	run_late_case(method, NULL, want);
}

TU_BACKEND_TEST(event, loopcontinue_rescans_after_callback, .timeout = 10)
{
	static const int want[] = { 1, 3, 2 };

	use_continue = 1;
	run_late_case(method, NULL, want);
}

static void
preempt_cb(evutil_socket_t fd, short what, void *arg)
{
	int id = (int)(intptr_t)arg;

	note(id);
	if (id == 1)
		event_active(urgent_late, EV_TIMEOUT, 0);
}

/*
 * Activating a more urgent event from a callback makes the loop go back
 * to the urgent queue after that callback, before the rest of the
 * current queue (stock 2.1.12 behaves so; programs may rely on it).
 */
TU_BACKEND_TEST(event, urgent_activation_preempts_queue, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	static const int want[] = { 1, 3, 2 };
	struct event *a, *b;

	cr_assert_eq(event_base_priority_init(base, 2), 0);
	a = evtimer_new(base, preempt_cb, (void *)(intptr_t)1);
	b = evtimer_new(base, preempt_cb, (void *)(intptr_t)2);
	urgent_late = evtimer_new(base, preempt_cb, (void *)(intptr_t)3);
	event_priority_set(a, 1);
	event_priority_set(b, 1);
	event_priority_set(urgent_late, 0);
	event_active(a, EV_TIMEOUT, 0);
	event_active(b, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	assert_order(want, 3);
	event_free(a);
	event_free(b);
	event_free(urgent_late);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, loopcontinue_outside_loop_no_effect, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);

	cr_assert_eq(event_base_loopcontinue(base), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, loop_once_waits_for_first, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t20 = tu_tv_ms(20), t5s = tu_tv_ms(5000);
	struct event *a = evtimer_new(base, note_cb, (void *)(intptr_t)1);
	struct event *b = evtimer_new(base, note_cb, (void *)(intptr_t)2);
	static const int want[] = { 1 };
	double t0 = tu_now_ms(), dt;

	cr_assert_eq(evtimer_add(a, &t20), 0);
	cr_assert_eq(evtimer_add(b, &t5s), 0);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	dt = tu_now_ms() - t0;
	cr_assert(dt >= 14 && dt < 1000, "EVLOOP_ONCE took %.1f ms", dt);
	assert_order(want, 1);
	cr_assert(evtimer_pending(b, NULL));
	event_free(a);
	event_free(b);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, loop_once_empty_returns_1, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);

	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 1);
	cr_assert_eq(event_base_dispatch(base), 1);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, loop_nonblock, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t1s = tu_tv_ms(1000);
	struct event *t = evtimer_new(base, record_cb, NULL);
	struct event *r;
	int fds[2];
	double t0;

	tu_socketpair(fds);
	r = event_new(base, fds[0], EV_READ, record_cb, NULL);
	cr_assert_eq(evtimer_add(t, &t1s), 0);
	cr_assert_eq(event_add(r, NULL), 0);
	t0 = tu_now_ms();
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	cr_assert_lt(tu_now_ms() - t0, 100.0);
	cr_assert_eq(n_calls, 0);
	tu_write1(fds[1]);
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_what, EV_READ);
	cr_assert_lt(tu_now_ms() - t0, 500.0);
	event_free(t);
	event_free(r);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, loop_no_exit_on_empty, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval stop = tu_tv_ms(60);
	double t0 = tu_now_ms(), dt;

	cr_assert_eq(event_base_loop(base, 0), 1);
	cr_assert_lt(tu_now_ms() - t0, 100.0);
	cr_assert_eq(event_base_loopexit(base, &stop), 0);
	t0 = tu_now_ms();
	cr_assert_eq(event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY), 0);
	dt = tu_now_ms() - t0;
	cr_assert(dt >= 50 && dt < 1000, "loop ran %.1f ms", dt);
	cr_assert(event_base_got_exit(base));
	tu_base_free(base);
}

static void
running_cb(evutil_socket_t fd, short what, void *arg)
{
	n_calls++;
	cr_assert_eq(event_base_get_running_event(cur_base), arg);
}

TU_BACKEND_TEST(event, running_event, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev = evtimer_new(base, running_cb, event_self_cbarg());

	/* Outside a callback the result is undefined: not tested. */
	cur_base = base;
	event_active(ev, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	event_free(ev);
	tu_base_free(base);
}

/* ---- accessors ----------------------------------------------------------- */

TU_BACKEND_TEST(event, accessors_and_assignment, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0), *b_out = NULL;
	evutil_socket_t fd_out = -7;
	short ev_out = 0;
	event_callback_fn cb_out = NULL;
	void *arg_out = NULL;
	struct event *ev;
	int fds[2], arg;

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ | EV_PERSIST, record_cb, &arg);
	cr_assert_eq(event_get_fd(ev), fds[0]);
	cr_assert_eq(event_get_base(ev), base);
	cr_assert_eq(event_get_events(ev), EV_READ | EV_PERSIST);
	cr_assert_eq(event_get_callback(ev), record_cb);
	cr_assert_eq(event_get_callback_arg(ev), &arg);
	cr_assert_eq(event_get_priority(ev), 0);
	event_get_assignment(ev, &b_out, &fd_out, &ev_out, &cb_out, &arg_out);
	cr_assert_eq(b_out, base);
	cr_assert_eq(fd_out, fds[0]);
	cr_assert_eq(ev_out, EV_READ | EV_PERSIST);
	cr_assert_eq(cb_out, record_cb);
	cr_assert_eq(arg_out, &arg);
	/* Every output is optional. */
	event_get_assignment(ev, NULL, NULL, NULL, NULL, NULL);
	/* Adding and activating do not change the assignment. */
	cr_assert_eq(event_add(ev, NULL), 0);
	cr_assert_eq(event_get_events(ev), EV_READ | EV_PERSIST);
	cr_assert_eq(event_get_fd(ev), fds[0]);
	event_free(ev);
	tu_base_free(base);
}

Test(event, struct_event_size, .timeout = 10)
{
	cr_assert_eq(event_get_struct_event_size(), sizeof(struct event));
	cr_assert_eq(sizeof(struct event), 128);
}

TU_BACKEND_TEST(event, initialized_and_assign, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	cr_assert_not(event_initialized(&ev));
	cr_assert_eq(event_assign(&ev, base, -1, EV_PERSIST, record_cb, NULL), 0);
	cr_assert(event_initialized(&ev));
	cr_assert_eq(event_get_base(&ev), base);
	event_active(&ev, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	tu_base_free(base);
}

static void
self_cb(evutil_socket_t fd, short what, void *arg)
{
	n_calls++;
	last_arg = arg;
}

TU_BACKEND_TEST(event, self_cbarg, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev = evtimer_new(base, self_cb, event_self_cbarg());
	struct event stack_ev;

	cr_assert_eq(event_get_callback_arg(ev), ev);
	event_active(ev, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(last_arg, ev);
	cr_assert_eq(event_assign(&stack_ev, base, -1, 0, self_cb,
	    event_self_cbarg()), 0);
	cr_assert_eq(event_get_callback_arg(&stack_ev), &stack_ev);
	event_free(ev);
	tu_base_free(base);
}

/* ---- finalizers ---------------------------------------------------------- */

static int n_final;
static struct event *final_ev;
static void *final_arg;

static void
final_cb(struct event *ev, void *arg)
{
	n_final++;
	final_ev = ev;
	final_arg = arg;
}

TU_BACKEND_TEST(event, finalize_runs_in_loop, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev;
	int fds[2], arg;

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ | EV_PERSIST, record_cb, &arg);
	cr_assert_eq(event_add(ev, NULL), 0);
	cr_assert_eq(event_finalize(0, ev, final_cb), 0);
	/* Finalizing removes the event at once; the finalizer waits for the loop. */
	cr_assert_eq(event_pending(ev, EV_READ, NULL), 0);
	cr_assert_eq(n_final, 0);
	tu_write1(fds[1]);
	event_base_loop(base, EVLOOP_NONBLOCK);
	cr_assert_eq(n_final, 1);
	cr_assert_eq(final_ev, ev);
	cr_assert_eq(final_arg, &arg);
	cr_assert_eq(n_calls, 0);
	event_free(ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, free_finalize_runs_in_loop, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(10);
	struct event *ev = evtimer_new(base, record_cb, (void *)0x1234);

	cr_assert_eq(evtimer_add(ev, &tv), 0);
	cr_assert_eq(event_free_finalize(0, ev, final_cb), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_final, 1);
	cr_assert_eq(final_ev, ev);
	cr_assert_eq(final_arg, (void *)0x1234);
	cr_assert_eq(n_calls, 0);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, base_free_runs_pending_finalizers, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev = evtimer_new(base, record_cb, NULL);

	cr_assert_eq(event_free_finalize(0, ev, final_cb), 0);
	cr_assert_eq(n_final, 0);
	tu_base_free(base);
	cr_assert_eq(n_final, 1);
}

TU_BACKEND_TEST(event, base_free_nofinalize_skips_finalizers, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev = evtimer_new(base, record_cb, NULL);

	cr_assert_eq(event_finalize(0, ev, final_cb), 0);
	event_base_free_nofinalize(base);
	cr_assert_eq(n_final, 0);
	free(ev);	/* never freed by the base; event_new used malloc */
}

static void
finalize_self_cb(evutil_socket_t fd, short what, void *arg)
{
	n_calls++;
	cr_assert_eq(event_free_finalize(0, arg, final_cb), 0);
	cr_assert_eq(n_final, 0, "finalizer ran inside the event's own callback");
}

TU_BACKEND_TEST(event, free_finalize_from_own_callback, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(5);
	struct event *ev = event_new(base, -1, EV_PERSIST, finalize_self_cb,
	    event_self_cbarg());

	cr_assert_eq(event_add(ev, &tv), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(n_final, 1);
	tu_base_free(base);
}

/* ---- introspection --------------------------------------------------------- */

static struct event *seen[16];
static int n_seen;

static int
visit_cb(const struct event_base *base, const struct event *ev, void *arg)
{
	cr_assert_eq(base, cur_base);
	if (n_seen < 16)
		seen[n_seen] = (struct event *)ev;
	n_seen++;
	return (int)(intptr_t)arg;
}

static int
was_seen(const struct event *ev)
{
	int i;

	for (i = 0; i < n_seen && i < 16; i++)
		if (seen[i] == ev)
			return 1;
	return 0;
}

TU_BACKEND_TEST(event, foreach_event, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(60000);
	struct event *r, *t, *act, *idle;
	int fds[2];

	cur_base = base;
	tu_socketpair(fds);
	cr_assert_eq(event_base_foreach_event(base, visit_cb, NULL), 0);
	cr_assert_eq(n_seen, 0);
	r = event_new(base, fds[0], EV_READ | EV_PERSIST, record_cb, NULL);
	t = evtimer_new(base, record_cb, NULL);
	act = evtimer_new(base, record_cb, NULL);
	idle = evtimer_new(base, record_cb, NULL);
	cr_assert_eq(event_add(r, NULL), 0);
	cr_assert_eq(evtimer_add(t, &tv), 0);
	event_active(act, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_foreach_event(base, visit_cb, NULL), 0);
	cr_assert_eq(n_seen, 3);
	cr_assert(was_seen(r) && was_seen(t) && was_seen(act));
	cr_assert_not(was_seen(idle));
	/* A nonzero return stops the walk and is passed back. */
	n_seen = 0;
	cr_assert_eq(event_base_foreach_event(base, visit_cb, (void *)7), 7);
	cr_assert_eq(n_seen, 1);
	event_free(r);
	event_free(t);
	event_free(act);
	event_free(idle);
	tu_base_free(base);
}

static size_t
dump_len(struct event_base *base)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	event_base_dump_events(base, f);
	fclose(f);
	free(buf);
	return len;
}

TU_BACKEND_TEST(event, dump_events, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(60000);
	struct event *r, *t;
	size_t empty, full;
	int fds[2];

	tu_socketpair(fds);
	empty = dump_len(base);
	r = event_new(base, fds[0], EV_READ | EV_PERSIST, record_cb, NULL);
	t = evtimer_new(base, record_cb, NULL);
	cr_assert_eq(event_add(r, NULL), 0);
	cr_assert_eq(evtimer_add(t, &tv), 0);
	full = dump_len(base);
	cr_assert_gt(full, empty, "dump of 2 events (%zu bytes) is not longer "
	    "than the dump of none (%zu bytes)", full, empty);
	event_free(r);
	event_free(t);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, active_by_fd, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ra, *rb;
	int a[2], b[2];

	tu_socketpair(a);
	tu_socketpair(b);
	ra = event_new(base, a[0], EV_READ | EV_PERSIST, note_cb, (void *)1);
	rb = event_new(base, b[0], EV_READ | EV_PERSIST, note_cb, (void *)2);
	cr_assert_eq(event_add(ra, NULL), 0);
	cr_assert_eq(event_add(rb, NULL), 0);
	/* No data anywhere: only the forced activation makes ra run. */
	event_base_active_by_fd(base, a[0], EV_READ);
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	cr_assert_eq(n_order, 1);
	cr_assert_eq(order[0], 1);
	/* Asking for a direction the event does not watch activates nothing. */
	event_base_active_by_fd(base, a[0], EV_WRITE);
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	cr_assert_eq(n_order, 1);
	event_free(ra);
	event_free(rb);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, active_by_signal, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *s = evsignal_new(base, SIGUSR1, record_cb, NULL);
	struct event *other = evsignal_new(base, SIGUSR2, note_cb, NULL);

	cr_assert_eq(evsignal_add(s, NULL), 0);
	cr_assert_eq(evsignal_add(other, NULL), 0);
	event_base_active_by_signal(base, SIGUSR1);
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_what, EV_SIGNAL);
	cr_assert_eq(last_fd, SIGUSR1);
	cr_assert_eq(n_order, 0);
	event_free(s);
	event_free(other);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, num_and_max_events, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(60000);
	struct event *r, *t, *act;
	int fds[2];

	tu_socketpair(fds);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 0);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_VIRTUAL), 0);
	r = event_new(base, fds[0], EV_READ, record_cb, NULL);
	t = evtimer_new(base, record_cb, NULL);
	act = evtimer_new(base, record_cb, NULL);
	cr_assert_eq(event_add(r, NULL), 0);
	cr_assert_eq(evtimer_add(t, &tv), 0);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 2);
	/*
	 * Stock 2.1.12 counts an event under ADDED while it sits in any of
	 * the base's lists, the active queue included; programs that print
	 * these counts see that, so the engine keeps it.
	 */
	event_active(act, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 1);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 3);
	cr_assert_eq(event_base_get_num_events(base,
	    EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE), 4);
	cr_assert_eq(event_del(t), 0);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 2);
	/* The maximum remembers the peak until cleared. */
	cr_assert_eq(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0), 3);
	cr_assert_eq(event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE, 0), 1);
	cr_assert_eq(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 1), 3);
	/* Cleared: the old peak is forgotten (stock restarts from 0). */
	cr_assert_lt(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0), 3);
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 0);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 1);
	event_free(r);
	event_free(t);
	event_free(act);
	tu_base_free(base);
}

/* ---- the time cache -------------------------------------------------------- */

static double cache_step1, cache_step2, cache_fresh_gap;

static void
cache_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval c1, c2, c3, now;

	gettimeofday(&now, NULL);
	cr_assert_eq(event_base_gettimeofday_cached(cur_base, &c1), 0);
	cache_fresh_gap = tu_tv_diff_ms(&now, &c1);
	tu_sleep_ms(30);
	cr_assert_eq(event_base_gettimeofday_cached(cur_base, &c2), 0);
	cache_step1 = tu_tv_diff_ms(&c2, &c1);
	cr_assert_eq(event_base_update_cache_time(cur_base), 0);
	cr_assert_eq(event_base_gettimeofday_cached(cur_base, &c3), 0);
	cache_step2 = tu_tv_diff_ms(&c3, &c1);
	n_calls++;
}

TU_BACKEND_TEST(event, time_cache_in_callback, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(5);
	struct event *t = evtimer_new(base, cache_cb, NULL);

	cur_base = base;
	cr_assert_eq(evtimer_add(t, &tv), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 1);
	/* The cache holds the wall-clock time of this loop iteration. */
	cr_assert(cache_fresh_gap > -5 && cache_fresh_gap < 50,
	    "cached time differs from gettimeofday by %.1f ms", cache_fresh_gap);
	cr_assert_eq(cache_step1, 0.0, "cached time moved by %.3f ms", cache_step1);
	cr_assert(cache_step2 >= 24 && cache_step2 < 500,
	    "update_cache_time moved it by %.1f ms", cache_step2);
	event_free(t);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, time_cache_disabled_by_flag, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, EVENT_BASE_FLAG_NO_CACHE_TIME);
	struct timeval tv = tu_tv_ms(5);
	struct event *t = evtimer_new(base, cache_cb, NULL);

	cur_base = base;
	cr_assert_eq(evtimer_add(t, &tv), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert(cache_step1 >= 24 && cache_step1 < 500,
	    "with NO_CACHE_TIME the time moved by %.1f ms", cache_step1);
	event_free(t);
	tu_base_free(base);
}

TU_BACKEND_TEST(event, time_cache_outside_loop_is_current, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval c, now, m1, m2;
	double d;

	tu_sleep_ms(20);
	gettimeofday(&now, NULL);
	cr_assert_eq(event_base_gettimeofday_cached(base, &c), 0);
	d = tu_tv_diff_ms(&c, &now);
	cr_assert(d > -5 && d < 50, "outside the loop: off by %.1f ms", d);
	cr_assert_eq(event_gettime_monotonic(base, &m1), 0);
	tu_sleep_ms(20);
	cr_assert_eq(event_gettime_monotonic(base, &m2), 0);
	d = tu_tv_diff_ms(&m2, &m1);
	cr_assert(d >= 15 && d < 500, "monotonic clock moved %.1f ms", d);
	tu_base_free(base);
}

/* Every iteration gets a fresh cached time: an I/O callback that reads it
 * and sleeps 30 ms, then makes itself ready again, sees the time move by
 * at least that much in the next iteration of the same dispatch. */
static struct timeval iter_seen[2];
static int iter_wfd;

static void
iter_cache_cb(evutil_socket_t fd, short what, void *arg)
{
	tu_drain(fd);
	cr_assert_eq(event_base_gettimeofday_cached(cur_base, &iter_seen[n_calls]), 0);
	if (++n_calls == 1) {
		tu_sleep_ms(30);
		tu_write1(iter_wfd);
	} else {
		event_base_loopbreak(cur_base);
	}
}

TU_BACKEND_TEST(event, time_cache_fresh_each_iteration, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	int p[2];

	tu_socketpair(p);
	cur_base = base;
	iter_wfd = p[1];
	struct event *r = event_new(base, p[0], EV_READ | EV_PERSIST, iter_cache_cb, NULL);
	cr_assert_eq(event_add(r, NULL), 0);
	tu_write1(p[1]);
	cr_assert_eq(event_base_dispatch(base), 0);
	cr_assert_eq(n_calls, 2);
	double d = tu_tv_diff_ms(&iter_seen[1], &iter_seen[0]);
	cr_assert(d >= 24 && d < 500, "the next iteration's cached time moved %.1f ms", d);
	event_free(r);
	close(p[0]);
	close(p[1]);
	tu_base_free(base);
}

/* ---- max dispatch interval ------------------------------------------------- */

static void
run_dispatch_case(const char *method, const struct timeval *max_tv,
    int max_cb, int min_prio, const int *want)
{
	struct event_config *cfg = event_config_new();

	cr_assert_eq(event_config_set_max_dispatch_interval(cfg, max_tv, max_cb,
	    min_prio), 0);
	run_late_case(method, cfg, want);
	event_config_free(cfg);
}

TU_BACKEND_TEST(event, max_dispatch_callbacks, .timeout = 10)
{
	static const int rescan[] = { 1, 3, 2 }, plain[] = { 1, 2, 3 };

	/* After one callback the loop polls again and finds the urgent fd. */
	run_dispatch_case(method, NULL, 1, 0, rescan);
	/* Unlimited: the priority-1 queue finishes first. */
	run_dispatch_case(method, NULL, -1, 0, plain);
	/* The limit is not enforced below min_priority (2 > 1). */
	run_dispatch_case(method, NULL, 1, 2, plain);
}

TU_BACKEND_TEST(event, max_dispatch_interval, .timeout = 10)
{
	static const int rescan[] = { 1, 3, 2 }, plain[] = { 1, 2, 3 };
	struct timeval max_tv = tu_tv_ms(5);

	dispatch_sleep_ms = 20;
	run_dispatch_case(method, &max_tv, -1, 0, rescan);
	run_dispatch_case(method, NULL, -1, 0, plain);
}

/* ---- configuration ---------------------------------------------------------- */

Test(event, supported_methods, .timeout = 10)
{
	const char **m = event_get_supported_methods();
	int have[3] = { 0, 0, 0 }, i, n = 0;

	cr_assert_not_null(m);
	for (; *m; m++, n++)
		for (i = 0; i < 3; i++)
			if (strcmp(*m, tu_backends[i]) == 0)
				have[i]++;
	cr_assert(n >= 3 && n < 16);
	for (i = 0; i < 3; i++)
		cr_assert_eq(have[i], 1, "%s listed %d times", tu_backends[i], have[i]);
}

Test(event, default_base_is_epoll, .timeout = 10)
{
	struct event_base *base = event_base_new();

	cr_assert_not_null(base);
	cr_assert_str_eq(event_base_get_method(base), "epoll");
	event_base_free(base);
	base = event_base_new_with_config(NULL);
	cr_assert_not_null(base);
	cr_assert_str_eq(event_base_get_method(base), "epoll");
	event_base_free(base);
}

Test(event, avoid_every_method_gives_null, .timeout = 10)
{
	struct event_config *cfg = event_config_new();
	const char **m = event_get_supported_methods();

	for (; *m; m++)
		cr_assert_eq(event_config_avoid_method(cfg, *m), 0);
	cr_assert_null(event_base_new_with_config(cfg));
	event_config_free(cfg);
}

static struct event_base *
base_requiring(int features, const char *avoid)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	cr_assert_eq(event_config_require_features(cfg, features), 0);
	/* Which backend wins is the point here: ignore EVENT_NO*. */
	cr_assert_eq(event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV), 0);
	if (avoid)
		cr_assert_eq(event_config_avoid_method(cfg, avoid), 0);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

Test(event, require_features, .timeout = 10)
{
	static const int epoll_only[] = { EV_FEATURE_ET, EV_FEATURE_O1 };
	struct event_base *base;
	int i;

	for (i = 0; i < 2; i++) {
		base = base_requiring(epoll_only[i], NULL);
		cr_assert_not_null(base);
		cr_assert_str_eq(event_base_get_method(base), "epoll");
		cr_assert(event_base_get_features(base) & epoll_only[i]);
		event_base_free(base);
		cr_assert_null(base_requiring(epoll_only[i], "epoll"));
	}
	base = base_requiring(EV_FEATURE_FDS, NULL);
	cr_assert_not_null(base);
	cr_assert_str_eq(event_base_get_method(base), "poll");
	event_base_free(base);
	base = base_requiring(EV_FEATURE_FDS, "poll");
	cr_assert_not_null(base);
	cr_assert_str_eq(event_base_get_method(base), "select");
	event_base_free(base);
	/* poll reports early close too (POLLRDHUP); select cannot. */
	base = base_requiring(EV_FEATURE_EARLY_CLOSE, NULL);
	cr_assert_not_null(base);
	cr_assert_str_eq(event_base_get_method(base), "epoll");
	event_base_free(base);
	base = base_requiring(EV_FEATURE_EARLY_CLOSE, "epoll");
	cr_assert_not_null(base);
	cr_assert_str_eq(event_base_get_method(base), "poll");
	event_base_free(base);
	base = base_requiring(EV_FEATURE_EARLY_CLOSE | EV_FEATURE_FDS, NULL);
	cr_assert_not_null(base);
	cr_assert_str_eq(event_base_get_method(base), "poll");
	event_base_free(base);
}

TU_BACKEND_TEST(event, features_per_backend, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	int f = event_base_get_features(base);

	if (strcmp(method, "epoll") == 0)
		cr_assert_eq(f, EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE);
	else if (strcmp(method, "poll") == 0)
		cr_assert_eq(f, EV_FEATURE_FDS | EV_FEATURE_EARLY_CLOSE);
	else
		cr_assert_eq(f, EV_FEATURE_FDS);
	tu_base_free(base);
}

static void
run_simple_workload(struct event_base *base)
{
	struct timeval tv = tu_tv_ms(5);
	struct event *r, *t;
	int fds[2];

	n_calls = 0;
	tu_socketpair(fds);
	r = event_new(base, fds[0], EV_READ, record_cb, NULL);
	t = evtimer_new(base, record_cb, NULL);
	cr_assert_eq(event_add(r, NULL), 0);
	cr_assert_eq(evtimer_add(t, &tv), 0);
	tu_write1(fds[1]);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_calls, 2);
	event_free(r);
	event_free(t);
	close(fds[0]);
	close(fds[1]);
}

TU_BACKEND_TEST(event, config_flags_accepted, .timeout = 10)
{
	static const int flags[] = { EVENT_BASE_FLAG_NOLOCK,
	    EVENT_BASE_FLAG_IGNORE_ENV, EVENT_BASE_FLAG_NO_CACHE_TIME,
	    EVENT_BASE_FLAG_PRECISE_TIMER,
	    EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_PRECISE_TIMER };
	struct event_base *base;
	unsigned i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		base = tu_base_new(method, flags[i]);
		run_simple_workload(base);
		tu_base_free(base);
	}
}

Test(event, epoll_changelist_flag, .timeout = 10)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	cr_assert_eq(event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST), 0);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	cr_assert_not_null(base);
	/* The method name is part of what programs print and parse. */
	cr_assert_str_eq(event_base_get_method(base), "epoll (with changelist)");
	run_simple_workload(base);
	event_base_free(base);
}

Test(event, config_misc_setters, .timeout = 10)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	cr_assert_eq(event_config_set_num_cpus_hint(cfg, 2), 0);
	cr_assert_eq(event_config_set_max_dispatch_interval(cfg, NULL, -1, 0), 0);
	base = event_base_new_with_config(cfg);
	cr_assert_not_null(base);
	run_simple_workload(base);
	event_base_free(base);
	event_config_free(cfg);
}

static const char *
method_with_env(const char *noepoll, const char *nopoll, const char *noselect,
    int flags)
{
	static char name[64];
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	tu_log_capture();
	if (noepoll)
		setenv("EVENT_NOEPOLL", noepoll, 1);
	if (nopoll)
		setenv("EVENT_NOPOLL", nopoll, 1);
	if (noselect)
		setenv("EVENT_NOSELECT", noselect, 1);
	if (flags)
		event_config_set_flag(cfg, flags);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	unsetenv("EVENT_NOEPOLL");
	unsetenv("EVENT_NOPOLL");
	unsetenv("EVENT_NOSELECT");
	if (!base)
		return NULL;
	snprintf(name, sizeof(name), "%s", event_base_get_method(base));
	event_base_free(base);
	return name;
}

Test(event, env_disables_methods, .timeout = 10)
{
	cr_assert_str_eq(method_with_env(NULL, NULL, NULL, 0), "epoll");
	cr_assert_str_eq(method_with_env("1", NULL, NULL, 0), "poll");
	cr_assert_str_eq(method_with_env("1", "1", NULL, 0), "select");
	cr_assert_str_eq(method_with_env("1", NULL, "1", 0), "poll");
	cr_assert_str_eq(method_with_env(NULL, "1", "1", 0), "epoll");
	/* Any value counts, even an empty one. */
	cr_assert_str_eq(method_with_env("", NULL, NULL, 0), "poll");
}

Test(event, env_all_disabled_gives_null_and_warning, .timeout = 10)
{
	tu_log_clear();
	cr_assert_null(method_with_env("1", "1", "1", 0));
	tu_assert_warned("no backend left");
}

Test(event, env_ignored_with_flag, .timeout = 10)
{
	cr_assert_str_eq(method_with_env("1", NULL, NULL,
	    EVENT_BASE_FLAG_IGNORE_ENV), "epoll");
	cr_assert_str_eq(method_with_env("1", "1", "1",
	    EVENT_BASE_FLAG_IGNORE_ENV), "epoll");
}

Test(event, env_show_method, .timeout = 10)
{
	struct event_base *base;

	tu_log_capture();
	setenv("EVENT_SHOW_METHOD", "1", 1);
	base = event_base_new();
	cr_assert_not_null(base);
	cr_assert(tu_log_contains(EVENT_LOG_MSG, "epoll"),
	    "EVENT_SHOW_METHOD did not log the method (last: '%s')",
	    tu_log_last(EVENT_LOG_DEBUG));
	event_base_free(base);
	unsetenv("EVENT_SHOW_METHOD");
	tu_log_clear();
	base = event_base_new();
	cr_assert_eq(tu_log_count(EVENT_LOG_MSG), 0);
	event_base_free(base);
}

Test(event, env_show_method_ignored_with_flag, .timeout = 10)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	TU_ENGINE_ONLY();	/* stock shows the method even with IGNORE_ENV */
	tu_log_capture();
	setenv("EVENT_SHOW_METHOD", "1", 1);
	event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
	base = event_base_new_with_config(cfg);
	cr_assert_not_null(base);
	cr_assert_eq(tu_log_count(EVENT_LOG_MSG), 0,
	    "logged with IGNORE_ENV: '%s'", tu_log_last(EVENT_LOG_MSG));
	event_base_free(base);
	event_config_free(cfg);
}

/* ---- 1.x compatibility API -------------------------------------------------- */

/* event_init() has no config: the environment picks the backend. */
static struct event_base *
compat_init(const char *method)
{
	struct event_base *base;

	unsetenv("EVENT_NOEPOLL");
	unsetenv("EVENT_NOPOLL");
	if (strcmp(method, "epoll") != 0)
		setenv("EVENT_NOEPOLL", "1", 1);
	if (strcmp(method, "select") == 0)
		setenv("EVENT_NOPOLL", "1", 1);
	base = event_init();
	cr_assert_not_null(base);
	cr_assert_str_eq(event_get_method(), method);
	cr_assert_str_eq(event_base_get_method(base), method);
	return base;
}

TU_BACKEND_TEST(event, compat_set_add_dispatch, .timeout = 10)
{
	struct event_base *base = compat_init(method);
	struct event ev, tev;
	struct timeval tv = tu_tv_ms(5);
	int fds[2], arg;

	tu_socketpair(fds);
	event_set(&ev, fds[0], EV_READ, record_cb, &arg);
	cr_assert_eq(event_get_base(&ev), base);
	cr_assert_eq(event_add(&ev, NULL), 0);
	evtimer_set(&tev, note_cb, (void *)5);
	cr_assert_eq(evtimer_add(&tev, &tv), 0);
	tu_write1(fds[1]);
	cr_assert_eq(event_dispatch(), 1);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_arg, &arg);
	cr_assert_eq(n_order, 1);
	cr_assert_eq(order[0], 5);
	event_base_free(base);
}

/* event_base_loop(NULL, ...) loops the current base (the one event_init
 * made), whichever loop it takes: the engine's answer to a NULL base,
 * where stock 2.1.12 crashes. */
TU_BACKEND_TEST(event, null_base_loop_runs_the_current_base, .timeout = 10)
{
	TU_ENGINE_ONLY(); /* stock: SIGSEGV */
	struct event_base *base = compat_init(method);
	struct event ev;
	int fds[2], arg;

	tu_socketpair(fds);
	event_set(&ev, fds[0], EV_READ, record_cb, &arg);
	cr_assert_eq(event_add(&ev, NULL), 0);
	tu_write1(fds[1]);
	cr_assert_eq(event_base_loop(NULL, EVLOOP_ONCE), 0);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_arg, &arg);
	close(fds[0]);
	close(fds[1]);
	event_base_free(base);
}

TU_BACKEND_TEST(event, compat_loop_and_exit, .timeout = 10)
{
	struct event_base *base = compat_init(method);
	struct timeval tick = tu_tv_ms(10), stop = tu_tv_ms(50);
	struct event ev;
	double t0;

	event_set(&ev, -1, EV_PERSIST, count_cb, NULL);
	cr_assert_eq(event_add(&ev, &tick), 0);
	cr_assert_eq(event_loop(EVLOOP_ONCE), 0);
	cr_assert_eq(n_calls, 1);
	t0 = tu_now_ms();
	cr_assert_eq(event_loopexit(&stop), 0);
	cr_assert_eq(event_loop(0), 0);
	cr_assert_geq(tu_now_ms() - t0, 42.0);
	cr_assert(event_base_got_exit(base));
	cr_assert_eq(event_loopbreak(), 0);
	cr_assert(event_base_got_break(base));
	cr_assert_eq(event_del(&ev), 0);
	event_base_free(base);
}

TU_BACKEND_TEST(event, compat_once_and_priority, .timeout = 10)
{
	struct event_base *base = compat_init(method);
	struct timeval tv = tu_tv_ms(5);
	struct event ev;
	int arg;

	cr_assert_eq(event_priority_init(3), 0);
	event_set(&ev, -1, 0, record_cb, NULL);
	cr_assert_eq(event_get_priority(&ev), 1);
	cr_assert_eq(event_once(-1, EV_TIMEOUT, record_cb, &arg, &tv), 0);
	cr_assert_eq(event_dispatch(), 1);
	cr_assert_eq(n_calls, 1);
	cr_assert_eq(last_arg, &arg);
	event_base_free(base);
}

TU_BACKEND_TEST(event, compat_base_set_moves_event, .timeout = 10)
{
	struct event_base *def = compat_init(method);
	struct event_base *other = tu_base_new(method, 0);
	struct event ev;

	event_set(&ev, -1, 0, record_cb, NULL);
	cr_assert_eq(event_get_base(&ev), def);
	cr_assert_eq(event_base_set(other, &ev), 0);
	cr_assert_eq(event_get_base(&ev), other);
	event_active(&ev, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_dispatch(def), 1);
	cr_assert_eq(n_calls, 0);
	cr_assert_eq(event_base_dispatch(other), 1);
	cr_assert_eq(n_calls, 1);
	tu_base_free(other);
	event_base_free(def);
}
