/*
 * test-badinput.c: misuse of the API.  The engine answers bad input with
 * an error return (-1 or NULL) and a warning through the log callback,
 * and never crashes, aborts or hangs.
 *
 * Stock libevent 2.1.12 is weaker here, and these tests say exactly
 * where (checked with a probe program against Debian's build):
 *   - it crashes on NULL bases for loop/dispatch/priority_init/reinit/
 *     get_method and on NULL events (add, del, active, pending, free,
 *     assign), and aborts on assigning a pending event in debug mode:
 *     those tests are TU_ENGINE_ONLY;
 *   - it accepts negative timeouts and fd -1 with EV_READ silently:
 *     TU_ENGINE_ONLY;
 *   - it returns the right error without a warning for loopbreak/
 *     loopexit/loopcontinue(NULL), event_base_once(NULL), out-of-range
 *     priorities and signal numbers: the return value is checked on both,
 *     the warning only on the engine (engine_warned()).
 * Set TU_STRICT=1 to hold stock to everything and watch it fail.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "testutil.h"

/* The warning half of a check that stock libevent passes silently. */
static void
engine_warned(const char *what)
{
	if (TU_ENGINE || tu_strict())
		tu_assert_warned(what);
	else
		tu_log_clear();
}

static void
noop_cb(evutil_socket_t fd, short what, void *arg)
{
}

static int n_cb;

static void
count_cb(evutil_socket_t fd, short what, void *arg)
{
	n_cb++;
}

/* ---- NULL base ------------------------------------------------------------- */

Test(badinput, null_base_loop_and_dispatch, .timeout = 10)
{
	TU_ENGINE_ONLY();	/* stock: SIGSEGV */
	tu_log_capture();
	cr_assert_eq(event_base_loop(NULL, 0), -1);
	tu_assert_warned("event_base_loop(NULL)");
	cr_assert_eq(event_base_loop(NULL, EVLOOP_NONBLOCK), -1);
	tu_assert_warned("event_base_loop(NULL, NONBLOCK)");
	cr_assert_eq(event_base_dispatch(NULL), -1);
	tu_assert_warned("event_base_dispatch(NULL)");
}

Test(badinput, null_base_loop_controls, .timeout = 10)
{
	struct timeval tv = tu_tv_ms(10);

	tu_log_capture();
	cr_assert_eq(event_base_loopbreak(NULL), -1);
	engine_warned("event_base_loopbreak(NULL)");
	cr_assert_eq(event_base_loopexit(NULL, NULL), -1);
	engine_warned("event_base_loopexit(NULL, NULL)");
	cr_assert_eq(event_base_loopexit(NULL, &tv), -1);
	engine_warned("event_base_loopexit(NULL, tv)");
	cr_assert_eq(event_base_loopcontinue(NULL), -1);
	engine_warned("event_base_loopcontinue(NULL)");
}

Test(badinput, null_base_once, .timeout = 10)
{
	tu_log_capture();
	cr_assert_eq(event_base_once(NULL, -1, EV_TIMEOUT, noop_cb, NULL, NULL), -1);
	engine_warned("event_base_once(NULL)");
}

Test(badinput, null_base_free_warns, .timeout = 10)
{
	tu_log_capture();
	event_base_free(NULL);
	tu_assert_warned("event_base_free(NULL)");
}

Test(badinput, null_base_priority_init_and_reinit, .timeout = 10)
{
	TU_ENGINE_ONLY();	/* stock: SIGSEGV */
	tu_log_capture();
	cr_assert_eq(event_base_priority_init(NULL, 2), -1);
	tu_assert_warned("event_base_priority_init(NULL)");
	cr_assert_eq(event_reinit(NULL), -1);
	tu_assert_warned("event_reinit(NULL)");
}

Test(badinput, null_base_queries, .timeout = 10)
{
	struct timeval d = tu_tv_ms(10);

	TU_ENGINE_ONLY();	/* stock: SIGSEGV / abort */
	tu_log_capture();
	cr_assert_null(event_base_get_method(NULL));
	tu_assert_warned("event_base_get_method(NULL)");
	cr_assert_null(event_base_init_common_timeout(NULL, &d));
	tu_assert_warned("event_base_init_common_timeout(NULL)");
	event_base_dump_events(NULL, stderr);
	tu_assert_warned("event_base_dump_events(NULL)");
	event_base_active_by_fd(NULL, 0, EV_READ);
	tu_assert_warned("event_base_active_by_fd(NULL)");
	cr_assert_eq(event_config_avoid_method(NULL, "epoll"), -1);
	tu_assert_warned("event_config_avoid_method(NULL)");
}

