/*
 * buffer_space.c: writing into a buffer in place (reserve/commit,
 * printf, iovecs), making bytes contiguous (pullup), and copying out.
 *
 * Reserved space is the free tail of the last data chain plus the empty
 * chains after it, in order: a "reservation point" is either the tail of
 * last_data or the start of an empty chain.  evbuffer_commit_space()
 * accepts extents only if they start exactly at consecutive reservation
 * points as they are now and fit their chains; any change to the end of
 * the buffer since the reservation moves those points, so a stale commit
 * fails without touching anything.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "evbuffer-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/* ---- reserve / commit ------------------------------------------------------- */

static void
set_vec(struct evbuffer_iovec *v, struct evbuffer_chain *ch, size_t len)
{
	v->iov_base = ch->buffer + ch->misalign + ch->off;
	v->iov_len = len;
}

/*
 * A chain with at least size contiguous free bytes at the reservation
 * front: the tail of last_data, else the first empty chain, else a new
 * chain inserted as first empty.  NULL when out of memory.
 */
static struct evbuffer_chain *
contiguous_space(struct evbuffer *buf, size_t size)
{
	struct evbuffer_chain *ch = buf->last_data;

	if (ch && evbuffer_chain_space(ch) >= size)
		return ch;
	ch = evbuffer__first_empty(buf);
	if (ch && ch->buffer_len - ch->misalign >= size)
		return ch;
	ch = size <= CHAIN_MIN_CAP ? evbuffer_chain__new_std() : evbuffer_chain__new(size);
	if (ch)
		evbuffer__insert_empty(buf, ch);
	return ch;
}

/* Accounts n bytes written after the data of ch, which is last_data or
 * the first empty chain. */
static void
commit_chain(struct evbuffer *buf, struct evbuffer_chain *ch, size_t n)
{
	if (!n)
		return;
	ch->off += n;
	buf->last_data = ch;
	buf->total_len += n;
	buf->n_add_for_cb += n;
}

/* Fills vec with up to n_vec extents totalling at least size bytes. */
static int
reserve_many(struct evbuffer *buf, size_t size, struct evbuffer_iovec *vec,
    int n_vec)
{
	struct evbuffer_chain *prev = buf->last_data, *e;
	size_t got = 0, tail = prev ? evbuffer_chain_space(prev) : 0;
	int i = 0;

	if (tail) {
		set_vec(&vec[i++], prev, tail);
		got = tail;
	}
	e = evbuffer__first_empty(buf);
	while (got < size) {
		size_t need = size - got;
		if (!e || (i == n_vec - 1 && e->buffer_len - e->misalign < need)) {
			/* The last extent must cover the rest on its own. */
			struct evbuffer_chain *ch = evbuffer_chain__new(need);
			if (!ch)
				return -1;
			ch->next = e;
			if (prev)
				prev->next = ch;
			else
				buf->first = ch;
			if (!e)
				buf->last = ch;
			e = ch;
		}
		set_vec(&vec[i++], e, e->buffer_len - e->misalign);
		got += e->buffer_len - e->misalign;
		prev = e;
		e = e->next;
	}
	return i;
}

int
evbuffer_reserve_space(struct evbuffer *buf, ev_ssize_t size,
    struct evbuffer_iovec *vec, int n_vec)
{
	struct evbuffer_chain *ch;
	int rv = -1;

	if (!buf || size < 0 || n_vec < 1 || !vec) {
		event_warnx("evbuffer_reserve_space: bad arguments");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	if (buf->freeze_back)
		goto out;
	if (size == 0) {
		rv = 0;
	} else if (n_vec == 1) {
		ch = contiguous_space(buf, (size_t)size);
		if (ch) {
			set_vec(&vec[0], ch, ch->buffer_len - ch->misalign - ch->off);
			rv = 1;
		}
	} else {
		rv = reserve_many(buf, (size_t)size, vec, n_vec);
	}
out:
	EVBUFFER_UNLOCK(buf);
	return rv;
}

/* Checks that vec[0..n) start at consecutive reservation points and fit;
 * stores the chain of each extent in chains[]. */
static int
commit_targets(struct evbuffer *buf, const struct evbuffer_iovec *vec, int n,
    struct evbuffer_chain **chains)
{
	struct evbuffer_chain *ch = buf->last_data;
	int i = 0;

