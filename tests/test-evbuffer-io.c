/*
 * test-evbuffer-io.c: evbuffer_read / evbuffer_write on socketpairs, TCP
 * loopback and pipes: EOF, EAGAIN, partial writes, howmuch limits, and
 * the system calls each call makes.
 *
 * System calls are counted by interposition: this program defines readv,
 * read, recv, recvfrom, recvmsg, ioctl, writev and write itself, so the
 * engine's calls (through its PLT) land here, are counted while counting
 * is on, and go to the kernel with syscall(2).  The tests assert that a
 * counter moved, so a failed interposition fails them rather than passing
 * silently.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "evbuffer-internal.h"
#include "evbuffer-test.h"

/* ---- counting system calls ----------------------------------------------- */

/* The tree builds with -fvisibility=hidden; interposers must be exported. */
#define INTERPOSE __attribute__((visibility("default")))

static int counting;
static int n_reads, n_ioctls, n_writes, n_writevs;

INTERPOSE ssize_t
readv(int fd, const struct iovec *iov, int cnt)
{
	n_reads += counting;
	return syscall(SYS_readv, fd, iov, cnt);
}

INTERPOSE ssize_t
read(int fd, void *p, size_t n)
{
	n_reads += counting;
	return syscall(SYS_read, fd, p, n);
}

INTERPOSE ssize_t
recv(int fd, void *p, size_t n, int flags)
{
	n_reads += counting;
	return syscall(SYS_recvfrom, fd, p, n, flags, NULL, NULL);
}

INTERPOSE ssize_t
recvfrom(int fd, void *p, size_t n, int flags, struct sockaddr *a, socklen_t *l)
{
	n_reads += counting;
	return syscall(SYS_recvfrom, fd, p, n, flags, a, l);
}

INTERPOSE ssize_t
recvmsg(int fd, struct msghdr *m, int flags)
{
	n_reads += counting;
	return syscall(SYS_recvmsg, fd, m, flags);
}

INTERPOSE int
ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	n_ioctls += counting;
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

INTERPOSE ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	n_writevs += counting;
	return syscall(SYS_writev, fd, iov, cnt);
}

INTERPOSE ssize_t
write(int fd, const void *p, size_t n)
{
	n_writes += counting;
	return syscall(SYS_write, fd, p, n);
}

static void
count_start(void)
{
	n_reads = n_ioctls = n_writes = n_writevs = 0;
	counting = 1;
}

static void
count_stop(void)
{
	counting = 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static void
nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void
unix_pair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	nonblock(sv[0]);
	nonblock(sv[1]);
}

/* A connected TCP pair on 127.0.0.1. */
static void
tcp_pair(int sv[2])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(l, 1), 0);
	getsockname(l, (struct sockaddr *)&sin, &len);
	sv[1] = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(sv[1], (struct sockaddr *)&sin, sizeof(sin)), 0);
	sv[0] = accept(l, NULL, NULL);
	cr_assert_geq(sv[0], 0);
	close(l);
	setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	nonblock(sv[0]);
	nonblock(sv[1]);
}

/* Writes all of p to a blocking-style loop on fd. */
static void
send_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = syscall(SYS_write, fd, p, n);
		if (w < 0 && errno == EAGAIN)
			continue;
		cr_assert_gt(w, 0);
		p += w;
		n -= (size_t)w;
	}
}

static unsigned char *
pattern(size_t n, unsigned seed)
{
	unsigned char *p = malloc(n);

	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 31 + seed) ^ (i >> 8));
	return p;
}

/* Reads from fd into b until it holds want bytes; returns the number of
 * evbuffer_read calls, asserting one read syscall and no ioctl each. */
