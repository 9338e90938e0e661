/*
 * bufferevent_filter.c: a bufferevent seen through two transforms.
 *
 * The filter takes over the callbacks of the bufferevent underneath it.
 * Input: whenever the underlying bufferevent has read something, the
 * input filter moves (and transforms) it from the underlying input into
 * ours, staying under our read high watermark, and our read callback runs
 * if that produced data.  Output: whatever the user adds to our output is
 * pushed at once through the output filter into the underlying output,
 * staying under its write high watermark; what was held back moves when
 * the underlying bufferevent has drained its output.  Our write callback
 * runs when our output has been processed down to its low watermark.
 *
 * Our "reading" is the underlying bufferevent's reading: disabling it, or
 * filling our input to the high watermark, suspends the underlying reads
 * (BEV_SUSPEND_FILT_READ).  Timeouts use the generic timers.
 *
 * Locking: with BEV_OPT_THREADSAFE the filter shares the underlying
 * bufferevent's lock, so one lock covers both.
 */
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>

#include "bufferevent-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

struct bufferevent_filtered {
	struct bufferevent_private bevp; /* must stay first */
	struct bufferevent *underlying;   /* NULL once unlinked */
	struct evbuffer_cb_entry *outbuf_cb;
	bufferevent_filter_cb process_in;
	bufferevent_filter_cb process_out;
	void (*free_context)(void *);
	void *context;
	unsigned in_output : 1;  /* inside process_output (re-entry guard) */
	unsigned in_writecb : 1; /* inside our own write callback */
};

#define FILT_OF(bev) ((struct bufferevent_filtered *)(bev))

/* The transform used when the caller gave none: move everything. */
static enum bufferevent_filter_result
copy_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *ctx)
{
	(void)mode;
	(void)ctx;
	if (limit >= 0 && (size_t)limit < evbuffer_get_length(src))
		evbuffer_remove_buffer(src, dst, (size_t)limit);
	else
		evbuffer_add_buffer(dst, src);
	return BEV_OK;
}

/*
 * Runs the input filter from the underlying input into ours until it
 * stops making progress, needs more, fails, or our input is full (only
 * BEV_NORMAL respects that and the enabled state).  *produced is set when
 * our input grew.  Returns the last filter result.
 */
static enum bufferevent_filter_result
process_input(struct bufferevent_filtered *f, enum bufferevent_flush_mode mode,
    int *produced)
{
	struct bufferevent *bev = &f->bevp.bev;
	struct evbuffer *src, *dst = bev->input;
	enum bufferevent_filter_result res = BEV_OK;

	*produced = 0;
	if (f->underlying == NULL)
		return BEV_OK;
	src = f->underlying->input;
	if (mode == BEV_NORMAL && !bufferevent__reading(&f->bevp))
		return BEV_OK;
	for (;;) {
		size_t src_before = evbuffer_get_length(src);
		size_t dst_before = evbuffer_get_length(dst);
		ev_ssize_t limit = -1;

		if (bev->wm_read.high) {
			if (dst_before >= bev->wm_read.high && mode == BEV_NORMAL)
				break;
			if (dst_before < bev->wm_read.high)
				limit = (ev_ssize_t)(bev->wm_read.high - dst_before);
		}
		if (src_before == 0 && mode == BEV_NORMAL)
			break;
		res = f->process_in(src, dst, limit, mode, f->context);
		if (evbuffer_get_length(dst) > dst_before)
			*produced = 1;
		if (res != BEV_OK || evbuffer_get_length(src) == 0)
			break;
		if (evbuffer_get_length(src) == src_before &&
		    evbuffer_get_length(dst) == dst_before)
			break; /* no progress */
	}
	if (res == BEV_ERROR)
		bufferevent__run_eventcb(bev, BEV_EVENT_ERROR | BEV_EVENT_READING, 0);
	return res;
}

/*
 * Runs the output filter from our output into the underlying output,
 * staying under its write high watermark (except when flushing).  Runs our
 * write callback when data moved and our output is down to its low
 * watermark.  *processed is set when our output shrank.
 */