Test(badinput, event_without_base_cannot_be_added, .timeout = 10)
{
	struct event *ev;

	tu_log_capture();
	/* A NULL base is allowed at creation (event_base_set may follow)... */
	ev = event_new(NULL, -1, 0, noop_cb, NULL);
	cr_assert_not_null(ev);
	/* ...but not when adding. */
	cr_assert_eq(event_add(ev, NULL), -1);
	tu_assert_warned("event_add on an event without a base");
	event_free(ev);
}

/* ---- events that were never assigned, and NULL events ------------------------ */

TU_BACKEND_TEST(badinput, zeroed_event_rejected, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event ev;
	struct timeval tv = tu_tv_ms(10);

	memset(&ev, 0, sizeof(ev));
	cr_assert_eq(event_add(&ev, NULL), -1);
	tu_assert_warned("event_add on a never-assigned event");
	cr_assert_eq(event_add(&ev, &tv), -1);
	tu_assert_warned("event_add with timeout on a never-assigned event");
	cr_assert_eq(event_del(&ev), -1);
	tu_assert_warned("event_del on a never-assigned event");
	cr_assert_eq(event_remove_timer(&ev), -1);
	tu_assert_warned("event_remove_timer on a never-assigned event");
	cr_assert_eq(event_pending(&ev, EV_READ | EV_TIMEOUT, NULL), 0);
	tu_assert_warned("event_pending on a never-assigned event");
	cr_assert_eq(event_base_dispatch(base), 1);
	tu_base_free(base);
}

Test(badinput, debug_mode_unassigned_garbage_rejected, .timeout = 10)
{
	struct event_base *base;
	struct event ev;

	TU_ENGINE_ONLY();	/* stock: SIGSEGV even in debug mode */
	event_enable_debug_mode();
	base = tu_base_new("epoll", 0);
	memset(&ev, 0x5a, sizeof(ev));
	cr_assert_eq(event_add(&ev, NULL), -1);
	tu_assert_warned("event_add on garbage in debug mode");
	cr_assert_eq(event_del(&ev), -1);
	tu_assert_warned("event_del on garbage in debug mode");
	tu_base_free(base);
}

Test(badinput, null_event_pointers, .timeout = 10)
{
	TU_ENGINE_ONLY();	/* stock: SIGSEGV on each */
	tu_log_capture();
	cr_assert_eq(event_add(NULL, NULL), -1);
	tu_assert_warned("event_add(NULL)");
	cr_assert_eq(event_del(NULL), -1);
	tu_assert_warned("event_del(NULL)");
	cr_assert_eq(event_del_noblock(NULL), -1);
	tu_assert_warned("event_del_noblock(NULL)");
	cr_assert_eq(event_remove_timer(NULL), -1);
	tu_assert_warned("event_remove_timer(NULL)");
	event_active(NULL, EV_READ, 1);
	tu_assert_warned("event_active(NULL)");
	cr_assert_eq(event_pending(NULL, EV_READ, NULL), 0);
	tu_assert_warned("event_pending(NULL)");
	cr_assert_eq(event_assign(NULL, NULL, -1, 0, noop_cb, NULL), -1);
	tu_assert_warned("event_assign(NULL)");
	cr_assert_eq(event_finalize(0, NULL, NULL), -1);
	tu_assert_warned("event_finalize(NULL)");
	/* Freeing NULL is a no-op, like free(NULL). */
	event_free(NULL);
	tu_log_clear();
}

/* ---- assigning a pending event (debug mode) -------------------------------- */

