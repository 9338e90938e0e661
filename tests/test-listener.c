/*
 * test-listener.c: evconnlistener, and many connections at once.
 *
 * Accepting (addresses, socket flags, every LEV_OPT_*), enabling and
 * disabling, freeing from the callback, an accept storm, running out of
 * descriptors (the error callback fires, the loop does not spin, and
 * accepting resumes once descriptors free up), and 2000 concurrent
 * connections echoing through socket bufferevents with no byte lost.
 *
 * Each Criterion test runs in its own forked process, so the tests that
 * change RLIMIT_NOFILE change it only for themselves.
 */
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "bev-test.h"

static struct event_base *base;

static void
setup(void)
{
	bt_setup_logging();
	base = event_base_new();
	cr_assert_not_null(base);
}

static void
teardown(void)
{
	event_base_free(base);
}

TestSuite(listener, .init = setup, .fini = teardown, .timeout = 30);

struct accepted {
	int count;
	int close_them;
	int last_fd;
	int last_flags;     /* fcntl F_GETFL of the last socket */
	int last_fdflags;   /* fcntl F_GETFD of the last socket */
	struct sockaddr_in last_addr;
	int last_socklen;
	int errors;
	int last_errno;
	int free_after;     /* free the listener after this many */
	int calls_after_free;
	struct evconnlistener *lev;
};

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct accepted *a = arg;

	if (a->free_after && a->count >= a->free_after)
		a->calls_after_free++;
	a->count++;
	a->last_fd = fd;
	a->last_flags = fcntl(fd, F_GETFL);
	a->last_fdflags = fcntl(fd, F_GETFD);
	a->last_socklen = socklen;
	if (socklen <= (int)sizeof(a->last_addr))
		memcpy(&a->last_addr, sa, (size_t)socklen);
	if (a->close_them)
		close(fd);
	if (a->free_after && a->count == a->free_after)
		evconnlistener_free(lev);
}

static void
error_cb(struct evconnlistener *lev, void *arg)
{
	struct accepted *a = arg;

	(void)lev;
	a->errors++;
	a->last_errno = EVUTIL_SOCKET_ERROR();
}

static struct evconnlistener *
bind_loopback(struct accepted *a, unsigned flags, struct sockaddr_in *sin)
{
	struct evconnlistener *lev;
	socklen_t len = sizeof(*sin);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lev = evconnlistener_new_bind(base, accept_cb, a, flags, -1, (struct sockaddr *)sin,
	    sizeof(*sin));
	cr_assert_not_null(lev);
	cr_assert_eq(getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)sin, &len), 0);
	a->lev = lev;
	return lev;
}

/* A nonblocking connect to sin; the socket is returned. */
static int
connect_to(const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) < 0)
		cr_assert_eq(errno, EINPROGRESS, "connect: %s", strerror(errno));
	return fd;
}

static void
raise_nofile(rlim_t want)
{
	struct rlimit rl;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
		cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	cr_assert_geq(rl.rlim_cur, want, "RLIMIT_NOFILE hard limit %lu is too low",
	    (unsigned long)rl.rlim_max);
}

/* ---- accepting ---------------------------------------------------------------- */

Test(listener, accepts_with_address_and_nonblocking_socket)
{
	struct accepted a = { 0 };
	struct sockaddr_in sin, local;
	socklen_t len = sizeof(local);
	struct evconnlistener *lev = bind_loopback(&a, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, &sin);
	int c = connect_to(&sin);
	volatile int *count = &a.count;

	cr_assert_eq(evconnlistener_get_base(lev), base);
	cr_assert_geq(evconnlistener_get_fd(lev), 0);
	bt_loop_until(base, count, 5);
	cr_assert_eq(a.count, 1);
	cr_assert(a.last_flags & O_NONBLOCK, "accepted sockets are nonblocking");
	cr_assert_eq(a.last_fdflags & FD_CLOEXEC, 0);
	cr_assert_eq(a.last_socklen, (int)sizeof(struct sockaddr_in));
	cr_assert_eq(a.last_addr.sin_family, AF_INET);
	cr_assert_eq(getsockname(c, (struct sockaddr *)&local, &len), 0);
	cr_assert_eq(a.last_addr.sin_port, local.sin_port, "the peer's address");
	close(a.last_fd);
	close(c);
	evconnlistener_free(lev);
}

