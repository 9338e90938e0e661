/*
 * event_loop.c: event_base_loop and the running of callbacks.
 *
 * One iteration: decide how long to wait (zero if callbacks are already
 * active), apply the queued interest changes, wait in the backend, expire
 * timers, then run the most urgent non-empty activation queue.  Callbacks
 * run with the base lock released.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "epoll-internal.h"
#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

int
event_base_has_events(struct event_base *base)
{
	return base->event_count > 0 || base->virtual_event_count > 0;
}

/* Re-arms a persistent event's timeout before its callback runs.  Fired
 * by its timer, the next expiry follows the previous one (no drift);
 * fired by I/O, it counts from now.  Never earlier than now.  Only called
 * for an event with a timeout; kept out of line so that the common
 * persistent event without one runs through straight code. */
__attribute__((noinline)) void
event__persist_rearm(struct event_base *base, struct event *ev)
{
	struct timeval now, run_at, delay = ev->ev_io_timeout, tagged;
	/* Stay on the same FIFO: the user's common timeout, or the automatic
	 * one for this duration. */
	if (!event__is_common_timeout(&delay, base) && event__auto_fifo(base, &delay, &tagged))
		delay = tagged;
	int common = event__is_common_timeout(&delay, base);
	unsigned tag = common ? (delay.tv_usec & ~COMMON_TIMEOUT_MICROSECONDS_MASK) : 0;
	delay.tv_usec &= COMMON_TIMEOUT_MICROSECONDS_MASK;

	event__gettime(base, &now);
	if (ev->ev_res & EV_TIMEOUT) {
		struct timeval last = ev->ev_timeout;
		last.tv_usec &= COMMON_TIMEOUT_MICROSECONDS_MASK;
		evutil_timeradd(&last, &delay, &run_at);
		if (evutil_timercmp(&run_at, &now, <))
			evutil_timeradd(&now, &delay, &run_at);
	} else {
		evutil_timeradd(&now, &delay, &run_at);
	}
	run_at.tv_usec |= tag;
	struct timeval keep = ev->ev_io_timeout;
	event_add_nolock_(ev, &run_at, 1);
	ev->ev_io_timeout = keep;
}

