/*
 * evbuffer-test.h: small helpers shared by the evbuffer test programs.
 */
#ifndef EVBUFFER_TEST_H_INCLUDED
#define EVBUFFER_TEST_H_INCLUDED

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

/* Warnings the engine logged since the last reset (bad input must be
 * reported, and correct use must report nothing). */
static int evt_warnings;
static char evt_last_warning[256];

static void
evt_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN) {
		evt_warnings++;
		strncpy(evt_last_warning, msg, sizeof(evt_last_warning) - 1);
	}
}

static inline void
evt_capture_log(void)
{
	evt_warnings = 0;
	event_set_log_callback(evt_log);
}

/* The whole contents of buf as a NUL-terminated heap string. */
static inline char *
evt_contents(struct evbuffer *buf, size_t *len)
{
	size_t n = evbuffer_get_length(buf);
	char *s = malloc(n + 1);

	cr_assert_not_null(s);
	cr_assert_eq(evbuffer_copyout(buf, s, n), (ev_ssize_t)n);
	s[n] = '\0';
	if (len)
		*len = n;
	return s;
}

/* Asserts that buf holds exactly the n bytes at expect. */
static inline void
evt_assert_bytes(struct evbuffer *buf, const void *expect, size_t n)
{
	size_t len;
	char *s = evt_contents(buf, &len);

	cr_assert_eq(len, n, "buffer holds %zu bytes, expected %zu", len, n);
	cr_assert(memcmp(s, expect, n) == 0, "buffer contents differ");
	free(s);
}

#define evt_assert_str(buf, str) evt_assert_bytes((buf), (str), strlen(str))

/* Address of byte pos of buf, through peek. */
static inline const unsigned char *
evt_addr(struct evbuffer *buf, size_t pos)
{
	struct evbuffer_ptr p;
	struct evbuffer_iovec v;

	cr_assert_eq(evbuffer_ptr_set(buf, &p, pos, EVBUFFER_PTR_SET), 0);
	cr_assert_eq(evbuffer_peek(buf, 1, &p, &v, 1), 1);
	return v.iov_base;
}

#endif /* EVBUFFER_TEST_H_INCLUDED */
