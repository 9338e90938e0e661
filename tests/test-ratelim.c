/*
 * test-ratelim.c: token-bucket rate limits and rate-limit groups.
 *
 * Throughput tests run for one second against a peer that keeps the
 * socket full (or empty), and accept +-35% around the expected volume:
 * one tick's worth up front plus one per tick (the initial bucket holds
 * one tick's worth, as in stock 2.1.12).  The getters and the decrement
 * calls are checked exactly.
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

TestSuite(ratelim, .init = setup, .fini = teardown, .timeout = 30);

static const struct timeval tick_100ms = { 0, 100000 };

/* ---- configuration and getters ------------------------------------------------- */

Test(ratelim, cfg_validation)
{
	struct timeval zero = { 0, 0 };
	struct ev_token_bucket_cfg *cfg;

	bt_allow_warnings(3);
	cr_assert_null(ev_token_bucket_cfg_new(5000, 1000, 1, 1, NULL), "rate above burst");
	cr_assert_null(ev_token_bucket_cfg_new(1, 1, 1, 1, &zero), "zero tick");
	cr_assert_null(ev_token_bucket_cfg_new(1, (size_t)EV_RATE_LIMIT_MAX + 1, 1, 1, NULL));
	bt_expect_warnings(3);
	cfg = ev_token_bucket_cfg_new(1, 1, 1, 1, NULL);
	cr_assert_not_null(cfg, "the tick defaults to one second");
	ev_token_bucket_cfg_free(cfg);
	ev_token_bucket_cfg_free(NULL);
}

Test(ratelim, bucket_getters_and_decrements)
{
	int sv[2];
	struct bufferevent *bev;
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(1000, 5000, 2000, 6000, &tick_100ms);

	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	cr_assert_eq(bufferevent_get_read_limit(bev), EV_SSIZE_MAX);
	cr_assert_null(bufferevent_get_token_bucket_cfg(bev));
	bt_allow_warnings(1);
	cr_assert_eq(bufferevent_decrement_read_limit(bev, 1), -1, "no limit to decrement");
	bt_expect_warnings(1);

	cr_assert_eq(bufferevent_set_rate_limit(bev, cfg), 0);
	cr_assert_eq(bufferevent_get_token_bucket_cfg(bev), cfg);
	/* A fresh bucket holds one tick's worth. */
	cr_assert_eq(bufferevent_get_read_limit(bev), 1000);
	cr_assert_eq(bufferevent_get_write_limit(bev), 2000);
	bufferevent_set_max_single_read(bev, 700);
	cr_assert_eq(bufferevent_get_max_to_read(bev), 700);
	cr_assert_eq(bufferevent_get_max_to_write(bev), 2000);

	cr_assert_eq(bufferevent_decrement_read_limit(bev, 400), 0);
	cr_assert_eq(bufferevent_get_read_limit(bev), 600);
	cr_assert_eq(bufferevent_get_max_to_read(bev), 600);
	cr_assert_eq(bufferevent_decrement_read_limit(bev, 1000), 0);
	cr_assert_eq(bufferevent_get_read_limit(bev), -400, "overdraft is allowed");
	cr_assert_eq(bufferevent_get_max_to_read(bev), 0);
	cr_assert_eq(bufferevent_decrement_read_limit(bev, -900), 0);
	cr_assert_eq(bufferevent_get_read_limit(bev), 500, "a negative decrement refills");
	cr_assert_eq(bufferevent_decrement_write_limit(bev, 2500), 0);
	cr_assert_eq(bufferevent_get_write_limit(bev), -500);

	cr_assert_eq(bufferevent_set_rate_limit(bev, NULL), 0);
	cr_assert_eq(bufferevent_get_read_limit(bev), EV_SSIZE_MAX);
	cr_assert_null(bufferevent_get_token_bucket_cfg(bev));
	bufferevent_free(bev);
	ev_token_bucket_cfg_free(cfg);
	close(sv[1]);
}

/* ---- throughput --------------------------------------------------------------- */

/* Keeps fd's socket buffer full. */
static void
keep_full_cb(evutil_socket_t fd, short what, void *arg)
{
	static char chunk[16384];

	(void)what;
	(void)arg;
	while (write(fd, chunk, sizeof(chunk)) > 0)
		;
}

/* Reads everything that arrives on fd into *(size_t *)arg. */
static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	char buf[65536];
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		*(size_t *)arg += (size_t)n;
}

static void
count_and_drain_readcb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	*(size_t *)arg += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void
assert_rate(size_t got, double expected, const char *what)
{
	cr_log_info("%s: %zu bytes (expected about %.0f)", what, got, expected);
	cr_assert(got >= expected * 0.65 && got <= expected * 1.35,
	    "%s: %zu bytes, expected about %.0f", what, got, expected);
}