static int
read_until(struct evbuffer *b, int fd, size_t want, int howmuch)
{
	int calls = 0;

	while (evbuffer_get_length(b) < want) {
		count_start();
		int r = evbuffer_read(b, fd, howmuch);
		count_stop();
		if (r < 0 && errno == EAGAIN) {
			usleep(1000);
			continue;
		}
		cr_assert_gt(r, 0, "read returned %d (%s)", r, strerror(errno));
		cr_assert_eq(n_reads, 1, "evbuffer_read made %d read calls", n_reads);
		cr_assert_eq(n_ioctls, 0, "evbuffer_read made an ioctl");
		if (howmuch >= 0)
			cr_assert_leq(r, howmuch);
		calls++;
	}
	return calls;
}

/* ---- reading ---------------------------------------------------------------- */

Test(evbuffer_io, message_64k_in_one_read_unix, .timeout = 20)
{
	int sv[2];
	struct evbuffer *b = evbuffer_new();
	unsigned char *msg = pattern(65536, 1);
	int sz = 1 << 20;

	unix_pair(sv);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	send_all(sv[1], msg, 65536);
	int calls = read_until(b, sv[0], 65536, -1);
	cr_assert_eq(calls, 1, "a 64 KiB message took %d reads", calls);
	evt_assert_bytes(b, msg, 65536);
	/* Stock 2.1.12: 16 readv and 16 ioctl(FIONREAD) for the same. */
	free(msg);
	evbuffer_free(b);
}

Test(evbuffer_io, message_64k_in_two_reads_tcp, .timeout = 20)
{
	int sv[2];
	struct evbuffer *b = evbuffer_new();
	unsigned char *msg = pattern(65536, 2);

	tcp_pair(sv);
	/* A little data first, so the buffer's tail is partly used. */
	send_all(sv[1], (const unsigned char *)"hello", 5);
	read_until(b, sv[0], 5, -1);
	evbuffer_drain(b, 3);
	send_all(sv[1], msg, 65536);
	usleep(20000); /* let loopback deliver the whole message */
	int calls = read_until(b, sv[0], 65538, -1);
	cr_assert_leq(calls, 2, "a 64 KiB message took %d reads", calls);
	char *s = evt_contents(b, NULL);
	cr_assert(memcmp(s, "lo", 2) == 0 && memcmp(s + 2, msg, 65536) == 0);
	free(s);
	free(msg);
	evbuffer_free(b);
	close(sv[0]);
	close(sv[1]);
}

Test(evbuffer_io, read_cap_grows_when_reads_fill_it, .timeout = 20)
{
	int sv[2];
	struct evbuffer *b = evbuffer_new();
	size_t n = 1 << 20;
	unsigned char *msg = pattern(n, 3);
	int sz = 4 << 20;

	unix_pair(sv);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	size_t start_cap = b->read_cap;
	size_t sent = 0, got_calls = 0;
	while (sent < n) {
		ssize_t w = syscall(SYS_write, sv[1], msg + sent, n - sent);
		if (w > 0)
			sent += (size_t)w;
		got_calls += (size_t)read_until(b, sv[0], evbuffer_get_length(b) + 1, -1);
	}
	got_calls += (size_t)read_until(b, sv[0], n, -1);
	cr_assert_gt(b->read_cap, start_cap, "the cap grew");
	cr_assert_leq(b->read_cap, EVBUFFER_READ_CAP_MAX);
	cr_assert_lt(got_calls, n / 4096 / 4, "%zu reads for 1 MiB", got_calls);
	evt_assert_bytes(b, msg, n);
	free(msg);
	evbuffer_free(b);
}

