/*
 * test-timer.c: timeouts on the heap and on common-timeout queues, the
 * EV_PERSIST re-arming rule, ordering, event_remove_timer and accuracy.
 * Each test runs under every backend (TU_BACKEND_TEST).
 *
 * Bounds allow firing up to ~8 ms early: stock libevent reads the coarse
 * monotonic clock (one jiffy) unless EVENT_BASE_FLAG_PRECISE_TIMER is
 * set.  Upper bounds are loose because the machine is shared.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "testutil.h"

#define MAX_FIRES 1100

static double t_start;
static double fire_ms[MAX_FIRES];
static int fire_id[MAX_FIRES];
static short fire_what[MAX_FIRES];
static int n_fires;

static void
fire_cb(evutil_socket_t fd, short what, void *arg)
{
	if (n_fires < MAX_FIRES) {
		fire_ms[n_fires] = tu_now_ms() - t_start;
		fire_id[n_fires] = (int)(intptr_t)arg;
		fire_what[n_fires] = what;
	}
	n_fires++;
}

static void
start_clock(void)
{
	t_start = tu_now_ms();
}

static void
assert_fired_near(int i, double want_ms, double early, double late)
{
	cr_assert_gt(n_fires, i, "firing %d never happened", i);
	cr_assert(fire_ms[i] >= want_ms - early && fire_ms[i] <= want_ms + late,
	    "firing %d at %.1f ms, wanted %.0f ms (-%.0f/+%.0f)", i, fire_ms[i],
	    want_ms, early, late);
}

TU_BACKEND_TEST(timer, oneshot_timeout, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(30);
	struct event *t = evtimer_new(base, fire_cb, (void *)1);

	start_clock();
	cr_assert_eq(evtimer_add(t, &tv), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 1);
	cr_assert_eq(fire_what[0], EV_TIMEOUT);
	assert_fired_near(0, 30, 8, 250);
	cr_assert_not(evtimer_pending(t, NULL));
	event_free(t);
	tu_base_free(base);
}

TU_BACKEND_TEST(timer, zero_timeout_fires_next_iteration, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = { 0, 0 };
	struct event *t = evtimer_new(base, fire_cb, NULL);

	cr_assert_eq(evtimer_add(t, &tv), 0);
	cr_assert_eq(evtimer_pending(t, NULL), EV_TIMEOUT);
	cr_assert_geq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	cr_assert_eq(n_fires, 1);
	event_free(t);
	tu_base_free(base);
}

static void
stop_after_5_cb(evutil_socket_t fd, short what, void *arg)
{
	fire_cb(fd, what, NULL);
	if (n_fires == 5)
		event_del(arg);
}

TU_BACKEND_TEST(timer, persistent_timer_is_periodic, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(20);
	struct event *t = event_new(base, -1, EV_PERSIST, stop_after_5_cb,
	    event_self_cbarg());
	int i;

	start_clock();
	cr_assert_eq(event_add(t, &tv), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 5);
	for (i = 0; i < 5; i++)
		cr_assert_eq(fire_what[i], EV_TIMEOUT);
	for (i = 1; i < 5; i++)
		cr_assert_geq(fire_ms[i] - fire_ms[i - 1], 10.0,
		    "firings %d and %d only %.1f ms apart", i - 1, i,
		    fire_ms[i] - fire_ms[i - 1]);
	assert_fired_near(4, 100, 8, 400);
	event_free(t);
	tu_base_free(base);
}

/* ---- the EV_PERSIST re-arming rule ----------------------------------------
 * A persistent event with a timeout gets a fresh full timeout whenever it
 * becomes active: counted from now after fd activity, and from the
 * previous deadline after a timeout (falling back to now when that
 * deadline has already gone by, so there is no burst of catch-up calls).
 */

static int pfds[2];
static double t_read_ms;

static void
persist_io_cb(evutil_socket_t fd, short what, void *arg)
{
	fire_cb(fd, what, NULL);
	if (what & EV_READ) {
		tu_drain(fd);
		t_read_ms = tu_now_ms() - t_start;
	}
	if (what & EV_TIMEOUT)
		event_del(arg);
}

static void
poke_cb(evutil_socket_t fd, short what, void *arg)
{
	tu_write1(pfds[1]);
}