static enum bufferevent_filter_result
process_output(struct bufferevent_filtered *f, enum bufferevent_flush_mode mode,
    int *processed)
{
	struct bufferevent *bev = &f->bevp.bev;
	struct bufferevent *u = f->underlying;
	struct evbuffer *src = bev->output;
	enum bufferevent_filter_result res = BEV_OK;
	int first = 1;

	*processed = 0;
	if (u == NULL || f->in_output)
		return BEV_OK;
	if (mode == BEV_NORMAL && !bufferevent__writing(&f->bevp))
		return BEV_OK;
	f->in_output = 1;
	for (;;) {
		size_t src_before = evbuffer_get_length(src);
		size_t dst_before = evbuffer_get_length(u->output);
		ev_ssize_t limit = -1;

		if (u->wm_write.high) {
			if (dst_before >= u->wm_write.high && mode == BEV_NORMAL)
				break;
			if (dst_before < u->wm_write.high)
				limit = (ev_ssize_t)(u->wm_write.high - dst_before);
		}
		/* Flushing calls the filter even with nothing queued, so it
		 * can emit what it buffered internally. */
		if (src_before == 0 && !(first && mode != BEV_NORMAL))
			break;
		first = 0;
		res = f->process_out(src, u->output, limit, mode, f->context);
		if (evbuffer_get_length(src) < src_before)
			*processed = 1;
		if (res != BEV_OK || evbuffer_get_length(src) == 0)
			break;
		if (evbuffer_get_length(src) == src_before &&
		    evbuffer_get_length(u->output) == dst_before)
			break; /* no progress */
	}
	f->in_output = 0;
	if (res == BEV_ERROR) {
		bufferevent__run_eventcb(bev, BEV_EVENT_ERROR | BEV_EVENT_WRITING, 0);
	} else if (*processed && !f->in_writecb &&
	    evbuffer_get_length(src) <= bev->wm_write.low) {
		f->in_writecb = 1;
		bufferevent__run_writecb(bev, 0);
		f->in_writecb = 0;
	}
	return res;
}

/* ---- the underlying bufferevent's callbacks ---------------------------- */

static void
underlying_readcb(struct bufferevent *u, void *arg)
{
	struct bufferevent_filtered *f = arg;
	struct bufferevent *bev = &f->bevp.bev;
	int produced;

	(void)u;
	bufferevent__incref_and_lock(bev);
	process_input(f, BEV_NORMAL, &produced);
	if (produced && evbuffer_get_length(bev->input) >= bev->wm_read.low) {
		bufferevent__run_readcb(bev, 0);
		bufferevent__generic_adj_timeouts(bev);
	}
	bufferevent__decref_and_unlock(bev);
}

static void
underlying_writecb(struct bufferevent *u, void *arg)
{
	struct bufferevent_filtered *f = arg;
	struct bufferevent *bev = &f->bevp.bev;
	int processed;

	(void)u;
	bufferevent__incref_and_lock(bev);
	process_output(f, BEV_NORMAL, &processed);
	if (processed)
		bufferevent__generic_adj_timeouts(bev);
	bufferevent__decref_and_unlock(bev);
}

static void
underlying_eventcb(struct bufferevent *u, short what, void *arg)
{
	struct bufferevent_filtered *f = arg;
	struct bufferevent *bev = &f->bevp.bev;

	(void)u;
	bufferevent__incref_and_lock(bev);
	bufferevent__run_eventcb(bev, what, 0);
	bufferevent__decref_and_unlock(bev);
}

/* Our output grew: push it through at once. */
static void
filter_outbuf_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct bufferevent_filtered *f = arg;
	struct bufferevent *bev = &f->bevp.bev;
	int processed;

	(void)buf;
	if (info->n_added == 0 || f->in_output)
		return;
	bufferevent__incref_and_lock(bev);
	process_output(f, BEV_NORMAL, &processed);
	bufferevent__decref_and_unlock(bev);
}

/* ---- bufferevent_ops ------------------------------------------------------ */

