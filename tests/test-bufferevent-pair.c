/*
 * test-bufferevent-pair.c: bufferevent pairs.
 *
 * Data moves from one end's output to the other's input when written
 * (checked against stock 2.1.12: the move is immediate, the callbacks
 * come from the loop), only while the writer writes and the reader reads,
 * never past the reader's high watermark; bufferevent_flush forces the
 * move and BEV_FINISHED ends the partner's input.
 */
#include <pthread.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/thread.h>

#include "bev-test.h"

static struct event_base *base;
static struct bufferevent *pair[2];

struct end {
	int reads, writes, events;
	short last_event;
	size_t len_at_read;
	int free_on_read, free_on_event;
	int calls_after_free, freed;
};

static struct end ends[2];

static void
end_readcb(struct bufferevent *bev, void *arg)
{
	struct end *e = arg;

	if (e->freed)
		e->calls_after_free++;
	e->reads++;
	e->len_at_read = evbuffer_get_length(bufferevent_get_input(bev));
	if (e->free_on_read && !e->freed) {
		e->freed = 1;
		bufferevent_free(bev);
	}
}

static void
end_writecb(struct bufferevent *bev, void *arg)
{
	struct end *e = arg;

	(void)bev;
	if (e->freed)
		e->calls_after_free++;
	e->writes++;
}

static void
end_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct end *e = arg;

	if (e->freed)
		e->calls_after_free++;
	e->events++;
	e->last_event = what;
	if (e->free_on_event && !e->freed) {
		e->freed = 1;
		bufferevent_free(bev);
	}
}

static void
setup(void)
{
	bt_setup_logging();
	base = event_base_new();
	cr_assert_not_null(base);
	memset(ends, 0, sizeof(ends));
	cr_assert_eq(bufferevent_pair_new(base, 0, pair), 0);
	for (int i = 0; i < 2; i++)
		bufferevent_setcb(pair[i], end_readcb, end_writecb, end_eventcb, &ends[i]);
}

static void
teardown(void)
{
	for (int i = 0; i < 2; i++)
		if (pair[i] && !ends[i].freed)
			bufferevent_free(pair[i]);
	event_base_free(base);
}

TestSuite(pair, .init = setup, .fini = teardown, .timeout = 30);

static size_t
in_len(int i)
{
	return evbuffer_get_length(bufferevent_get_input(pair[i]));
}

static size_t
out_len(int i)
{
	return evbuffer_get_length(bufferevent_get_output(pair[i]));
}

Test(pair, basics)
{
	cr_assert_eq(bufferevent_pair_get_partner(pair[0]), pair[1]);
	cr_assert_eq(bufferevent_pair_get_partner(pair[1]), pair[0]);
	cr_assert_eq(bufferevent_get_enabled(pair[0]), EV_WRITE);
	cr_assert_eq(bufferevent_getfd(pair[0]), -1);
	cr_assert_eq(bufferevent_priority_set(pair[0], 0), -1, "sockets only");
	cr_assert_null(bufferevent_get_underlying(pair[0]));
	cr_assert_eq(bufferevent_get_base(pair[1]), base);
}

Test(pair, transfer_is_immediate_callbacks_deferred)
{
	bufferevent_enable(pair[1], EV_READ);
	cr_assert_eq(bufferevent_write(pair[0], "hello", 5), 0);
	cr_assert_eq(in_len(1), 5, "the data moved inside bufferevent_write");
	cr_assert_eq(out_len(0), 0);
	cr_assert_eq(ends[1].reads, 0, "callbacks run from the loop");
	bt_loop_for(base, 0.01);
	cr_assert_eq(ends[1].reads, 1);
	cr_assert_eq(ends[1].len_at_read, 5);
	cr_assert_eq(ends[0].writes, 1, "the writer's output drained");
}

Test(pair, reader_disabled_holds_data)
{
	bufferevent_write(pair[0], "held", 4);
	bt_loop_for(base, 0.01);
	cr_assert_eq(in_len(1), 0);
	cr_assert_eq(out_len(0), 4);
	bufferevent_enable(pair[1], EV_READ);
	cr_assert_eq(in_len(1), 4, "enabling the reader pulls the data");
	bt_loop_for(base, 0.01);
	cr_assert_eq(ends[1].reads, 1);
}

Test(pair, writer_disabled_holds_data)
{
	bufferevent_enable(pair[1], EV_READ);
	bufferevent_disable(pair[0], EV_WRITE);
	bufferevent_write(pair[0], "held", 4);
	cr_assert_eq(in_len(1), 0);
	bufferevent_enable(pair[0], EV_WRITE);
	cr_assert_eq(in_len(1), 4, "enabling the writer pushes the data");
}

