/*
 * event-internal.h: the event_base and what the core's files share.
 *
 * File map:  event.c (events: assign/add/del/active and accessors),
 * event_base.c (bases, configuration, backend choice, reinit),
 * event_loop.c (the general loop and callback processing), loop_epoll.c
 * (the fast loop for lockless epoll bases), timer.c (heap, common
 * timeouts, clocks), evmap.c (fd/signal interest and kernel state),
 * epoll.c poll.c select.c (backends; epoll-internal.h shares epoll's
 * state with the fast loop), signal.c, notify.c (cross-thread
 * wakeup), event_debug.c (debug mode, dump, foreach, invariants),
 * event_compat.c (1.x global-base API).
 */
#ifndef EVENT_INTERNAL_H_INCLUDED_
#define EVENT_INTERNAL_H_INCLUDED_

#include <limits.h>
#include <stddef.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <signal.h>

#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>
#include "defer-internal.h"
#include "thread-internal.h"
#include "minheap-internal.h"
#include "evmap-internal.h"
#include "evsignal-internal.h"

/* Short names for the fields of struct event (layout is fixed by ABI). */
#define ev_flags ev_evcallback.evcb_flags
#define ev_pri ev_evcallback.evcb_pri
#define ev_closure ev_evcallback.evcb_closure
#define ev_callback ev_evcallback.evcb_cb_union.evcb_callback
#define ev_arg ev_evcallback.evcb_arg
#define ev_io_timeout ev_.ev_io.ev_timeout
#define ev_ncalls ev_.ev_signal.ev_ncalls
#define ev_pncalls ev_.ev_signal.ev_pncalls

/* How the loop invokes a callback (evcb_closure). */
enum evcb_closure_kind {
	EV_CLOSURE_EVENT = 0,          /* cb(fd, res, arg), non-persistent */
	EV_CLOSURE_EVENT_SIGNAL = 1,   /* cb once per caught signal */
	EV_CLOSURE_EVENT_PERSIST = 2,  /* re-arms its timeout, then cb */
	EV_CLOSURE_CB_SELF = 3,        /* deferred: selfcb(evcb, arg) */
	EV_CLOSURE_CB_FINALIZE = 4,    /* deferred finalizer */
	EV_CLOSURE_EVENT_FINALIZE = 5, /* evfinalize(ev, arg) */
	EV_CLOSURE_EVENT_FINALIZE_FREE = 6 /* evfinalize, then free ev */
};

/* Modes of event_del_nolock_. */
#define EVENT_DEL_NOBLOCK 0
#define EVENT_DEL_BLOCK 1
#define EVENT_DEL_AUTOBLOCK 2 /* block unless the event has EV_FINALIZE */
#define EVENT_DEL_EVEN_IF_FINALIZING 3

/*
 * Common timeouts: a timeval whose tv_usec carries a magic tag and a queue
 * index stands for "this duration, on that queue".  Real microseconds use
 * the low 20 bits, so no valid timeval can carry the tag.
 */
#define COMMON_TIMEOUT_MICROSECONDS_MASK 0x000fffff
#define COMMON_TIMEOUT_IDX_MASK 0x0ff00000
#define COMMON_TIMEOUT_IDX_SHIFT 20
#define COMMON_TIMEOUT_MASK 0xf0000000
#define COMMON_TIMEOUT_MAGIC 0x50000000
#define MAX_COMMON_TIMEOUTS 256

struct common_timeout_list {
	struct event_list events;   /* ordered by expiry */
	struct timeval duration;    /* encoded, as handed to the user */
	struct event timeout_event; /* fires at the head's expiry */
	struct event_base *base;
};

