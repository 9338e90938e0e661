/*
 * test-bufferevent-syscalls.c: the system-call contract of socket
 * bufferevents (DESIGN section 3, principles 1, 2 and 4).
 *
 * A steady ping-pong between two socket bufferevents over a socketpair
 * must cost exactly one read and one write per message and no epoll_ctl
 * at all (stock libevent 2.1.12: epoll_ctl twice, ioctl(FIONREAD), readv
 * and writev).  The counts are exact, not timed, so the test is
 * deterministic.
 *
 * This program interposes the libc wrappers the engine calls (read,
 * readv, write, writev, epoll_ctl, ioctl): definitions in the executable
 * win over libc's for the engine's PLT calls, and dlsym(RTLD_NEXT) finds
 * the real ones.  Reads and writes are counted only on the two sockets of
 * the ping-pong, so nothing else in the process (Criterion's own pipes)
 * disturbs the counts.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "bev-test.h"

#define EXPORTED __attribute__((visibility("default")))

/* ---- interposed libc wrappers -------------------------------------------- */


/* The contracts below are about epoll: make sure that is the backend,
 * whatever EVENT_NO* says (the gate runs the suite with them set). */
static struct event_base *
epoll_base_new(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
	event_config_avoid_method(cfg, "poll");
	event_config_avoid_method(cfg, "select");
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	cr_assert_not_null(base);
	cr_assert_str_eq(event_base_get_method(base), "epoll");
	return base;
}

static int watch_fd[2] = { -1, -1 };
static int counting;
static long n_reads, n_writes, n_epoll_ctl, n_fionread, n_other_ioctl;

static int
watched(int fd)
{
	return counting && (fd == watch_fd[0] || fd == watch_fd[1]);
}

#define REAL(name)                                                  \
	static __typeof__(&name) real_##name;                           \
	if (!real_##name)                                               \
		real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

EXPORTED ssize_t
read(int fd, void *buf, size_t n)
{
	REAL(read);
	if (watched(fd))
		n_reads++;
	return real_read(fd, buf, n);
}

EXPORTED ssize_t
readv(int fd, const struct iovec *iov, int n)
{
	REAL(readv);
	if (watched(fd))
		n_reads++;
	return real_readv(fd, iov, n);
}

EXPORTED ssize_t
write(int fd, const void *buf, size_t n)
{
	REAL(write);
	if (watched(fd))
		n_writes++;
	return real_write(fd, buf, n);
}

EXPORTED ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	REAL(writev);
	if (watched(fd))
		n_writes++;
	return real_writev(fd, iov, n);
}

EXPORTED int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	REAL(epoll_ctl);
	if (counting)
		n_epoll_ctl++;
	return real_epoll_ctl(epfd, op, fd, ev);
}

EXPORTED int
ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	REAL(ioctl);
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (counting) {
		if (req == FIONREAD)
			n_fionread++;
		else
			n_other_ioctl++;
	}
	return real_ioctl(fd, req, arg);
}

/* ---- the ping-pong ----------------------------------------------------------- */

static struct event_base *base;

struct pinger {
	struct bufferevent *bev;
	size_t msg;          /* message size */
	long rounds_left;    /* round trips the client still starts */
	long messages;       /* messages received by this end */
	int echo;            /* 1: server (echo back), 0: client */
	int done;
};

static void
ping_readcb(struct bufferevent *bev, void *arg)
{
	struct pinger *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (evbuffer_get_length(in) >= p->msg) {
		unsigned char buf[65536];
		evbuffer_remove(in, buf, p->msg);
		p->messages++;
		if (p->echo) {
			bufferevent_write(bev, buf, p->msg);
		} else if (p->rounds_left > 0) {
			p->rounds_left--;
			bufferevent_write(bev, buf, p->msg);
		} else {
			p->done = 1;
			event_base_loopbreak(base);
		}
	}
}

