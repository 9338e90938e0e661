/*
 * epoll.c: the Linux backend.
 *
 * What we rely on from the kernel, and why it shapes this file:
 *
 * - A registration belongs to the pair (fd number, open file).  Closing
 *   the last descriptor of a file drops its registrations by itself; but
 *   while another descriptor (dup, fork) keeps the file open, the
 *   registration survives the close, and epoll_ctl can no longer reach it
 *   through the closed number.  evmap.c therefore removes an armed
 *   registration as soon as interest drops to nothing, and every report
 *   carries a generation tag: a report from a registration that an older
 *   incarnation of the fd number made is recognised and ignored.
 * - EPOLL_CTL_MOD on a number whose file was closed and replaced answers
 *   ENOENT (the new file was never registered): fall back to ADD.  ADD on
 *   a pair the kernel already has answers EEXIST (for instance a dup()ed
 *   number whose old registration we forgot): fall back to MOD.
 * - EPOLLONESHOT disarms a registration after one report without removing
 *   it.  When an fd's whole interest is one non-persistent event, the
 *   event would be deleted right after firing anyway, so arming it
 *   one-shot saves the EPOLL_CTL_DEL, and re-adding it costs one MOD.
 *   Never with two interests: the report of one would disarm the other.
 * - Regular files cannot be registered (EPERM); that is why this backend
 *   lacks EV_FEATURE_FDS.
 * - epoll_wait with a positive timeout reads the clock in the kernel even
 *   when reports are already waiting; with -1 it does not.  Here that
 *   costs ~95 ns per wait, 3-4% of a cascade event (EXP-024).  So while
 *   the loop is busy, a deadline at least a second away is handed to a
 *   timerfd, armed only when that deadline moves earlier, and the wait
 *   blocks with -1; nearer deadlines keep the plain timeout (see "Far
 *   deadlines" below).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "epoll-internal.h"
#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/* First size of the report array; doubled whenever a wait fills it. */
#define INITIAL_NEVENT 64
#define MAX_NEVENT 4096
/* epoll_wait's timeout is an int of milliseconds; longer waits are split. */
#define MAX_EPOLL_TIMEOUT_MSEC (35 * 60 * 1000)

static void *
epoll_init(struct event_base *base)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		if (errno != ENOSYS)
			event_warn("epoll_create1");
		return NULL;
	}
	struct epollop *op = mm_calloc(1, sizeof(*op));
	if (op)
		op->events = mm_calloc(INITIAL_NEVENT, sizeof(struct epoll_event));
	if (!op || !op->events) {
		mm_free(op);
		close(epfd);
		return NULL;
	}
	op->epfd = epfd;
	op->nevents = INITIAL_NEVENT;
	op->tfd = -1;
	return op;
}

static uint32_t
to_epoll(unsigned want)
{
	uint32_t e = 0;
	if (want & EV_READ)
		e |= EPOLLIN;
	if (want & EV_WRITE)
		e |= EPOLLOUT;
	if (want & EV_CLOSED)
		e |= EPOLLRDHUP;
	if (want & EV_ET)
		e |= EPOLLET;
	if (want & EVMAP_ONESHOT)
		e |= EPOLLONESHOT;
	return e;
}

static int
ctl(struct epollop *op, int how, int fd, uint32_t events, uint32_t gen)
{
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = ((uint64_t)gen << 32) | (uint32_t)fd;
	return epoll_ctl(op->epfd, how, fd, &ev);
}

static const char *
op_name(int how)
{
	return how == EPOLL_CTL_ADD ? "ADD" : how == EPOLL_CTL_MOD ? "MOD" : "DEL";
}

/* Registers or re-arms fd for want, with the ADD/MOD fallbacks. */
static int
arm(struct epollop *op, int fd, struct evmap_io *io, unsigned want)
{
	uint32_t events = to_epoll(want);
	int how = io->kstate == EVMAP_K_ABSENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	uint32_t gen = how == EPOLL_CTL_ADD ? io->gen + 1 : io->gen;

	if (ctl(op, how, fd, events, gen) < 0) {
		int fallback;
		if (how == EPOLL_CTL_MOD && errno == ENOENT) {
			fallback = EPOLL_CTL_ADD;
			gen = io->gen + 1;
		} else if (how == EPOLL_CTL_ADD && errno == EEXIST) {
			fallback = EPOLL_CTL_MOD;
		} else {
			event_warn("epoll_ctl(%d, %s, %d, 0x%x)", op->epfd, op_name(how), fd,
			    events);
			return -1;
		}
		how = fallback;
		if (ctl(op, how, fd, events, gen) < 0) {
			event_warn("epoll_ctl(%d, %s, %d, 0x%x) after fallback", op->epfd,
			    op_name(how), fd, events);
			return -1;
		}
	}
	io->gen = gen;
	io->kstate = EVMAP_K_ARMED;
	io->kmask = (uint16_t)want;
	return 0;
}

