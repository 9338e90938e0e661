/*
 * loop_epoll.c: event_base_loop's fast loop, for the common base (EXP-036).
 *
 * A base on epoll without a lock, dispatch limits or debug mode (decided
 * at creation: loop_fast), looped with flags 0 or EVLOOP_ONCE, spends
 * most iterations alike: nothing queued, no timer that could be due
 * before the next report (none at all, or a far deadline the timerfd
 * holds), and then one fd reported with one event on it.  Such an
 * iteration blocks for ever and runs that callback at once, as the
 * general loop's lone-report path would (EXP-026).  This file does just
 * that, in one function frame and without the general loop's
 * bookkeeping; on any other outcome it hands the call over to
 * event__loop_general at the point reached, so the loop's semantics stay
 * in one place (event_loop.c), and the general loop hands it back as soon
 * as an iteration qualifies again (EXP-040).  Every test this file makes
 * is one the general loop makes too: prepare_wait's "wait for ever?" and
 * event__may_run_direct's "run it at once?".
 */
#include "epoll-internal.h"
#include "event-internal.h"

int
event__loop_fast_allowed(const struct event_base *base)
{
	return base->evsel == &epollops && !base->th_base_lock &&
	    base->max_dispatch_time.tv_sec < 0 && base->max_dispatch_callbacks == INT_MAX &&
	    !event_debug_mode_on_;
}

_Static_assert((int)(uint32_t)TFD_DATA == -1, "the timerfd's tag must read as no fd");

/* The one report of a wait, if its callback may run at once: its fd's
 * interest (io), that fd's one event (*evp) and the event's result. */
static inline struct evmap_io *
lone_report(struct event_base *base, const struct epollop *op, struct event **evp,
    short *resp)
{
	/* The timerfd's tag (TFD_DATA) reads as fd -1: no entry, and the
	 * general loop takes the report. */
	uint64_t data = op->events[0].data.u64;
	struct evmap_io *io = evmap__io_reported(base, (int)(uint32_t)data,
	    (uint32_t)(data >> 32));
	if (!io || io->nevents != 1)
		return NULL;
	struct event *ev = LIST_FIRST(&io->events);
	if (!ev || !event__ev_may_run_direct(ev))
		return NULL;
	*resp = evmap__event_result(ev, epoll__from_events(op->events[0].events));
	*evp = ev;
	return *resp ? io : NULL;
}

/* Any other outcome of a wait: the backend takes the reports in as its
 * dispatch would, and the general loop goes on from there.  (The time
 * cache, cleared before the wait, is still empty unless a callback ran:
 * with no timer or a held one, taking reports in reads no clock.) */
static __attribute__((noinline)) int
after_wait(struct event_base *base, int n)
{
	if (epoll__reported(base, n) < 0) {
		event__clear_time_cache(base);
		base->running_loop = 0;
		return -1;
	}
	return LOOP_GO_AFTER_WAIT;
}

/* Fast iterations while they qualify: the call's result (the loop is
 * done and cleaned up), or where the general loop takes over. */
static inline int
fast_iterations(struct event_base *base, int flags)
{
	for (;;) {
		struct epollop *op = base->evbase;
		base->event_continue = 0;
		base->n_deferreds_queued = 0;
		event__clear_time_cache(base);
		if (base->n_changed)
			evmap__apply_changes(base);
		int n = epoll_wait(op->epfd, op->events, op->nevents, -1);
		struct event *ev;
		short res;
		struct evmap_io *io;
		if (__builtin_expect(n != 1, 0) || !(io = lone_report(base, op, &ev, &res)))
			return after_wait(base, n);
		op->busy = 1;
		int pri = ev->ev_pri;
		event__run_direct_(base, ev, res, io, 0); /* loop_fast: no lock */
		/* The callback may have changed anything (event_reinit
		 * replaces the backend state: op is fetched again). */
		if (N_ACTIVE_CALLBACKS(base)) {
			event__finish_direct(base, pri);
			if (N_ACTIVE_CALLBACKS(base))
				return LOOP_GO_TOP;
		}
		if ((flags & EVLOOP_ONCE) || base->event_gotterm || base->event_break)
			break;
		if (!epoll__loop_fast_ok(base))
			return LOOP_GO_TOP;
	}
	event__clear_time_cache(base);
	base->running_loop = 0;
	return 0;
}

/* The call runs here from start to end: fast iterations while they
 * qualify, the general loop for the others, handing the call back and
 * forth (a trampoline, so the stack stays flat however often). */
int
event__loop_fast(struct event_base *base, int flags)
{
	int r = LOOP_GO_FAST;
	if (base->running_loop || !epoll__loop_fast_ok(base)) {
		r = event__loop_general(base, flags, LOOP_START);
	} else {
		base->running_loop = 1;
		base->event_gotterm = base->event_break = 0;
	}
	while (r <= LOOP_GO_FAST) {
		if (r == LOOP_GO_FAST)
			r = fast_iterations(base, flags);
		else
			r = event__loop_general(base, flags,
			    r == LOOP_GO_TOP ? LOOP_TOP : LOOP_AFTER_WAIT);
	}
	return r;
}