/* One backend.  A backend only talks to the kernel; evmap.c decides. */
struct eventop {
	const char *name;
	/* Allocates backend state; NULL on failure. */
	void *(*init)(struct event_base *);
	/* Makes the kernel watch exactly `want` (evmap__io_want(io), computed
	 * once by the caller) for fd, updating io's kernel-state fields.
	 * 0 on success, -1 (logged) on failure. */
	int (*apply)(struct event_base *, int fd, struct evmap_io *io, unsigned want);
	/* Waits up to tv (NULL: forever), releasing the base lock while
	 * blocked, and reports ready fds through evmap__io_active.
	 * 0 on success (also on EINTR), -1 on failure. */
	int (*dispatch)(struct event_base *, struct timeval *tv);
	void (*dealloc)(struct event_base *);
	/* Optional: nonzero if a timer of the backend's own is set to report
	 * (as a wakeup, before any expired-timer pass can find something) no
	 * later than monotonic time `when`, and has not reported yet. */
	int (*holds_deadline)(struct event_base *, const struct timeval *when);
	int need_reinit; /* kernel state does not survive fork */
	int features;    /* EV_FEATURE_* */
};

extern const struct eventop epollops;
extern const struct eventop pollops;
extern const struct eventop selectops;

struct event_config_entry {
	TAILQ_ENTRY(event_config_entry) next;
	char *avoid_method;
};

struct event_config {
	TAILQ_HEAD(event_configq, event_config_entry) entries;
	int n_cpus_hint;
	struct timeval max_dispatch_interval;
	int max_dispatch_callbacks;
	int limit_callbacks_after_prio;
	int require_features;
	int flags;
};

TAILQ_HEAD(evcallback_list, event_callback);
LIST_HEAD(once_event_list, event_once);

/* An event_base_once() allocation, freed after it fires or with the base. */
struct event_once {
	LIST_ENTRY(event_once) next_once;
	struct event ev;
	event_callback_fn cb;
	void *arg;
};

struct event_base {
	/*
	 * Hot: what an iteration of the fast loop (loop_epoll.c) and an I/O
	 * activation read or write, packed into the first two cache lines of
	 * a 64-byte-aligned base, so that an iteration touches only those two
	 * (syscalls evict the L1 between our visits; EXP-015, EXP-037).
	 */
	void *evbase;               /* backend state */
	struct event_io_map io;
	int n_changed;              /* queued interest changes */
	int n_queued_callbacks;     /* everything on the active queues, internal too */
	int event_count;
	unsigned char running_loop;
	unsigned char loop_fast;    /* event_base_loop may take the fast loop
	                             * (loop_epoll.c): fixed at creation */
	unsigned char event_gotterm, event_break, event_continue;
	int n_deferreds_queued;
	int event_running_priority;
	int event_count_active_max;
	int (*th_notify_fn)(struct event_base *);
	/* -- second line -- */
	struct event_callback *current_event;
	struct evcallback_list active_later_queue;
	struct timeval tv_cache;    /* cached monotonic time (0: none) */
	struct min_heap timeheap;
	int current_event_waiters;
	int ran_direct;             /* priority + 1 of the callback the report
	                             * loop ran at once (EXP-026), else 0 */
	/* -- third line: the general loop's -- */
	void *th_base_lock;
	const struct eventop *evsel;
	struct evcallback_list *activequeues;
	int nactivequeues;
	int event_count_max;
	int event_count_active;
	int virtual_event_count, virtual_event_count_max;
	unsigned long th_owner_id;     /* thread running the loop */
	int limit_callbacks_after_prio;
	int max_dispatch_callbacks;
	struct timeval max_dispatch_time; /* tv_sec < 0: no limit */
	void *alloc;                /* what mm_calloc returned (base_alloc) */

	/* Cold from here: configuration, interest bookkeeping, timers'
	 * FIFOs, clocks, threads. */
	int flags;                  /* event_base_config_flag */
	struct event_signal_map sigmap;
	int *changed_fds;
	int changed_cap;
	struct evsig_info sig;

	struct common_timeout_list **common_timeout_queues;
	int n_common_timeouts, n_common_timeouts_allocated;
	struct common_timeout_list *auto_fifo_cache[64]; /* by duration hash */
	int n_auto_fifos;

	struct timeval tv_clock_diff;  /* wall = monotonic + diff */
	time_t last_updated_clock_diff;
	int precise_clock;

	void *current_event_cond;

	/* Cross-thread wakeup (notify.c). */
	int th_notify_fd;
	struct event th_notify;
	int is_notify_pending;

	struct once_event_list once_events;
};