	if (ch && evbuffer_chain_space(ch) &&
	    vec[0].iov_base == ch->buffer + ch->misalign + ch->off) {
		if (vec[0].iov_len > evbuffer_chain_space(ch))
			return -1;
		chains[i++] = ch;
	}
	ch = evbuffer__first_empty(buf);
	for (; i < n; i++, ch = ch->next) {
		if (!ch || vec[i].iov_base != ch->buffer + ch->misalign ||
		    vec[i].iov_len > ch->buffer_len - ch->misalign)
			return -1;
		chains[i] = ch;
	}
	return 0;
}

/* Releases empty chains left between data chains by a commit that
 * skipped extents; they sit between the old data end and last_data. */
static void
drop_inner_empties(struct evbuffer *buf, struct evbuffer_chain *from)
{
	struct evbuffer_chain **pp = from ? &from->next : &buf->first;

	while (*pp && *pp != buf->last_data) {
		struct evbuffer_chain *ch = *pp;
		if (ch->off) {
			pp = &ch->next;
			continue;
		}
		*pp = ch->next;
		evbuffer_chain__release(ch);
	}
}

int
evbuffer_commit_space(struct evbuffer *buf, struct evbuffer_iovec *vec,
    int n_vecs)
{
	struct evbuffer_chain *chains[16], **targets = chains;
	struct evbuffer_chain *old_last;
	int rv = -1;

	if (!buf || n_vecs < 0 || (n_vecs && !vec)) {
		event_warnx("evbuffer_commit_space: bad arguments");
		return -1;
	}
	if (n_vecs == 0)
		return 0;
	if (n_vecs > 16) {
		targets = mm_calloc((size_t)n_vecs, sizeof(*targets));
		if (!targets)
			return -1;
	}
	EVBUFFER_LOCK(buf);
	if (buf->freeze_back || commit_targets(buf, vec, n_vecs, targets) < 0)
		goto out;
	old_last = buf->last_data;
	for (int i = 0; i < n_vecs; i++) {
		size_t n = vec[i].iov_len;
		if (!n)
			continue;
		targets[i]->off += n;
		buf->last_data = targets[i];
		buf->total_len += n;
		buf->n_add_for_cb += n;
	}
	if (buf->last_data != old_last)
		drop_inner_empties(buf, old_last);
	rv = 0;
out:
	if (targets != chains)
		mm_free(targets);
	evbuffer__finish(buf);
	return rv;
}

/* ---- formatted and gathered appends ---------------------------------------- */

static int
add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
{
	struct evbuffer_chain *ch;
	int n, rv = -1;
	va_list aq;

	if (!buf || !fmt) {
		event_warnx("evbuffer_add_vprintf: NULL %s", buf ? "format" : "buffer");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	if (buf->freeze_back)
		goto out;
	/* First try in the space already there; most output is short. */
	ch = contiguous_space(buf, 1);
	if (!ch)
		goto out;
	size_t space = ch->buffer_len - ch->misalign - ch->off;
	n = evbuffer__fast_format((char *)ch->buffer + ch->misalign + ch->off, space,
	    fmt, ap);
	if (n >= 0)
		goto done;
	va_copy(aq, ap);
	n = vsnprintf((char *)ch->buffer + ch->misalign + ch->off, space, fmt, aq);
	va_end(aq);
	if (n < 0)
		goto out;
	if ((size_t)n >= space) {
		/* Too long: make room for all of it (and the NUL) and redo. */
		ch = contiguous_space(buf, (size_t)n + 1);
		if (!ch)
			goto out;
		va_copy(aq, ap);
		n = vsnprintf((char *)ch->buffer + ch->misalign + ch->off,
		    (size_t)n + 1, fmt, aq);
		va_end(aq);
		if (n < 0)
			goto out;
	}
done:
	commit_chain(buf, ch, (size_t)n);
	rv = n;
out:
	evbuffer__finish(buf);
	return rv;
}

int
evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
{
	return add_vprintf(buf, fmt, ap);
}

int
evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
{
	va_list ap;
	int rv;

	va_start(ap, fmt);
	rv = add_vprintf(buf, fmt, ap);
	va_end(ap);
	return rv;
}

size_t
evbuffer_add_iovec(struct evbuffer *buf, struct evbuffer_iovec *vec, int n_vec)
{
	struct evbuffer_chain *ch;
	size_t total = 0;

	if (!buf || n_vec < 0 || (n_vec && !vec)) {
		event_warnx("evbuffer_add_iovec: bad arguments");
		return 0;
	}
	for (int i = 0; i < n_vec; i++) {
		if (!vec[i].iov_base && vec[i].iov_len)
			return 0;
		if (vec[i].iov_len > SIZE_MAX - total)
			return 0;
		total += vec[i].iov_len;
	}
	if (!total)
		return 0;
	EVBUFFER_LOCK(buf);
	if (buf->freeze_back || !(ch = contiguous_space(buf, total))) {
		total = 0;
		goto out;
	}
	unsigned char *dst = ch->buffer + ch->misalign + ch->off;
	for (int i = 0; i < n_vec; i++) {
		if (vec[i].iov_len)
			memcpy(dst, vec[i].iov_base, vec[i].iov_len);
		dst += vec[i].iov_len;
	}
	commit_chain(buf, ch, total);
out:
	evbuffer__finish(buf);
	return total;
}

/* ---- contiguity ------------------------------------------------------------ */

/* Moves bytes from the chains after dst into dst until it holds size. */
static void
gather_into(struct evbuffer *buf, struct evbuffer_chain *dst, size_t size)
{
	while (dst->off < size) {
		struct evbuffer_chain *src = dst->next;
		size_t n = size - dst->off;
		if (n > src->off)
			n = src->off;
		memcpy(dst->buffer + dst->misalign + dst->off,
		    src->buffer + src->misalign, n);
		dst->off += n;
		if (n < src->off) {
			src->misalign += n;
			src->off -= n;
			break;
		}
		dst->next = src->next;
		if (buf->last_data == src)
			buf->last_data = dst;
		if (buf->last == src)
			buf->last = dst;
		evbuffer_chain__release(src);
	}
}

unsigned char *
evbuffer_pullup(struct evbuffer *buf, ev_ssize_t size)
{
	struct evbuffer_chain *ch;
	unsigned char *res = NULL;

	if (!buf) {
		event_warnx("evbuffer_pullup: NULL buffer");
		return NULL;
	}
	EVBUFFER_LOCK(buf);
	if (size < 0)
		size = (ev_ssize_t)buf->total_len;
	if (size == 0 || (size_t)size > buf->total_len)
		goto out;
	if (buf->n_sendfile && evbuffer__materialize(buf) < 0)
		goto out;
	ch = buf->first;
	if (ch->off >= (size_t)size)
		goto done;
	buf->ptr_gen++;
	if (evbuffer_chain_writable(ch) && ch->buffer_len >= (size_t)size) {
		if (ch->buffer_len - ch->misalign < (size_t)size) {
			memmove(ch->buffer, ch->buffer + ch->misalign, ch->off);
			ch->misalign = 0;
		}
	} else {
		struct evbuffer_chain *nc = evbuffer_chain__new((size_t)size);
		if (!nc)
			goto out;
		/* nc takes ch's place; ch's bytes move into it first. */
		nc->next = ch;
		buf->first = nc;
		ch = nc;
	}
	gather_into(buf, ch, (size_t)size);
done:
	res = ch->buffer + ch->misalign;
out:
	EVBUFFER_UNLOCK(buf);
	return res;
}

/* ---- copying out ------------------------------------------------------------- */

ev_ssize_t
evbuffer__copyout_locked(struct evbuffer *buf, const struct evbuffer_ptr *pos,
    void *data_out, size_t datlen)
{
	struct evbuffer_chain *ch;
	size_t off, avail;

	/* As in 2.1, a buffer frozen at the front refuses to be read. */
	if (buf->freeze_front)
		return -1;
	if (evbuffer__resolve(buf, pos, &ch, &off, &avail) < 0)
		return -1;
	if (datlen > avail)
		datlen = avail;
	if (datlen > EV_SSIZE_MAX)
		datlen = EV_SSIZE_MAX;
	if (datlen && buf->n_sendfile && evbuffer__materialize(buf) < 0)
		return -1;
	if (datlen)
		evbuffer__copy_from(ch, off, data_out, datlen);
	return (ev_ssize_t)datlen;
}

ev_ssize_t
evbuffer_copyout_from(struct evbuffer *buf, const struct evbuffer_ptr *pos,
    void *data_out, size_t datlen)
{
	ev_ssize_t rv;

	if (!buf || (!data_out && datlen)) {
		event_warnx("evbuffer_copyout: NULL %s", buf ? "destination" : "buffer");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	rv = evbuffer__copyout_locked(buf, pos, data_out, datlen);
	EVBUFFER_UNLOCK(buf);
	return rv;
}

ev_ssize_t
evbuffer_copyout(struct evbuffer *buf, void *data_out, size_t datlen)
{
	ev_ssize_t rv;

	if (!buf || (!data_out && datlen)) {
		event_warnx("evbuffer_copyout: NULL %s", buf ? "destination" : "buffer");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	rv = evbuffer__copyout_locked(buf, NULL, data_out, datlen);
	EVBUFFER_UNLOCK(buf);
	return rv;
}
