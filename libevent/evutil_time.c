/*
 * evutil_time.c: monotonic timers and RFC 1123 dates.
 *
 * Clock choice (evutil_configure_monotonic_time):
 *   EV_MONOT_FALLBACK  gettimeofday, with backward steps hidden (below);
 *   EV_MONOT_PRECISE   CLOCK_MONOTONIC;
 *   neither            CLOCK_MONOTONIC_COARSE where the kernel has it (as
 *                      stock libevent does on Linux), else CLOCK_MONOTONIC.
 *                      The coarse clock returns the time of the last tick
 *                      without reading the clock source, so it is cheaper,
 *                      but it lags by up to one tick (4 ms with HZ=250):
 *                      timeouts then fire up to that much late.  Callers
 *                      that care ask for EV_MONOT_PRECISE
 *                      (EVENT_BASE_FLAG_PRECISE_TIMER).
 *
 * The wall-clock mode never returns less than it returned before: when
 * gettimeofday steps back (an administrator or NTP setting the clock), the
 * size of the step is added to an offset, so the reported time stands still
 * across the step and then advances at the wall clock's rate.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <event2/util.h>
#include "evutil-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

#define KNOWN_FLAGS (EV_MONOT_PRECISE | EV_MONOT_FALLBACK)

struct evutil_monotonic_timer *
evutil_monotonic_timer_new(void)
{
	struct evutil_monotonic_timer *t = mm_calloc(1, sizeof(*t));

	/* Configured right away, so a caller that skips the documented
	 * configure step still reads a real monotonic clock. */
	if (t)
		evutil_configure_monotonic_time(t, 0);
	return t;
}

void
evutil_monotonic_timer_free(struct evutil_monotonic_timer *timer)
{
	mm_free(timer);
}

/* Does this kernel have CLOCK_MONOTONIC_COARSE (Linux 2.6.32 and later)? */
static int
have_coarse_clock(void)
{
	struct timespec ts;

	return clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == 0;
}

int
evutil_configure_monotonic_time(struct evutil_monotonic_timer *timer, int flags)
{
	if (!timer) {
		event_warnx("%s: NULL timer", __func__);
		return -1;
	}
	if (flags & ~KNOWN_FLAGS) {
		event_warnx("%s: unknown flags %#x", __func__, (unsigned)flags);
		return -1;
	}
	memset(timer, 0, sizeof(*timer));
	if (flags & EV_MONOT_FALLBACK) {
		timer->use_wallclock = 1;
	} else if (!(flags & EV_MONOT_PRECISE) && have_coarse_clock()) {
		timer->clock = CLOCK_MONOTONIC_COARSE;
	} else {
		timer->clock = CLOCK_MONOTONIC;
	}
	timer->configured = 1;
	return 0;
}

/* Reads gettimeofday into *tp, hiding backward steps (see the top). */
static int
wallclock_monotonic(struct evutil_monotonic_timer *t, struct timeval *tp)
{
	struct timeval raw;

	if (gettimeofday(&raw, NULL) < 0) {
		event_warn("gettimeofday");
		return -1;
	}
	if (timerisset(&t->last_raw) && timercmp(&raw, &t->last_raw, <)) {
		struct timeval step;
		timersub(&t->last_raw, &raw, &step);
		timeradd(&t->adjust, &step, &t->adjust);
	}
	t->last_raw = raw;
	timeradd(&raw, &t->adjust, tp);
	return 0;
}

int
evutil_gettime_monotonic(struct evutil_monotonic_timer *timer, struct timeval *tp)
{
	struct timespec ts;

	if (!timer || !tp) {
		event_warnx("%s: NULL %s", __func__, timer ? "result" : "timer");
		return -1;
	}
	if (!timer->configured && evutil_configure_monotonic_time(timer, 0) < 0)
		return -1;
	if (timer->use_wallclock)
		return wallclock_monotonic(timer, tp);
	if (clock_gettime(timer->clock, &ts) < 0) {
		event_warn("clock_gettime(%d)", (int)timer->clock);
		return -1;
	}
	tp->tv_sec = ts.tv_sec;
	tp->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

/* ---- dates ------------------------------------------------------------------ */

int
evutil_date_rfc1123(char *date, const size_t datelen, const struct tm *tm)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm now;

	if (!date && datelen > 0) {
		event_warnx("%s: NULL buffer", __func__);
		return -1;
	}
	if (!tm) {
		time_t t = time(NULL);
		if (!gmtime_r(&t, &now)) {
			event_warn("gmtime_r");
			return -1;
		}
		tm = &now;
	}
	if (tm->tm_wday < 0 || tm->tm_wday > 6 || tm->tm_mon < 0 || tm->tm_mon > 11) {
		event_warnx("%s: struct tm out of range (wday %d, mon %d)", __func__,
		    tm->tm_wday, tm->tm_mon);
		if (datelen > 0)
			date[0] = '\0';
		return -1;
	}
	return evutil_snprintf(date, datelen, "%s, %02d %s %4ld %02d:%02d:%02d GMT",
	    days[tm->tm_wday], tm->tm_mday, months[tm->tm_mon],
	    1900L + tm->tm_year, tm->tm_hour, tm->tm_min, tm->tm_sec);
}
