/*
 * test-bufferevent.c: socket bufferevents.
 *
 * Echo over socketpairs and TCP loopback with random chunk sizes,
 * watermarks, read and write timeouts, EOF and errors, connecting,
 * deferred callbacks, freeing from inside every callback, the 1.x calls,
 * and bad input.  Subtle expectations (event flags, which callbacks run
 * when, what stays enabled) were checked against stock libevent 2.1.12
 * with scratch programs before being written down here.
 *
 * Every test fails if the engine logs a warning it did not announce.
 */
#include <netdb.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/bufferevent_compat.h>
#include <event2/listener.h>

#include "bev-test.h"

static struct event_base *base;

static void
setup(void)
{
	bt_setup_logging();
	base = event_base_new();
	cr_assert_not_null(base);
}

static void
teardown(void)
{
	if (base)
		event_base_free(base);
	base = NULL;
}

TestSuite(bufferevent, .init = setup, .fini = teardown, .timeout = 30);

/* ---- echo ------------------------------------------------------------------ */

struct echo_client {
	struct bufferevent *bev;
	uint32_t seed;
	uint64_t rng;
	size_t total, sent, received;
	size_t mismatches;
	uint64_t sum_sent, sum_received;
	int done;
	short error;
};

static uint64_t
fnv_add(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Queues more random-sized chunks while the output is short. */
static void
client_send_more(struct echo_client *c)
{
	static unsigned char buf[65536];

	while (c->sent < c->total &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) < 128 * 1024) {
		size_t n = 1 + bt_rand(&c->rng) % sizeof(buf);
		if (n > c->total - c->sent)
			n = c->total - c->sent;
		bt_stream_fill(c->seed, c->sent, buf, n);
		c->sum_sent = fnv_add(c->sum_sent, buf, n);
		cr_assert_eq(bufferevent_write(c->bev, buf, n), 0);
		c->sent += n;
	}
}

static void
client_writecb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	client_send_more(arg);
}

static void
client_readcb(struct bufferevent *bev, void *arg)
{
	struct echo_client *c = arg;
	unsigned char buf[8192];
	int n;

	while ((n = evbuffer_remove(bufferevent_get_input(bev), buf, sizeof(buf))) > 0) {
		c->mismatches += bt_stream_mismatches(c->seed, c->received, buf, (size_t)n);
		c->sum_received = fnv_add(c->sum_received, buf, (size_t)n);
		c->received += (size_t)n;
	}
	if (c->received >= c->total)
		c->done = 1;
}

static void
client_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct echo_client *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	c->error = what;
	c->done = 1;
}

static void
echo_readcb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

static void
echo_eventcb(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void
echo_client_init(struct echo_client *c, struct bufferevent *bev, size_t total)
{
	memset(c, 0, sizeof(*c));
	c->bev = bev;
	c->seed = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	c->rng = c->seed | 1;
	c->total = total;
	c->sum_sent = c->sum_received = 0xcbf29ce484222325ull;
	bufferevent_setcb(bev, client_readcb, client_writecb, client_eventcb, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void
echo_client_check(const struct echo_client *c)
{
	cr_assert_eq(c->error, 0, "client event 0x%x (seed %u)", c->error, c->seed);
	cr_assert_eq(c->received, c->total, "received %zu of %zu (seed %u)", c->received,
	    c->total, c->seed);
	cr_assert_eq(c->mismatches, 0, "%zu corrupted bytes (seed %u)", c->mismatches, c->seed);
	cr_assert_eq(c->sum_sent, c->sum_received, "checksum mismatch (seed %u)", c->seed);
}

static void
socketpair_echo(size_t total, size_t server_max_read, int options)
{
	int sv[2];
	struct bufferevent *server, *client;
	struct echo_client c;

	bt_socketpair(sv);
	server = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE | options);
	client = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE | options);
	cr_assert(server && client);
	if (server_max_read)
		bufferevent_set_max_single_read(server, server_max_read);
	bufferevent_setcb(server, echo_readcb, NULL, echo_eventcb, NULL);
	bufferevent_enable(server, EV_READ);
	echo_client_init(&c, client, total);
	client_send_more(&c);
	bt_loop_until(base, &c.done, 20);
	echo_client_check(&c);
	bufferevent_free(client);
	bt_loop_for(base, 0.01); /* the server sees EOF and frees itself */
}

Test(bufferevent, echo_socketpair_random_chunks)
{
	socketpair_echo(4 * 1024 * 1024, 0, 0);
}

Test(bufferevent, echo_socketpair_small_reads)
{
	/* Reads capped at an odd size: every message spans several reads. */
	socketpair_echo(512 * 1024, 1000, 0);
}

Test(bufferevent, echo_socketpair_deferred_callbacks)
{
	socketpair_echo(2 * 1024 * 1024, 0, BEV_OPT_DEFER_CALLBACKS);
}

static void
accept_echo_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct bufferevent *bev;

	(void)lev;
	(void)sa;
	(void)socklen;
	(void)arg;
	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	cr_assert_not_null(bev);
	bufferevent_setcb(bev, echo_readcb, NULL, echo_eventcb, NULL);
	bufferevent_enable(bev, EV_READ);
}

static struct evconnlistener *
echo_listener(struct sockaddr_in *sin)
{
	struct evconnlistener *lev;
	socklen_t len = sizeof(*sin);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lev = evconnlistener_new_bind(base, accept_echo_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)sin,
	    sizeof(*sin));
	cr_assert_not_null(lev);
	cr_assert_eq(getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)sin, &len), 0);
	return lev;
}

Test(bufferevent, echo_tcp_loopback_random_chunks)
{
	struct sockaddr_in sin;
	struct evconnlistener *lev = echo_listener(&sin);
	struct bufferevent *client = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	struct echo_client c;

	echo_client_init(&c, client, 8 * 1024 * 1024);
	/* Queued before the connection exists: must go out once it does. */
	client_send_more(&c);
	cr_assert_eq(bufferevent_socket_connect(client, (struct sockaddr *)&sin, sizeof(sin)), 0);
	bt_loop_until(base, &c.done, 20);
	echo_client_check(&c);
	bufferevent_free(client);
	evconnlistener_free(lev);
	bt_loop_for(base, 0.01);
}

