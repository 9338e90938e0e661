/*
 * log-internal.h: how the engine reports.  Messages go to the callback
 * installed with event_set_log_callback(), or to stderr.  Report an error
 * once, where it happens, naming the call and its arguments.
 */
#ifndef LOG_INTERNAL_H_INCLUDED_
#define LOG_INTERNAL_H_INCLUDED_

#include <stdint.h>

/* Not marked "cold": that moved report branches out of line but made the
 * evbuffer calls 4% slower, with no measurable gain elsewhere (EXP-022). */
#define EV_LOG_FMT(a, b) __attribute__((format(printf, a, b)))

/* Warning with ": strerror(errno)" appended. */
void event_warn(const char *fmt, ...) EV_LOG_FMT(1, 2);
/* Warning with the text of the socket error of sock appended. */
void event_sock_warn(int sock, const char *fmt, ...) EV_LOG_FMT(2, 3);
/* Warning, message as given. */
void event_warnx(const char *fmt, ...) EV_LOG_FMT(1, 2);
/* Informational message. */
void event_msgx(const char *fmt, ...) EV_LOG_FMT(1, 2);
/* Debug message; only emitted when event_enable_debug_logging() is on. */
void event_debugx_(const char *fmt, ...) EV_LOG_FMT(1, 2);
/* Unrecoverable internal error: logs, calls the fatal callback, exits.
 * Reserved for broken invariants, never for bad user input. */
void event_errx(int eval, const char *fmt, ...) EV_LOG_FMT(2, 3)
	__attribute__((noreturn));

extern uint32_t event_debug_logging_mask_;
#define event_debug(args)                      \
	do {                                       \
		if (event_debug_logging_mask_)         \
			event_debugx_ args;                \
	} while (0)

#endif /* LOG_INTERNAL_H_INCLUDED_ */
