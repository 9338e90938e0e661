/*
 * bufferevent-internal.h: what the bufferevent transports (socket, pair,
 * filter) share with the common code in bufferevent.c and the rate
 * limiter in bufferevent_ratelim.c.
 *
 * Memory: every bufferevent is one allocation that starts with a
 * struct bufferevent_private, which starts with the public struct
 * bufferevent; each transport appends its own fields after it.
 *
 * Lifetime: a reference count.  bufferevent_free() detaches the transport
 * at once (ops->unlink: events stopped, descriptor closed with
 * BEV_OPT_CLOSE_ON_FREE) and drops the user's reference; the memory goes
 * when the last reference is dropped (ops->destruct, then the common
 * teardown).  Every engine callback that may call user code holds a
 * reference for its duration, and every scheduled deferred callback holds
 * one, so freeing from inside a callback is safe.
 *
 * Suspension: a direction can be enabled by the user and still be
 * stopped by the engine for one or more reasons (watermark, bandwidth,
 * name lookup, filter back-pressure).  The transport runs a direction only
 * when it is enabled and has no suspension reason.
 */
#ifndef BUFFEREVENT_INTERNAL_H_INCLUDED_
#define BUFFEREVENT_INTERNAL_H_INCLUDED_

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <sys/queue.h>

#include "thread-internal.h"

/* Reasons for suspending a direction (bit set; any bit stops it). */
#define BEV_SUSPEND_WM        0x01 /* read: input at the high watermark */
#define BEV_SUSPEND_BW        0x02 /* own token bucket empty */
#define BEV_SUSPEND_BW_GROUP  0x04 /* rate-limit group's bucket empty */
#define BEV_SUSPEND_LOOKUP    0x08 /* name resolution in progress */
#define BEV_SUSPEND_FILT_READ 0x10 /* a filter above us is full */
typedef ev_uint16_t bufferevent_suspend_flags;

/* Operations of bufferevent_ops.ctrl. */
enum bufferevent_ctrl_op {
	BEV_CTRL_SET_FD,
	BEV_CTRL_GET_FD,
	BEV_CTRL_GET_UNDERLYING
};
union bufferevent_ctrl_data {
	void *ptr;
	evutil_socket_t fd;
};

/* The methods of one transport.  All are called with the lock held. */
struct bufferevent_ops {
	const char *type;
	/* Start the transport in the given directions, as far as enabled
	 * and unsuspended allow; called again to restart timeouts.  0/-1. */
	int (*enable)(struct bufferevent *bev, short events);
	/* Stop the transport in the given directions.  0/-1. */
	int (*disable)(struct bufferevent *bev, short events);
	/* bufferevent_free(): detach from the transport now. */
	void (*unlink)(struct bufferevent *bev);
	/* Last reference gone: release what the transport owns (its
	 * events must be stopped when this returns). */
	void (*destruct)(struct bufferevent *bev);
	/* The timeouts changed: apply them to whatever is waiting.  0/-1. */
	int (*adj_timeouts)(struct bufferevent *bev);
	/* bufferevent_flush(): 1 if data moved, 0 if not, -1 on error. */
	int (*flush)(struct bufferevent *bev, short iotype,
	    enum bufferevent_flush_mode mode);
	/* Optional queries and changes; -1 when unsupported. */
	int (*ctrl)(struct bufferevent *bev, enum bufferevent_ctrl_op op,
	    union bufferevent_ctrl_data *data);
};

struct bufferevent_rate_limit;

struct bufferevent_private {
	struct bufferevent bev; /* must stay first */

	void *lock;            /* NULL unless BEV_OPT_THREADSAFE with threads */
	int refcnt;
	int options;           /* BEV_OPT_* given at creation */
	unsigned own_lock : 1; /* we allocated lock (a filter may borrow one) */
	unsigned freed : 1;    /* bufferevent_free() was called */
	unsigned readcb_pending : 1;
	unsigned writecb_pending : 1;
	unsigned dying : 1;    /* last reference gone; finalizers pending */
	short eventcb_pending; /* BEV_EVENT_* merged until the deferred run */
	int errno_pending;     /* errno to show the deferred event callback */
	int pending_finalizers; /* event finalizers still to run (threads) */