Test(ratelim, read_rate_within_tolerance)
{
	int sv[2];
	struct bufferevent *bev;
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(20000, 20000, 1 << 30,
	    1 << 30, &tick_100ms);
	struct timeval every = { 0, 5000 };
	struct event *filler;
	size_t got = 0;

	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, count_and_drain_readcb, NULL, NULL, &got);
	bufferevent_set_rate_limit(bev, cfg);
	bufferevent_enable(bev, EV_READ);
	filler = event_new(base, sv[1], EV_PERSIST, keep_full_cb, NULL);
	event_add(filler, &every);
	bt_loop_for(base, 1.0);
	/* 20000 up front and 20000 per 100 ms tick (the last tick may not
	 * have come yet). */
	assert_rate(got, 210000, "rate-limited reading");
	event_free(filler);
	bufferevent_free(bev);
	ev_token_bucket_cfg_free(cfg);
	close(sv[1]);
}

Test(ratelim, write_rate_within_tolerance)
{
	int sv[2];
	struct bufferevent *bev;
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(1 << 30, 1 << 30, 30000,
	    30000, &tick_100ms);
	struct event *drainer;
	size_t got = 0;
	static char chunk[1 << 20];

	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_set_rate_limit(bev, cfg);
	bufferevent_write(bev, chunk, sizeof(chunk));
	drainer = event_new(base, sv[1], EV_READ | EV_PERSIST, drain_cb, &got);
	event_add(drainer, NULL);
	bt_loop_for(base, 1.0);
	assert_rate(got, 315000, "rate-limited writing");
	/* What the last write put in the socket may not have been read yet
	 * when the loop stopped: count it before looking for lost bytes. */
	drain_cb(sv[1], EV_READ, &got);
	cr_assert_eq(got + evbuffer_get_length(bufferevent_get_output(bev)), sizeof(chunk),
	    "bytes lost");
	event_free(drainer);
	bufferevent_free(bev);
	ev_token_bucket_cfg_free(cfg);
	close(sv[1]);
}

Test(ratelim, removing_the_limit_restores_speed)
{
	int sv[2];
	struct bufferevent *bev;
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(100, 100, 100, 100, &tick_100ms);
	static char chunk[200000];
	size_t got = 0;
	struct event *drainer;

	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_set_rate_limit(bev, cfg);
	bufferevent_write(bev, chunk, sizeof(chunk));
	drainer = event_new(base, sv[1], EV_READ | EV_PERSIST, drain_cb, &got);
	event_add(drainer, NULL);
	bt_loop_for(base, 0.05);
	cr_assert_leq(got, 200, "the limit was not applied");
	bufferevent_set_rate_limit(bev, NULL);
	/* Limited, the rest would take 200 s; unlimited it takes a few ms.
	 * Up to 2 s of 10 ms steps tells the two apart on a loaded machine
	 * too (a fixed 0.1 s once failed in a loaded run). */
	for (int step = 0; step < 200 && got < sizeof(chunk); step++)
		bt_loop_for(base, 0.01);
	cr_assert_eq(got, sizeof(chunk), "writing did not resume at full speed");
	event_free(drainer);
	bufferevent_free(bev);
	ev_token_bucket_cfg_free(cfg);
	close(sv[1]);
}

/* ---- groups ----------------------------------------------------------------------- */

#define N_MEMBERS 4

Test(ratelim, group_shares_one_budget)
{
	int sv[N_MEMBERS][2];
	struct bufferevent *bev[N_MEMBERS];
	struct event *filler[N_MEMBERS];
	size_t got[N_MEMBERS] = { 0 }, total = 0;
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(40000, 40000, 1 << 30,
	    1 << 30, &tick_100ms);
	struct bufferevent_rate_limit_group *g = bufferevent_rate_limit_group_new(base, cfg);
	struct timeval every = { 0, 5000 };
	ev_uint64_t total_read = 1, total_written = 1;

	cr_assert_not_null(g);
	for (int i = 0; i < N_MEMBERS; i++) {
		bt_socketpair(sv[i]);
		bev[i] = bufferevent_socket_new(base, sv[i][0], BEV_OPT_CLOSE_ON_FREE);
		bufferevent_setcb(bev[i], count_and_drain_readcb, NULL, NULL, &got[i]);
		cr_assert_eq(bufferevent_add_to_rate_limit_group(bev[i], g), 0);
		bufferevent_enable(bev[i], EV_READ);
		filler[i] = event_new(base, sv[i][1], EV_PERSIST, keep_full_cb, NULL);
		event_add(filler[i], &every);
	}
	bt_loop_for(base, 1.0);
	for (int i = 0; i < N_MEMBERS; i++)
		total += got[i];
	assert_rate(total, 420000, "group reading");
	for (int i = 0; i < N_MEMBERS; i++)
		cr_assert_gt(got[i], total / 10, "member %d starved: %zu of %zu", i, got[i], total);
	bufferevent_rate_limit_group_get_totals(g, &total_read, &total_written);
	cr_assert_eq(total_read, total);
	cr_assert_eq(total_written, 0);
	bufferevent_rate_limit_group_reset_totals(g);
	bufferevent_rate_limit_group_get_totals(g, &total_read, NULL);
	cr_assert_eq(total_read, 0);

	for (int i = 0; i < N_MEMBERS; i++) {
		event_free(filler[i]);
		bufferevent_free(bev[i]); /* leaves the group */
		close(sv[i][1]);
	}
	bufferevent_rate_limit_group_free(g);
	ev_token_bucket_cfg_free(cfg);
}

