/*
 * event.c: events themselves: assignment, add, delete, activation, the
 * activation queues, deferred callbacks, finalizers and accessors.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"
#include <event2/event_compat.h>

/* Stands for "the event itself" as a callback argument. */
static char self_cbarg_token;

void *
event_self_cbarg(void)
{
	return &self_cbarg_token;
}

/* ---- assignment ---------------------------------------------------------- */

int
event_assign(struct event *ev, struct event_base *base, evutil_socket_t fd,
    short events, event_callback_fn callback, void *arg)
{
	if (!ev) {
		event_warnx("event_assign: NULL event");
		return -1;
	}
	/* A NULL base (and no global one) is allowed: 1.x programs call
	 * event_set() first and event_base_set() afterwards. */
	if (!base)
		base = event__current_base();
	if (arg == &self_cbarg_token)
		arg = ev;
	if ((events & EV_SIGNAL) && (events & (EV_READ | EV_WRITE | EV_CLOSED))) {
		event_warnx("event_assign: EV_SIGNAL is not compatible with "
		    "EV_READ, EV_WRITE or EV_CLOSED");
		return -1;
	}
	if (event_debug__assert_not_added(ev) < 0)
		return -1;

	ev->ev_base = base;
	ev->ev_callback = callback;
	ev->ev_arg = arg;
	ev->ev_fd = fd;
	ev->ev_events = events;
	ev->ev_res = 0;
	ev->ev_flags = EVLIST_INIT;
	ev->ev_ncalls = 0;
	ev->ev_pncalls = NULL;
	if (events & EV_SIGNAL)
		ev->ev_closure = EV_CLOSURE_EVENT_SIGNAL;
	else if (events & EV_PERSIST) {
		evutil_timerclear(&ev->ev_io_timeout);
		ev->ev_closure = EV_CLOSURE_EVENT_PERSIST;
	} else
		ev->ev_closure = EV_CLOSURE_EVENT;
	min_heap_elem_init_(ev);
	ev->ev_pri = base ? base->nactivequeues / 2 : 0;
	event_debug__note_setup(ev);
	return 0;
}

int
event_base_set(struct event_base *base, struct event *ev)
{
	if (!base || !ev) {
		event_warnx("event_base_set: NULL argument");
		return -1;
	}
	if (ev->ev_flags != EVLIST_INIT) {
		event_warnx("event_base_set: event is pending, active or not assigned");
		return -1;
	}
	if (event_debug__assert_is_setup(ev, "event_base_set") < 0)
		return -1;
	ev->ev_base = base;
	ev->ev_pri = base->nactivequeues / 2;
	return 0;
}

void
event_set(struct event *ev, evutil_socket_t fd, short events,
    void (*callback)(evutil_socket_t, short, void *), void *arg)
{
	event_assign(ev, event__current_base(), fd, events, callback, arg);
}

struct event *
event_new(struct event_base *base, evutil_socket_t fd, short events,
    event_callback_fn cb, void *arg)
{
	struct event *ev = mm_malloc(sizeof(*ev));
	if (!ev) {
		event_warn("event_new: malloc");
		return NULL;
	}
	memset(ev, 0, sizeof(*ev));
	if (event_assign(ev, base, fd, events, cb, arg) < 0) {
		mm_free(ev);
		return NULL;
	}
	return ev;
}

void
event_free(struct event *ev)
{
	if (!ev)
		return;
	if (event_debug__assert_is_setup(ev, "event_free") < 0)
		return;
	if (ev->ev_base)
		event_del(ev);
	event_debug__note_teardown(ev);
	mm_free(ev);
}

void
event_debug_unassign(struct event *ev)
{
	if (!ev)
		return;
	if (ev->ev_flags & ~EVLIST_INIT)
		event_warnx("event_debug_unassign: event %p is still pending or active",
		    (void *)ev);
	event_debug__note_teardown(ev);
	ev->ev_flags &= ~EVLIST_INIT;
}

