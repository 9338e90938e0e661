/*
 * bufferevent.c: what every bufferevent transport shares.
 *
 * Reference counting and teardown, locking, the three user callbacks
 * (run at once or deferred to the loop, with deferred event flags
 * merged), enabling and suspension, watermarks, timeouts, and the public
 * calls that need no knowledge of the transport.  The transports
 * (bufferevent_sock.c, bufferevent_pair.c, bufferevent_filter.c) plug in
 * through struct bufferevent_ops.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/bufferevent_compat.h>

#include "bufferevent-internal.h"
#include "defer-internal.h"
#include "log-internal.h"
#include "mm-internal.h"
#include "thread-internal.h"

/* The public layout is ABI (../shared/abi/LAYOUT-x86_64.txt); tmux, for
 * one, reads bev->input directly. */
#if defined(__x86_64__) && defined(__LP64__)
_Static_assert(sizeof(struct event_watermark) == 16, "event_watermark size");
_Static_assert(sizeof(struct bufferevent) == 392, "bufferevent size");
_Static_assert(_Alignof(struct bufferevent) == 8, "bufferevent alignment");
_Static_assert(offsetof(struct bufferevent, ev_base) == 0, "ev_base");
_Static_assert(offsetof(struct bufferevent, be_ops) == 8, "be_ops");
_Static_assert(offsetof(struct bufferevent, ev_read) == 16, "ev_read");
_Static_assert(offsetof(struct bufferevent, ev_write) == 144, "ev_write");
_Static_assert(offsetof(struct bufferevent, input) == 272, "input");
_Static_assert(offsetof(struct bufferevent, output) == 280, "output");
_Static_assert(offsetof(struct bufferevent, wm_read) == 288, "wm_read");
_Static_assert(offsetof(struct bufferevent, wm_write) == 304, "wm_write");
_Static_assert(offsetof(struct bufferevent, readcb) == 320, "readcb");
_Static_assert(offsetof(struct bufferevent, writecb) == 328, "writecb");
_Static_assert(offsetof(struct bufferevent, errorcb) == 336, "errorcb");
_Static_assert(offsetof(struct bufferevent, cbarg) == 344, "cbarg");
_Static_assert(offsetof(struct bufferevent, timeout_read) == 352, "timeout_read");
_Static_assert(offsetof(struct bufferevent, timeout_write) == 368, "timeout_write");
_Static_assert(offsetof(struct bufferevent, enabled) == 384, "enabled");
#endif
_Static_assert(offsetof(struct bufferevent_private, bev) == 0,
    "the public struct must start the private one");

static void run_deferred_callbacks(struct event_callback *cb, void *arg);
static void read_wm_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg);

/* ---- creation and teardown ---------------------------------------------- */

int
bufferevent__init_common(struct bufferevent_private *bevp,
    struct event_base *base, const struct bufferevent_ops *ops, int options)
{
	struct bufferevent *bev = &bevp->bev;
	int npri;

	if (base == NULL) {
		event_warnx("bufferevent: no event_base");
		return -1;
	}
	if ((options & BEV_OPT_UNLOCK_CALLBACKS) && !(options & BEV_OPT_DEFER_CALLBACKS)) {
		event_warnx("bufferevent: BEV_OPT_UNLOCK_CALLBACKS needs BEV_OPT_DEFER_CALLBACKS");
		return -1;
	}
	bev->input = evbuffer_new();
	bev->output = evbuffer_new();
	if (bev->input == NULL || bev->output == NULL)
		goto fail;
	if ((options & BEV_OPT_THREADSAFE) && bufferevent__enable_locking(bev, NULL) < 0)
		goto fail;

