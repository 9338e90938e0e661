/*
 * listener.c: evconnlistener, accepting connections on a listening socket.
 *
 * When the socket is readable we accept in a loop until the kernel says
 * EAGAIN, handing each connection to the callback (accept4 makes it
 * nonblocking and close-on-exec in the same call when asked).  The lock,
 * if any, is released around user callbacks, and a reference count lets
 * them free or disable the listener.
 *
 * Errors that retrying at once cannot fix, above all running out of
 * descriptors (EMFILE, ENFILE) or memory, are the classic way to spin an
 * event loop at 100% CPU: the pending connection keeps the socket
 * readable, so a level-triggered loop wakes us again immediately, for
 * ever.  Instead we report the error, stop watching the socket, and retry
 * from a timer with exponential backoff (RETRY_MIN_MSEC doubling up to
 * RETRY_MAX_MSEC); the first successful accept resets the backoff.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "log-internal.h"
#include "mm-internal.h"
#include "thread-internal.h"

/* Backoff after a resource error: short enough that accepting resumes
 * promptly once descriptors free up, long enough that a stuck listener
 * costs nothing measurable. */
#define RETRY_MIN_MSEC 10
#define RETRY_MAX_MSEC 500
/* Backlog for "-1: a reasonable default": the kernel clamps it to
 * net.core.somaxconn; a short queue turns a connection burst into SYN
 * retransmits of a second each. */
#define DEFAULT_BACKLOG SOMAXCONN

struct evconnlistener {
	struct event listener_ev; /* readable: connections are waiting */
	struct event retry_ev;    /* backoff timer after a resource error */
	struct event_base *base;
	evconnlistener_cb cb;
	evconnlistener_errorcb errorcb;
	void *user_data;
	unsigned flags;
	void *lock;
	int refcnt;
	int accept_flags;         /* for accept4 */
	unsigned enabled : 1;     /* what the user asked for */
	unsigned paused : 1;      /* backing off after an error */
	unsigned dying : 1;       /* last reference gone */
	int pending_finalizers;
	unsigned retry_msec;
};

#define LEV_LOCK(lev) EVLOCK_LOCK((lev)->lock)
#define LEV_UNLOCK(lev) EVLOCK_UNLOCK((lev)->lock)

#define CHECK_LEV(lev, ret)                                            \
	do {                                                               \
		if ((lev) == NULL) {                                           \
			event_warnx("%s: NULL evconnlistener", __func__);          \
			return ret;                                                \
		}                                                              \
	} while (0)

static void listener_read_cb(evutil_socket_t fd, short what, void *arg);
static void listener_retry_cb(evutil_socket_t fd, short what, void *arg);

static void
listener_final_free(struct evconnlistener *lev)
{
	if (lev->lock)
		evthread__lock_free(lev->lock);
	mm_free(lev);
}

/* One of our events is finalized; the second one frees. */
static void
listener_finalized_cb(struct event *ev, void *arg)
{
	struct evconnlistener *lev = arg;
	int last;

	(void)ev;
	LEV_LOCK(lev);
	last = --lev->pending_finalizers == 0;
	LEV_UNLOCK(lev);
	if (last)
		listener_final_free(lev);
}

/*
 * Drops a reference; at zero the listener goes.  Lock held on entry,
 * released.  With threads, another thread's loop may be about to run one
 * of our callbacks and be waiting for our lock: the listener is marked
 * dying (the callbacks leave at once) and freed by the loop's finalizers
 * once no callback of ours can run.  Returns 1 if it was the last one.
 */
static int
listener_decref_and_unlock(struct evconnlistener *lev)
{
	if (--lev->refcnt > 0) {
		LEV_UNLOCK(lev);
		return 0;
	}
	lev->dying = 1;
	if (lev->flags & LEV_OPT_CLOSE_ON_FREE)
		close(event_get_fd(&lev->listener_ev));
	if (lev->lock == NULL) {
		event_del(&lev->listener_ev);
		event_del(&lev->retry_ev);
		listener_final_free(lev);
		return 1;
	}
	lev->pending_finalizers = 1;
	if (event_finalize(0, &lev->listener_ev, listener_finalized_cb) == 0)
		lev->pending_finalizers++;
	if (event_finalize(0, &lev->retry_ev, listener_finalized_cb) == 0)
		lev->pending_finalizers++;
	if (--lev->pending_finalizers == 0) {
		LEV_UNLOCK(lev);
		listener_final_free(lev);
		return 1;
	}
	LEV_UNLOCK(lev);
	return 1;
}

/* Start of our event callbacks: 0 (unlocked) if the listener is dying. */
static int
listener_enter(struct evconnlistener *lev)
{
	LEV_LOCK(lev);
	if (lev->dying) {
		LEV_UNLOCK(lev);
		return 0;
	}
	return 1;
}

/* Watch the socket exactly when enabled, with a callback, not backing off. */
static int
sync_watch(struct evconnlistener *lev)
{
	if (lev->enabled && lev->cb && !lev->paused)
		return event_add(&lev->listener_ev, NULL);
	return event_del(&lev->listener_ev);
}

