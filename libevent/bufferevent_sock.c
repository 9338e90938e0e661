/*
 * bufferevent_sock.c: bufferevents over a socket, built for the
 * request/response hot path.
 *
 * Stock libevent spends five system calls per echoed message here:
 * epoll_ctl to arm EV_WRITE when output appears, writev when it fires,
 * epoll_ctl to disarm it once the output is empty, plus ioctl(FIONREAD)
 * and readv on the read side.  This file spends two:
 *
 *  - Reading: when the socket is readable, one evbuffer_read() capped by
 *    max_single_read, the read high watermark and the rate limit.  No
 *    FIONREAD: a short read means the socket is drained, and
 *    level-triggered readiness brings us back if it was not.
 *
 *  - Writing: output added during a loop iteration schedules a deferred
 *    "flush" callback (sock_flush_cb) that runs in the same iteration,
 *    before the loop polls again, and writes with evbuffer_write_atmost().
 *    Only when the kernel pushes back (EAGAIN or a partial write) is
 *    EV_WRITE armed; it is disarmed once the output drains.  A ping-pong
 *    at steady state never arms it, so it makes no epoll_ctl at all.
 *
 * The read event stays armed for as long as reading is enabled and not
 * suspended; it is persistent, so the core never needs to touch the
 * kernel for it between messages.
 *
 * Observable behaviour stays documented libevent: the read callback
 * runs when the input reaches the low watermark, reading stops at the high
 * watermark, the write callback runs after a write leaves the output at
 * or below the write low watermark, and the write timeout counts only
 * while output is waiting for the kernel (or a connect is pending).
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/bufferevent_compat.h>

#include "bufferevent-internal.h"
#include "defer-internal.h"
#include "event-internal.h"
#include "evbuffer-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

struct bufferevent_sock {
	struct bufferevent_private bevp; /* must stay first */
	/* Writes queued output before the loop polls again. */
	struct event_callback flush_cb;
	unsigned write_armed : 1; /* ev_write is pending */
	unsigned in_write : 1;    /* inside write_some: no new flush needed */
	unsigned connecting : 1;  /* ev_write waits for connect() to finish */
	unsigned connection_refused : 1; /* connect() failed synchronously */
	int dns_error;            /* EVUTIL_EAI_* of the last failed lookup */
};

#define SOCK_OF(bev) ((struct bufferevent_sock *)(bev))

static void sock_read_cb(evutil_socket_t fd, short what, void *arg);
static void sock_write_cb(evutil_socket_t fd, short what, void *arg);

static evutil_socket_t
sock_fd(const struct bufferevent_sock *s)
{
	return s->bevp.bev.ev_read.ev_fd;
}

/* Buffer length without a call: the hot path asks several times per
 * message, always with the lock (which is the buffers' lock) held. */
static inline size_t
buf_len(const struct evbuffer *buf)
{
	return buf->total_len;
}

static int
arm_read(struct bufferevent_sock *s)
{
	struct bufferevent *bev = &s->bevp.bev;

	return bufferevent__add_event(&bev->ev_read, &bev->timeout_read);
}

static int
arm_write(struct bufferevent_sock *s)
{
	struct bufferevent *bev = &s->bevp.bev;

	if (bufferevent__add_event(&bev->ev_write, &bev->timeout_write) < 0)
		return -1;
	s->write_armed = 1;
	return 0;
}

static void
disarm_write(struct bufferevent_sock *s)
{
	if (s->write_armed) {
		event_del(&s->bevp.bev.ev_write);
		s->write_armed = 0;
	}
}

/* The flush holds a reference while it is queued. */
static void
schedule_flush(struct bufferevent_sock *s)
{
	if (event_deferred_cb_schedule_(s->bevp.bev.ev_base, &s->flush_cb))
		++s->bevp.refcnt;
}

/*
 * After a write attempt: EV_WRITE is armed exactly while the kernel
 * refuses more (blocked: EAGAIN or a partial write).  Output left over
 * for another reason (the write callback added more) goes out from the
 * flush on the next loop iteration instead, without touching epoll.
 */
