/*
 * pingpong.c: P pairs of socket bufferevents echoing B-byte messages.
 *
 * Size B,P,R: P socketpairs; on each, a client end and a server end.  A
 * run starts every client by sending one B-byte message; the server echoes
 * whatever it reads; when a client has the whole B bytes back it counts one
 * round trip and sends the next message, R rounds per pair.  The run ends
 * when every pair finished its R rounds: P * R round trips, 2 * P * R
 * messages.  Nothing happens between runs, so every syscall of a run is a
 * timed-part syscall.  During warm-up runs the client also checks every
 * echoed byte (untimed, so corruption cannot pass unnoticed).
 *
 * Variants (one source):
 *   default       bufferevent API (engine or baseline): bufferevent_socket_new
 *                 on both ends; the server moves its input to its output
 *                 with bufferevent_write_buffer; the client drains B bytes
 *                 and bufferevent_write()s the next message
 *   BENCH_FLOOR   raw epoll, level-triggered EPOLLIN on every end at setup;
 *                 read, then write right away; EPOLLOUT is armed only if a
 *                 write came back short (the kernel said "full")
 *
 * Reported: ns per round trip (ops = P * R per run); syscalls per message
 * are syscalls per op / 2.
 */
#define _GNU_SOURCE
#include "bench-common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef BENCH_FLOOR
#include <sys/epoll.h>
#else
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#endif

#define WORKLOAD "pingpong"

struct pp;

struct pair {
	struct pp *pp;
	int fds[2];             /* [0] client end, [1] server end */
	long rounds;            /* round trips finished in this run */
#ifdef BENCH_FLOOR
	/* Floor bookkeeping per end: bytes received of the current message
	 * (client) and the echo bytes not yet written (server). */
	size_t got;
	unsigned char *cbuf;    /* client receive buffer, B bytes */
	unsigned char *sbuf;    /* server echo buffer, B bytes */
	size_t s_off, s_len;
	const unsigned char *c_out;  /* client bytes not yet written */
	size_t c_left;
	int out_armed[2];       /* EPOLLOUT currently armed per end */
#else
	struct bufferevent *client, *server;
#endif
};

struct pp {
	long bytes, npairs, rounds;   /* B, P, R */
	unsigned char *msg;           /* the B-byte message */
	struct pair *pairs;
	long pairs_done;
	long errors;
	int verify;                   /* compare echoed bytes (warm-up only) */
#ifdef BENCH_FLOOR
	int ep;
	struct epoll_event *evs;
#else
	struct event_base *base;
#endif
};

/* A client got one whole echo back: count it, maybe send the next one.
 * Returns 1 when the caller should send the next message. */
static int
round_done(struct pair *p)
{
	struct pp *pp = p->pp;

	if (++p->rounds < pp->rounds)
		return 1;
	pp->pairs_done++;
	return 0;
}

#ifdef BENCH_FLOOR

/* Kernel interest of one end: EPOLLIN always, EPOLLOUT only while a short
 * write left bytes behind.  Index encodes pair * 2 + end. */
static void
set_out(struct pp *pp, struct pair *p, int end, int on)
{
	long idx = (p - pp->pairs) * 2 + end;
	struct epoll_event ev = {
		.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u64 = (uint64_t)idx };

	if (p->out_armed[end] == on)
		return;
	if (epoll_ctl(pp->ep, EPOLL_CTL_MOD, p->fds[end], &ev) < 0)
		pp->errors++;
	p->out_armed[end] = on;
}

/* Writes as much of [*buf, *buf + *len) as the kernel takes. */
static void
flush_some(struct pp *pp, struct pair *p, int end, const unsigned char **buf,
    size_t *len)
{
	ssize_t w = write(p->fds[end], *buf, *len);

	if (w < 0 && errno != EAGAIN)
		pp->errors++;
	if (w > 0) {
		*buf += w;
		*len -= (size_t)w;
	}
	set_out(pp, p, end, *len > 0);
}

static void
client_send(struct pp *pp, struct pair *p)
{
	p->c_out = pp->msg;
	p->c_left = (size_t)pp->bytes;
	flush_some(pp, p, 0, &p->c_out, &p->c_left);
}

static void
client_readable(struct pp *pp, struct pair *p)
{
	ssize_t n = read(p->fds[0], p->cbuf + p->got, (size_t)pp->bytes - p->got);

	if (n <= 0) {
		pp->errors++;
		return;
	}
	p->got += (size_t)n;
	if (p->got < (size_t)pp->bytes)
		return;
	if (pp->verify && memcmp(p->cbuf, pp->msg, (size_t)pp->bytes))
		pp->errors++;
	p->got = 0;
	if (round_done(p))
		client_send(pp, p);
}

