/*
 * evsignal-internal.h: delivering POSIX signals through the loop.
 *
 * A signal handler may do almost nothing, so ours writes the signal
 * number as one byte into a nonblocking pipe; the base watches the read
 * end with an internal event and turns the bytes into activations.  Only
 * one base at a time receives signals (the last one that added a signal
 * event), as in libevent.
 */
#ifndef EVSIGNAL_INTERNAL_H_INCLUDED_
#define EVSIGNAL_INTERNAL_H_INCLUDED_

#include <signal.h>
#include <event2/event_struct.h>

struct event_base;

struct evsig_info {
	struct event ev_signal;      /* internal read event on pipe[0] */
	int pipe[2];                 /* -1 until the first signal event */
	int ev_signal_added;
	int ev_n_signals_added;      /* signals with a handler installed */
	struct sigaction *sh_old[NSIG]; /* handlers to restore, by signal */
};

void evsig__init(struct event_base *base);
/* Installs our handler for sig (saving the old one).  0 or -1. */
int evsig__add(struct event_base *base, int sig);
/* Restores sig's previous handler.  0 or -1. */
int evsig__del(struct event_base *base, int sig);
/* Closes the pipe and restores every handler (base teardown). */
void evsig__dealloc(struct event_base *base);
/* Recreates the pipe after fork.  0 or -1. */
int evsig__reinit(struct event_base *base);

#endif /* EVSIGNAL_INTERNAL_H_INCLUDED_ */
