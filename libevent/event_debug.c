/*
 * event_debug.c: debug mode, dumping and walking a base's events, and
 * the invariant checks.
 *
 * Debug mode keeps a registry of every event that was assigned, so that
 * API misuse (adding an event never assigned, re-assigning a pending
 * event, using a freed one) is reported instead of corrupting lists.  The
 * registry is an open-addressing hash set of event addresses.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

int event_debug_mode_on_;
static int debug_mode_too_late;

struct debug_entry {
	const struct event *ev; /* NULL: empty; TOMBSTONE: deleted */
	int added;
};

#define TOMBSTONE ((const struct event *)1)

static struct debug_entry *debug_map;
static size_t debug_cap, debug_used;
static void *debug_lock;

void
event_enable_debug_mode(void)
{
	if (event_debug_mode_on_) {
		event_warnx("event_enable_debug_mode: called twice");
		return;
	}
	if (__atomic_load_n(&debug_mode_too_late, __ATOMIC_RELAXED)) {
		event_warnx("event_enable_debug_mode: must be called before any "
		    "event or event_base is created");
		return;
	}
	event_debug_mode_on_ = 1;
	debug_lock = evthread__lock_new();
}

static size_t
hash_ptr(const void *p)
{
	uintptr_t x = (uintptr_t)p >> 4;
	x ^= x >> 17;
	x *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(x ^ (x >> 29));
}

static struct debug_entry *
find(const struct event *ev)
{
	if (!debug_cap)
		return NULL;
	for (size_t i = hash_ptr(ev) & (debug_cap - 1), n = 0; n < debug_cap;
	     i = (i + 1) & (debug_cap - 1), n++) {
		if (debug_map[i].ev == ev)
			return &debug_map[i];
		if (debug_map[i].ev == NULL)
			return NULL;
	}
	return NULL;
}

static int
rehash(size_t cap)
{
	struct debug_entry *m = mm_calloc(cap, sizeof(*m));
	if (!m)
		return -1;
	for (size_t i = 0; i < debug_cap; i++) {
		const struct event *ev = debug_map[i].ev;
		if (!ev || ev == TOMBSTONE)
			continue;
		size_t j = hash_ptr(ev) & (cap - 1);
		while (m[j].ev)
			j = (j + 1) & (cap - 1);
		m[j] = debug_map[i];
	}
	mm_free(debug_map);
	debug_map = m;
	debug_cap = cap;
	return 0;
}

static struct debug_entry *
insert(const struct event *ev)
{
	if ((debug_used + 1) * 2 > debug_cap &&
	    rehash(debug_cap ? debug_cap * 2 : 256) < 0)
		return NULL;
	size_t i = hash_ptr(ev) & (debug_cap - 1);
	while (debug_map[i].ev && debug_map[i].ev != TOMBSTONE)
		i = (i + 1) & (debug_cap - 1);
	debug_map[i].ev = ev;
	debug_map[i].added = 0;
	debug_used++;
	return &debug_map[i];
}

void
event_debug__note_setup(const struct event *ev)
{
	/* Written by every event_assign, from any thread: atomic. */
	__atomic_store_n(&debug_mode_too_late, 1, __ATOMIC_RELAXED);
	if (!event_debug_mode_on_)
		return;
	EVLOCK_LOCK(debug_lock);
	struct debug_entry *e = find(ev);
	if (!e)
		e = insert(ev);
	if (e)
		e->added = 0;
	EVLOCK_UNLOCK(debug_lock);
}

void
event_debug__note_teardown(const struct event *ev)
{
	if (!event_debug_mode_on_)
		return;
	EVLOCK_LOCK(debug_lock);
	struct debug_entry *e = find(ev);
	if (e) {
		e->ev = TOMBSTONE;
		debug_used--;
	}
	EVLOCK_UNLOCK(debug_lock);
}

static void
set_added(const struct event *ev, int added)
{
	if (!event_debug_mode_on_)
		return;
	EVLOCK_LOCK(debug_lock);
	struct debug_entry *e = find(ev);
	if (e)
		e->added = added;
	EVLOCK_UNLOCK(debug_lock);
}

void
event_debug__note_add_slow(const struct event *ev)
{
	set_added(ev, 1);
}

void
event_debug__note_del_slow(const struct event *ev)
{
	set_added(ev, 0);
}