/* The fast loop's fields fill exactly the base's first two lines. */
_Static_assert(offsetof(struct event_base, current_event) == 64,
    "event_base: the first line holds the fast loop's fields");
_Static_assert(offsetof(struct event_base, th_base_lock) == 128,
    "event_base: the second line holds the rest of the fast loop's fields");

#define EVBASE_ACQUIRE_LOCK(base) EVLOCK_LOCK((base)->th_base_lock)
#define EVBASE_RELEASE_LOCK(base) EVLOCK_UNLOCK((base)->th_base_lock)
/* True when the caller is the thread running base's loop (or no loop,
 * or no threading). */
#define EVBASE_IN_THREAD(base) \
	(!(base)->th_base_lock || evthread__id() == (base)->th_owner_id)
#define EVBASE_NEED_NOTIFY(base) \
	((base)->running_loop && (base)->th_notify_fn && !EVBASE_IN_THREAD(base))

/* Queued callbacks of any kind: whether the loop has work to run. */
#define N_ACTIVE_CALLBACKS(base) ((base)->n_queued_callbacks)

static inline struct event *
event_callback_to_event(struct event_callback *evcb)
{
	return (struct event *)evcb;
}

static inline struct event_callback *
event_to_event_callback(struct event *ev)
{
	return &ev->ev_evcallback;
}

/* ---- event.c ---- */
/* Every *_nolock_ function expects the base lock held. */
int event_add_nolock_(struct event *ev, const struct timeval *tv, int tv_is_absolute);
int event_del_nolock_(struct event *ev, int blocking);
void event_active_nolock_(struct event *ev, int res, short count);
int event_remove_timer_nolock_(struct event *ev);
/* Takes ev off its timer only, keeping a persistent event's interval. */
void event__unschedule_timer(struct event *ev);
/* Activation queues. */
int event_callback_activate_nolock_(struct event_base *, struct event_callback *);
void event_callback_activate_later_nolock_(struct event_base *, struct event_callback *);
int event_callback_cancel_nolock_(struct event_base *, struct event_callback *, int even_if_finalizing);
void event_queue_remove_active(struct event_base *, struct event_callback *);
void event_queue_remove_active_later(struct event_base *, struct event_callback *);
/* Wakes the loop if another thread runs it: inline, since every add and
 * activation asks, and without threads the answer is one test. */
static inline void
event_base_notify_if_needed(struct event_base *base)
{
	if (__builtin_expect(base->th_notify_fn != NULL, 0) && EVBASE_NEED_NOTIFY(base))
		base->th_notify_fn(base);
}

/*
 * EVENT_BASE_COUNT_ADDED counts a callback while it sits in any of the
 * base's lists (I/O map, timers, activation queues), as libevent 2.1
 * reports it; internal callbacks never count.
 */
#define EVLIST_COUNTED (EVLIST_INSERTED | EVLIST_TIMEOUT | EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)

/* The two hottest flag changes, inline (EXP-014, EXP-015): set or clear
 * EVLIST_ACTIVE with the counting of update_flags + count_active in
 * event.c, knowing which bit moves. */
static inline void
event__queue_insert_active(struct event_base *base, struct event_callback *evcb)
{
	int before = evcb->evcb_flags;
	evcb->evcb_flags = (short)(before | EVLIST_ACTIVE);
	base->n_queued_callbacks++;
	if (!(before & EVLIST_INTERNAL)) {
		if (!(before & EVLIST_COUNTED) && ++base->event_count > base->event_count_max)
			base->event_count_max = base->event_count;
		if (++base->event_count_active > base->event_count_active_max)
			base->event_count_active_max = base->event_count_active;
	}
	TAILQ_INSERT_TAIL(&base->activequeues[evcb->evcb_pri], evcb, evcb_active_next);
}

static inline void
event__queue_remove_active(struct event_base *base, struct event_callback *evcb)
{
	int after = evcb->evcb_flags & ~EVLIST_ACTIVE;
	evcb->evcb_flags = (short)after;
	base->n_queued_callbacks--;
	if (!(after & EVLIST_INTERNAL)) {
		if (!(after & EVLIST_COUNTED))
			base->event_count--;
		base->event_count_active--;
	}
	TAILQ_REMOVE(&base->activequeues[evcb->evcb_pri], evcb, evcb_active_next);
}