/* ---- watermarks ------------------------------------------------------------ */

struct counts {
	int reads, writes, events;
	short last_event;
	int last_errno;
	size_t len_at_read;  /* input length seen by the last read callback */
	size_t len_at_write; /* output length seen by the last write callback */
	size_t max_len_at_read;
	size_t max_len_at_write;
	double event_time;
	int drain; /* read callback drains the input */
	int done;
};

static void
count_readcb(struct bufferevent *bev, void *arg)
{
	struct counts *k = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	k->reads++;
	k->len_at_read = evbuffer_get_length(in);
	if (k->len_at_read > k->max_len_at_read)
		k->max_len_at_read = k->len_at_read;
	if (k->drain)
		evbuffer_drain(in, k->len_at_read);
}

static void
count_writecb(struct bufferevent *bev, void *arg)
{
	struct counts *k = arg;

	k->writes++;
	k->len_at_write = evbuffer_get_length(bufferevent_get_output(bev));
	if (k->len_at_write > k->max_len_at_write)
		k->max_len_at_write = k->len_at_write;
}

static void
count_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct counts *k = arg;

	(void)bev;
	k->events++;
	k->last_event = what;
	k->last_errno = errno;
	k->event_time = bt_now();
	k->done = 1;
}

static struct bufferevent *
counted_socket(int fd, struct counts *k, int options)
{
	struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE | options);

	cr_assert_not_null(bev);
	memset(k, 0, sizeof(*k));
	bufferevent_setcb(bev, count_readcb, count_writecb, count_eventcb, k);
	return bev;
}

Test(bufferevent, read_low_watermark)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	bufferevent_setwatermark(bev, EV_READ, 10, 0);
	bufferevent_enable(bev, EV_READ);
	cr_assert_eq(write(sv[1], "12345", 5), 5);
	bt_loop_for(base, 0.05);
	cr_assert_eq(k.reads, 0, "read callback below the low watermark");
	cr_assert_eq(evbuffer_get_length(bufferevent_get_input(bev)), 5);
	cr_assert_eq(write(sv[1], "67890", 5), 5);
	bt_loop_for(base, 0.05);
	cr_assert_eq(k.reads, 1);
	cr_assert_eq(k.len_at_read, 10);
	bufferevent_free(bev);
	close(sv[1]);
}

Test(bufferevent, read_high_watermark_pauses_reading)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;
	char data[1000];
	size_t got = 0;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	bufferevent_setwatermark(bev, EV_READ, 0, 100);
	bufferevent_enable(bev, EV_READ);
	memset(data, 'x', sizeof(data));
	cr_assert_eq(write(sv[1], data, sizeof(data)), (ssize_t)sizeof(data));
	bt_loop_for(base, 0.05);
	/* Reading stopped exactly at the mark, and the callback did not
	 * run again and again while the input stayed full. */
	cr_assert_eq(evbuffer_get_length(bufferevent_get_input(bev)), 100);
	cr_assert_eq(k.reads, 1, "read callback ran %d times", k.reads);
	/* Each drain lets another 100 bytes in. */
	while (got < sizeof(data)) {
		size_t len = evbuffer_get_length(bufferevent_get_input(bev));
		cr_assert_leq(len, 100);
		cr_assert_gt(len, 0, "reading did not resume after a drain");
		evbuffer_drain(bufferevent_get_input(bev), len);
		got += len;
		bt_loop_for(base, 0.02);
	}
	cr_assert_eq(got, sizeof(data));
	cr_assert_leq(k.max_len_at_read, 100);
	bufferevent_free(bev);
	close(sv[1]);
}

Test(bufferevent, read_high_watermark_lowered_and_cleared)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;
	char data[300];

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	bufferevent_enable(bev, EV_READ);
	bufferevent_setwatermark(bev, EV_READ, 0, 50);
	memset(data, 'y', sizeof(data));
	cr_assert_eq(write(sv[1], data, sizeof(data)), (ssize_t)sizeof(data));
	bt_loop_for(base, 0.03);
	cr_assert_eq(evbuffer_get_length(bufferevent_get_input(bev)), 50);
	/* No high watermark any more: the rest comes in. */
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	bt_loop_for(base, 0.03);
	cr_assert_eq(evbuffer_get_length(bufferevent_get_input(bev)), sizeof(data));
	bufferevent_free(bev);
	close(sv[1]);
}

static void
fill_output(struct bufferevent *bev, size_t total)
{
	static char chunk[65536];

	memset(chunk, 'z', sizeof(chunk));
	for (size_t n = 0; n < total; n += sizeof(chunk))
		cr_assert_eq(bufferevent_write(bev, chunk, sizeof(chunk)), 0);
}

/* Reads and discards everything available on fd; returns the count. */
static size_t
drain_fd(int fd)
{
	char buf[65536];
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	return total;
}

Test(bufferevent, write_low_watermark)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;
	size_t total = 8 * 1024 * 1024, got = 0;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	bufferevent_setwatermark(bev, EV_WRITE, 4096, 0);
	fill_output(bev, total);
	bt_loop_for(base, 0.05);
	/* The peer reads nothing: the output cannot drain. */
	cr_assert_eq(k.writes, 0, "write callback with %zu bytes still queued", k.len_at_write);
	cr_assert_gt(evbuffer_get_length(bufferevent_get_output(bev)), 4096);
	while (got < total && k.writes == 0) {
		got += drain_fd(sv[1]);
		bt_loop_for(base, 0.005);
	}
	cr_assert_eq(k.writes, 1);
	cr_assert_leq(k.len_at_write, 4096, "write callback above the low watermark");
	bufferevent_free(bev);
	close(sv[1]);
}