static void
assign_pending_case(const char *method, int with_timeout)
{
	struct event_base *base;
	struct event ev;
	struct timeval tv = tu_tv_ms(20);
	int fds[2];

	TU_ENGINE_ONLY();	/* stock: abort() */
	event_enable_debug_mode();
	base = tu_base_new(method, 0);
	tu_socketpair(fds);
	cr_assert_eq(event_assign(&ev, base, fds[0], EV_READ, count_cb, NULL), 0);
	cr_assert_eq(event_add(&ev, with_timeout ? &tv : NULL), 0);
	cr_assert_eq(event_assign(&ev, base, fds[1], EV_WRITE, noop_cb, NULL), -1);
	tu_assert_warned("event_assign on a pending event");
	/* The refused assign left the event as it was: pending and working. */
	cr_assert_eq(event_get_fd(&ev), fds[0]);
	cr_assert_eq(event_pending(&ev, EV_READ, NULL), EV_READ);
	tu_write1(fds[1]);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_cb, 1);
	/* Not pending any more: assigning is fine now. */
	cr_assert_eq(event_assign(&ev, base, fds[1], EV_WRITE, noop_cb, NULL), 0);
	event_debug_unassign(&ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(badinput, debug_mode_assign_pending_event, .timeout = 10)
{
	assign_pending_case(method, 0);
}

TU_BACKEND_TEST(badinput, debug_mode_assign_pending_timer, .timeout = 10)
{
	assign_pending_case(method, 1);
}

TU_BACKEND_TEST(badinput, base_set_on_pending_event, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event_base *other = tu_base_new(method, 0);
	struct timeval tv = tu_tv_ms(60000);
	struct event *ev = evtimer_new(base, noop_cb, NULL);

	cr_assert_eq(evtimer_add(ev, &tv), 0);
	cr_assert_eq(event_base_set(other, ev), -1);
	tu_log_clear();
	cr_assert_eq(event_get_base(ev), base);
	event_free(ev);
	tu_base_free(other);
	tu_base_free(base);
}

/* ---- negative timeouts ------------------------------------------------------ */

TU_BACKEND_TEST(badinput, negative_timeouts_rejected, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval neg_sec = { -1, 0 }, neg_usec = { 0, -5 };
	struct event *t = evtimer_new(base, count_cb, NULL);
	int fds[2];
	struct event *r;

	TU_ENGINE_ONLY();	/* stock accepts and fires at once */
	tu_socketpair(fds);
	r = event_new(base, fds[0], EV_READ, count_cb, NULL);
	cr_assert_eq(evtimer_add(t, &neg_sec), -1);
	tu_assert_warned("negative tv_sec");
	cr_assert_eq(evtimer_add(t, &neg_usec), -1);
	tu_assert_warned("negative tv_usec");
	cr_assert_eq(event_add(r, &neg_sec), -1);
	tu_assert_warned("negative timeout on an fd event");
	cr_assert_eq(evtimer_pending(t, NULL), 0);
	cr_assert_eq(event_pending(r, EV_READ | EV_TIMEOUT, NULL), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_cb, 0);
	event_free(t);
	event_free(r);
	tu_base_free(base);
}

TU_BACKEND_TEST(badinput, negative_timeout_leaves_pending_event_alone, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval neg = { -1, 0 }, t20 = tu_tv_ms(20);
	struct event *t = evtimer_new(base, count_cb, NULL);

	TU_ENGINE_ONLY();
	cr_assert_eq(evtimer_add(t, &t20), 0);
	cr_assert_eq(evtimer_add(t, &neg), -1);
	tu_assert_warned("negative timeout on a pending event");
	cr_assert_eq(evtimer_pending(t, NULL), EV_TIMEOUT);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_cb, 1);
	event_free(t);
	tu_base_free(base);
}

/* ---- bad fds and signal numbers ---------------------------------------------- */

/* Either creation or adding must refuse, with a warning. */
static void
assert_refused(struct event_base *base, evutil_socket_t fd, short evs,
    const char *what)
{
	struct event *ev = event_new(base, fd, evs, count_cb, NULL);

	if (ev == NULL) {
		tu_assert_warned(what);
		return;
	}
	cr_assert_eq(event_add(ev, NULL), -1, "%s: event_add accepted it", what);
	tu_assert_warned(what);
	cr_assert_eq(event_pending(ev, EV_READ | EV_WRITE | EV_SIGNAL, NULL), 0);
	event_free(ev);
}

TU_BACKEND_TEST(badinput, fd_minus_one_with_read_or_write, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);

	TU_ENGINE_ONLY();	/* stock: event_add returns 0, silently */
	assert_refused(base, -1, EV_READ, "fd -1 with EV_READ");
	assert_refused(base, -1, EV_WRITE | EV_PERSIST, "fd -1 with EV_WRITE");
	assert_refused(base, -1, EV_CLOSED, "fd -1 with EV_CLOSED");
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_cb, 0);
	tu_base_free(base);
}