static void
sync_write_event(struct bufferevent_sock *s, int blocked)
{
	struct bufferevent *bev = &s->bevp.bev;

	if (s->connecting)
		return; /* armed for the connect until it completes */
	if (!bufferevent__writing(&s->bevp) || sock_fd(s) < 0 || buf_len(bev->output) == 0) {
		disarm_write(s);
	} else if (blocked) {
		if (!s->write_armed)
			arm_write(s);
	} else if (!s->write_armed) {
		/* From inside the flush this lands on the next iteration. */
		schedule_flush(s);
	}
}

/* A failed read or write: stop that direction and tell the user. */
static void
report_io_error(struct bufferevent *bev, short dir, short what, int err)
{
	bufferevent_disable(bev, dir);
	errno = err;
	bufferevent__run_eventcb(bev,
	    (dir == EV_READ ? BEV_EVENT_READING : BEV_EVENT_WRITING) | what, 0);
}

/*
 * Writes queued output until it is gone, the kernel pushes back, or a
 * rate limit stops us, then runs the write callback if the output fell to
 * the low watermark, and finally arms or disarms EV_WRITE to match what
 * is left (sync_write_event).  Called with the lock and a reference held.
 */
static void
write_some(struct bufferevent_sock *s)
{
	struct bufferevent_private *bevp = &s->bevp;
	struct bufferevent *bev = &bevp->bev;
	evutil_socket_t fd = sock_fd(s);
	ev_ssize_t total = 0;
	int blocked = 0;

	if (!bufferevent__writing(bevp) || fd < 0 || s->connecting)
		goto out;
	s->in_write = 1;
	for (;;) {
		size_t len = buf_len(bev->output);
		ev_ssize_t atmost, n;

		if (len == 0)
			break;
		atmost = bufferevent__write_max(bevp);
		if (atmost <= 0)
			break; /* rate-limited; suspended until the refill */
		n = evbuffer_write_atmost(bev->output, fd, atmost);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				blocked = 1;
				break;
			}
			s->in_write = 0;
			report_io_error(bev, EV_WRITE, BEV_EVENT_ERROR, errno);
			goto out;
		}
		if (n == 0) {
			blocked = 1; /* nothing taken: wait for the kernel */
			break;
		}
		total += n;
		if (bevp->rate_limiting)
			bufferevent__decrement_write_buckets(bevp, n);
		if ((size_t)n < len && n < atmost) {
			blocked = 1; /* partial write: the socket buffer is full */
			break;
		}
	}
	if (total > 0 && bev->writecb && buf_len(bev->output) <= bev->wm_write.low)
		bufferevent__run_writecb(bev, 0);
	s->in_write = 0;
out:
	if (!bevp->freed)
		sync_write_event(s, blocked);
}

static void
sock_flush_cb(struct event_callback *cb, void *arg)
{
	struct bufferevent_sock *s = arg;
	struct bufferevent *bev = &s->bevp.bev;

	(void)cb;
	BEV_LOCK(bev);
	if (!s->bevp.freed)
		write_some(s);
	bufferevent__decref_and_unlock(bev); /* the queue's reference */
}

/* The output's add hook: data was added, make sure it goes out this
 * iteration. */
static void
sock_output_added(struct evbuffer *buf, void *arg)
{
	struct bufferevent_sock *s = arg;

	(void)buf;
	if (s->in_write || s->write_armed || s->connecting)
		return;
	if (!bufferevent__writing(&s->bevp) || sock_fd(s) < 0)
		return;
	schedule_flush(s);
}

