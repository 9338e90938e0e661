/*
 * buffer_io.c: moving bytes between a buffer and a file descriptor.
 *
 * Reading makes exactly one system call.  There is no ioctl(FIONREAD) to
 * size the read: the buffer offers the kernel a reservation of up to
 * read_cap bytes (the free tail of the last chain, the empty chains after
 * it, then standard chains popped from the thread's cache) in one readv,
 * and whatever the kernel did not fill goes straight back to the cache
 * without being touched.  A short read means the socket is drained for
 * now.  A read that fills its whole reservation suggests a larger
 * message, so read_cap doubles (up to EVBUFFER_READ_CAP_MAX): a 64 KiB
 * message arrives in one read, or two after a burst of small ones.
 *
 * Writing gathers up to IOV_MAX chains into one writev.  A file chain
 * whose bytes are only in its file (allowed only in a buffer flagged
 * EVBUFFER_FLAG_DRAINS_TO_FD) is sent with sendfile, one per call.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include "evbuffer-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/*
 * A reservation for one read: extents, and the fresh chains behind the
 * last n_fresh of them.  Fresh space is one chain sized to the request:
 * a standard chain (popped from the cache without being touched) after a
 * small read, otherwise one big chain (up to 128 KiB, then another), so a
 * 64 KiB message lands contiguous in one chain and needs no pullup.  The
 * cost of a reservation is one or two extents, never dozens (EXP-004).
 */
#define READ_MAX_FRESH 8

struct read_plan {
	struct iovec iov[EVBUFFER_READ_MAX_IOV];
	struct evbuffer_chain *fresh[READ_MAX_FRESH];
	unsigned char fresh_std[READ_MAX_FRESH]; /* popped uninitialised */
	int n_iov;
	int first_fresh; /* index of the first extent in a fresh chain */
	int n_fresh;
};

/* The largest plain chain the cache keeps. */
#define READ_BIG_CAP (CHAIN_MIN_CAP << (CHAIN_N_CLASSES - 1))

/* Adds one fresh chain of space up to `left` bytes.  Returns the bytes
 * it offers, 0 when out of memory. */
static size_t
plan_fresh(struct read_plan *pl, size_t left)
{
	struct evbuffer_chain *ch;
	int std = left <= CHAIN_MIN_CAP;

	if (std) {
		if (evbuffer_chain__pop_std(&ch, 1) != 1 && !(ch = evbuffer_chain__alloc_std()))
			return 0;
	} else {
		ch = evbuffer_chain__new(left < READ_BIG_CAP ? left : READ_BIG_CAP);
		if (!ch)
			return 0;
	}
	size_t cap = std ? CHAIN_MIN_CAP : ch->buffer_len;
	size_t sp = left < cap ? left : cap;
	pl->fresh[pl->n_fresh] = ch;
	pl->fresh_std[pl->n_fresh++] = (unsigned char)std;
	pl->iov[pl->n_iov].iov_base = CHAIN_INLINE_DATA(ch);
	pl->iov[pl->n_iov++].iov_len = sp;
	return sp;
}

/* Plans extents totalling up to want bytes. */
static void
plan_read(struct evbuffer *buf, size_t want, struct read_plan *pl)
{
	struct evbuffer_chain *ch = buf->last_data;
	size_t got = 0;
	int n = 0;

	if (ch && evbuffer_chain_space(ch)) {
		size_t sp = evbuffer_chain_space(ch);
		pl->iov[n].iov_base = ch->buffer + ch->misalign + ch->off;
		pl->iov[n++].iov_len = sp < want ? sp : want;
		got += pl->iov[0].iov_len;
	}
	for (ch = evbuffer__first_empty(buf); ch && got < want &&
	     n < EVBUFFER_READ_MAX_IOV; ch = ch->next) {
		size_t sp = ch->buffer_len - ch->misalign;
		pl->iov[n].iov_base = ch->buffer + ch->misalign;
		pl->iov[n].iov_len = sp < want - got ? sp : want - got;
		got += pl->iov[n++].iov_len;
	}
	pl->first_fresh = n;
	pl->n_fresh = 0;
	pl->n_iov = n;
	if (ch)
		return; /* the buffer's own empty chains cover the request */
	/* After a small read, offer one standard chain only: small-message
	 * traffic then never touches a big chain, and a large message that
	 * follows costs one extra read (it fills the chain, which ends small
	 * mode) before it gets the whole reservation. */
	if (buf->read_small && want - got > CHAIN_MIN_CAP)
		want = got + CHAIN_MIN_CAP;
	while (got < want && pl->n_fresh < READ_MAX_FRESH && pl->n_iov < EVBUFFER_READ_MAX_IOV) {
		size_t sp = plan_fresh(pl, want - got);
		if (!sp)
			break;
		got += sp;
	}
}

/* Gives back the fresh chains the kernel did not fill, untouched. */
static void
return_fresh(struct read_plan *pl, int from)
{
	for (int i = from; i < pl->n_fresh; i++) {
		if (pl->fresh_std[i])
			evbuffer_chain__unpop_std(&pl->fresh[i], 1);
		else
			evbuffer_chain__free(pl->fresh[i]);
	}
}

