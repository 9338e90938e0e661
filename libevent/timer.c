/*
 * timer.c: time and timeouts.
 *
 * All expiries are monotonic.  The loop caches "now" once per iteration
 * (unless EVENT_BASE_FLAG_NO_CACHE_TIME), together with the offset that
 * turns monotonic time into wall-clock time for
 * event_base_gettimeofday_cached() and event_pending().
 *
 * Timers live on a min-heap, except events whose timeout came from
 * event_base_init_common_timeout(): those share a duration, so appending
 * to a FIFO per duration keeps them sorted, and only the head of each
 * FIFO sits on the heap (as the FIFO's own internal timer event).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/* How often the wall-clock offset is refreshed while the cache is on. */
#define CLOCK_SYNC_INTERVAL 5

/*
 * The base's clock.  By default the fastest monotonic clock, as event.h
 * documents and stock libevent does on Linux: CLOCK_MONOTONIC_COARSE, the
 * time of the last tick, which the vDSO returns without reading the clock
 * source (3 ns here against 22 ns; EXP-023).  Its cost is resolution: a
 * timeout can fire up to one tick (4 ms at HZ=250) early or late.
 * EVENT_BASE_FLAG_PRECISE_TIMER asks for CLOCK_MONOTONIC.
 */
int
event__monotonic_now(int precise, struct timeval *tp)
{
	struct timespec ts;
	if (clock_gettime(precise ? CLOCK_MONOTONIC : CLOCK_MONOTONIC_COARSE, &ts) < 0 &&
	    (precise || clock_gettime(CLOCK_MONOTONIC, &ts) < 0))
		return -1;
	tp->tv_sec = ts.tv_sec;
	tp->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

static void
sync_clock_diff(struct event_base *base, const struct timeval *mono)
{
	struct timeval wall;
	gettimeofday(&wall, NULL);
	evutil_timersub(&wall, mono, &base->tv_clock_diff);
	base->last_updated_clock_diff = mono->tv_sec;
}

int
event__gettime_slow(struct event_base *base, struct timeval *tp)
{
	if (event__monotonic_now(base->precise_clock, tp) < 0) {
		event_warn("clock_gettime");
		return -1;
	}
	if (tp->tv_sec - base->last_updated_clock_diff > CLOCK_SYNC_INTERVAL)
		sync_clock_diff(base, tp);
	/* Inside the loop, the first reading of an iteration becomes the
	 * iteration's cached time (see event__update_time_cache). */
	if (base->running_loop && !(base->flags & EVENT_BASE_FLAG_NO_CACHE_TIME))
		base->tv_cache = *tp;
	return 0;
}

void
event__mono_to_wall(struct event_base *base, const struct timeval *mono,
    struct timeval *wall)
{
	struct timeval m = *mono;
	m.tv_usec &= COMMON_TIMEOUT_MICROSECONDS_MASK;
	evutil_timeradd(&m, &base->tv_clock_diff, wall);
}

int
event_gettime_monotonic(struct event_base *base, struct timeval *tv)
{
	if (!base || !tv) {
		event_warnx("event_gettime_monotonic: NULL argument");
		return -1;
	}
	EVBASE_ACQUIRE_LOCK(base);
	int r = event__monotonic_now(base->precise_clock, tv);
	EVBASE_RELEASE_LOCK(base);
	return r;
}

int
event_base_gettimeofday_cached(struct event_base *base, struct timeval *tv)
{
	if (!tv) {
		event_warnx("event_base_gettimeofday_cached: NULL timeval");
		return -1;
	}
	if (!base)
		base = event__current_base();
	if (!base)
		return gettimeofday(tv, NULL);
	EVBASE_ACQUIRE_LOCK(base);
	int r = 0;
	struct timeval mono;
	if (base->running_loop && !(base->flags & EVENT_BASE_FLAG_NO_CACHE_TIME) &&
	    event__gettime(base, &mono) == 0) {
		evutil_timeradd(&mono, &base->tv_clock_diff, tv);
	} else {
		r = gettimeofday(tv, NULL);
	}
	EVBASE_RELEASE_LOCK(base);
	return r;
}

int
event_base_update_cache_time(struct event_base *base)
{
	if (!base)
		base = event__current_base();
	if (!base) {
		event_warnx("event_base_update_cache_time: no base");
		return -1;
	}
	EVBASE_ACQUIRE_LOCK(base);
	if (base->running_loop) {
		struct timeval now;
		base->tv_cache.tv_sec = 0;
		event__gettime(base, &now); /* refills the cache */
	}
	EVBASE_RELEASE_LOCK(base);
	return 0;
}

/* ---- common timeouts -------------------------------------------------- */

static inline int
common_idx(const struct timeval *tv)
{
	return (tv->tv_usec & COMMON_TIMEOUT_IDX_MASK) >> COMMON_TIMEOUT_IDX_SHIFT;
}

static struct common_timeout_list *
common_queue(struct event_base *base, const struct timeval *tv)
{
	return base->common_timeout_queues[common_idx(tv)];
}

/*
 * The FIFO's timer may fire early but never late: it is moved earlier when
 * an event becomes the head with an earlier expiry, and moved forward only
 * when it fires.  Removing the head (the common case: an event that fired
 * or was deleted) touches no timer at all; the cost is at most one early
 * wakeup per FIFO (EXP-001).
 */
static void
common_schedule_head(struct common_timeout_list *ctl, int only_if_earlier)
{
	struct event *head = TAILQ_FIRST(&ctl->events);
	if (!head)
		return;
	struct timeval when = head->ev_timeout;
	when.tv_usec &= COMMON_TIMEOUT_MICROSECONDS_MASK;
	if (only_if_earlier && (ctl->timeout_event.ev_flags & EVLIST_TIMEOUT) &&
	    !evutil_timercmp(&when, &ctl->timeout_event.ev_timeout, <))
		return;
	event_add_nolock_(&ctl->timeout_event, &when, 1);
}

/* The FIFO's timer as a callback.  event__timeout_process handles FIFO
 * timers itself and never activates them; this runs only if one is
 * activated by other means (event_active on internals is not possible
 * from the API), and then does the same work. */
static void
common_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct common_timeout_list *ctl = arg;
	struct event_base *base = ctl->base;
	struct timeval now;

	EVBASE_ACQUIRE_LOCK(base);
	event__gettime(base, &now);
	struct event *ev;
	while ((ev = TAILQ_FIRST(&ctl->events))) {
		struct timeval t = ev->ev_timeout;
		t.tv_usec &= COMMON_TIMEOUT_MICROSECONDS_MASK;
		if (evutil_timercmp(&t, &now, >))
			break;
		if (ev->ev_events & EV_PERSIST)
			event__unschedule_timer(ev);
		else
			event_del_nolock_(ev, EVENT_DEL_NOBLOCK);
		event_active_nolock_(ev, EV_TIMEOUT, 1);
	}
	common_schedule_head(ctl, 0);
	EVBASE_RELEASE_LOCK(base);
}