int
event_priority_set(struct event *ev, int pri)
{
	if (!ev || event_debug__assert_is_setup(ev, "event_priority_set") < 0)
		return -1;
	if (!ev->ev_base) {
		event_warnx("event_priority_set: event has no base");
		return -1;
	}
	if (ev->ev_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) {
		event_warnx("event_priority_set: event is active");
		return -1;
	}
	if (pri < 0 || pri >= ev->ev_base->nactivequeues) {
		event_warnx("event_priority_set: priority %d out of range [0, %d)",
		    pri, ev->ev_base->nactivequeues);
		return -1;
	}
	ev->ev_pri = (ev_uint8_t)pri;
	return 0;
}

/* ---- counting ------------------------------------------------------------ */

/* EVENT_BASE_COUNT_ADDED: see EVLIST_COUNTED in event-internal.h. */
static void
update_flags(struct event_base *base, struct event_callback *evcb, int set, int clear)
{
	int before = evcb->evcb_flags;
	int after = (before | set) & ~clear;
	evcb->evcb_flags = (short)after;
	if (after & EVLIST_INTERNAL)
		return;
	int was = (before & EVLIST_COUNTED) != 0, is = (after & EVLIST_COUNTED) != 0;
	if (was != is) {
		base->event_count += is ? 1 : -1;
		if (base->event_count > base->event_count_max)
			base->event_count_max = base->event_count;
	}
}

static void
set_flags(struct event_base *base, struct event *ev, int set, int clear)
{
	update_flags(base, event_to_event_callback(ev), set, clear);
}

/* ---- activation queues -------------------------------------------------- */

/* Tracks the queued callbacks: all of them for the loop, the
 * non-internal ones for EVENT_BASE_COUNT_ACTIVE. */
static void
count_active(struct event_base *base, struct event_callback *evcb, int delta)
{
	base->n_queued_callbacks += delta;
	if (evcb->evcb_flags & EVLIST_INTERNAL)
		return;
	base->event_count_active += delta;
	if (base->event_count_active > base->event_count_active_max)
		base->event_count_active_max = base->event_count_active;
}

void
event_queue_remove_active(struct event_base *base, struct event_callback *evcb)
{
	event__queue_remove_active(base, evcb);
}

void
event_queue_remove_active_later(struct event_base *base, struct event_callback *evcb)
{
	update_flags(base, evcb, 0, EVLIST_ACTIVE_LATER);
	count_active(base, evcb, -1);
	TAILQ_REMOVE(&base->active_later_queue, evcb, evcb_active_next);
}

/* Returns 1 if evcb was queued now, 0 if it already was. */
int
event_callback_activate_nolock_(struct event_base *base, struct event_callback *evcb)
{
	if (evcb->evcb_flags & EVLIST_FINALIZING && evcb->evcb_closure < EV_CLOSURE_CB_FINALIZE)
		return 0;
	if (evcb->evcb_flags & EVLIST_ACTIVE)
		return 0;
	if (evcb->evcb_flags & EVLIST_ACTIVE_LATER) {
		/* Already queued, for the next iteration: run it in this one
		 * instead.  Not a new queueing (callers count references on
		 * our answer: one run, one reference). */
		event_queue_remove_active_later(base, evcb);
		event__queue_insert_active(base, evcb);
		return 0;
	}
	event__queue_insert_active(base, evcb);
	event_base_notify_if_needed(base);
	return 1;
}

void
event_callback_activate_later_nolock_(struct event_base *base, struct event_callback *evcb)
{
	if (evcb->evcb_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER))
		return;
	update_flags(base, evcb, EVLIST_ACTIVE_LATER, 0);
	count_active(base, evcb, 1);
	TAILQ_INSERT_TAIL(&base->active_later_queue, evcb, evcb_active_next);
	event_base_notify_if_needed(base);
}

int
event_callback_cancel_nolock_(struct event_base *base, struct event_callback *evcb,
    int even_if_finalizing)
{
	if ((evcb->evcb_flags & EVLIST_FINALIZING) && !even_if_finalizing)
		return 0;
	if (evcb->evcb_flags & EVLIST_INIT)
		return event_del_nolock_(event_callback_to_event(evcb),
		    even_if_finalizing ? EVENT_DEL_EVEN_IF_FINALIZING : EVENT_DEL_AUTOBLOCK);
	if (evcb->evcb_flags & EVLIST_ACTIVE) {
		event_queue_remove_active(base, evcb);
		return 1;
	}
	if (evcb->evcb_flags & EVLIST_ACTIVE_LATER) {
		event_queue_remove_active_later(base, evcb);
		return 1;
	}
	return 0;
}