/* Accounts r bytes read into the planned extents and returns the unused
 * fresh chains to the cache. */
static void
commit_read(struct evbuffer *buf, struct read_plan *pl, size_t r)
{
	struct evbuffer_chain *ch = buf->last_data;
	size_t left = r;
	int i = 0;

	buf->total_len += r;
	buf->n_add_for_cb += r;
	if (ch && evbuffer_chain_space(ch)) {
		size_t n = left < pl->iov[0].iov_len ? left : pl->iov[0].iov_len;
		ch->off += n;
		left -= n;
		i = 1;
	}
	for (ch = evbuffer__first_empty(buf); left && i < pl->first_fresh;
	     ch = ch->next, i++) {
		size_t n = left < pl->iov[i].iov_len ? left : pl->iov[i].iov_len;
		ch->off = n;
		left -= n;
		buf->last_data = ch;
	}
	int used = 0;
	for (; left && used < pl->n_fresh; used++, i++) {
		struct evbuffer_chain *f = pl->fresh[used];
		size_t n = left < pl->iov[i].iov_len ? left : pl->iov[i].iov_len;
		if (pl->fresh_std[used])
			evbuffer_chain__init_std(f);
		f->off = n;
		left -= n;
		/* Fresh chains come after every existing chain. */
		if (buf->last)
			buf->last->next = f;
		else
			buf->first = f;
		buf->last = f;
		buf->last_data = f;
	}
	return_fresh(pl, used);
}

/* Grows the cap after a read that filled it; shrinks it slowly after
 * reads that used little of it, so an idle-then-bursty peer still gets
 * large reads while small-message traffic does not pop dozens of chains. */
static void
adapt_cap(struct evbuffer *buf, size_t want, size_t r)
{
	if (want == buf->read_cap && r == want) {
		if (buf->read_cap < EVBUFFER_READ_CAP_MAX)
			buf->read_cap <<= 1;
	} else if (r < buf->read_cap / 16 && buf->read_cap > EVBUFFER_READ_CAP_START) {
		buf->read_cap >>= 1;
	}
}

/*
 * The read of small-message traffic, without a plan: after a small read,
 * into a buffer with no free space after its data, the reservation is
 * one standard chain (what plan_read would build).  The chain on top of
 * the thread's cache is read into in place and popped only if the read
 * brought bytes.  Returns 1 with *res set when it did the read, 0 when
 * the general path must (cache empty).  Lock held; unlocks when it reads.
 */
_Static_assert(CHAIN_MIN_CAP < EVBUFFER_READ_CAP_START, "read_one_std's cap rule");

static int
read_one_std(struct evbuffer *buf, int fd, size_t want, int *filled, int *res)
{
	struct evbuffer_chain_cache *c = evbuffer_tcache_;
	struct evbuffer_chain *ch;
	struct iovec iov;
	ssize_t r;

	if (!c || !c->n_std)
		return 0;
	iov.iov_base = CHAIN_INLINE_DATA(c->std[c->n_std - 1]);
	iov.iov_len = want < CHAIN_MIN_CAP ? want : CHAIN_MIN_CAP;
	r = read(fd, iov.iov_base, iov.iov_len); /* one extent: read, not readv (EXP-012) */
	if (r <= 0) {
		int saved = errno;
		EVBUFFER_UNLOCK(buf);
		errno = saved;
		*res = (int)r;
		return 1;
	}
	ch = evbuffer_chain__new_std(); /* the same chain, header initialised */
	ch->off = (size_t)r;
	/* No free space after the data: nothing follows last_data. */
	if (buf->last)
		buf->last->next = ch;
	else
		buf->first = ch;
	buf->last = buf->last_data = ch;
	buf->total_len += (size_t)r;
	buf->n_add_for_cb += (size_t)r;
	/* adapt_cap(), knowing that a request of at most one standard chain
	 * is below the smallest cap: it can only shrink a grown cap. */
	if (buf->read_cap > EVBUFFER_READ_CAP_START && (size_t)r < buf->read_cap / 16)
		buf->read_cap >>= 1;
	buf->read_small = (size_t)r < CHAIN_MIN_CAP;
	if (filled)
		*filled = (size_t)r == iov.iov_len;
	evbuffer__finish(buf);
	*res = (int)r;
	return 1;
}

/* The general read: plan a reservation, readv, commit.  Lock held;
 * unlocks.  Kept out of line so that the fast path above does not pay
 * for the plan's large stack frame. */
static int __attribute__((noinline))
read_planned(struct evbuffer *buf, int fd, size_t want, int *filled)
{
	struct read_plan pl;
	ssize_t r;

	plan_read(buf, want, &pl);
	if (pl.n_iov == 0) { /* no memory for even one chain */
		EVBUFFER_UNLOCK(buf);
		errno = ENOMEM;
		return -1;
	}
	want = 0;
	for (int i = 0; i < pl.n_iov; i++)
		want += pl.iov[i].iov_len;
	/* The kernel's iovec import is measurable per call: a single extent
	 * goes through plain read() (EXP-012). */
	r = pl.n_iov == 1 ? read(fd, pl.iov[0].iov_base, pl.iov[0].iov_len)
	                  : readv(fd, pl.iov, pl.n_iov);
	if (r <= 0) {
		int saved = errno;
		return_fresh(&pl, 0);
		EVBUFFER_UNLOCK(buf);
		errno = saved;
		return (int)r;
	}
	commit_read(buf, &pl, (size_t)r);
	adapt_cap(buf, want, (size_t)r);
	buf->read_small = (size_t)r < CHAIN_MIN_CAP;
	if (filled)
		*filled = (size_t)r == want;
	evbuffer__finish(buf);
	return (int)r;
}