	bev->ev_base = base;
	bev->be_ops = ops;
	bev->enabled = EV_WRITE;
	bevp->refcnt = 1;
	bevp->options = options;
	bevp->max_single_read = BEV_MAX_SINGLE_READ_DEFAULT;
	bevp->max_single_write = BEV_MAX_SINGLE_WRITE_DEFAULT;
	npri = event_base_get_npriorities(base);
	event_deferred_cb_init_(&bevp->deferred, (ev_uint8_t)(npri > 0 ? npri / 2 : 0),
	    run_deferred_callbacks, bevp);
	return 0;

fail:
	if (bev->input)
		evbuffer_free(bev->input);
	if (bev->output)
		evbuffer_free(bev->output);
	bev->input = bev->output = NULL;
	return -1;
}

int
bufferevent__enable_locking(struct bufferevent *bev, void *lock)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);

	if (bevp->lock)
		return 0;
	if (lock == NULL) {
		if (!EVTHREAD_LOCKING_ENABLED())
			return 0; /* threading is off: nothing to lock */
		lock = evthread__lock_new();
		if (lock == NULL) {
			event_warnx("bufferevent: cannot allocate a lock");
			return -1;
		}
		bevp->own_lock = 1;
	}
	bevp->lock = lock;
	evbuffer_enable_locking(bev->input, lock);
	evbuffer_enable_locking(bev->output, lock);
	return 0;
}

/* The memory goes last: after every finalizer, when threads are on. */
static void
bufferevent_final_free(struct bufferevent_private *bevp)
{
	struct bufferevent *release = bevp->release_on_destroy;
	void *lock = bevp->lock;

	bufferevent__ratelim_free(bevp);
	if (bevp->own_lock)
		evthread__lock_free(lock);
	mm_free(bevp);
	/* Last, since it may own a lock we shared. */
	if (release)
		bufferevent__decref(release);
}

/* A finalizer of one of our events ran: no callback of that event can
 * run any more.  The last one frees. */
static void
finalized_cb(struct event *ev, void *arg)
{
	struct bufferevent_private *bevp = arg;
	int last;

	(void)ev;
	EVLOCK_LOCK(bevp->lock);
	last = --bevp->pending_finalizers == 0;
	EVLOCK_UNLOCK(bevp->lock);
	if (last)
		bufferevent_final_free(bevp);
}

/* Stops ev; with threads, finalizes it instead (counted).  Lock held. */
static void
retire_event(struct bufferevent_private *bevp, struct event *ev, int threaded)
{
	if (ev == NULL || !event_initialized(ev))
		return;
	if (!threaded) {
		event_del(ev);
	} else if (event_finalize(0, ev, finalized_cb) == 0) {
		/* (Every event of ours has the bufferevent as its argument,
		 * which the finalizer receives.) */
		++bevp->pending_finalizers;
	}
}

/*
 * Last reference gone: called with the lock held, releases everything.
 *
 * Without threads nothing else can be inside one of our callbacks, so
 * the memory goes at once.  With threads, another thread may have just
 * been handed one of our events and be waiting for our lock: we mark the
 * bufferevent dying (callbacks that see it leave at once), stop
 * everything, and let the loop's finalizers free the memory once no
 * callback of ours can still run.  Our events carry EV_FINALIZE, so
 * event_del never waits for such a callback while we hold the lock it
 * waits for.
 */
static void
bufferevent_destroy(struct bufferevent_private *bevp)
{
	struct bufferevent *bev = &bevp->bev;
	int threaded;

	if (!bevp->freed) {
		/* decref to zero without bufferevent_free(): same effect */
		bevp->freed = 1;
		bev->be_ops->unlink(bev);
	}
	bevp->dying = 1;
	bev->be_ops->destruct(bev);
	bufferevent__ratelim_detach(bevp);
	if (bevp->read_wm_cb)
		evbuffer_remove_cb_entry(bev->input, bevp->read_wm_cb);
	evbuffer_free(bev->input);
	evbuffer_free(bev->output);
	bev->input = bev->output = NULL;
	/* Read only now: unlink may have handed a shared lock to a partner. */
	threaded = bevp->lock != NULL;
	bevp->pending_finalizers = 1; /* ours, dropped below */
	retire_event(bevp, &bev->ev_read, threaded);
	retire_event(bevp, &bev->ev_write, threaded);
	retire_event(bevp, bufferevent__ratelim_event(bevp), threaded);
	threaded = --bevp->pending_finalizers != 0;
	EVLOCK_UNLOCK(bevp->lock);
	if (!threaded)
		bufferevent_final_free(bevp);
}