static void
sock_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bufferevent_sock *s = arg;
	struct bufferevent_private *bevp = &s->bevp;
	struct bufferevent *bev = &bevp->bev;
	ev_ssize_t howmuch;
	int n;

	if (!bufferevent__enter_callback(bev))
		return;
	if (what & EV_TIMEOUT) {
		bufferevent_disable(bev, EV_READ);
		bufferevent__run_eventcb(bev, BEV_EVENT_TIMEOUT | BEV_EVENT_READING, 0);
		goto done;
	}
	/* While connecting, readiness means the connect finished; the
	 * write side reports that. */
	if (s->connecting || !bufferevent__reading(bevp))
		goto done;
	howmuch = bufferevent__read_max(bevp);
	if (bev->wm_read.high) {
		size_t len = buf_len(bev->input);
		if (len >= bev->wm_read.high) {
			bufferevent__suspend_read(bev, BEV_SUSPEND_WM);
			goto done;
		}
		if ((size_t)howmuch > bev->wm_read.high - len)
			howmuch = (ev_ssize_t)(bev->wm_read.high - len);
	}
	if (howmuch <= 0)
		goto done; /* rate-limited; suspended until the refill */
	if (howmuch > INT_MAX)
		howmuch = INT_MAX;
	n = evbuffer__read_max(bev->input, fd, (size_t)howmuch, NULL);
	if (n > 0) {
		if (bevp->rate_limiting)
			bufferevent__decrement_read_buckets(bevp, n);
		if (buf_len(bev->input) >= bev->wm_read.low)
			bufferevent__run_readcb(bev, 0);
	} else if (n == 0) {
		report_io_error(bev, EV_READ, BEV_EVENT_EOF, 0);
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		report_io_error(bev, EV_READ, BEV_EVENT_ERROR, errno);
	}
done:
	bufferevent__decref_and_unlock(bev);
}

/* ev_write fired during a connect: 1 connected, 0 still waiting, -1
 * failed (already reported). */
static int
finish_connect(struct bufferevent_sock *s)
{
	struct bufferevent *bev = &s->bevp.bev;
	int err = 0;
	socklen_t len = sizeof(err);

	if (s->connection_refused) {
		s->connection_refused = 0;
		err = ECONNREFUSED;
	} else if (getsockopt(sock_fd(s), SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
		err = errno;
	}
	if (err == EINPROGRESS || err == EALREADY || err == EINTR)
		return 0;
	s->connecting = 0;
	if (err) {
		/* A failed socket reports readiness forever; stop listening
		 * to it until the user connects again or sets a new fd. */
		disarm_write(s);
		event_del(&bev->ev_read);
		errno = err;
		bufferevent__run_eventcb(bev, BEV_EVENT_ERROR, 0);
		return -1;
	}
	bufferevent__run_eventcb(bev, BEV_EVENT_CONNECTED, 0);
	return 1;
}

static void
sock_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bufferevent_sock *s = arg;
	struct bufferevent *bev = &s->bevp.bev;

	(void)fd;
	if (!bufferevent__enter_callback(bev))
		return;
	if (what & EV_TIMEOUT) {
		disarm_write(s);
		bufferevent_disable(bev, EV_WRITE);
		bufferevent__run_eventcb(bev, BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING, 0);
		goto done;
	}
	if (s->connecting) {
		if (finish_connect(s) <= 0 || s->bevp.freed)
			goto done;
		if (bufferevent__reading(&s->bevp))
			arm_read(s);
	}
	write_some(s);
done:
	bufferevent__decref_and_unlock(bev);
}

/* ---- bufferevent_ops ------------------------------------------------------ */

static int
sock_enable(struct bufferevent *bev, short events)
{
	struct bufferevent_sock *s = SOCK_OF(bev);
	int r = 0;

	if (sock_fd(s) < 0)
		return 0; /* nothing to watch until a socket is set */
	if ((events & EV_READ) && bufferevent__reading(&s->bevp) && !s->connecting)
		r |= arm_read(s);
	if ((events & EV_WRITE) && bufferevent__writing(&s->bevp)) {
		if (s->connecting || s->write_armed)
			r |= arm_write(s); /* re-adding restarts the timeout */
		else if (evbuffer_get_length(bev->output) > 0)
			schedule_flush(s);
	}
	return r < 0 ? -1 : 0;
}