	bufferevent_suspend_flags read_suspended;
	bufferevent_suspend_flags write_suspended;

	/* Runs the user callbacks when they are deferred. */
	struct event_callback deferred;
	/* Watches the input for the read high watermark (when one is set). */
	struct evbuffer_cb_entry *read_wm_cb;

	ev_ssize_t max_single_read;
	ev_ssize_t max_single_write;
	/* A reference dropped after this bufferevent is gone (a filter's
	 * underlying, whose lock the filter may share). */
	struct bufferevent *release_on_destroy;
	/* NULL unless a rate limit or a group was ever attached. */
	struct bufferevent_rate_limit *rate_limiting;
};

#define BEV_UPCAST(b) ((struct bufferevent_private *)(b))

#define BEV_LOCK(b) EVLOCK_LOCK(BEV_UPCAST(b)->lock)
#define BEV_UNLOCK(b) EVLOCK_UNLOCK(BEV_UPCAST(b)->lock)

/* Reports a NULL bufferevent argument and returns ret. */
#define BEV_CHECK_ARG(bev, ret)                                        \
	do {                                                               \
		if ((bev) == NULL) {                                           \
			event_warnx("%s: NULL bufferevent", __func__);             \
			return ret;                                                \
		}                                                              \
	} while (0)

/* Default caps of one read and one write system call.  Large enough that
 * a 64 KiB message moves in one call each way; the evbuffer only
 * allocates what it needs, not the cap. */
#define BEV_MAX_SINGLE_READ_DEFAULT  (256 * 1024)
#define BEV_MAX_SINGLE_WRITE_DEFAULT (256 * 1024)

/* ---- bufferevent.c: common machinery ------------------------------------ */

/* Fills the common part of a zeroed bufferevent: buffers, lock, deferred
 * callback, defaults.  Writing starts enabled.  0, or -1 (nothing left
 * allocated). */
int bufferevent__init_common(struct bufferevent_private *bevp,
    struct event_base *base, const struct bufferevent_ops *ops, int options);

/* Reference counting; the _and_lock/_and_unlock forms take or release the
 * lock too.  decref returns 1 when it freed the bufferevent. */
void bufferevent__incref_and_lock(struct bufferevent *bev);
/* Start of every event callback: takes the lock and a reference, or
 * returns 0 (lock released) when the bufferevent is being destroyed. */
int bufferevent__enter_callback_slow(struct bufferevent *bev);
int bufferevent__decref_and_unlock_slow(struct bufferevent *bev);
void bufferevent__incref(struct bufferevent *bev);
int bufferevent__decref(struct bufferevent *bev);

/* The common cases inline (pingperf: four of each per echoed message);
 * the _slow forms handle a dying bufferevent and the last reference. */
static inline int
bufferevent__enter_callback(struct bufferevent *bev)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);

	if (bevp->lock || bevp->dying)
		return bufferevent__enter_callback_slow(bev);
	++bevp->refcnt;
	return 1;
}
static inline int
bufferevent__decref_and_unlock(struct bufferevent *bev)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);

	if (bevp->lock || bevp->refcnt <= 1)
		return bufferevent__decref_and_unlock_slow(bev);
	--bevp->refcnt;
	return 0;
}

/* Shares an existing lock (filters use their underlying's), or makes one
 * when lock is NULL.  0 or -1. */
int bufferevent__enable_locking(struct bufferevent *bev, void *lock);

/* Invoke a user callback now or from the loop: deferred when the
 * bufferevent was created with BEV_OPT_DEFER_CALLBACKS or options has it.
 * No watermark checks here.  The caller holds a reference. */
void bufferevent__run_readcb_slow(struct bufferevent *bev, int options);
/* The immediate read callback inline (pingperf: two per echoed message). */
static inline void
bufferevent__run_readcb(struct bufferevent *bev, int options)
{
	if (bev->readcb && !((BEV_UPCAST(bev)->options | options) & BEV_OPT_DEFER_CALLBACKS))
		bev->readcb(bev, bev->cbarg);
	else
		bufferevent__run_readcb_slow(bev, options);
}
void bufferevent__run_writecb(struct bufferevent *bev, int options);
void bufferevent__run_eventcb(struct bufferevent *bev, short what, int options);