/* The FIFO for a normalised duration, created if needed; NULL when the
 * table is full or on allocation failure (both logged only if loud). */
static struct common_timeout_list *
common_queue_for(struct event_base *base, const struct timeval *tv, int loud)
{
	for (int i = 0; i < base->n_common_timeouts; i++) {
		struct common_timeout_list *ctl = base->common_timeout_queues[i];
		if (ctl->duration.tv_sec == tv->tv_sec &&
		    (ctl->duration.tv_usec & COMMON_TIMEOUT_MICROSECONDS_MASK) == tv->tv_usec)
			return ctl;
	}
	if (base->n_common_timeouts == MAX_COMMON_TIMEOUTS) {
		if (loud)
			event_warnx("event_base_init_common_timeout: too many common timeouts");
		return NULL;
	}
	if (base->n_common_timeouts == base->n_common_timeouts_allocated) {
		int n = base->n_common_timeouts_allocated ? base->n_common_timeouts_allocated * 2 : 16;
		struct common_timeout_list **q = mm_realloc(base->common_timeout_queues,
		    (size_t)n * sizeof(*q));
		if (!q) {
			if (loud)
				event_warn("event_base_init_common_timeout: realloc");
			return NULL;
		}
		base->common_timeout_queues = q;
		base->n_common_timeouts_allocated = n;
	}
	struct common_timeout_list *ctl = mm_calloc(1, sizeof(*ctl));
	if (!ctl) {
		if (loud)
			event_warn("event_base_init_common_timeout: calloc");
		return NULL;
	}
	TAILQ_INIT(&ctl->events);
	ctl->duration.tv_sec = tv->tv_sec;
	ctl->duration.tv_usec = tv->tv_usec | COMMON_TIMEOUT_MAGIC |
	    (base->n_common_timeouts << COMMON_TIMEOUT_IDX_SHIFT);
	ctl->base = base;
	event_assign(&ctl->timeout_event, base, -1, 0, common_timeout_cb, ctl);
	ctl->timeout_event.ev_flags |= EVLIST_INTERNAL;
	event_priority_set(&ctl->timeout_event, 0);
	base->common_timeout_queues[base->n_common_timeouts++] = ctl;
	return ctl;
}