int
event_debug__assert_is_setup_slow(const struct event *ev, const char *op)
{
	if (!event_debug_mode_on_)
		return 0;
	EVLOCK_LOCK(debug_lock);
	int ok = find(ev) != NULL;
	EVLOCK_UNLOCK(debug_lock);
	if (!ok) {
		event_warnx("%s: event %p was not assigned (debug mode)", op, (void *)ev);
		return -1;
	}
	return 0;
}

int
event_debug__assert_not_added_slow(const struct event *ev)
{
	if (!event_debug_mode_on_)
		return 0;
	EVLOCK_LOCK(debug_lock);
	struct debug_entry *e = find(ev);
	int pending = e && e->added &&
	    (ev->ev_flags & (EVLIST_INSERTED | EVLIST_TIMEOUT | EVLIST_ACTIVE |
	        EVLIST_ACTIVE_LATER));
	EVLOCK_UNLOCK(debug_lock);
	if (pending) {
		event_warnx("event_assign: event %p is pending; delete it first "
		    "(debug mode)", (void *)ev);
		return -1;
	}
	return 0;
}

void
event_debug__free_map(void)
{
	mm_free(debug_map);
	debug_map = NULL;
	debug_cap = debug_used = 0;
	evthread__lock_free(debug_lock);
	debug_lock = NULL;
	event_debug_mode_on_ = 0;
	debug_mode_too_late = 0;
}

/* ---- walking the events of a base --------------------------------------- */

struct foreach_ctx {
	event_base_foreach_event_cb fn;
	void *arg;
};

static int
visit(struct event_base *base, struct event *ev, void *arg)
{
	struct foreach_ctx *ctx = arg;
	if (ev->ev_flags & EVLIST_INTERNAL)
		return 0;
	return ctx->fn(base, ev, ctx->arg);
}

/* Every non-internal event that is inserted, on a timer or active,
 * each exactly once. */
static int
foreach_event_nolock(struct event_base *base, event_base_foreach_event_cb fn, void *arg)
{
	struct foreach_ctx ctx = { fn, arg };
	int r = evmap__foreach_event(base,
	    (int (*)(struct event_base *, struct event *, void *))visit, &ctx);
	if (r)
		return r;
	for (unsigned i = 0; i < base->timeheap.n; i++) {
		struct event *ev = base->timeheap.p[i];
		if (!(ev->ev_flags & EVLIST_INSERTED) && (r = visit(base, ev, &ctx)))
			return r;
	}
	for (int i = 0; i < base->n_common_timeouts; i++) {
		struct event *ev;
		TAILQ_FOREACH(ev, &base->common_timeout_queues[i]->events,
		    ev_timeout_pos.ev_next_with_common_timeout)
			if (!(ev->ev_flags & EVLIST_INSERTED) && (r = visit(base, ev, &ctx)))
				return r;
	}
	for (int i = 0; i < base->nactivequeues; i++) {
		struct event_callback *evcb;
		TAILQ_FOREACH(evcb, &base->activequeues[i], evcb_active_next) {
			if (!(evcb->evcb_flags & EVLIST_INIT))
				continue;
			struct event *ev = event_callback_to_event(evcb);
			if (!(ev->ev_flags & (EVLIST_INSERTED | EVLIST_TIMEOUT)) &&
			    (r = visit(base, ev, &ctx)))
				return r;
		}
	}
	return 0;
}

int
event_base_foreach_event(struct event_base *base, event_base_foreach_event_cb fn,
    void *arg)
{
	if (!base || !fn) {
		event_warnx("event_base_foreach_event: NULL argument");
		return -1;
	}
	EVBASE_ACQUIRE_LOCK(base);
	int r = foreach_event_nolock(base, fn, arg);
	EVBASE_RELEASE_LOCK(base);
	return r;
}