/* ---- deferred callbacks (defer-internal.h) ------------------------------ */

void
event_deferred_cb_init_(struct event_callback *cb, ev_uint8_t priority,
    deferred_cb_fn fn, void *arg)
{
	memset(cb, 0, sizeof(*cb));
	cb->evcb_cb_union.evcb_selfcb = fn;
	cb->evcb_arg = arg;
	cb->evcb_pri = priority;
	cb->evcb_closure = EV_CLOSURE_CB_SELF;
}

void
event_deferred_cb_set_priority_(struct event_callback *cb, ev_uint8_t priority)
{
	cb->evcb_pri = priority;
}

/* The general case of event_deferred_cb_schedule_: already queued,
 * finalizing, rescheduling itself, a clamped priority, or a loop another
 * thread may need to wake. */
static __attribute__((noinline)) int
schedule_slow(struct event_base *base, struct event_callback *cb)
{
	if (cb->evcb_pri >= base->nactivequeues)
		cb->evcb_pri = (ev_uint8_t)(base->nactivequeues - 1);
	/* A callback rescheduling itself waits for the next iteration, so it
	 * cannot starve I/O. */
	if (base->current_event == cb) {
		int r = !(cb->evcb_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER));
		event_callback_activate_later_nolock_(base, cb);
		return r;
	}
	return event_callback_activate_nolock_(base, cb);
}

int
event_deferred_cb_schedule_(struct event_base *base, struct event_callback *cb)
{
	if (!base)
		return 0;
	int r = 1;
	EVBASE_ACQUIRE_LOCK(base);
	/* The common case straight (EXP-016): idle, in range, not the running
	 * callback, no other thread to wake. */
	if (__builtin_expect(!(cb->evcb_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER |
	    EVLIST_FINALIZING)) && cb->evcb_pri < base->nactivequeues &&
	    base->current_event != cb && !base->th_notify_fn, 1))
		event__queue_insert_active(base, cb);
	else
		r = schedule_slow(base, cb);
	EVBASE_RELEASE_LOCK(base);
	return r;
}

int
event_deferred_cb_cancel_(struct event_base *base, struct event_callback *cb)
{
	if (!base)
		return 0;
	EVBASE_ACQUIRE_LOCK(base);
	int r = event_callback_cancel_nolock_(base, cb, 1);
	EVBASE_RELEASE_LOCK(base);
	return r;
}

/* ---- add ----------------------------------------------------------------- */

static int
check_timeout(const struct timeval *tv, const struct event_base *base)
{
	if (!tv)
		return 0;
	if (event__is_common_timeout(tv, base))
		return 0;
	if (tv->tv_sec < 0 || tv->tv_usec < 0) {
		event_warnx("event_add: negative timeout {%ld, %ld}",
		    (long)tv->tv_sec, (long)tv->tv_usec);
		return -1;
	}
	return 0;
}

/* Computes the absolute (monotonic) expiry of a relative timeout. */
/* The FIFO ev used last time, if it is the FIFO of duration tv: an event
 * re-added with the same timeout (the common case) finds its FIFO without
 * the duration lookup (EXP-013).  ev_timeout keeps its tag after expiry;
 * the duration is checked, so a stale or garbage tag is harmless. */
static int
same_fifo_as_before(struct event_base *base, const struct event *ev,
    const struct timeval *tv, struct timeval *tagged)
{
	if (!event__is_common_timeout(&ev->ev_timeout, base))
		return 0;
	int idx = (ev->ev_timeout.tv_usec & COMMON_TIMEOUT_IDX_MASK) >> COMMON_TIMEOUT_IDX_SHIFT;
	const struct timeval *d = &base->common_timeout_queues[idx]->duration;
	if (d->tv_sec != tv->tv_sec ||
	    (d->tv_usec & COMMON_TIMEOUT_MICROSECONDS_MASK) != tv->tv_usec)
		return 0;
	*tagged = *d;
	return 1;
}

