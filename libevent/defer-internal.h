/*
 * defer-internal.h: callbacks the loop runs on behalf of the engine
 * (deferred evbuffer callbacks, bufferevent callbacks and flushes).
 *
 * A deferred callback is a struct event_callback embedded in its owner.
 * Scheduling puts it on the base's activation queue for its priority, so
 * it runs in the current loop iteration, before the loop polls again.
 * Scheduling an already scheduled callback is a no-op; so the callback
 * runs once however many times it was scheduled, which is what lets
 * callers merge work (and flags) between two runs.
 */
#ifndef DEFER_INTERNAL_H_INCLUDED_
#define DEFER_INTERNAL_H_INCLUDED_

#include <event2/event_struct.h>

struct event_base;

typedef void (*deferred_cb_fn)(struct event_callback *, void *);

/* Prepares cb; priority as for events (0 is most urgent). */
void event_deferred_cb_init_(struct event_callback *cb, ev_uint8_t priority,
    deferred_cb_fn fn, void *arg);
void event_deferred_cb_set_priority_(struct event_callback *cb, ev_uint8_t priority);
/* Queues cb on base.  Returns 1 if it was queued now, 0 if it already was
 * (or base is NULL).  Safe from any thread once threading is on. */
int event_deferred_cb_schedule_(struct event_base *base, struct event_callback *cb);
/* Removes cb from the queue if it is there.  Returns 1 if it was queued. */
int event_deferred_cb_cancel_(struct event_base *base, struct event_callback *cb);

/* The number of priorities of base (for picking a deferred priority). */
int event_base_get_npriorities(struct event_base *base);

#endif /* DEFER_INTERNAL_H_INCLUDED_ */