static int
filter_enable(struct bufferevent *bev, short events)
{
	struct bufferevent_filtered *f = FILT_OF(bev);
	int processed;

	if (f->underlying && (events & EV_READ) && bufferevent__reading(&f->bevp)) {
		bufferevent__unsuspend_read(f->underlying, BEV_SUSPEND_FILT_READ);
		/* What the underlying already read is ours to process; do it
		 * from the loop, as if it had just arrived. */
		if (evbuffer_get_length(f->underlying->input) > 0)
			bufferevent_trigger(f->underlying, EV_READ,
			    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	}
	if ((events & EV_WRITE) && evbuffer_get_length(bev->output) > 0)
		process_output(f, BEV_NORMAL, &processed);
	return bufferevent__generic_adj_timeouts(bev);
}

static int
filter_disable(struct bufferevent *bev, short events)
{
	struct bufferevent_filtered *f = FILT_OF(bev);

	if (f->underlying && (events & EV_READ))
		bufferevent__suspend_read(f->underlying, BEV_SUSPEND_FILT_READ);
	return bufferevent__generic_adj_timeouts(bev);
}

static void
filter_unlink(struct bufferevent *bev)
{
	struct bufferevent_filtered *f = FILT_OF(bev);
	struct bufferevent *u = f->underlying;
	bufferevent_data_cb rcb;

	event_del(&bev->ev_read);
	event_del(&bev->ev_write);
	if (u == NULL)
		return;
	f->underlying = NULL;
	/* Give the underlying bufferevent back, unless someone else took
	 * it over meanwhile. */
	bufferevent_getcb(u, &rcb, NULL, NULL, NULL);
	if (rcb == underlying_readcb)
		bufferevent_setcb(u, NULL, NULL, NULL, NULL);
	if (f->bevp.options & BEV_OPT_CLOSE_ON_FREE) {
		bufferevent_free(u);
	} else {
		bufferevent__unsuspend_read(u, BEV_SUSPEND_FILT_READ);
	}
}

static void
filter_destruct(struct bufferevent *bev)
{
	struct bufferevent_filtered *f = FILT_OF(bev);

	if (f->outbuf_cb)
		evbuffer_remove_cb_entry(bev->output, f->outbuf_cb);
	if (f->free_context)
		f->free_context(f->context);
}

static int
filter_flush(struct bufferevent *bev, short iotype, enum bufferevent_flush_mode mode)
{
	struct bufferevent_filtered *f = FILT_OF(bev);
	int r = 0, moved;

	if (f->underlying == NULL)
		return 0;
	if (iotype & EV_WRITE) {
		if (process_output(f, mode, &moved) == BEV_ERROR)
			return -1;
		if (moved)
			r = 1;
		if (mode != BEV_NORMAL && bufferevent_flush(f->underlying, EV_WRITE, mode) > 0)
			r = 1;
	}
	if (iotype & EV_READ) {
		if (process_input(f, mode, &moved) == BEV_ERROR)
			return -1;
		if (moved) {
			r = 1;
			bufferevent__trigger_nolock(bev, EV_READ, 0);
		}
	}
	return r;
}

static int
filter_ctrl(struct bufferevent *bev, enum bufferevent_ctrl_op op,
    union bufferevent_ctrl_data *data)
{
	struct bufferevent_filtered *f = FILT_OF(bev);

	if (f->underlying == NULL)
		return -1;
	switch (op) {
	case BEV_CTRL_GET_UNDERLYING:
		data->ptr = f->underlying;
		return 0;
	case BEV_CTRL_GET_FD:
		data->fd = bufferevent_getfd(f->underlying);
		return 0;
	case BEV_CTRL_SET_FD:
		return bufferevent_setfd(f->underlying, data->fd);
	default:
		return -1;
	}
}

const struct bufferevent_ops bufferevent_ops_filter = {
	"filter",
	filter_enable,
	filter_disable,
	filter_unlink,
	filter_destruct,
	bufferevent__generic_adj_timeouts,
	filter_flush,
	filter_ctrl,
};

struct bufferevent *
bufferevent_filter_new(struct bufferevent *underlying,
    bufferevent_filter_cb input_filter, bufferevent_filter_cb output_filter,
    int options, void (*free_context)(void *), void *ctx)
{
	struct bufferevent_filtered *f;
	struct bufferevent *bev;

	BEV_CHECK_ARG(underlying, NULL);
	f = mm_calloc(1, sizeof(*f));
	if (f == NULL) {
		event_warn("bufferevent_filter_new: out of memory");
		return NULL;
	}
	if (bufferevent__init_common(&f->bevp, underlying->ev_base, &bufferevent_ops_filter,
	        options & ~BEV_OPT_THREADSAFE) < 0) {
		mm_free(f);
		return NULL;
	}
	bev = &f->bevp.bev;
	bufferevent__init_generic_timeouts(bev);
	f->bevp.options = options;
	if (options & BEV_OPT_THREADSAFE) {
		/* One lock for both: take the underlying's, giving it one
		 * first if it has none. */
		if (bufferevent__enable_locking(underlying, NULL) < 0 ||
		    bufferevent__enable_locking(bev, BEV_UPCAST(underlying)->lock) < 0) {
			bufferevent_free(bev);
			return NULL;
		}
	}
	f->process_in = input_filter ? input_filter : copy_filter;
	f->process_out = output_filter ? output_filter : copy_filter;
	f->outbuf_cb = evbuffer_add_cb(bev->output, filter_outbuf_cb, f);
	if (f->outbuf_cb == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	/* Only now: a failed creation must not run the caller's destructor
	 * or touch the underlying bufferevent. */
	f->free_context = free_context;
	f->context = ctx;
	f->underlying = underlying;
	bufferevent__incref(underlying);
	f->bevp.release_on_destroy = underlying;

	BEV_LOCK(bev);
	bufferevent_setcb(underlying, underlying_readcb, underlying_writecb,
	    underlying_eventcb, f);
	/* Our reading starts disabled; so does the underlying's reading
	 * on our behalf. */
	bufferevent__suspend_read(underlying, BEV_SUSPEND_FILT_READ);
	bufferevent_enable(underlying, EV_READ | EV_WRITE);
	BEV_UNLOCK(bev);
	return bev;
}
