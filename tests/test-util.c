/*
 * test-util.c: every function of event2/util.h.
 *
 * The expectations were checked against stock libevent 2.1.12 and glibc;
 * where the engine deliberately differs (stricter parsing of malformed
 * input, C99 snprintf results), the test says so.
 *
 * Three libc functions are interposed by this program (the engine calls
 * them through the PLT, so the definitions below win): getaddrinfo counts
 * calls, so a test can tell the numeric fast path from the libc path;
 * getrandom can be made to fail with ENOSYS, to exercise the device-file
 * fallback; gettimeofday can be shifted, to step the wall clock backwards
 * under the fallback monotonic timer.  Each Criterion test runs in its own
 * process, so these switches never leak between tests.
 *
 * Every test fails if the engine logged a warning the test did not expect.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <event2/event.h>
#include <event2/util.h>

#define EXPORTED __attribute__((visibility("default")))

/* ---- interposed libc functions ------------------------------------------ */

static int gai_calls;

EXPORTED int
getaddrinfo(const char *node, const char *serv, const struct addrinfo *hints,
    struct addrinfo **res)
{
	static int (*real)(const char *, const char *, const struct addrinfo *,
	    struct addrinfo **);

	if (!real)
		real = (int (*)(const char *, const char *, const struct addrinfo *,
		    struct addrinfo **))dlsym(RTLD_NEXT, "getaddrinfo");
	gai_calls++;
	return real(node, serv, hints, res);
}

static int block_getrandom;

EXPORTED ssize_t
getrandom(void *buf, size_t len, unsigned int flags)
{
	if (block_getrandom) {
		errno = ENOSYS;
		return -1;
	}
	return syscall(SYS_getrandom, buf, len, flags);
}

static long long tod_shift_us; /* added to every gettimeofday reading */

EXPORTED int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;
	clock_gettime(CLOCK_REALTIME, &ts);
	long long us = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + tod_shift_us;
	tv->tv_sec = us / 1000000;
	tv->tv_usec = us % 1000000;
	return 0;
}

/* ---- warnings --------------------------------------------------------------- */

static int allowed;  /* warnings the running test has announced */
static int warnings; /* warnings logged since the last expect_warnings() */
static char last_warning[512];

/* Any warning not announced with allow_warnings() fails the test on the
 * spot (a check in .fini would be logged but not counted by Criterion). */
static void
log_cb(int severity, const char *msg)
{
	if (severity < EVENT_LOG_WARN)
		return;
	snprintf(last_warning, sizeof(last_warning), "%s", msg);
	cr_assert_gt(allowed, 0, "unexpected warning from the engine: %s", msg);
	allowed--;
	warnings++;
}

/* Announces that the next call should log n warnings. */
static void
allow_warnings(int n)
{
	allowed = n;
	warnings = 0;
}

/* Checks that exactly n announced warnings were logged, and closes the
 * allowance. */
static void
expect_warnings(int n)
{
	cr_assert_eq(warnings, n, "expected %d warning(s), got %d (last: %s)", n,
	    warnings, last_warning);
	allowed = 0;
	warnings = 0;
}

static void
setup(void)
{
	event_set_log_callback(log_cb);
}

TestSuite(util, .init = setup, .timeout = 20);

/* ---- helpers --------------------------------------------------------------- */

static int
fl_flags(int fd)
{
	int f = fcntl(fd, F_GETFL);
	cr_assert_geq(f, 0, "F_GETFL(%d): %s", fd, strerror(errno));
	return f;
}

static int
fd_flags(int fd)
{
	int f = fcntl(fd, F_GETFD);
	cr_assert_geq(f, 0, "F_GETFD(%d): %s", fd, strerror(errno));
	return f;
}

static int
int_option(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);
	cr_assert_eq(getsockopt(fd, level, name, &v, &len), 0, "getsockopt: %s",
	    strerror(errno));
	return v;
}

/* An fd number that is certainly closed. */
static int
closed_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);
	cr_assert_geq(fd, 0);
	close(fd);
	return fd;
}

static int
tcp_socket(int family)
{
	int fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0 && family == AF_INET6 && errno == EAFNOSUPPORT)
		cr_skip_test("no IPv6 on this machine");
	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	return fd;
}

/* ---- sockets ----------------------------------------------------------------- */

Test(util, socketpair_connects_both_ends)
{
	evutil_socket_t sv[2];
	char buf[8] = "";

	cr_assert_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(write(sv[0], "ping", 4), 4);
	cr_assert_eq(read(sv[1], buf, sizeof(buf)), 4);
	cr_assert_str_eq(buf, "ping");
	cr_assert_eq(write(sv[1], "pong", 4), 4);
	cr_assert_eq(read(sv[0], buf, sizeof(buf)), 4);
	cr_assert_eq(memcmp(buf, "pong", 4), 0);
	/* Fresh sockets are blocking and inheritable unless asked otherwise. */
	cr_assert_eq(fl_flags(sv[0]) & O_NONBLOCK, 0);
	cr_assert_eq(fd_flags(sv[0]) & FD_CLOEXEC, 0);
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
}

Test(util, socketpair_passes_type_flags)
{
	evutil_socket_t sv[2];

	cr_assert_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert(fl_flags(sv[i]) & O_NONBLOCK);
		cr_assert(fd_flags(sv[i]) & FD_CLOEXEC);
	}
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
}

Test(util, socketpair_rejects_bad_arguments)
{
	evutil_socket_t sv[2] = { -7, -7 };

	errno = 0;
	cr_assert_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, NULL), -1);
	cr_assert_eq(errno, EINVAL);
	/* socketpair exists only for local sockets. */
	cr_assert_eq(evutil_socketpair(AF_INET, SOCK_STREAM, 0, sv), -1);
	cr_assert_neq(errno, 0);
}

Test(util, make_socket_nonblocking_sets_flag_and_keeps_others)
{
	evutil_socket_t sv[2];
	char c;

	cr_assert_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(fcntl(sv[0], F_SETFL, fl_flags(sv[0]) | O_APPEND), 0);
	cr_assert_eq(evutil_make_socket_nonblocking(sv[0]), 0);
	cr_assert(fl_flags(sv[0]) & O_NONBLOCK);
	cr_assert(fl_flags(sv[0]) & O_APPEND, "other status flags must survive");
	/* Idempotent. */
	cr_assert_eq(evutil_make_socket_nonblocking(sv[0]), 0);
	cr_assert(fl_flags(sv[0]) & O_NONBLOCK);
	/* And it really does not block. */
	errno = 0;
	cr_assert_eq(read(sv[0], &c, 1), -1);
	cr_assert(errno == EAGAIN || errno == EWOULDBLOCK);
	/* The other end is untouched. */
	cr_assert_eq(fl_flags(sv[1]) & O_NONBLOCK, 0);
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
}

Test(util, make_socket_nonblocking_bad_fd_warns)
{
	allow_warnings(1);
	cr_assert_eq(evutil_make_socket_nonblocking(closed_fd()), -1);
	cr_assert_eq(errno, EBADF);
	expect_warnings(1);
	cr_assert(strstr(last_warning, "fcntl"), "warning names the call: %s",
	    last_warning);
}

Test(util, make_socket_closeonexec_sets_flag)
{
	evutil_socket_t sv[2];

	cr_assert_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(evutil_make_socket_closeonexec(sv[0]), 0);
	cr_assert(fd_flags(sv[0]) & FD_CLOEXEC);
	cr_assert_eq(fd_flags(sv[1]) & FD_CLOEXEC, 0);
	cr_assert_eq(evutil_make_socket_closeonexec(sv[0]), 0);
	cr_assert(fd_flags(sv[0]) & FD_CLOEXEC);
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
}

Test(util, make_socket_closeonexec_bad_fd_warns)
{
	allow_warnings(1);
	cr_assert_eq(evutil_make_socket_closeonexec(closed_fd()), -1);
	expect_warnings(1);
}

Test(util, listen_socket_reuseable)
{
	int fd = tcp_socket(AF_INET);

	cr_assert_eq(int_option(fd, SOL_SOCKET, SO_REUSEADDR), 0);
	cr_assert_eq(evutil_make_listen_socket_reuseable(fd), 0);
	cr_assert_neq(int_option(fd, SOL_SOCKET, SO_REUSEADDR), 0);
	close(fd);
	cr_assert_eq(evutil_make_listen_socket_reuseable(closed_fd()), -1);
}

