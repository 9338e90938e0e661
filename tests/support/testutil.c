/*
 * testutil.c: shared helpers for the event-core tests (see testutil.h).
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

const char *const tu_backends[3] = { "epoll", "poll", "select" };

#define TU_LOG_MAX 128
#define TU_LOG_LEN 256

/* Captured messages; a lock because threaded tests log from two threads. */
static struct {
	pthread_mutex_t lock;
	int n;
	int sev[TU_LOG_MAX];
	char msg[TU_LOG_MAX][TU_LOG_LEN];
	char last[TU_LOG_LEN];
} tu_log = { PTHREAD_MUTEX_INITIALIZER, 0, { 0 }, { { 0 } }, { 0 } };

int
tu_strict(void)
{
	const char *s = getenv("TU_STRICT");

	return s && *s && strcmp(s, "0") != 0;
}

static void
tu_log_cb(int severity, const char *msg)
{
	pthread_mutex_lock(&tu_log.lock);
	if (tu_log.n < TU_LOG_MAX) {
		tu_log.sev[tu_log.n] = severity;
		snprintf(tu_log.msg[tu_log.n], TU_LOG_LEN, "%s", msg);
		tu_log.n++;
	}
	pthread_mutex_unlock(&tu_log.lock);
}

void
tu_log_capture(void)
{
	event_set_log_callback(tu_log_cb);
}

void
tu_log_clear(void)
{
	pthread_mutex_lock(&tu_log.lock);
	tu_log.n = 0;
	pthread_mutex_unlock(&tu_log.lock);
}

int
tu_log_count(int min_severity)
{
	int i, c = 0;

	pthread_mutex_lock(&tu_log.lock);
	for (i = 0; i < tu_log.n; i++)
		if (tu_log.sev[i] >= min_severity)
			c++;
	pthread_mutex_unlock(&tu_log.lock);
	return c;
}

int
tu_log_contains(int min_severity, const char *needle)
{
	int i, found = 0;

	pthread_mutex_lock(&tu_log.lock);
	for (i = 0; i < tu_log.n && !found; i++)
		if (tu_log.sev[i] >= min_severity &&
		    strstr(tu_log.msg[i], needle))
			found = 1;
	pthread_mutex_unlock(&tu_log.lock);
	return found;
}

const char *
tu_log_last(int min_severity)
{
	int i;

	pthread_mutex_lock(&tu_log.lock);
	tu_log.last[0] = '\0';
	for (i = tu_log.n - 1; i >= 0; i--) {
		if (tu_log.sev[i] >= min_severity) {
			memcpy(tu_log.last, tu_log.msg[i], TU_LOG_LEN);
			break;
		}
	}
	pthread_mutex_unlock(&tu_log.lock);
	return tu_log.last;
}

void
tu_assert_warned(const char *what)
{
	cr_assert(tu_log_count(EVENT_LOG_WARN) > 0,
	    "%s: expected a warning through the log callback, none logged", what);
	tu_log_clear();
}

struct event_base *
tu_base_new_cfg(const char *method, struct event_config *cfg)
{
	const char **m = event_get_supported_methods();
	struct event_base *base;
	int have = 0;

	tu_log_capture();
	/* The backend is chosen here; EVENT_NO* in the environment (the
	 * gate's forced-backend runs) must not override the choice. */
	cr_assert_eq(event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV), 0);
	for (; m && *m; m++) {
		if (strcmp(*m, method) == 0)
			have = 1;
		else
			cr_assert_eq(event_config_avoid_method(cfg, *m), 0);
	}
	cr_assert(have, "backend %s is not among the supported methods", method);
	base = event_base_new_with_config(cfg);
	cr_assert_not_null(base, "no event_base for backend %s", method);
	cr_assert_str_eq(event_base_get_method(base), method);
	return base;
}

struct event_base *
tu_base_new(const char *method, int flags)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	cr_assert_not_null(cfg);
	if (flags)
		cr_assert_eq(event_config_set_flag(cfg, flags), 0);
	base = tu_base_new_cfg(method, cfg);
	event_config_free(cfg);
	return base;
}

void
tu_base_free(struct event_base *base)
{
	int n = tu_log_count(EVENT_LOG_WARN);

	cr_expect_eq(n, 0, "unexpected warning logged: %s",
	    tu_log_last(EVENT_LOG_WARN));
	event_base_free(base);
}

void
tu_socketpair(int fds[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0,
	    "socketpair: %s", strerror(errno));
	cr_assert_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	cr_assert_eq(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
}

void
tu_write1(int fd)
{
	char c = 'x';

	cr_assert_eq(write(fd, &c, 1), 1, "write(%d): %s", fd, strerror(errno));
}

int
tu_drain(int fd)
{
	char buf[4096];
	int total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (int)n;
	return total;
}

double
tu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct timeval
tu_tv_ms(long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

double
tu_tv_diff_ms(const struct timeval *a, const struct timeval *b)
{
	return (a->tv_sec - b->tv_sec) * 1e3 + (a->tv_usec - b->tv_usec) / 1e3;
}

void
tu_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
tu_fd_is(int fd, const char *kind)
{
	char path[64], link[128];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return strstr(link, kind) != NULL;
}