Test(pair, high_watermark)
{
	char data[100];

	memset(data, 'w', sizeof(data));
	bufferevent_enable(pair[1], EV_READ);
	bufferevent_setwatermark(pair[1], EV_READ, 0, 30);
	bufferevent_write(pair[0], data, sizeof(data));
	cr_assert_eq(in_len(1), 30);
	cr_assert_eq(out_len(0), 70);
	evbuffer_drain(bufferevent_get_input(pair[1]), 30);
	cr_assert_eq(in_len(1), 30, "draining lets more in");
	cr_assert_eq(out_len(0), 40);
	bufferevent_setwatermark(pair[1], EV_READ, 0, 0);
	cr_assert_eq(in_len(1), 70, "no mark: everything moves");
	cr_assert_eq(out_len(0), 0);
}

Test(pair, low_watermark)
{
	bufferevent_enable(pair[1], EV_READ);
	bufferevent_setwatermark(pair[1], EV_READ, 8, 0);
	bufferevent_write(pair[0], "abc", 3);
	bt_loop_for(base, 0.01);
	cr_assert_eq(ends[1].reads, 0);
	bufferevent_write(pair[0], "defgh", 5);
	bt_loop_for(base, 0.01);
	cr_assert_eq(ends[1].reads, 1);
	cr_assert_eq(ends[1].len_at_read, 8);
}

Test(pair, flush_forces_transfer)
{
	bufferevent_setwatermark(pair[1], EV_READ, 0, 2);
	bufferevent_write(pair[0], "forced", 6);
	cr_assert_eq(in_len(1), 0, "the reader is disabled");
	cr_assert_eq(bufferevent_flush(pair[0], EV_WRITE, BEV_NORMAL), 0);
	cr_assert_eq(in_len(1), 0, "BEV_NORMAL does not force");
	cr_assert_eq(bufferevent_flush(pair[0], EV_WRITE, BEV_FLUSH), 1);
	cr_assert_eq(in_len(1), 6, "past the watermark and the disabled reader");
	cr_assert_eq(bufferevent_flush(pair[0], EV_WRITE, BEV_FLUSH), 0, "nothing left");
	/* Pulling from the other side works too. */
	bufferevent_write(pair[0], "pull", 4);
	cr_assert_eq(bufferevent_flush(pair[1], EV_READ, BEV_FLUSH), 1);
	cr_assert_eq(in_len(1), 10);
	bt_loop_for(base, 0.01);
	cr_assert_eq(ends[1].events, 0);
}

Test(pair, flush_finished_ends_partner_input)
{
	bufferevent_enable(pair[1], EV_READ);
	bufferevent_write(pair[0], "bye", 3);
	bufferevent_flush(pair[0], EV_WRITE, BEV_FINISHED);
	bt_loop_for(base, 0.01);
	cr_assert_eq(ends[1].events, 1);
	cr_assert_eq(ends[1].last_event, BEV_EVENT_EOF | BEV_EVENT_READING);
	cr_assert_eq(in_len(1), 3, "the data came before the end");
	cr_assert_eq(ends[0].events, 0);
}

