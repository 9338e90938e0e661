/*
 * log.c: warnings and messages, to the application's log callback or to
 * stderr.  Formatting happens into a fixed stack buffer: logging must work
 * when memory is exhausted, and a long message is truncated, not dropped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include "log-internal.h"

static event_log_cb log_fn;
static event_fatal_cb fatal_fn;
uint32_t event_debug_logging_mask_;

void
event_set_log_callback(event_log_cb cb)
{
	log_fn = cb;
}

void
event_set_fatal_callback(event_fatal_cb cb)
{
	fatal_fn = cb;
}

void
event_enable_debug_logging(ev_uint32_t which)
{
	event_debug_logging_mask_ = which;
}

static void
emit(int severity, const char *msg)
{
	static const char *const names[] = { "debug", "msg", "warn", "err" };

	if (log_fn) {
		log_fn(severity, msg);
		return;
	}
	const char *name = severity >= 0 && severity <= 3 ? names[severity] : "?";
	fprintf(stderr, "[%s] %s\n", name, msg);
}

/* Formats fmt/ap, optionally followed by ": " and the text of errnum. */
static void
logv(int severity, int errnum, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		buf[0] = '\0';
	if (errnum >= 0) {
		size_t len = strlen(buf);
		char ebuf[128];
		const char *etext = strerror_r(errnum, ebuf, sizeof(ebuf));
		snprintf(buf + len, sizeof(buf) - len, ": %s", etext);
	}
	emit(severity, buf);
}

#define LOG_BODY(sev, errnum)              \
	do {                                   \
		va_list ap;                        \
		va_start(ap, fmt);                 \
		logv((sev), (errnum), fmt, ap);    \
		va_end(ap);                        \
	} while (0)

void
event_warn(const char *fmt, ...)
{
	int saved = errno;
	LOG_BODY(EVENT_LOG_WARN, saved);
	errno = saved;
}

void
event_sock_warn(int sock, const char *fmt, ...)
{
	int saved = errno;
	(void)sock;
	LOG_BODY(EVENT_LOG_WARN, saved);
	errno = saved;
}

void
event_warnx(const char *fmt, ...)
{
	int saved = errno;
	LOG_BODY(EVENT_LOG_WARN, -1);
	errno = saved;
}

void
event_msgx(const char *fmt, ...)
{
	int saved = errno;
	LOG_BODY(EVENT_LOG_MSG, -1);
	errno = saved;
}

void
event_debugx_(const char *fmt, ...)
{
	int saved = errno;
	LOG_BODY(EVENT_LOG_DEBUG, -1);
	errno = saved;
}

void
event_errx(int eval, const char *fmt, ...)
{
	LOG_BODY(EVENT_LOG_ERR, -1);
	if (fatal_fn)
		fatal_fn(eval);
	/* The fatal callback must not return; if it does, stop here rather
	 * than run on with broken invariants. */
	abort();
}