Test(bufferevent, write_callback_after_each_drain)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	bufferevent_write(bev, "hello", 5);
	cr_assert_eq(k.writes, 0, "write callback inside bufferevent_write");
	bt_loop_for(base, 0.02);
	cr_assert_eq(k.writes, 1);
	cr_assert_eq(k.len_at_write, 0);
	bufferevent_write(bev, "again", 5);
	bt_loop_for(base, 0.02);
	cr_assert_eq(k.writes, 2);
	cr_assert_eq(drain_fd(sv[1]), 10);
	bufferevent_free(bev);
	close(sv[1]);
}

/* A user's callbacks on the output of a socket bufferevent see every
 * append and every drain by the transport's writes, immediate or
 * deferred, and the output still goes out. */
struct out_watch {
	int calls;
	size_t added, deleted;
	size_t last_new_size;
};

static void
out_watch_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct out_watch *w = arg;

	w->calls++;
	w->added += info->n_added;
	w->deleted += info->n_deleted;
	w->last_new_size = evbuffer_get_length(buf);
	cr_assert_eq(info->orig_size + info->n_added - info->n_deleted, w->last_new_size);
}

static void
output_watched(int deferred)
{
	int sv[2];
	struct counts k;
	struct out_watch w = { 0 };
	struct bufferevent *bev;
	struct evbuffer *out;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	out = bufferevent_get_output(bev);
	if (deferred)
		cr_assert_eq(evbuffer_defer_callbacks(out, base), 0);
	cr_assert_not_null(evbuffer_add_cb(out, out_watch_cb, &w));
	bufferevent_write(bev, "one", 3);
	bufferevent_write(bev, "two!", 4);
	cr_assert_eq(w.calls, deferred ? 0 : 2);
	bt_loop_for(base, 0.02);
	cr_assert_eq(drain_fd(sv[1]), 7);
	cr_assert_eq(w.added, 7);
	cr_assert_eq(w.deleted, 7);
	cr_assert_eq(w.last_new_size, 0);
	cr_assert_eq(k.writes, 1);
	/* Removing the user's callback leaves the transport working. */
	cr_assert_eq(evbuffer_remove_cb(out, out_watch_cb, &w), 0);
	bufferevent_write(bev, "three", 5);
	bt_loop_for(base, 0.02);
	cr_assert_eq(drain_fd(sv[1]), 5);
	cr_assert_eq(w.added, 7);
	bufferevent_free(bev);
	close(sv[1]);
}

Test(bufferevent, output_callbacks_see_writes)
{
	output_watched(0);
}

Test(bufferevent, output_deferred_callbacks_see_writes)
{
	output_watched(1);
}

Test(bufferevent, write_disabled_holds_output)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	bufferevent_disable(bev, EV_WRITE);
	bufferevent_write(bev, "held", 4);
	bt_loop_for(base, 0.02);
	cr_assert_eq(drain_fd(sv[1]), 0);
	cr_assert_eq(evbuffer_get_length(bufferevent_get_output(bev)), 4);
	bufferevent_enable(bev, EV_WRITE);
	bt_loop_for(base, 0.02);
	cr_assert_eq(drain_fd(sv[1]), 4);
	bufferevent_free(bev);
	close(sv[1]);
}

/* ---- timeouts -------------------------------------------------------------- */

Test(bufferevent, read_timeout)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;
	struct timeval tv = { 0, 100000 };
	double start;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	cr_assert_eq(bufferevent_set_timeouts(bev, &tv, NULL), 0);
	bufferevent_enable(bev, EV_READ);
	start = bt_now();
	bt_loop_until(base, &k.done, 5);
	cr_assert_eq(k.last_event, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	cr_assert_geq(k.event_time - start, 0.09);
	cr_assert_lt(k.event_time - start, 1.0);
	/* The timeout disables reading. */
	cr_assert_eq(bufferevent_get_enabled(bev) & EV_READ, 0);
	bt_loop_for(base, 0.2);
	cr_assert_eq(k.events, 1, "a disabled direction timed out again");
	bufferevent_free(bev);
	close(sv[1]);
}

static void
reenable_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	bufferevent_enable(arg, EV_READ);
}

Test(bufferevent, read_timeout_reset_by_enable)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;
	struct timeval tv = { 0, 200000 }, at = { 0, 120000 };
	struct event *ev;
	double start;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	bufferevent_set_timeouts(bev, &tv, NULL);
	bufferevent_enable(bev, EV_READ);
	ev = evtimer_new(base, reenable_cb, bev);
	evtimer_add(ev, &at);
	start = bt_now();
	bt_loop_until(base, &k.done, 5);
	cr_assert_eq(k.last_event, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	/* 120 ms + 200 ms, not 200 ms. */
	cr_assert_geq(k.event_time - start, 0.30, "timeout after %.3f s",
	    k.event_time - start);
	event_free(ev);
	bufferevent_free(bev);
	close(sv[1]);
}

static void
dribble_cb(evutil_socket_t fd, short what, void *arg)
{
	int *left = arg;

	(void)what;
	if (*left > 0) {
		(*left)--;
		cr_assert_eq(write(fd, "d", 1), 1);
	}
}

Test(bufferevent, read_timeout_reset_by_data)
{
	int sv[2], left = 6;
	struct counts k;
	struct bufferevent *bev;
	struct timeval tv = { 0, 150000 }, every = { 0, 50000 };
	struct event *ev;
	double start;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	k.drain = 1;
	bufferevent_set_timeouts(bev, &tv, NULL);
	bufferevent_enable(bev, EV_READ);
	ev = event_new(base, sv[1], EV_PERSIST, dribble_cb, &left);
	event_add(ev, &every);
	start = bt_now();
	bt_loop_until(base, &k.done, 5);
	cr_assert_eq(k.last_event, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	cr_assert_eq(k.reads, 6);
	/* Six bytes 50 ms apart, then 150 ms of silence. */
	cr_assert_geq(k.event_time - start, 0.40, "timeout after %.3f s", k.event_time - start);
	event_free(ev);
	bufferevent_free(bev);
	close(sv[1]);
}

Test(bufferevent, timeouts_idle_when_not_wanted)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;
	struct timeval tv = { 0, 30000 };

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	/* Reading never enabled; writing enabled with nothing to write. */
	bufferevent_set_timeouts(bev, &tv, &tv);
	bt_loop_for(base, 0.15);
	cr_assert_eq(k.events, 0, "event 0x%x", k.last_event);
	/* Writing that completes at once leaves nothing to time out. */
	bufferevent_write(bev, "x", 1);
	bt_loop_for(base, 0.15);
	cr_assert_eq(k.events, 0, "event 0x%x", k.last_event);
	bufferevent_free(bev);
	close(sv[1]);
}