static void
absolute_expiry(struct event_base *base, const struct event *ev,
    const struct timeval *tv, struct timeval *out)
{
	struct timeval now, rel = *tv, tagged;
	event__gettime(base, &now);
	if (!event__is_common_timeout(tv, base) &&
	    (same_fifo_as_before(base, ev, tv, &tagged) || event__auto_fifo(base, tv, &tagged)))
		tv = &tagged;
	if (event__is_common_timeout(tv, base)) {
		rel = *tv;
		rel.tv_usec &= COMMON_TIMEOUT_MICROSECONDS_MASK;
		evutil_timeradd(&now, &rel, out);
		out->tv_usec |= tv->tv_usec & ~COMMON_TIMEOUT_MICROSECONDS_MASK;
		return;
	}
	rel.tv_sec += rel.tv_usec / 1000000;
	rel.tv_usec %= 1000000;
	evutil_timeradd(&now, &rel, out);
}

static int
add_interest(struct event_base *base, struct event *ev)
{
	int r;
	if (ev->ev_events & EV_SIGNAL)
		r = evmap__signal_add(base, ev->ev_fd, ev);
	else
		r = evmap__io_add(base, ev->ev_fd, ev);
	if (r == 0)
		set_flags(base, ev, EVLIST_INSERTED, 0);
	return r;
}

static void
set_timeout(struct event_base *base, struct event *ev, const struct timeval *tv,
    int tv_is_absolute)
{
	if (ev->ev_flags & EVLIST_TIMEOUT) {
		event__timer_remove(base, ev);
		set_flags(base, ev, 0, EVLIST_TIMEOUT);
	}
	/* An event already active because of its timeout is re-armed, not
	 * run: the new timeout replaces the one that fired. */
	if ((ev->ev_flags & EVLIST_ACTIVE) && (ev->ev_res & EV_TIMEOUT)) {
		if ((ev->ev_events & EV_SIGNAL) && ev->ev_pncalls) {
			*ev->ev_pncalls = 0;
			ev->ev_pncalls = NULL;
		}
		event_queue_remove_active(base, event_to_event_callback(ev));
	}
	if (tv_is_absolute)
		ev->ev_timeout = *tv;
	else
		absolute_expiry(base, ev, tv, &ev->ev_timeout);
	event__timer_insert(base, ev);
	set_flags(base, ev, EVLIST_TIMEOUT, 0);
}

int
event_add_nolock_(struct event *ev, const struct timeval *tv, int tv_is_absolute)
{
	struct event_base *base = ev->ev_base;
	int r = 0;

	if (ev->ev_flags & EVLIST_FINALIZING) {
		event_warnx("event_add: event %p is being finalized", (void *)ev);
		return -1;
	}
	if (check_timeout(tv, base) < 0)
		return -1;
	if (tv && !(ev->ev_flags & EVLIST_TIMEOUT) &&
	    !event__is_common_timeout(tv, base) &&
	    min_heap_reserve_(&base->timeheap, base->timeheap.n + 1) < 0) {
		event_warn("event_add: cannot grow the timer heap");
		return -1;
	}
	if ((ev->ev_events & (EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL)) &&
	    !(ev->ev_flags & (EVLIST_INSERTED | EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)))
		r = add_interest(base, ev);
	if (r == 0 && tv) {
		if ((ev->ev_events & EV_PERSIST) && !tv_is_absolute)
			ev->ev_io_timeout = *tv;
		set_timeout(base, ev, tv, tv_is_absolute);
	}
	if (r == 0) {
		event_debug__note_add(ev);
		event_base_notify_if_needed(base);
	}
	return r;
}

int
event_add(struct event *ev, const struct timeval *tv)
{
	if (!ev) {
		event_warnx("event_add: NULL event");
		return -1;
	}
	if (!(ev->ev_flags & EVLIST_INIT) || !ev->ev_base) {
		event_warnx("event_add: event %p was never assigned", (void *)ev);
		return -1;
	}
	if (event_debug__assert_is_setup(ev, "event_add") < 0)
		return -1;
	struct event_base *base = ev->ev_base;
	EVBASE_ACQUIRE_LOCK(base);
	int r = event_add_nolock_(ev, tv, 0);
	EVBASE_RELEASE_LOCK(base);
	return r;
}

