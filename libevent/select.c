/*
 * select.c: the select(2) backend, kept for completeness and tests.
 * The fd sets are our own bit arrays sized to the highest fd, so fds above
 * FD_SETSIZE work (glibc's FD_SET macros would refuse them).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/select.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

#define WORD_BITS (8 * sizeof(unsigned long))

struct selectop {
	int maxfd;             /* highest fd with interest, or -1 */
	size_t nwords;         /* size of the want sets in words */
	unsigned long *want_r, *want_w;
	/* What select() works on, unlocked: only dispatch resizes these. */
	size_t out_words;
	unsigned long *out_r, *out_w;
};

static void *
select_init(struct event_base *base)
{
	struct selectop *op = mm_calloc(1, sizeof(*op));
	if (op)
		op->maxfd = -1;
	return op;
}

static int
grow_sets(struct selectop *op, int fd)
{
	size_t need = (size_t)fd / WORD_BITS + 1;
	if (need <= op->nwords)
		return 0;
	size_t n = op->nwords ? op->nwords : 16;
	while (n < need)
		n *= 2;
	unsigned long **sets[] = { &op->want_r, &op->want_w };
	for (int i = 0; i < 2; i++) {
		unsigned long *p = mm_realloc(*sets[i], n * sizeof(unsigned long));
		if (!p)
			return -1;
		memset(p + op->nwords, 0, (n - op->nwords) * sizeof(unsigned long));
		*sets[i] = p;
	}
	op->nwords = n;
	return 0;
}

static void
set_bit(unsigned long *set, int fd, int on)
{
	unsigned long m = 1UL << (fd % WORD_BITS);
	if (on)
		set[fd / WORD_BITS] |= m;
	else
		set[fd / WORD_BITS] &= ~m;
}

static int
get_bit(const unsigned long *set, int fd)
{
	return (set[fd / WORD_BITS] >> (fd % WORD_BITS)) & 1;
}

static int
select_apply(struct event_base *base, int fd, struct evmap_io *io, unsigned want)
{
	struct selectop *op = base->evbase;
	if (grow_sets(op, fd) < 0) {
		event_warn("select: cannot track fd %d", fd);
		return -1;
	}
	set_bit(op->want_r, fd, (want & EV_READ) != 0);
	set_bit(op->want_w, fd, (want & EV_WRITE) != 0);
	if (want && fd > op->maxfd)
		op->maxfd = fd;
	while (op->maxfd >= 0 && !get_bit(op->want_r, op->maxfd) &&
	    !get_bit(op->want_w, op->maxfd))
		op->maxfd--;
	io->kstate = want ? EVMAP_K_ARMED : EVMAP_K_ABSENT;
	io->kmask = (uint16_t)want;
	return 0;
}

static int
select_dispatch(struct event_base *base, struct timeval *tv)
{
	struct selectop *op = base->evbase;
	int nfds = op->maxfd + 1;
	size_t bytes = op->nwords * sizeof(unsigned long);
	if (op->out_words < op->nwords) {
		unsigned long *r = mm_realloc(op->out_r, bytes);
		if (r)
			op->out_r = r;
		unsigned long *w = r ? mm_realloc(op->out_w, bytes) : NULL;
		if (!w) {
			event_warn("select: cannot grow the result sets");
			return -1;
		}
		op->out_w = w;
		op->out_words = op->nwords;
	}
	if (bytes) {
		memcpy(op->out_r, op->want_r, bytes);
		memcpy(op->out_w, op->want_w, bytes);
	}
	struct timeval t, *tp = NULL;
	if (tv) {
		t = *tv;
		tp = &t;
	}
	EVBASE_RELEASE_LOCK(base);
	int n = select(nfds, (fd_set *)op->out_r, (fd_set *)op->out_w, NULL, tp);
	EVBASE_ACQUIRE_LOCK(base);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		event_warn("select");
		return -1;
	}
	for (int fd = 0; fd < nfds && n > 0; fd++) {
		short what = 0;
		if (get_bit(op->out_r, fd))
			what |= EV_READ;
		if (get_bit(op->out_w, fd))
			what |= EV_WRITE;
		if (what) {
			n--;
			evmap__io_active(base, fd, what, UINT32_MAX);
		}
	}
	return 0;
}

static void
select_dealloc(struct event_base *base)
{
	struct selectop *op = base->evbase;
	if (!op)
		return;
	mm_free(op->want_r);
	mm_free(op->want_w);
	mm_free(op->out_r);
	mm_free(op->out_w);
	mm_free(op);
	base->evbase = NULL;
}

const struct eventop selectops = {
	.name = "select",
	.init = select_init,
	.apply = select_apply,
	.dispatch = select_dispatch,
	.dealloc = select_dealloc,
	.need_reinit = 0,
	.features = EV_FEATURE_FDS,
};