int
bufferevent__enter_callback_slow(struct bufferevent *bev)
{
	BEV_LOCK(bev);
	if (BEV_UPCAST(bev)->dying) {
		BEV_UNLOCK(bev);
		return 0;
	}
	++BEV_UPCAST(bev)->refcnt;
	return 1;
}

void
bufferevent__incref_and_lock(struct bufferevent *bev)
{
	BEV_LOCK(bev);
	++BEV_UPCAST(bev)->refcnt;
}

int
bufferevent__decref_and_unlock_slow(struct bufferevent *bev)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);

	if (bevp->refcnt <= 0) {
		event_warnx("bufferevent %p: reference count underflow", (void *)bev);
		BEV_UNLOCK(bev);
		return 0;
	}
	if (--bevp->refcnt > 0) {
		BEV_UNLOCK(bev);
		return 0;
	}
	bufferevent_destroy(bevp);
	return 1;
}

void
bufferevent__incref(struct bufferevent *bev)
{
	bufferevent__incref_and_lock(bev);
	BEV_UNLOCK(bev);
}

int
bufferevent__decref(struct bufferevent *bev)
{
	BEV_LOCK(bev);
	return bufferevent__decref_and_unlock(bev);
}

void
bufferevent_incref(struct bufferevent *bufev)
{
	BEV_CHECK_ARG(bufev, );
	bufferevent__incref(bufev);
}

int
bufferevent_decref(struct bufferevent *bufev)
{
	BEV_CHECK_ARG(bufev, -1);
	return bufferevent__decref(bufev);
}

void
bufferevent_free(struct bufferevent *bufev)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bufev);

	BEV_CHECK_ARG(bufev, );
	BEV_LOCK(bufev);
	if (bevp->freed) {
		event_warnx("bufferevent_free: %p freed twice", (void *)bufev);
		BEV_UNLOCK(bufev);
		return;
	}
	bevp->freed = 1;
	/* Nothing of the user's may run from now on. */
	bufferevent_setcb(bufev, NULL, NULL, NULL, NULL);
	bevp->readcb_pending = bevp->writecb_pending = 0;
	bevp->eventcb_pending = 0;
	if (event_deferred_cb_cancel_(bufev->ev_base, &bevp->deferred))
		--bevp->refcnt; /* the scheduled run's reference; ours remains */
	bufev->be_ops->unlink(bufev);
	bufferevent__decref_and_unlock(bufev);
}

/* ---- user callbacks -------------------------------------------------------- */

static int
want_deferred(const struct bufferevent_private *bevp, int options)
{
	return ((bevp->options | options) & BEV_OPT_DEFER_CALLBACKS) != 0;
}

/* Queues the deferred run; the queue holds a reference until it runs. */
static void
schedule_deferred(struct bufferevent_private *bevp)
{
	if (event_deferred_cb_schedule_(bevp->bev.ev_base, &bevp->deferred))
		++bevp->refcnt;
}

void
bufferevent__run_readcb_slow(struct bufferevent *bev, int options)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);

	if (bev->readcb == NULL)
		return;
	if (want_deferred(bevp, options)) {
		bevp->readcb_pending = 1;
		schedule_deferred(bevp);
	} else {
		bev->readcb(bev, bev->cbarg);
	}
}

void
bufferevent__run_writecb(struct bufferevent *bev, int options)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);

	if (bev->writecb == NULL)
		return;
	if (want_deferred(bevp, options)) {
		bevp->writecb_pending = 1;
		schedule_deferred(bevp);
	} else {
		bev->writecb(bev, bev->cbarg);
	}
}

void
bufferevent__run_eventcb(struct bufferevent *bev, short what, int options)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);

	if (bev->errorcb == NULL)
		return;
	if (want_deferred(bevp, options)) {
		bevp->eventcb_pending |= what;
		bevp->errno_pending = errno;
		schedule_deferred(bevp);
	} else {
		bev->errorcb(bev, what, bev->cbarg);
	}
}