static int
epoll_apply(struct event_base *base, int fd, struct evmap_io *io, unsigned want)
{
	struct epollop *op = base->evbase;

	if (want)
		return arm(op, fd, io, want);
	if (io->kstate == EVMAP_K_ABSENT)
		return 0;
	io->kstate = EVMAP_K_ABSENT;
	io->kmask = 0;
	/* The fd may already be closed (EBADF) or replaced (ENOENT); the
	 * kernel then dropped or never had the registration. */
	if (ctl(op, EPOLL_CTL_DEL, fd, 0, 0) < 0 && errno != EBADF && errno != ENOENT) {
		event_warn("epoll_ctl(%d, DEL, %d)", op->epfd, fd);
		return -1;
	}
	return 0;
}

static int
timeout_msec(const struct timeval *tv)
{
	if (!tv)
		return -1;
	long long ms = (long long)tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000;
	return ms > MAX_EPOLL_TIMEOUT_MSEC ? MAX_EPOLL_TIMEOUT_MSEC : (int)ms;
}

/* ---- Far deadlines ------------------------------------------------------
 *
 * A wait whose deadline is at least FAR_DEADLINE_SEC away blocks with -1
 * while a timerfd, registered in the epoll set under TFD_DATA, holds the
 * deadline.  The timerfd is armed only when the deadline moves earlier
 * than the one it holds: timeouts of one duration re-added over and over
 * push the deadline later, and then the timerfd may wake the loop early,
 * at most once per armed deadline (the loop finds nothing expired and
 * waits again), never late.  A report is not read: the next wait re-arms
 * or disarms the timerfd, which also clears its readiness.  The cost is at
 * most one timerfd_settime per armed deadline, against ~95 ns saved on
 * every wait.  That pays only when several waits share a deadline, so the
 * timerfd is armed only after a wait that ended with an I/O report: a
 * loop that sleeps from timer to timer (an idle server's periodic tick)
 * keeps one plain epoll_wait per tick and never creates the timerfd.
 * Nearer deadlines keep epoll_wait's own timeout.  While the timerfd
 * holds a deadline no later than the earliest expiry and has not
 * reported, nothing can be due, so the loop (asking holds_deadline) skips
 * its timeout computation and expiry pass (EXP-030).  Both clocks share
 * CLOCK_MONOTONIC's timeline (the coarse clock is its value at the last
 * tick).
 */
#define FAR_DEADLINE_SEC 1

