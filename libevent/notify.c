/*
 * notify.c: waking a loop that sleeps in its backend when another thread
 * adds or activates an event or asks the loop to stop.  An eventfd is
 * watched by an internal persistent read event; writing to it makes the
 * backend return.  One pending wakeup is enough, so a flag suppresses
 * redundant writes until the loop has drained the counter.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "event-internal.h"
#include "log-internal.h"

static void
drain_notify(evutil_socket_t fd, short what, void *arg)
{
	struct event_base *base = arg;
	uint64_t v;
	while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
	EVBASE_ACQUIRE_LOCK(base);
	base->is_notify_pending = 0;
	EVBASE_RELEASE_LOCK(base);
}

static int
notify_eventfd(struct event_base *base)
{
	uint64_t one = 1;
	if (base->is_notify_pending)
		return 0;
	base->is_notify_pending = 1;
	if (write(base->th_notify_fd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
		event_warn("notify: write to eventfd %d", base->th_notify_fd);
		return -1;
	}
	return 0;
}

static int
open_notify(struct event_base *base)
{
	base->th_notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (base->th_notify_fd < 0) {
		event_warn("notify: eventfd");
		return -1;
	}
	event_assign(&base->th_notify, base, base->th_notify_fd,
	    EV_READ | EV_PERSIST, drain_notify, base);
	base->th_notify.ev_flags |= EVLIST_INTERNAL;
	event_priority_set(&base->th_notify, 0);
	base->th_notify_fn = notify_eventfd;
	base->is_notify_pending = 0;
	return event_add_nolock_(&base->th_notify, NULL, 0);
}

int
event__make_notifiable(struct event_base *base)
{
	if (base->th_notify_fn)
		return 0;
	return open_notify(base);
}

int
event__make_notifiable_reinit(struct event_base *base)
{
	if (!base->th_notify_fn)
		return 0;
	event_del_nolock_(&base->th_notify, EVENT_DEL_NOBLOCK);
	close(base->th_notify_fd);
	base->th_notify_fn = NULL;
	return open_notify(base);
}

void
event__notify_free(struct event_base *base)
{
	if (!base->th_notify_fn)
		return;
	event_del_nolock_(&base->th_notify, EVENT_DEL_NOBLOCK);
	close(base->th_notify_fd);
	base->th_notify_fd = -1;
	base->th_notify_fn = NULL;
}

int
evthread_make_base_notifiable(struct event_base *base)
{
	if (!base) {
		event_warnx("evthread_make_base_notifiable: NULL base");
		return -1;
	}
	EVBASE_ACQUIRE_LOCK(base);
	int r = event__make_notifiable(base);
	EVBASE_RELEASE_LOCK(base);
	return r;
}