/*
 * The hot activation (I/O readiness, timer expiry): ev is ready with res.
 * The common case inline; everything else (already queued: merge;
 * finalizing; signals; internal events; a base other threads may need to
 * wake) through event_active_nolock_, which handles every case.
 */
static inline void
event__activate_ready(struct event_base *base, struct event *ev, short res)
{
	if (__builtin_expect((ev->ev_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER |
	    EVLIST_FINALIZING | EVLIST_INTERNAL)) || (ev->ev_events & EV_SIGNAL) ||
	    base->th_notify_fn, 0)) {
		event_active_nolock_(ev, res, 1);
		return;
	}
	ev->ev_res = res;
	if (ev->ev_pri < base->event_running_priority)
		base->event_continue = 1; /* more urgent work arrived */
	event__queue_insert_active(base, event_to_event_callback(ev));
}

/* Maps kernel-reported events to what one event asked for. */
static inline short
evmap__event_result(const struct event *ev, short events)
{
	short res = events & ev->ev_events & (EV_READ | EV_WRITE | EV_CLOSED);
	/* A peer close also makes a read-only event ready (read returns 0). */
	if ((events & EV_CLOSED) && (ev->ev_events & EV_READ))
		res |= EV_READ;
	return res;
}

/* The fd's entry for a kernel report, or NULL when the report is stale
 * (a registration we no longer own) or out of range. */
static inline struct evmap_io *
evmap__io_reported(struct event_base *base, int fd, uint32_t gen)
{
	if (__builtin_expect(fd < 0 || fd >= base->io.nentries, 0))
		return NULL;
	struct evmap_io *io = &base->io.entries[fd];
	if (gen != UINT32_MAX) {
		if (gen != io->gen)
			return NULL; /* report of a registration we no longer own */
		if (io->kstate == EVMAP_K_ARMED && (io->kmask & EVMAP_ONESHOT))
			io->kstate = EVMAP_K_DISARMED; /* the kernel disarmed it */
	}
	return io;
}

/* Queues every event of io that events make ready. */
static inline void
evmap__io_activate_all(struct event_base *base, struct evmap_io *io, short events)
{
	struct event *ev;
	LIST_FOREACH(ev, &io->events, ev_.ev_io.ev_io_next) {
		short res = evmap__event_result(ev, events);
		if (res)
			event__activate_ready(base, ev, res);
	}
}

/* evmap__io_active, inline for the backends' report loops (EXP-016):
 * the backend's loop, the fd lookup and the activation in one body. */
static inline void
evmap__io_ready(struct event_base *base, int fd, short events, uint32_t gen)
{
	struct evmap_io *io = evmap__io_reported(base, fd, gen);
	if (io)
		evmap__io_activate_all(base, io, events);
}

/* ---- running a lone ready callback at once (EXP-026) ----
 *
 * When a wait reports one fd, that fd has one event, and the loop has
 * nothing else to do in this iteration (no callback queued, no timer
 * expired, no dispatch limits), queueing the event and running the queue
 * would run exactly this callback first.  So the report loop runs it at
 * once, and event_base_loop then finishes the iteration as the queue
 * would have (the rest of that priority's queue, no timer pass: nothing
 * had expired when the callback started).  Threads, signals, finalizers
 * and internal events keep the queue. */
static inline __attribute__((always_inline)) void event__run_direct(struct event_base *base,
    struct event *ev, short res, struct evmap_io *io);
static inline int event__gettime(struct event_base *base, struct timeval *tp);
static inline int event__deadline_held(struct event_base *base);
static inline int event__next_expiry(const struct event_base *base, struct timeval *when);

/* The event's part: a plain or persistent event, neither queued nor
 * finalizing nor internal. */
static inline int
event__ev_may_run_direct(const struct event *ev)
{
	return !(ev->ev_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER | EVLIST_FINALIZING |
	    EVLIST_INTERNAL)) &&
	    (ev->ev_closure == EV_CLOSURE_EVENT || ev->ev_closure == EV_CLOSURE_EVENT_PERSIST);
}