static void
server_readable(struct pp *pp, struct pair *p)
{
	size_t end = p->s_off + p->s_len;
	ssize_t n;

	if (end == (size_t)pp->bytes) {   /* lockstep: cannot happen */
		pp->errors++;
		return;
	}
	n = read(p->fds[1], p->sbuf + end, (size_t)pp->bytes - end);
	if (n <= 0) {
		pp->errors++;
		return;
	}
	p->s_len += (size_t)n;
	const unsigned char *out = p->sbuf + p->s_off;
	flush_some(pp, p, 1, &out, &p->s_len);
	p->s_off = p->s_len ? (size_t)(out - p->sbuf) : 0;
}

static void
dispatch_one(struct pp *pp, uint64_t data, uint32_t events)
{
	struct pair *p = &pp->pairs[data / 2];
	int end = (int)(data % 2);

	if (events & EPOLLOUT) {
		if (end == 0) {
			flush_some(pp, p, 0, &p->c_out, &p->c_left);
		} else {
			const unsigned char *out = p->sbuf + p->s_off;
			flush_some(pp, p, 1, &out, &p->s_len);
			p->s_off = p->s_len ? (size_t)(out - p->sbuf) : 0;
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (end == 0)
			client_readable(pp, p);
		else
			server_readable(pp, p);
	}
}

static void
pp_setup(struct pp *pp)
{
	pp->ep = epoll_create1(EPOLL_CLOEXEC);
	pp->evs = calloc((size_t)pp->npairs * 2, sizeof(*pp->evs));
	if (pp->ep < 0 || !pp->evs)
		bench_die("epoll_create1 or calloc failed");
	for (long i = 0; i < pp->npairs; i++) {
		struct pair *p = &pp->pairs[i];
		p->cbuf = malloc((size_t)pp->bytes);
		p->sbuf = malloc((size_t)pp->bytes);
		if (!p->cbuf || !p->sbuf)
			bench_die("out of memory");
		for (int end = 0; end < 2; end++) {
			struct epoll_event ev = { .events = EPOLLIN,
			    .data.u64 = (uint64_t)(i * 2 + end) };
			if (epoll_ctl(pp->ep, EPOLL_CTL_ADD, p->fds[end], &ev) < 0)
				bench_die("epoll_ctl ADD failed");
		}
	}
}

static void
pp_start_pair(struct pp *pp, struct pair *p)
{
	client_send(pp, p);
}

static int
pp_loop(struct pp *pp)
{
	while (pp->pairs_done < pp->npairs && !pp->errors) {
		int n = epoll_wait(pp->ep, pp->evs, (int)pp->npairs * 2, -1);
		if (n < 0)
			return -1;
		for (int k = 0; k < n; k++)
			dispatch_one(pp, pp->evs[k].data.u64, pp->evs[k].events);
	}
	return 0;
}

static int
pp_poll_leftovers(struct pp *pp)
{
	return epoll_wait(pp->ep, pp->evs, (int)pp->npairs * 2, 0);
}

static void
pp_teardown(struct pp *pp)
{
	for (long i = 0; i < pp->npairs; i++) {
		free(pp->pairs[i].cbuf);
		free(pp->pairs[i].sbuf);
	}
	close(pp->ep);
	free(pp->evs);
}

#else /* bufferevents */

static void
stop_if_done(struct pp *pp)
{
	if (pp->pairs_done == pp->npairs || pp->errors)
		event_base_loopbreak(pp->base);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct pair *p = arg;
	struct pp *pp = p->pp;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);

	if (len < (size_t)pp->bytes)
		return;
	if (len > (size_t)pp->bytes)   /* the echo returned more than was sent */
		pp->errors++;
	if (pp->verify) {
		unsigned char *data = evbuffer_pullup(in, pp->bytes);
		if (!data || memcmp(data, pp->msg, (size_t)pp->bytes))
			pp->errors++;
	}
	evbuffer_drain(in, (size_t)pp->bytes);
	if (round_done(p) && bufferevent_write(bev, pp->msg, (size_t)pp->bytes) < 0)
		pp->errors++;
	stop_if_done(pp);
}

static void
server_read_cb(struct bufferevent *bev, void *arg)
{
	struct pair *p = arg;

	if (bufferevent_write_buffer(bev, bufferevent_get_input(bev)) < 0)
		p->pp->errors++;
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct pair *p = arg;

	(void)bev;
	(void)what;  /* EOF, error or timeout: none belongs in a run */
	p->pp->errors++;
	stop_if_done(p->pp);
}

static struct bufferevent *
make_end(struct pp *pp, struct pair *p, int fd, bufferevent_data_cb readcb)
{
	struct bufferevent *bev = bufferevent_socket_new(pp->base, fd, 0);

	if (!bev)
		bench_die("bufferevent_socket_new failed");
	bufferevent_setcb(bev, readcb, NULL, event_cb, p);
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) < 0)
		bench_die("bufferevent_enable failed");
	return bev;
}