static int
dump_one(const struct event_base *base, const struct event *ev, void *arg)
{
	FILE *out = arg;
	const char *kind = (ev->ev_events & EV_SIGNAL) ? "sig" : "fd ";
	fprintf(out, "  %p [%s %d]%s%s%s%s%s%s", (void *)ev, kind, (int)ev->ev_fd,
	    (ev->ev_events & EV_READ) ? " Read" : "",
	    (ev->ev_events & EV_WRITE) ? " Write" : "",
	    (ev->ev_events & EV_CLOSED) ? " EOF" : "",
	    (ev->ev_events & EV_SIGNAL) ? " Signal" : "",
	    (ev->ev_events & EV_PERSIST) ? " Persist" : "",
	    (ev->ev_flags & EVLIST_INTERNAL) ? " Internal" : "");
	if (ev->ev_flags & EVLIST_TIMEOUT) {
		struct timeval tv;
		event__mono_to_wall((struct event_base *)base, &ev->ev_timeout, &tv);
		fprintf(out, " Timeout=%ld.%06d", (long)tv.tv_sec, (int)tv.tv_usec);
	}
	if (ev->ev_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER))
		fprintf(out, " Active:%s%s%s%s", (ev->ev_res & EV_READ) ? " Read" : "",
		    (ev->ev_res & EV_WRITE) ? " Write" : "",
		    (ev->ev_res & EV_TIMEOUT) ? " Timeout" : "",
		    (ev->ev_res & EV_SIGNAL) ? " Signal" : "");
	fputc('\n', out);
	return 0;
}

void
event_base_dump_events(struct event_base *base, FILE *output)
{
	if (!base || !output) {
		event_warnx("event_base_dump_events: NULL argument");
		return;
	}
	EVBASE_ACQUIRE_LOCK(base);
	fprintf(output, "Inserted and active events of base %p (%s):\n", (void *)base,
	    base->evsel ? base->evsel->name : "?");
	foreach_event_nolock(base, dump_one, output);
	EVBASE_RELEASE_LOCK(base);
}

/* ---- activating by fd or signal ------------------------------------------- */

void
event_base_active_by_fd(struct event_base *base, evutil_socket_t fd, short events)
{
	if (!base || fd < 0) {
		event_warnx("event_base_active_by_fd: bad argument");
		return;
	}
	EVBASE_ACQUIRE_LOCK(base);
	evmap__io_active(base, fd, events & (EV_READ | EV_WRITE | EV_CLOSED), UINT32_MAX);
	EVBASE_RELEASE_LOCK(base);
}

void
event_base_active_by_signal(struct event_base *base, int sig)
{
	if (!base || sig <= 0 || sig >= NSIG) {
		event_warnx("event_base_active_by_signal: bad argument");
		return;
	}
	EVBASE_ACQUIRE_LOCK(base);
	evmap__signal_active(base, sig, 1);
	EVBASE_RELEASE_LOCK(base);
}

/* ---- invariants ------------------------------------------------------------- */

void
event_base_assert_ok_nolock_(struct event_base *base)
{
	evmap__check_integrity(base);
	for (unsigned i = 0; i < base->timeheap.n; i++) {
		struct event *ev = base->timeheap.p[i];
		if (MH_IDX(ev) != (int)i || !(ev->ev_flags & EVLIST_TIMEOUT))
			event_errx(1, "timer heap: slot %u holds %p with index %d flags 0x%x",
			    i, (void *)ev, MH_IDX(ev), ev->ev_flags);
		if (i > 0 && min_heap_greater_(base->timeheap.p[(i - 1) / 2], ev))
			event_errx(1, "timer heap: order broken at slot %u", i);
	}
	for (int i = 0; i < base->n_common_timeouts; i++) {
		struct event *ev, *prev = NULL;
		TAILQ_FOREACH(ev, &base->common_timeout_queues[i]->events,
		    ev_timeout_pos.ev_next_with_common_timeout) {
			if (prev && evutil_timercmp(&prev->ev_timeout, &ev->ev_timeout, >))
				event_errx(1, "common timeout queue %d out of order", i);
			prev = ev;
		}
	}
	int nactive = 0;
	for (int i = 0; i < base->nactivequeues; i++) {
		struct event_callback *evcb;
		TAILQ_FOREACH(evcb, &base->activequeues[i], evcb_active_next) {
			if (!(evcb->evcb_flags & EVLIST_ACTIVE) || evcb->evcb_pri != i)
				event_errx(1, "active queue %d holds %p with flags 0x%x pri %d",
				    i, (void *)evcb, evcb->evcb_flags, evcb->evcb_pri);
			nactive += !(evcb->evcb_flags & EVLIST_INTERNAL);
		}
	}
	struct event_callback *evcb;
	TAILQ_FOREACH(evcb, &base->active_later_queue, evcb_active_next)
		nactive += !(evcb->evcb_flags & EVLIST_INTERNAL);
	if (nactive != base->event_count_active)
		event_errx(1, "active count %d, queues hold %d", base->event_count_active,
		    nactive);
}
