/*
 * test-bufferevent-filter.c: filtering bufferevents.
 *
 * A transforming filter (XOR on the way out and back) over socketpairs
 * and pairs, a framing filter that needs more input (BEV_NEED_MORE), a
 * block filter that only emits whole blocks until flushed (BEV_FLUSH,
 * BEV_FINISHED), errors, watermarks, freeing and the context destructor.
 * Expectations were checked against stock libevent 2.1.12.
 */
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

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
	event_base_free(base);
}

TestSuite(filter, .init = setup, .fini = teardown, .timeout = 30);

/* ---- filters ----------------------------------------------------------------- */

struct filter_log {
	int calls;
	enum bufferevent_flush_mode last_mode;
	ev_ssize_t last_limit;
	int freed_ctx;
};

/* XORs every byte with 0x5a; honours the limit. */
static enum bufferevent_filter_result
xor_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *ctx)
{
	struct filter_log *log = ctx;
	unsigned char buf[4096];
	size_t want = evbuffer_get_length(src);

	if (log) {
		log->calls++;
		log->last_mode = mode;
		log->last_limit = limit;
	}
	if (limit >= 0 && (size_t)limit < want)
		want = (size_t)limit;
	while (want > 0) {
		int n = evbuffer_remove(src, buf, want < sizeof(buf) ? want : sizeof(buf));
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++)
			buf[i] ^= 0x5a;
		evbuffer_add(dst, buf, (size_t)n);
		want -= (size_t)n;
	}
	return BEV_OK;
}

/* Moves whole 4-byte frames; a partial frame waits for more input. */
static enum bufferevent_filter_result
frame4_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *ctx)
{
	struct filter_log *log = ctx;

	(void)limit;
	if (log) {
		log->calls++;
		log->last_mode = mode;
	}
	if (evbuffer_get_length(src) < 4)
		return BEV_NEED_MORE;
	while (evbuffer_get_length(src) >= 4)
		evbuffer_remove_buffer(src, dst, 4);
	return BEV_OK;
}

/* Emits whole 8-byte blocks; BEV_FLUSH also emits the remainder padded
 * with '.', BEV_FINISHED adds "END" after it. */
static enum bufferevent_filter_result
block_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *ctx)
{
	struct filter_log *log = ctx;
	size_t rest;

	(void)limit;
	log->calls++;
	log->last_mode = mode;
	while (evbuffer_get_length(src) >= 8)
		evbuffer_remove_buffer(src, dst, 8);
	rest = evbuffer_get_length(src);
	if (mode != BEV_NORMAL && rest > 0) {
		evbuffer_remove_buffer(src, dst, rest);
		evbuffer_add(dst, "........", 8 - rest);
	}
	if (mode == BEV_FINISHED)
		evbuffer_add(dst, "END", 3);
	return BEV_OK;
}

static enum bufferevent_filter_result
failing_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *ctx)
{
	(void)src;
	(void)dst;
	(void)limit;
	(void)mode;
	(void)ctx;
	return BEV_ERROR;
}

static void
free_ctx(void *ctx)
{
	((struct filter_log *)ctx)->freed_ctx++;
}

/* ---- callbacks ------------------------------------------------------------------- */

struct seen {
	int reads, writes, events;
	short last_event;
	size_t len_at_read;
	int free_on_read, freed, calls_after_free;
};

static void
seen_readcb(struct bufferevent *bev, void *arg)
{
	struct seen *s = arg;

	if (s->freed)
		s->calls_after_free++;
	s->reads++;
	s->len_at_read = evbuffer_get_length(bufferevent_get_input(bev));
	if (s->free_on_read && !s->freed) {
		s->freed = 1;
		bufferevent_free(bev);
	}
}

static void
seen_writecb(struct bufferevent *bev, void *arg)
{
	struct seen *s = arg;

	(void)bev;
	if (s->freed)
		s->calls_after_free++;
	s->writes++;
}

static void
seen_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct seen *s = arg;

	(void)bev;
	if (s->freed)
		s->calls_after_free++;
	s->events++;
	s->last_event = what;
}

static size_t
read_all(int fd, unsigned char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap && (n = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)n;
	return got;
}

/* ---- tests ------------------------------------------------------------------------- */