Test(pair, echo_random_chunks)
{
	uint64_t rng = (uint64_t)time(NULL) | 1;
	uint32_t seed = (uint32_t)rng;
	size_t total = 2 * 1024 * 1024, sent = 0, echoed = 0, received = 0, bad = 0;
	static unsigned char buf[70000];

	bufferevent_enable(pair[0], EV_READ);
	bufferevent_enable(pair[1], EV_READ);
	bufferevent_setwatermark(pair[1], EV_READ, 0, 100000);
	while (received < total) {
		size_t n;
		int k;
		if (sent < total && out_len(0) < 200000) {
			n = 1 + bt_rand(&rng) % 65536;
			if (n > total - sent)
				n = total - sent;
			bt_stream_fill(seed, sent, buf, n);
			bufferevent_write(pair[0], buf, n);
			sent += n;
		}
		/* The echo end moves its input back in random pieces. */
		n = in_len(1);
		if (n) {
			size_t piece = 1 + bt_rand(&rng) % (n < sizeof(buf) ? n : sizeof(buf));
			bufferevent_read(pair[1], buf, piece);
			bufferevent_write(pair[1], buf, piece);
			echoed += piece;
		}
		while ((k = (int)bufferevent_read(pair[0], buf, sizeof(buf))) > 0) {
			bad += bt_stream_mismatches(seed, received, buf, (size_t)k);
			received += (size_t)k;
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	cr_assert_eq(received, total);
	cr_assert_eq(bad, 0, "%zu corrupted bytes (seed %u)", bad, seed);
	cr_assert_eq(echoed, total);
}

Test(pair, free_one_end)
{
	bufferevent_enable(pair[1], EV_READ);
	bufferevent_free(pair[0]);
	ends[0].freed = 1;
	cr_assert_null(bufferevent_pair_get_partner(pair[1]));
	/* Writing on the survivor goes nowhere, harmlessly. */
	cr_assert_eq(bufferevent_write(pair[1], "orphan", 6), 0);
	cr_assert_eq(bufferevent_flush(pair[1], EV_WRITE, BEV_FINISHED), -1);
	bt_loop_for(base, 0.01);
	cr_assert_eq(out_len(1), 6);
}

Test(pair, free_inside_readcb)
{
	ends[1].free_on_read = 1;
	bufferevent_enable(pair[1], EV_READ);
	bufferevent_write(pair[0], "one", 3);
	bt_loop_for(base, 0.01);
	cr_assert(ends[1].freed);
	cr_assert_null(bufferevent_pair_get_partner(pair[0]));
	bufferevent_write(pair[0], "two", 3);
	bufferevent_flush(pair[0], EV_WRITE, BEV_FINISHED);
	bt_loop_for(base, 0.01);
	cr_assert_eq(ends[1].calls_after_free, 0);
}

Test(pair, free_inside_eventcb_with_pending_read)
{
	ends[1].free_on_event = 1;
	bufferevent_enable(pair[1], EV_READ);
	bufferevent_write(pair[0], "data", 4);
	bufferevent_flush(pair[0], EV_WRITE, BEV_FINISHED);
	bt_loop_for(base, 0.01);
	cr_assert(ends[1].freed);
	cr_assert_eq(ends[1].reads, 1, "the read callback ran before the event");
	cr_assert_eq(ends[1].calls_after_free, 0);
}

Test(pair, read_timeout)
{
	struct timeval tv = { 0, 50000 };

	bufferevent_set_timeouts(pair[1], &tv, NULL);
	bufferevent_enable(pair[1], EV_READ);
	bt_loop_for(base, 0.2);
	cr_assert_eq(ends[1].events, 1);
	cr_assert_eq(ends[1].last_event, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	cr_assert_eq(bufferevent_get_enabled(pair[1]) & EV_READ, 0);
}

Test(pair, read_timeout_reset_by_data)
{
	struct timeval tv = { 0, 80000 };

	bufferevent_set_timeouts(pair[1], &tv, NULL);
	bufferevent_enable(pair[1], EV_READ);
	for (int i = 0; i < 5; i++) {
		bt_loop_for(base, 0.04);
		bufferevent_write(pair[0], "k", 1);
	}
	cr_assert_eq(ends[1].events, 0, "timed out although data kept coming");
	bt_loop_for(base, 0.2);
	cr_assert_eq(ends[1].last_event, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
}

Test(pair, bad_arguments)
{
	struct bufferevent *p[2];

	bt_allow_warnings(3);
	cr_assert_eq(bufferevent_pair_new(NULL, 0, p), -1);
	cr_assert_eq(bufferevent_pair_new(base, 0, NULL), -1);
	cr_assert_null(bufferevent_pair_get_partner(NULL));
	bt_expect_warnings(3);
}

/* ---- threads ------------------------------------------------------------------- */

static void *
writer_thread(void *arg)
{
	struct bufferevent *bev = arg;
	char c = 't';

	for (int i = 0; i < 10000; i++)
		bufferevent_write(bev, &c, 1);
	return NULL;
}

Test(pair_threads, shared_lock_across_threads, .timeout = 30)
{
	struct event_base *b;
	struct bufferevent *p[2];
	pthread_t th;
	size_t got = 0;
	double end;

	bt_setup_logging();
	cr_assert_eq(evthread_use_pthreads(), 0);
	b = event_base_new();
	cr_assert_eq(bufferevent_pair_new(b, BEV_OPT_THREADSAFE, p), 0);
	bufferevent_enable(p[1], EV_READ);
	cr_assert_eq(pthread_create(&th, NULL, writer_thread, p[0]), 0);
	end = bt_now() + 10;
	while (got < 10000 && bt_now() < end) {
		char buf[4096];
		bufferevent_lock(p[1]);
		got += bufferevent_read(p[1], buf, sizeof(buf));
		bufferevent_unlock(p[1]);
		event_base_loop(b, EVLOOP_NONBLOCK);
	}
	pthread_join(th, NULL);
	cr_assert_eq(got, 10000);
	/* Freeing the end that made the lock first must leave it to the
	 * other end. */
	bufferevent_free(p[0]);
	bufferevent_lock(p[1]);
	bufferevent_unlock(p[1]);
	bufferevent_free(p[1]);
	event_base_free(b);
}
