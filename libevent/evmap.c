/*
 * evmap.c: fd and signal interest, and the per-fd kernel state that lets
 * the backends touch the kernel only for a real change (see the essay in
 * evmap-internal.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/* ---- the fd map ------------------------------------------------------ */

void
evmap__io_initmap(struct event_io_map *map)
{
	map->entries = NULL;
	map->nentries = 0;
}

void
evmap__io_clear(struct event_io_map *map)
{
	mm_free(map->entries);
	evmap__io_initmap(map);
}

struct evmap_io *
evmap__io_get(struct event_base *base, int fd)
{
	if (fd < 0 || fd >= base->io.nentries)
		return NULL;
	return &base->io.entries[fd];
}

/* Grows the map to hold fd.  The list heads live inside the array, so
 * after moving it the first element of each list is pointed back at its
 * head.  Growth is by powers of two: rare, never on a steady path. */
static int
io_map_grow(struct event_io_map *map, int fd)
{
	int n = map->nentries ? map->nentries : 32;
	while (n <= fd)
		n *= 2;
	struct evmap_io *p = mm_realloc(map->entries, (size_t)n * sizeof(*p));
	if (!p) {
		event_warn("evmap: cannot grow the fd map to %d entries", n);
		return -1;
	}
	memset(p + map->nentries, 0, (size_t)(n - map->nentries) * sizeof(*p));
	for (int i = 0; i < map->nentries; i++) {
		struct event *first = LIST_FIRST(&p[i].events);
		if (first)
			first->ev_.ev_io.ev_io_next.le_prev = &LIST_FIRST(&p[i].events);
	}
	map->entries = p;
	map->nentries = n;
	return 0;
}

unsigned
evmap__io_want(const struct evmap_io *io)
{
	unsigned want = 0;
	if (io->nread)
		want |= EV_READ;
	if (io->nwrite)
		want |= EV_WRITE;
	if (io->nclose)
		want |= EV_CLOSED;
	if (want && io->net)
		want |= EV_ET;
#ifndef EVMAP_NO_ONESHOT /* switch for measuring the mechanism (EXP-005) */
	if (want && io->nevents == 1 &&
	    !(LIST_FIRST(&io->events)->ev_events & EV_PERSIST))
		want |= EVMAP_ONESHOT;
#endif
	return want;
}

/* What the kernel effectively watches for io right now. */
static unsigned
kernel_mask(const struct evmap_io *io)
{
	return io->kstate == EVMAP_K_ARMED ? io->kmask : 0;
}

static int
queue_change(struct event_base *base, int fd, struct evmap_io *io)
{
	if (io->queued)
		return 0;
	if (base->n_changed == base->changed_cap) {
		int cap = base->changed_cap ? base->changed_cap * 2 : 64;
		int *p = mm_realloc(base->changed_fds, (size_t)cap * sizeof(*p));
		if (!p) {
			event_warn("evmap: cannot grow the change queue");
			return -1;
		}
		base->changed_fds = p;
		base->changed_cap = cap;
	}
	base->changed_fds[base->n_changed++] = fd;
	io->queued = 1;
	return 0;
}

/* Records that io's interest may have changed: queue it, or remove it
 * from the kernel at once when nothing is wanted any more. */
static int
note_change(struct event_base *base, int fd, struct evmap_io *io)
{
	unsigned want = evmap__io_want(io);

	if (want == 0 && io->kstate == EVMAP_K_ARMED)
		return base->evsel->apply(base, fd, io, want);
	/* A first registration is made at once too: it costs the same one
	 * call as later, and a bad fd (closed, a regular file) is refused by
	 * event_add itself, as applications expect. */
	if (want != 0 && io->kstate == EVMAP_K_ABSENT && !io->queued)
		return base->evsel->apply(base, fd, io, want);
	if (want == kernel_mask(io) && io->kstate != EVMAP_K_DISARMED)
		return 0;
	if (want == 0)
		return 0; /* disarmed one-shot: nothing can fire, nothing to do */
	return queue_change(base, fd, io);
}