void
bufferevent__trigger_nolock(struct bufferevent *bev, short iotype, int options)
{
	int ignore = (options & BEV_TRIG_IGNORE_WATERMARKS) != 0;

	if ((iotype & EV_READ) &&
	    (ignore || evbuffer_get_length(bev->input) >= bev->wm_read.low))
		bufferevent__run_readcb(bev, options);
	if ((iotype & EV_WRITE) &&
	    (ignore || evbuffer_get_length(bev->output) <= bev->wm_write.low))
		bufferevent__run_writecb(bev, options);
}

/*
 * The deferred run: everything that happened since the last run, in the
 * order connect, read, write, other events.  The event flags were merged
 * while waiting.  With BEV_OPT_UNLOCK_CALLBACKS the lock is released
 * around each user call.
 */
static void
run_deferred_callbacks(struct event_callback *cb, void *arg)
{
	struct bufferevent_private *bevp = arg;
	struct bufferevent *bev = &bevp->bev;
	int unlock = (bevp->options & BEV_OPT_UNLOCK_CALLBACKS) != 0;

	(void)cb;
	BEV_LOCK(bev);
#define CALL_USER(call)              \
	do {                             \
		if (unlock)                  \
			BEV_UNLOCK(bev);         \
		call;                        \
		if (unlock)                  \
			BEV_LOCK(bev);           \
	} while (0)

	if (bevp->eventcb_pending & BEV_EVENT_CONNECTED) {
		bufferevent_event_cb ecb = bev->errorcb;
		void *cbarg = bev->cbarg;
		bevp->eventcb_pending &= ~BEV_EVENT_CONNECTED;
		if (ecb)
			CALL_USER(ecb(bev, BEV_EVENT_CONNECTED, cbarg));
	}
	if (bevp->readcb_pending) {
		bufferevent_data_cb rcb = bev->readcb;
		void *cbarg = bev->cbarg;
		bevp->readcb_pending = 0;
		if (rcb)
			CALL_USER(rcb(bev, cbarg));
	}
	if (bevp->writecb_pending) {
		bufferevent_data_cb wcb = bev->writecb;
		void *cbarg = bev->cbarg;
		bevp->writecb_pending = 0;
		if (wcb)
			CALL_USER(wcb(bev, cbarg));
	}
	if (bevp->eventcb_pending) {
		bufferevent_event_cb ecb = bev->errorcb;
		void *cbarg = bev->cbarg;
		short what = bevp->eventcb_pending;
		bevp->eventcb_pending = 0;
		if (ecb) {
			errno = bevp->errno_pending;
			CALL_USER(ecb(bev, what, cbarg));
		}
	}
#undef CALL_USER
	bufferevent__decref_and_unlock(bev); /* the queue's reference */
}

void
bufferevent_setcb(struct bufferevent *bufev,
    bufferevent_data_cb readcb, bufferevent_data_cb writecb,
    bufferevent_event_cb eventcb, void *cbarg)
{
	BEV_CHECK_ARG(bufev, );
	BEV_LOCK(bufev);
	bufev->readcb = readcb;
	bufev->writecb = writecb;
	bufev->errorcb = eventcb;
	bufev->cbarg = cbarg;
	BEV_UNLOCK(bufev);
}

void
bufferevent_getcb(struct bufferevent *bufev,
    bufferevent_data_cb *readcb_ptr, bufferevent_data_cb *writecb_ptr,
    bufferevent_event_cb *eventcb_ptr, void **cbarg_ptr)
{
	BEV_CHECK_ARG(bufev, );
	BEV_LOCK(bufev);
	if (readcb_ptr)
		*readcb_ptr = bufev->readcb;
	if (writecb_ptr)
		*writecb_ptr = bufev->writecb;
	if (eventcb_ptr)
		*eventcb_ptr = bufev->errorcb;
	if (cbarg_ptr)
		*cbarg_ptr = bufev->cbarg;
	BEV_UNLOCK(bufev);
}