const struct timeval *
event_base_init_common_timeout(struct event_base *base, const struct timeval *duration)
{
	if (!base || !duration) {
		event_warnx("event_base_init_common_timeout: NULL argument");
		return NULL;
	}
	const struct timeval *result = NULL;
	struct timeval tv = *duration;
	EVBASE_ACQUIRE_LOCK(base);
	if (event__is_common_timeout(&tv, base)) {
		result = &common_queue(base, &tv)->duration;
	} else if (tv.tv_sec < 0 || tv.tv_usec < 0) {
		event_warnx("event_base_init_common_timeout: negative duration");
	} else {
		tv.tv_sec += tv.tv_usec / 1000000;
		tv.tv_usec %= 1000000;
		struct common_timeout_list *ctl = common_queue_for(base, &tv, 1);
		if (ctl)
			result = &ctl->duration;
	}
	EVBASE_RELEASE_LOCK(base);
	return result;
}

/*
 * Automatic FIFOs (EXP-001).  Programs rarely use many distinct timeout
 * durations, and timeouts of one duration added over time expire in the
 * order they were added.  So a relative timeout whose duration was seen
 * before goes to that duration's FIFO: O(1) to add and to remove, where
 * the heap costs O(log n) both ways.  The first AUTO_FIFO_MAX durations
 * get FIFOs; others use the heap.  A direct-mapped cache keeps the lookup
 * to one comparison in the common case.
 */
#define AUTO_FIFO_MAX 32

static unsigned
duration_slot(const struct timeval *tv)
{
	uint64_t h = (uint64_t)tv->tv_sec * 1000003u + (uint64_t)tv->tv_usec;
	h ^= h >> 29;
	h *= 0x9e3779b97f4a7c15ULL;
	return (unsigned)(h >> 58); /* 64 slots */
}

int
event__auto_fifo(struct event_base *base, const struct timeval *rel, struct timeval *tagged)
{
	struct timeval tv = *rel;
	tv.tv_sec += tv.tv_usec / 1000000;
	tv.tv_usec %= 1000000;
	unsigned slot = duration_slot(&tv);
	struct common_timeout_list *ctl = base->auto_fifo_cache[slot];
	if (!ctl || ctl->duration.tv_sec != tv.tv_sec ||
	    (ctl->duration.tv_usec & COMMON_TIMEOUT_MICROSECONDS_MASK) != tv.tv_usec) {
		if (base->n_auto_fifos >= AUTO_FIFO_MAX)
			return 0;
		int before = base->n_common_timeouts;
		ctl = common_queue_for(base, &tv, 0);
		if (!ctl)
			return 0;
		if (base->n_common_timeouts != before)
			base->n_auto_fifos++;
		base->auto_fifo_cache[slot] = ctl;
	}
	*tagged = ctl->duration;
	return 1;
}

void
event__free_common_timeouts(struct event_base *base)
{
	for (int i = 0; i < base->n_common_timeouts; i++) {
		struct common_timeout_list *ctl = base->common_timeout_queues[i];
		event_del_nolock_(&ctl->timeout_event, EVENT_DEL_NOBLOCK);
		struct event *ev;
		while ((ev = TAILQ_FIRST(&ctl->events)))
			event_del_nolock_(ev, EVENT_DEL_EVEN_IF_FINALIZING);
		mm_free(ctl);
	}
	mm_free(base->common_timeout_queues);
	base->common_timeout_queues = NULL;
	base->n_common_timeouts = base->n_common_timeouts_allocated = 0;
}

/* ---- insertion and removal ---------------------------------------------- */

static int
tv_before(const struct timeval *a, const struct timeval *b)
{
	return evutil_timercmp(a, b, <);
}

/* Inserts into a common FIFO, keeping expiry order (appends in the usual
 * case, where every entry has the same duration). */