/* The read and write callbacks, each only if its watermark allows. */
void bufferevent__trigger_nolock(struct bufferevent *bev, short iotype, int options);

/* Add or remove a suspension reason; the transport is started or stopped
 * on the transition.  Take the lock themselves. */
void bufferevent__suspend_read(struct bufferevent *bev, bufferevent_suspend_flags what);
void bufferevent__unsuspend_read(struct bufferevent *bev, bufferevent_suspend_flags what);
void bufferevent__suspend_write(struct bufferevent *bev, bufferevent_suspend_flags what);
void bufferevent__unsuspend_write(struct bufferevent *bev, bufferevent_suspend_flags what);

/* Whether a direction should be running now. */
static inline int
bufferevent__reading(const struct bufferevent_private *bevp)
{
	return (bevp->bev.enabled & EV_READ) && !bevp->read_suspended;
}
static inline int
bufferevent__writing(const struct bufferevent_private *bevp)
{
	return (bevp->bev.enabled & EV_WRITE) && !bevp->write_suspended;
}

/* Transports without a descriptor (pair, filter) use ev_read and ev_write
 * as plain timers for their timeouts. */
void bufferevent__init_generic_timeouts(struct bufferevent *bev);
/* Starts, restarts or stops those timers to match enabled, suspended and
 * the configured timeouts.  0 or -1. */
int bufferevent__generic_adj_timeouts(struct bufferevent *bev);

/* Adds ev with tv when tv is set; with tv zero, adds it without a
 * timeout, clearing any earlier one. */
int bufferevent__add_event(struct event *ev, const struct timeval *tv);

/* ---- bufferevent_ratelim.c: hooks for the transports --------------------- */

/* How much the next read/write may move: max_single_* reduced by the
 * bufferevent's bucket and its group's share.  0 means "wait": the
 * direction has been suspended until the buckets refill.  The inline
 * forms skip the call when no rate limit was ever attached. */
ev_ssize_t bufferevent__get_read_max(struct bufferevent_private *bevp);
ev_ssize_t bufferevent__get_write_max(struct bufferevent_private *bevp);
static inline ev_ssize_t
bufferevent__read_max(struct bufferevent_private *bevp)
{
	return bevp->rate_limiting ? bufferevent__get_read_max(bevp) : bevp->max_single_read;
}
static inline ev_ssize_t
bufferevent__write_max(struct bufferevent_private *bevp)
{
	return bevp->rate_limiting ? bufferevent__get_write_max(bevp) : bevp->max_single_write;
}
/* Charges bytes moved to the buckets (suspending on exhaustion).  0/-1. */
int bufferevent__decrement_read_buckets(struct bufferevent_private *bevp, ev_ssize_t bytes);
int bufferevent__decrement_write_buckets(struct bufferevent_private *bevp, ev_ssize_t bytes);
/* Teardown in two steps: detach (leave the group, stop the refill
 * timer; lock held) and, once no callback can run, free. */
void bufferevent__ratelim_detach(struct bufferevent_private *bevp);
void bufferevent__ratelim_free(struct bufferevent_private *bevp);
/* The refill timer, for finalization; NULL without rate limiting. */
struct event *bufferevent__ratelim_event(struct bufferevent_private *bevp);

/* ---- the transports ----------------------------------------------------- */

extern const struct bufferevent_ops bufferevent_ops_socket;
extern const struct bufferevent_ops bufferevent_ops_pair;
extern const struct bufferevent_ops bufferevent_ops_filter;

#define BEV_IS_SOCKET(bev) ((bev)->be_ops == &bufferevent_ops_socket)
#define BEV_IS_PAIR(bev) ((bev)->be_ops == &bufferevent_ops_pair)
#define BEV_IS_FILTER(bev) ((bev)->be_ops == &bufferevent_ops_filter)

#endif /* BUFFEREVENT_INTERNAL_H_INCLUDED_ */