Test(badinput, closed_fd_rejected_by_epoll, .timeout = 10)
{
	struct event_base *base = tu_base_new("epoll", 0);
	struct event *ev;
	int fds[2], dead;

	tu_socketpair(fds);
	dead = fds[0];
	close(dead);
	ev = event_new(base, dead, EV_READ, count_cb, NULL);
	/* Stock answers at once: -1 and the failed epoll_ctl as a warning. */
	cr_assert_eq(event_add(ev, NULL), -1, "event_add on closed fd %d "
	    "returned 0 (stock: -1 with a warning)", dead);
	tu_assert_warned("event_add on a closed fd");
	event_free(ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(badinput, signal_with_io_flags_rejected, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event ev;

	cr_assert_null(event_new(base, SIGUSR1, EV_SIGNAL | EV_READ, noop_cb, NULL));
	tu_assert_warned("EV_SIGNAL|EV_READ");
	cr_assert_null(event_new(base, SIGUSR1, EV_SIGNAL | EV_WRITE, noop_cb, NULL));
	tu_assert_warned("EV_SIGNAL|EV_WRITE");
	cr_assert_eq(event_assign(&ev, base, SIGUSR1, EV_SIGNAL | EV_CLOSED,
	    noop_cb, NULL), -1);
	tu_assert_warned("EV_SIGNAL|EV_CLOSED");
	tu_base_free(base);
}

TU_BACKEND_TEST(badinput, signal_number_out_of_range, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	static const int bad[] = { -1, 0, 1000 };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct event *ev = event_new(base, bad[i], EV_SIGNAL, noop_cb, NULL);

		if (ev) {
			cr_assert_eq(event_add(ev, NULL), -1, "signal %d accepted",
			    bad[i]);
			event_free(ev);
		}
		engine_warned("signal number out of range");
	}
	/* SIGKILL cannot be caught. */
	{
		struct event *ev = event_new(base, SIGKILL, EV_SIGNAL, noop_cb, NULL);

		if (ev) {
			cr_assert_eq(event_add(ev, NULL), -1, "SIGKILL accepted");
			event_free(ev);
		}
		tu_log_clear();
	}
	tu_base_free(base);
}

TU_BACKEND_TEST(badinput, base_once_with_signal, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);

	cr_assert_eq(event_base_once(base, SIGUSR1, EV_SIGNAL, noop_cb, NULL, NULL), -1);
	engine_warned("event_base_once with EV_SIGNAL");
	cr_assert_eq(event_base_dispatch(base), 1);
	tu_base_free(base);
}

TU_BACKEND_TEST(badinput, active_by_bad_fd_or_signal_harmless, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);

	event_base_active_by_fd(base, -1, EV_READ);
	event_base_active_by_fd(base, 100000, EV_READ);
	event_base_active_by_signal(base, 1000);
	event_base_active_by_signal(base, -3);
	tu_log_clear();
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	tu_base_free(base);
}

/* ---- priorities out of range ------------------------------------------------- */

TU_BACKEND_TEST(badinput, event_priority_out_of_range, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev;

	cr_assert_eq(event_base_priority_init(base, 3), 0);
	ev = evtimer_new(base, count_cb, NULL);
	cr_assert_eq(event_priority_set(ev, -1), -1);
	engine_warned("priority -1");
	cr_assert_eq(event_priority_set(ev, 3), -1);
	engine_warned("priority == npriorities");
	cr_assert_eq(event_priority_set(ev, 300), -1);
	engine_warned("priority 300");
	/* The refused calls changed nothing. */
	cr_assert_eq(event_get_priority(ev), 1);
	event_active(ev, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_cb, 1);
	event_free(ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(badinput, base_priority_init_out_of_range, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);

	cr_assert_eq(event_base_priority_init(base, 0), -1);
	engine_warned("priority_init(0)");
	cr_assert_eq(event_base_priority_init(base, -1), -1);
	engine_warned("priority_init(-1)");
	cr_assert_eq(event_base_priority_init(base, EVENT_MAX_PRIORITIES + 1), -1);
	engine_warned("priority_init(MAX + 1)");
	cr_assert_eq(event_base_get_npriorities(base), 1);
	cr_assert_eq(event_base_priority_init(base, 2), 0);
	cr_assert_eq(event_base_get_npriorities(base), 2);
	tu_base_free(base);
}

TU_BACKEND_TEST(badinput, priority_changes_refused_while_active, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *ev;

	cr_assert_eq(event_base_priority_init(base, 3), 0);
	ev = evtimer_new(base, count_cb, NULL);
	event_active(ev, EV_TIMEOUT, 0);
	cr_assert_eq(event_priority_set(ev, 0), -1);
	cr_assert_eq(event_base_priority_init(base, 5), -1);
	tu_log_clear();
	cr_assert_eq(event_base_get_npriorities(base), 3);
	cr_assert_eq(event_get_priority(ev), 1);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_cb, 1);
	event_free(ev);
	tu_base_free(base);
}

