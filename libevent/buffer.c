/*
 * buffer.c: the evbuffer core: life cycle, locking, flags, and the
 * operations that add bytes at the back or take them from the front.
 *
 * See evbuffer-internal.h for the chain list and its invariants.  Every
 * public function here checks its arguments (NULL buffer, NULL data with a
 * length, frozen ends), does its work under the buffer's lock, and ends
 * with evbuffer__finish(), which runs or schedules the callbacks and
 * unlocks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "evbuffer-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/* The public structs are part of the ABI: pin them (LAYOUT-x86_64.txt). */
_Static_assert(sizeof(struct evbuffer_iovec) == 16, "evbuffer_iovec size");
_Static_assert(offsetof(struct evbuffer_iovec, iov_base) == 0, "iov_base");
_Static_assert(offsetof(struct evbuffer_iovec, iov_len) == 8, "iov_len");
_Static_assert(sizeof(struct evbuffer_ptr) == 24, "evbuffer_ptr size");
_Static_assert(offsetof(struct evbuffer_ptr, pos) == 0, "ptr pos");
_Static_assert(offsetof(struct evbuffer_ptr, internal_) == 8, "ptr internal_");
_Static_assert(sizeof(((struct evbuffer_ptr *)0)->internal_) == 16, "internal_");
_Static_assert(sizeof(struct evbuffer_cb_info) == 24, "cb_info size");
_Static_assert(offsetof(struct evbuffer_cb_info, orig_size) == 0, "orig_size");
_Static_assert(offsetof(struct evbuffer_cb_info, n_added) == 8, "n_added");
_Static_assert(offsetof(struct evbuffer_cb_info, n_deleted) == 16, "n_deleted");

/* ---- life cycle ---------------------------------------------------------- */

struct evbuffer *
evbuffer_new(void)
{
	struct evbuffer *buf = mm_calloc(1, sizeof(*buf));

	if (!buf) {
		event_warn("evbuffer_new: out of memory");
		return NULL;
	}
	buf->refcnt = 1;
	buf->read_cap = EVBUFFER_READ_CAP_START;
	buf->ptr_gen = 1;
	return buf;
}

void
evbuffer__release_all(struct evbuffer *buf)
{
	struct evbuffer_chain *ch = buf->first;

	buf->first = buf->last = buf->last_data = NULL;
	buf->total_len = 0;
	buf->n_sendfile = 0;
	buf->ptr_gen++;
	while (ch) {
		struct evbuffer_chain *next = ch->next;
		evbuffer_chain__free(ch);
		ch = next;
	}
}

/* Frees everything buf owns except the struct and its lock. */
static void
free_contents(struct evbuffer *buf)
{
	struct evbuffer_cb_entry *e = buf->callbacks;

	evbuffer__cancel_deferred(buf);
	buf->callbacks = NULL;
	while (e) {
		struct evbuffer_cb_entry *next = e->next;
		mm_free(e);
		e = next;
	}
	evbuffer__release_all(buf);
}

static void
free_shell(struct evbuffer *buf)
{
	if (buf->own_lock && buf->lock)
		evthread__lock_free(buf->lock);
	mm_free(buf);
}

void
evbuffer__decref_and_unlock(struct evbuffer *buf)
{
	if (--buf->refcnt > 0) {
		EVBUFFER_UNLOCK(buf);
		return;
	}
	free_contents(buf);
	EVBUFFER_UNLOCK(buf);
	free_shell(buf);
}

void
evbuffer_free(struct evbuffer *buf)
{
	if (!buf)
		return;
	EVBUFFER_LOCK(buf);
	/* A pending deferred run holds a reference; the owner going away
	 * cancels it rather than let callbacks run after free. */
	if (evbuffer__cancel_deferred(buf))
		buf->refcnt--;
	evbuffer__decref_and_unlock(buf);
}

void
evbuffer__incref(struct evbuffer *buf)
{
	EVBUFFER_LOCK(buf);
	buf->refcnt++;
	EVBUFFER_UNLOCK(buf);
}

void
evbuffer__decref(struct evbuffer *buf)
{
	EVBUFFER_LOCK(buf);
	evbuffer__decref_and_unlock(buf);
}

void
evbuffer__finish_slow(struct evbuffer *buf)
{
	buf->refcnt++; /* a callback may free the buffer */
	evbuffer__dispatch_callbacks(buf);
	evbuffer__decref_and_unlock(buf);
}