/* ---- delete ---------------------------------------------------------------- */

/* Waits until ev's callback, running in another thread, has returned. */
static void
wait_for_callback(struct event_base *base, struct event *ev, int blocking)
{
	if (base->current_event != event_to_event_callback(ev) || EVBASE_IN_THREAD(base))
		return;
	if (blocking == EVENT_DEL_NOBLOCK || blocking == EVENT_DEL_EVEN_IF_FINALIZING)
		return;
	if (blocking == EVENT_DEL_AUTOBLOCK && (ev->ev_events & EV_FINALIZE))
		return;
	while (base->current_event == event_to_event_callback(ev) && base->current_event_cond) {
		base->current_event_waiters++;
		evthread__cond_wait(base->current_event_cond, base->th_base_lock, NULL);
	}
}

int
event_del_nolock_(struct event *ev, int blocking)
{
	struct event_base *base = ev->ev_base;
	int r = 0;

	if (!base)
		return -1;
	if (blocking != EVENT_DEL_EVEN_IF_FINALIZING && (ev->ev_flags & EVLIST_FINALIZING))
		return 0;
	wait_for_callback(base, ev, blocking);

	/* A signal callback looping over its count stops here; the pointer
	 * goes too, since it points into that loop's stack frame. */
	if ((ev->ev_events & EV_SIGNAL) && ev->ev_pncalls) {
		*ev->ev_pncalls = 0;
		ev->ev_pncalls = NULL;
		ev->ev_ncalls = 0;
	}
	if (ev->ev_flags & EVLIST_TIMEOUT) {
		event__timer_remove(base, ev);
		set_flags(base, ev, 0, EVLIST_TIMEOUT);
	}
	if (ev->ev_flags & EVLIST_ACTIVE)
		event_queue_remove_active(base, event_to_event_callback(ev));
	else if (ev->ev_flags & EVLIST_ACTIVE_LATER)
		event_queue_remove_active_later(base, event_to_event_callback(ev));
	if (ev->ev_flags & EVLIST_INSERTED) {
		set_flags(base, ev, 0, EVLIST_INSERTED);
		if (ev->ev_events & EV_SIGNAL)
			r = evmap__signal_del(base, ev->ev_fd, ev);
		else
			r = evmap__io_del(base, ev->ev_fd, ev);
	}
	event_debug__note_del(ev);
	return r < 0 ? -1 : 0;
}

static int
event_del_(struct event *ev, int blocking)
{
	if (!ev) {
		event_warnx("event_del: NULL event");
		return -1;
	}
	if (!ev->ev_base) {
		event_warnx("event_del: event %p has no base", (void *)ev);
		return -1;
	}
	if (event_debug__assert_is_setup(ev, "event_del") < 0)
		return -1;
	struct event_base *base = ev->ev_base;
	EVBASE_ACQUIRE_LOCK(base);
	int r = event_del_nolock_(ev, blocking);
	EVBASE_RELEASE_LOCK(base);
	return r;
}

int
event_del(struct event *ev)
{
	return event_del_(ev, EVENT_DEL_AUTOBLOCK);
}

int
event_del_noblock(struct event *ev)
{
	return event_del_(ev, EVENT_DEL_NOBLOCK);
}

int
event_del_block(struct event *ev)
{
	return event_del_(ev, EVENT_DEL_BLOCK);
}

void
event__unschedule_timer(struct event *ev)
{
	if (ev->ev_flags & EVLIST_TIMEOUT) {
		event__timer_remove(ev->ev_base, ev);
		set_flags(ev->ev_base, ev, 0, EVLIST_TIMEOUT);
	}
}

int
event_remove_timer_nolock_(struct event *ev)
{
	event__unschedule_timer(ev);
	evutil_timerclear(&ev->ev_io_timeout);
	return 0;
}