static int
tfd_set(struct epollop *op, const struct timeval *when)
{
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	if (when) {
		its.it_value.tv_sec = when->tv_sec;
		its.it_value.tv_nsec = when->tv_usec * 1000L;
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1; /* zero would disarm */
	}
	return timerfd_settime(op->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int
tfd_create(struct epollop *op)
{
	op->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (op->tfd < 0)
		return -1;
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = TFD_DATA;
	if (epoll_ctl(op->epfd, EPOLL_CTL_ADD, op->tfd, &ev) < 0) {
		close(op->tfd);
		op->tfd = -1;
		return -1;
	}
	return 0;
}

/* Arms the timerfd for when.  0, or -1 when timerfds are unusable here:
 * the backend then keeps using plain timeouts for good. */
static int
tfd_arm(struct epollop *op, const struct timeval *when)
{
	if ((op->tfd < 0 && tfd_create(op) < 0) || tfd_set(op, when) < 0) {
		event_debug(("epoll: no timerfd (%s); using plain timeouts",
		    strerror(errno)));
		op->tfd_state = TFD_OFF;
		return -1;
	}
	op->tfd_state = TFD_ARMED;
	op->tfd_when = *when;
	return 0;
}

/* A wait of n reports included the timerfd's: the next wait must re-arm
 * or disarm it, and the loop counts as busy only if I/O came too. */
static void
tfd_reported(struct epollop *op, int n)
{
	op->tfd_state = TFD_FIRED;
	op->busy = n > 1;
}

/* wait_msec's part for far deadlines and a timerfd in use; out of line,
 * so that a wait without timers (ring, ping-pong) pays one test. */
static __attribute__((noinline)) int
far_wait_msec(struct event_base *base, struct epollop *op, const struct timeval *tv)
{
	struct timeval when;
	if (tv && tv->tv_sec >= FAR_DEADLINE_SEC && op->tfd_state != TFD_OFF &&
	    event__next_expiry(base, &when)) {
		if (epoll__tfd_holds(op, &when))
			return -1; /* it wakes us in time, perhaps early */
		if (op->busy && tfd_arm(op, &when) == 0)
			return -1;
	}
	if (op->tfd_state == TFD_FIRED) {
		if (tfd_set(op, NULL) < 0)
			op->tfd_state = TFD_OFF; /* still readable: stop using it */
		else
			op->tfd_state = TFD_IDLE;
	}
	if (op->tfd_state == TFD_OFF && op->tfd >= 0) {
		close(op->tfd); /* also drops it from the epoll set */
		op->tfd = -1;
	}
	return timeout_msec(tv);
}

/* The epoll_wait timeout for a wait of at most tv (NULL: forever). */
static inline int
wait_msec(struct event_base *base, struct epollop *op, const struct timeval *tv)
{
	/* Outside far_wait_msec a timerfd that is OFF is closed, so only a
	 * FIRED one needs work when there is no deadline (or the loop found
	 * it held: EXP-030). */
	if (__builtin_expect(!tv ? op->tfd_state != TFD_FIRED :
	    op->tfd_state == TFD_IDLE && tv->tv_sec < FAR_DEADLINE_SEC, 1))
		return timeout_msec(tv);
	return far_wait_msec(base, op, tv);
}

/* eventop.holds_deadline: the armed timerfd wakes the loop by `when`. */
static int
epoll_holds_deadline(struct event_base *base, const struct timeval *when)
{
	return epoll__tfd_holds(base->evbase, when);
}

/* What a wait that returned n reports does; see epoll__reported.  Inline
 * in epoll_dispatch, whose shape the ping-pong feels (EXP-029). */
static inline __attribute__((always_inline)) int
reported(struct event_base *base, struct epollop *op, int n)
{
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		event_warn("epoll_wait(%d)", op->epfd);
		return -1;
	}
	op->busy = n > 0;
	if (n == 1) {
		/* One report: its callback may run at once (EXP-026), and may
		 * then change anything, this backend included: return. */
		uint64_t data = op->events[0].data.u64;
		if (__builtin_expect(data == TFD_DATA, 0)) {
			tfd_reported(op, n);
		} else {
			evmap__io_ready_lone(base, (int)(uint32_t)data,
			    epoll__from_events(op->events[0].events), (uint32_t)(data >> 32));
		}
		return 0;
	}
	for (int i = 0; i < n; i++) {
		uint64_t data = op->events[i].data.u64;
		if (__builtin_expect(data == TFD_DATA, 0)) {
			tfd_reported(op, n); /* the loop's timer pass follows */
			continue;
		}
		evmap__io_ready(base, (int)(uint32_t)data, epoll__from_events(op->events[i].events),
		    (uint32_t)(data >> 32));
	}
	if (n == op->nevents && op->nevents < MAX_NEVENT) {
		struct epoll_event *bigger = mm_realloc(op->events,
		    2 * (size_t)op->nevents * sizeof(*bigger));
		if (bigger) {
			op->events = bigger;
			op->nevents *= 2;
		}
	}
	return 0;
}

int
epoll__reported(struct event_base *base, int n)
{
	return reported(base, base->evbase, n);
}

static int
epoll_dispatch(struct event_base *base, struct timeval *tv)
{
	struct epollop *op = base->evbase;
	int ms = wait_msec(base, op, tv);

	EVBASE_RELEASE_LOCK(base);
	int n = epoll_wait(op->epfd, op->events, op->nevents, ms);
	EVBASE_ACQUIRE_LOCK(base);
	return reported(base, op, n);
}

static void
epoll_dealloc(struct event_base *base)
{
	struct epollop *op = base->evbase;
	if (!op)
		return;
	mm_free(op->events);
	if (op->tfd >= 0)
		close(op->tfd);
	if (op->epfd >= 0)
		close(op->epfd);
	mm_free(op);
	base->evbase = NULL;
}

const struct eventop epollops = {
	.name = "epoll",
	.init = epoll_init,
	.apply = epoll_apply,
	.dispatch = epoll_dispatch,
	.dealloc = epoll_dealloc,
	.holds_deadline = epoll_holds_deadline,
	.need_reinit = 1,
	.features = EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE,
};
