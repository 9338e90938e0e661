/*
 * buffer_ref.c: bytes a buffer points at instead of owning: user memory
 * (evbuffer_add_reference), views of another buffer's chains
 * (evbuffer_add_buffer_reference), and file segments.
 *
 * None of these chains is ever written to (evbuffer_chain_writable() is
 * false for them, and a plain chain that has views is not writable
 * either).  Each is released exactly once, by evbuffer_chain__release(),
 * when it is drained or its buffer is freed; that is where a reference's
 * cleanup runs.
 */
#include <errno.h>
#include <string.h>

#include "evbuffer-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

int
evbuffer_add_reference(struct evbuffer *buf, const void *data, size_t datlen,
    evbuffer_ref_cleanup_cb cleanupfn, void *cleanupfn_arg)
{
	struct evbuffer_chain *ch;
	int rv = -1;

	if (!buf || (!data && datlen)) {
		event_warnx("evbuffer_add_reference: NULL %s", buf ? "data" : "buffer");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	if (buf->freeze_back || datlen > SIZE_MAX - buf->total_len)
		goto out;
	rv = 0;
	if (!datlen) {
		/* Nothing to hold on to: the memory is released at once. */
		if (cleanupfn)
			cleanupfn(data, datlen, cleanupfn_arg);
		goto out;
	}
	ch = evbuffer_chain__new_ext(CHAIN_REF);
	if (!ch) {
		rv = -1;
		goto out;
	}
	ch->buffer = (unsigned char *)(uintptr_t)data;
	ch->buffer_len = datlen;
	ch->off = datlen;
	ch->u.ref.fn = cleanupfn;
	ch->u.ref.arg = cleanupfn_arg;
	evbuffer__link_data(buf, ch);
out:
	evbuffer__finish(buf);
	return rv;
}

/* Nonzero if buf holds views of another buffer (they cannot be viewed
 * again). */
static int
has_views(const struct evbuffer *buf)
{
	for (const struct evbuffer_chain *ch = buf->first; ch && ch->off; ch = ch->next)
		if (ch->kind == CHAIN_SHARE)
			return 1;
	return 0;
}

/* Views of every data chain of src, as a list; NULL on failure. */
static struct evbuffer_chain *
make_views(struct evbuffer *src, struct evbuffer_chain **tail)
{
	struct evbuffer_chain *head = NULL, **pp = &head, *v = NULL;

	for (struct evbuffer_chain *ch = src->first; ch && ch->off; ch = ch->next) {
		v = evbuffer_chain__new_ext(CHAIN_SHARE);
		if (!v) {
			while (head) {
				struct evbuffer_chain *next = head->next;
				evbuffer_chain__release(head);
				head = next;
			}
			return NULL;
		}
		v->buffer = ch->buffer;
		v->buffer_len = ch->buffer_len;
		v->misalign = ch->misalign;
		v->off = ch->off;
		v->u.parent = ch;
		__atomic_add_fetch(&ch->refcnt, 1, __ATOMIC_RELAXED);
		*pp = v;
		pp = &v->next;
	}
	*tail = v;
	return head;
}

int
evbuffer_add_buffer_reference(struct evbuffer *outbuf, struct evbuffer *inbuf)
{
	struct evbuffer_chain *head, *tail, *next;
	int rv = -1;

	if (!outbuf || !inbuf) {
		event_warnx("evbuffer_add_buffer_reference: NULL buffer");
		return -1;
	}
	if (outbuf == inbuf)
		return -1;
	evbuffer__lock2(outbuf, inbuf);
	if (outbuf->freeze_back || has_views(inbuf) ||
	    inbuf->total_len > SIZE_MAX - outbuf->total_len)
		goto out;
	rv = 0;
	if (!inbuf->total_len)
		goto out;
	if ((inbuf->n_sendfile && evbuffer__materialize(inbuf) < 0) ||
	    !(head = make_views(inbuf, &tail))) {
		rv = -1;
		goto out;
	}
	for (; head; head = next) {
		next = head->next;
		evbuffer__link_data(outbuf, head);
	}
out:
	evbuffer__finish2(outbuf, inbuf);
	return rv;
}

int
evbuffer__materialize(struct evbuffer *buf)
{
	for (struct evbuffer_chain *ch = buf->first; ch && buf->n_sendfile; ch = ch->next) {
		if (!ch->sendfile)
			continue;
		if (evbuffer_file_segment__materialize(ch->u.seg) < 0)
			return -1;
		ch->buffer = ch->u.seg->contents;
		ch->sendfile = 0;
		buf->n_sendfile--;
	}
	return 0;
}