Test(listener, socket_flags)
{
	struct accepted a = { 0 };
	struct sockaddr_in sin;
	struct evconnlistener *lev = bind_loopback(&a, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
	    LEV_OPT_LEAVE_SOCKETS_BLOCKING | LEV_OPT_DEFERRED_ACCEPT, &sin);
	int c = connect_to(&sin), v = 0;
	socklen_t len = sizeof(v);
	volatile int *count = &a.count;

	cr_assert(fcntl(evconnlistener_get_fd(lev), F_GETFD) & FD_CLOEXEC);
	cr_assert_eq(getsockopt(evconnlistener_get_fd(lev), IPPROTO_TCP, TCP_DEFER_ACCEPT, &v,
	    &len), 0);
	cr_assert_gt(v, 0, "TCP_DEFER_ACCEPT");
	/* With deferred accept the client speaks first. */
	bt_loop_for(base, 0.02);
	cr_assert_eq(write(c, "hi", 2), 2);
	bt_loop_until(base, count, 5);
	cr_assert_eq(a.count, 1);
	cr_assert_eq(a.last_flags & O_NONBLOCK, 0, "LEAVE_SOCKETS_BLOCKING");
	cr_assert(a.last_fdflags & FD_CLOEXEC, "CLOSE_ON_EXEC");
	close(a.last_fd);
	close(c);
	evconnlistener_free(lev);
}

Test(listener, reuseable_port_lets_two_listeners_share)
{
	struct accepted a = { 0 }, b = { 0 };
	struct sockaddr_in sin;
	struct evconnlistener *l1 = bind_loopback(&a, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE_PORT, &sin);
	struct evconnlistener *l2 = evconnlistener_new_bind(base, accept_cb, &b,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE_PORT, -1, (struct sockaddr *)&sin, sizeof(sin));

	cr_assert_not_null(l2, "SO_REUSEPORT was not set");
	evconnlistener_free(l1);
	evconnlistener_free(l2);
	/* Without the flag the second bind fails (and says so). */
	l1 = bind_loopback(&a, LEV_OPT_CLOSE_ON_FREE, &sin);
	bt_allow_warnings(1);
	cr_assert_null(evconnlistener_new_bind(base, accept_cb, &b, LEV_OPT_CLOSE_ON_FREE, -1,
	    (struct sockaddr *)&sin, sizeof(sin)));
	bt_expect_warnings(1);
	evconnlistener_free(l1);
}

Test(listener, ipv6only)
{
	struct sockaddr_in6 sin6;
	struct accepted a = { 0 };
	struct evconnlistener *lev;
	int fd = socket(AF_INET6, SOCK_STREAM, 0), v = 0;
	socklen_t len = sizeof(v);

	if (fd < 0)
		cr_skip_test("no IPv6");
	close(fd);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_any;
	lev = evconnlistener_new_bind(base, accept_cb, &a,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_BIND_IPV6ONLY, -1, (struct sockaddr *)&sin6, sizeof(sin6));
	cr_assert_not_null(lev);
	cr_assert_eq(getsockopt(evconnlistener_get_fd(lev), IPPROTO_IPV6, IPV6_V6ONLY, &v, &len), 0);
	cr_assert_eq(v, 1);
	evconnlistener_free(lev);
}

Test(listener, disable_enable_and_start_disabled)
{
	struct accepted a = { .close_them = 1 };
	struct sockaddr_in sin;
	struct evconnlistener *lev = bind_loopback(&a, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED, &sin);
	int c1 = connect_to(&sin), c2;
	volatile int *count = &a.count;

	bt_loop_for(base, 0.05);
	cr_assert_eq(a.count, 0, "LEV_OPT_DISABLED accepted");
	cr_assert_eq(evconnlistener_enable(lev), 0);
	bt_loop_until(base, count, 5);
	cr_assert_eq(a.count, 1);
	cr_assert_eq(evconnlistener_disable(lev), 0);
	c2 = connect_to(&sin);
	bt_loop_for(base, 0.05);
	cr_assert_eq(a.count, 1, "a disabled listener accepted");
	evconnlistener_enable(lev);
	a.count = 0;
	bt_loop_until(base, count, 5);
	cr_assert_eq(a.count, 1);
	close(c1);
	close(c2);
	evconnlistener_free(lev);
}

Test(listener, null_callback_means_idle)
{
	struct accepted a = { .close_them = 1 };
	struct sockaddr_in sin;
	struct evconnlistener *lev = bind_loopback(&a, LEV_OPT_CLOSE_ON_FREE, &sin);
	int c;
	volatile int *count = &a.count;

	evconnlistener_set_cb(lev, NULL, NULL);
	c = connect_to(&sin);
	bt_loop_for(base, 0.05);
	cr_assert_eq(a.count, 0);
	evconnlistener_set_cb(lev, accept_cb, &a);
	bt_loop_until(base, count, 5);
	cr_assert_eq(a.count, 1);
	close(c);
	evconnlistener_free(lev);
}