static inline int
event__may_run_direct(struct event_base *base, const struct event *ev)
{
	if (base->n_queued_callbacks || base->th_notify_fn || !event__ev_may_run_direct(ev) ||
	    base->max_dispatch_time.tv_sec >= 0 || base->max_dispatch_callbacks != INT_MAX)
		return 0;
	/* A timer due now would run first in the queue.  Read the clock as the
	 * timer pass after the wait would. */
	struct timeval now, first;
	if (base->timeheap.n && !event__deadline_held(base) && event__next_expiry(base, &first) &&
	    (event__gettime(base, &now) < 0 || !evutil_timercmp(&first, &now, >)))
		return 0;
	return 1;
}

/* evmap__io_ready for a wait that reported this fd alone.  The callback
 * it may run can change anything, the backend included: the caller must
 * not touch its own state afterwards. */
static inline __attribute__((always_inline)) void
evmap__io_ready_lone(struct event_base *base, int fd, short events, uint32_t gen)
{
	struct evmap_io *io = evmap__io_reported(base, fd, gen);
	if (!io)
		return;
	struct event *ev = LIST_FIRST(&io->events);
	if (io->nevents != 1 || !ev) {
		evmap__io_activate_all(base, io, events);
		return;
	}
	short res = evmap__event_result(ev, events);
	if (!res)
		return;
	if (event__may_run_direct(base, ev)) {
		base->ran_direct = ev->ev_pri + 1;
		event__run_direct(base, ev, res, io);
	}
	else
		event__activate_ready(base, ev, res);
}

/* Re-arms a persistent event's timeout before its callback (out of line:
 * the common persistent event has none). */
void event__persist_rearm(struct event_base *base, struct event *ev);
/* Wakes event_del() callers of other threads waiting for a callback. */
void event__wake_del_waiters(struct event_base *base);

/* Runs a plain or persistent event's callback: re-arms a persistent
 * event's timeout first, releases the lock around the call (a base
 * known to have none, locked = 0, skips the tests). */
static inline __attribute__((always_inline)) void
event__call_event_(struct event_base *base, struct event *ev, int locked)
{
	if (ev->ev_closure == EV_CLOSURE_EVENT_PERSIST && evutil_timerisset(&ev->ev_io_timeout))
		event__persist_rearm(base, ev);
	event_callback_fn cb = ev->ev_callback;
	evutil_socket_t fd = ev->ev_fd;
	short res = ev->ev_res;
	void *arg = ev->ev_arg;
	if (locked)
		EVBASE_RELEASE_LOCK(base);
	cb(fd, res, arg);
}
static inline void
event__call_event(struct event_base *base, struct event *ev)
{
	event__call_event_(base, ev, 1);
}

/* After any callback: the lock back, and event_del()s from other threads
 * that waited for it released.  Without a lock nobody waits: event_del
 * only waits with one (EVBASE_IN_THREAD). */
static inline __attribute__((always_inline)) void
event__end_callback_(struct event_base *base, int locked)
{
	if (locked)
		EVBASE_ACQUIRE_LOCK(base);
	base->current_event = NULL;
	if (locked && __builtin_expect(base->current_event_waiters, 0))
		event__wake_del_waiters(base);
}
static inline void
event__end_callback(struct event_base *base)
{
	event__end_callback_(base, 1);
}

/* event_del_nolock_ for the lone non-persistent event of io that just
 * fired one-shot (EXP-035): the kernel already disarmed the fd, so the
 * del only empties the fd's counts and list and ends the timer.  A lone
 * non-persistent event is always armed one-shot (evmap__io_want), so the
 * general path below, which removes a still-armed fd from the kernel at
 * once, serves only builds with EVMAP_NO_ONESHOT (EXP-005). */