void
evbuffer__finish2_slow(struct evbuffer *a, struct evbuffer *b)
{
	int run_a = a->callbacks && (a->n_add_for_cb | a->n_del_for_cb);
	int run_b = b->callbacks && (b->n_add_for_cb | b->n_del_for_cb);
	int last_a, last_b;

	if (!run_a)
		evbuffer__finish_quiet(a);
	if (!run_b)
		evbuffer__finish_quiet(b);
	if (!run_a && !run_b) {
		evbuffer__unlock2(a, b);
		return;
	}
	a->refcnt++;
	b->refcnt++;
	if (run_a)
		evbuffer__dispatch_callbacks(a);
	if (run_b || (b->callbacks && (b->n_add_for_cb | b->n_del_for_cb)))
		evbuffer__dispatch_callbacks(b);
	last_a = --a->refcnt == 0;
	last_b = --b->refcnt == 0;
	if (last_a)
		free_contents(a);
	if (last_b)
		free_contents(b);
	evbuffer__unlock2(a, b);
	if (last_a)
		free_shell(a);
	if (last_b)
		free_shell(b);
}

int
evbuffer__is_frozen(const struct evbuffer *buf, int at_front)
{
	return at_front ? buf->freeze_front : buf->freeze_back;
}

/* ---- locking -------------------------------------------------------------- */

int
evbuffer_enable_locking(struct evbuffer *buf, void *lock)
{
	if (!buf) {
		event_warnx("evbuffer_enable_locking: NULL buffer");
		return -1;
	}
	if (buf->lock)
		return -1;
	if (!lock) {
		lock = evthread__lock_new();
		if (!lock)
			return -1;
		buf->own_lock = 1;
	}
	buf->lock = lock;
	return 0;
}

void
evbuffer_lock(struct evbuffer *buf)
{
	if (buf)
		EVBUFFER_LOCK(buf);
}

void
evbuffer_unlock(struct evbuffer *buf)
{
	if (buf)
		EVBUFFER_UNLOCK(buf);
}

void
evbuffer__lock2_slow(struct evbuffer *a, struct evbuffer *b)
{
	if (a->lock == b->lock) {
		EVLOCK_LOCK(a->lock);
	} else if ((uintptr_t)a->lock < (uintptr_t)b->lock) {
		EVLOCK_LOCK(a->lock);
		EVLOCK_LOCK(b->lock);
	} else {
		EVLOCK_LOCK(b->lock);
		EVLOCK_LOCK(a->lock);
	}
}

void
evbuffer__unlock2_slow(struct evbuffer *a, struct evbuffer *b)
{
	EVLOCK_UNLOCK(a->lock);
	if (a->lock != b->lock)
		EVLOCK_UNLOCK(b->lock);
}

/* ---- flags ------------------------------------------------------------------ */