static int
sock_disable(struct bufferevent *bev, short events)
{
	struct bufferevent_sock *s = SOCK_OF(bev);

	if (events & EV_READ)
		event_del(&bev->ev_read);
	/* A pending connect keeps its watch; it is not "writing". */
	if ((events & EV_WRITE) && !s->connecting)
		disarm_write(s);
	return 0;
}

static void
sock_unlink(struct bufferevent *bev)
{
	struct bufferevent_sock *s = SOCK_OF(bev);

	event_del(&bev->ev_read);
	disarm_write(s);
	event_del(&bev->ev_write);
	s->connecting = 0;
	if (event_deferred_cb_cancel_(bev->ev_base, &s->flush_cb))
		--s->bevp.refcnt; /* bufferevent_free still holds one */
}

static void
sock_destruct(struct bufferevent *bev)
{
	struct bufferevent_sock *s = SOCK_OF(bev);
	evutil_socket_t fd = sock_fd(s);

	evbuffer__set_add_hook(bev->output, NULL, NULL);
	event_del(&bev->ev_read);
	event_del(&bev->ev_write);
	if ((s->bevp.options & BEV_OPT_CLOSE_ON_FREE) && fd >= 0)
		close(fd);
}

static int
sock_adj_timeouts(struct bufferevent *bev)
{
	struct bufferevent_sock *s = SOCK_OF(bev);
	int r = 0;

	if (event_pending(&bev->ev_read, EV_READ, NULL))
		r |= bufferevent__add_event(&bev->ev_read, &bev->timeout_read);
	if (s->write_armed)
		r |= bufferevent__add_event(&bev->ev_write, &bev->timeout_write);
	return r < 0 ? -1 : 0;
}

/* Output is already written as soon as the loop gets to it; there is
 * nothing to push harder. */
static int
sock_flush(struct bufferevent *bev, short iotype, enum bufferevent_flush_mode mode)
{
	(void)bev;
	(void)iotype;
	(void)mode;
	return 0;
}

/* Points both events at fd (keeping their priority) and restarts what is
 * enabled.  A pending connect is forgotten. */
static void
sock_setfd(struct bufferevent_sock *s, evutil_socket_t fd)
{
	struct bufferevent *bev = &s->bevp.bev;
	int pri = event_get_priority(&bev->ev_read);

	event_del(&bev->ev_read);
	disarm_write(s);
	event_del(&bev->ev_write);
	s->connecting = 0;
	s->connection_refused = 0;
	event_assign(&bev->ev_read, bev->ev_base, fd, EV_READ | EV_PERSIST | EV_FINALIZE,
	    sock_read_cb, s);
	event_assign(&bev->ev_write, bev->ev_base, fd, EV_WRITE | EV_PERSIST | EV_FINALIZE,
	    sock_write_cb, s);
	event_priority_set(&bev->ev_read, pri);
	event_priority_set(&bev->ev_write, pri);
	if (fd >= 0)
		sock_enable(bev, bev->enabled);
}

static int
sock_ctrl(struct bufferevent *bev, enum bufferevent_ctrl_op op,
    union bufferevent_ctrl_data *data)
{
	switch (op) {
	case BEV_CTRL_SET_FD:
		sock_setfd(SOCK_OF(bev), data->fd);
		return 0;
	case BEV_CTRL_GET_FD:
		data->fd = sock_fd(SOCK_OF(bev));
		return 0;
	default:
		return -1;
	}
}

const struct bufferevent_ops bufferevent_ops_socket = {
	"socket",
	sock_enable,
	sock_disable,
	sock_unlink,
	sock_destruct,
	sock_adj_timeouts,
	sock_flush,
	sock_ctrl,
};

/* ---- public calls ------------------------------------------------------------ */

