/*
 * cascade.c: one write ripples down a chain of N socketpairs.
 *
 * Every link i has one NON-persistent read event (EV_READ, no EV_PERSIST)
 * with a 60 s timeout on the reading end of pair i.  Setup registers all N
 * once.  A run writes one byte into pair 0; link i's callback reads the
 * byte, re-adds its own event (event_add with the 60 s timeout again, so
 * the chain is ready for the next run) and writes one byte into pair i+1.
 * A run fires exactly N callbacks; the timeout never expires (a timeout
 * callback counts as an error).
 *
 * What is timed: the first write and the loop until N callbacks ran, so
 * the registrations (the N event_add calls in the callbacks) are inside
 * the timed part, and nothing happens between runs: every syscall of a run
 * is a timed-part syscall.  Stock libevent pays an epoll_ctl DEL when the
 * event fires and an ADD when it is re-added: 2 per fired event.
 *
 * Variants (one source):
 *   default               libevent API (engine or baseline)
 *   BENCH_FLOOR           raw epoll, level-triggered EPOLLIN registered
 *                         once: a re-add changes nothing in the kernel, so
 *                         the floor makes no epoll_ctl at all in a run
 *                         (the absolute limit of this workload)
 *   BENCH_FLOOR_ONESHOT   raw epoll with EPOLLONESHOT: the kernel disarms
 *                         a link when it reports it, the re-add is one
 *                         EPOLL_CTL_MOD, never a DEL (the one-shot limit)
 *
 * Reported: us per run, ns per fired event (ops = N per run).
 */
#define _GNU_SOURCE
#include "bench-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(BENCH_FLOOR) || defined(BENCH_FLOOR_ONESHOT)
#define CASCADE_RAW 1
#include <sys/epoll.h>
#else
#include <event2/event.h>
#endif

#define WORKLOAD "cascade"
#define LINK_TIMEOUT_S 60

struct cascade {
	long n;
	int (*fds)[2];      /* [i][0] watched by link i, [i][1] written by i-1 */
	uint64_t fired;     /* callbacks run in this run */
	long errors;        /* short I/O, a timeout, a failed re-add */
#ifdef CASCADE_RAW
	int ep;
#else
	struct event_base *base;
	struct event **evs;
#endif
};

static void rearm(struct cascade *c, long i);

/* The callback body every variant shares. */
static void
on_link(struct cascade *c, long i)
{
	char ch;

	if (read(c->fds[i][0], &ch, 1) != 1)
		c->errors++;
	c->fired++;
	rearm(c, i);
	if (i + 1 < c->n && write(c->fds[i + 1][1], "e", 1) != 1)
		c->errors++;
}

#ifdef CASCADE_RAW

#ifdef BENCH_FLOOR_ONESHOT
#define LINK_EVENTS (EPOLLIN | EPOLLONESHOT)
#else
#define LINK_EVENTS EPOLLIN
#endif

static void
rearm(struct cascade *c, long i)
{
#ifdef BENCH_FLOOR_ONESHOT
	struct epoll_event ev = { .events = LINK_EVENTS, .data.u64 = (uint64_t)i };
	if (epoll_ctl(c->ep, EPOLL_CTL_MOD, c->fds[i][0], &ev) < 0)
		c->errors++;
#else
	(void)c;
	(void)i;  /* still registered: level-triggered needs no change */
#endif
}

static void
cascade_setup(struct cascade *c)
{
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0)
		bench_die("epoll_create1 failed");
	for (long i = 0; i < c->n; i++) {
		struct epoll_event ev = { .events = LINK_EVENTS, .data.u64 = (uint64_t)i };
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, c->fds[i][0], &ev) < 0)
			bench_die("epoll_ctl ADD failed");
	}
}

static int
cascade_loop(struct cascade *c, int timeout_ms)
{
	struct epoll_event evs[64];
	int n = epoll_wait(c->ep, evs, 64, timeout_ms);

	for (int k = 0; k < n; k++)
		on_link(c, (long)evs[k].data.u64);
	return n;
}

static int
cascade_loop_once(struct cascade *c)
{
	return cascade_loop(c, LINK_TIMEOUT_S * 1000) < 0 ? -1 : 0;
}