TU_BACKEND_TEST(timer, persist_timeout_restarts_on_fd_activity, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t200 = tu_tv_ms(200), t100 = tu_tv_ms(100);
	struct event *ev, *poke;

	tu_socketpair(pfds);
	ev = event_new(base, pfds[0], EV_READ | EV_PERSIST, persist_io_cb,
	    event_self_cbarg());
	poke = evtimer_new(base, poke_cb, NULL);
	start_clock();
	cr_assert_eq(event_add(ev, &t200), 0);
	cr_assert_eq(evtimer_add(poke, &t100), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 2);
	cr_assert_eq(fire_what[0], EV_READ);
	cr_assert_eq(fire_what[1], EV_TIMEOUT);
	/* The timeout counts 200 ms from the read, not from the add. */
	cr_assert_geq(fire_ms[1] - t_read_ms, 190.0,
	    "timeout %.1f ms after the read (wanted 200)", fire_ms[1] - t_read_ms);
	cr_assert_geq(fire_ms[1], 280.0);
	event_free(ev);
	event_free(poke);
	tu_base_free(base);
}

static int block_ms;

static void
block_cb(evutil_socket_t fd, short what, void *arg)
{
	tu_sleep_ms(block_ms);
}

static void
stop_after_3_cb(evutil_socket_t fd, short what, void *arg)
{
	fire_cb(fd, what, NULL);
	if (n_fires == 3)
		event_del(arg);
}

TU_BACKEND_TEST(timer, persist_timeout_keeps_its_schedule, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t100 = tu_tv_ms(100), t80 = tu_tv_ms(80);
	struct event *p = event_new(base, -1, EV_PERSIST, stop_after_3_cb,
	    event_self_cbarg());
	struct event *blocker = evtimer_new(base, block_cb, NULL);

	/* The blocker holds the loop from 80 to 140 ms, so the first
	 * firing is late; the second still comes at 200 ms, not 240. */
	block_ms = 60;
	start_clock();
	cr_assert_eq(event_add(p, &t100), 0);
	cr_assert_eq(evtimer_add(blocker, &t80), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 3);
	cr_assert_geq(fire_ms[0], 130.0);
	assert_fired_near(1, 200, 10, 25);
	event_free(p);
	event_free(blocker);
	tu_base_free(base);
}

TU_BACKEND_TEST(timer, persist_timeout_no_catch_up_burst, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t50 = tu_tv_ms(50), t40 = tu_tv_ms(40);
	struct event *p = event_new(base, -1, EV_PERSIST, stop_after_3_cb,
	    event_self_cbarg());
	struct event *blocker = evtimer_new(base, block_cb, NULL);

	/* Four deadlines pass while the loop is blocked; they are not
	 * replayed back to back afterwards. */
	block_ms = 200;
	start_clock();
	cr_assert_eq(event_add(p, &t50), 0);
	cr_assert_eq(evtimer_add(blocker, &t40), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 3);
	cr_assert_geq(fire_ms[0], 230.0);
	cr_assert_geq(fire_ms[1] - fire_ms[0], 40.0,
	    "second firing only %.1f ms after the late first",
	    fire_ms[1] - fire_ms[0]);
	cr_assert_geq(fire_ms[2] - fire_ms[1], 20.0);
	event_free(p);
	event_free(blocker);
	tu_base_free(base);
}

/* ---- re-adding ------------------------------------------------------------ */

TU_BACKEND_TEST(timer, readd_shorter_replaces_timeout, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t2s = tu_tv_ms(2000), t20 = tu_tv_ms(20);
	struct event *t = evtimer_new(base, fire_cb, NULL);

	start_clock();
	cr_assert_eq(evtimer_add(t, &t2s), 0);
	cr_assert_eq(evtimer_add(t, &t20), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 1);
	assert_fired_near(0, 20, 8, 400);
	event_free(t);
	tu_base_free(base);
}

