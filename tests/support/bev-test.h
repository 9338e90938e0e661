/*
 * bev-test.h: helpers shared by the bufferevent and listener tests
 * (header-only; every test program includes it once).
 *
 * - A log callback that fails the running test on any engine warning it
 *   did not announce with bt_allow_warnings().
 * - Nonblocking socketpairs and a loopback TCP listener socket.
 * - Deterministic pseudo-random data, so a mismatch can be reproduced.
 * - bt_loop_until(): runs the loop until a condition holds or a deadline
 *   passes, so no test can hang on a missed event.
 */
#ifndef BEV_TEST_H_INCLUDED_
#define BEV_TEST_H_INCLUDED_

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/util.h>

/* ---- warnings ------------------------------------------------------------- */

static int bt_allowed;  /* warnings the running test announced */
static int bt_warnings; /* warnings logged since the last announcement */
static char bt_last_warning[512];

static void
bt_log_cb(int severity, const char *msg)
{
	if (severity < EVENT_LOG_WARN)
		return;
	snprintf(bt_last_warning, sizeof(bt_last_warning), "%s", msg);
	cr_assert_gt(bt_allowed, 0, "unexpected warning from the engine: %s", msg);
	bt_allowed--;
	bt_warnings++;
}

/* The next calls may log up to n warnings. */
static inline void
bt_allow_warnings(int n)
{
	bt_allowed = n;
	bt_warnings = 0;
}

/* Exactly n announced warnings were logged since bt_allow_warnings(). */
static inline void
bt_expect_warnings(int n)
{
	cr_assert_eq(bt_warnings, n, "expected %d warning(s), got %d (last: %s)", n,
	    bt_warnings, bt_last_warning);
	bt_allowed = 0;
	bt_warnings = 0;
}

static inline void
bt_setup_logging(void)
{
	event_set_log_callback(bt_log_cb);
	signal(SIGPIPE, SIG_IGN);
}

/* ---- time ------------------------------------------------------------------ */

static inline double
bt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time (user + system) of this process, in seconds. */
static inline double
bt_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs base one iteration at a time until *flag is nonzero or seconds
 * pass.  Returns *flag. */
static inline int
bt_loop_until(struct event_base *base, volatile int *flag, double seconds)
{
	double end = bt_now() + seconds;

	while (!*flag && bt_now() < end) {
		struct timeval tick = { 0, 10000 };
		event_base_loopexit(base, &tick);
		event_base_loop(base, EVLOOP_ONCE);
	}
	return *flag;
}

/* Runs base for the given time whatever happens. */
static inline void
bt_loop_for(struct event_base *base, double seconds)
{
	struct timeval tv;

	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* ---- sockets ------------------------------------------------------------- */

static inline void
bt_socketpair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0, "socketpair: %s",
	    strerror(errno));
	cr_assert_eq(evutil_make_socket_nonblocking(sv[0]), 0);
	cr_assert_eq(evutil_make_socket_nonblocking(sv[1]), 0);
}

/* A listening TCP socket on 127.0.0.1 with a kernel-chosen port; *sin
 * receives its address. */
static inline int
bt_tcp_listener(struct sockaddr_in *sin, int backlog)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)sin, sizeof(*sin)), 0, "bind: %s",
	    strerror(errno));
	cr_assert_eq(listen(fd, backlog), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)sin, &len), 0);
	return fd;
}

/* A loopback TCP port nobody listens on (bound, never listening, so no
 * one else can take it while the test runs). *holder keeps it. */
static inline void
bt_dead_port(struct sockaddr_in *sin, int *holder)
{
	socklen_t len = sizeof(*sin);

	*holder = socket(AF_INET, SOCK_STREAM, 0);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(*holder, (struct sockaddr *)sin, sizeof(*sin)), 0);
	cr_assert_eq(getsockname(*holder, (struct sockaddr *)sin, &len), 0);
}

/* ---- data ---------------------------------------------------------------- */

/* xorshift: reproducible pseudo-random numbers from a seed. */
static inline uint32_t
bt_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return (uint32_t)(x >> 16);
}

/* Fills buf with the stream of bytes that starts at offset pos of the
 * stream for seed: byte i of the stream is a function of (seed, i), so a
 * receiver can check any chunk without keeping the data. */
static inline unsigned char
bt_stream_byte(uint32_t seed, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)seed << 32 | seed);

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 32;
	return (unsigned char)x;
}

static inline void
bt_stream_fill(uint32_t seed, uint64_t pos, unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = bt_stream_byte(seed, pos + i);
}

/* Number of bytes of buf that do not match the stream at pos. */
static inline size_t
bt_stream_mismatches(uint32_t seed, uint64_t pos, const unsigned char *buf, size_t len)
{
	size_t bad = 0;

	for (size_t i = 0; i < len; i++)
		bad += buf[i] != bt_stream_byte(seed, pos + i);
	return bad;
}

#endif /* BEV_TEST_H_INCLUDED_ */