static void
pp_setup(struct pp *pp)
{
	pp->base = event_base_new();
	if (!pp->base)
		bench_die("event_base_new failed");
	for (long i = 0; i < pp->npairs; i++) {
		struct pair *p = &pp->pairs[i];
		p->client = make_end(pp, p, p->fds[0], client_read_cb);
		p->server = make_end(pp, p, p->fds[1], server_read_cb);
	}
}

static void
pp_start_pair(struct pp *pp, struct pair *p)
{
	if (bufferevent_write(p->client, pp->msg, (size_t)pp->bytes) < 0)
		pp->errors++;
}

static int
pp_loop(struct pp *pp)
{
	while (pp->pairs_done < pp->npairs && !pp->errors)
		if (event_base_dispatch(pp->base) < 0)
			return -1;
	return 0;
}

static int
pp_poll_leftovers(struct pp *pp)
{
	long before = pp->errors;

	if (event_base_loop(pp->base, EVLOOP_NONBLOCK) < 0)
		return -1;
	for (long i = 0; i < pp->npairs; i++) {
		struct pair *p = &pp->pairs[i];
		if (evbuffer_get_length(bufferevent_get_input(p->client)) ||
		    evbuffer_get_length(bufferevent_get_input(p->server)) ||
		    evbuffer_get_length(bufferevent_get_output(p->client)) ||
		    evbuffer_get_length(bufferevent_get_output(p->server)))
			pp->errors++;
	}
	return (int)(pp->errors - before);
}

static void
pp_teardown(struct pp *pp)
{
	for (long i = 0; i < pp->npairs; i++) {
		bufferevent_free(pp->pairs[i].client);
		bufferevent_free(pp->pairs[i].server);
	}
	event_base_free(pp->base);
}

#endif

static void
pp_run(struct pp *pp, const char *size)
{
	uint64_t want = (uint64_t)(pp->npairs * pp->rounds), got = 0;

	pp->pairs_done = 0;
	for (long i = 0; i < pp->npairs; i++)
		pp->pairs[i].rounds = 0;
	for (long i = 0; i < pp->npairs; i++)
		pp_start_pair(pp, &pp->pairs[i]);
	if (pp_loop(pp) < 0)
		bench_die("the event loop failed");
	for (long i = 0; i < pp->npairs; i++)
		got += (uint64_t)pp->pairs[i].rounds;
	if (pp->errors)
		bench_miscount(WORKLOAD, size, "errors", 0, (uint64_t)pp->errors);
	if (got != want)
		bench_miscount(WORKLOAD, size, "round_trips", want, got);
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	struct pp pp = { 0 };
	long v[3];

	bench_check_origin();
	bench_parse(argc, argv, "64,1,1000", &o);
	if (bench_parse_list(o.size, v, 3) != 3 || v[0] > (16L << 20))
		bench_die("size must be B,P,R (B <= 16 MiB), got '%s'", o.size);
	pp.bytes = v[0];
	pp.npairs = v[1];
	pp.rounds = v[2];
	bench_watchdog(300);
	if (bench_raise_nofile(2 * pp.npairs + 64) < 0)
		bench_die("cannot open %ld descriptors", 2 * pp.npairs + 64);
	pp.msg = malloc((size_t)pp.bytes);
	pp.pairs = calloc((size_t)pp.npairs, sizeof(*pp.pairs));
	if (!pp.msg || !pp.pairs)
		bench_die("out of memory");
	for (long k = 0; k < pp.bytes; k++)
		pp.msg[k] = (unsigned char)(k * 131 + k / 251);
	for (long i = 0; i < pp.npairs; i++) {
		pp.pairs[i].pp = &pp;
		if (bench_socketpair(pp.pairs[i].fds) < 0)
			bench_die("socketpair %ld failed", i);
	}
	pp_setup(&pp);

	pp.verify = 1;
	for (long i = 0; i < o.warmup; i++)
		pp_run(&pp, o.size);
	pp.verify = 0;
	for (long i = 0; i < o.runs; i++) {
		uint64_t t0 = bench_now_ns();
		pp_run(&pp, o.size);
		bench_sample(WORKLOAD, o.size, i, bench_now_ns() - t0,
		    (uint64_t)(pp.npairs * pp.rounds));
	}
	int extra = pp_poll_leftovers(&pp);
	if (extra != 0)
		bench_miscount(WORKLOAD, o.size, "leftover_events", 0,
		    (uint64_t)(extra < 0 ? 0 : extra));
	bench_result(WORKLOAD, o.size, (uint64_t)(pp.npairs * pp.rounds));

	pp_teardown(&pp);
	for (long i = 0; i < pp.npairs; i++) {
		close(pp.pairs[i].fds[0]);
		close(pp.pairs[i].fds[1]);
	}
	free(pp.pairs);
	free(pp.msg);
	return 0;
}