void
bufferevent_trigger(struct bufferevent *bufev, short iotype, int options)
{
	BEV_CHECK_ARG(bufev, );
	bufferevent__incref_and_lock(bufev);
	bufferevent__trigger_nolock(bufev, iotype, options);
	bufferevent__decref_and_unlock(bufev);
}

void
bufferevent_trigger_event(struct bufferevent *bufev, short what, int options)
{
	BEV_CHECK_ARG(bufev, );
	bufferevent__incref_and_lock(bufev);
	bufferevent__run_eventcb(bufev, what, options);
	bufferevent__decref_and_unlock(bufev);
}

/* ---- enabling and suspension -------------------------------------------- */

int
bufferevent_enable(struct bufferevent *bufev, short event)
{
	short ev = event & (EV_READ | EV_WRITE);
	int r = 0;

	BEV_CHECK_ARG(bufev, -1);
	bufferevent__incref_and_lock(bufev);
	bufev->enabled |= ev;
	if (ev && bufev->be_ops->enable(bufev, ev) < 0)
		r = -1;
	bufferevent__decref_and_unlock(bufev);
	return r;
}

int
bufferevent_disable(struct bufferevent *bufev, short event)
{
	short ev = event & (EV_READ | EV_WRITE);
	int r = 0;

	BEV_CHECK_ARG(bufev, -1);
	BEV_LOCK(bufev);
	bufev->enabled &= ~ev;
	if (ev && bufev->be_ops->disable(bufev, ev) < 0)
		r = -1;
	BEV_UNLOCK(bufev);
	return r;
}

short
bufferevent_get_enabled(struct bufferevent *bufev)
{
	short r;

	BEV_CHECK_ARG(bufev, 0);
	BEV_LOCK(bufev);
	r = bufev->enabled;
	BEV_UNLOCK(bufev);
	return r;
}

void
bufferevent__suspend_read(struct bufferevent *bev, bufferevent_suspend_flags what)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);

	BEV_LOCK(bev);
	if (!bevp->read_suspended) {
		bevp->read_suspended = what;
		bev->be_ops->disable(bev, EV_READ);
	} else {
		bevp->read_suspended |= what;
	}
	BEV_UNLOCK(bev);
}

void
bufferevent__unsuspend_read(struct bufferevent *bev, bufferevent_suspend_flags what)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);

	BEV_LOCK(bev);
	if (bevp->read_suspended & what) {
		bevp->read_suspended &= ~what;
		if (!bevp->read_suspended && (bev->enabled & EV_READ))
			bev->be_ops->enable(bev, EV_READ);
	}
	BEV_UNLOCK(bev);
}

void
bufferevent__suspend_write(struct bufferevent *bev, bufferevent_suspend_flags what)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);

	BEV_LOCK(bev);
	if (!bevp->write_suspended) {
		bevp->write_suspended = what;
		bev->be_ops->disable(bev, EV_WRITE);
	} else {
		bevp->write_suspended |= what;
	}
	BEV_UNLOCK(bev);
}

void
bufferevent__unsuspend_write(struct bufferevent *bev, bufferevent_suspend_flags what)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);

	BEV_LOCK(bev);
	if (bevp->write_suspended & what) {
		bevp->write_suspended &= ~what;
		if (!bevp->write_suspended && (bev->enabled & EV_WRITE))
			bev->be_ops->enable(bev, EV_WRITE);
	}
	BEV_UNLOCK(bev);
}

/* ---- watermarks ----------------------------------------------------------- */

/* Input changed while a read high watermark is set: stop reading at the
 * mark, resume below it. */
static void
read_wm_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct bufferevent *bev = arg;
	size_t len = evbuffer_get_length(buf);

	(void)info;
	if (bev->wm_read.high && len >= bev->wm_read.high)
		bufferevent__suspend_read(bev, BEV_SUSPEND_WM);
	else
		bufferevent__unsuspend_read(bev, BEV_SUSPEND_WM);
}

