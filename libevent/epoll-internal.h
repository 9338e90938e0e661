/*
 * epoll-internal.h: the epoll backend's state, shared by epoll.c and the
 * loop's fast path for epoll bases (loop_epoll.c, EXP-036).
 */
#ifndef EPOLL_INTERNAL_H_INCLUDED_
#define EPOLL_INTERNAL_H_INCLUDED_

#include <stdint.h>
#include <sys/epoll.h>

#include "event-internal.h"

/* What the far-deadline timerfd is doing (epoll.c, "Far deadlines"). */
enum tfd_state {
	TFD_IDLE = 0,   /* not armed, not readable (or not created yet) */
	TFD_ARMED,      /* armed for tfd_when */
	TFD_FIRED,      /* reported readable: the next wait must re-arm or
	                 * disarm it, or it would report again at once */
	TFD_OFF         /* could not be created or armed: plain timeouts */
};

/* The timerfd's report tag: never a real one, its fd bits are all ones. */
#define TFD_DATA UINT64_MAX

struct epollop {
	struct epoll_event *events;
	int nevents;
	int epfd;
	int tfd;                  /* the timerfd, -1 until first needed */
	int tfd_state;            /* enum tfd_state */
	int busy;                 /* the last wait ended with an I/O report */
	struct timeval tfd_when;  /* monotonic expiry it is armed for */
};

/* Is the timerfd armed to report by `when` (perhaps earlier)? */
static inline int
epoll__tfd_holds(const struct epollop *op, const struct timeval *when)
{
	return op->tfd_state == TFD_ARMED && !evutil_timercmp(when, &op->tfd_when, <);
}

/* Maps a report to EV_* bits; an error or hang-up makes both directions
 * ready.  Nearly every report is a plain EPOLLIN (EXP-034). */
static inline short
epoll__from_events(uint32_t e)
{
	if (__builtin_expect(e == EPOLLIN, 1))
		return EV_READ;
	short what = 0;
	if (e & (EPOLLHUP | EPOLLERR))
		what = EV_READ | EV_WRITE;
	if (e & EPOLLIN)
		what |= EV_READ;
	if (e & EPOLLOUT)
		what |= EV_WRITE;
	if (e & EPOLLRDHUP)
		what |= EV_CLOSED;
	return what;
}

/* For the fast loop (loop_epoll.c, EXP-036): may the next wait block
 * for ever, with a lone report's callback run at once afterwards?
 * Nothing queued (n_queued_callbacks counts the active-later queue too),
 * events to wait for, no timerfd that fired since it was last set (only
 * the general loop's wait re-arms or disarms it: without that, a fired
 * timerfd with no timer left reports at every wait, and the loops would
 * hand each other a spinning loop, EXP-040), and no timer unless the
 * timerfd holds the earliest (then none can be due before it reports). */
static inline int
epoll__loop_fast_ok(struct event_base *base)
{
	const struct epollop *op = base->evbase;
	if (!op)
		return 0; /* a failed event_reinit: the general loop says so */
	if (base->n_queued_callbacks || base->event_count <= 0 || op->tfd_state == TFD_FIRED)
		return 0;
	struct timeval first;
	return !base->timeheap.n ||
	    (event__next_expiry(base, &first) && epoll__tfd_holds(op, &first));
}

/* Everything epoll_dispatch does with the result n of its epoll_wait
 * (errors, the timerfd, activations, a lone callback run at once);
 * 0, or -1 on failure.  For the fast loop's uncommon outcomes. */
int epoll__reported(struct event_base *base, int n);

#endif