Test(evbuffer_io, howmuch_limits_and_eof, .timeout = 10)
{
	int sv[2];
	struct evbuffer *b = evbuffer_new();
	unsigned char *msg = pattern(1000, 4);

	unix_pair(sv);
	send_all(sv[1], msg, 1000);
	cr_assert_eq(evbuffer_read(b, sv[0], 10), 10);
	cr_assert_eq(evbuffer_read(b, sv[0], 1), 1);
	cr_assert_eq(evbuffer_read(b, sv[0], 100), 100);
	cr_assert_eq(evbuffer_read(b, sv[0], 0), 0, "nothing asked, nothing read");
	cr_assert_eq(evbuffer_get_length(b), 111);
	cr_assert_eq(evbuffer_read(b, sv[0], -1), 889);
	evt_assert_bytes(b, msg, 1000);
	/* Nothing there: EAGAIN, buffer unchanged and no chains gained. */
	const struct evbuffer_chain *last = b->last;
	errno = 0;
	cr_assert_eq(evbuffer_read(b, sv[0], -1), -1);
	cr_assert_eq(errno, EAGAIN);
	cr_assert_eq(b->last, last);
	cr_assert_eq(evbuffer_get_length(b), 1000);
	/* End of file. */
	close(sv[1]);
	cr_assert_eq(evbuffer_read(b, sv[0], -1), 0);
	cr_assert_eq(evbuffer_get_length(b), 1000);
	cr_assert_eq(b->last, last);
	close(sv[0]);
	/* A closed descriptor: an error, not a crash. */
	cr_assert_eq(evbuffer_read(b, sv[0], -1), -1);
	cr_assert_eq(errno, EBADF);
	free(msg);
	evbuffer_free(b);
}

Test(evbuffer_io, read_from_a_pipe_into_a_reserved_tail, .timeout = 10)
{
	int p[2];
	struct evbuffer *b = evbuffer_new();
	unsigned char *msg = pattern(50000, 5);

	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	evbuffer_add(b, "tail", 4);
	cr_assert_eq(evbuffer_expand(b, 20000), 0);
	send_all(p[1], msg, 50000);
	read_until(b, p[0], 50004, 7777);
	char *s = evt_contents(b, NULL);
	cr_assert(memcmp(s, "tail", 4) == 0 && memcmp(s + 4, msg, 50000) == 0);
	free(s);
	free(msg);
	close(p[0]);
	close(p[1]);
	evbuffer_free(b);
}

Test(evbuffer_io, read_into_frozen_back_fails, .timeout = 10)
{
	int sv[2];
	struct evbuffer *b = evbuffer_new();

	unix_pair(sv);
	send_all(sv[1], (const unsigned char *)"abc", 3);
	evbuffer_freeze(b, 0);
	count_start();
	cr_assert_eq(evbuffer_read(b, sv[0], -1), -1);
	count_stop();
	cr_assert_eq(n_reads, 0, "a frozen buffer does not read");
	evbuffer_unfreeze(b, 0);
	cr_assert_eq(evbuffer_read(b, sv[0], -1), 3);
	evbuffer_free(b);
}

/* Every read, whatever the buffer looks like, is one syscall. */
Test(evbuffer_io, one_syscall_per_read_in_every_state, .timeout = 20)
{
	int sv[2];
	struct evbuffer *b = evbuffer_new();
	unsigned char *msg = pattern(300000, 6);
	size_t total = 0;
	int sz = 1 << 20;

	unix_pair(sv);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)(round * 7919) % 90000 + 1;
		send_all(sv[1], msg, n);
		switch (round % 4) {
		case 0: evbuffer_drain(b, evbuffer_get_length(b) / 2); break;
		case 1: evbuffer_expand(b, (size_t)round * 100); break;
		case 2: evbuffer_add_reference(b, "ref", 3, NULL, NULL); total += 3; break;
		default: break;
		}
		total = evbuffer_get_length(b);
		read_until(b, sv[0], total + n, round % 3 == 0 ? -1 : (int)(round * 13 + 1));
	}
	free(msg);
	evbuffer_free(b);
}

/* ---- writing ---------------------------------------------------------------- */

