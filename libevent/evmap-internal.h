/*
 * evmap-internal.h: which events want which fd or signal, and what the
 * kernel was last told about each fd.
 *
 * The loop never calls a backend when an event is added or deleted.  It
 * updates the counts here, and when the net interest of an fd differs
 * from the kernel's, queues the fd; the queue is applied once per loop
 * iteration just before the backend waits, so an fd toggled several times
 * in one iteration costs at most one system call.  The one exception is a
 * drop to no interest while the kernel still has the fd armed: that is
 * applied at once, because the application may close the fd right after
 * event_del(), and if the file is shared (dup, fork) a deferred removal
 * would find a different or no fd under that number and leave the old
 * registration firing forever.
 */
#ifndef EVMAP_INTERNAL_H_INCLUDED_
#define EVMAP_INTERNAL_H_INCLUDED_

#include <stdint.h>
#include <event2/event_struct.h>

struct event_base;
struct event;

/* Extra interest bit beyond EV_READ/EV_WRITE/EV_ET/EV_CLOSED: the fd's
 * whole interest is one non-persistent event, so it may be armed one-shot. */
#define EVMAP_ONESHOT 0x100

/* What the kernel holds for an fd. */
enum evmap_kstate {
	EVMAP_K_ABSENT = 0,   /* not registered */
	EVMAP_K_ARMED = 1,    /* registered with kmask */
	EVMAP_K_DISARMED = 2  /* registered one-shot and already fired */
};

struct evmap_io {
	struct event_dlist events;   /* linked through ev_.ev_io.ev_io_next */
	uint16_t nread, nwrite, nclose, net;
	uint16_t nevents;
	uint16_t kmask;              /* interest bits the kernel holds */
	uint8_t kstate;              /* enum evmap_kstate */
	uint8_t queued;              /* on base->changed_fds */
	uint32_t gen;                /* bumped on every fresh registration */
};

struct event_io_map {
	struct evmap_io *entries;    /* indexed by fd */
	int nentries;
};

struct evmap_signal {
	struct event_dlist events;   /* linked through ev_.ev_signal.ev_signal_next */
};

struct event_signal_map {
	struct evmap_signal *entries; /* indexed by signal number */
	int nentries;
};

void evmap__io_initmap(struct event_io_map *map);
void evmap__io_clear(struct event_io_map *map);
void evmap__signal_initmap(struct event_signal_map *map);
void evmap__signal_clear(struct event_signal_map *map);

/* The interest io wants now: EV_* bits plus EVMAP_ONESHOT. */
unsigned evmap__io_want(const struct evmap_io *io);
/* The entry of fd, or NULL when fd never had an event. */
struct evmap_io *evmap__io_get(struct event_base *base, int fd);

/* Registers ev's interest in fd.  0 on success, -1 (logged) on bad fd,
 * conflicting EV_ET use, or allocation failure; nothing changed then. */
int evmap__io_add(struct event_base *base, int fd, struct event *ev);
/* Removes ev's interest.  0, or -1 if a needed kernel removal failed. */
int evmap__io_del(struct event_base *base, int fd, struct event *ev);
/* The backend saw events on fd: activates the events wanting them.  gen
 * is the registration tag from the kernel report, or UINT32_MAX when the
 * backend has none; a report of an older registration is ignored. */
void evmap__io_active(struct event_base *base, int fd, short events, uint32_t gen);
/* Applies every queued change.  0, or -1 if a backend call failed. */
int evmap__apply_changes(struct event_base *base);

int evmap__signal_add(struct event_base *base, int sig, struct event *ev);
int evmap__signal_del(struct event_base *base, int sig, struct event *ev);
void evmap__signal_active(struct event_base *base, int sig, int ncalls);

/* After a backend was recreated (fork): forget the kernel state of every
 * fd and queue every fd with interest for re-registration. */
int evmap__reinit(struct event_base *base);
/* Deletes every event still registered (base teardown).  Returns count. */
int evmap__delete_all(struct event_base *base);
/* Calls fn on every registered event until fn returns nonzero. */
int evmap__foreach_event(struct event_base *base,
    int (*fn)(struct event_base *, struct event *, void *), void *arg);
/* Checks counts and lists against each other; event_errx when broken. */
void evmap__check_integrity(struct event_base *base);

#endif /* EVMAP_INTERNAL_H_INCLUDED_ */