static void
set_read_watermark(struct bufferevent *bev, size_t low, size_t high)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);

	bev->wm_read.low = low;
	bev->wm_read.high = high;
	if (high == 0) {
		if (bevp->read_wm_cb)
			evbuffer_cb_clear_flags(bev->input, bevp->read_wm_cb, EVBUFFER_CB_ENABLED);
		bufferevent__unsuspend_read(bev, BEV_SUSPEND_WM);
		return;
	}
	if (bevp->read_wm_cb == NULL) {
		bevp->read_wm_cb = evbuffer_add_cb(bev->input, read_wm_cb, bev);
		if (bevp->read_wm_cb == NULL)
			event_warnx("bufferevent_setwatermark: cannot watch the input");
	} else {
		evbuffer_cb_set_flags(bev->input, bevp->read_wm_cb, EVBUFFER_CB_ENABLED);
	}
	read_wm_cb(bev->input, NULL, bev);
}

void
bufferevent_setwatermark(struct bufferevent *bufev, short events,
    size_t lowmark, size_t highmark)
{
	BEV_CHECK_ARG(bufev, );
	if (highmark != 0 && highmark < lowmark) {
		event_warnx("bufferevent_setwatermark: high watermark %zu is below "
		    "the low watermark %zu; ignored", highmark, lowmark);
		return;
	}
	bufferevent__incref_and_lock(bufev);
	if (events & EV_WRITE) {
		bufev->wm_write.low = lowmark;
		bufev->wm_write.high = highmark;
	}
	if (events & EV_READ)
		set_read_watermark(bufev, lowmark, highmark);
	bufferevent__decref_and_unlock(bufev);
}

int
bufferevent_getwatermark(struct bufferevent *bufev, short events,
    size_t *lowmark, size_t *highmark)
{
	const struct event_watermark *wm;

	BEV_CHECK_ARG(bufev, -1);
	if (events == EV_READ)
		wm = &bufev->wm_read;
	else if (events == EV_WRITE)
		wm = &bufev->wm_write;
	else
		return -1;
	BEV_LOCK(bufev);
	if (lowmark)
		*lowmark = wm->low;
	if (highmark)
		*highmark = wm->high;
	BEV_UNLOCK(bufev);
	return 0;
}

/* ---- timeouts ------------------------------------------------------------- */

int
bufferevent__add_event(struct event *ev, const struct timeval *tv)
{
	if (tv && (tv->tv_sec || tv->tv_usec))
		return event_add(ev, tv);
	if (event_pending(ev, EV_TIMEOUT, NULL))
		event_remove_timer(ev);
	return event_add(ev, NULL);
}

static int
bad_timeout(const struct timeval *tv)
{
	return tv && (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000);
}

int
bufferevent_set_timeouts(struct bufferevent *bufev,
    const struct timeval *tv_read, const struct timeval *tv_write)
{
	int r;

	BEV_CHECK_ARG(bufev, -1);
	if (bad_timeout(tv_read) || bad_timeout(tv_write)) {
		event_warnx("bufferevent_set_timeouts: invalid timeval");
		return -1;
	}
	BEV_LOCK(bufev);
	if (tv_read)
		bufev->timeout_read = *tv_read;
	else
		timerclear(&bufev->timeout_read);
	if (tv_write)
		bufev->timeout_write = *tv_write;
	else
		timerclear(&bufev->timeout_write);
	r = bufev->be_ops->adj_timeouts(bufev);
	BEV_UNLOCK(bufev);
	return r;
}

void
bufferevent_settimeout(struct bufferevent *bufev, int timeout_read, int timeout_write)
{
	struct timeval tr = { timeout_read, 0 }, tw = { timeout_write, 0 };

	BEV_CHECK_ARG(bufev, );
	bufferevent_set_timeouts(bufev, timeout_read > 0 ? &tr : NULL,
	    timeout_write > 0 ? &tw : NULL);
}

