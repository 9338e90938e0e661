/*
 * bufferevent_pair.c: two bufferevents joined back to back in memory.
 *
 * What one end writes moves into the other end's input as soon as it is
 * written (whole chains, no copy), provided the writer has writing
 * enabled and the reader has reading enabled and is below its read high
 * watermark; whatever is held back moves when that changes.  The user
 * callbacks of a pair always run deferred, from the loop: a synchronous
 * read callback inside the partner's bufferevent_write() would let two
 * ends recurse into each other without bound.
 *
 * With BEV_OPT_THREADSAFE both ends share one lock, so holding either end
 * holds both.
 */
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>

#include "bufferevent-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

struct bufferevent_pair {
	struct bufferevent_private bevp; /* must stay first */
	struct bufferevent_pair *partner; /* NULL once the other end is freed */
	struct evbuffer_cb_entry *outbuf_cb;
};

#define PAIR_OF(bev) ((struct bufferevent_pair *)(bev))

/* Moves src's output into dst's input, limited by dst's read high
 * watermark unless force.  Returns the number of bytes moved. */
static size_t
transfer(struct bufferevent_pair *src, struct bufferevent_pair *dst, int force)
{
	struct bufferevent *s = &src->bevp.bev, *d = &dst->bevp.bev;
	size_t n = evbuffer_get_length(s->output);

	if (n == 0)
		return 0;
	if (!force && d->wm_read.high) {
		size_t have = evbuffer_get_length(d->input);
		if (have >= d->wm_read.high)
			return 0;
		if (n > d->wm_read.high - have)
			n = d->wm_read.high - have;
	}
	if (n == evbuffer_get_length(s->output))
		evbuffer_add_buffer(d->input, s->output);
	else
		evbuffer_remove_buffer(s->output, d->input, n);
	bufferevent__trigger_nolock(d, EV_READ, 0);
	bufferevent__trigger_nolock(s, EV_WRITE, 0);
	/* Progress restarts both ends' timeouts. */
	bufferevent__generic_adj_timeouts(d);
	bufferevent__generic_adj_timeouts(s);
	return n;
}

/* Moves data src -> dst if both ends currently allow it. */
static void
transfer_if_allowed(struct bufferevent_pair *src, struct bufferevent_pair *dst)
{
	if (src && dst && bufferevent__writing(&src->bevp) && bufferevent__reading(&dst->bevp))
		transfer(src, dst, 0);
}

static void
pair_outbuf_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct bufferevent_pair *p = arg;

	(void)buf;
	if (info->n_added > 0)
		transfer_if_allowed(p, p->partner);
}

static int
pair_enable(struct bufferevent *bev, short events)
{
	struct bufferevent_pair *p = PAIR_OF(bev);

	if (events & EV_READ)
		transfer_if_allowed(p->partner, p);
	if (events & EV_WRITE)
		transfer_if_allowed(p, p->partner);
	return bufferevent__generic_adj_timeouts(bev);
}

static int
pair_disable(struct bufferevent *bev, short events)
{
	(void)events;
	return bufferevent__generic_adj_timeouts(bev);
}

static void
pair_unlink(struct bufferevent *bev)
{
	struct bufferevent_pair *p = PAIR_OF(bev);

	if (p->partner) {
		/* The survivor keeps the shared lock alive. */
		if (p->bevp.own_lock) {
			p->bevp.own_lock = 0;
			p->partner->bevp.own_lock = 1;
		}
		p->partner->partner = NULL;
		p->partner = NULL;
	}
	event_del(&bev->ev_read);
	event_del(&bev->ev_write);
}

static void
pair_destruct(struct bufferevent *bev)
{
	struct bufferevent_pair *p = PAIR_OF(bev);

	if (p->outbuf_cb)
		evbuffer_remove_cb_entry(bev->output, p->outbuf_cb);
}

/* Forced transfer regardless of watermarks and enabled directions;
 * BEV_FINISHED on the write side also tells the partner its input
 * ended.  (Stock 2.1.12 always answers 0 here, and half-honours the
 * watermark; we do what bufferevent.h documents.) */
static int
pair_flush(struct bufferevent *bev, short iotype, enum bufferevent_flush_mode mode)
{
	struct bufferevent_pair *p = PAIR_OF(bev);
	size_t moved = 0;

	if (mode == BEV_NORMAL)
		return 0;
	if (p->partner == NULL)
		return -1; /* nowhere to push to (as stock 2.1.12) */
	if (iotype & EV_READ)
		moved += transfer(p->partner, p, 1);
	if (iotype & EV_WRITE) {
		moved += transfer(p, p->partner, 1);
		if (mode == BEV_FINISHED)
			bufferevent__run_eventcb(&p->partner->bevp.bev,
			    BEV_EVENT_EOF | BEV_EVENT_READING, 0);
	}
	return moved > 0;
}

const struct bufferevent_ops bufferevent_ops_pair = {
	"pair",
	pair_enable,
	pair_disable,
	pair_unlink,
	pair_destruct,
	bufferevent__generic_adj_timeouts,
	pair_flush,
	NULL,
};

static struct bufferevent_pair *
pair_end_new(struct event_base *base, int options)
{
	struct bufferevent_pair *p = mm_calloc(1, sizeof(*p));

	if (p == NULL) {
		event_warn("bufferevent_pair_new: out of memory");
		return NULL;
	}
	if (bufferevent__init_common(&p->bevp, base, &bufferevent_ops_pair, options) < 0) {
		mm_free(p);
		return NULL;
	}
	bufferevent__init_generic_timeouts(&p->bevp.bev);
	p->outbuf_cb = evbuffer_add_cb(p->bevp.bev.output, pair_outbuf_cb, p);
	if (p->outbuf_cb == NULL) {
		bufferevent_free(&p->bevp.bev);
		return NULL;
	}
	return p;
}

int
bufferevent_pair_new(struct event_base *base, int options, struct bufferevent *pair[2])
{
	struct bufferevent_pair *a, *b;

	if (pair == NULL || base == NULL) {
		event_warnx("bufferevent_pair_new: NULL %s", pair ? "event_base" : "result array");
		return -1;
	}
	options |= BEV_OPT_DEFER_CALLBACKS;
	a = pair_end_new(base, options);
	if (a == NULL)
		return -1;
	b = pair_end_new(base, options & ~BEV_OPT_THREADSAFE);
	if (b == NULL) {
		bufferevent_free(&a->bevp.bev);
		return -1;
	}
	if (a->bevp.lock && bufferevent__enable_locking(&b->bevp.bev, a->bevp.lock) < 0) {
		bufferevent_free(&a->bevp.bev);
		bufferevent_free(&b->bevp.bev);
		return -1;
	}
	a->partner = b;
	b->partner = a;
	pair[0] = &a->bevp.bev;
	pair[1] = &b->bevp.bev;
	return 0;
}

struct bufferevent *
bufferevent_pair_get_partner(struct bufferevent *bev)
{
	struct bufferevent *r = NULL;

	BEV_CHECK_ARG(bev, NULL);
	if (!BEV_IS_PAIR(bev))
		return NULL;
	BEV_LOCK(bev);
	if (PAIR_OF(bev)->partner)
		r = &PAIR_OF(bev)->partner->bevp.bev;
	BEV_UNLOCK(bev);
	return r;
}