Test(ratelim, group_administration)
{
	int sv[2];
	struct bufferevent *bev;
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(1000, 2000, 3000, 4000, &tick_100ms);
	struct ev_token_bucket_cfg *cfg2 = ev_token_bucket_cfg_new(500, 500, 500, 500, &tick_100ms);
	struct bufferevent_rate_limit_group *g = bufferevent_rate_limit_group_new(base, cfg);

	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	cr_assert_eq(bufferevent_rate_limit_group_get_read_limit(g), 1000);
	cr_assert_eq(bufferevent_rate_limit_group_get_write_limit(g), 3000);
	cr_assert_eq(bufferevent_rate_limit_group_decrement_read(g, 300), 0);
	cr_assert_eq(bufferevent_rate_limit_group_get_read_limit(g), 700);
	cr_assert_eq(bufferevent_rate_limit_group_decrement_write(g, -500), 0);
	cr_assert_eq(bufferevent_rate_limit_group_get_write_limit(g), 3500);
	cr_assert_eq(bufferevent_rate_limit_group_set_min_share(g, 16), 0);
	/* A new configuration clips the bucket to its burst. */
	cr_assert_eq(bufferevent_rate_limit_group_set_cfg(g, cfg2), 0);
	cr_assert_eq(bufferevent_rate_limit_group_get_read_limit(g), 500);
	cr_assert_eq(bufferevent_rate_limit_group_get_write_limit(g), 500);

	cr_assert_eq(bufferevent_add_to_rate_limit_group(bev, g), 0);
	cr_assert_leq(bufferevent_get_max_to_read(bev), 500);
	cr_assert_eq(bufferevent_get_read_limit(bev), EV_SSIZE_MAX, "the group is not per-bev");
	bt_allow_warnings(1);
	bufferevent_rate_limit_group_free(g); /* refused: it has a member */
	bt_expect_warnings(1);
	cr_assert_eq(bufferevent_add_to_rate_limit_group(bev, NULL), 0);
	cr_assert_gt(bufferevent_get_max_to_read(bev), 500);
	cr_assert_eq(bufferevent_add_to_rate_limit_group(bev, g), 0);
	cr_assert_eq(bufferevent_remove_from_rate_limit_group(bev), 0);
	cr_assert_eq(bufferevent_remove_from_rate_limit_group(bev), 0, "removing twice is fine");
	bufferevent_rate_limit_group_free(g);

	bt_allow_warnings(6);
	cr_assert_null(bufferevent_rate_limit_group_new(NULL, cfg));
	cr_assert_null(bufferevent_rate_limit_group_new(base, NULL));
	cr_assert_eq(bufferevent_rate_limit_group_set_cfg(NULL, cfg), -1);
	cr_assert_eq(bufferevent_rate_limit_group_set_min_share(NULL, 1), -1);
	cr_assert_eq(bufferevent_rate_limit_group_decrement_read(NULL, 1), -1);
	cr_assert_eq(bufferevent_rate_limit_group_get_read_limit(NULL), -1);
	bt_expect_warnings(6);

	bufferevent_free(bev);
	ev_token_bucket_cfg_free(cfg);
	ev_token_bucket_cfg_free(cfg2);
	close(sv[1]);
}

Test(ratelim, group_exhausted_then_refilled)
{
	int sv[2];
	struct bufferevent *bev;
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(1 << 20, 1 << 20, 1 << 20,
	    1 << 20, &tick_100ms);
	struct bufferevent_rate_limit_group *g = bufferevent_rate_limit_group_new(base, cfg);
	size_t got = 0;
	char data[1000];

	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, count_and_drain_readcb, NULL, NULL, &got);
	bufferevent_add_to_rate_limit_group(bev, g);
	bufferevent_enable(bev, EV_READ);
	/* Empty the group's bucket by hand: reading stops... */
	bufferevent_rate_limit_group_decrement_read(g, 1 << 21);
	memset(data, 'g', sizeof(data));
	cr_assert_eq(write(sv[1], data, sizeof(data)), (ssize_t)sizeof(data));
	bt_loop_for(base, 0.02);
	cr_assert_eq(got, 0, "read while the group bucket was empty");
	/* ...until a refill brings it above zero. */
	bufferevent_rate_limit_group_decrement_read(g, -(1 << 22));
	bt_loop_for(base, 0.25);
	cr_assert_eq(got, sizeof(data));
	bufferevent_free(bev);
	bufferevent_rate_limit_group_free(g);
	ev_token_bucket_cfg_free(cfg);
	close(sv[1]);
}