Test(bufferevent, write_timeout)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;
	struct timeval tv = { 0, 100000 };
	double start;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	bufferevent_set_timeouts(bev, NULL, &tv);
	fill_output(bev, 8 * 1024 * 1024);
	start = bt_now();
	bt_loop_until(base, &k.done, 5);
	cr_assert_eq(k.last_event, BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING);
	cr_assert_geq(k.event_time - start, 0.09);
	cr_assert_eq(bufferevent_get_enabled(bev) & EV_WRITE, 0);
	cr_assert_gt(evbuffer_get_length(bufferevent_get_output(bev)), 0);
	/* Re-enabling resumes writing. */
	drain_fd(sv[1]);
	k.done = 0;
	bufferevent_enable(bev, EV_WRITE);
	bt_loop_for(base, 0.02);
	cr_assert_gt(drain_fd(sv[1]), 0);
	bufferevent_free(bev);
	close(sv[1]);
}

static void
reenable_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	bufferevent_enable(arg, EV_WRITE);
}

Test(bufferevent, write_timeout_reset_by_enable)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;
	struct timeval tv = { 0, 200000 }, at = { 0, 120000 };
	struct event *ev;
	double start;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	bufferevent_set_timeouts(bev, NULL, &tv);
	fill_output(bev, 8 * 1024 * 1024);
	ev = evtimer_new(base, reenable_write_cb, bev);
	evtimer_add(ev, &at);
	start = bt_now();
	bt_loop_until(base, &k.done, 5);
	cr_assert_eq(k.last_event, BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING);
	cr_assert_geq(k.event_time - start, 0.30, "timeout after %.3f s", k.event_time - start);
	event_free(ev);
	bufferevent_free(bev);
	close(sv[1]);
}

Test(bufferevent, read_timeout_idle_while_suspended_at_high_watermark)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;
	struct timeval tv = { 0, 50000 };
	char data[200];

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	bufferevent_setwatermark(bev, EV_READ, 0, 100);
	bufferevent_set_timeouts(bev, &tv, NULL);
	bufferevent_enable(bev, EV_READ);
	memset(data, 's', sizeof(data));
	cr_assert_eq(write(sv[1], data, sizeof(data)), (ssize_t)sizeof(data));
	/* Full input: reading is suspended, so its timeout does not run. */
	bt_loop_for(base, 0.2);
	cr_assert_eq(k.events, 0, "event 0x%x while suspended", k.last_event);
	/* Draining resumes reading (the other 100 bytes come in and fill it
	 * again), and with reading the timeout. */
	evbuffer_drain(bufferevent_get_input(bev), 100);
	bt_loop_for(base, 0.02);
	cr_assert_eq(evbuffer_get_length(bufferevent_get_input(bev)), 100);
	cr_assert_eq(k.events, 0);
	evbuffer_drain(bufferevent_get_input(bev), 100);
	bt_loop_until(base, &k.done, 5);
	cr_assert_eq(k.last_event, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	bufferevent_free(bev);
	close(sv[1]);
}

Test(bufferevent, settimeout_compat_seconds)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	bufferevent_settimeout(bev, 1, 0);
	cr_assert_eq(bev->timeout_read.tv_sec, 1);
	cr_assert_eq(bev->timeout_write.tv_sec, 0);
	cr_assert_eq(bev->timeout_write.tv_usec, 0);
	bufferevent_free(bev);
	close(sv[1]);
}

/* ---- EOF and errors ---------------------------------------------------------- */

Test(bufferevent, eof_reported_and_reading_disabled)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	bufferevent_enable(bev, EV_READ);
	cr_assert_eq(write(sv[1], "last", 4), 4);
	close(sv[1]);
	bt_loop_until(base, &k.done, 5);
	cr_assert_eq(k.last_event, BEV_EVENT_EOF | BEV_EVENT_READING);
	cr_assert_eq(k.reads, 1, "the data before EOF is delivered");
	cr_assert_eq(evbuffer_get_length(bufferevent_get_input(bev)), 4);
	cr_assert_eq(bufferevent_get_enabled(bev) & EV_READ, 0);
	bufferevent_free(bev);
}