Test(listener, user_socket_kept_without_close_on_free)
{
	struct accepted a = { .close_them = 1 };
	struct sockaddr_in sin;
	int lfd = bt_tcp_listener(&sin, 16), c;
	struct evconnlistener *lev;
	volatile int *count = &a.count;

	/* backlog 0: the socket is already listening.  (A blocking socket
	 * would hang the accept loop: the listener makes it nonblocking.) */
	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) & ~O_NONBLOCK);
	lev = evconnlistener_new(base, accept_cb, &a, 0, 0, lfd);
	cr_assert_not_null(lev);
	cr_assert_eq(evconnlistener_get_fd(lev), lfd);
	c = connect_to(&sin);
	bt_loop_until(base, count, 5);
	cr_assert_eq(a.count, 1);
	cr_assert(fcntl(lfd, F_GETFL) & O_NONBLOCK);
	evconnlistener_free(lev);
	cr_assert_neq(fcntl(lfd, F_GETFD), -1, "the caller's socket was closed");
	close(lfd);
	close(c);
}

Test(listener, free_inside_callback)
{
	struct accepted a = { .close_them = 1, .free_after = 1 };
	struct sockaddr_in sin;
	int c[5], r;
	volatile int *count = &a.count;

	bind_loopback(&a, LEV_OPT_CLOSE_ON_FREE, &sin);
	for (int i = 0; i < 5; i++)
		c[i] = connect_to(&sin);
	bt_loop_for(base, 0.05); /* all five are queued in the kernel */
	bt_loop_until(base, count, 5);
	bt_loop_for(base, 0.05);
	cr_assert_eq(a.count, 1);
	cr_assert_eq(a.calls_after_free, 0);
	/* CLOSE_ON_FREE: the port is closed now. */
	r = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(r, (struct sockaddr *)&sin, sizeof(sin)), -1);
	cr_assert_eq(errno, ECONNREFUSED);
	close(r);
	for (int i = 0; i < 5; i++)
		close(c[i]);
}

Test(listener, accept_storm)
{
	enum { N = 1000 };
	struct accepted a = { .close_them = 1 };
	struct sockaddr_in sin;
	struct evconnlistener *lev;
	static int c[N];
	double end;

	raise_nofile(N + 200);
	lev = bind_loopback(&a, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, &sin);
	for (int i = 0; i < N; i++)
		c[i] = connect_to(&sin);
	end = bt_now() + 20;
	while (a.count < N && bt_now() < end)
		event_base_loop(base, EVLOOP_ONCE);
	cr_assert_eq(a.count, N, "accepted %d of %d", a.count, N);
	cr_assert_eq(a.errors, 0);
	for (int i = 0; i < N; i++)
		close(c[i]);
	evconnlistener_free(lev);
}

/* ---- running out of descriptors ----------------------------------------------------- */

Test(listener, emfile_reports_backs_off_and_recovers)
{
	enum { CLIENTS = 5, LIMIT = 200 };
	struct accepted a = { .close_them = 1 };
	struct sockaddr_in sin;
	struct evconnlistener *lev;
	struct rlimit rl;
	int c[CLIENTS], fill[LIMIT], nfill = 0, fd;
	double cpu0, wall0, cpu, wall, end;

	lev = bind_loopback(&a, LEV_OPT_CLOSE_ON_FREE, &sin);
	evconnlistener_set_error_cb(lev, error_cb);
	for (int i = 0; i < CLIENTS; i++)
		c[i] = connect_to(&sin);
	/* Lower the limit and use up every descriptor left. */
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = LIMIT;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (nfill < LIMIT && (fd = dup(0)) >= 0)
		fill[nfill++] = fd;
	cr_assert_eq(errno, EMFILE);

	bt_allow_warnings(0);
	cpu0 = bt_cpu();
	wall0 = bt_now();
	bt_loop_for(base, 0.6);
	cpu = bt_cpu() - cpu0;
	wall = bt_now() - wall0;
	cr_assert_eq(a.count, 0);
	cr_assert_geq(a.errors, 1, "the error callback never ran");
	cr_assert_eq(a.last_errno, EMFILE);
	/* Backing off, not spinning: a few retries, almost no CPU. */
	cr_assert_lt(a.errors, 30, "%d error callbacks in %.2f s", a.errors, wall);
	cr_assert_lt(cpu, wall * 0.2, "the loop used %.3f s of CPU in %.3f s", cpu, wall);
	cr_log_info("EMFILE: %d error callbacks, %.1f ms CPU in %.0f ms", a.errors, cpu * 1e3,
	    wall * 1e3);

	/* Descriptors come back: every waiting connection gets accepted. */
	for (int i = 0; i < 20; i++)
		close(fill[--nfill]);
	end = bt_now() + 5;
	while (a.count < CLIENTS && bt_now() < end)
		bt_loop_for(base, 0.05);
	cr_assert_eq(a.count, CLIENTS, "accepted %d of %d after recovery", a.count, CLIENTS);
	while (nfill > 0)
		close(fill[--nfill]);
	for (int i = 0; i < CLIENTS; i++)
		close(c[i]);
	evconnlistener_free(lev);
}