static void
generic_timeout_cb(struct bufferevent *bev, short dir, short what)
{
	if (!bufferevent__enter_callback(bev))
		return;
	bufferevent_disable(bev, dir);
	bufferevent__run_eventcb(bev, BEV_EVENT_TIMEOUT | what, 0);
	bufferevent__decref_and_unlock(bev);
}

static void
generic_read_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	generic_timeout_cb(arg, EV_READ, BEV_EVENT_READING);
}

static void
generic_write_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	generic_timeout_cb(arg, EV_WRITE, BEV_EVENT_WRITING);
}

void
bufferevent__init_generic_timeouts(struct bufferevent *bev)
{
	event_assign(&bev->ev_read, bev->ev_base, -1, EV_FINALIZE, generic_read_timeout, bev);
	event_assign(&bev->ev_write, bev->ev_base, -1, EV_FINALIZE, generic_write_timeout, bev);
}

int
bufferevent__generic_adj_timeouts(struct bufferevent *bev)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);
	int r = 0;

	if (bufferevent__reading(bevp) && timerisset(&bev->timeout_read))
		r |= event_add(&bev->ev_read, &bev->timeout_read);
	else
		r |= event_del(&bev->ev_read);
	if (bufferevent__writing(bevp) && timerisset(&bev->timeout_write))
		r |= event_add(&bev->ev_write, &bev->timeout_write);
	else
		r |= event_del(&bev->ev_write);
	return r < 0 ? -1 : 0;
}

/* ---- data ------------------------------------------------------------------ */

int
bufferevent_write(struct bufferevent *bufev, const void *data, size_t size)
{
	BEV_CHECK_ARG(bufev, -1);
	if (data == NULL && size != 0) {
		event_warnx("bufferevent_write: NULL data of size %zu", size);
		return -1;
	}
	if (size == 0)
		return 0;
	return evbuffer_add(bufev->output, data, size) == 0 ? 0 : -1;
}

int
bufferevent_write_buffer(struct bufferevent *bufev, struct evbuffer *buf)
{
	BEV_CHECK_ARG(bufev, -1);
	if (buf == NULL) {
		event_warnx("bufferevent_write_buffer: NULL evbuffer");
		return -1;
	}
	return evbuffer_add_buffer(bufev->output, buf) == 0 ? 0 : -1;
}

size_t
bufferevent_read(struct bufferevent *bufev, void *data, size_t size)
{
	int n;

	BEV_CHECK_ARG(bufev, 0);
	if (data == NULL && size != 0) {
		event_warnx("bufferevent_read: NULL destination of size %zu", size);
		return 0;
	}
	n = evbuffer_remove(bufev->input, data, size);
	return n > 0 ? (size_t)n : 0;
}

int
bufferevent_read_buffer(struct bufferevent *bufev, struct evbuffer *buf)
{
	BEV_CHECK_ARG(bufev, -1);
	if (buf == NULL) {
		event_warnx("bufferevent_read_buffer: NULL evbuffer");
		return -1;
	}
	return evbuffer_add_buffer(buf, bufev->input) == 0 ? 0 : -1;
}

struct evbuffer *
bufferevent_get_input(struct bufferevent *bufev)
{
	BEV_CHECK_ARG(bufev, NULL);
	return bufev->input;
}

struct evbuffer *
bufferevent_get_output(struct bufferevent *bufev)
{
	BEV_CHECK_ARG(bufev, NULL);
	return bufev->output;
}

int
bufferevent_flush(struct bufferevent *bufev, short iotype,
    enum bufferevent_flush_mode mode)
{
	int r = 0;

	BEV_CHECK_ARG(bufev, -1);
	if (mode != BEV_NORMAL && mode != BEV_FLUSH && mode != BEV_FINISHED) {
		event_warnx("bufferevent_flush: unknown mode %d", (int)mode);
		return -1;
	}
	bufferevent__incref_and_lock(bufev);
	if (bufev->be_ops->flush)
		r = bufev->be_ops->flush(bufev, iotype, mode);
	bufferevent__decref_and_unlock(bufev);
	return r;
}

/* ---- the transport -------------------------------------------------------- */