Test(bufferevent, connection_reset_is_a_read_error)
{
	struct sockaddr_in sin;
	int lfd = bt_tcp_listener(&sin, 4), cfd, sfd = -1;
	struct counts k;
	struct bufferevent *bev;
	struct linger lg = { 1, 0 };
	double end = bt_now() + 5;

	cfd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(cfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	while (sfd < 0 && bt_now() < end)
		sfd = accept(lfd, NULL, NULL);
	cr_assert_geq(sfd, 0);
	evutil_make_socket_nonblocking(cfd);
	bev = counted_socket(cfd, &k, 0);
	bufferevent_enable(bev, EV_READ);
	/* An abortive close sends RST. */
	setsockopt(sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(sfd);
	bt_loop_until(base, &k.done, 5);
	cr_assert_eq(k.last_event, BEV_EVENT_ERROR | BEV_EVENT_READING, "event 0x%x",
	    k.last_event);
	cr_assert_eq(k.last_errno, ECONNRESET);
	bufferevent_free(bev);
	close(lfd);
}

Test(bufferevent, write_to_closed_peer_is_a_write_error)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	close(sv[1]);
	bufferevent_write(bev, "lost", 4);
	bt_loop_until(base, &k.done, 5);
	cr_assert_eq(k.last_event, BEV_EVENT_ERROR | BEV_EVENT_WRITING);
	cr_assert_eq(k.last_errno, EPIPE);
	cr_assert_eq(bufferevent_get_enabled(bev) & EV_WRITE, 0);
	bufferevent_free(bev);
}

/* ---- connecting --------------------------------------------------------------- */

Test(bufferevent, connect_success_then_data)
{
	struct sockaddr_in sin;
	int lfd = bt_tcp_listener(&sin, 4), sfd = -1;
	struct counts k;
	struct bufferevent *bev;
	char buf[16];
	double end = bt_now() + 5;

	bev = counted_socket(-1, &k, 0);
	cr_assert_eq(bufferevent_getfd(bev), -1);
	cr_assert_eq(bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_geq(bufferevent_getfd(bev), 0, "connect made a socket");
	cr_assert_eq(k.events, 0, "CONNECTED is reported from the loop");
	bt_loop_until(base, &k.done, 5);
	cr_assert_eq(k.last_event, BEV_EVENT_CONNECTED);
	cr_assert_eq(k.writes, 0, "no write callback without a write");
	bufferevent_write(bev, "hello", 5);
	while (sfd < 0 && bt_now() < end)
		sfd = accept(lfd, NULL, NULL);
	cr_assert_geq(sfd, 0);
	bt_loop_for(base, 0.02);
	cr_assert_eq(read(sfd, buf, sizeof(buf)), 5);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
	bufferevent_free(bev);
	close(sfd);
	close(lfd);
}

Test(bufferevent, connect_with_output_queued)
{
	struct sockaddr_in sin;
	int lfd = bt_tcp_listener(&sin, 4), sfd = -1;
	struct counts k;
	struct bufferevent *bev;
	char buf[16];
	double end = bt_now() + 5;

	bev = counted_socket(-1, &k, 0);
	bufferevent_write(bev, "early", 5);
	cr_assert_eq(bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof(sin)), 0);
	bt_loop_until(base, &k.done, 5);
	cr_assert_eq(k.last_event, BEV_EVENT_CONNECTED);
	bt_loop_for(base, 0.02);
	cr_assert_eq(k.writes, 1, "the write callback follows the connect's write");
	while (sfd < 0 && bt_now() < end)
		sfd = accept(lfd, NULL, NULL);
	cr_assert_geq(sfd, 0);
	cr_assert_eq(read(sfd, buf, sizeof(buf)), 5);
	cr_assert_eq(memcmp(buf, "early", 5), 0);
	bufferevent_free(bev);
	close(sfd);
	close(lfd);
}

Test(bufferevent, connect_refused)
{
	struct sockaddr_in sin;
	int holder;
	struct counts k;
	struct bufferevent *bev;

	bt_dead_port(&sin, &holder);
	bev = counted_socket(-1, &k, 0);
	cr_assert_eq(bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof(sin)), 0);
	bt_loop_until(base, &k.done, 5);
	cr_assert_eq(k.last_event, BEV_EVENT_ERROR);
	cr_assert_eq(k.last_errno, ECONNREFUSED);
	bt_loop_for(base, 0.05);
	cr_assert_eq(k.events, 1, "a refused socket keeps reporting");
	bufferevent_free(bev);
	close(holder);
}

Test(bufferevent, connect_hostname_unresolvable)
{
	struct counts k;
	struct bufferevent *bev;

	bev = counted_socket(-1, &k, 0);
	cr_assert_eq(bufferevent_socket_connect_hostname(bev, NULL, AF_UNSPEC,
	    "no-such-host.invalid", 80), 0);
	cr_assert_eq(k.last_event, BEV_EVENT_ERROR);
	cr_assert_neq(bufferevent_socket_get_dns_error(bev), 0);
	cr_assert_not_null(evutil_gai_strerror(bufferevent_socket_get_dns_error(bev)));
	bufferevent_free(bev);
}

Test(bufferevent, connect_hostname_numeric_and_name)
{
	static const char *const names[] = { "127.0.0.1", "localhost" };

	for (int i = 0; i < 2; i++) {
		struct sockaddr_in sin;
		int lfd = bt_tcp_listener(&sin, 4);
		struct counts k;
		struct bufferevent *bev = counted_socket(-1, &k, 0);

		cr_assert_eq(bufferevent_socket_connect_hostname(bev, NULL, AF_INET, names[i],
		    ntohs(sin.sin_port)), 0);
		bt_loop_until(base, &k.done, 5);
		cr_assert_eq(k.last_event, BEV_EVENT_CONNECTED, "%s: event 0x%x", names[i],
		    k.last_event);
		cr_assert_eq(bufferevent_socket_get_dns_error(bev), 0);
		bufferevent_free(bev);
		close(lfd);
	}
}

/* ---- deferred callbacks -------------------------------------------------------- */

Test(bufferevent, deferred_event_flags_merge)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, BEV_OPT_DEFER_CALLBACKS);
	bufferevent_trigger_event(bev, BEV_EVENT_READING | BEV_EVENT_EOF, 0);
	bufferevent_trigger_event(bev, BEV_EVENT_WRITING | BEV_EVENT_ERROR, 0);
	cr_assert_eq(k.events, 0, "deferred callbacks ran synchronously");
	bt_loop_for(base, 0.02);
	cr_assert_eq(k.events, 1);
	cr_assert_eq(k.last_event,
	    BEV_EVENT_READING | BEV_EVENT_EOF | BEV_EVENT_WRITING | BEV_EVENT_ERROR);
	bufferevent_free(bev);
	close(sv[1]);
}

static short connected_order[4];
static int n_connected_order;

static void
order_eventcb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)arg;
	connected_order[n_connected_order++] = what;
}