Test(filter, transforms_both_ways_on_the_wire)
{
	int sv[2];
	struct bufferevent *u, *f;
	struct filter_log in = { 0 }, out = { 0 };
	struct seen s = { 0 };
	unsigned char wire[16], plain[16] = "plain text";

	bt_socketpair(sv);
	u = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	f = bufferevent_filter_new(u, xor_filter, xor_filter, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	cr_assert_not_null(f);
	(void)in;
	(void)out;
	bufferevent_setcb(f, seen_readcb, seen_writecb, seen_eventcb, &s);
	cr_assert_eq(bufferevent_get_underlying(f), u);
	cr_assert_eq(bufferevent_getfd(f), sv[0]);
	cr_assert_eq(bufferevent_get_enabled(f), EV_WRITE);

	bufferevent_write(f, "plain text", 10);
	bt_loop_for(base, 0.02);
	cr_assert_eq(read_all(sv[1], wire, sizeof(wire)), 10);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(wire[i], plain[i] ^ 0x5a, "byte %d not transformed", i);
	cr_assert_geq(s.writes, 1);

	bufferevent_enable(f, EV_READ);
	cr_assert_eq(write(sv[1], wire, 10), 10);
	bt_loop_for(base, 0.02);
	cr_assert_eq(s.reads, 1);
	cr_assert_eq(bufferevent_read(f, wire, sizeof(wire)), 10);
	cr_assert_eq(memcmp(wire, plain, 10), 0);
	bufferevent_free(f);
	/* CLOSE_ON_FREE took the underlying bufferevent and its socket. */
	bt_loop_for(base, 0.01);
	cr_assert_eq(read(sv[1], wire, 1), 0);
	close(sv[1]);
}

struct echo_state {
	uint32_t seed;
	size_t total, received, bad;
	int done;
};

static void
filtered_echo_readcb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

static void
filtered_client_readcb(struct bufferevent *bev, void *arg)
{
	struct echo_state *e = arg;
	unsigned char buf[8192];
	int n;

	while ((n = evbuffer_remove(bufferevent_get_input(bev), buf, sizeof(buf))) > 0) {
		e->bad += bt_stream_mismatches(e->seed, e->received, buf, (size_t)n);
		e->received += (size_t)n;
	}
	if (e->received >= e->total)
		e->done = 1;
}

/* Filtered bufferevents on both ends of a socketpair echo random
 * chunks; every byte must come back intact. */
Test(filter, echo_through_filters_random_chunks)
{
	int sv[2];
	struct bufferevent *cu, *su, *cf, *sf;
	struct echo_state e = { 0 };
	uint64_t rng;
	size_t sent = 0;
	static unsigned char buf[65536];

	bt_socketpair(sv);
	cu = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	su = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE);
	cf = bufferevent_filter_new(cu, xor_filter, xor_filter, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	sf = bufferevent_filter_new(su, xor_filter, xor_filter, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	e.seed = (uint32_t)time(NULL);
	rng = e.seed | 1;
	e.total = 1024 * 1024;
	bufferevent_setcb(cf, filtered_client_readcb, NULL, NULL, &e);
	bufferevent_setcb(sf, filtered_echo_readcb, NULL, NULL, NULL);
	bufferevent_enable(cf, EV_READ);
	bufferevent_enable(sf, EV_READ);
	while (!e.done) {
		if (sent < e.total && evbuffer_get_length(bufferevent_get_output(cu)) < 100000) {
			size_t n = 1 + bt_rand(&rng) % sizeof(buf);
			if (n > e.total - sent)
				n = e.total - sent;
			bt_stream_fill(e.seed, sent, buf, n);
			bufferevent_write(cf, buf, n);
			sent += n;
		}
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	}
	cr_assert_eq(e.received, e.total);
	cr_assert_eq(e.bad, 0, "%zu corrupted bytes (seed %u)", e.bad, e.seed);
	bufferevent_free(cf);
	bufferevent_free(sf);
}

Test(filter, need_more_input)
{
	int sv[2];
	struct bufferevent *u, *f;
	struct filter_log log = { 0 };
	struct seen s = { 0 };

	bt_socketpair(sv);
	u = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	f = bufferevent_filter_new(u, frame4_filter, NULL, BEV_OPT_CLOSE_ON_FREE, NULL, &log);
	bufferevent_setcb(f, seen_readcb, NULL, seen_eventcb, &s);
	bufferevent_enable(f, EV_READ);
	cr_assert_eq(write(sv[1], "ab", 2), 2);
	bt_loop_for(base, 0.02);
	cr_assert_geq(log.calls, 1, "the filter saw the partial frame");
	cr_assert_eq(s.reads, 0, "no read callback without output");
	cr_assert_eq(evbuffer_get_length(bufferevent_get_input(u)), 2, "kept for later");
	cr_assert_eq(write(sv[1], "cdefghi", 7), 7);
	bt_loop_for(base, 0.02);
	cr_assert_eq(s.reads, 1);
	cr_assert_eq(s.len_at_read, 8);
	cr_assert_eq(evbuffer_get_length(bufferevent_get_input(u)), 1);
	/* EOF passes through; the leftover stays with the underlying. */
	close(sv[1]);
	bt_loop_for(base, 0.02);
	cr_assert_eq(s.last_event, BEV_EVENT_EOF | BEV_EVENT_READING);
	bufferevent_free(f);
}

Test(filter, flush_modes_reach_the_filter)
{
	int sv[2];
	struct bufferevent *u, *f;
	struct filter_log log = { 0 };
	unsigned char wire[64];
	size_t n;

	bt_socketpair(sv);
	u = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	f = bufferevent_filter_new(u, NULL, block_filter, BEV_OPT_CLOSE_ON_FREE, free_ctx, &log);
	bufferevent_write(f, "0123456789", 10);
	bt_loop_for(base, 0.02);
	cr_assert_eq(log.last_mode, BEV_NORMAL);
	n = read_all(sv[1], wire, sizeof(wire));
	cr_assert_eq(n, 8, "only whole blocks in normal mode");
	cr_assert_eq(memcmp(wire, "01234567", 8), 0);

	cr_assert_eq(bufferevent_flush(f, EV_WRITE, BEV_FLUSH), 1);
	cr_assert_eq(log.last_mode, BEV_FLUSH);
	bt_loop_for(base, 0.02);
	n = read_all(sv[1], wire, sizeof(wire));
	cr_assert_eq(n, 8);
	cr_assert_eq(memcmp(wire, "89......", 8), 0);

	/* Finishing calls the filter even with nothing queued. */
	bufferevent_flush(f, EV_WRITE, BEV_FINISHED);
	cr_assert_eq(log.last_mode, BEV_FINISHED);
	bt_loop_for(base, 0.02);
	n = read_all(sv[1], wire, sizeof(wire));
	cr_assert_eq(n, 3);
	cr_assert_eq(memcmp(wire, "END", 3), 0);

	cr_assert_eq(bufferevent_flush(f, EV_WRITE, BEV_NORMAL), 0);
	bufferevent_free(f);
	cr_assert_eq(log.freed_ctx, 1, "free_context runs once");
	close(sv[1]);
}

Test(filter, over_a_pair)
{
	struct bufferevent *p[2], *f;
	struct seen s = { 0 };

	cr_assert_eq(bufferevent_pair_new(base, 0, p), 0);
	f = bufferevent_filter_new(p[0], xor_filter, xor_filter, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	bufferevent_setcb(f, seen_readcb, NULL, NULL, &s);
	bufferevent_enable(f, EV_READ);
	bufferevent_enable(p[1], EV_READ);
	bufferevent_write(f, "\x3a\x3b", 2);
	cr_assert_eq(evbuffer_get_length(bufferevent_get_input(p[1])), 2);
	bufferevent_write_buffer(p[1], bufferevent_get_input(p[1]));
	bt_loop_for(base, 0.02);
	cr_assert_eq(s.reads, 1);
	cr_assert_eq(evbuffer_get_length(bufferevent_get_input(f)), 2);
	bufferevent_free(f);
	cr_assert_null(bufferevent_pair_get_partner(p[1]), "the underlying end was freed");
	bufferevent_free(p[1]);
}

Test(filter, without_close_on_free_gives_underlying_back)
{
	int sv[2];
	struct bufferevent *u, *f;
	bufferevent_data_cb rcb;
	struct seen s = { 0 };

	bt_socketpair(sv);
	u = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	f = bufferevent_filter_new(u, NULL, NULL, 0, NULL, NULL);
	bufferevent_free(f);
	bufferevent_getcb(u, &rcb, NULL, NULL, NULL);
	cr_assert_null(rcb, "the filter's callbacks were removed");
	bufferevent_setcb(u, seen_readcb, NULL, NULL, &s);
	bufferevent_enable(u, EV_READ);
	cr_assert_eq(write(sv[1], "free", 4), 4);
	bt_loop_for(base, 0.02);
	cr_assert_eq(s.reads, 1, "the underlying reads normally again");
	bufferevent_free(u);
	close(sv[1]);
}

Test(filter, read_disabled_holds_data_below)
{
	int sv[2];
	struct bufferevent *u, *f;
	struct seen s = { 0 };

	bt_socketpair(sv);
	u = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	f = bufferevent_filter_new(u, NULL, NULL, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	bufferevent_setcb(f, seen_readcb, NULL, NULL, &s);
	cr_assert_eq(write(sv[1], "wait", 4), 4);
	bt_loop_for(base, 0.02);
	cr_assert_eq(s.reads, 0);
	bufferevent_enable(f, EV_READ);
	bt_loop_for(base, 0.02);
	cr_assert_eq(s.reads, 1);
	cr_assert_eq(s.len_at_read, 4);
	bufferevent_free(f);
	close(sv[1]);
}

Test(filter, read_high_watermark)
{
	int sv[2];
	struct bufferevent *u, *f;
	struct seen s = { 0 };
	char data[500];
	size_t total = 0;

	bt_socketpair(sv);
	u = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	f = bufferevent_filter_new(u, xor_filter, NULL, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	bufferevent_setcb(f, seen_readcb, NULL, NULL, &s);
	bufferevent_setwatermark(f, EV_READ, 0, 40);
	bufferevent_enable(f, EV_READ);
	memset(data, 1, sizeof(data));
	cr_assert_eq(write(sv[1], data, sizeof(data)), (ssize_t)sizeof(data));
	for (int i = 0; i < 100 && total < sizeof(data); i++) {
		size_t len;
		bt_loop_for(base, 0.005);
		len = evbuffer_get_length(bufferevent_get_input(f));
		cr_assert_leq(len, 40, "filter input above its high watermark");
		evbuffer_drain(bufferevent_get_input(f), len);
		total += len;
	}
	cr_assert_eq(total, sizeof(data));
	bufferevent_free(f);
	close(sv[1]);
}

Test(filter, error_is_reported)
{
	int sv[2];
	struct bufferevent *u, *f;
	struct seen s = { 0 };

	bt_socketpair(sv);
	u = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	f = bufferevent_filter_new(u, failing_filter, failing_filter, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	bufferevent_setcb(f, seen_readcb, NULL, seen_eventcb, &s);
	bufferevent_enable(f, EV_READ);
	cr_assert_eq(write(sv[1], "x", 1), 1);
	bt_loop_for(base, 0.02);
	cr_assert_eq(s.last_event, BEV_EVENT_ERROR | BEV_EVENT_READING);
	bufferevent_write(f, "y", 1);
	cr_assert_eq(s.last_event, BEV_EVENT_ERROR | BEV_EVENT_WRITING);
	cr_assert_eq(s.reads, 0);
	bufferevent_free(f);
	close(sv[1]);
}

Test(filter, free_inside_readcb)
{
	int sv[2];
	struct bufferevent *u, *f;
	struct filter_log log = { 0 };
	struct seen s = { 0 };

	bt_socketpair(sv);
	u = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	f = bufferevent_filter_new(u, xor_filter, NULL, BEV_OPT_CLOSE_ON_FREE, free_ctx, &log);
	s.free_on_read = 1;
	bufferevent_setcb(f, seen_readcb, seen_writecb, seen_eventcb, &s);
	bufferevent_enable(f, EV_READ);
	cr_assert_eq(write(sv[1], "bye", 3), 3);
	bt_loop_for(base, 0.02);
	cr_assert(s.freed);
	cr_assert_eq(log.freed_ctx, 1);
	cr_assert_eq(write(sv[1], "more", 4), -1, "the socket is closed");
	bt_loop_for(base, 0.02);
	cr_assert_eq(s.calls_after_free, 0);
	close(sv[1]);
}

Test(filter, stacked_filters)
{
	int sv[2];
	struct bufferevent *u, *f1, *f2;
	unsigned char wire[8];

	bt_socketpair(sv);
	u = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	f1 = bufferevent_filter_new(u, xor_filter, xor_filter, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	f2 = bufferevent_filter_new(f1, xor_filter, xor_filter, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	bufferevent_write(f2, "abc", 3);
	bt_loop_for(base, 0.02);
	/* Two XORs cancel out. */
	cr_assert_eq(read_all(sv[1], wire, sizeof(wire)), 3);
	cr_assert_eq(memcmp(wire, "abc", 3), 0);
	bufferevent_free(f2);
	bt_loop_for(base, 0.01);
	cr_assert_eq(read(sv[1], wire, 1), 0, "the whole stack was freed");
	close(sv[1]);
}

Test(filter, bad_arguments)
{
	bt_allow_warnings(1);
	cr_assert_null(bufferevent_filter_new(NULL, xor_filter, xor_filter, 0, NULL, NULL));
	bt_expect_warnings(1);
}
