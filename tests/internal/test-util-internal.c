/*
 * test-util-internal.c: the engine-internal helpers of evutil-internal.h
 * (descriptor constructors and ASCII character classes).  Built by
 * tests/util-internal.cmake with the helpers' sources compiled in, since
 * the shared library does not export them.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <event2/event.h>
#include "evutil-internal.h"

static int warnings;

static void
log_cb(int severity, const char *msg)
{
	(void)msg;
	if (severity >= EVENT_LOG_WARN)
		warnings++;
}

static void
setup(void)
{
	event_set_log_callback(log_cb);
}

TestSuite(util_internal, .init = setup, .timeout = 20);

static void
assert_nonblocking_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL), fdf = fcntl(fd, F_GETFD);

	cr_assert_geq(fl, 0);
	cr_assert_geq(fdf, 0);
	cr_assert(fl & O_NONBLOCK, "fd %d is blocking", fd);
	cr_assert(fdf & FD_CLOEXEC, "fd %d is inheritable", fd);
}

Test(util_internal, internal_pipe)
{
	int fd[2] = { -1, -1 };
	char c;

	cr_assert_eq(evutil__make_internal_pipe(fd), 0);
	assert_nonblocking_cloexec(fd[0]);
	assert_nonblocking_cloexec(fd[1]);
	errno = 0;
	cr_assert_eq(read(fd[0], &c, 1), -1);
	cr_assert_eq(errno, EAGAIN);
	cr_assert_eq(write(fd[1], "x", 1), 1);
	cr_assert_eq(read(fd[0], &c, 1), 1);
	cr_assert_eq(c, 'x');
	close(fd[0]);
	close(fd[1]);
	cr_assert_eq(warnings, 0);
}

Test(util_internal, eventfd_counts_and_never_blocks)
{
	uint64_t v;
	int fd = evutil__eventfd(3, 0);

	cr_assert_geq(fd, 0);
	assert_nonblocking_cloexec(fd);
	cr_assert_eq(read(fd, &v, sizeof(v)), (ssize_t)sizeof(v));
	cr_assert_eq(v, 3u);
	errno = 0;
	cr_assert_eq(read(fd, &v, sizeof(v)), -1, "empty counter must not block");
	cr_assert_eq(errno, EAGAIN);
	close(fd);

	/* Extra flags are honoured: a semaphore counts down by one. */
	fd = evutil__eventfd(2, EFD_SEMAPHORE);
	cr_assert_geq(fd, 0);
	cr_assert_eq(read(fd, &v, sizeof(v)), (ssize_t)sizeof(v));
	cr_assert_eq(v, 1u);
	cr_assert_eq(read(fd, &v, sizeof(v)), (ssize_t)sizeof(v));
	cr_assert_eq(read(fd, &v, sizeof(v)), -1);
	close(fd);

	cr_assert_eq(warnings, 0);
	cr_assert_eq(evutil__eventfd(0, -1), -1, "invalid flags");
	cr_assert_eq(warnings, 1, "failure is logged");
}

Test(util_internal, socket_flags)
{
	int fd = evutil__socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	assert_nonblocking_cloexec(fd);
	close(fd);

	fd = evutil__socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0, "flags only when asked");
	cr_assert_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);

	errno = 0;
	cr_assert_eq(evutil__socket(-1, SOCK_STREAM | SOCK_NONBLOCK, 0), -1);
	cr_assert_neq(errno, 0);
	cr_assert_eq(warnings, 0, "socket failures are the caller's to report");
}

Test(util_internal, accept4_flags)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_storage peer;
	socklen_t len = sizeof(sin), plen = sizeof(peer);
	int l = evutil__socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(l, 4), 0);
	cr_assert_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);

	errno = 0;
	cr_assert_eq(evutil__accept4(l, NULL, NULL, SOCK_NONBLOCK), -1, "nothing pending");
	cr_assert_eq(errno, EAGAIN);

	int c = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	int a = -1;
	for (int i = 0; i < 1000 && a < 0; i++) { /* the handshake is quick */
		a = evutil__accept4(l, (struct sockaddr *)&peer, &plen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (a < 0)
			usleep(1000);
	}
	cr_assert_geq(a, 0, "accept4: %s", strerror(errno));
	assert_nonblocking_cloexec(a);
	cr_assert_eq(peer.ss_family, AF_INET);
	cr_assert_eq(plen, sizeof(struct sockaddr_in));
	close(a);
	close(c);
	close(l);
	cr_assert_eq(warnings, 0);
}

/* Reference classification of one byte, spelled out per class. */
static void
assert_byte(int b)
{
	int digit = b >= '0' && b <= '9';
	int lower = b >= 'a' && b <= 'z';
	int upper = b >= 'A' && b <= 'Z';
	int space = b == ' ' || b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r';
	int xdigit = digit || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
	char sc = (char)b; /* negative for bytes >= 0x80 where char is signed */

	for (int pass = 0; pass < 2; pass++) {
		int v = pass ? sc : b;
		cr_assert_eq(!!evutil__isdigit(v), digit, "isdigit(%d)", v);
		cr_assert_eq(!!evutil__islower(v), lower, "islower(%d)", v);
		cr_assert_eq(!!evutil__isupper(v), upper, "isupper(%d)", v);
		cr_assert_eq(!!evutil__isalpha(v), lower || upper, "isalpha(%d)", v);
		cr_assert_eq(!!evutil__isalnum(v), lower || upper || digit, "isalnum(%d)", v);
		cr_assert_eq(!!evutil__isspace(v), space, "isspace(%d)", v);
		cr_assert_eq(!!evutil__isxdigit(v), xdigit, "isxdigit(%d)", v);
		cr_assert_eq(!!evutil__isprint(v), b >= 0x20 && b <= 0x7e, "isprint(%d)", v);
		cr_assert_eq(evutil__tolower(v), upper ? b + 32 : b, "tolower(%d)", v);
		cr_assert_eq(evutil__toupper(v), lower ? b - 32 : b, "toupper(%d)", v);
	}
}

Test(util_internal, ascii_classes_cover_every_byte)
{
	for (int b = 0; b < 256; b++)
		assert_byte(b);
}

Test(util_internal, ascii_classes_ignore_the_locale)
{
	/* Latin-1 locales call 0xe4 a lower-case letter; protocols do not. */
	if (!setlocale(LC_CTYPE, "de_DE.ISO-8859-1") && !setlocale(LC_CTYPE, "C.UTF-8"))
		cr_skip_test("no alternative locale installed");
	for (int b = 0; b < 256; b++)
		assert_byte(b);
}