/* ---- 2000 connections echoing --------------------------------------------------------- */

enum { N_CONNS = 2000 };

struct conn {
	struct bufferevent *bev;
	uint32_t seed;
	size_t size, received, bad;
	int done;
};

static int conns_done;

static void
server_readcb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

static void
server_eventcb(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void
server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);

	(void)lev;
	(void)sa;
	(void)socklen;
	(void)arg;
	cr_assert_not_null(bev);
	bufferevent_setcb(bev, server_readcb, NULL, server_eventcb, NULL);
	bufferevent_enable(bev, EV_READ);
}

static void
conn_readcb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	unsigned char buf[4096];
	int n;

	while ((n = (int)bufferevent_read(bev, buf, sizeof(buf))) > 0) {
		c->bad += bt_stream_mismatches(c->seed, c->received, buf, (size_t)n);
		c->received += (size_t)n;
	}
	if (c->received >= c->size && !c->done) {
		c->done = 1;
		conns_done++;
	}
}

static void
conn_eventcb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	cr_assert_eq(what & ~BEV_EVENT_CONNECTED, 0, "connection %p: event 0x%x", arg, what);
}

Test(listener, two_thousand_connections_echo)
{
	static struct conn conns[N_CONNS];
	struct sockaddr_in sin;
	struct evconnlistener *lev;
	socklen_t len = sizeof(sin);
	uint64_t rng = (uint64_t)time(NULL) | 1;
	unsigned char buf[8192];
	size_t total = 0;
	double end;

	raise_nofile(2 * N_CONNS + 200);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lev = evconnlistener_new_bind(base, server_accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof(sin));
	cr_assert_not_null(lev);
	getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin, &len);

	for (int i = 0; i < N_CONNS; i++) {
		struct conn *c = &conns[i];
		c->seed = (uint32_t)bt_rand(&rng);
		c->size = 1 + bt_rand(&rng) % sizeof(buf);
		total += c->size;
		c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
		cr_assert_not_null(c->bev);
		bufferevent_setcb(c->bev, conn_readcb, NULL, conn_eventcb, c);
		bufferevent_enable(c->bev, EV_READ);
		bt_stream_fill(c->seed, 0, buf, c->size);
		bufferevent_write(c->bev, buf, c->size);
		cr_assert_eq(bufferevent_socket_connect(c->bev, (struct sockaddr *)&sin,
		    sizeof(sin)), 0, "connect %d", i);
	}
	end = bt_now() + 25;
	while (conns_done < N_CONNS && bt_now() < end)
		event_base_loop(base, EVLOOP_ONCE);
	cr_assert_eq(conns_done, N_CONNS, "%d of %d connections complete", conns_done, N_CONNS);
	for (int i = 0; i < N_CONNS; i++) {
		cr_assert_eq(conns[i].received, conns[i].size, "connection %d", i);
		cr_assert_eq(conns[i].bad, 0, "connection %d: %zu corrupted bytes", i, conns[i].bad);
		bufferevent_free(conns[i].bev);
	}
	cr_log_info("%d connections echoed %zu bytes", N_CONNS, total);
	bt_loop_for(base, 0.05); /* the servers see EOF and free themselves */
	evconnlistener_free(lev);
}

/* ---- bad input ------------------------------------------------------------------------- */

Test(listener, bad_arguments)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	bt_allow_warnings(9);
	cr_assert_null(evconnlistener_new(NULL, accept_cb, NULL, 0, -1, 0));
	cr_assert_null(evconnlistener_new(base, accept_cb, NULL, 0, -1, -1));
	cr_assert_null(evconnlistener_new_bind(base, accept_cb, NULL, 0, -1, NULL, 0));
	cr_assert_null(evconnlistener_new_bind(NULL, accept_cb, NULL, 0, -1,
	    (struct sockaddr *)&sin, sizeof(sin)));
	evconnlistener_free(NULL);
	cr_assert_eq(evconnlistener_enable(NULL), -1);
	cr_assert_eq(evconnlistener_disable(NULL), -1);
	cr_assert_eq(evconnlistener_get_fd(NULL), -1);
	cr_assert_null(evconnlistener_get_base(NULL));
	bt_expect_warnings(9);
	/* A socket that cannot listen. */
	bt_allow_warnings(1);
	{
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		cr_assert_null(evconnlistener_new(base, accept_cb, NULL, 0, 16, fd));
		close(fd);
	}
	bt_expect_warnings(1);
}