/* Runs a signal event once per caught signal, stoppable by event_del. */
static __attribute__((cold, noinline)) void
run_signal(struct event_base *base, struct event *ev)
{
	short ncalls = ev->ev_ncalls;
	/* event_del() zeroes our counter through ev_pncalls (and clears the
	 * pointer), which stops the loop without touching ev again. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
	if (ncalls)
		ev->ev_pncalls = &ncalls;
#pragma GCC diagnostic pop
	EVBASE_RELEASE_LOCK(base);
	while (ncalls) {
		ncalls--;
		ev->ev_ncalls = ncalls;
		if (ncalls == 0)
			ev->ev_pncalls = NULL;
		ev->ev_callback(ev->ev_fd, ev->ev_res, ev->ev_arg);
		EVBASE_ACQUIRE_LOCK(base);
		int stop = base->event_break;
		EVBASE_RELEASE_LOCK(base);
		if (stop) {
			if (ncalls)
				ev->ev_pncalls = NULL;
			return;
		}
	}
}

/* The closures the hot path leaves out: signals and finalizers.  Called
 * with the lock held, returns with it released. */
static __attribute__((cold, noinline)) void
run_rare_closure(struct event_base *base, struct event_callback *evcb)
{
	struct event *ev = event_callback_to_event(evcb);
	switch (evcb->evcb_closure) {
	case EV_CLOSURE_EVENT_SIGNAL:
		run_signal(base, ev);
		break;
	case EV_CLOSURE_EVENT_FINALIZE:
	case EV_CLOSURE_EVENT_FINALIZE_FREE: {
		event_finalize_callback_fn cb = ev->ev_evcallback.evcb_cb_union.evcb_evfinalize;
		int free_it = evcb->evcb_closure == EV_CLOSURE_EVENT_FINALIZE_FREE;
		base->current_event = NULL;
		ev->ev_flags &= ~EVLIST_FINALIZING;
		EVBASE_RELEASE_LOCK(base);
		cb(ev, ev->ev_arg);
		event_debug__note_teardown(ev);
		if (free_it)
			mm_free(ev);
		break;
	}
	case EV_CLOSURE_CB_FINALIZE: {
		void (*cb)(struct event_callback *, void *) = evcb->evcb_cb_union.evcb_cbfinalize;
		base->current_event = NULL;
		evcb->evcb_flags &= ~EVLIST_FINALIZING;
		EVBASE_RELEASE_LOCK(base);
		cb(evcb, evcb->evcb_arg);
		break;
	}
	default:
		event_errx(1, "run_callback: unknown closure %d", evcb->evcb_closure);
	}
}

__attribute__((cold, noinline)) void
event__wake_del_waiters(struct event_base *base)
{
	base->current_event_waiters = 0;
	evthread__cond_signal(base->current_event_cond, 1);
}

/* Takes evcb off its queue (deleting a non-persistent event) and runs it.
 * Called and returns with the lock held; releases it around the call. */
static inline void
run_callback(struct event_base *base, struct event_callback *evcb)
{
	struct event *ev = event_callback_to_event(evcb);
	int closure = evcb->evcb_closure;
	/* ev is only an event when EVLIST_INIT says so (deferred callbacks
	 * are bare event_callbacks): test that first. */
	if ((evcb->evcb_flags & (EVLIST_INIT | EVLIST_FINALIZING)) == EVLIST_INIT &&
	    !(ev->ev_events & EV_PERSIST))
		event_del_nolock_(ev, EVENT_DEL_NOBLOCK);
	else
		event__queue_remove_active(base, evcb);
	base->current_event = evcb;
	base->current_event_waiters = 0;

	if (__builtin_expect(closure == EV_CLOSURE_CB_SELF, 0)) {
		deferred_cb_fn cb = evcb->evcb_cb_union.evcb_selfcb;
		EVBASE_RELEASE_LOCK(base);
		cb(evcb, evcb->evcb_arg);
	} else if (closure <= EV_CLOSURE_EVENT_PERSIST && closure != EV_CLOSURE_EVENT_SIGNAL) {
		event__call_event(base, ev);
	} else {
		run_rare_closure(base, evcb);
	}
	event__end_callback(base);
}

/* Has the dispatch-interval limit been reached? */
static __attribute__((noinline)) int
over_limit(struct event_base *base, int count, const struct timeval *endtime)
{
	if (count >= base->max_dispatch_callbacks)
		return 1;
	if (endtime) {
		struct timeval now;
		event__monotonic_now(base->precise_clock, &now);
		if (evutil_timercmp(&now, endtime, >=))
			return 1;
	}
	return 0;
}

/* Runs queue q.  Returns the number of non-internal callbacks run, or -1
 * when a loopbreak stopped it. */
static inline int
process_queue(struct event_base *base, struct evcallback_list *q, int limited,
    const struct timeval *endtime)
{
	int count = 0;
	struct event_callback *evcb;
	while ((evcb = TAILQ_FIRST(q))) {
		if (!(evcb->evcb_flags & EVLIST_INTERNAL))
			count++;
		run_callback(base, evcb);
		if (__builtin_expect(base->event_break, 0))
			return -1;
		if (__builtin_expect(limited, 0) && over_limit(base, count, endtime))
			return count;
		if (__builtin_expect(base->event_continue, 0))
			break;
	}
	return count;
}

static __attribute__((noinline)) struct timeval *
dispatch_deadline(struct event_base *base, struct timeval *buf)
{
	event__monotonic_now(base->precise_clock, buf);
	evutil_timeradd(buf, &base->max_dispatch_time, buf);
	return buf;
}

/* process_active under a dispatch limit (event_config_set_max_dispatch_
 * interval): the general version. */
static __attribute__((noinline)) int
process_active_limited(struct event_base *base)
{
	struct timeval endtime_buf, *endtime = NULL;
	int c = 0;

	if (base->max_dispatch_time.tv_sec >= 0)
		endtime = dispatch_deadline(base, &endtime_buf);
	for (int i = 0; i < base->nactivequeues; i++) {
		if (TAILQ_EMPTY(&base->activequeues[i]))
			continue;
		base->event_running_priority = i;
		int limited = i >= base->limit_callbacks_after_prio;
		c = process_queue(base, &base->activequeues[i], limited,
		    limited ? endtime : NULL);
		if (c != 0)
			break; /* real work done (or a break): poll again first */
	}
	base->event_running_priority = -1;
	return c;
}

/* Runs the most urgent callbacks.  Returns the number of non-internal
 * callbacks run, or -1 after a loopbreak.  Without a dispatch limit (the
 * default) no limit test is compiled into the loop (EXP-016). */
static inline int
process_active(struct event_base *base)
{
	if (__builtin_expect(base->max_dispatch_time.tv_sec >= 0 ||
	    base->max_dispatch_callbacks != INT_MAX, 0))
		return process_active_limited(base);
	int c = 0;
	for (int i = 0; i < base->nactivequeues; i++) {
		struct evcallback_list *q = &base->activequeues[i];
		if (TAILQ_EMPTY(q))
			continue;
		base->event_running_priority = i;
		c = process_queue(base, q, 0, NULL);
		if (c != 0)
			break; /* real work done (or a break): poll again first */
	}
	base->event_running_priority = -1;
	return c;
}

/* The rest of an iteration whose callback ran at once from the report
 * loop, as process_active would have continued after it: the callbacks
 * queued meanwhile at its priority, unless it asked for a break or more
 * urgent work arrived.  (process_active's count would be nonzero either
 * way, which is all EVLOOP_ONCE asks.) */
static inline void
finish_direct(struct event_base *base, int pri)
{
	/* The count first: it sits on the base's first line, the queue heads
	 * in an array of their own that the common case need not touch. */
	if (base->event_break || base->event_continue || !N_ACTIVE_CALLBACKS(base))
		return;
	struct evcallback_list *q = &base->activequeues[pri];
	if (TAILQ_EMPTY(q))
		return;
	base->event_running_priority = pri;
	process_queue(base, q, 0, NULL);
	base->event_running_priority = -1;
}

void
event__finish_direct(struct event_base *base, int pri)
{
	finish_direct(base, pri);
}

/* Before a wait that is not simply "I/O only, forever": moves the
 * next-iteration callbacks onto the active queues and computes how long
 * the backend may block (*tv_p, NULL for ever).  -1 on failure. */
static __attribute__((noinline)) int
prepare_wait(struct event_base *base, int flags, struct timeval *tv,
    struct timeval **tv_p)
{
	*tv_p = tv;
	if (N_ACTIVE_CALLBACKS(base) || (flags & EVLOOP_NONBLOCK) ||
	    !TAILQ_EMPTY(&base->active_later_queue))
		evutil_timerclear(tv);
	else if (event__deadline_held(base))
		*tv_p = NULL; /* the backend's timer wakes us: no clock read */
	else if (event__timeout_next(base, tv_p) < 0)
		return -1;
	struct event_callback *evcb;
	while ((evcb = TAILQ_FIRST(&base->active_later_queue))) {
		TAILQ_REMOVE(&base->active_later_queue, evcb, evcb_active_next);
		/* Still in a list either way: the counts do not change. */
		evcb->evcb_flags = (evcb->evcb_flags & ~EVLIST_ACTIVE_LATER) | EVLIST_ACTIVE;
		TAILQ_INSERT_TAIL(&base->activequeues[evcb->evcb_pri], evcb, evcb_active_next);
	}
	return 0;
}

/* One wait in the backend, with the changes applied first. */
static inline int
wait_once(struct event_base *base, int flags)
{
	struct timeval tv, *tv_p = NULL; /* no timer, nothing queued: I/O only */

	if (__builtin_expect(N_ACTIVE_CALLBACKS(base) || (flags & EVLOOP_NONBLOCK) ||
	    !TAILQ_EMPTY(&base->active_later_queue) || base->timeheap.n, 0) &&
	    prepare_wait(base, flags, &tv, &tv_p) < 0)
		return -1;
	event__clear_time_cache(base);
	if (base->n_changed && evmap__apply_changes(base) < 0) {
		/* Logged by the backend; events on a bad fd simply never fire,
		 * as with a direct epoll_ctl failure in libevent. */
	}
	int r = base->evsel->dispatch(base, tv_p);
	/* After a callback ran at once, the time it saw stays this
	 * iteration's, as the queue would have kept it. */
	if (!base->ran_direct)
		event__update_time_cache(base);
	return r;
}

static __attribute__((cold, noinline)) int
loop_refused(struct event_base *base)
{
	if (!base) {
		event_warnx("event_base_loop: no event base");
		return -1;
	}
	event_warnx("event_base_loop: reentrant invocation; only one "
	    "event_base_loop can run on a base at once");
	EVBASE_RELEASE_LOCK(base);
	return -1;
}

/* A failed event_reinit left the base without its backend. */
static __attribute__((cold, noinline)) int
loop_no_backend(struct event_base *base)
{
	event_warnx("event_base_loop: the base has no backend (event_reinit failed)");
	EVBASE_RELEASE_LOCK(base);
	return -1;
}

/* What follows a wait in the general loop: the direct callback's
 * remainder, or the expiry pass and the most urgent queue.  1 when the
 * loop is done. */
static inline __attribute__((always_inline)) int
after_wait(struct event_base *base, int flags)
{
	if (base->ran_direct) {
		/* No timer pass: none had expired when the callback
		 * started, and the queue would have run it first. */
		int pri = base->ran_direct - 1;
		base->ran_direct = 0;
		finish_direct(base, pri);
		if ((flags & EVLOOP_ONCE) && N_ACTIVE_CALLBACKS(base) == 0)
			return 1;
	} else {
		if (base->timeheap.n && !event__deadline_held(base))
			event__timeout_process(base);
		if (N_ACTIVE_CALLBACKS(base)) {
			int n = process_active(base);
			if ((flags & EVLOOP_ONCE) && N_ACTIVE_CALLBACKS(base) == 0 && n != 0)
				return 1;
		} else if (flags & EVLOOP_NONBLOCK) {
			return 1;
		}
	}
	if (__builtin_expect(event_debug_mode_on_, 0))
		event_base_assert_ok_nolock_(base);
	return 0;
}

/* The general loop's iterations: event_base_loop's result, or
 * LOOP_GO_FAST when the fast loop can take the next iteration (a base
 * with loop_fast, looped with flags 0 or EVLOOP_ONCE: the call then runs
 * in event__loop_fast's trampoline). */
static inline __attribute__((always_inline)) int
iterate(struct event_base *base, int flags)
{
	int may_go_fast = base->loop_fast && !(flags & ~EVLOOP_ONCE);
	for (;;) {
		base->event_continue = 0;
		base->n_deferreds_queued = 0;
		if (__builtin_expect(base->event_gotterm || base->event_break, 0))
			return 0;
		if (__builtin_expect(!(flags & EVLOOP_NO_EXIT_ON_EMPTY) &&
		    !event_base_has_events(base) &&
		    TAILQ_EMPTY(&base->active_later_queue), 0)) {
			event_debug(("event_base_loop: no events registered"));
			return 1;
		}
		if (may_go_fast && epoll__loop_fast_ok(base))
			return LOOP_GO_FAST;
		if (__builtin_expect(wait_once(base, flags) < 0, 0))
			return -1;
		if (after_wait(base, flags))
			return 0;
	}
}

/* The general loop.  LOOP_START is a new call; LOOP_TOP and
 * LOOP_AFTER_WAIT continue a call that the fast loop (loop_epoll.c) runs
 * on a base without a lock: running_loop and the stop flags are set up,
 * and LOOP_AFTER_WAIT comes with a wait's reports already taken in.  The
 * iterations are one loop without entry tests (the ping-pong, which runs
 * mostly here, felt a loop that had them: EXP-036). */
__attribute__((noinline)) int
event__loop_general(struct event_base *base, int flags, int entry)
{
	int retval = 0;

	if (entry == LOOP_START) {
		if (__builtin_expect(!base, 0))
			return loop_refused(NULL);
		EVBASE_ACQUIRE_LOCK(base);
		if (__builtin_expect(base->running_loop, 0))
			return loop_refused(base);
		if (__builtin_expect(!base->evbase, 0))
			return loop_no_backend(base);
		base->running_loop = 1;
		event__clear_time_cache(base);
		if (base->th_base_lock) /* only EVBASE_IN_THREAD reads it, with a lock */
			base->th_owner_id = evthread__id();
		base->event_gotterm = base->event_break = 0;
	}
	if (entry != LOOP_AFTER_WAIT || !after_wait(base, flags)) {
		retval = iterate(base, flags);
		if (retval == LOOP_GO_FAST)
			return retval; /* the call goes on in the fast loop */
	}
	event__clear_time_cache(base);
	base->running_loop = 0;
	EVBASE_RELEASE_LOCK(base);
	return retval;
}

int
event_base_loop(struct event_base *base, int flags)
{
	if (__builtin_expect(!base, 0))
		base = event__current_base();
	/* One test, and the common loop runs without the general one's
	 * bookkeeping (EXP-036). */
	if (__builtin_expect(base && base->loop_fast && !(flags & ~EVLOOP_ONCE), 1))
		return event__loop_fast(base, flags);
	return event__loop_general(base, flags, LOOP_START);
}

int
event_base_dispatch(struct event_base *base)
{
	return event_base_loop(base, 0);
}

/* ---- stopping ------------------------------------------------------------- */

static void
loopexit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event_base *base = arg;
	base->event_gotterm = 1;
}

