/*
 * bufferevent_struct.h: the storage of struct bufferevent.
 *
 * Exposed only because 1.x programs reached into it (tmux reads
 * bev->input, for instance).  New code uses the accessors of
 * bufferevent.h.  Size and field offsets are ABI: the engine pins them
 * with static asserts against ../shared/abi/LAYOUT-x86_64.txt.  The
 * engine keeps its private state after this struct, never inside it.
 */
#ifndef EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>
#include <event2/util.h>
#include <event2/event_struct.h>
#include <event2/bufferevent.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The two thresholds of one direction (high 0: unlimited). */
struct event_watermark {
	size_t low;
	size_t high;
};

struct bufferevent_ops;

struct bufferevent {
	struct event_base *ev_base;
	const struct bufferevent_ops *be_ops; /* the transport's methods */

	/* Transport events (socket readiness, or plain timers for the
	 * transports without a descriptor). */
	struct event ev_read;
	struct event ev_write;

	struct evbuffer *input;  /* filled by the engine, drained by the user */
	struct evbuffer *output; /* filled by the user, drained by the engine */

	struct event_watermark wm_read;
	struct event_watermark wm_write;

	bufferevent_data_cb readcb;
	bufferevent_data_cb writecb;
	bufferevent_event_cb errorcb; /* the event callback; 1.x name */
	void *cbarg;

	struct timeval timeout_read;  /* zero: no timeout */
	struct timeval timeout_write;

	short enabled; /* EV_READ | EV_WRITE as the user enabled them */
};

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_ */