Test(util, listen_socket_reuseable_port)
{
	int fd = tcp_socket(AF_INET);
	evutil_socket_t sv[2];

	cr_assert_eq(int_option(fd, SOL_SOCKET, SO_REUSEPORT), 0);
	cr_assert_eq(evutil_make_listen_socket_reuseable_port(fd), 0);
	cr_assert_neq(int_option(fd, SOL_SOCKET, SO_REUSEPORT), 0);
	close(fd);
	/* Local sockets have no ports to share. */
	cr_assert_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(evutil_make_listen_socket_reuseable_port(sv[0]), -1);
	close(sv[0]);
	close(sv[1]);
}

Test(util, reuseable_port_lets_two_listeners_share_a_port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int a = tcp_socket(AF_INET), b = tcp_socket(AF_INET);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(evutil_make_listen_socket_reuseable_port(a), 0);
	cr_assert_eq(evutil_make_listen_socket_reuseable_port(b), 0);
	cr_assert_eq(bind(a, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(a, 4), 0);
	cr_assert_eq(getsockname(a, (struct sockaddr *)&sin, &len), 0);
	cr_assert_eq(bind(b, (struct sockaddr *)&sin, sizeof(sin)), 0,
	    "second bind to port %d: %s", ntohs(sin.sin_port), strerror(errno));
	close(a);
	close(b);
}

Test(util, listen_socket_ipv6only)
{
	int fd = tcp_socket(AF_INET6);
	int v4 = tcp_socket(AF_INET);

	cr_assert_eq(evutil_make_listen_socket_ipv6only(fd), 0);
	cr_assert_eq(int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	cr_assert_eq(evutil_make_listen_socket_ipv6only(v4), -1,
	    "IPV6_V6ONLY means nothing on an IPv4 socket");
	close(fd);
	close(v4);
}

Test(util, tcp_listen_socket_deferred)
{
	int fd = tcp_socket(AF_INET);
	evutil_socket_t sv[2];

	cr_assert_eq(int_option(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 0);
	cr_assert_eq(evutil_make_tcp_listen_socket_deferred(fd), 0);
	cr_assert_gt(int_option(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 0);
	close(fd);
	cr_assert_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(evutil_make_tcp_listen_socket_deferred(sv[0]), -1);
	close(sv[0]);
	close(sv[1]);
}

Test(util, closesocket_closes)
{
	evutil_socket_t sv[2];
	char c;

	cr_assert_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(evutil_closesocket(sv[0]), 0);
	errno = 0;
	cr_assert_eq(fcntl(sv[0], F_GETFD), -1);
	cr_assert_eq(errno, EBADF);
	/* The peer sees end-of-file. */
	cr_assert_eq(read(sv[1], &c, 1), 0);
	cr_assert_eq(EVUTIL_CLOSESOCKET(sv[1]), 0);
	cr_assert_eq(evutil_closesocket(sv[1]), -1);
	cr_assert_eq(errno, EBADF);
}

/* ---- snprintf ----------------------------------------------------------------- */

static int
call_vsnprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = evutil_vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return r;
}

Test(util, snprintf_formats)
{
	char buf[64];

	cr_assert_eq(evutil_snprintf(buf, sizeof(buf), "%d-%s-%05.1f-%x", -42, "ab",
	    3.14159, 255u), 15);
	cr_assert_str_eq(buf, "-42-ab-003.1-ff");
	cr_assert_eq(evutil_snprintf(buf, sizeof(buf), "%lld %zu",
	    (long long)INT64_MIN, (size_t)SIZE_MAX), 41);
	cr_assert_str_eq(buf, "-9223372036854775808 18446744073709551615");
	cr_assert_eq(evutil_snprintf(buf, sizeof(buf), "%s", ""), 0);
	cr_assert_str_eq(buf, "");
}

Test(util, snprintf_truncates_and_returns_full_length)
{
	char buf[16];

	memset(buf, 'X', sizeof(buf));
	cr_assert_eq(evutil_snprintf(buf, 5, "%s", "hello world"), 11);
	cr_assert_str_eq(buf, "hell");
	cr_assert_eq(buf[5], 'X', "nothing written past buflen");
	/* Exactly fitting, and one byte short of fitting. */
	cr_assert_eq(evutil_snprintf(buf, 12, "hello world"), 11);
	cr_assert_str_eq(buf, "hello world");
	cr_assert_eq(evutil_snprintf(buf, 11, "hello world"), 11);
	cr_assert_str_eq(buf, "hello worl");
	cr_assert_eq(evutil_snprintf(buf, 1, "abc"), 3);
	cr_assert_eq(buf[0], '\0');
	/* buflen 0 writes nothing.  (Stock 2.1.12 returns 0 here; the engine
	 * keeps the C99 contract and returns the length needed.) */
	memset(buf, 'X', sizeof(buf));
	cr_assert_eq(evutil_snprintf(buf, 0, "%d", 12345), 5);
	cr_assert_eq(buf[0], 'X');
	cr_assert_eq(evutil_snprintf(NULL, 0, "%d", 12345), 5);
}

Test(util, vsnprintf_matches_snprintf)
{
	char a[8], b[8];

	cr_assert_eq(call_vsnprintf(a, sizeof(a), "%s=%d", "key", 123456), 10);
	cr_assert_eq(evutil_snprintf(b, sizeof(b), "%s=%d", "key", 123456), 10);
	cr_assert_str_eq(a, "key=123");
	cr_assert_str_eq(a, b);
}

Test(util, snprintf_bad_arguments)
{
	char buf[4] = "abc";
	const char *volatile nofmt = NULL; /* hide the NULL from -Wformat */

	allow_warnings(1);
	cr_assert_eq(call_vsnprintf(buf, sizeof(buf), nofmt), -1);
	expect_warnings(1);
	allow_warnings(1);
	cr_assert_eq(call_vsnprintf(NULL, 10, "x"), -1);
	expect_warnings(1);
}

/* ---- strtoll ------------------------------------------------------------------- */

Test(util, strtoll_parses_64_bit_values)
{
	char *end;

	cr_assert_eq(evutil_strtoll("9223372036854775807", &end, 10), INT64_MAX);
	cr_assert_eq(*end, '\0');
	cr_assert_eq(evutil_strtoll("-9223372036854775808", NULL, 10), INT64_MIN);
	cr_assert_eq(evutil_strtoll("  +42xyz", &end, 10), 42);
	cr_assert_str_eq(end, "xyz");
	cr_assert_eq(evutil_strtoll("ff", NULL, 16), 255);
	cr_assert_eq(evutil_strtoll("0x10", NULL, 0), 16);
	cr_assert_eq(evutil_strtoll("010", NULL, 0), 8);
	cr_assert_eq(evutil_strtoll("010", NULL, 10), 10);
	cr_assert_eq(evutil_strtoll("4294967296", NULL, 10), 4294967296LL,
	    "more than 32 bits");
}

Test(util, strtoll_reports_overflow_and_garbage)
{
	const char *s = "abc";
	char *end;

	errno = 0;
	cr_assert_eq(evutil_strtoll("99999999999999999999", NULL, 10), INT64_MAX);
	cr_assert_eq(errno, ERANGE);
	errno = 0;
	cr_assert_eq(evutil_strtoll("-99999999999999999999", NULL, 10), INT64_MIN);
	cr_assert_eq(errno, ERANGE);
	cr_assert_eq(evutil_strtoll(s, &end, 10), 0);
	cr_assert_eq(end, s, "no digits: endptr is the start");
	errno = 0;
	cr_assert_eq(evutil_strtoll(NULL, &end, 10), 0);
	cr_assert_null(end);
	cr_assert_eq(errno, EINVAL);
}

/* ---- ASCII case-insensitive comparison ----------------------------------------- */

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

Test(util, ascii_strcasecmp)
{
	cr_assert_eq(evutil_ascii_strcasecmp("Content-Length", "content-LENGTH"), 0);
	cr_assert_eq(evutil_ascii_strcasecmp("", ""), 0);
	cr_assert_eq(sign(evutil_ascii_strcasecmp("abc", "ABD")), -1);
	cr_assert_eq(sign(evutil_ascii_strcasecmp("ABD", "abc")), 1);
	cr_assert_eq(sign(evutil_ascii_strcasecmp("a", "ab")), -1, "prefix first");
	cr_assert_eq(sign(evutil_ascii_strcasecmp("ab", "A")), 1);
	/* Compared after folding to lower case: '[' (0x5b) is below 'a'. */
	cr_assert_eq(sign(evutil_ascii_strcasecmp("[", "A")), -1);
	/* Bytes outside ASCII are never folded, and compare unsigned. */
	cr_assert_neq(evutil_ascii_strcasecmp("\xc4", "\xe4"), 0);
	cr_assert_eq(sign(evutil_ascii_strcasecmp("\xe4", "a")), 1);
	cr_assert_eq(evutil_ascii_strcasecmp("\xc4x", "\xc4X"), 0);
}

Test(util, ascii_strncasecmp)
{
	cr_assert_eq(evutil_ascii_strncasecmp("abcX", "ABCy", 3), 0);
	cr_assert_eq(sign(evutil_ascii_strncasecmp("abcX", "ABCy", 4)), -1);
	cr_assert_eq(evutil_ascii_strncasecmp("abc", "xyz", 0), 0);
	cr_assert_eq(evutil_ascii_strncasecmp("abc", "ABC", 100), 0,
	    "stops at the terminator");
	cr_assert_eq(sign(evutil_ascii_strncasecmp("ab", "abc", 3)), -1);
}

Test(util, ascii_strcasecmp_ignores_locale)
{
	/* In a Turkish locale, tolower('I') is a dotless i; protocols must
	 * not care.  Skip quietly if the locale is not installed. */
	if (!setlocale(LC_CTYPE, "tr_TR.ISO-8859-9") && !setlocale(LC_CTYPE, "tr_TR.UTF-8"))
		cr_skip_test("no Turkish locale installed");
	cr_assert_eq(evutil_ascii_strcasecmp("TITLE", "title"), 0);
	cr_assert_eq(evutil_ascii_strncasecmp("TIME", "time", 4), 0);
}

/* ---- inet_pton / inet_ntop ------------------------------------------------------ */

Test(util, inet_pton_and_ntop_round_trip)
{
	static const char *v4[] = { "0.0.0.0", "127.0.0.1", "255.255.255.255", "10.1.2.3" };
	static const char *v6[] = { "::", "::1", "fe80::1:2", "1:0:0:2::3",
		"1:2:3:4:5:6:7:8", "::ffff:1.2.3.4", "2001:db8::abcd" };
	unsigned char bin[16];
	char text[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		cr_assert_eq(evutil_inet_pton(AF_INET, v4[i], bin), 1, "%s", v4[i]);
		cr_assert_not_null(evutil_inet_ntop(AF_INET, bin, text, sizeof(text)));
		cr_assert_str_eq(text, v4[i]);
	}
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		cr_assert_eq(evutil_inet_pton(AF_INET6, v6[i], bin), 1, "%s", v6[i]);
		cr_assert_eq(evutil_inet_ntop(AF_INET6, bin, text, sizeof(text)), text);
		cr_assert_str_eq(text, v6[i]);
	}
	cr_assert_eq(evutil_inet_pton(AF_INET, "1.2.3.4", bin), 1);
	cr_assert_eq(memcmp(bin, "\x01\x02\x03\x04", 4), 0, "network byte order");
	/* Upper-case input, canonical lower-case output. */
	cr_assert_eq(evutil_inet_pton(AF_INET6, "ABCD::FFFF", bin), 1);
	cr_assert_str_eq(evutil_inet_ntop(AF_INET6, bin, text, sizeof(text)), "abcd::ffff");
}

Test(util, inet_pton_rejects_garbage)
{
	static const char *bad4[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3",
		"1.2.3.4x", "1.2.3.4 ", "::1", "a.b.c.d" };
	static const char *bad6[] = { "", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9",
		"1.2.3.4", "::1 ", "fe80::1%lo", "12345::", "g::1" };
	unsigned char bin[16];

	for (size_t i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++)
		cr_assert_eq(evutil_inet_pton(AF_INET, bad4[i], bin), 0, "'%s'", bad4[i]);
	for (size_t i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++)
		cr_assert_eq(evutil_inet_pton(AF_INET6, bad6[i], bin), 0, "'%s'", bad6[i]);
	cr_assert_eq(evutil_inet_pton(AF_UNIX, "x", bin), -1);
	cr_assert_eq(evutil_inet_pton(12345, "1.2.3.4", bin), -1);
}

Test(util, inet_ntop_respects_buffer_size)
{
	struct in_addr a4;
	struct in6_addr a6;
	char out[64];

	cr_assert_eq(inet_pton(AF_INET, "10.0.0.1", &a4), 1);
	cr_assert_null(evutil_inet_ntop(AF_INET, &a4, out, 8), "needs 9 bytes");
	cr_assert_eq(evutil_inet_ntop(AF_INET, &a4, out, 9), out);
	cr_assert_str_eq(out, "10.0.0.1");
	cr_assert_eq(inet_pton(AF_INET6, "fe80::1:2", &a6), 1);
	cr_assert_null(evutil_inet_ntop(AF_INET6, &a6, out, 9));
	cr_assert_eq(evutil_inet_ntop(AF_INET6, &a6, out, 10), out);
	cr_assert_str_eq(out, "fe80::1:2");
	cr_assert_null(evutil_inet_ntop(AF_UNIX, &a6, out, sizeof(out)));
	cr_assert_null(evutil_inet_ntop(AF_INET, &a4, out, 0));
}

Test(util, inet_pton_scope)
{
	struct in6_addr a, expect;
	unsigned idx;
	unsigned lo = if_nametoindex("lo");

	cr_assert_eq(inet_pton(AF_INET6, "fe80::1", &expect), 1);
	cr_assert_neq(lo, 0u, "loopback interface missing");

	idx = 777;
	cr_assert_eq(evutil_inet_pton_scope(AF_INET6, "fe80::1%lo", &a, &idx), 1);
	cr_assert_eq(idx, lo);
	cr_assert_eq(memcmp(&a, &expect, sizeof(a)), 0);

	cr_assert_eq(evutil_inet_pton_scope(AF_INET6, "fe80::1%5", &a, &idx), 1);
	cr_assert_eq(idx, 5u, "numeric scopes need not name a live interface");
	cr_assert_eq(evutil_inet_pton_scope(AF_INET6, "fe80::1%4294967295", &a, &idx), 1);
	cr_assert_eq(idx, 4294967295u);

	idx = 777;
	cr_assert_eq(evutil_inet_pton_scope(AF_INET6, "fe80::1", &a, &idx), 1);
	cr_assert_eq(idx, 0u, "no scope means index 0");

	/* Malformed scopes.  (Stock 2.1.12 accepts an empty scope and wraps
	 * overflowing numbers; the engine refuses both.) */
	static const char *bad[] = { "fe80::1%", "fe80::1%nosuchif0", "fe80::1%4294967296",
		"fe80::1%-1", "fe80::1%1x", "%lo", "fe80::1%lo%lo", "zz::1%lo",
		"fe80::1%lo " };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(evutil_inet_pton_scope(AF_INET6, bad[i], &a, &idx), 0,
		    "'%s'", bad[i]);

	/* IPv4 has no scopes; the index reads 0. */
	unsigned char b4[4];
	idx = 5;
	cr_assert_eq(evutil_inet_pton_scope(AF_INET, "1.2.3.4", b4, &idx), 1);
	cr_assert_eq(idx, 0u);
	cr_assert_eq(evutil_inet_pton_scope(AF_INET, "1.2.3.4%lo", b4, &idx), 0);
	/* The index pointer is optional. */
	cr_assert_eq(evutil_inet_pton_scope(AF_INET6, "::1%lo", &a, NULL), 1);
}

/* ---- parse_sockaddr_port --------------------------------------------------------- */

struct psp_case {
	const char *str;
	int family;
	const char *addr;
	int port;
	unsigned scope; /* ~0u: the index of "lo" */
};

Test(util, parse_sockaddr_port_accepts_documented_forms)
{
	static const struct psp_case ok[] = {
		{ "1.2.3.4", AF_INET, "1.2.3.4", 0, 0 },
		{ "1.2.3.4:80", AF_INET, "1.2.3.4", 80, 0 },
		{ "255.255.255.255:65535", AF_INET, "255.255.255.255", 65535, 0 },
		{ "127.0.0.1:080", AF_INET, "127.0.0.1", 80, 0 },
		{ "[::1]", AF_INET6, "::1", 0, 0 },
		{ "[::1]:8080", AF_INET6, "::1", 8080, 0 },
		{ "::1", AF_INET6, "::1", 0, 0 },
		{ "ffff::", AF_INET6, "ffff::", 0, 0 },
		{ "::ffff:1.2.3.4", AF_INET6, "::ffff:1.2.3.4", 0, 0 },
		{ "[::ffff:1.2.3.4]:1", AF_INET6, "::ffff:1.2.3.4", 1, 0 },
		{ "fe80::1%lo", AF_INET6, "fe80::1", 0, ~0u },
		{ "[fe80::1%lo]:80", AF_INET6, "fe80::1", 80, ~0u },
		{ "[fe80::1%3]:80", AF_INET6, "fe80::1", 80, 3 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const struct psp_case *c = &ok[i];
		struct sockaddr_storage ss;
		int len = (int)sizeof(ss);
		char text[INET6_ADDRSTRLEN];

		memset(&ss, 0xAA, sizeof(ss));
		cr_assert_eq(evutil_parse_sockaddr_port(c->str, (struct sockaddr *)&ss, &len),
		    0, "'%s'", c->str);
		cr_assert_eq(ss.ss_family, c->family, "'%s'", c->str);
		if (c->family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
			cr_assert_eq(len, (int)sizeof(*sin));
			inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
			cr_assert_eq(ntohs(sin->sin_port), c->port, "'%s'", c->str);
			cr_assert_eq(memcmp(sin->sin_zero, "\0\0\0\0\0\0\0\0", 8), 0,
			    "sin_zero cleared");
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
			unsigned scope = c->scope == ~0u ? if_nametoindex("lo") : c->scope;
			cr_assert_eq(len, (int)sizeof(*sin6));
			inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
			cr_assert_eq(ntohs(sin6->sin6_port), c->port, "'%s'", c->str);
			cr_assert_eq(sin6->sin6_scope_id, scope, "'%s'", c->str);
			cr_assert_eq(sin6->sin6_flowinfo, 0u);
		}
		cr_assert_str_eq(text, c->addr, "'%s'", c->str);
	}
}

Test(util, parse_sockaddr_port_rejects_garbage)
{
	/* Port 0 and ports above 65535 are out of range (as in stock).  Stock
	 * 2.1.12 also accepted trailing junk after a port or a ']' and leading
	 * spaces; the engine rejects every malformed string. */
	static const char *bad[] = {
		"", "abc", ":80", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.4:",
		"1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:+80", "1.2.3.4:80x",
		"1.2.3.4: 80", "1.2.3.4:99999999999999999999", " 1.2.3.4", "1.2.3.4 ",
		"01.2.3.4", "[::1", "::1]", "[::1]:", "[::1]x", "[::1]:80:", "[::1]:99999",
		"[1.2.3.4]", "[1.2.3.4]:80", "[]", "[]:80", "[fe80::1%nosuchif0]:80",
		"fe80::1%", "localhost:80",
		"[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sockaddr_storage ss;
		int len = (int)sizeof(ss);
		memset(&ss, 0xAA, sizeof(ss));
		cr_assert_eq(evutil_parse_sockaddr_port(bad[i], (struct sockaddr *)&ss, &len),
		    -1, "'%s' must be rejected", bad[i]);
		cr_assert_eq(len, (int)sizeof(ss), "outlen untouched on failure");
		cr_assert_eq(((unsigned char *)&ss)[0], 0xAA, "out untouched on failure");
	}
}

Test(util, parse_sockaddr_port_checks_outlen)
{
	struct sockaddr_storage ss;
	int len;

	len = (int)sizeof(struct sockaddr_in) - 1;
	memset(&ss, 0xAA, sizeof(ss));
	cr_assert_eq(evutil_parse_sockaddr_port("1.2.3.4:80", (struct sockaddr *)&ss, &len), -1);
	cr_assert_eq(len, (int)sizeof(struct sockaddr_in) - 1);
	cr_assert_eq(((unsigned char *)&ss)[0], 0xAA);

	len = (int)sizeof(struct sockaddr_in);
	cr_assert_eq(evutil_parse_sockaddr_port("1.2.3.4:80", (struct sockaddr *)&ss, &len), 0);
	cr_assert_eq(len, (int)sizeof(struct sockaddr_in));

	/* An IPv6 address does not fit where an IPv4 one would. */
	len = (int)sizeof(struct sockaddr_in);
	cr_assert_eq(evutil_parse_sockaddr_port("[::1]:80", (struct sockaddr *)&ss, &len), -1);
	len = (int)sizeof(struct sockaddr_in6) - 1;
	cr_assert_eq(evutil_parse_sockaddr_port("::1", (struct sockaddr *)&ss, &len), -1);
	len = (int)sizeof(struct sockaddr_in6);
	cr_assert_eq(evutil_parse_sockaddr_port("::1", (struct sockaddr *)&ss, &len), 0);
	len = 0;
	cr_assert_eq(evutil_parse_sockaddr_port("1.2.3.4", (struct sockaddr *)&ss, &len), -1);
	len = -5;
	cr_assert_eq(evutil_parse_sockaddr_port("1.2.3.4", (struct sockaddr *)&ss, &len), -1);

	cr_assert_eq(evutil_parse_sockaddr_port(NULL, (struct sockaddr *)&ss, &len), -1);
	cr_assert_eq(evutil_parse_sockaddr_port("1.2.3.4", NULL, &len), -1);
	cr_assert_eq(evutil_parse_sockaddr_port("1.2.3.4", (struct sockaddr *)&ss, NULL), -1);
}

/* ---- sockaddr_cmp ------------------------------------------------------------------ */

static struct sockaddr_storage
addr_of(const char *str)
{
	struct sockaddr_storage ss;
	int len = (int)sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	cr_assert_eq(evutil_parse_sockaddr_port(str, (struct sockaddr *)&ss, &len), 0,
	    "%s", str);
	return ss;
}

/* Asserts cmp(a, b) has sign s and cmp(b, a) the opposite sign. */
static void
assert_order(const char *a, const char *b, int include_port, int s)
{
	struct sockaddr_storage x = addr_of(a), y = addr_of(b);
	int ab = evutil_sockaddr_cmp((struct sockaddr *)&x, (struct sockaddr *)&y, include_port);
	int ba = evutil_sockaddr_cmp((struct sockaddr *)&y, (struct sockaddr *)&x, include_port);

	cr_assert_eq(sign(ab), s, "cmp(%s, %s, %d) = %d", a, b, include_port, ab);
	cr_assert_eq(sign(ba), -s, "cmp(%s, %s, %d) = %d", b, a, include_port, ba);
}

Test(util, sockaddr_cmp_orders_addresses_then_ports)
{
	assert_order("1.2.3.4:80", "1.2.3.4:80", 1, 0);
	assert_order("1.2.3.4:80", "1.2.3.5:80", 1, -1);
	assert_order("1.2.3.4:90", "1.2.3.5:80", 1, -1); /* address before port */
	assert_order("2.0.0.0", "1.255.255.255", 0, 1);  /* numeric order */
	assert_order("1.2.3.4:90", "1.2.3.4:80", 1, 1);
	assert_order("1.2.3.4:256", "1.2.3.4:2", 1, 1);  /* port in host order */
	assert_order("1.2.3.4:90", "1.2.3.4:80", 0, 0);  /* port ignored */
	assert_order("[::1]:80", "[::1]:80", 1, 0);
	assert_order("[::1]:80", "[::2]:80", 1, -1);
	assert_order("[1::]:1", "[::ffff]:9", 1, 1);
	assert_order("[::1]:81", "[::1]:80", 1, 1);
	assert_order("[::1]:81", "[::1]:80", 0, 0);
	/* Families first: IPv4 (2) before IPv6 (10), whatever the addresses. */
	assert_order("255.255.255.255:65535", "[::]:1", 1, -1);
}

Test(util, sockaddr_cmp_ignores_scope_and_flow)
{
	struct sockaddr_storage a = addr_of("[fe80::1]:80"), b = a;

	((struct sockaddr_in6 *)&b)->sin6_scope_id = 3;
	((struct sockaddr_in6 *)&b)->sin6_flowinfo = 5;
	cr_assert_eq(evutil_sockaddr_cmp((struct sockaddr *)&a, (struct sockaddr *)&b, 1), 0);
}

Test(util, sockaddr_cmp_other_families_differ)
{
	struct sockaddr_un u1 = { .sun_family = AF_UNIX }, u2 = u1;

	/* Documented as implemented for IPv4 and IPv6 only. */
	cr_assert_neq(evutil_sockaddr_cmp((struct sockaddr *)&u1, (struct sockaddr *)&u2, 1), 0);
}

/* ---- getaddrinfo ------------------------------------------------------------------- */

static void
hints_set(struct evutil_addrinfo *h, int flags, int family, int socktype, int protocol)
{
	memset(h, 0, sizeof(*h));
	h->ai_flags = flags;
	h->ai_family = family;
	h->ai_socktype = socktype;
	h->ai_protocol = protocol;
}

static int
list_length(const struct evutil_addrinfo *ai)
{
	int n = 0;
	for (; ai; ai = ai->ai_next)
		n++;
	return n;
}

static int
port_of(const struct evutil_addrinfo *ai)
{
	if (ai->ai_family == AF_INET)
		return ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port);
	return ntohs(((struct sockaddr_in6 *)ai->ai_addr)->sin6_port);
}

static const char *
addr_text(const struct evutil_addrinfo *ai, char *buf, size_t len)
{
	const void *src = ai->ai_family == AF_INET
	    ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
	    : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
	return inet_ntop(ai->ai_family, src, buf, (socklen_t)len);
}

struct gai_case {
	const char *node, *serv;
	int flags, family, socktype, protocol;
	int fast; /* 1: the engine must answer without calling libc */
};

static const struct gai_case gai_cases[] = {
	{ "1.2.3.4", "80", 0, AF_UNSPEC, 0, 0, 1 },
	{ "1.2.3.4", "80", 0, AF_UNSPEC, SOCK_STREAM, 0, 1 },
	{ "1.2.3.4", "80", 0, AF_UNSPEC, SOCK_DGRAM, 0, 1 },
	{ "1.2.3.4", "80", 0, AF_UNSPEC, 0, IPPROTO_UDP, 1 },
	{ "1.2.3.4", "80", 0, AF_UNSPEC, 0, IPPROTO_TCP, 1 },
	{ "1.2.3.4", "80", 0, AF_INET, SOCK_STREAM, IPPROTO_TCP, 1 },
	{ "1.2.3.4", NULL, 0, AF_UNSPEC, 0, 0, 1 },
	{ "1.2.3.4", "65535", 0, AF_UNSPEC, SOCK_STREAM, 0, 1 },
	{ "1.2.3.4", "0", 0, AF_UNSPEC, SOCK_STREAM, 0, 1 },
	{ "1.2.3.4", "00080", 0, AF_UNSPEC, SOCK_STREAM, 0, 1 },
	{ "1.2.3.4", "80", AI_NUMERICHOST | AI_NUMERICSERV, AF_UNSPEC, SOCK_STREAM, 0, 1 },
	{ "1.2.3.4", "80", AI_CANONNAME, AF_INET, SOCK_STREAM, 0, 1 },
	{ "1.2.3.4", "80", AI_PASSIVE, AF_UNSPEC, SOCK_STREAM, 0, 1 },
	{ "::1", "80", AI_NUMERICHOST, AF_UNSPEC, SOCK_STREAM, 0, 1 },
	{ "::1", "80", 0, AF_INET6, 0, 0, 1 },
	{ "::ffff:1.2.3.4", "443", AI_CANONNAME, AF_UNSPEC, 0, 0, 1 },
	{ "2001:db8::1", "53", 0, AF_UNSPEC, SOCK_DGRAM, IPPROTO_UDP, 1 },
	{ NULL, "80", AI_PASSIVE, AF_INET, SOCK_STREAM, 0, 1 },
	{ NULL, "80", AI_PASSIVE, AF_INET6, SOCK_STREAM, 0, 1 },
	{ NULL, "80", 0, AF_INET, SOCK_STREAM, 0, 1 },
	{ NULL, "80", 0, AF_INET6, 0, 0, 1 },
	{ NULL, NULL, AI_PASSIVE, AF_UNSPEC, SOCK_STREAM, 0, 1 },
	/* Left to libc. */
	{ NULL, "80", AI_PASSIVE, AF_UNSPEC, SOCK_STREAM, 0, 0 },
	{ NULL, "80", 0, AF_UNSPEC, SOCK_STREAM, 0, 0 },
	{ NULL, "80", AI_CANONNAME, AF_INET, SOCK_STREAM, 0, 0 },
	{ "1.2.3.4", "http", 0, AF_UNSPEC, SOCK_STREAM, 0, 0 },
	{ "1.2.3.4", "http", 0, AF_UNSPEC, 0, 0, 0 },
	{ "1.2.3.4", "http", AI_NUMERICSERV, AF_UNSPEC, 0, 0, 0 },
	{ NULL, "nosuchservice", AI_PASSIVE, AF_INET, SOCK_STREAM, 0, 0 },
	{ "1.2.3.4", "65536", 0, AF_UNSPEC, SOCK_STREAM, 0, 0 },
	{ "1.2.3.4", " 80", 0, AF_UNSPEC, SOCK_STREAM, 0, 0 },
	{ "1.2.3.4", "-1", 0, AF_UNSPEC, SOCK_STREAM, 0, 0 },
	{ "127.1", "80", 0, AF_UNSPEC, SOCK_STREAM, 0, 0 },
	{ "::1", "80", AI_NUMERICHOST, AF_INET, SOCK_STREAM, 0, 0 },
	{ "1.2.3.4", "80", AI_NUMERICHOST, AF_INET6, SOCK_STREAM, 0, 0 },
	{ "1.2.3.4", "80", AI_V4MAPPED, AF_INET6, SOCK_STREAM, 0, 0 },
	{ "1.2.3.4", "80", AI_ADDRCONFIG, AF_UNSPEC, SOCK_STREAM, 0, 0 },
	{ "fe80::1%lo", "80", 0, AF_UNSPEC, SOCK_STREAM, 0, 0 },
	{ "not.a.number", "80", AI_NUMERICHOST, AF_UNSPEC, SOCK_STREAM, 0, 0 },
	{ "", "80", AI_NUMERICHOST, AF_UNSPEC, SOCK_STREAM, 0, 0 },
	{ "1.2.3.4", "80", 0, AF_UNIX, SOCK_STREAM, 0, 0 },
	{ "1.2.3.4", "80", 0, AF_UNSPEC, SOCK_RAW, 0, 0 },
	{ "1.2.3.4", NULL, 0, AF_UNSPEC, SOCK_RAW, 0, 0 },
	{ "1.2.3.4", "80", 0, AF_UNSPEC, SOCK_STREAM, IPPROTO_UDP, 0 },
	{ "1.2.3.4", "80", 0x40000000, AF_UNSPEC, SOCK_STREAM, 0, 0 },
	{ "localhost", "80", 0, AF_INET, SOCK_STREAM, 0, 0 },
};

/* Asserts that two lists hold the same entries, field by field. */
static void
assert_same_list(const struct evutil_addrinfo *ours, const struct addrinfo *theirs,
    const struct gai_case *c)
{
	int i = 0;

	for (; ours && theirs; ours = ours->ai_next, theirs = theirs->ai_next, i++) {
		cr_assert_eq(ours->ai_flags, theirs->ai_flags, "%s/%s #%d", c->node, c->serv, i);
		cr_assert_eq(ours->ai_family, theirs->ai_family, "%s/%s #%d", c->node, c->serv, i);
		cr_assert_eq(ours->ai_socktype, theirs->ai_socktype, "%s/%s #%d", c->node, c->serv, i);
		cr_assert_eq(ours->ai_protocol, theirs->ai_protocol, "%s/%s #%d", c->node, c->serv, i);
		cr_assert_eq(ours->ai_addrlen, theirs->ai_addrlen, "%s/%s #%d", c->node, c->serv, i);
		cr_assert_eq(memcmp(ours->ai_addr, theirs->ai_addr, theirs->ai_addrlen), 0,
		    "%s/%s #%d: address", c->node, c->serv, i);
		if (theirs->ai_canonname) {
			cr_assert_not_null(ours->ai_canonname);
			cr_assert_str_eq(ours->ai_canonname, theirs->ai_canonname);
		} else {
			cr_assert_null(ours->ai_canonname);
		}
	}
	cr_assert(!ours && !theirs, "%s/%s: lists differ in length after %d entries",
	    c->node, c->serv, i);
}

Test(util, getaddrinfo_matches_libc)
{
	for (size_t i = 0; i < sizeof(gai_cases) / sizeof(gai_cases[0]); i++) {
		const struct gai_case *c = &gai_cases[i];
		struct evutil_addrinfo hints, *ours = (void *)1;
		struct addrinfo *theirs = NULL;

		hints_set(&hints, c->flags, c->family, c->socktype, c->protocol);
		gai_calls = 0;
		int e1 = evutil_getaddrinfo(c->node, c->serv, &hints, &ours);
		int libc_calls = gai_calls;
		int e2 = getaddrinfo(c->node, c->serv, &hints, &theirs);

		cr_assert_eq(e1, e2, "case %zu (%s, %s): engine %d (%s), libc %d (%s)", i,
		    c->node, c->serv, e1, evutil_gai_strerror(e1), e2, gai_strerror(e2));
		cr_assert_eq(libc_calls, c->fast ? 0 : 1, "case %zu (%s, %s): %d libc call(s)",
		    i, c->node, c->serv, libc_calls);
		if (e1 != 0) {
			cr_assert_null(ours, "case %zu: no list on failure", i);
			continue;
		}
		assert_same_list(ours, theirs, c);
		evutil_freeaddrinfo(ours);
		freeaddrinfo(theirs);
	}
}

Test(util, getaddrinfo_numeric_host)
{
	struct evutil_addrinfo hints, *res = NULL;
	char text[INET6_ADDRSTRLEN];

	hints_set(&hints, EVUTIL_AI_NUMERICHOST, AF_UNSPEC, SOCK_STREAM, 0);
	cr_assert_eq(evutil_getaddrinfo("10.9.8.7", "8080", &hints, &res), 0);
	cr_assert_eq(list_length(res), 1);
	cr_assert_eq(res->ai_family, AF_INET);
	cr_assert_eq(res->ai_socktype, SOCK_STREAM);
	cr_assert_eq(res->ai_protocol, IPPROTO_TCP);
	cr_assert_eq(res->ai_addrlen, sizeof(struct sockaddr_in));
	cr_assert_str_eq(addr_text(res, text, sizeof(text)), "10.9.8.7");
	cr_assert_eq(port_of(res), 8080);
	evutil_freeaddrinfo(res);

	/* Without a socket type: TCP, UDP and raw entries, as glibc gives. */
	hints_set(&hints, EVUTIL_AI_NUMERICHOST, AF_UNSPEC, 0, 0);
	cr_assert_eq(evutil_getaddrinfo("::1", NULL, &hints, &res), 0);
	cr_assert_eq(list_length(res), 3);
	cr_assert_eq(res->ai_socktype, SOCK_STREAM);
	cr_assert_eq(res->ai_next->ai_socktype, SOCK_DGRAM);
	cr_assert_eq(res->ai_family, AF_INET6);
	cr_assert_eq(port_of(res), 0);
	evutil_freeaddrinfo(res);
}

Test(util, getaddrinfo_passive_null_node)
{
	struct evutil_addrinfo hints, *res = NULL;
	char text[INET6_ADDRSTRLEN];
	int seen4 = 0, seen6 = 0;

	hints_set(&hints, EVUTIL_AI_PASSIVE, AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(evutil_getaddrinfo(NULL, "9999", &hints, &res), 0);
	cr_assert_eq(list_length(res), 1);
	cr_assert_str_eq(addr_text(res, text, sizeof(text)), "0.0.0.0");
	cr_assert_eq(port_of(res), 9999);
	evutil_freeaddrinfo(res);

	hints_set(&hints, 0, AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(evutil_getaddrinfo(NULL, "9999", &hints, &res), 0);
	cr_assert_str_eq(addr_text(res, text, sizeof(text)), "127.0.0.1");
	evutil_freeaddrinfo(res);

	hints_set(&hints, EVUTIL_AI_PASSIVE, AF_UNSPEC, SOCK_STREAM, 0);
	cr_assert_eq(evutil_getaddrinfo(NULL, "9999", &hints, &res), 0);
	for (struct evutil_addrinfo *ai = res; ai; ai = ai->ai_next) {
		addr_text(ai, text, sizeof(text));
		if (ai->ai_family == AF_INET)
			seen4 += !strcmp(text, "0.0.0.0");
		else if (ai->ai_family == AF_INET6)
			seen6 += !strcmp(text, "::");
		cr_assert_eq(port_of(ai), 9999);
	}
	cr_assert_eq(seen4, 1, "one IPv4 wildcard");
	cr_assert_leq(seen6, 1);
	evutil_freeaddrinfo(res);

	hints_set(&hints, EVUTIL_AI_PASSIVE, AF_UNSPEC, SOCK_STREAM, 0);
	res = (void *)1;
	cr_assert_eq(evutil_getaddrinfo(NULL, NULL, &hints, &res), EVUTIL_EAI_NONAME);
	cr_assert_null(res);
}

Test(util, getaddrinfo_service_names)
{
	struct evutil_addrinfo hints, *res = NULL;
	struct servent *se = getservbyname("http", "tcp");

	if (!se)
		cr_skip_test("no 'http' in the services database");
	hints_set(&hints, 0, AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(evutil_getaddrinfo("127.0.0.1", "http", &hints, &res), 0);
	cr_assert_eq(port_of(res), ntohs((uint16_t)se->s_port));
	cr_assert_eq(port_of(res), 80);
	evutil_freeaddrinfo(res);

	hints_set(&hints, EVUTIL_AI_NUMERICSERV, AF_INET, SOCK_STREAM, 0);
	res = (void *)1;
	cr_assert_eq(evutil_getaddrinfo("127.0.0.1", "http", &hints, &res), EVUTIL_EAI_NONAME);
	cr_assert_null(res);

	hints_set(&hints, 0, AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(evutil_getaddrinfo("127.0.0.1", "no-such-service-xyz", &hints, &res),
	    EVUTIL_EAI_SERVICE);
}

Test(util, getaddrinfo_unknown_host_fails_cleanly)
{
	struct evutil_addrinfo hints, *res = (void *)1;

	/* AI_NUMERICHOST keeps this off the network. */
	hints_set(&hints, EVUTIL_AI_NUMERICHOST, AF_UNSPEC, SOCK_STREAM, 0);
	int e = evutil_getaddrinfo("no-such-host.invalid", "80", &hints, &res);
	cr_assert_eq(e, EVUTIL_EAI_NONAME);
	cr_assert_null(res);
	cr_assert_not_null(evutil_gai_strerror(e));

	hints_set(&hints, 0, AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(evutil_getaddrinfo("1.2.3.4", "80", &hints, &res), EVUTIL_EAI_FAMILY);
	hints_set(&hints, 0, AF_UNSPEC, SOCK_STREAM, IPPROTO_UDP);
	cr_assert_eq(evutil_getaddrinfo("1.2.3.4", "80", &hints, &res), EVUTIL_EAI_SOCKTYPE);
	hints_set(&hints, 0x40000000, AF_UNSPEC, SOCK_STREAM, 0);
	cr_assert_eq(evutil_getaddrinfo("1.2.3.4", "80", &hints, &res), EVUTIL_EAI_BADFLAGS);

	allow_warnings(1);
	cr_assert_neq(evutil_getaddrinfo("1.2.3.4", "80", &hints, NULL), 0);
	expect_warnings(1);
}

Test(util, getaddrinfo_null_hints_goes_to_libc)
{
	struct evutil_addrinfo *res = NULL;
	struct addrinfo *theirs = NULL;
	struct gai_case c = { "1.2.3.4", "80", 0, 0, 0, 0, 0 };

	gai_calls = 0;
	cr_assert_eq(evutil_getaddrinfo("1.2.3.4", "80", NULL, &res), 0);
	cr_assert_eq(gai_calls, 1);
	cr_assert_eq(getaddrinfo("1.2.3.4", "80", NULL, &theirs), 0);
	assert_same_list(res, theirs, &c);
	evutil_freeaddrinfo(res);
	freeaddrinfo(theirs);
}

/* Allocation accounting through event_set_mem_functions. */
static long live_blocks;
static long total_mallocs;

static void *
count_malloc(size_t n)
{
	void *p = malloc(n);
	if (p) {
		live_blocks++;
		total_mallocs++;
	}
	return p;
}

static void *
count_realloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (q && !p) {
		live_blocks++;
		total_mallocs++;
	}
	return q;
}

static void
count_free(void *p)
{
	if (p)
		live_blocks--;
	free(p);
}

Test(util, freeaddrinfo_frees_both_paths)
{
	struct evutil_addrinfo hints, *res = NULL;

	event_set_mem_functions(count_malloc, count_realloc, count_free);

	/* Numeric path, with a canonical name to free as well. */
	hints_set(&hints, EVUTIL_AI_CANONNAME, AF_UNSPEC, 0, 0);
	gai_calls = 0;
	cr_assert_eq(evutil_getaddrinfo("1.2.3.4", "80", &hints, &res), 0);
	cr_assert_eq(gai_calls, 0);
	cr_assert_eq(list_length(res), 3);
	cr_assert_gt(total_mallocs, 0, "allocations go through the mm layer");
	evutil_freeaddrinfo(res);
	cr_assert_eq(live_blocks, 0, "%ld block(s) leaked", live_blocks);

	/* libc path. */
	total_mallocs = 0;
	hints_set(&hints, EVUTIL_AI_CANONNAME, AF_INET, 0, 0);
	cr_assert_eq(evutil_getaddrinfo("localhost", "80", &hints, &res), 0);
	cr_assert_eq(gai_calls, 1);
	cr_assert_gt(list_length(res), 0);
	cr_assert_not_null(res->ai_canonname);
	cr_assert_gt(total_mallocs, 0);
	evutil_freeaddrinfo(res);
	cr_assert_eq(live_blocks, 0, "%ld block(s) leaked", live_blocks);

	evutil_freeaddrinfo(NULL);
	event_set_mem_functions(NULL, NULL, NULL);
}

Test(util, libc_freeaddrinfo_accepts_our_lists)
{
	struct evutil_addrinfo hints, *res = NULL;

	/* Stock libevent on glibc hands out glibc's own lists, and some
	 * programs free them with freeaddrinfo(); with the default allocator
	 * that must keep working (ASAN builds check the frees). */
	hints_set(&hints, EVUTIL_AI_CANONNAME, AF_UNSPEC, 0, 0);
	cr_assert_eq(evutil_getaddrinfo("1.2.3.4", "80", &hints, &res), 0);
	cr_assert_not_null(res->ai_canonname);
	freeaddrinfo(res);
	hints_set(&hints, 0, AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(evutil_getaddrinfo("localhost", "80", &hints, &res), 0);
	freeaddrinfo(res);
}

static void *
failing_malloc(size_t n)
{
	(void)n;
	return NULL;
}

static void *
failing_realloc(void *p, size_t n)
{
	(void)p;
	(void)n;
	return NULL;
}

Test(util, getaddrinfo_out_of_memory)
{
	struct evutil_addrinfo hints, *res = (void *)1;

	event_set_mem_functions(failing_malloc, failing_realloc, free);
	hints_set(&hints, 0, AF_UNSPEC, SOCK_STREAM, 0);
	cr_assert_eq(evutil_getaddrinfo("1.2.3.4", "80", &hints, &res), EVUTIL_EAI_MEMORY);
	cr_assert_null(res);
	res = (void *)1;
	cr_assert_eq(evutil_getaddrinfo("localhost", "80", &hints, &res), EVUTIL_EAI_MEMORY);
	cr_assert_null(res);
	event_set_mem_functions(NULL, NULL, NULL);
}

Test(util, gai_strerror_names_every_code)
{
	static const int codes[] = {
		EVUTIL_EAI_ADDRFAMILY, EVUTIL_EAI_AGAIN, EVUTIL_EAI_BADFLAGS, EVUTIL_EAI_FAIL,
		EVUTIL_EAI_FAMILY, EVUTIL_EAI_MEMORY, EVUTIL_EAI_NODATA, EVUTIL_EAI_NONAME,
		EVUTIL_EAI_SERVICE, EVUTIL_EAI_SOCKTYPE, EVUTIL_EAI_SYSTEM, EVUTIL_EAI_CANCEL,
		/* the stand-ins applications see without _GNU_SOURCE */
		-901, -907,
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *s = evutil_gai_strerror(codes[i]);
		cr_assert_not_null(s, "code %d", codes[i]);
		cr_assert_gt(strlen(s), 0u, "code %d", codes[i]);
	}
	cr_assert_str_eq(evutil_gai_strerror(EAI_NONAME), gai_strerror(EAI_NONAME));
	cr_assert_str_neq(evutil_gai_strerror(EVUTIL_EAI_CANCEL), gai_strerror(-12345));
	cr_assert_str_neq(evutil_gai_strerror(-901), gai_strerror(-12345));
	cr_assert_str_neq(evutil_gai_strerror(EVUTIL_EAI_NONAME),
	    evutil_gai_strerror(EVUTIL_EAI_SERVICE));
}

/* ---- monotonic time ------------------------------------------------------------------ */

static long long
tv_us(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000 + tv->tv_usec;
}

/* Reads t n times and fails if a reading ever goes backwards. */
static void
assert_never_backwards(struct evutil_monotonic_timer *t, int n)
{
	struct timeval prev, now;

	cr_assert_eq(evutil_gettime_monotonic(t, &prev), 0);
	for (int i = 0; i < n; i++) {
		cr_assert_eq(evutil_gettime_monotonic(t, &now), 0);
		cr_assert_geq(now.tv_usec, 0);
		cr_assert_lt(now.tv_usec, 1000000);
		cr_assert(evutil_timercmp(&prev, &now, <=), "went back from %lld to %lld",
		    tv_us(&prev), tv_us(&now));
		prev = now;
	}
}

Test(util, monotonic_never_goes_backwards)
{
	static const int flag_sets[] = { 0, EV_MONOT_PRECISE, EV_MONOT_FALLBACK,
		EV_MONOT_PRECISE | EV_MONOT_FALLBACK };
	struct evutil_monotonic_timer *t = evutil_monotonic_timer_new();

	cr_assert_not_null(t);
	for (size_t i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
		cr_assert_eq(evutil_configure_monotonic_time(t, flag_sets[i]), 0);
		assert_never_backwards(t, 100000);
	}
	evutil_monotonic_timer_free(t);
}

static long long
mono_us(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

Test(util, monotonic_precise_follows_clock_monotonic)
{
	struct evutil_monotonic_timer *t = evutil_monotonic_timer_new();
	struct timeval tv, before, after;

	cr_assert_eq(evutil_configure_monotonic_time(t, EV_MONOT_PRECISE), 0);
	long long t0 = mono_us(CLOCK_MONOTONIC);
	cr_assert_eq(evutil_gettime_monotonic(t, &tv), 0);
	long long t1 = mono_us(CLOCK_MONOTONIC);
	cr_assert(t0 <= tv_us(&tv) && tv_us(&tv) <= t1, "%lld <= %lld <= %lld", t0,
	    tv_us(&tv), t1);

	/* Precise really is precise: a 2 ms sleep shows up as 2 ms or more. */
	evutil_gettime_monotonic(t, &before);
	usleep(2000);
	evutil_gettime_monotonic(t, &after);
	cr_assert_geq(tv_us(&after) - tv_us(&before), 2000);

	evutil_monotonic_timer_free(t);
}

Test(util, monotonic_default_is_the_coarse_clock)
{
	struct evutil_monotonic_timer *t = evutil_monotonic_timer_new();
	struct timeval tv;

	/* Bracketed by two reads of CLOCK_MONOTONIC_COARSE, a coarse reading
	 * always falls between them; a precise one (ahead of the last tick)
	 * almost never does, let alone 20 times. */
	cr_assert_eq(evutil_configure_monotonic_time(t, 0), 0);
	for (int i = 0; i < 20; i++) {
		long long t0 = mono_us(CLOCK_MONOTONIC_COARSE);
		cr_assert_eq(evutil_gettime_monotonic(t, &tv), 0);
		long long t1 = mono_us(CLOCK_MONOTONIC_COARSE);
		cr_assert(t0 <= tv_us(&tv) && tv_us(&tv) <= t1, "read %d: %lld <= %lld <= %lld",
		    i, t0, tv_us(&tv), t1);
		usleep(300);
	}
	evutil_monotonic_timer_free(t);
}

Test(util, monotonic_fallback_follows_wall_clock_but_not_backwards)
{
	struct evutil_monotonic_timer *t = evutil_monotonic_timer_new();
	struct timeval a, b, c;

	cr_assert_eq(evutil_configure_monotonic_time(t, EV_MONOT_FALLBACK), 0);
	long long t0 = mono_us(CLOCK_REALTIME);
	cr_assert_eq(evutil_gettime_monotonic(t, &a), 0);
	long long t1 = mono_us(CLOCK_REALTIME);
	cr_assert(t0 <= tv_us(&a) && tv_us(&a) <= t1, "starts at wall time");

	/* Someone sets the clock back ten seconds. */
	tod_shift_us = -10LL * 1000000;
	cr_assert_eq(evutil_gettime_monotonic(t, &b), 0);
	cr_assert(evutil_timercmp(&a, &b, <=), "stood still, did not go back: %lld -> %lld",
	    tv_us(&a), tv_us(&b));
	cr_assert_leq(tv_us(&b) - tv_us(&a), 100000, "and did not jump ahead");
	usleep(3000);
	cr_assert_eq(evutil_gettime_monotonic(t, &c), 0);
	cr_assert_geq(tv_us(&c) - tv_us(&b), 3000, "then advances at the wall rate");
	assert_never_backwards(t, 1000);

	/* A forward step is simply followed. */
	tod_shift_us += 5LL * 1000000;
	cr_assert_eq(evutil_gettime_monotonic(t, &a), 0);
	cr_assert_geq(tv_us(&a) - tv_us(&c), 5LL * 1000000);

	/* Reconfiguring starts afresh. */
	tod_shift_us = 0;
	cr_assert_eq(evutil_configure_monotonic_time(t, EV_MONOT_FALLBACK), 0);
	t0 = mono_us(CLOCK_REALTIME);
	cr_assert_eq(evutil_gettime_monotonic(t, &b), 0);
	t1 = mono_us(CLOCK_REALTIME);
	cr_assert(t0 <= tv_us(&b) && tv_us(&b) <= t1, "back on the wall clock");
	evutil_monotonic_timer_free(t);
}

Test(util, monotonic_bad_arguments)
{
	struct evutil_monotonic_timer *t = evutil_monotonic_timer_new();
	struct timeval tv;

	/* Usable even before the documented configure step. */
	cr_assert_eq(evutil_gettime_monotonic(t, &tv), 0);
	allow_warnings(1);
	cr_assert_eq(evutil_configure_monotonic_time(t, 4), -1);
	expect_warnings(1);
	allow_warnings(1);
	cr_assert_eq(evutil_configure_monotonic_time(NULL, 0), -1);
	expect_warnings(1);
	allow_warnings(1);
	cr_assert_eq(evutil_gettime_monotonic(NULL, &tv), -1);
	expect_warnings(1);
	allow_warnings(1);
	cr_assert_eq(evutil_gettime_monotonic(t, NULL), -1);
	expect_warnings(1);
	evutil_monotonic_timer_free(t);
	evutil_monotonic_timer_free(NULL);
}

/* ---- RFC 1123 dates -------------------------------------------------------------------- */

static struct tm
known_tm(void)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 94;
	tm.tm_mon = 10;
	tm.tm_mday = 6;
	tm.tm_hour = 8;
	tm.tm_min = 49;
	tm.tm_sec = 37;
	tm.tm_wday = 0;
	return tm;
}

Test(util, date_rfc1123_known_date)
{
	struct tm tm = known_tm();
	char buf[64];

	cr_assert_eq(evutil_date_rfc1123(buf, sizeof(buf), &tm), 29);
	cr_assert_str_eq(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	tm.tm_wday = 3;
	tm.tm_mon = 0;
	tm.tm_mday = 1;
	tm.tm_year = 100;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	cr_assert_eq(evutil_date_rfc1123(buf, sizeof(buf), &tm), 29);
	cr_assert_str_eq(buf, "Wed, 01 Jan 2000 00:00:00 GMT");
	/* A leap second is printed as given. */
	tm.tm_sec = 60;
	evutil_date_rfc1123(buf, sizeof(buf), &tm);
	cr_assert_str_eq(buf, "Wed, 01 Jan 2000 00:00:60 GMT");
}

Test(util, date_rfc1123_truncates)
{
	struct tm tm = known_tm();
	char buf[64];

	memset(buf, 'X', sizeof(buf));
	cr_assert_eq(evutil_date_rfc1123(buf, 10, &tm), 29, "full length, like snprintf");
	cr_assert_str_eq(buf, "Sun, 06 N");
	cr_assert_eq(buf[10], 'X');
	cr_assert_eq(evutil_date_rfc1123(buf, 30, &tm), 29);
	cr_assert_str_eq(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	cr_assert_eq(evutil_date_rfc1123(buf, 29, &tm), 29, "one short: truncated");
	cr_assert_eq(strlen(buf), 28u);
}

Test(util, date_rfc1123_now)
{
	char buf[64], expect[64];

	for (int attempt = 0; attempt < 5; attempt++) {
		time_t before = time(NULL);
		cr_assert_eq(evutil_date_rfc1123(buf, sizeof(buf), NULL), 29);
		time_t after = time(NULL);
		if (before != after)
			continue; /* the second turned over; try again */
		struct tm tm;
		gmtime_r(&before, &tm);
		/* strftime in the C locale spells the RFC 1123 names. */
		strftime(expect, sizeof(expect), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		cr_assert_str_eq(buf, expect);
		return;
	}
	cr_assert_fail("the clock kept moving");
}

Test(util, date_rfc1123_rejects_bad_tm)
{
	struct tm tm = known_tm();
	char buf[64] = "junk";

	tm.tm_mon = 12;
	allow_warnings(1);
	cr_assert_eq(evutil_date_rfc1123(buf, sizeof(buf), &tm), -1);
	cr_assert_str_eq(buf, "");
	expect_warnings(1);
	tm = known_tm();
	tm.tm_wday = -1;
	allow_warnings(1);
	cr_assert_eq(evutil_date_rfc1123(buf, sizeof(buf), &tm), -1);
	expect_warnings(1);
	allow_warnings(1);
	cr_assert_eq(evutil_date_rfc1123(NULL, 10, &tm), -1);
	expect_warnings(1);
}

/* ---- secure RNG ---------------------------------------------------------------------------- */

static int
all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

Test(util, secure_rng_fills_buffers)
{
	unsigned char a[64], b[64];
	static unsigned char big[1 << 16];

	cr_assert_eq(evutil_secure_rng_init(), 0);
	cr_assert_eq(evutil_secure_rng_init(), 0, "may be called again");
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	evutil_secure_rng_get_bytes(a, sizeof(a));
	evutil_secure_rng_get_bytes(b, sizeof(b));
	cr_assert(!all_zero(a, sizeof(a)));
	cr_assert_neq(memcmp(a, b, sizeof(a)), 0, "two calls differ");

	/* Large requests are filled to the end. */
	evutil_secure_rng_get_bytes(big, sizeof(big));
	cr_assert(!all_zero(big + sizeof(big) - 64, 64));
	evutil_secure_rng_get_bytes(a, 0);

	/* Every byte value turns up in 64 KiB of random data. */
	int seen[256] = { 0 };
	for (size_t i = 0; i < sizeof(big); i++)
		seen[big[i]] = 1;
	for (int v = 0; v < 256; v++)
		cr_assert(seen[v], "byte %d never produced", v);
}

Test(util, secure_rng_add_bytes_is_harmless)
{
	unsigned char a[32] = { 0 };
	char seed[16] = "not very random";

	evutil_secure_rng_add_bytes(seed, sizeof(seed));
	evutil_secure_rng_add_bytes(NULL, 0);
	evutil_secure_rng_get_bytes(a, sizeof(a));
	cr_assert(!all_zero(a, sizeof(a)));
	allow_warnings(1);
	evutil_secure_rng_add_bytes(NULL, 5);
	expect_warnings(1);
}

Test(util, secure_rng_device_file_must_exist)
{
	allow_warnings(1);
	cr_assert_eq(evutil_secure_rng_set_urandom_device_file("/nonexistent/urandom"), -1);
	expect_warnings(1);
	allow_warnings(1);
	cr_assert_eq(evutil_secure_rng_set_urandom_device_file(NULL), -1);
	expect_warnings(1);
	cr_assert_eq(evutil_secure_rng_set_urandom_device_file("/dev/urandom"), 0);
	cr_assert_eq(evutil_secure_rng_init(), 0);
}

/* Writes n bytes of pattern to a fresh temporary file; returns its name. */
static char *
pattern_file(size_t n)
{
	static char name[] = "/tmp/test-util-rng-XXXXXX";
	int fd = mkstemp(name);
	cr_assert_geq(fd, 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)(i * 7 + 1);
		cr_assert_eq(write(fd, &c, 1), 1);
	}
	close(fd);
	return name;
}

Test(util, secure_rng_falls_back_to_device_file)
{
	unsigned char a[32];
	char *name = pattern_file(sizeof(a));

	block_getrandom = 1;
	cr_assert_eq(evutil_secure_rng_set_urandom_device_file(name), 0);
	cr_assert_eq(evutil_secure_rng_init(), 0, "the device file is a usable source");
	evutil_secure_rng_get_bytes(a, sizeof(a));
	for (size_t i = 0; i < sizeof(a); i++)
		cr_assert_eq(a[i], (unsigned char)(i * 7 + 1), "byte %zu read from the file", i);

	/* A source that runs dry is a failure, not a short fill. */
	unsigned char big[64];
	memset(big, 0, sizeof(big));
	allow_warnings(1);
	evutil_secure_rng_get_bytes(big, sizeof(big));
	expect_warnings(1);
	cr_assert(strstr(last_warning, "NOT secure"), "%s", last_warning);
	cr_assert(!all_zero(big + 32, 32), "still filled");

	/* With no source at all, init says so. */
	unlink(name);
	allow_warnings(1);
	cr_assert_eq(evutil_secure_rng_init(), -1);
	expect_warnings(1);
}

Test(util, secure_rng_default_device_when_getrandom_is_missing)
{
	unsigned char a[64] = { 0 }, b[64] = { 0 };

	block_getrandom = 1;
	cr_assert_eq(evutil_secure_rng_init(), 0);
	evutil_secure_rng_get_bytes(a, sizeof(a));
	evutil_secure_rng_get_bytes(b, sizeof(b));
	cr_assert(!all_zero(a, sizeof(a)));
	cr_assert_neq(memcmp(a, b, sizeof(a)), 0);
}
