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
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/* First size of the report array; doubled whenever a wait fills it. */
#define INITIAL_NEVENT 64
#define MAX_NEVENT 4096
/* epoll_wait's timeout is an int of milliseconds; longer waits are split. */
#define MAX_EPOLL_TIMEOUT_MSEC (35 * 60 * 1000)

struct epollop {
	struct epoll_event *events;
	int nevents;
	int epfd;
};

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

static short
from_epoll(uint32_t e)
{
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

static int
epoll_dispatch(struct event_base *base, struct timeval *tv)
{
	struct epollop *op = base->evbase;
	int ms = timeout_msec(tv);

	EVBASE_RELEASE_LOCK(base);
	int n = epoll_wait(op->epfd, op->events, op->nevents, ms);
	EVBASE_ACQUIRE_LOCK(base);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		event_warn("epoll_wait(%d)", op->epfd);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		uint64_t data = op->events[i].data.u64;
		evmap__io_ready(base, (int)(uint32_t)data, from_epoll(op->events[i].events),
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

static void
epoll_dealloc(struct event_base *base)
{
	struct epollop *op = base->evbase;
	if (!op)
		return;
	mm_free(op->events);
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
	.need_reinit = 1,
	.features = EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE,
};
