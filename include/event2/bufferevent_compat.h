/*
 * bufferevent_compat.h: the 1.x bufferevent calls, kept for old
 * programs.  They use the "current" event_base (the one event_init()
 * made) and whole-second timeouts; new code uses bufferevent.h.
 */
#ifndef EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/util.h>
#include <event2/bufferevent.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1.x names of the callback types. */
#define evbuffercb bufferevent_data_cb
#define everrorcb bufferevent_event_cb

/* A socket bufferevent on the current base with its callbacks set.
 * NULL on error (or when there is no current base). */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_new(evutil_socket_t fd,
    evbuffercb readcb, evbuffercb writecb, everrorcb errorcb, void *cbarg);

/* Read and write timeouts in whole seconds; 0 means none. */
EVENT2_EXPORT_SYMBOL
void bufferevent_settimeout(struct bufferevent *bufev,
    int timeout_read, int timeout_write);

/* 1.x names of the event flags. */
#define EVBUFFER_READ    BEV_EVENT_READING
#define EVBUFFER_WRITE   BEV_EVENT_WRITING
#define EVBUFFER_EOF     BEV_EVENT_EOF
#define EVBUFFER_ERROR   BEV_EVENT_ERROR
#define EVBUFFER_TIMEOUT BEV_EVENT_TIMEOUT

/* 1.x accessors of the two buffers. */
#define EVBUFFER_INPUT(x)  bufferevent_get_input(x)
#define EVBUFFER_OUTPUT(x) bufferevent_get_output(x)

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_ */