void event__timer_remove(struct event_base *base, struct event *ev);
static inline void event_debug__note_del(const struct event *ev);
static inline void
event__del_fired_lone(struct event_base *base, struct event *ev, struct evmap_io *io)
{
	if (io->kstate != EVMAP_K_DISARMED) {
		event_del_nolock_(ev, EVENT_DEL_NOBLOCK);
		return;
	}
	if (ev->ev_flags & EVLIST_TIMEOUT)
		event__timer_remove(base, ev);
	LIST_REMOVE(ev, ev_.ev_io.ev_io_next);
	io->nread = io->nwrite = io->nclose = io->net = io->nevents = 0;
	/* Off every list now (not active: nothing queued it), so it stops
	 * counting for EVENT_BASE_COUNT_ADDED; never internal here. */
	ev->ev_flags &= ~(EVLIST_INSERTED | EVLIST_TIMEOUT);
	base->event_count--;
	event_debug__note_del(ev);
}

/* See event__may_run_direct: what the queue's run_callback (event_loop.c)
 * would do for ev if it had been queued alone, without the queue.  Inline
 * in the backend's report path, one call level fewer (EXP-032).  The
 * caller tells the loop (ran_direct), or is the loop (loop_epoll.c). */
static inline __attribute__((always_inline)) void
event__run_direct_(struct event_base *base, struct event *ev, short res, struct evmap_io *io,
    int locked)
{
	int pri = ev->ev_pri;
	ev->ev_res = res;
	/* For a moment it was the one active event (EVENT_BASE_COUNT_ACTIVE
	 * counts none else: nothing is queued). */
	if (base->event_count_active_max < 1)
		base->event_count_active_max = 1;
	base->event_running_priority = pri; /* more urgent activations set
	                                     * event_continue, as in the queue */
	if (ev->ev_closure == EV_CLOSURE_EVENT)
		event__del_fired_lone(base, ev, io);
	base->current_event = event_to_event_callback(ev);
	if (locked)
		base->current_event_waiters = 0;
	event__call_event_(base, ev, locked);
	event__end_callback_(base, locked);
	base->event_running_priority = -1;
}
static inline __attribute__((always_inline)) void
event__run_direct(struct event_base *base, struct event *ev, short res, struct evmap_io *io)
{
	event__run_direct_(base, ev, res, io, 1);
}

/* ---- event_base.c ---- */
extern struct event_base *event_global_current_base_;
/* The base used by NULL-base API calls and the 1.x API. */
#define event__current_base() (event_global_current_base_)

/* ---- event_loop.c, loop_epoll.c ---- */
int event_base_has_events(struct event_base *base);
/* Where event__loop_general starts: a new call, or the rest of one the
 * fast loop began (see there). */
enum { LOOP_START, LOOP_TOP, LOOP_AFTER_WAIT };
/* Hand-overs between the loops (event__loop_fast's trampoline): never a
 * return value of event_base_loop. */
enum { LOOP_GO_AFTER_WAIT = INT_MIN, LOOP_GO_TOP, LOOP_GO_FAST };
int event__loop_general(struct event_base *base, int flags, int entry);
/* The rest of an iteration whose callback ran at once (EXP-026). */
void event__finish_direct(struct event_base *base, int pri);
/* event_base_loop for a base with loop_fast set, flags 0 or EVLOOP_ONCE. */
int event__loop_fast(struct event_base *base, int flags);
/* Whether a new base may use event__loop_fast. */
int event__loop_fast_allowed(const struct event_base *base);

/* ---- timer.c ---- */
/* Monotonic now, from the cache while the loop holds one. */
int event__gettime_slow(struct event_base *base, struct timeval *tp);
static inline int
event__gettime(struct event_base *base, struct timeval *tp)
{
	if (base->tv_cache.tv_sec) {
		*tp = base->tv_cache;
		return 0;
	}
	return event__gettime_slow(base, tp);
}
static inline void
event__clear_time_cache(struct event_base *base)
{
	base->tv_cache.tv_sec = 0;
}
/* A new iteration: the cached time is refilled by the first reader (timer
 * expiry, an event_add with a timeout, event_base_gettimeofday_cached),
 * not here, so an iteration in which nobody needs the time reads no clock
 * (EXP-009). */