TU_BACKEND_TEST(timer, readd_longer_replaces_timeout, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t20 = tu_tv_ms(20), t300 = tu_tv_ms(300), t100 = tu_tv_ms(100);
	struct event *t = evtimer_new(base, fire_cb, (void *)1);
	struct event *probe = evtimer_new(base, fire_cb, (void *)2);

	start_clock();
	cr_assert_eq(evtimer_add(t, &t20), 0);
	cr_assert_eq(evtimer_add(t, &t300), 0);
	cr_assert_eq(evtimer_add(probe, &t100), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 2);
	cr_assert_eq(fire_id[0], 2, "the re-added timer fired at its old deadline");
	cr_assert_eq(fire_id[1], 1);
	assert_fired_near(1, 300, 10, 400);
	event_free(t);
	event_free(probe);
	tu_base_free(base);
}

TU_BACKEND_TEST(timer, readd_with_null_keeps_timeout, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t30 = tu_tv_ms(30);
	struct event *ev;
	int fds[2];

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ, fire_cb, NULL);
	start_clock();
	cr_assert_eq(event_add(ev, &t30), 0);
	cr_assert_eq(event_add(ev, NULL), 0);
	cr_assert_eq(event_pending(ev, EV_TIMEOUT, NULL), EV_TIMEOUT);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 1);
	cr_assert_eq(fire_what[0], EV_TIMEOUT);
	event_free(ev);
	tu_base_free(base);
}

static struct event *late_added;

static void
add_late_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval t20 = tu_tv_ms(20);

	fire_cb(fd, what, arg);
	cr_assert_eq(evtimer_add(late_added, &t20), 0);
}

TU_BACKEND_TEST(timer, add_from_callback_orders_correctly, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t10 = tu_tv_ms(10), t200 = tu_tv_ms(200);
	struct event *a = evtimer_new(base, fire_cb, (void *)1);
	struct event *b = evtimer_new(base, add_late_cb, (void *)2);

	late_added = evtimer_new(base, fire_cb, (void *)3);
	start_clock();
	cr_assert_eq(evtimer_add(a, &t200), 0);
	cr_assert_eq(evtimer_add(b, &t10), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 3);
	cr_assert_eq(fire_id[0], 2);
	cr_assert_eq(fire_id[1], 3);
	cr_assert_eq(fire_id[2], 1);
	assert_fired_near(1, 30, 10, 150);
	event_free(a);
	event_free(b);
	event_free(late_added);
	tu_base_free(base);
}

/* ---- common timeouts ------------------------------------------------------- */

TU_BACKEND_TEST(timer, common_timeout_handle, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval d100 = tu_tv_ms(100), d100b = tu_tv_ms(100), d50 = tu_tv_ms(50);
	const struct timeval *c1, *c2, *c3;

	c1 = event_base_init_common_timeout(base, &d100);
	c2 = event_base_init_common_timeout(base, &d100b);
	c3 = event_base_init_common_timeout(base, &d50);
	cr_assert_not_null(c1);
	cr_assert_not_null(c3);
	cr_assert_neq(c1, &d100, "the handle must belong to the base");
	cr_assert_eq(c1, c2, "same duration, same handle");
	cr_assert_neq(c1, c3);
	/* The handle is not an ordinary 100 ms timeval. */
	cr_assert(c1->tv_sec != 0 || c1->tv_usec != 100000);
	tu_base_free(base);
}

TU_BACKEND_TEST(timer, common_timeout_fires_in_add_order, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval d = tu_tv_ms(60), before, out;
	const struct timeval *c = event_base_init_common_timeout(base, &d);
	struct event *ev[10];
	double diff;
	int i;

	cr_assert_not_null(c);
	start_clock();
	gettimeofday(&before, NULL);
	for (i = 0; i < 10; i++) {
		ev[i] = evtimer_new(base, fire_cb, (void *)(intptr_t)i);
		cr_assert_eq(evtimer_add(ev[i], c), 0);
	}
	/* event_pending reports the real wall-clock expiry, not the handle. */
	cr_assert_eq(evtimer_pending(ev[0], &out), EV_TIMEOUT);
	diff = tu_tv_diff_ms(&out, &before);
	cr_assert(diff >= 50 && diff <= 200, "expiry %.1f ms after add", diff);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 10);
	for (i = 0; i < 10; i++) {
		cr_assert_eq(fire_id[i], i);
		cr_assert_eq(fire_what[i], EV_TIMEOUT);
	}
	assert_fired_near(0, 60, 8, 300);
	for (i = 0; i < 10; i++)
		event_free(ev[i]);
	tu_base_free(base);
}