int
evbuffer_set_flags(struct evbuffer *buf, ev_uint64_t flags)
{
	if (!buf) {
		event_warnx("evbuffer_set_flags: NULL buffer");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	buf->flags |= flags;
	EVBUFFER_UNLOCK(buf);
	return 0;
}

int
evbuffer_clear_flags(struct evbuffer *buf, ev_uint64_t flags)
{
	int rv = 0;

	if (!buf) {
		event_warnx("evbuffer_clear_flags: NULL buffer");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	buf->flags &= ~flags;
	/* Sendfile chains may only live in a buffer that drains to a fd. */
	if (!(buf->flags & EVBUFFER_FLAG_DRAINS_TO_FD) && buf->n_sendfile)
		rv = evbuffer__materialize(buf);
	EVBUFFER_UNLOCK(buf);
	return rv;
}

/* Sets or clears one end's freeze flag.  0, or -1 on a NULL buffer. */
static int
set_frozen(struct evbuffer *buf, int at_front, unsigned frozen, const char *who)
{
	if (!buf) {
		event_warnx("%s: NULL buffer", who);
		return -1;
	}
	EVBUFFER_LOCK(buf);
	if (at_front)
		buf->freeze_front = frozen;
	else
		buf->freeze_back = frozen;
	EVBUFFER_UNLOCK(buf);
	return 0;
}

int
evbuffer_freeze(struct evbuffer *buf, int at_front)
{
	return set_frozen(buf, at_front, 1, "evbuffer_freeze");
}

int
evbuffer_unfreeze(struct evbuffer *buf, int at_front)
{
	return set_frozen(buf, at_front, 0, "evbuffer_unfreeze");
}

/* ---- size ------------------------------------------------------------------- */

static size_t __attribute__((noinline))
get_length_locked(const struct evbuffer *buf)
{
	size_t len;

	if (!buf)
		return 0;
	EVBUFFER_LOCK(buf);
	len = buf->total_len;
	EVBUFFER_UNLOCK(buf);
	return len;
}

size_t
evbuffer_get_length(const struct evbuffer *buf)
{
	/* Called all the time: the unlocked case stays a leaf. */
	if (buf && !buf->lock)
		return buf->total_len;
	return get_length_locked(buf);
}

size_t
evbuffer_get_contiguous_space(const struct evbuffer *buf)
{
	size_t len;

	if (!buf)
		return 0;
	EVBUFFER_LOCK(buf);
	len = buf->total_len ? buf->first->off : 0;
	EVBUFFER_UNLOCK(buf);
	return len;
}

/* ---- list helpers --------------------------------------------------------- */

void
evbuffer__link_data(struct evbuffer *buf, struct evbuffer_chain *ch)
{
	struct evbuffer_chain *empties = evbuffer__first_empty(buf);

	ch->next = empties;
	if (buf->last_data)
		buf->last_data->next = ch;
	else
		buf->first = ch;
	if (!empties)
		buf->last = ch;
	buf->last_data = ch;
	buf->total_len += ch->off;
	buf->n_add_for_cb += ch->off;
	if (ch->sendfile)
		buf->n_sendfile++;
}

/* Inserts an empty chain right after the data (first in line to fill). */
void
evbuffer__insert_empty(struct evbuffer *buf, struct evbuffer_chain *ch)
{
	struct evbuffer_chain *empties = evbuffer__first_empty(buf);

	ch->next = empties;
	if (buf->last_data)
		buf->last_data->next = ch;
	else
		buf->first = ch;
	if (!empties)
		buf->last = ch;
}

void
evbuffer__drain_front(struct evbuffer *buf, size_t len)
{
	struct evbuffer_chain *ch;

	buf->total_len -= len;
	buf->n_del_for_cb += len;
	buf->ptr_gen++;
	for (;;) {
		ch = buf->first;
		if (len < ch->off) {
			ch->misalign += len;
			ch->off -= len;
			return;
		}
		len -= ch->off;
		buf->first = ch->next;
		buf->n_sendfile -= ch->sendfile;
		if (ch == buf->last_data) {
			/* The last data chain: the buffer is empty now. */
			buf->last_data = NULL;
			if (!buf->first)
				buf->last = NULL;
			evbuffer_chain__free(ch);
			return;
		}
		evbuffer_chain__free(ch);
		if (!len)
			return;
	}
}

void
evbuffer__copy_from(const struct evbuffer_chain *ch, size_t off, void *out,
    size_t len)
{
	unsigned char *dst = out;

	while (len) {
		size_t n = ch->off - off;
		if (n > len)
			n = len;
		memcpy(dst, ch->buffer + ch->misalign + off, n);
		dst += n;
		len -= n;
		ch = ch->next;
		off = 0;
	}
}

/* Room an append can use without allocating: tail space plus empties. */
static size_t
append_room(const struct evbuffer *buf)
{
	size_t room = buf->last_data ? evbuffer_chain_space(buf->last_data) : 0;

	for (struct evbuffer_chain *e = evbuffer__first_empty(buf); e; e = e->next)
		room += e->buffer_len - e->misalign;
	return room;
}

static struct evbuffer_chain *
new_chain(size_t cap)
{
	return cap <= CHAIN_MIN_CAP ? evbuffer_chain__new_std() : evbuffer_chain__new(cap);
}

/* Appends an empty chain of at least cap bytes at the very end. */
static int
add_empty_at_end(struct evbuffer *buf, size_t cap)
{
	struct evbuffer_chain *ch = new_chain(cap);

	if (!ch)
		return -1;
	if (buf->last)
		buf->last->next = ch;
	else
		buf->first = ch;
	buf->last = ch;
	return 0;
}

int
evbuffer__append(struct evbuffer *buf, const void *data, size_t datlen)
{
	const unsigned char *src = data;
	struct evbuffer_chain *ch = buf->last_data;
	size_t room;

	if (datlen == 0)
		return 0;
	if (ch) {
		/* Fast path: it fits after the last byte. */
		if (evbuffer_chain_space(ch) >= datlen) {
			memcpy(ch->buffer + ch->misalign + ch->off, src, datlen);
			ch->off += datlen;
			goto done;
		}
	} else if (!buf->first) {
		/* An empty buffer: one new chain takes it all, leaving some
		 * headroom when it fits so that a header prepended later (a
		 * frame prefix, a chunk size) costs no chain of its own. */
		ch = new_chain(datlen);
		if (!ch)
			return -1;
		if (ch->buffer_len - datlen >= 4 * EVBUFFER_HEADROOM)
			ch->misalign = EVBUFFER_HEADROOM;
		memcpy(ch->buffer + ch->misalign, src, datlen);
		ch->off = datlen;
		buf->first = buf->last = buf->last_data = ch;
		goto done;
	}
	/* Allocate before copying anything, so failure changes nothing. */
	room = append_room(buf);
	if (room < datlen && add_empty_at_end(buf, datlen - room) < 0)
		return -1;
	size_t left = datlen;
	if (ch) {
		size_t n = evbuffer_chain_space(ch);
		memcpy(ch->buffer + ch->misalign + ch->off, src, n);
		ch->off += n;
		src += n;
		left -= n;
	}
	for (ch = evbuffer__first_empty(buf); left; ch = ch->next) {
		size_t n = ch->buffer_len - ch->misalign;
		if (n > left)
			n = left;
		memcpy(ch->buffer + ch->misalign, src, n);
		ch->off = n;
		src += n;
		left -= n;
		buf->last_data = ch;
	}
done:
	buf->total_len += datlen;
	buf->n_add_for_cb += datlen;
	return 0;
}

/* ---- adding --------------------------------------------------------------- */

static int __attribute__((noinline))
add_slow(struct evbuffer *buf, const void *data, size_t datlen)
{
	int rv = -1;

	if (!buf || (!data && datlen)) {
		event_warnx("evbuffer_add: %s", buf ? "NULL data" : "NULL buffer");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	if (buf->freeze_back)
		goto out;
	if (datlen > SIZE_MAX - buf->total_len) {
		event_warnx("evbuffer_add: %zu bytes would overflow the length", datlen);
		goto out;
	}
	rv = evbuffer__append(buf, data, datlen);
out:
	evbuffer__finish(buf);
	return rv;
}

int
evbuffer_add(struct evbuffer *buf, const void *data, size_t datlen)
{
	struct evbuffer_chain *ch;

	/* The common cases inline: no lock, no callbacks, not frozen, and
	 * the bytes fit after the last ones or go to the first chain of an
	 * empty buffer (with its headroom, as evbuffer__append does). */
	if (!buf || !data || buf->lock || buf->callbacks || buf->freeze_back)
		return add_slow(buf, data, datlen);
	ch = buf->last_data;
	if (ch && evbuffer_chain_space(ch) >= datlen) {
		memcpy(ch->buffer + ch->misalign + ch->off, data, datlen);
		ch->off += datlen;
	} else if (!buf->first && datlen && datlen <= CHAIN_MIN_CAP - 4 * EVBUFFER_HEADROOM &&
	    (ch = evbuffer_chain__new_std()) != NULL) {
		ch->misalign = EVBUFFER_HEADROOM;
		memcpy(ch->buffer + EVBUFFER_HEADROOM, data, datlen);
		ch->off = datlen;
		buf->first = buf->last = buf->last_data = ch;
	} else {
		return add_slow(buf, data, datlen);
	}
	buf->total_len += datlen;
	if (datlen && buf->add_hook)
		buf->add_hook(buf, buf->add_hook_arg);
	return 0;
}

int
evbuffer_expand(struct evbuffer *buf, size_t datlen)
{
	int rv = 0;
	size_t room;

	if (!buf) {
		event_warnx("evbuffer_expand: NULL buffer");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	room = append_room(buf);
	if (room < datlen && add_empty_at_end(buf, datlen - room) < 0)
		rv = -1;
	EVBUFFER_UNLOCK(buf);
	return rv;
}

int
evbuffer_prepend(struct evbuffer *buf, const void *data, size_t datlen)
{
	struct evbuffer_chain *ch;
	int rv = -1;

	if (!buf || (!data && datlen)) {
		event_warnx("evbuffer_prepend: %s", buf ? "NULL data" : "NULL buffer");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	if (buf->freeze_front)
		goto out;
	if (datlen > SIZE_MAX - buf->total_len)
		goto out;
	if (!buf->total_len) {
		rv = evbuffer__append(buf, data, datlen);
		goto out;
	}
	rv = 0;
	if (!datlen)
		goto out;
	ch = buf->first;
	if (evbuffer_chain_writable(ch) && ch->misalign >= datlen) {
		ch->misalign -= datlen;
	} else {
		/* A new chain with the bytes at its end leaves room for more
		 * prepends before them. */
		ch = new_chain(datlen);
		if (!ch) {
			rv = -1;
			goto out;
		}
		ch->misalign = ch->buffer_len - datlen;
		ch->next = buf->first;
		buf->first = ch;
	}
	memcpy(ch->buffer + ch->misalign, data, datlen);
	ch->off += datlen;
	buf->total_len += datlen;
	buf->n_add_for_cb += datlen;
	buf->ptr_gen++;
out:
	evbuffer__finish(buf);
	return rv;
}

/* ---- removing ------------------------------------------------------------- */

int
evbuffer_drain(struct evbuffer *buf, size_t len)
{
	int rv = 0;

	if (!buf) {
		event_warnx("evbuffer_drain: NULL buffer");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	if (buf->freeze_front) {
		rv = -1;
	} else {
		if (len > buf->total_len)
			len = buf->total_len;
		if (len)
			evbuffer__drain_front(buf, len);
	}
	evbuffer__finish(buf);
	return rv;
}

int
evbuffer_remove(struct evbuffer *buf, void *data, size_t datlen)
{
	ev_ssize_t n;

	if (!buf) {
		event_warnx("evbuffer_remove: NULL buffer");
		return -1;
	}
	if (!data && datlen) {
		event_warnx("evbuffer_remove: NULL destination");
		return -1;
	}
	if (datlen > INT32_MAX)
		datlen = INT32_MAX; /* the count must fit the int result */
	EVBUFFER_LOCK(buf);
	n = evbuffer__copyout_locked(buf, NULL, data, datlen);
	if (n > 0)
		evbuffer__drain_front(buf, (size_t)n);
	evbuffer__finish(buf);
	return (int)n;
}

/* ---- moving whole buffers --------------------------------------------------- */

/* Detaches the data chains of src (head..tail); src keeps its empties. */
static void
detach_data(struct evbuffer *src, struct evbuffer_chain **head,
    struct evbuffer_chain **tail)
{
	*head = src->first;
	*tail = src->last_data;
	src->first = src->last_data->next;
	if (!src->first)
		src->last = NULL;
	src->last_data = NULL;
	src->n_del_for_cb += src->total_len;
	src->total_len = 0;
	src->n_sendfile = 0;
	src->ptr_gen++;
	(*tail)->next = NULL;
}

/* Links head..tail (holding len bytes, nsf sendfile chains) after the
 * data of dst. */
static void
splice_back(struct evbuffer *dst, struct evbuffer_chain *head,
    struct evbuffer_chain *tail, size_t len, unsigned nsf)
{
	struct evbuffer_chain *empties = evbuffer__first_empty(dst);

	if (dst->last_data)
		dst->last_data->next = head;
	else
		dst->first = head;
	tail->next = empties;
	if (!empties)
		dst->last = tail;
	dst->last_data = tail;
	dst->total_len += len;
	dst->n_add_for_cb += len;
	dst->n_sendfile += nsf;
}

/* Sendfile chains cannot go to a buffer that is not drained to a fd. */
static int
check_sendfile_move(struct evbuffer *src, struct evbuffer *dst)
{
	if (src->n_sendfile && !(dst->flags & EVBUFFER_FLAG_DRAINS_TO_FD))
		return evbuffer__materialize(src);
	return 0;
}

/* Puts the detached chains head..tail (len bytes, nsf sendfile chains)
 * in front of everything dst holds. */
static void
splice_front(struct evbuffer *dst, struct evbuffer_chain *head,
    struct evbuffer_chain *tail, size_t len, unsigned nsf)
{
	if (!dst->total_len) {
		splice_back(dst, head, tail, len, nsf);
		return;
	}
	tail->next = dst->first;
	dst->first = head;
	dst->total_len += len;
	dst->n_add_for_cb += len;
	dst->n_sendfile += nsf;
	dst->ptr_gen++;
}

/*
 * Moves all of src's data to the back (or the front) of dst, chains and
 * all: no byte is copied.  The end of dst that grows and the front of src
 * must not be frozen.  0, or -1 with nothing moved.
 */
static int
move_all(struct evbuffer *dst, struct evbuffer *src, int to_front, const char *who)
{
	struct evbuffer_chain *head, *tail;
	size_t len;
	unsigned nsf;
	int rv = -1;

	if (!dst || !src) {
		event_warnx("%s: NULL buffer", who);
		return -1;
	}
	if (dst == src)
		return 0;
	evbuffer__lock2(dst, src);
	if ((to_front ? dst->freeze_front : dst->freeze_back) || src->freeze_front)
		goto out;
	rv = 0;
	if (!src->total_len)
		goto out;
	if (src->total_len > SIZE_MAX - dst->total_len ||
	    check_sendfile_move(src, dst) < 0) {
		rv = -1;
		goto out;
	}
	len = src->total_len;
	nsf = src->n_sendfile;
	detach_data(src, &head, &tail);
	if (to_front)
		splice_front(dst, head, tail, len, nsf);
	else
		splice_back(dst, head, tail, len, nsf);
out:
	evbuffer__finish2(dst, src);
	return rv;
}

int
evbuffer_add_buffer(struct evbuffer *outbuf, struct evbuffer *inbuf)
{
	return move_all(outbuf, inbuf, 0, "evbuffer_add_buffer");
}

int
evbuffer_prepend_buffer(struct evbuffer *dst, struct evbuffer *src)
{
	return move_all(dst, src, 1, "evbuffer_prepend_buffer");
}

/* Moves datlen (< src->total_len) bytes; whole chains move, the last
 * partial chain is copied.  0 or -1 with nothing moved. */
static int
move_prefix(struct evbuffer *src, struct evbuffer *dst, size_t datlen)
{
	struct evbuffer_chain *ch = src->first, *tail = NULL, *extra = NULL;
	size_t whole = 0, part;
	unsigned nsf = 0;

	while (whole + ch->off <= datlen) {
		whole += ch->off;
		nsf += ch->sendfile;
		tail = ch;
		ch = ch->next;
	}
	part = datlen - whole;
	if (!tail) /* nothing moves whole: a plain copy */
		goto copy_part;
	if (part && evbuffer_chain_space(tail) < part) {
		extra = evbuffer_chain__new(part);
		if (!extra)
			return -1;
	}
	/* Detach src->first..tail (all data chains, since ch holds data). */
	struct evbuffer_chain *head = src->first;
	src->first = ch;
	tail->next = NULL;
	src->total_len -= whole;
	src->n_del_for_cb += whole;
	src->n_sendfile -= nsf;
	src->ptr_gen++;
	splice_back(dst, head, tail, whole, nsf);
	if (!part)
		return 0;
	if (extra) {
		extra->off = 0;
		evbuffer__insert_empty(dst, extra);
	}
copy_part:
	if (evbuffer__append(dst, ch->buffer + ch->misalign, part) < 0)
		return -1; /* only reachable when nothing moved yet */
	evbuffer__drain_front(src, part);
	return 0;
}

int
evbuffer_remove_buffer(struct evbuffer *src, struct evbuffer *dst,
    size_t datlen)
{
	int rv = -1;

	if (!src || !dst) {
		event_warnx("evbuffer_remove_buffer: NULL buffer");
		return -1;
	}
	if (src == dst)
		return 0;
	if (datlen > INT32_MAX)
		datlen = INT32_MAX; /* the count must fit the int result */
	evbuffer__lock2(src, dst);
	if (src->freeze_front || dst->freeze_back)
		goto out;
	rv = 0;
	if (datlen > src->total_len)
		datlen = src->total_len;
	if (!datlen)
		goto out;
	if (datlen > SIZE_MAX - dst->total_len || check_sendfile_move(src, dst) < 0) {
		rv = -1;
		goto out;
	}
	if (datlen == src->total_len) {
		struct evbuffer_chain *head, *tail;
		unsigned nsf = src->n_sendfile;
		detach_data(src, &head, &tail);
		splice_back(dst, head, tail, datlen, nsf);
	} else if (move_prefix(src, dst, datlen) < 0) {
		goto out_fail;
	}
	rv = (int)datlen;
	goto out;
out_fail:
	rv = -1;
out:
	evbuffer__finish2(src, dst);
	return rv;
}