Test(bufferevent, deferred_connected_comes_first)
{
	int sv[2];
	struct bufferevent *bev;

	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	bufferevent_setcb(bev, NULL, NULL, order_eventcb, NULL);
	bufferevent_trigger_event(bev, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
	bufferevent_trigger_event(bev, BEV_EVENT_CONNECTED, 0);
	bt_loop_for(base, 0.02);
	cr_assert_eq(n_connected_order, 2);
	cr_assert_eq(connected_order[0], BEV_EVENT_CONNECTED);
	cr_assert_eq(connected_order[1], BEV_EVENT_EOF | BEV_EVENT_READING);
	bufferevent_free(bev);
	close(sv[1]);
}

Test(bufferevent, trigger_honours_watermarks)
{
	int sv[2];
	struct counts k;
	struct bufferevent *bev;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	bufferevent_setwatermark(bev, EV_READ, 10, 0);
	bufferevent_trigger(bev, EV_READ, 0);
	cr_assert_eq(k.reads, 0, "trigger below the low watermark");
	bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
	cr_assert_eq(k.reads, 1);
	bufferevent_trigger(bev, EV_WRITE, 0);
	cr_assert_eq(k.writes, 1, "empty output is at the write low watermark");
	bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	cr_assert_eq(k.reads, 1, "deferred trigger ran synchronously");
	bt_loop_for(base, 0.02);
	cr_assert_eq(k.reads, 2);
	bufferevent_free(bev);
	close(sv[1]);
}

/* ---- freeing from inside callbacks ------------------------------------------------ */

struct freer {
	struct bufferevent *bev;
	int calls_after_free;
	int freed;
	short free_on; /* BEV_EVENT_* to free on, or 0 */
};

static void
freer_note(struct freer *f)
{
	if (f->freed)
		f->calls_after_free++;
}

static void
freer_readcb(struct bufferevent *bev, void *arg)
{
	struct freer *f = arg;

	freer_note(f);
	if (f->free_on == BEV_EVENT_READING && !f->freed) {
		f->freed = 1;
		bufferevent_free(bev);
	}
}

static void
freer_writecb(struct bufferevent *bev, void *arg)
{
	struct freer *f = arg;

	freer_note(f);
	if (f->free_on == BEV_EVENT_WRITING && !f->freed) {
		f->freed = 1;
		bufferevent_free(bev);
	}
}

static void
freer_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct freer *f = arg;

	freer_note(f);
	if ((what & f->free_on) && !f->freed &&
	    f->free_on != BEV_EVENT_READING && f->free_on != BEV_EVENT_WRITING) {
		f->freed = 1;
		bufferevent_free(bev);
	}
}

/* Frees the bufferevent from the callback selected by free_on, while
 * more work for it is pending, and checks that nothing runs afterwards
 * and that the socket was closed. */
static void
free_inside(short free_on, int options)
{
	int sv[2];
	struct freer f = { 0 };
	struct timeval tv = { 0, 20000 };
	char buf[64];

	bt_socketpair(sv);
	f.free_on = free_on;
	f.bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE | options);
	bufferevent_setcb(f.bev, freer_readcb, freer_writecb, freer_eventcb, &f);
	switch (free_on) {
	case BEV_EVENT_READING:
		bufferevent_enable(f.bev, EV_READ);
		cr_assert_eq(write(sv[1], "data", 4), 4);
		bufferevent_write(f.bev, "out", 3);
		break;
	case BEV_EVENT_WRITING:
		bufferevent_enable(f.bev, EV_READ);
		bufferevent_write(f.bev, "out", 3);
		cr_assert_eq(write(sv[1], "data", 4), 4);
		break;
	case BEV_EVENT_EOF:
		bufferevent_enable(f.bev, EV_READ);
		close(sv[1]);
		sv[1] = -1;
		break;
	case BEV_EVENT_TIMEOUT:
		bufferevent_set_timeouts(f.bev, &tv, NULL);
		bufferevent_enable(f.bev, EV_READ);
		break;
	}
	bt_loop_until(base, &f.freed, 5);
	cr_assert(f.freed, "callback for 0x%x never ran", free_on);
	bt_loop_for(base, 0.05);
	cr_assert_eq(f.calls_after_free, 0);
	if (sv[1] >= 0) {
		/* Whatever was read or written, the peer now sees EOF. */
		ssize_t n;
		while ((n = read(sv[1], buf, sizeof(buf))) > 0)
			;
		/* (A unix socket closed with unread data resets its peer.) */
		cr_assert(n == 0 || errno == ECONNRESET,
		    "the socket was not closed (0x%x, options %d, errno %d)", free_on, options, errno);
		close(sv[1]);
	}
}

Test(bufferevent, free_inside_readcb)
{
	free_inside(BEV_EVENT_READING, 0);
	free_inside(BEV_EVENT_READING, BEV_OPT_DEFER_CALLBACKS);
}

Test(bufferevent, free_inside_writecb)
{
	free_inside(BEV_EVENT_WRITING, 0);
	free_inside(BEV_EVENT_WRITING, BEV_OPT_DEFER_CALLBACKS);
}

Test(bufferevent, free_inside_eventcb_eof)
{
	free_inside(BEV_EVENT_EOF, 0);
	free_inside(BEV_EVENT_EOF, BEV_OPT_DEFER_CALLBACKS);
}

Test(bufferevent, free_inside_eventcb_timeout)
{
	free_inside(BEV_EVENT_TIMEOUT, 0);
	free_inside(BEV_EVENT_TIMEOUT, BEV_OPT_DEFER_CALLBACKS);
}

