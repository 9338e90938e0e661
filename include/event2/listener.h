/*
 * listener.h: accepting TCP (or local) connections.
 *
 * An evconnlistener watches a listening socket and hands every accepted
 * connection to its callback, already nonblocking unless asked otherwise.
 * Errors accept() cannot retry (running out of descriptors, say) go to
 * the error callback; the listener then pauses briefly instead of
 * spinning, and resumes by itself.
 */
#ifndef EVENT2_LISTENER_H_INCLUDED_
#define EVENT2_LISTENER_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sockaddr;
struct evconnlistener;

/* A new connection fd from addr (socklen bytes); user_arg as registered.
 * The callback owns fd. */
typedef void (*evconnlistener_cb)(struct evconnlistener *, evutil_socket_t, struct sockaddr *, int socklen, void *);

/* accept() failed in a way that retrying at once would not fix;
 * EVUTIL_SOCKET_ERROR() says how. */
typedef void (*evconnlistener_errorcb)(struct evconnlistener *, void *);

/* ---- flags ---------------------------------------------------------- */
/* Hand out accepted sockets in blocking mode. */
#define LEV_OPT_LEAVE_SOCKETS_BLOCKING (1u << 0)
/* Freeing the listener closes its socket. */
#define LEV_OPT_CLOSE_ON_FREE          (1u << 1)
/* Mark the listening socket and accepted sockets close-on-exec. */
#define LEV_OPT_CLOSE_ON_EXEC          (1u << 2)
/* SO_REUSEADDR: rebind the port at once after a restart. */
#define LEV_OPT_REUSEABLE              (1u << 3)
/* Lock the listener (when threading is on). */
#define LEV_OPT_THREADSAFE             (1u << 4)
/* Start disabled; evconnlistener_enable() starts accepting. */
#define LEV_OPT_DISABLED               (1u << 5)
/* Let the kernel hold a connection until its first data arrives
 * (TCP_DEFER_ACCEPT).  Only for protocols where the client speaks first;
 * only evconnlistener_new_bind can apply it. */
#define LEV_OPT_DEFERRED_ACCEPT        (1u << 6)
/* SO_REUSEPORT: several sockets may bind the same port (Linux 3.9+). */
#define LEV_OPT_REUSEABLE_PORT         (1u << 7)
/* IPV6_V6ONLY: an IPv6 listener that does not take IPv4-mapped peers. */
#define LEV_OPT_BIND_IPV6ONLY          (1u << 8)

/* A listener on fd, a nonblocking socket already bound.  backlog: > 0
 * calls listen(fd, backlog), -1 picks a default, 0 means fd is already
 * listening.  With cb NULL the listener stays idle until a callback is
 * set.  NULL on error. */
EVENT2_EXPORT_SYMBOL
struct evconnlistener *evconnlistener_new(struct event_base *base,
    evconnlistener_cb cb, void *ptr, unsigned flags, int backlog,
    evutil_socket_t fd);

/* Creates, configures (per flags), binds and listens on a socket for sa;
 * the listener owns it.  backlog as above (-1: default).  NULL on error. */
EVENT2_EXPORT_SYMBOL
struct evconnlistener *evconnlistener_new_bind(struct event_base *base,
    evconnlistener_cb cb, void *ptr, unsigned flags, int backlog,
    const struct sockaddr *sa, int socklen);

/* Stops and frees lev (safe from its own callbacks). */
EVENT2_EXPORT_SYMBOL
void evconnlistener_free(struct evconnlistener *lev);

/* Resumes or stops accepting.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int evconnlistener_enable(struct evconnlistener *lev);
EVENT2_EXPORT_SYMBOL
int evconnlistener_disable(struct evconnlistener *lev);

EVENT2_EXPORT_SYMBOL
struct event_base *evconnlistener_get_base(struct evconnlistener *lev);

/* The listening socket. */
EVENT2_EXPORT_SYMBOL
evutil_socket_t evconnlistener_get_fd(struct evconnlistener *lev);

/* Replaces the connection callback and its argument. */
EVENT2_EXPORT_SYMBOL
void evconnlistener_set_cb(struct evconnlistener *lev,
    evconnlistener_cb cb, void *arg);

/* Sets the error callback (it receives the listener's argument). */
EVENT2_EXPORT_SYMBOL
void evconnlistener_set_error_cb(struct evconnlistener *lev,
    evconnlistener_errorcb errorcb);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_LISTENER_H_INCLUDED_ */