struct evconnlistener *
evconnlistener_new(struct event_base *base, evconnlistener_cb cb, void *ptr,
    unsigned flags, int backlog, evutil_socket_t fd)
{
	struct evconnlistener *lev;

	if (base == NULL || fd < 0) {
		event_warnx("evconnlistener_new: %s", base ? "negative socket" : "NULL event_base");
		return NULL;
	}
	if (backlog > 0 || backlog < 0) {
		if (listen(fd, backlog > 0 ? backlog : DEFAULT_BACKLOG) < 0) {
			event_sock_warn(fd, "evconnlistener_new: listen(%d, %d)", (int)fd, backlog);
			return NULL;
		}
	}
	/* The accept loop runs until EAGAIN: a blocking socket would hang
	 * it on the last round.  The caller should have made it nonblocking;
	 * make sure. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		event_sock_warn(fd, "evconnlistener_new: fcntl(%d, O_NONBLOCK)", (int)fd);
		return NULL;
	}
	if (flags & LEV_OPT_CLOSE_ON_EXEC)
		fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
	lev = mm_calloc(1, sizeof(*lev));
	if (lev == NULL) {
		event_warn("evconnlistener_new: out of memory");
		return NULL;
	}
	if (flags & LEV_OPT_THREADSAFE) {
		lev->lock = evthread__lock_new();
		if (lev->lock == NULL && EVTHREAD_LOCKING_ENABLED()) {
			mm_free(lev);
			return NULL;
		}
	}
	lev->base = base;
	lev->cb = cb;
	lev->user_data = ptr;
	lev->flags = flags;
	lev->refcnt = 1;
	lev->retry_msec = RETRY_MIN_MSEC;
	if (!(flags & LEV_OPT_LEAVE_SOCKETS_BLOCKING))
		lev->accept_flags |= SOCK_NONBLOCK;
	if (flags & LEV_OPT_CLOSE_ON_EXEC)
		lev->accept_flags |= SOCK_CLOEXEC;
	/* EV_FINALIZE: event_del never waits for a callback that may be
	 * waiting for our lock in another thread. */
	event_assign(&lev->listener_ev, base, fd, EV_READ | EV_PERSIST | EV_FINALIZE,
	    listener_read_cb, lev);
	event_assign(&lev->retry_ev, base, -1, EV_FINALIZE, listener_retry_cb, lev);
	lev->enabled = !(flags & LEV_OPT_DISABLED);
	if (sync_watch(lev) < 0) {
		evthread__lock_free(lev->lock);
		mm_free(lev);
		return NULL;
	}
	return lev;
}

static int
set_opt(evutil_socket_t fd, int level, int name, const char *what)
{
	int one = 1;

	if (setsockopt(fd, level, name, &one, sizeof(one)) == 0)
		return 0;
	event_sock_warn(fd, "evconnlistener_new_bind: setsockopt(%s)", what);
	return -1;
}