static void
run_pingpong(size_t msg, long warmup, long rounds, int options)
{
	int sv[2];
	struct pinger client = { 0 }, server = { 0 };
	unsigned char buf[65536];
	long reads, writes;

	base = epoll_base_new();
	cr_assert_not_null(base);
	bt_socketpair(sv);
	client.bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE | options);
	server.bev = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE | options);
	client.msg = server.msg = msg;
	server.echo = 1;
	bufferevent_setcb(client.bev, ping_readcb, NULL, NULL, &client);
	bufferevent_setcb(server.bev, ping_readcb, NULL, NULL, &server);
	bufferevent_enable(client.bev, EV_READ);
	bufferevent_enable(server.bev, EV_READ);
	watch_fd[0] = sv[0];
	watch_fd[1] = sv[1];

	/* Warm up: the events get registered, buffers and caches fill. */
	memset(buf, 'p', sizeof(buf));
	client.rounds_left = warmup - 1;
	bufferevent_write(client.bev, buf, msg);
	event_base_dispatch(base);
	cr_assert(client.done, "warm-up did not finish");

	/* Measure: one message each way per round trip. */
	client.done = 0;
	client.messages = server.messages = 0;
	client.rounds_left = rounds - 1;
	n_reads = n_writes = n_epoll_ctl = n_fionread = n_other_ioctl = 0;
	counting = 1;
	bufferevent_write(client.bev, buf, msg);
	event_base_dispatch(base);
	counting = 0;
	cr_assert(client.done);
	cr_assert_eq(client.messages, rounds);
	cr_assert_eq(server.messages, rounds);

	reads = n_reads;
	writes = n_writes;
	cr_log_info("ping-pong %zu B x %ld: %.3f reads, %.3f writes, %.3f epoll_ctl per message",
	    msg, rounds, (double)reads / (2.0 * rounds), (double)writes / (2.0 * rounds),
	    (double)n_epoll_ctl / (2.0 * rounds));
	cr_assert_eq(reads, 2 * rounds, "%ld reads for %ld messages", reads, 2 * rounds);
	cr_assert_eq(writes, 2 * rounds, "%ld writes for %ld messages", writes, 2 * rounds);
	cr_assert_eq(n_epoll_ctl, 0, "%ld epoll_ctl calls at steady state", n_epoll_ctl);
	cr_assert_eq(n_fionread, 0, "ioctl(FIONREAD) was called %ld times", n_fionread);
	cr_assert_eq(n_other_ioctl, 0);

	bufferevent_free(client.bev);
	bufferevent_free(server.bev);
	event_base_free(base);
}

static void
setup(void)
{
	bt_setup_logging();
}

TestSuite(syscalls, .init = setup, .timeout = 30);

Test(syscalls, pingpong_64_bytes)
{
	run_pingpong(64, 100, 2000, 0);
}

Test(syscalls, pingpong_1_kib)
{
	run_pingpong(1024, 100, 2000, 0);
}

Test(syscalls, pingpong_deferred_callbacks)
{
	/* Deferring the user callbacks must not cost system calls. */
	run_pingpong(64, 100, 2000, BEV_OPT_DEFER_CALLBACKS);
}

/* With a socketpair the kernel takes the whole message at once; with a
 * message larger than the socket buffer the writer must wait, and only
 * then may EV_WRITE be armed. */
Test(syscalls, write_event_armed_only_on_backpressure)
{
	int sv[2];
	struct bufferevent *bev;
	char *big = calloc(1, 4 * 1024 * 1024);

	base = epoll_base_new();
	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	watch_fd[0] = sv[0];
	watch_fd[1] = -1;
	/* Small output: written from the loop without any epoll_ctl. */
	bt_loop_for(base, 0.01);
	n_epoll_ctl = n_writes = 0;
	counting = 1;
	bufferevent_write(bev, "small", 5);
	cr_assert_eq(n_writes, 0, "written inside bufferevent_write, not batched");
	bt_loop_for(base, 0.01);
	cr_assert_eq(n_writes, 1);
	cr_assert_eq(n_epoll_ctl, 0);
	/* Large output: the kernel pushes back and EV_WRITE is armed. */
	bufferevent_write(bev, big, 4 * 1024 * 1024);
	bt_loop_for(base, 0.01);
	cr_assert_gt(evbuffer_get_length(bufferevent_get_output(bev)), 0);
	cr_assert_eq(n_epoll_ctl, 1, "%ld epoll_ctl", n_epoll_ctl);
	counting = 0;
	bufferevent_free(bev);
	close(sv[1]);
	event_base_free(base);
	free(big);
}

/* A writer that refills its output from the write callback (a stream)
 * while the reader keeps up: every chunk goes out from the flush, never
 * through EV_WRITE, so epoll is never touched. */
static int stream_left;

static void
stream_writecb(struct bufferevent *bev, void *arg)
{
	char chunk[1024];

	(void)arg;
	if (stream_left-- > 0) {
		memset(chunk, 's', sizeof(chunk));
		bufferevent_write(bev, chunk, sizeof(chunk));
	}
}

static void
stream_reader(evutil_socket_t fd, short what, void *arg)
{
	char buf[65536];
	ssize_t n;

	(void)what;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		*(size_t *)arg += (size_t)n;
}

Test(syscalls, streaming_from_the_write_callback)
{
	int sv[2];
	struct bufferevent *bev;
	struct event *reader;
	size_t got = 0;

	base = epoll_base_new();
	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, NULL, stream_writecb, NULL, NULL);
	reader = event_new(base, sv[1], EV_READ | EV_PERSIST, stream_reader, &got);
	event_add(reader, NULL);
	bt_loop_for(base, 0.01);
	watch_fd[0] = sv[0];
	watch_fd[1] = -1;
	n_epoll_ctl = n_writes = 0;
	counting = 1;
	stream_left = 100;
	bufferevent_write(bev, "go", 2);
	bt_loop_for(base, 0.1);
	counting = 0;
	cr_assert_eq(got, 2 + 100 * 1024);
	cr_assert_eq(n_writes, 101, "%ld writes", n_writes);
	cr_assert_eq(n_epoll_ctl, 0, "%ld epoll_ctl while streaming", n_epoll_ctl);
	event_free(reader);
	bufferevent_free(bev);
	close(sv[1]);
	event_base_free(base);
}