static void
count_event(struct evmap_io *io, short events, int delta)
{
	if (events & EV_READ)
		io->nread += delta;
	if (events & EV_WRITE)
		io->nwrite += delta;
	if (events & EV_CLOSED)
		io->nclose += delta;
	if (events & EV_ET)
		io->net += delta;
	io->nevents += delta;
}

int
evmap__io_add(struct event_base *base, int fd, struct event *ev)
{
	if (fd < 0) {
		event_warnx("event_add: invalid fd %d for an I/O event", fd);
		errno = EBADF;
		return -1;
	}
	if (fd >= base->io.nentries && io_map_grow(&base->io, fd) < 0)
		return -1;
	struct evmap_io *io = &base->io.entries[fd];
	if (io->nevents && ((ev->ev_events & EV_ET) != 0) != (io->net != 0)) {
		event_warnx("event_add: fd %d mixes edge- and level-triggered events", fd);
		return -1;
	}
	if (io->nevents == UINT16_MAX) {
		event_warnx("event_add: too many events on fd %d", fd);
		return -1;
	}
	LIST_INSERT_HEAD(&io->events, ev, ev_.ev_io.ev_io_next);
	count_event(io, ev->ev_events, 1);
	if (note_change(base, fd, io) < 0) {
		LIST_REMOVE(ev, ev_.ev_io.ev_io_next);
		count_event(io, ev->ev_events, -1);
		return -1;
	}
	return 0;
}

int
evmap__io_del(struct event_base *base, int fd, struct event *ev)
{
	struct evmap_io *io = evmap__io_get(base, fd);
	if (!io || !io->nevents)
		return -1;
	LIST_REMOVE(ev, ev_.ev_io.ev_io_next);
	count_event(io, ev->ev_events, -1);
	return note_change(base, fd, io);
}

void
evmap__io_active(struct event_base *base, int fd, short events, uint32_t gen)
{
	evmap__io_ready(base, fd, events, gen);
}

int
evmap__apply_changes(struct event_base *base)
{
	int rv = 0;
	for (int i = 0; i < base->n_changed; i++) {
		int fd = base->changed_fds[i];
		struct evmap_io *io = evmap__io_get(base, fd);
		if (!io || !io->queued)
			continue;
		io->queued = 0;
		unsigned want = evmap__io_want(io);
		if (want == kernel_mask(io) && io->kstate != EVMAP_K_DISARMED)
			continue;
		if (want == 0 && io->kstate != EVMAP_K_ARMED)
			continue;
		if (base->evsel->apply(base, fd, io, want) < 0)
			rv = -1;
	}
	base->n_changed = 0;
	return rv;
}

/* ---- signals --------------------------------------------------------- */

void
evmap__signal_initmap(struct event_signal_map *map)
{
	map->entries = NULL;
	map->nentries = 0;
}

void
evmap__signal_clear(struct event_signal_map *map)
{
	mm_free(map->entries);
	evmap__signal_initmap(map);
}

int
evmap__signal_add(struct event_base *base, int sig, struct event *ev)
{
	if (sig <= 0 || sig >= NSIG) {
		event_warnx("event_add: invalid signal number %d", sig);
		return -1;
	}
	if (!base->sigmap.entries) {
		base->sigmap.entries = mm_calloc(NSIG, sizeof(struct evmap_signal));
		if (!base->sigmap.entries) {
			event_warn("evmap: cannot allocate the signal map");
			return -1;
		}
		base->sigmap.nentries = NSIG;
	}
	struct evmap_signal *s = &base->sigmap.entries[sig];
	if (LIST_EMPTY(&s->events) && evsig__add(base, sig) < 0)
		return -1;
	LIST_INSERT_HEAD(&s->events, ev, ev_.ev_signal.ev_signal_next);
	return 0;
}

int
evmap__signal_del(struct event_base *base, int sig, struct event *ev)
{
	if (sig <= 0 || sig >= base->sigmap.nentries)
		return -1;
	struct evmap_signal *s = &base->sigmap.entries[sig];
	LIST_REMOVE(ev, ev_.ev_signal.ev_signal_next);
	if (LIST_EMPTY(&s->events))
		return evsig__del(base, sig);
	return 0;
}