int
event_remove_timer(struct event *ev)
{
	if (!ev || !ev->ev_base) {
		event_warnx("event_remove_timer: NULL or unassigned event");
		return -1;
	}
	if (event_debug__assert_is_setup(ev, "event_remove_timer") < 0)
		return -1;
	EVBASE_ACQUIRE_LOCK(ev->ev_base);
	int r = event_remove_timer_nolock_(ev);
	EVBASE_RELEASE_LOCK(ev->ev_base);
	return r;
}

/* ---- activation ------------------------------------------------------------ */

void
event_active_nolock_(struct event *ev, int res, short ncalls)
{
	struct event_base *base = ev->ev_base;

	if (ev->ev_flags & EVLIST_FINALIZING)
		return;
	if (ev->ev_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) {
		ev->ev_res |= res; /* merge: one run reports everything */
		if (ev->ev_events & EV_SIGNAL)
			ev->ev_ncalls += ncalls;
		return;
	}
	ev->ev_res = res;
	if (ev->ev_pri < base->event_running_priority)
		base->event_continue = 1; /* more urgent work arrived */
	if (ev->ev_events & EV_SIGNAL) {
		ev->ev_ncalls = ncalls;
		ev->ev_pncalls = NULL;
	}
	event_callback_activate_nolock_(base, event_to_event_callback(ev));
}

void
event_active(struct event *ev, int res, short ncalls)
{
	if (!ev || !ev->ev_base) {
		event_warnx("event_active: NULL or unassigned event");
		return;
	}
	if (event_debug__assert_is_setup(ev, "event_active") < 0)
		return;
	EVBASE_ACQUIRE_LOCK(ev->ev_base);
	event_active_nolock_(ev, res, ncalls);
	EVBASE_RELEASE_LOCK(ev->ev_base);
}

/* ---- finalizers ------------------------------------------------------------ */

static int
finalize_(unsigned flags, struct event *ev, event_finalize_callback_fn cb, int free_it)
{
	if (!ev || !ev->ev_base || !cb) {
		event_warnx("event_finalize: NULL argument");
		return -1;
	}
	struct event_base *base = ev->ev_base;
	EVBASE_ACQUIRE_LOCK(base);
	if (ev->ev_flags & EVLIST_FINALIZING) {
		EVBASE_RELEASE_LOCK(base);
		event_warnx("event_finalize: event %p is already being finalized", (void *)ev);
		return -1;
	}
	event_del_nolock_(ev, EVENT_DEL_NOBLOCK);
	ev->ev_closure = free_it ? EV_CLOSURE_EVENT_FINALIZE_FREE : EV_CLOSURE_EVENT_FINALIZE;
	ev->ev_evcallback.evcb_cb_union.evcb_evfinalize = cb;
	ev->ev_flags |= EVLIST_FINALIZING;
	event__queue_insert_active(base, event_to_event_callback(ev));
	event_base_notify_if_needed(base);
	EVBASE_RELEASE_LOCK(base);
	return 0;
}

int
event_finalize(unsigned flags, struct event *ev, event_finalize_callback_fn cb)
{
	return finalize_(flags, ev, cb, 0);
}

int
event_free_finalize(unsigned flags, struct event *ev, event_finalize_callback_fn cb)
{
	return finalize_(flags, ev, cb, 1);
}

/* ---- once ----------------------------------------------------------------- */

static void
once_cb(evutil_socket_t fd, short events, void *arg)
{
	struct event_once *eonce = arg;
	struct event_base *base = eonce->ev.ev_base;

	EVBASE_ACQUIRE_LOCK(base);
	LIST_REMOVE(eonce, next_once);
	EVBASE_RELEASE_LOCK(base);
	eonce->cb(fd, events, eonce->arg);
	event_debug__note_teardown(&eonce->ev);
	mm_free(eonce);
}