Test(evbuffer_io, write_gathers_chains_in_one_writev, .timeout = 10)
{
	int sv[2];
	struct evbuffer *b = evbuffer_new(), *in = evbuffer_new();
	static char pieces[100][10];
	int sz = 1 << 20;

	unix_pair(sv);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	for (int i = 0; i < 100; i++) {
		memset(pieces[i], 'A' + i % 26, 10);
		evbuffer_add_reference(b, pieces[i], 10, NULL, NULL);
	}
	count_start();
	cr_assert_eq(evbuffer_write(b, sv[1]), 1000);
	count_stop();
	cr_assert_eq(n_writevs + n_writes, 1, "%d write calls", n_writevs + n_writes);
	cr_assert_eq(evbuffer_get_length(b), 0);
	read_until(in, sv[0], 1000, -1);
	cr_assert_eq(memcmp(evbuffer_pullup(in, -1), pieces, 1000), 0);
	evbuffer_free(b);
	evbuffer_free(in);
}

Test(evbuffer_io, write_more_chains_than_iov_max, .timeout = 10)
{
	int sv[2];
	struct evbuffer *b = evbuffer_new();
	int sz = 1 << 20;

	unix_pair(sv);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	for (int i = 0; i < 1500; i++)
		evbuffer_add_reference(b, "0123456789", 10, NULL, NULL);
	count_start();
	cr_assert_eq(evbuffer_write(b, sv[1]), 10240, "IOV_MAX chains in one writev");
	count_stop();
	cr_assert_eq(n_writevs, 1);
	cr_assert_eq(evbuffer_get_length(b), 4760);
	evbuffer_free(b);
}

Test(evbuffer_io, write_atmost_and_partial_writes, .timeout = 20)
{
	int sv[2];
	struct evbuffer *b = evbuffer_new(), *in = evbuffer_new();
	size_t n = 2 << 20;
	unsigned char *msg = pattern(n, 7);
	int small = 4096;

	unix_pair(sv);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	evbuffer_add(b, msg, n);
	cr_assert_eq(evbuffer_write_atmost(b, sv[1], 0), 0);
	cr_assert_eq(evbuffer_write_atmost(b, sv[1], 5), 5);
	size_t sent = 5;
	int partial = 0, eagain = 0;
	while (sent < n) {
		size_t before = evbuffer_get_length(b);
		int w = evbuffer_write_atmost(b, sv[1], 100000);
		if (w < 0) {
			cr_assert_eq(errno, EAGAIN);
			cr_assert_eq(evbuffer_get_length(b), before, "EAGAIN drains nothing");
			eagain++;
		} else {
			cr_assert_leq(w, 100000);
			cr_assert_eq(evbuffer_get_length(b), before - (size_t)w);
			partial += w < 100000 && (size_t)w < before;
			sent += (size_t)w;
		}
		while (evbuffer_read(in, sv[0], -1) > 0)
			;
	}
	read_until(in, sv[0], n, -1);
	cr_assert_gt(eagain + partial, 0, "the small socket buffer forced short writes");
	cr_assert_eq(evbuffer_get_length(b), 0);
	cr_assert_eq(evbuffer_get_length(in), n);
	cr_assert_eq(memcmp(evbuffer_pullup(in, -1), msg, n), 0);
	cr_assert_eq(evbuffer_write(b, sv[1]), 0, "an empty buffer writes nothing");
	free(msg);
	evbuffer_free(b);
	evbuffer_free(in);
}

Test(evbuffer_io, write_to_a_closed_peer_fails, .timeout = 10)
{
	int p[2];
	struct evbuffer *b = evbuffer_new();

	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(pipe(p), 0);
	close(p[0]);
	evbuffer_add(b, "lost", 4);
	cr_assert_eq(evbuffer_write(b, p[1]), -1);
	cr_assert_eq(errno, EPIPE);
	cr_assert_eq(evbuffer_get_length(b), 4, "nothing drained on error");
	evbuffer_freeze(b, 1);
	cr_assert_eq(evbuffer_write(b, p[1]), -1, "frozen front");
	close(p[1]);
	evbuffer_free(b);
}
