/*
 * signal.c: signal events (see evsignal-internal.h for the scheme).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/* The base receiving signals and its pipe's write end.  Written under
 * evsig_lock by the loop; read by the handler, which must not lock. */
static struct event_base *volatile evsig_base;
static volatile int evsig_base_fd = -1;

static void
evsig_handler(int sig)
{
	int saved = errno;
	unsigned char msg = (unsigned char)sig;
	int fd = evsig_base_fd;
	if (fd >= 0) {
		ssize_t n = write(fd, &msg, 1);
		(void)n; /* a full pipe already holds a wakeup */
	}
	errno = saved;
}

/* Reads the pipe and activates signal events with their counts. */
static void
evsig_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event_base *base = arg;
	int ncaught[NSIG];
	unsigned char buf[1024];

	memset(ncaught, 0, sizeof(ncaught));
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] < NSIG)
				ncaught[buf[i]]++;
	}
	for (int sig = 1; sig < NSIG; sig++)
		if (ncaught[sig])
			evmap__signal_active(base, sig, ncaught[sig]);
}

void
evsig__init(struct event_base *base)
{
	memset(&base->sig, 0, sizeof(base->sig));
	base->sig.pipe[0] = base->sig.pipe[1] = -1;
}

static int
open_pipe(struct event_base *base)
{
	if (pipe2(base->sig.pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		event_warn("signal: pipe2");
		base->sig.pipe[0] = base->sig.pipe[1] = -1;
		return -1;
	}
	event_assign(&base->sig.ev_signal, base, base->sig.pipe[0],
	    EV_READ | EV_PERSIST, evsig_cb, base);
	base->sig.ev_signal.ev_flags |= EVLIST_INTERNAL;
	event_priority_set(&base->sig.ev_signal, 0);
	return 0;
}

static void
claim_signals(struct event_base *base)
{
	if (evsig_base && evsig_base != base &&
	    evsig_base->sig.ev_n_signals_added > 0)
		event_warnx("signal: a second base now receives the signals");
	evsig_base = base;
	evsig_base_fd = base->sig.pipe[1];
}

int
evsig__add(struct event_base *base, int sig)
{
	struct evsig_info *info = &base->sig;

	if (info->pipe[0] < 0 && open_pipe(base) < 0)
		return -1;
	struct sigaction *old = mm_malloc(sizeof(*old));
	if (!old) {
		event_warn("signal: cannot save the handler of %d", sig);
		return -1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = evsig_handler;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(sig, &sa, old) < 0) {
		event_warn("signal: sigaction(%d)", sig);
		mm_free(old);
		return -1;
	}
	info->sh_old[sig] = old;
	claim_signals(base);
	if (!info->ev_signal_added) {
		if (event_add_nolock_(&info->ev_signal, NULL, 0) < 0) {
			sigaction(sig, old, NULL);
			info->sh_old[sig] = NULL;
			mm_free(old);
			return -1;
		}
		info->ev_signal_added = 1;
	}
	info->ev_n_signals_added++;
	return 0;
}

int
evsig__del(struct event_base *base, int sig)
{
	struct evsig_info *info = &base->sig;
	struct sigaction *old = info->sh_old[sig];
	int rv = 0;

	if (!old)
		return 0;
	if (sigaction(sig, old, NULL) < 0) {
		event_warn("signal: restoring the handler of %d", sig);
		rv = -1;
	}
	info->sh_old[sig] = NULL;
	mm_free(old);
	info->ev_n_signals_added--;
	return rv;
}

void
evsig__dealloc(struct event_base *base)
{
	struct evsig_info *info = &base->sig;

	if (info->ev_signal_added) {
		event_del_nolock_(&info->ev_signal, EVENT_DEL_NOBLOCK);
		info->ev_signal_added = 0;
	}
	for (int sig = 1; sig < NSIG; sig++)
		if (info->sh_old[sig])
			evsig__del(base, sig);
	if (evsig_base == base) {
		evsig_base = NULL;
		evsig_base_fd = -1;
	}
	for (int i = 0; i < 2; i++) {
		if (info->pipe[i] >= 0)
			close(info->pipe[i]);
		info->pipe[i] = -1;
	}
}

int
evsig__reinit(struct event_base *base)
{
	struct evsig_info *info = &base->sig;
	int was_added = info->ev_signal_added;

	if (info->pipe[0] < 0)
		return 0;
	if (was_added)
		event_del_nolock_(&info->ev_signal, EVENT_DEL_NOBLOCK);
	info->ev_signal_added = 0;
	close(info->pipe[0]);
	close(info->pipe[1]);
	if (open_pipe(base) < 0)
		return -1;
	if (evsig_base == base)
		evsig_base_fd = info->pipe[1];
	if (was_added) {
		if (event_add_nolock_(&info->ev_signal, NULL, 0) < 0)
			return -1;
		info->ev_signal_added = 1;
	}
	return 0;
}