int
event_base_once(struct event_base *base, evutil_socket_t fd, short events,
    event_callback_fn callback, void *arg, const struct timeval *tv)
{
	if (!base)
		base = event__current_base();
	if (!base || !callback) {
		event_warnx("event_base_once: NULL base or callback");
		return -1;
	}
	if (events & (EV_SIGNAL | EV_PERSIST)) {
		event_warnx("event_base_once: EV_SIGNAL and EV_PERSIST are not allowed");
		return -1;
	}
	struct event_once *eonce = mm_calloc(1, sizeof(*eonce));
	if (!eonce) {
		event_warn("event_base_once: calloc");
		return -1;
	}
	eonce->cb = callback;
	eonce->arg = arg;
	int pure_timer = !(events & (EV_READ | EV_WRITE | EV_CLOSED));
	if (event_assign(&eonce->ev, base, pure_timer ? -1 : fd,
	        pure_timer ? EV_TIMEOUT : events, once_cb, eonce) < 0) {
		mm_free(eonce);
		return -1;
	}
	struct timeval zero = { 0, 0 };
	if (pure_timer && !tv)
		tv = &zero; /* a pure timer without a timeout runs at once */
	EVBASE_ACQUIRE_LOCK(base);
	int r = event_add_nolock_(&eonce->ev, tv, 0);
	if (r == 0)
		LIST_INSERT_HEAD(&base->once_events, eonce, next_once);
	EVBASE_RELEASE_LOCK(base);
	if (r < 0) {
		event_debug__note_teardown(&eonce->ev);
		mm_free(eonce);
	}
	return r;
}

int
event_once(evutil_socket_t fd, short events, void (*callback)(evutil_socket_t, short, void *),
    void *arg, const struct timeval *tv)
{
	return event_base_once(event__current_base(), fd, events, callback, arg, tv);
}

/* ---- inspection ---------------------------------------------------------- */

int
event_pending(const struct event *ev, short events, struct timeval *tv)
{
	if (!ev) {
		event_warnx("event_pending: NULL event");
		return 0;
	}
	if (!(ev->ev_flags & EVLIST_INIT) || !ev->ev_base) {
		event_warnx("event_pending: event %p was never assigned to a base",
		    (void *)ev);
		return 0;
	}
	if (event_debug__assert_is_setup(ev, "event_pending") < 0)
		return 0;
	struct event_base *base = ev->ev_base;
	int flags = 0;
	EVBASE_ACQUIRE_LOCK(base);
	if (ev->ev_flags & EVLIST_INSERTED)
		flags |= ev->ev_events & (EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL);
	if (ev->ev_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER))
		flags |= ev->ev_res;
	if (ev->ev_flags & EVLIST_TIMEOUT)
		flags |= EV_TIMEOUT;
	events &= (EV_TIMEOUT | EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL);
	if (tv && (events & flags & EV_TIMEOUT))
		event__mono_to_wall(base, &ev->ev_timeout, tv);
	EVBASE_RELEASE_LOCK(base);
	return flags & events;
}

int
event_initialized(const struct event *ev)
{
	return ev && (ev->ev_flags & EVLIST_INIT) ? 1 : 0;
}

void
event_get_assignment(const struct event *ev, struct event_base **base_out,
    evutil_socket_t *fd_out, short *events_out, event_callback_fn *callback_out,
    void **arg_out)
{
	if (!ev)
		return;
	if (base_out)
		*base_out = ev->ev_base;
	if (fd_out)
		*fd_out = ev->ev_fd;
	if (events_out)
		*events_out = ev->ev_events;
	if (callback_out)
		*callback_out = ev->ev_callback;
	if (arg_out)
		*arg_out = ev->ev_arg;
}

size_t
event_get_struct_event_size(void)
{
	return sizeof(struct event);
}

evutil_socket_t
event_get_fd(const struct event *ev)
{
	return ev ? ev->ev_fd : -1;
}

struct event_base *
event_get_base(const struct event *ev)
{
	return ev ? ev->ev_base : NULL;
}

short
event_get_events(const struct event *ev)
{
	return ev ? ev->ev_events : 0;
}

event_callback_fn
event_get_callback(const struct event *ev)
{
	return ev ? ev->ev_callback : NULL;
}

void *
event_get_callback_arg(const struct event *ev)
{
	return ev ? ev->ev_arg : NULL;
}

int
event_get_priority(const struct event *ev)
{
	return ev ? ev->ev_pri : -1;
}