static inline void
event__update_time_cache(struct event_base *base)
{
	base->tv_cache.tv_sec = 0;
}
/* Does tv carry the tag of one of base's common-timeout FIFOs? */
static inline int
event__is_common_timeout(const struct timeval *tv, const struct event_base *base)
{
	if ((tv->tv_usec & COMMON_TIMEOUT_MASK) != COMMON_TIMEOUT_MAGIC)
		return 0;
	return ((tv->tv_usec & COMMON_TIMEOUT_IDX_MASK) >> COMMON_TIMEOUT_IDX_SHIFT) <
	    base->n_common_timeouts;
}
/* If rel's duration has (or may get) an automatic FIFO, stores the tagged
 * duration in *tagged and returns 1; 0 means "use the heap". */
int event__auto_fifo(struct event_base *base, const struct timeval *rel,
    struct timeval *tagged);
void event__timer_insert(struct event_base *base, struct event *ev);
void event__timer_remove(struct event_base *base, struct event *ev);
/* How long the loop may wait: *tv_p set to NULL (forever) or tv. */
int event__timeout_next(struct event_base *base, struct timeval **tv_p);
/* The earliest monotonic expiry on the heap, untagged, in *when: 1, or 0
 * when no timer is pending. */
static inline int
event__next_expiry(const struct event_base *base, struct timeval *when)
{
	const struct event *ev = min_heap_top_(&base->timeheap);
	if (!ev)
		return 0;
	*when = ev->ev_timeout;
	when->tv_usec &= COMMON_TIMEOUT_MICROSECONDS_MASK;
	return 1;
}
/* Does the backend's own timer wake the loop no later than the earliest
 * expiry (see eventop.holds_deadline)?  Then the loop neither computes a
 * timeout nor looks for expired timers: none can be due before that timer
 * reports (EXP-027). */
static inline int
event__deadline_held(struct event_base *base)
{
	struct timeval when;
	return base->evsel->holds_deadline && event__next_expiry(base, &when) &&
	    base->evsel->holds_deadline(base, &when);
}
/* Activates every expired timer. */
void event__timeout_process(struct event_base *base);
/* Wall-clock expiry of a monotonic (possibly tagged) expiry. */
void event__mono_to_wall(struct event_base *base, const struct timeval *mono,
    struct timeval *wall);
void event__free_common_timeouts(struct event_base *base);
int event__monotonic_now(int precise, struct timeval *tp);

/* ---- notify.c ---- */
/* Sets up the eventfd that wakes base's loop from other threads.  0/-1. */
int event__make_notifiable(struct event_base *base);
/* Recreates it in a forked child (no-op when the base had none). */
int event__make_notifiable_reinit(struct event_base *base);
void event__notify_free(struct event_base *base);

/* ---- event_debug.c ---- */
extern int event_debug_mode_on_;
/* Debug-mode registry of assigned events. */
void event_debug__note_setup(const struct event *ev);
void event_debug__note_teardown(const struct event *ev);
void event_debug__note_add_slow(const struct event *ev);
void event_debug__note_del_slow(const struct event *ev);
int event_debug__assert_is_setup_slow(const struct event *ev, const char *op);
int event_debug__assert_not_added_slow(const struct event *ev);
/* The checks cost one predictable branch unless debug mode is on. */
static inline void
event_debug__note_add(const struct event *ev)
{
	if (event_debug_mode_on_)
		event_debug__note_add_slow(ev);
}
static inline void
event_debug__note_del(const struct event *ev)
{
	if (event_debug_mode_on_)
		event_debug__note_del_slow(ev);
}
/* 0 if ev is usable for op; logs and returns -1 in debug mode when not. */
static inline int
event_debug__assert_is_setup(const struct event *ev, const char *op)
{
	return event_debug_mode_on_ ? event_debug__assert_is_setup_slow(ev, op) : 0;
}
static inline int
event_debug__assert_not_added(const struct event *ev)
{
	return event_debug_mode_on_ ? event_debug__assert_not_added_slow(ev) : 0;
}
void event_debug__free_map(void);
/* Walks evmap, heap and queues; calls event_errx on a broken invariant. */
void event_base_assert_ok_nolock_(struct event_base *base);

#endif /* EVENT_INTERNAL_H_INCLUDED_ */