/* Applies the socket options of flags to a socket not yet bound. */
static int
apply_bind_options(evutil_socket_t fd, int family, unsigned flags)
{
	if (set_opt(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE") < 0)
		return -1;
	if ((flags & LEV_OPT_REUSEABLE) &&
	    set_opt(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR") < 0)
		return -1;
	if ((flags & LEV_OPT_REUSEABLE_PORT) &&
	    set_opt(fd, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT") < 0)
		return -1;
	if ((flags & LEV_OPT_BIND_IPV6ONLY) && family == AF_INET6 &&
	    set_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY") < 0)
		return -1;
	/* Only a hint: the connection is still accepted without it. */
	if ((flags & LEV_OPT_DEFERRED_ACCEPT) && (family == AF_INET || family == AF_INET6)) {
		int secs = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs));
	}
	return 0;
}

struct evconnlistener *
evconnlistener_new_bind(struct event_base *base, evconnlistener_cb cb, void *ptr,
    unsigned flags, int backlog, const struct sockaddr *sa, int socklen)
{
	struct evconnlistener *lev;
	evutil_socket_t fd;
	int type = SOCK_STREAM | SOCK_NONBLOCK;

	if (base == NULL || sa == NULL || socklen <= 0) {
		event_warnx("evconnlistener_new_bind: %s",
		    base ? "no address to bind" : "NULL event_base");
		return NULL;
	}
	if (flags & LEV_OPT_CLOSE_ON_EXEC)
		type |= SOCK_CLOEXEC;
	fd = socket(sa->sa_family, type, 0);
	if (fd < 0) {
		event_warn("evconnlistener_new_bind: socket(family %d)", sa->sa_family);
		return NULL;
	}
	if (apply_bind_options(fd, sa->sa_family, flags) < 0)
		goto fail;
	if (bind(fd, sa, (socklen_t)socklen) < 0) {
		event_sock_warn(fd, "evconnlistener_new_bind: bind");
		goto fail;
	}
	/* The socket is ours: it goes with the listener, and it is not
	 * listening yet whatever backlog says. */
	lev = evconnlistener_new(base, cb, ptr, flags | LEV_OPT_CLOSE_ON_FREE,
	    backlog != 0 ? backlog : -1, fd);
	if (lev == NULL)
		goto fail;
	return lev;
fail:
	close(fd);
	return NULL;
}

void
evconnlistener_free(struct evconnlistener *lev)
{
	CHECK_LEV(lev, );
	LEV_LOCK(lev);
	lev->cb = NULL;
	lev->errorcb = NULL;
	lev->enabled = 0;
	sync_watch(lev);
	event_del(&lev->retry_ev);
	listener_decref_and_unlock(lev);
}

int
evconnlistener_enable(struct evconnlistener *lev)
{
	int r;

	CHECK_LEV(lev, -1);
	LEV_LOCK(lev);
	lev->enabled = 1;
	r = sync_watch(lev);
	LEV_UNLOCK(lev);
	return r;
}

int
evconnlistener_disable(struct evconnlistener *lev)
{
	int r;

	CHECK_LEV(lev, -1);
	LEV_LOCK(lev);
	lev->enabled = 0;
	r = sync_watch(lev);
	LEV_UNLOCK(lev);
	return r;
}

struct event_base *
evconnlistener_get_base(struct evconnlistener *lev)
{
	CHECK_LEV(lev, NULL);
	return lev->base;
}

evutil_socket_t
evconnlistener_get_fd(struct evconnlistener *lev)
{
	CHECK_LEV(lev, -1);
	return event_get_fd(&lev->listener_ev);
}

void
evconnlistener_set_cb(struct evconnlistener *lev, evconnlistener_cb cb, void *arg)
{
	CHECK_LEV(lev, );
	LEV_LOCK(lev);
	lev->cb = cb;
	lev->user_data = arg;
	sync_watch(lev);
	LEV_UNLOCK(lev);
}

void
evconnlistener_set_error_cb(struct evconnlistener *lev, evconnlistener_errorcb errorcb)
{
	CHECK_LEV(lev, );
	LEV_LOCK(lev);
	lev->errorcb = errorcb;
	LEV_UNLOCK(lev);
}

/* accept() failures that concern only the connection being accepted (it
 * died in the queue, or a network error Linux reports early): go on. */
static int
accept_error_is_transient(int err)
{
	switch (err) {
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case ENETDOWN:
	case ENOPROTOOPT:
	case EHOSTDOWN:
	case ENONET:
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
	case EPERM: /* firewall rules */
		return 1;
	default:
		return 0;
	}
}

/* Stops watching and schedules a retry.  Lock held. */
static void
back_off(struct evconnlistener *lev)
{
	struct timeval tv;

	tv.tv_sec = lev->retry_msec / 1000;
	tv.tv_usec = (lev->retry_msec % 1000) * 1000;
	lev->paused = 1;
	sync_watch(lev);
	event_add(&lev->retry_ev, &tv);
	if (lev->retry_msec < RETRY_MAX_MSEC)
		lev->retry_msec = lev->retry_msec * 2 > RETRY_MAX_MSEC ? RETRY_MAX_MSEC
		                                                       : lev->retry_msec * 2;
}

/* Reports err to the user (or the log) after backing off.  Lock held on
 * entry and on return, unless the listener was freed: returns 1 then. */
static int
report_error(struct evconnlistener *lev, evutil_socket_t fd, int err)
{
	evconnlistener_errorcb errorcb = lev->errorcb;
	void *arg = lev->user_data;

	back_off(lev);
	if (errorcb == NULL) {
		errno = err;
		event_sock_warn(fd, "evconnlistener: accept");
		return 0;
	}
	++lev->refcnt;
	LEV_UNLOCK(lev);
	errno = err;
	errorcb(lev, arg);
	LEV_LOCK(lev);
	if (lev->refcnt == 1) {
		listener_decref_and_unlock(lev);
		return 1;
	}
	--lev->refcnt;
	return 0;
}

static void
listener_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct evconnlistener *lev = arg;

	(void)what;
	if (!listener_enter(lev))
		return;
	while (lev->enabled && lev->cb && !lev->paused) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		evconnlistener_cb cb;
		void *user;
		evutil_socket_t nfd;

		nfd = accept4(fd, (struct sockaddr *)&ss, &sslen, lev->accept_flags);
		if (nfd < 0) {
			int err = errno;
			if (err == EAGAIN || err == EWOULDBLOCK)
				break;
			if (accept_error_is_transient(err))
				continue;
			if (report_error(lev, fd, err))
				return; /* freed by the error callback */
			break;
		}
		lev->retry_msec = RETRY_MIN_MSEC;
		cb = lev->cb;
		user = lev->user_data;
		++lev->refcnt;
		LEV_UNLOCK(lev);
		cb(lev, nfd, (struct sockaddr *)&ss, (int)sslen, user);
		LEV_LOCK(lev);
		if (lev->refcnt == 1) {
			listener_decref_and_unlock(lev); /* freed by the callback */
			return;
		}
		--lev->refcnt;
	}
	LEV_UNLOCK(lev);
}

static void
listener_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct evconnlistener *lev = arg;

	(void)fd;
	(void)what;
	if (!listener_enter(lev))
		return;
	lev->paused = 0;
	sync_watch(lev);
	LEV_UNLOCK(lev);
}