struct bufferevent *
bufferevent_socket_new(struct event_base *base, evutil_socket_t fd, int options)
{
	struct bufferevent_sock *s;
	struct bufferevent *bev;

	if (base == NULL)
		base = event__current_base(); /* the 1.x calls */
	if (base == NULL) {
		event_warnx("bufferevent_socket_new: no event_base");
		return NULL;
	}
	s = mm_calloc(1, sizeof(*s));
	if (s == NULL) {
		event_warn("bufferevent_socket_new: out of memory");
		return NULL;
	}
	if (bufferevent__init_common(&s->bevp, base, &bufferevent_ops_socket, options) < 0) {
		mm_free(s);
		return NULL;
	}
	bev = &s->bevp.bev;
	event_assign(&bev->ev_read, base, fd, EV_READ | EV_PERSIST | EV_FINALIZE,
	    sock_read_cb, s);
	event_assign(&bev->ev_write, base, fd, EV_WRITE | EV_PERSIST | EV_FINALIZE,
	    sock_write_cb, s);
	event_deferred_cb_init_(&s->flush_cb, (ev_uint8_t)event_get_priority(&bev->ev_read),
	    sock_flush_cb, s);
	event_deferred_cb_set_priority_(&s->bevp.deferred,
	    (ev_uint8_t)event_get_priority(&bev->ev_read));
	evbuffer__set_add_hook(bev->output, sock_output_added, s);
	return bev;
}

/* Nonzero (with a warning) unless bev is a socket bufferevent. */
static int
not_socket(struct bufferevent *bev, const char *fn)
{
	if (BEV_IS_SOCKET(bev))
		return 0;
	event_warnx("%s: not a socket bufferevent (%s)", fn, bev->be_ops->type);
	return 1;
}

int
bufferevent_socket_connect(struct bufferevent *bev, const struct sockaddr *sa, int socklen)
{
	struct bufferevent_sock *s = SOCK_OF(bev);
	evutil_socket_t fd;
	int ownfd = 0, result = -1, refused = 0, now = 0;

	BEV_CHECK_ARG(bev, -1);
	if (not_socket(bev, __func__))
		return -1;
	if (sa && socklen <= 0) {
		event_warnx("bufferevent_socket_connect: bad address length %d", socklen);
		return -1;
	}
	bufferevent__incref_and_lock(bev);
	fd = sock_fd(s);
	if (fd < 0) {
		if (sa == NULL) {
			event_warnx("bufferevent_socket_connect: no socket and no address");
			goto done;
		}
		fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			event_debug(("bufferevent_socket_connect: socket: %s", strerror(errno)));
			goto done;
		}
		ownfd = 1;
	}
	if (sa) {
		if (connect(fd, sa, (socklen_t)socklen) == 0) {
			now = 1;
		} else if (errno == ECONNREFUSED) {
			refused = 1;
		} else if (errno != EINPROGRESS && errno != EINTR) {
			int err = errno;
			if (ownfd)
				close(fd);
			errno = err;
			bufferevent__run_eventcb(bev, BEV_EVENT_ERROR, 0);
			goto done;
		}
	}
	if (ownfd)
		sock_setfd(s, fd);
	s->connecting = 1;
	if (now || refused) {
		/* Report from the loop, as for a connect that took time. */
		s->connection_refused = (unsigned)refused;
		event_active(&bev->ev_write, EV_WRITE, 1);
	} else if (arm_write(s) < 0) {
		s->connecting = 0;
		goto done;
	}
	result = 0;
done:
	bufferevent__decref_and_unlock(bev);
	return result;
}

/* Copies hostname into buf without the brackets of "[v6-literal]". */
static const char *
strip_brackets(const char *hostname, char *buf, size_t buflen)
{
	size_t len = strlen(hostname);

	if (len >= 2 && hostname[0] == '[' && hostname[len - 1] == ']' && len - 2 < buflen) {
		memcpy(buf, hostname + 1, len - 2);
		buf[len - 2] = '\0';
		return buf;
	}
	return hostname;
}