TU_BACKEND_TEST(timer, common_timeout_mixed_with_heap, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval d100 = tu_tv_ms(100), t50 = tu_tv_ms(50), t150 = tu_tv_ms(150);
	const struct timeval *c = event_base_init_common_timeout(base, &d100);
	static const int want[] = { 50, 100, 101, 102, 150 };
	struct event *ev[5];
	int i;

	start_clock();
	ev[0] = evtimer_new(base, fire_cb, (void *)150);
	ev[1] = evtimer_new(base, fire_cb, (void *)100);
	ev[2] = evtimer_new(base, fire_cb, (void *)50);
	ev[3] = evtimer_new(base, fire_cb, (void *)101);
	ev[4] = evtimer_new(base, fire_cb, (void *)102);
	cr_assert_eq(evtimer_add(ev[0], &t150), 0);
	cr_assert_eq(evtimer_add(ev[1], c), 0);
	cr_assert_eq(evtimer_add(ev[2], &t50), 0);
	cr_assert_eq(evtimer_add(ev[3], c), 0);
	cr_assert_eq(evtimer_add(ev[4], c), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 5);
	for (i = 0; i < 5; i++)
		cr_assert_eq(fire_id[i], want[i], "firing %d was %d, wanted %d",
		    i, fire_id[i], want[i]);
	for (i = 0; i < 5; i++)
		event_free(ev[i]);
	tu_base_free(base);
}

TU_BACKEND_TEST(timer, common_timeout_persistent, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval d = tu_tv_ms(20);
	const struct timeval *c = event_base_init_common_timeout(base, &d);
	struct event *t = event_new(base, -1, EV_PERSIST, stop_after_5_cb,
	    event_self_cbarg());

	start_clock();
	cr_assert_eq(event_add(t, c), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 5);
	assert_fired_near(4, 100, 10, 400);
	event_free(t);
	tu_base_free(base);
}

TU_BACKEND_TEST(timer, common_timeout_del_and_readd, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval d = tu_tv_ms(40), t10 = tu_tv_ms(10);
	const struct timeval *c = event_base_init_common_timeout(base, &d);
	struct event *ev[4];
	int i;

	start_clock();
	for (i = 0; i < 4; i++) {
		ev[i] = evtimer_new(base, fire_cb, (void *)(intptr_t)i);
		cr_assert_eq(evtimer_add(ev[i], c), 0);
	}
	/* Remove one from the middle of the queue, move another to the heap. */
	cr_assert_eq(evtimer_del(ev[1]), 0);
	cr_assert_eq(evtimer_add(ev[2], &t10), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 3);
	cr_assert_eq(fire_id[0], 2);
	cr_assert_eq(fire_id[1], 0);
	cr_assert_eq(fire_id[2], 3);
	for (i = 0; i < 4; i++)
		event_free(ev[i]);
	tu_base_free(base);
}

/* ---- ordering --------------------------------------------------------------- */

enum { N_ORDER = 100 };
static struct event *order_ev[N_ORDER];
static int order_perm[N_ORDER];

/*
 * Adds every timer from inside a callback, where the loop's cached time
 * gives all of them the same "now": deadlines then differ exactly by
 * their durations, whatever the clock's granularity or a preemption in
 * the middle of the adds.
 */
static int order_block_ms;

static void
add_all_cb(evutil_socket_t fd, short what, void *arg)
{
	int i;

	for (i = 0; i < N_ORDER; i++) {
		struct timeval tv = tu_tv_ms(5 + 2 * order_perm[i]);

		cr_assert_eq(evtimer_add(order_ev[i], &tv), 0);
	}
	if (order_block_ms)
		tu_sleep_ms(order_block_ms);
}

static void run_order_case(const char *method);

TU_BACKEND_TEST(timer, many_timers_fire_in_deadline_order, .timeout = 20)
{
	run_order_case(method);
}

/*
 * The callback that adds the timers then blocks until all of them are
 * overdue, so one loop iteration finds them all expired: they must still
 * run in deadline order (stock does; any second-stage activation, such
 * as a FIFO's own timer, must not let a later deadline overtake).
 */
TU_BACKEND_TEST(timer, overdue_timers_run_in_deadline_order, .timeout = 20)
{
	order_block_ms = 260;
	run_order_case(method);
}

