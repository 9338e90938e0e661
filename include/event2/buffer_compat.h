/*
 * buffer_compat.h: evbuffer names kept for programs written against
 * libevent 1.x.  New code uses buffer.h.
 */
#ifndef EVENT2_BUFFER_COMPAT_H_INCLUDED_
#define EVENT2_BUFFER_COMPAT_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/buffer.h>

#ifdef __cplusplus
extern "C" {
#endif

/* evbuffer_readln(buffer, NULL, EVBUFFER_EOL_ANY). */
EVENT2_EXPORT_SYMBOL
char *evbuffer_readline(struct evbuffer *buffer);

/* The 1.x callback: told the length before and after a change. */
typedef void (*evbuffer_cb)(struct evbuffer *buffer, size_t old_len,
    size_t new_len, void *arg);

/* Replaces every callback of buffer by cb (NULL: removes them all).
 * 0 on success, -1 on error. */
EVENT2_EXPORT_SYMBOL
int evbuffer_setcb(struct evbuffer *buffer, evbuffer_cb cb, void *cbarg);

/* Makes the buffer contiguous up to and including the first occurrence of
 * what[0..len) and returns a pointer to that occurrence; NULL if none. */
EVENT2_EXPORT_SYMBOL
unsigned char *evbuffer_find(struct evbuffer *buffer, const unsigned char *what,
    size_t len);

/* 1.x accessors. */
#define EVBUFFER_LENGTH(x) evbuffer_get_length(x)
#define EVBUFFER_DATA(x) evbuffer_pullup((x), -1)
/* The buffers of a bufferevent; bufferevent_compat.h defines them too. */
#ifndef EVBUFFER_INPUT
#define EVBUFFER_INPUT(x) bufferevent_get_input(x)
#endif
#ifndef EVBUFFER_OUTPUT
#define EVBUFFER_OUTPUT(x) bufferevent_get_output(x)
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFER_COMPAT_H_INCLUDED_ */
