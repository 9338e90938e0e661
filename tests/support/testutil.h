/*
 * testutil.h: helpers shared by the event-core test programs.
 *
 * The same test sources build two ways: inside the repository (against
 * the engine; CMake defines ENGINE_LIB_DIR) and, for validating the
 * expectations, in a scratch directory against Debian's stock libevent
 * 2.1.12.  TU_ENGINE tells them apart.  A few tests pin contracts that
 * the engine promises and stock does not keep (fewer epoll_ctl calls, a
 * warning instead of an abort on misuse); they call TU_ENGINE_ONLY(),
 * which skips them on stock unless TU_STRICT is set in the environment
 * (set it to watch them fail there).
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>
#include <sys/time.h>

#include <criterion/criterion.h>
#include <event2/event.h>

#ifdef ENGINE_LIB_DIR
#define TU_ENGINE 1
#else
#define TU_ENGINE 0
#endif

/* Skip the calling test on stock libevent unless TU_STRICT is set. */
#define TU_ENGINE_ONLY()                                                  \
	do {                                                              \
		if (!TU_ENGINE && !tu_strict())                           \
			cr_skip_test("engine-specific contract; stock "   \
			    "libevent 2.1.12 differs (TU_STRICT=1 runs it)"); \
	} while (0)

/*
 * TU_BACKEND_TEST(suite, name, .timeout = N) { ... uses `method` ... }
 * defines one Criterion test per backend (name_epoll, name_poll,
 * name_select); the body receives the backend name in `method`.
 */
#define TU_BACKEND_TEST(suite, name, ...)                                 \
	static void name##_body(const char *method);                      \
	Test(suite, name##_epoll, __VA_ARGS__) { name##_body("epoll"); }  \
	Test(suite, name##_poll, __VA_ARGS__) { name##_body("poll"); }    \
	Test(suite, name##_select, __VA_ARGS__) { name##_body("select"); } \
	static void name##_body(const char *method)

/* Nonzero when TU_STRICT is set to something other than "0". */
int tu_strict(void);

/*
 * Make a base that uses exactly `method` (every other supported method is
 * avoided), with extra EVENT_BASE_FLAG_* `flags`.  Fails the test unless
 * the base exists and event_base_get_method() names `method`.  Also
 * starts log capture.
 */
struct event_base *tu_base_new(const char *method, int flags);

/* Same, with an existing config the caller still owns (avoids added). */
struct event_base *tu_base_new_cfg(const char *method,
    struct event_config *cfg);

/* Fail the test if a warning was logged that the test did not expect
 * (see tu_log_clear), then free the base. */
void tu_base_free(struct event_base *base);

/* Log capture through event_set_log_callback. */
void tu_log_capture(void);
void tu_log_clear(void);
/* Messages logged at severity >= min since the last clear. */
int tu_log_count(int min_severity);
/* Nonzero if a message at severity >= min contains `needle`. */
int tu_log_contains(int min_severity, const char *needle);
/* Most recent message text at severity >= min, or "" if none. */
const char *tu_log_last(int min_severity);
/* Assert that at least one warning (or error) was logged, then clear. */
void tu_assert_warned(const char *what);

/* A nonblocking AF_UNIX stream socketpair; fails the test on error. */
void tu_socketpair(int fds[2]);

/* Nonzero if this process's descriptor fd is a kernel object whose
 * /proc/self/fd link names `kind` ("eventpoll", "eventfd", "timerfd"). */
int tu_fd_is(int fd, const char *kind);
/* Write one byte (fails the test on error). */
void tu_write1(int fd);
/* Read whatever is buffered (nonblocking); returns bytes read. */
int tu_drain(int fd);

/* Monotonic milliseconds since an arbitrary origin. */
double tu_now_ms(void);
/* Build a timeval from milliseconds. */
struct timeval tu_tv_ms(long ms);
/* Wall-clock difference a - b in milliseconds. */
double tu_tv_diff_ms(const struct timeval *a, const struct timeval *b);
/* Sleep for ms milliseconds. */
void tu_sleep_ms(long ms);

/* Backend names every backend test runs under. */
extern const char *const tu_backends[3];

#endif /* TESTUTIL_H */
