/*
 * ring.c: the "ping-ring" workload, libevent's classic benchmark.
 *
 * Size N,A,W: N socketpairs, each with one persistent read event on its
 * reading end, registered once during setup.  A run writes one byte into
 * A pairs spread evenly over the ring; every read callback consumes one
 * byte and, while the run still has relay writes left (W per run), writes
 * one byte into the next pair (i+1 mod N).  A run therefore fires exactly
 * A + W read callbacks, and ends when all of them have run.
 *
 * What is timed: the A initial writes and the loop until A + W callbacks
 * ran.  Nothing else happens between runs, so every syscall a run makes is
 * inside the timed part (run-bench.sh counts them by difference, see
 * bench/README.md).  The registration is outside it: at steady state the
 * workload needs no epoll_ctl at all.
 *
 * Variants (one source):
 *   default       libevent API (engine or baseline, chosen by the link)
 *   BENCH_FLOOR   raw epoll: one level-triggered EPOLLIN registration per
 *                 pair at setup, then only epoll_wait, read and write.
 *
 * Reported: us per run, ns per fired event (ops = fired read callbacks).
 */
#define _GNU_SOURCE
#include "bench-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef BENCH_FLOOR
#include <sys/epoll.h>
#else
#include <event2/event.h>
#endif

#define WORKLOAD "ring"

struct ring {
	long n, active, writes;   /* N, A, W */
	int (*fds)[2];            /* [i][0] is read and watched, [i][1] written */
	uint64_t fired;           /* read callbacks run in this run */
	long writes_left;         /* relay writes this run may still make */
	long errors;              /* short reads or writes: a broken run */
#ifdef BENCH_FLOOR
	int ep;
	struct epoll_event *evs;
#else
	struct event_base *base;
	struct event **evs;
#endif
};

/* The callback body every variant shares: one byte in, maybe one out. */
static void
on_readable(struct ring *r, long i)
{
	char c;

	if (read(r->fds[i][0], &c, 1) != 1)
		r->errors++;
	r->fired++;
	if (r->writes_left > 0) {
		long next = i + 1 == r->n ? 0 : i + 1;
		r->writes_left--;
		if (write(r->fds[next][1], "e", 1) != 1)
			r->errors++;
	}
}

#ifdef BENCH_FLOOR

static void
ring_setup(struct ring *r)
{
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	r->evs = calloc((size_t)r->n, sizeof(*r->evs));
	if (r->ep < 0 || !r->evs)
		bench_die("epoll_create1 or calloc failed");
	for (long i = 0; i < r->n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)i };
		if (epoll_ctl(r->ep, EPOLL_CTL_ADD, r->fds[i][0], &ev) < 0)
			bench_die("epoll_ctl ADD failed");
	}
}

/* Waits once and handles every reported pair. */
static int
ring_loop_once(struct ring *r)
{
	int n = epoll_wait(r->ep, r->evs, (int)r->n, -1);

	if (n < 0)
		return -1;
	for (int k = 0; k < n; k++)
		on_readable(r, (long)r->evs[k].data.u64);
	return 0;
}

/* Polls without waiting; returns how many pairs were readable. */
static int
ring_poll_leftovers(struct ring *r)
{
	return epoll_wait(r->ep, r->evs, (int)r->n, 0);
}

static void
ring_teardown(struct ring *r)
{
	close(r->ep);
	free(r->evs);
}

#else /* libevent */

static struct ring *the_ring;

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	if (!(what & EV_READ))
		the_ring->errors++;
	on_readable(the_ring, (long)(intptr_t)arg);
}

static void
ring_setup(struct ring *r)
{
	the_ring = r;
	r->base = event_base_new();
	r->evs = calloc((size_t)r->n, sizeof(*r->evs));
	if (!r->base || !r->evs)
		bench_die("event_base_new or calloc failed");
	for (long i = 0; i < r->n; i++) {
		r->evs[i] = event_new(r->base, r->fds[i][0], EV_READ | EV_PERSIST,
		    read_cb, (void *)(intptr_t)i);
		if (!r->evs[i] || event_add(r->evs[i], NULL) < 0)
			bench_die("event_new/event_add failed for pair %ld", i);
	}
}

static int
ring_loop_once(struct ring *r)
{
	/* 0 means it ran; 1 (nothing pending) would spin forever here. */
	return event_base_loop(r->base, EVLOOP_ONCE) == 0 ? 0 : -1;
}

static int
ring_poll_leftovers(struct ring *r)
{
	uint64_t before = r->fired;

	if (event_base_loop(r->base, EVLOOP_NONBLOCK) < 0)
		return -1;
	return (int)(r->fired - before);
}

static void
ring_teardown(struct ring *r)
{
	for (long i = 0; i < r->n; i++)
		event_free(r->evs[i]);
	free(r->evs);
	event_base_free(r->base);
}

#endif

/* One run: seed A bytes, relay W more, wait for all A + W callbacks. */
static void
ring_run(struct ring *r, const char *size)
{
	uint64_t want = (uint64_t)(r->active + r->writes);
	long spacing = r->n / r->active;

	r->fired = 0;
	r->writes_left = r->writes;
	for (long j = 0; j < r->active; j++)
		if (write(r->fds[j * spacing][1], "e", 1) != 1)
			r->errors++;
	while (r->fired < want && !r->errors)
		if (ring_loop_once(r) < 0)
			bench_die("the event loop failed");
	if (r->errors)
		bench_miscount(WORKLOAD, size, "io_errors", 0, (uint64_t)r->errors);
	if (r->fired != want || r->writes_left != 0)
		bench_miscount(WORKLOAD, size, "fired", want, r->fired);
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	struct ring r = { 0 };
	long v[3];

	bench_check_origin();
	bench_parse(argc, argv, "100,1,100", &o);
	if (bench_parse_list(o.size, v, 3) != 3 || v[1] > v[0])
		bench_die("size must be N,A,W with 0 < A <= N, got '%s'", o.size);
	r.n = v[0];
	r.active = v[1];
	r.writes = v[2];
	bench_watchdog(300);
	if (bench_raise_nofile(2 * r.n + 64) < 0)
		bench_die("cannot open %ld descriptors", 2 * r.n + 64);
	r.fds = calloc((size_t)r.n, sizeof(*r.fds));
	if (!r.fds)
		bench_die("out of memory");
	for (long i = 0; i < r.n; i++)
		if (bench_socketpair(r.fds[i]) < 0)
			bench_die("socketpair %ld failed", i);
	ring_setup(&r);

	for (long i = 0; i < o.warmup; i++)
		ring_run(&r, o.size);
	for (long i = 0; i < o.runs; i++) {
		uint64_t t0 = bench_now_ns();
		ring_run(&r, o.size);
		bench_sample(WORKLOAD, o.size, i, bench_now_ns() - t0, r.fired);
	}
	/* Every byte was consumed: a further poll must find nothing. */
	int extra = ring_poll_leftovers(&r);
	if (extra != 0)
		bench_miscount(WORKLOAD, o.size, "leftover_events", 0,
		    (uint64_t)(extra < 0 ? 0 : extra));
	bench_result(WORKLOAD, o.size, (uint64_t)(r.active + r.writes));

	ring_teardown(&r);
	for (long i = 0; i < r.n; i++) {
		close(r.fds[i][0]);
		close(r.fds[i][1]);
	}
	free(r.fds);
	return 0;
}