static int
cascade_poll_leftovers(struct cascade *c)
{
	return cascade_loop(c, 0);
}

static void
cascade_teardown(struct cascade *c)
{
	close(c->ep);
}

#else /* libevent */

static struct cascade *the_chain;
static const struct timeval link_timeout = { LINK_TIMEOUT_S, 0 };

static void
rearm(struct cascade *c, long i)
{
	if (event_add(c->evs[i], &link_timeout) < 0)
		c->errors++;
}

static void
link_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	if (what != EV_READ)  /* EV_TIMEOUT: 60 s went by, the run is broken */
		the_chain->errors++;
	on_link(the_chain, (long)(intptr_t)arg);
}

static void
cascade_setup(struct cascade *c)
{
	the_chain = c;
	c->base = event_base_new();
	c->evs = calloc((size_t)c->n, sizeof(*c->evs));
	if (!c->base || !c->evs)
		bench_die("event_base_new or calloc failed");
	for (long i = 0; i < c->n; i++) {
		c->evs[i] = event_new(c->base, c->fds[i][0], EV_READ, link_cb,
		    (void *)(intptr_t)i);
		if (!c->evs[i] || event_add(c->evs[i], &link_timeout) < 0)
			bench_die("event_new/event_add failed for link %ld", i);
	}
}

static int
cascade_loop_once(struct cascade *c)
{
	return event_base_loop(c->base, EVLOOP_ONCE) == 0 ? 0 : -1;
}

static int
cascade_poll_leftovers(struct cascade *c)
{
	uint64_t before = c->fired;

	if (event_base_loop(c->base, EVLOOP_NONBLOCK) < 0)
		return -1;
	return (int)(c->fired - before);
}

static void
cascade_teardown(struct cascade *c)
{
	for (long i = 0; i < c->n; i++)
		event_free(c->evs[i]);
	free(c->evs);
	event_base_free(c->base);
}

#endif

/* One run: kick pair 0 and wait until all N links fired. */
static void
cascade_run(struct cascade *c, const char *size)
{
	c->fired = 0;
	if (write(c->fds[0][1], "e", 1) != 1)
		c->errors++;
	while (c->fired < (uint64_t)c->n && !c->errors)
		if (cascade_loop_once(c) < 0)
			bench_die("the event loop failed");
	if (c->errors)
		bench_miscount(WORKLOAD, size, "errors", 0, (uint64_t)c->errors);
	if (c->fired != (uint64_t)c->n)
		bench_miscount(WORKLOAD, size, "fired", (uint64_t)c->n, c->fired);
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	struct cascade c = { 0 };
	long n;

	bench_check_origin();
	bench_parse(argc, argv, "100", &o);
	if (bench_parse_list(o.size, &n, 1) != 1)
		bench_die("size must be N > 0, got '%s'", o.size);
	c.n = n;
	bench_watchdog(300);
	if (bench_raise_nofile(2 * c.n + 64) < 0)
		bench_die("cannot open %ld descriptors", 2 * c.n + 64);
	c.fds = calloc((size_t)c.n, sizeof(*c.fds));
	if (!c.fds)
		bench_die("out of memory");
	for (long i = 0; i < c.n; i++)
		if (bench_socketpair(c.fds[i]) < 0)
			bench_die("socketpair %ld failed", i);
	cascade_setup(&c);

	for (long i = 0; i < o.warmup; i++)
		cascade_run(&c, o.size);
	for (long i = 0; i < o.runs; i++) {
		uint64_t t0 = bench_now_ns();
		cascade_run(&c, o.size);
		bench_sample(WORKLOAD, o.size, i, bench_now_ns() - t0, c.fired);
	}
	int extra = cascade_poll_leftovers(&c);
	if (extra != 0)
		bench_miscount(WORKLOAD, o.size, "leftover_events", 0,
		    (uint64_t)(extra < 0 ? 0 : extra));
	bench_result(WORKLOAD, o.size, (uint64_t)c.n);

	cascade_teardown(&c);
	for (long i = 0; i < c.n; i++) {
		close(c.fds[i][0]);
		close(c.fds[i][1]);
	}
	free(c.fds);
	return 0;
}
