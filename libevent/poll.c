/*
 * poll.c: the portable poll(2) backend.  A dense pollfd array plus an
 * fd -> slot index; removal swaps the last slot into the hole.  Works on
 * any fd type (EV_FEATURE_FDS) at O(n) per wait.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

struct pollop {
	struct pollfd *fds;
	int nfds, cap;
	int *slot;          /* fd -> index in fds, or -1 */
	int nslots;
	struct pollfd *scratch; /* copy polled without the lock held */
	int scratch_cap;
};

static void *
poll_init(struct event_base *base)
{
	return mm_calloc(1, sizeof(struct pollop));
}

static int
grow_slots(struct pollop *op, int fd)
{
	int n = op->nslots ? op->nslots : 64;
	while (n <= fd)
		n *= 2;
	int *s = mm_realloc(op->slot, (size_t)n * sizeof(*s));
	if (!s)
		return -1;
	for (int i = op->nslots; i < n; i++)
		s[i] = -1;
	op->slot = s;
	op->nslots = n;
	return 0;
}

static int
add_slot(struct pollop *op, int fd)
{
	if (op->nfds == op->cap) {
		int cap = op->cap ? op->cap * 2 : 64;
		struct pollfd *p = mm_realloc(op->fds, (size_t)cap * sizeof(*p));
		if (!p)
			return -1;
		op->fds = p;
		op->cap = cap;
	}
	op->fds[op->nfds].fd = fd;
	op->fds[op->nfds].revents = 0;
	op->slot[fd] = op->nfds++;
	return op->slot[fd];
}

static void
remove_slot(struct pollop *op, int fd)
{
	int i = op->slot[fd];
	op->slot[fd] = -1;
	if (i != --op->nfds) {
		op->fds[i] = op->fds[op->nfds];
		op->slot[op->fds[i].fd] = i;
	}
}

static int
poll_apply(struct event_base *base, int fd, struct evmap_io *io, unsigned want)
{
	struct pollop *op = base->evbase;

	if (fd >= op->nslots && grow_slots(op, fd) < 0) {
		event_warn("poll: cannot track fd %d", fd);
		return -1;
	}
	int i = op->slot[fd];
	if (!want) {
		if (i >= 0)
			remove_slot(op, fd);
		io->kstate = EVMAP_K_ABSENT;
		io->kmask = 0;
		return 0;
	}
	if (i < 0 && (i = add_slot(op, fd)) < 0) {
		event_warn("poll: cannot track fd %d", fd);
		return -1;
	}
	short events = 0;
	if (want & EV_READ)
		events |= POLLIN;
	if (want & EV_WRITE)
		events |= POLLOUT;
	if (want & EV_CLOSED)
		events |= POLLRDHUP;
	op->fds[i].events = events;
	io->kstate = EVMAP_K_ARMED;
	io->kmask = (uint16_t)want;
	return 0;
}

static int
poll_dispatch(struct event_base *base, struct timeval *tv)
{
	struct pollop *op = base->evbase;
	int ms = -1;
	if (tv) {
		long long t = (long long)tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000;
		ms = t > INT32_MAX ? INT32_MAX : (int)t;
	}
	/* Another thread may change the set while we wait unlocked: poll a
	 * private copy. */
	struct pollfd *fds = op->fds;
	int nfds = op->nfds;
	if (base->th_base_lock) {
		if (op->scratch_cap < nfds) {
			struct pollfd *p = mm_realloc(op->scratch, (size_t)nfds * sizeof(*p));
			if (!p) {
				event_warn("poll: scratch array");
				return -1;
			}
			op->scratch = p;
			op->scratch_cap = nfds;
		}
		if (nfds)
			memcpy(op->scratch, op->fds, (size_t)nfds * sizeof(*fds));
		fds = op->scratch;
	}
	EVBASE_RELEASE_LOCK(base);
	int n = poll(fds, (nfds_t)nfds, ms);
	EVBASE_ACQUIRE_LOCK(base);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		event_warn("poll");
		return -1;
	}
	for (int i = 0; i < nfds && n > 0; i++) {
		short r = fds[i].revents;
		if (!r)
			continue;
		n--;
		short what = 0;
		if (r & (POLLHUP | POLLERR | POLLNVAL))
			what |= EV_READ | EV_WRITE;
		if (r & POLLIN)
			what |= EV_READ;
		if (r & POLLOUT)
			what |= EV_WRITE;
		if (r & POLLRDHUP)
			what |= EV_CLOSED;
		evmap__io_active(base, fds[i].fd, what, UINT32_MAX);
	}
	return 0;
}

static void
poll_dealloc(struct event_base *base)
{
	struct pollop *op = base->evbase;
	if (!op)
		return;
	mm_free(op->fds);
	mm_free(op->slot);
	mm_free(op->scratch);
	mm_free(op);
	base->evbase = NULL;
}

const struct eventop pollops = {
	.name = "poll",
	.init = poll_init,
	.apply = poll_apply,
	.dispatch = poll_dispatch,
	.dealloc = poll_dealloc,
	.need_reinit = 0,
	.features = EV_FEATURE_FDS | EV_FEATURE_EARLY_CLOSE,
};