void
evmap__signal_active(struct event_base *base, int sig, int ncalls)
{
	if (sig <= 0 || sig >= base->sigmap.nentries)
		return;
	struct event *ev;
	LIST_FOREACH(ev, &base->sigmap.entries[sig].events, ev_.ev_signal.ev_signal_next)
		event_active_nolock_(ev, EV_SIGNAL, (short)ncalls);
}

/* ---- whole-map operations ------------------------------------------- */

int
evmap__reinit(struct event_base *base)
{
	base->n_changed = 0;
	for (int fd = 0; fd < base->io.nentries; fd++) {
		struct evmap_io *io = &base->io.entries[fd];
		io->kstate = EVMAP_K_ABSENT;
		io->kmask = 0;
		io->queued = 0;
		if (evmap__io_want(io) && queue_change(base, fd, io) < 0)
			return -1;
	}
	return 0;
}

int
evmap__foreach_event(struct event_base *base,
    int (*fn)(struct event_base *, struct event *, void *), void *arg)
{
	int r;
	for (int fd = 0; fd < base->io.nentries; fd++) {
		struct event *ev, *next;
		for (ev = LIST_FIRST(&base->io.entries[fd].events); ev; ev = next) {
			next = LIST_NEXT(ev, ev_.ev_io.ev_io_next);
			if ((r = fn(base, ev, arg)) != 0)
				return r;
		}
	}
	for (int sig = 0; sig < base->sigmap.nentries; sig++) {
		struct event *ev, *next;
		for (ev = LIST_FIRST(&base->sigmap.entries[sig].events); ev; ev = next) {
			next = LIST_NEXT(ev, ev_.ev_signal.ev_signal_next);
			if ((r = fn(base, ev, arg)) != 0)
				return r;
		}
	}
	return 0;
}

static int
delete_one(struct event_base *base, struct event *ev, void *arg)
{
	int *count = arg;
	if (!(ev->ev_flags & EVLIST_INTERNAL))
		++*count;
	event_del_nolock_(ev, EVENT_DEL_EVEN_IF_FINALIZING);
	return 0;
}

int
evmap__delete_all(struct event_base *base)
{
	int count = 0;
	evmap__foreach_event(base, delete_one, &count);
	return count;
}

void
evmap__check_integrity(struct event_base *base)
{
	for (int fd = 0; fd < base->io.nentries; fd++) {
		struct evmap_io *io = &base->io.entries[fd];
		int nread = 0, nwrite = 0, nclose = 0, n = 0;
		struct event *ev;
		LIST_FOREACH(ev, &io->events, ev_.ev_io.ev_io_next) {
			if (ev->ev_fd != fd || !(ev->ev_flags & EVLIST_INSERTED))
				event_errx(1, "evmap: event %p on fd %d's list has fd %d "
				    "flags 0x%x", (void *)ev, fd, ev->ev_fd, ev->ev_flags);
			nread += !!(ev->ev_events & EV_READ);
			nwrite += !!(ev->ev_events & EV_WRITE);
			nclose += !!(ev->ev_events & EV_CLOSED);
			n++;
		}
		if (n != io->nevents || nread != io->nread || nwrite != io->nwrite ||
		    nclose != io->nclose)
			event_errx(1, "evmap: fd %d counts %d/%d/%d/%d, lists %d/%d/%d/%d",
			    fd, io->nevents, io->nread, io->nwrite, io->nclose, n, nread,
			    nwrite, nclose);
	}
	for (int sig = 0; sig < base->sigmap.nentries; sig++) {
		struct event *ev;
		LIST_FOREACH(ev, &base->sigmap.entries[sig].events, ev_.ev_signal.ev_signal_next)
			if (ev->ev_fd != sig || !(ev->ev_events & EV_SIGNAL))
				event_errx(1, "evmap: event %p on signal %d's list is for %d",
				    (void *)ev, sig, ev->ev_fd);
	}
}