int
evbuffer__read_max(struct evbuffer *buf, int fd, size_t max, int *filled)
{
	size_t want;
	int res;

	if (filled)
		*filled = 0;
	if (!buf || fd < 0) {
		event_warnx("evbuffer_read: %s", buf ? "bad descriptor" : "NULL buffer");
		errno = EINVAL;
		return -1;
	}
	EVBUFFER_LOCK(buf);
	if (buf->freeze_back) {
		EVBUFFER_UNLOCK(buf);
		errno = EPERM;
		return -1;
	}
	want = max < buf->read_cap ? max : buf->read_cap;
	if (want > INT_MAX)
		want = INT_MAX;
	if (want == 0) {
		EVBUFFER_UNLOCK(buf);
		return 0;
	}
	if ((buf->read_small || want <= CHAIN_MIN_CAP) && !evbuffer__first_empty(buf) &&
	    (!buf->last_data || !evbuffer_chain_space(buf->last_data)) &&
	    read_one_std(buf, fd, want, filled, &res))
		return res;
	return read_planned(buf, fd, want, filled);
}

int
evbuffer_read(struct evbuffer *buf, evutil_socket_t fd, int howmuch)
{
	return evbuffer__read_max(buf, fd, howmuch < 0 ? SIZE_MAX : (size_t)howmuch,
	    NULL);
}

/* ---- writing --------------------------------------------------------------- */

/* Sends the first chain, which is a sendfile chain, up to howmuch bytes. */
static ssize_t
write_sendfile(struct evbuffer *buf, int fd, size_t howmuch)
{
	struct evbuffer_chain *ch = buf->first;
	off_t offset = ch->u.seg->file_offset + (off_t)ch->misalign;
	size_t n = ch->off < howmuch ? ch->off : howmuch;

	return sendfile(fd, ch->u.seg->fd, &offset, n);
}

/* Gathers the memory chains from the front (up to a sendfile chain) into
 * one writev of at most howmuch bytes. */
static ssize_t __attribute__((noinline))
write_gather(struct evbuffer *buf, int fd, size_t howmuch)
{
	struct iovec iov[IOV_MAX];
	struct evbuffer_chain *ch = buf->first;
	int n = 0;

	for (; ch && ch->off && !ch->sendfile && howmuch && n < IOV_MAX; ch = ch->next) {
		size_t len = ch->off < howmuch ? ch->off : howmuch;
		iov[n].iov_base = ch->buffer + ch->misalign;
		iov[n++].iov_len = len;
		howmuch -= len;
	}
	return n == 1 ? write(fd, iov[0].iov_base, iov[0].iov_len) : writev(fd, iov, n);
}

int
evbuffer_write_atmost(struct evbuffer *buf, evutil_socket_t fd,
    ev_ssize_t howmuch)
{
	struct evbuffer_chain *ch;
	ssize_t r;
	size_t want;

	if (!buf || fd < 0) {
		event_warnx("evbuffer_write: %s", buf ? "bad descriptor" : "NULL buffer");
		errno = EINVAL;
		return -1;
	}
	EVBUFFER_LOCK(buf);
	if (buf->freeze_front) {
		EVBUFFER_UNLOCK(buf);
		errno = EPERM;
		return -1;
	}
	want = howmuch < 0 || (size_t)howmuch > buf->total_len ? buf->total_len
	                                                       : (size_t)howmuch;
	if (want > INT_MAX)
		want = INT_MAX;
	if (want == 0) {
		EVBUFFER_UNLOCK(buf);
		return 0;
	}
	ch = buf->first;
	if (ch == buf->last_data && !ch->sendfile) {
		/* One chain holds everything (small messages): no gather. */
		struct iovec iov = { ch->buffer + ch->misalign, want };
		r = write(fd, iov.iov_base, iov.iov_len);
	} else if (ch->sendfile) {
		r = write_sendfile(buf, fd, want);
		if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
			/* The file cannot be sent directly: use its bytes. */
			if (evbuffer__materialize(buf) == 0)
				r = write_gather(buf, fd, want);
		}
	} else {
		r = write_gather(buf, fd, want);
	}
	if (r > 0) {
		evbuffer__drain_front(buf, (size_t)r);
		evbuffer__finish(buf);
		return (int)r;
	}
	int saved = errno; /* errno only matters after a failure */
	evbuffer__finish(buf);
	errno = saved;
	return (int)r;
}

int
evbuffer_write(struct evbuffer *buf, evutil_socket_t fd)
{
	return evbuffer_write_atmost(buf, fd, -1);
}