static void
run_order_case(const char *method)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *starter = evtimer_new(base, add_all_cb, NULL);
	struct timeval zero = { 0, 0 };
	int i, j, tmp;
	unsigned seed = 12345;

	for (i = 0; i < N_ORDER; i++)
		order_perm[i] = i;
	for (i = N_ORDER - 1; i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		j = (int)((seed >> 8) % (unsigned)(i + 1));
		tmp = order_perm[i];
		order_perm[i] = order_perm[j];
		order_perm[j] = tmp;
	}
	/* Deadlines 2 ms apart, added in shuffled order. */
	for (i = 0; i < N_ORDER; i++)
		order_ev[i] = evtimer_new(base, fire_cb, (void *)(intptr_t)order_perm[i]);
	start_clock();
	cr_assert_eq(evtimer_add(starter, &zero), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, N_ORDER);
	for (i = 0; i < N_ORDER; i++)
		cr_assert_eq(fire_id[i], i, "firing %d was timer %d", i, fire_id[i]);
	for (i = 0; i < N_ORDER; i++)
		event_free(order_ev[i]);
	event_free(starter);
	tu_base_free(base);
}

TU_BACKEND_TEST(timer, many_timers_same_deadline, .timeout = 20)
{
	struct event_base *base = tu_base_new(method, 0);
	enum { N = 1000 };
	struct timeval tv = tu_tv_ms(10);
	struct event **ev = calloc(N, sizeof(*ev));
	int i;

	start_clock();
	for (i = 0; i < N; i++) {
		ev[i] = evtimer_new(base, fire_cb, (void *)(intptr_t)i);
		cr_assert_eq(evtimer_add(ev[i], &tv), 0);
	}
	/* Delete every third before the loop runs. */
	for (i = 0; i < N; i += 3)
		cr_assert_eq(evtimer_del(ev[i]), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, N - (N + 2) / 3);
	for (i = 0; i < n_fires; i++)
		cr_assert_neq(fire_id[i] % 3, 0, "deleted timer %d fired", fire_id[i]);
	cr_assert_lt(fire_ms[n_fires - 1], 2000.0);
	for (i = 0; i < N; i++)
		event_free(ev[i]);
	free(ev);
	tu_base_free(base);
}

/* ---- event_remove_timer ------------------------------------------------------ */

TU_BACKEND_TEST(timer, remove_timer_keeps_fd_interest, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t30 = tu_tv_ms(30), t120 = tu_tv_ms(120);
	struct event *ev, *probe;
	int fds[2];

	tu_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ, fire_cb, (void *)1);
	probe = evtimer_new(base, poke_cb, NULL);
	pfds[1] = fds[1];
	cr_assert_eq(event_add(ev, &t30), 0);
	cr_assert_eq(event_remove_timer(ev), 0);
	cr_assert_eq(event_pending(ev, EV_READ, NULL), EV_READ);
	cr_assert_eq(event_pending(ev, EV_TIMEOUT, NULL), 0);
	/* The probe writes at 120 ms, long after the removed 30 ms timeout. */
	start_clock();
	cr_assert_eq(evtimer_add(probe, &t120), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 1);
	cr_assert_eq(fire_what[0], EV_READ);
	cr_assert_geq(fire_ms[0], 100.0);
	event_free(ev);
	event_free(probe);
	tu_base_free(base);
}

TU_BACKEND_TEST(timer, remove_timer_on_pure_timer, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t20 = tu_tv_ms(20);
	struct event *t = evtimer_new(base, fire_cb, NULL);

	cr_assert_eq(evtimer_add(t, &t20), 0);
	cr_assert_eq(event_remove_timer(t), 0);
	cr_assert_eq(evtimer_pending(t, NULL), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 0);
	/* Harmless on an event without a timeout. */
	cr_assert_eq(event_remove_timer(t), 0);
	event_free(t);
	tu_base_free(base);
}

/* ---- accuracy ---------------------------------------------------------------- */