static void
common_insert(struct event_base *base, struct event *ev)
{
	struct common_timeout_list *ctl = common_queue(base, &ev->ev_timeout);
	struct event *pos;
	TAILQ_FOREACH_REVERSE(pos, &ctl->events, event_list, ev_timeout_pos.ev_next_with_common_timeout) {
		if (!tv_before(&ev->ev_timeout, &pos->ev_timeout))
			break;
	}
	if (pos)
		TAILQ_INSERT_AFTER(&ctl->events, pos, ev, ev_timeout_pos.ev_next_with_common_timeout);
	else
		TAILQ_INSERT_HEAD(&ctl->events, ev, ev_timeout_pos.ev_next_with_common_timeout);
	if (TAILQ_FIRST(&ctl->events) == ev)
		common_schedule_head(ctl, 1);
}

void
event__timer_insert(struct event_base *base, struct event *ev)
{
	if (event__is_common_timeout(&ev->ev_timeout, base))
		common_insert(base, ev);
	else
		min_heap_push_(&base->timeheap, ev); /* space reserved by caller */
}

void
event__timer_remove(struct event_base *base, struct event *ev)
{
	if (event__is_common_timeout(&ev->ev_timeout, base)) {
		struct common_timeout_list *ctl = common_queue(base, &ev->ev_timeout);
		/* The FIFO's timer stays where it is (see common_schedule_head). */
		TAILQ_REMOVE(&ctl->events, ev, ev_timeout_pos.ev_next_with_common_timeout);
	} else {
		min_heap_erase_(&base->timeheap, ev);
	}
}

int
event__timeout_next(struct event_base *base, struct timeval **tv_p)
{
	struct event *ev = min_heap_top_(&base->timeheap);
	if (!ev) {
		*tv_p = NULL; /* no timer: wait for I/O forever */
		return 0;
	}
	struct timeval now;
	if (event__gettime(base, &now) < 0)
		return -1;
	struct timeval *tv = *tv_p;
	if (evutil_timercmp(&ev->ev_timeout, &now, <=))
		evutil_timerclear(tv);
	else
		evutil_timersub(&ev->ev_timeout, &now, tv);
	return 0;
}

/* Ends ev's timer and activates it for EV_TIMEOUT.  A persistent event
 * keeps its I/O interest; its closure schedules the next timeout. */
static void
expire(struct event *ev)
{
	if (ev->ev_events & EV_PERSIST)
		event__unschedule_timer(ev);
	else
		event_del_nolock_(ev, EVENT_DEL_NOBLOCK);
	event_active_nolock_(ev, EV_TIMEOUT, 1);
}

/*
 * A FIFO's timer reached the top of the heap.  Its key may be early (see
 * common_schedule_head): then it is moved to the head's real expiry and
 * compared again, so that members of every FIFO and heap timers expire in
 * one global deadline order.  Once the key is the head's expiry, the head
 * expires and the key moves to the next member.
 */
static void
fifo_step(struct event_base *base, struct common_timeout_list *ctl)
{
	struct event *timer = &ctl->timeout_event;
	struct event *head = TAILQ_FIRST(&ctl->events);
	if (!head) {
		event_del_nolock_(timer, EVENT_DEL_NOBLOCK);
		return;
	}
	struct timeval when = head->ev_timeout;
	when.tv_usec &= COMMON_TIMEOUT_MICROSECONDS_MASK;
	if (evutil_timercmp(&when, &timer->ev_timeout, !=)) {
		timer->ev_timeout = when;
		min_heap_adjust_(&base->timeheap, timer);
		return;
	}
	expire(head);
	if ((head = TAILQ_FIRST(&ctl->events))) {
		timer->ev_timeout = head->ev_timeout;
		timer->ev_timeout.tv_usec &= COMMON_TIMEOUT_MICROSECONDS_MASK;
		min_heap_adjust_(&base->timeheap, timer);
	} else {
		event_del_nolock_(timer, EVENT_DEL_NOBLOCK);
	}
}

void
event__timeout_process(struct event_base *base)
{
	struct timeval now;
	struct event *ev;

	if (min_heap_top_(&base->timeheap) == NULL)
		return;
	event__gettime(base, &now);
	while ((ev = min_heap_top_(&base->timeheap))) {
		if (evutil_timercmp(&ev->ev_timeout, &now, >))
			break;
		if (ev->ev_callback == common_timeout_cb)
			fifo_step(base, ev->ev_arg);
		else
			expire(ev);
	}
}