int
bufferevent_socket_connect_hostname(struct bufferevent *bev,
    struct evdns_base *evdns_base, int family, const char *hostname, int port)
{
	struct bufferevent_sock *s = SOCK_OF(bev);
	struct addrinfo hints, *ai = NULL;
	char portbuf[16], hostbuf[256];
	int r, result;

	(void)evdns_base; /* no asynchronous resolver yet: resolve inline */
	BEV_CHECK_ARG(bev, -1);
	if (not_socket(bev, __func__))
		return -1;
	if (family != AF_INET && family != AF_INET6 && family != AF_UNSPEC) {
		event_warnx("bufferevent_socket_connect_hostname: unsupported family %d", family);
		return -1;
	}
	if (hostname == NULL || port < 1 || port > 65535) {
		event_warnx("bufferevent_socket_connect_hostname: bad host or port %d", port);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	snprintf(portbuf, sizeof(portbuf), "%d", port);

	bufferevent__incref_and_lock(bev);
	s->dns_error = 0;
	r = getaddrinfo(strip_brackets(hostname, hostbuf, sizeof(hostbuf)), portbuf, &hints, &ai);
	if (r != 0) {
		s->dns_error = r;
		bufferevent__run_eventcb(bev, BEV_EVENT_ERROR, 0);
		result = 0; /* the attempt was made; the event says how it ended */
	} else {
		result = bufferevent_socket_connect(bev, ai->ai_addr, (int)ai->ai_addrlen);
		freeaddrinfo(ai);
	}
	bufferevent__decref_and_unlock(bev);
	return result;
}

int
bufferevent_socket_get_dns_error(struct bufferevent *bev)
{
	int r;

	BEV_CHECK_ARG(bev, 0);
	if (!BEV_IS_SOCKET(bev))
		return 0;
	BEV_LOCK(bev);
	r = SOCK_OF(bev)->dns_error;
	BEV_UNLOCK(bev);
	return r;
}

int
bufferevent_priority_set(struct bufferevent *bufev, int pri)
{
	struct bufferevent_sock *s = SOCK_OF(bufev);
	int r = -1;

	BEV_CHECK_ARG(bufev, -1);
	if (!BEV_IS_SOCKET(bufev))
		return -1;
	BEV_LOCK(bufev);
	if (event_priority_set(&bufev->ev_read, pri) == 0 &&
	    event_priority_set(&bufev->ev_write, pri) == 0) {
		event_deferred_cb_set_priority_(&s->flush_cb, (ev_uint8_t)pri);
		event_deferred_cb_set_priority_(&s->bevp.deferred, (ev_uint8_t)pri);
		r = 0;
	}
	BEV_UNLOCK(bufev);
	return r;
}

int
bufferevent_base_set(struct event_base *base, struct bufferevent *bufev)
{
	struct bufferevent_sock *s = SOCK_OF(bufev);
	int r = -1, pri;

	BEV_CHECK_ARG(bufev, -1);
	if (base == NULL) {
		event_warnx("bufferevent_base_set: NULL event_base");
		return -1;
	}
	if (not_socket(bufev, __func__))
		return -1;
	BEV_LOCK(bufev);
	if (bufev->ev_base == base) {
		r = 0;
	} else if (event_base_set(base, &bufev->ev_read) == 0 &&
	    event_base_set(base, &bufev->ev_write) == 0) {
		bufev->ev_base = base;
		pri = event_get_priority(&bufev->ev_read);
		event_deferred_cb_set_priority_(&s->flush_cb, (ev_uint8_t)pri);
		event_deferred_cb_set_priority_(&s->bevp.deferred, (ev_uint8_t)pri);
		r = 0;
	}
	BEV_UNLOCK(bufev);
	return r;
}

struct bufferevent *
bufferevent_new(evutil_socket_t fd, evbuffercb readcb, evbuffercb writecb,
    everrorcb errorcb, void *cbarg)
{
	struct bufferevent *bev = bufferevent_socket_new(NULL, fd, 0);

	if (bev)
		bufferevent_setcb(bev, readcb, writecb, errorcb, cbarg);
	return bev;
}