Test(bufferevent, free_inside_eventcb_connected)
{
	struct sockaddr_in sin;
	int lfd = bt_tcp_listener(&sin, 4);

	for (int defer = 0; defer < 2; defer++) {
		struct freer f = { 0 };
		f.free_on = BEV_EVENT_CONNECTED;
		f.bev = bufferevent_socket_new(base, -1,
		    BEV_OPT_CLOSE_ON_FREE | (defer ? BEV_OPT_DEFER_CALLBACKS : 0));
		bufferevent_setcb(f.bev, freer_readcb, freer_writecb, freer_eventcb, &f);
		bufferevent_write(f.bev, "queued", 6);
		bufferevent_enable(f.bev, EV_READ);
		cr_assert_eq(bufferevent_socket_connect(f.bev, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
		bt_loop_until(base, &f.freed, 5);
		cr_assert(f.freed);
		bt_loop_for(base, 0.05);
		cr_assert_eq(f.calls_after_free, 0);
	}
	close(lfd);
}

Test(bufferevent, incref_keeps_it_alive)
{
	int sv[2];
	struct bufferevent *bev;

	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_incref(bev);
	bufferevent_free(bev);
	/* Still allocated: the input can be used; the socket is open. */
	cr_assert_eq(evbuffer_get_length(bufferevent_get_input(bev)), 0);
	cr_assert_eq(bufferevent_decref(bev), 1, "the last reference frees");
	cr_assert_eq(read(sv[1], sv, 1), 0, "CLOSE_ON_FREE closed the socket");
	close(sv[1]);
}

/* ---- accessors, setfd, priorities, 1.x ------------------------------------------------ */

Test(bufferevent, accessors)
{
	int sv[2];
	struct bufferevent *bev;
	bufferevent_data_cb r, w;
	bufferevent_event_cb e;
	void *arg;
	size_t lo, hi;
	struct counts k;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	cr_assert_eq(bufferevent_get_base(bev), base);
	cr_assert_eq(bufferevent_getfd(bev), sv[0]);
	cr_assert_eq(bufferevent_get_enabled(bev), EV_WRITE, "writing starts enabled");
	cr_assert_eq(bufferevent_get_input(bev), bev->input);
	cr_assert_eq(bufferevent_get_output(bev), bev->output);
	cr_assert_null(bufferevent_get_underlying(bev));
	bufferevent_getcb(bev, &r, &w, &e, &arg);
	cr_assert(r == count_readcb && w == count_writecb && e == count_eventcb && arg == &k);
	bufferevent_getcb(bev, NULL, NULL, NULL, NULL);
	bufferevent_setwatermark(bev, EV_READ | EV_WRITE, 3, 30);
	cr_assert_eq(bufferevent_getwatermark(bev, EV_READ, &lo, &hi), 0);
	cr_assert(lo == 3 && hi == 30);
	cr_assert_eq(bufferevent_getwatermark(bev, EV_WRITE, &lo, NULL), 0);
	cr_assert_eq(lo, 3);
	cr_assert_eq(bufferevent_getwatermark(bev, EV_READ | EV_WRITE, &lo, &hi), -1);
	cr_assert_gt(bufferevent_get_max_single_read(bev), 0);
	cr_assert_eq(bufferevent_set_max_single_read(bev, 123), 0);
	cr_assert_eq(bufferevent_get_max_single_read(bev), 123);
	cr_assert_eq(bufferevent_get_max_to_read(bev), 123);
	cr_assert_eq(bufferevent_set_max_single_write(bev, 0), 0);
	cr_assert_gt(bufferevent_get_max_single_write(bev), 0);
	cr_assert_eq(bufferevent_get_read_limit(bev), EV_SSIZE_MAX);
	cr_assert_eq(bufferevent_flush(bev, EV_WRITE, BEV_FLUSH), 0);
	bufferevent_lock(bev);
	bufferevent_unlock(bev);
	bufferevent_free(bev);
	close(sv[1]);
}

Test(bufferevent, setfd_moves_to_new_socket)
{
	int a[2], b[2];
	struct counts k;
	struct bufferevent *bev;
	char buf[8];

	bt_socketpair(a);
	bt_socketpair(b);
	bev = counted_socket(a[0], &k, 0);
	k.drain = 0;
	bufferevent_enable(bev, EV_READ);
	cr_assert_eq(bufferevent_setfd(bev, b[0]), 0);
	cr_assert_eq(bufferevent_getfd(bev), b[0]);
	cr_assert_eq(write(a[1], "old", 3), 3);
	cr_assert_eq(write(b[1], "new", 3), 3);
	bt_loop_for(base, 0.03);
	cr_assert_eq(evbuffer_get_length(bufferevent_get_input(bev)), 3);
	cr_assert_eq(evbuffer_remove(bufferevent_get_input(bev), buf, 3), 3);
	cr_assert_eq(memcmp(buf, "new", 3), 0);
	bufferevent_free(bev);
	close(a[0]);
	close(a[1]);
	close(b[1]);
}

static int prio_seen[3];
static int prio_order;

static void
prio_readcb(struct bufferevent *bev, void *arg)
{
	prio_seen[(intptr_t)arg] = ++prio_order;
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
}

Test(bufferevent, priorities)
{
	struct bufferevent *bevs[3];
	int sv[3][2];

	cr_assert_eq(event_base_priority_init(base, 3), 0);
	for (int i = 0; i < 3; i++) {
		bt_socketpair(sv[i]);
		bevs[i] = bufferevent_socket_new(base, sv[i][0], BEV_OPT_CLOSE_ON_FREE);
		bufferevent_setcb(bevs[i], prio_readcb, NULL, NULL, (void *)(intptr_t)i);
		cr_assert_eq(bufferevent_priority_set(bevs[i], 2 - i), 0);
		cr_assert_eq(bufferevent_get_priority(bevs[i]), 2 - i);
		bufferevent_enable(bevs[i], EV_READ);
		cr_assert_eq(write(sv[i][1], "p", 1), 1);
	}
	bt_loop_for(base, 0.03);
	/* The most urgent (priority 0: bevs[2]) ran first. */
	cr_assert_eq(prio_seen[2], 1);
	cr_assert_eq(prio_seen[1], 2);
	cr_assert_eq(prio_seen[0], 3);
	for (int i = 0; i < 3; i++) {
		bufferevent_free(bevs[i]);
		close(sv[i][1]);
	}
}

Test(bufferevent, base_set_moves_an_idle_bufferevent)
{
	struct event_base *other = event_base_new();
	int sv[2];
	struct counts k;
	struct bufferevent *bev;

	bt_socketpair(sv);
	bev = counted_socket(sv[0], &k, 0);
	cr_assert_eq(bufferevent_base_set(other, bev), 0);
	cr_assert_eq(bufferevent_get_base(bev), other);
	bufferevent_enable(bev, EV_READ);
	cr_assert_eq(write(sv[1], "q", 1), 1);
	bt_loop_for(base, 0.02);
	cr_assert_eq(k.reads, 0, "the old base still drives it");
	bt_loop_for(other, 0.02);
	cr_assert_eq(k.reads, 1);
	bufferevent_free(bev);
	close(sv[1]);
	event_base_free(other);
}

Test(bufferevent, compat_bufferevent_new_uses_current_base)
{
	struct event_base *cur = event_init();
	int sv[2];
	struct counts k = { 0 };
	struct bufferevent *bev;

	bt_socketpair(sv);
	bev = bufferevent_new(sv[0], count_readcb, count_writecb, count_eventcb, &k);
	cr_assert_not_null(bev);
	cr_assert_eq(bufferevent_get_base(bev), cur);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	cr_assert_eq(write(sv[1], "1.x", 3), 3);
	bufferevent_write(bev, "out", 3);
	bt_loop_for(cur, 0.02);
	cr_assert_eq(k.reads, 1);
	cr_assert_eq(k.writes, 1);
	cr_assert_eq(EVBUFFER_INPUT(bev), bev->input);
	bufferevent_free(bev);
	close(sv[0]);
	close(sv[1]);
	event_base_free(cur);
}

/* ---- bad input ----------------------------------------------------------------------- */

Test(bufferevent, null_bufferevent_is_rejected)
{
	char c;
	size_t lo;

	bt_allow_warnings(40);
	cr_assert_eq(bufferevent_write(NULL, "x", 1), -1);
	cr_assert_eq(bufferevent_write_buffer(NULL, NULL), -1);
	cr_assert_eq(bufferevent_read(NULL, &c, 1), 0);
	cr_assert_eq(bufferevent_read_buffer(NULL, NULL), -1);
	cr_assert_eq(bufferevent_enable(NULL, EV_READ), -1);
	cr_assert_eq(bufferevent_disable(NULL, EV_READ), -1);
	cr_assert_eq(bufferevent_get_enabled(NULL), 0);
	bufferevent_setcb(NULL, NULL, NULL, NULL, NULL);
	bufferevent_getcb(NULL, NULL, NULL, NULL, NULL);
	cr_assert_eq(bufferevent_set_timeouts(NULL, NULL, NULL), -1);
	bufferevent_setwatermark(NULL, EV_READ, 0, 0);
	cr_assert_eq(bufferevent_getwatermark(NULL, EV_READ, &lo, NULL), -1);
	cr_assert_eq(bufferevent_getfd(NULL), -1);
	cr_assert_eq(bufferevent_setfd(NULL, 0), -1);
	cr_assert_null(bufferevent_get_input(NULL));
	cr_assert_null(bufferevent_get_output(NULL));
	cr_assert_null(bufferevent_get_base(NULL));
	cr_assert_eq(bufferevent_flush(NULL, EV_WRITE, BEV_FLUSH), -1);
	bufferevent_free(NULL);
	cr_assert_eq(bufferevent_socket_connect(NULL, NULL, 0), -1);
	cr_assert_eq(bufferevent_socket_connect_hostname(NULL, NULL, AF_INET, "x", 1), -1);
	cr_assert_eq(bufferevent_priority_set(NULL, 0), -1);
	cr_assert_eq(bufferevent_decref(NULL), -1);
	cr_assert_null(bufferevent_get_underlying(NULL));
	cr_assert_null(bufferevent_filter_new(NULL, NULL, NULL, 0, NULL, NULL));
	cr_assert_eq(bufferevent_set_rate_limit(NULL, NULL), -1);
	cr_assert_eq(bufferevent_base_set(base, NULL), -1);
	bt_expect_warnings(27);
}

Test(bufferevent, connect_without_socket_or_address)
{
	struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);

	bt_allow_warnings(1);
	cr_assert_eq(bufferevent_socket_connect(bev, NULL, 0), -1);
	bt_expect_warnings(1);
	cr_assert_eq(bufferevent_getfd(bev), -1);
	bufferevent_free(bev);
}

Test(bufferevent, connect_bad_address_family)
{
	struct counts k;
	struct bufferevent *bev = counted_socket(-1, &k, 0);
	struct sockaddr sa = { .sa_family = 12345 };

	cr_assert_eq(bufferevent_socket_connect(bev, &sa, sizeof(sa)), -1);
	cr_assert_eq(bufferevent_getfd(bev), -1);
	bufferevent_free(bev);
}

Test(bufferevent, watermarks_high_below_low_rejected)
{
	int sv[2];
	struct bufferevent *bev;
	size_t lo = 1, hi = 1;

	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setwatermark(bev, EV_READ, 5, 50);
	bt_allow_warnings(1);
	bufferevent_setwatermark(bev, EV_READ, 100, 10);
	bt_expect_warnings(1);
	cr_assert_eq(bufferevent_getwatermark(bev, EV_READ, &lo, &hi), 0);
	cr_assert(lo == 5 && hi == 50, "watermarks changed to %zu/%zu", lo, hi);
	bufferevent_free(bev);
	close(sv[1]);
}

Test(bufferevent, other_bad_arguments)
{
	int sv[2];
	struct bufferevent *bev;
	struct timeval bad = { 0, -5 };

	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bt_allow_warnings(6);
	cr_assert_eq(bufferevent_write(bev, NULL, 3), -1);
	cr_assert_eq(bufferevent_set_timeouts(bev, &bad, NULL), -1);
	cr_assert_eq(bufferevent_socket_connect_hostname(bev, NULL, AF_UNIX, "localhost", 80), -1);
	cr_assert_eq(bufferevent_socket_connect_hostname(bev, NULL, AF_INET, "localhost", 0), -1);
	cr_assert_eq(bufferevent_flush(bev, EV_WRITE, (enum bufferevent_flush_mode)7), -1);
	cr_assert_null(bufferevent_socket_new(base, -1, BEV_OPT_UNLOCK_CALLBACKS));
	bt_expect_warnings(6);
	cr_assert_eq(bufferevent_write(bev, NULL, 0), 0, "an empty write is fine");
	bufferevent_free(bev);
	close(sv[1]);
}