static void
run_accuracy(const char *method, int flags, double early)
{
	struct event_base *base = tu_base_new(method, flags);
	static const int ms[] = { 5, 25, 60, 120, 200 };
	struct event *ev[5];
	int i;

	start_clock();
	for (i = 0; i < 5; i++) {
		struct timeval tv = tu_tv_ms(ms[i]);

		ev[i] = evtimer_new(base, fire_cb, (void *)(intptr_t)ms[i]);
		cr_assert_eq(evtimer_add(ev[i], &tv), 0);
	}
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 5);
	for (i = 0; i < 5; i++) {
		cr_assert_eq(fire_id[i], ms[i]);
		assert_fired_near(i, ms[i], early, 80);
	}
	for (i = 0; i < 5; i++)
		event_free(ev[i]);
	tu_base_free(base);
}

TU_BACKEND_TEST(timer, accuracy, .timeout = 10)
{
	run_accuracy(method, 0, 8);
}

TU_BACKEND_TEST(timer, accuracy_precise_timer, .timeout = 10)
{
	/* With the precise clock a timer never fires early. */
	run_accuracy(method, EVENT_BASE_FLAG_PRECISE_TIMER, 0.5);
}

TU_BACKEND_TEST(timer, long_timeout_stays_pending, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval day = { 86400, 0 }, before, out;
	struct event *t = evtimer_new(base, fire_cb, NULL);
	double d;

	gettimeofday(&before, NULL);
	cr_assert_eq(evtimer_add(t, &day), 0);
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	cr_assert_eq(n_fires, 0);
	cr_assert_eq(evtimer_pending(t, &out), EV_TIMEOUT);
	d = tu_tv_diff_ms(&out, &before) / 1000.0;
	cr_assert(d > 86399 && d < 86401, "expiry in %.3f s", d);
	event_free(t);
	tu_base_free(base);
}

TU_BACKEND_TEST(timer, usec_normalised, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tv = { 0, 30000 };
	struct event ev;

	/* A stack event through evtimer_assign, 30 ms given in microseconds. */
	cr_assert_eq(evtimer_assign(&ev, base, fire_cb, NULL), 0);
	start_clock();
	cr_assert_eq(evtimer_add(&ev, &tv), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fires, 1);
	assert_fired_near(0, 30, 8, 250);
	tu_base_free(base);
}

/* ---- the base's clock (EXP-023) ----------------------------------------- */

static long long
usec_of(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long
usec_tv(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000 + tv->tv_usec;
}

/* Reads base's clock 200 times, each between two readings of clock id
 * taken around it, and returns how many readings were ahead of the coarse
 * clock read right after. */
static int
readings_within(struct event_base *base, clockid_t id, const char *name)
{
	struct timeval tv;
	int ahead_of_coarse = 0;

	for (int i = 0; i < 200; i++) {
		long long before = usec_of(id);
		cr_assert_eq(event_gettime_monotonic(base, &tv), 0);
		long long after = usec_of(id);
		cr_assert(before <= usec_tv(&tv) && usec_tv(&tv) <= after,
		    "reading %lld not within the %s clock's [%lld, %lld]",
		    usec_tv(&tv), name, before, after);
		if (usec_tv(&tv) > usec_of(CLOCK_MONOTONIC_COARSE))
			ahead_of_coarse++;
		usleep(97);
	}
	return ahead_of_coarse;
}

/* By default the base keeps time with the fastest monotonic clock, as
 * event.h documents and stock libevent does on Linux: the coarse one.
 * Each reading then lies between two coarse readings taken around it; a
 * base reading CLOCK_MONOTONIC would be ahead of the second one almost
 * every time (the coarse clock lags by up to a tick). */
Test(timer, default_base_uses_the_coarse_clock, .timeout = 10)
{
	struct event_base *base = event_base_new();
	readings_within(base, CLOCK_MONOTONIC_COARSE, "coarse");
	event_base_free(base);
}

/* EVENT_BASE_FLAG_PRECISE_TIMER: CLOCK_MONOTONIC, between two precise
 * readings taken around it, and ahead of the coarse clock most of the
 * time (which tells the two apart). */
Test(timer, precise_timer_flag_uses_the_precise_clock, .timeout = 10)
{
	struct event_config *cfg = event_config_new();
	cr_assert_eq(event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER), 0);
	struct event_base *base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	cr_assert_not_null(base);
	int ahead = readings_within(base, CLOCK_MONOTONIC, "precise");
	cr_assert_gt(ahead, 100, "only %d of 200 readings ahead of the coarse clock", ahead);
	event_base_free(base);
}