int
event_base_loopexit(struct event_base *base, const struct timeval *tv)
{
	if (!base)
		base = event__current_base();
	if (!base) {
		event_warnx("event_base_loopexit: no event base");
		return -1;
	}
	return event_base_once(base, -1, EV_TIMEOUT, loopexit_cb, base, tv);
}

static int
set_loop_flag(struct event_base *base, int *flag, const char *what)
{
	if (!base)
		base = event__current_base();
	if (!base) {
		event_warnx("%s: no event base", what);
		return -1;
	}
	EVBASE_ACQUIRE_LOCK(base);
	if (flag == NULL)
		base->event_break = 1;
	else
		base->event_continue = 1;
	if (EVBASE_NEED_NOTIFY(base))
		base->th_notify_fn(base);
	EVBASE_RELEASE_LOCK(base);
	return 0;
}

int
event_base_loopbreak(struct event_base *base)
{
	return set_loop_flag(base, NULL, "event_base_loopbreak");
}

int
event_base_loopcontinue(struct event_base *base)
{
	static int token;
	return set_loop_flag(base, &token, "event_base_loopcontinue");
}

static int
get_loop_flag(struct event_base *base, int which)
{
	if (!base)
		base = event__current_base();
	if (!base)
		return -1;
	EVBASE_ACQUIRE_LOCK(base);
	int r = which ? base->event_break : base->event_gotterm;
	EVBASE_RELEASE_LOCK(base);
	return r;
}

int
event_base_got_exit(struct event_base *base)
{
	return get_loop_flag(base, 0);
}

int
event_base_got_break(struct event_base *base)
{
	return get_loop_flag(base, 1);
}

struct event *
event_base_get_running_event(struct event_base *base)
{
	if (!base)
		base = event__current_base();
	if (!base)
		return NULL;
	struct event *ev = NULL;
	EVBASE_ACQUIRE_LOCK(base);
	if (EVBASE_IN_THREAD(base) && base->current_event &&
	    (base->current_event->evcb_flags & EVLIST_INIT))
		ev = event_callback_to_event(base->current_event);
	EVBASE_RELEASE_LOCK(base);
	return ev;
}