int
bufferevent_setfd(struct bufferevent *bufev, evutil_socket_t fd)
{
	union bufferevent_ctrl_data d;
	int r = -1;

	BEV_CHECK_ARG(bufev, -1);
	d.fd = fd;
	bufferevent__incref_and_lock(bufev);
	if (bufev->be_ops->ctrl)
		r = bufev->be_ops->ctrl(bufev, BEV_CTRL_SET_FD, &d);
	bufferevent__decref_and_unlock(bufev);
	return r;
}

evutil_socket_t
bufferevent_getfd(struct bufferevent *bufev)
{
	union bufferevent_ctrl_data d;
	int r = -1;

	BEV_CHECK_ARG(bufev, -1);
	d.fd = -1;
	BEV_LOCK(bufev);
	if (bufev->be_ops->ctrl)
		r = bufev->be_ops->ctrl(bufev, BEV_CTRL_GET_FD, &d);
	BEV_UNLOCK(bufev);
	return r < 0 ? -1 : d.fd;
}

struct bufferevent *
bufferevent_get_underlying(struct bufferevent *bufev)
{
	union bufferevent_ctrl_data d;
	int r = -1;

	BEV_CHECK_ARG(bufev, NULL);
	d.ptr = NULL;
	BEV_LOCK(bufev);
	if (bufev->be_ops->ctrl)
		r = bufev->be_ops->ctrl(bufev, BEV_CTRL_GET_UNDERLYING, &d);
	BEV_UNLOCK(bufev);
	return r < 0 ? NULL : d.ptr;
}

struct event_base *
bufferevent_get_base(struct bufferevent *bufev)
{
	BEV_CHECK_ARG(bufev, NULL);
	return bufev->ev_base;
}

int
bufferevent_get_priority(const struct bufferevent *bufev)
{
	BEV_CHECK_ARG(bufev, -1);
	return event_get_priority(&bufev->ev_read);
}

void
bufferevent_lock(struct bufferevent *bufev)
{
	BEV_CHECK_ARG(bufev, );
	BEV_LOCK(bufev);
}

void
bufferevent_unlock(struct bufferevent *bufev)
{
	BEV_CHECK_ARG(bufev, );
	BEV_UNLOCK(bufev);
}

/* ---- per-call caps ---------------------------------------------------------- */

int
bufferevent_set_max_single_read(struct bufferevent *bev, size_t size)
{
	BEV_CHECK_ARG(bev, -1);
	BEV_LOCK(bev);
	if (size == 0 || size > (size_t)EV_SSIZE_MAX)
		BEV_UPCAST(bev)->max_single_read = BEV_MAX_SINGLE_READ_DEFAULT;
	else
		BEV_UPCAST(bev)->max_single_read = (ev_ssize_t)size;
	BEV_UNLOCK(bev);
	return 0;
}

int
bufferevent_set_max_single_write(struct bufferevent *bev, size_t size)
{
	BEV_CHECK_ARG(bev, -1);
	BEV_LOCK(bev);
	if (size == 0 || size > (size_t)EV_SSIZE_MAX)
		BEV_UPCAST(bev)->max_single_write = BEV_MAX_SINGLE_WRITE_DEFAULT;
	else
		BEV_UPCAST(bev)->max_single_write = (ev_ssize_t)size;
	BEV_UNLOCK(bev);
	return 0;
}

ev_ssize_t
bufferevent_get_max_single_read(struct bufferevent *bev)
{
	ev_ssize_t r;

	BEV_CHECK_ARG(bev, -1);
	BEV_LOCK(bev);
	r = BEV_UPCAST(bev)->max_single_read;
	BEV_UNLOCK(bev);
	return r;
}

ev_ssize_t
bufferevent_get_max_single_write(struct bufferevent *bev)
{
	ev_ssize_t r;

	BEV_CHECK_ARG(bev, -1);
	BEV_LOCK(bev);
	r = BEV_UPCAST(bev)->max_single_write;
	BEV_UNLOCK(bev);
	return r;
}