/* ---- configuration ------------------------------------------------------------ */

Test(badinput, impossible_features_give_null_and_warning, .timeout = 10)
{
	struct event_config *cfg = event_config_new();

	tu_log_capture();
	cr_assert_eq(event_config_require_features(cfg, EV_FEATURE_O1 |
	    EV_FEATURE_FDS), 0);
	cr_assert_null(event_base_new_with_config(cfg));
	tu_assert_warned("no backend has O1 and FDS");
	event_config_free(cfg);
}

TU_BACKEND_TEST(badinput, foreach_with_null_callback, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);

	cr_assert_eq(event_base_foreach_event(base, NULL, NULL), -1);
	engine_warned("event_base_foreach_event with NULL callback");
	tu_base_free(base);
}

TU_BACKEND_TEST(badinput, common_timeout_null_duration, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);

	TU_ENGINE_ONLY();	/* stock: SIGSEGV */
	cr_assert_null(event_base_init_common_timeout(base, NULL));
	tu_assert_warned("event_base_init_common_timeout(base, NULL)");
	tu_base_free(base);
}

/* Debug mode checks the base's invariants after every loop iteration that
 * goes on to another, the common one (one lone I/O callback) included: a
 * callback that corrupts another pending event is caught as soon as it
 * returns. */
static struct event *victim;
static struct event_base *victim_base;
static int victim_wfd, corrupt_runs;

static void
corrupt_victim_cb(evutil_socket_t fd, short what, void *arg)
{
	tu_drain(fd);
	if (++corrupt_runs == 1) {
		victim->ev_evcallback.evcb_flags &= ~EVLIST_INSERTED;
		tu_write1(victim_wfd); /* one more iteration, if the check missed it */
	} else {
		event_base_loopbreak(victim_base);
	}
}

/* The fatal callback may not return: it jumps back into the test.  The
 * base is left as the check found it (not freed: the process ends). */
static jmp_buf fatal_jump;

static void
fatal_jump_back(int err)
{
	longjmp(fatal_jump, 1);
}

TU_BACKEND_TEST(badinput, debug_mode_checks_after_a_lone_callback, .timeout = 10)
{
	int p[2], q[2];

	TU_ENGINE_ONLY();	/* stock checks other things, differently */
	event_enable_debug_mode();
	event_set_fatal_callback(fatal_jump_back);
	struct event_base *base = tu_base_new(method, 0);
	tu_socketpair(p);
	tu_socketpair(q);
	struct event *r = event_new(base, p[0], EV_READ | EV_PERSIST, corrupt_victim_cb, NULL);
	victim = event_new(base, q[0], EV_READ, noop_cb, NULL);
	cr_assert_eq(event_add(r, NULL), 0);
	cr_assert_eq(event_add(victim, NULL), 0);
	victim_base = base;
	victim_wfd = p[1];
	tu_write1(p[1]);
	if (setjmp(fatal_jump) == 0) {
		event_base_dispatch(base);
		cr_assert_fail("the corrupted event went unnoticed");
	}
	cr_assert_eq(corrupt_runs, 1, "noticed only after %d callbacks", corrupt_runs);
	tu_log_clear();
}

/* event_base_loop from inside a callback of the same base is refused
 * (-1, warning): only one loop may run a base.  Tried from a lone I/O
 * callback with each flag value the fast loop takes. */
static struct event_base *nested_base;
static int nested_answers[2];

static void
nested_loop_cb(evutil_socket_t fd, short what, void *arg)
{
	tu_drain(fd);
	nested_answers[0] = event_base_loop(nested_base, EVLOOP_ONCE);
	nested_answers[1] = event_base_dispatch(nested_base);
}

TU_BACKEND_TEST(badinput, loop_inside_its_own_callback_refused, .timeout = 10)
{
	int p[2];

	nested_base = tu_base_new(method, 0);
	tu_socketpair(p);
	struct event *r = event_new(nested_base, p[0], EV_READ | EV_PERSIST, nested_loop_cb, NULL);
	cr_assert_eq(event_add(r, NULL), 0);
	tu_write1(p[1]);
	tu_write1(p[1]); /* a nested loop that ran would find this */
	cr_assert_eq(event_base_loop(nested_base, EVLOOP_ONCE), 0);
	cr_assert_eq(nested_answers[0], -1);
	cr_assert_eq(nested_answers[1], -1);
	tu_assert_warned("nested event_base_loop");
	event_free(r);
	tu_base_free(nested_base);
}
