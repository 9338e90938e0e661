/*
 * test-evbuffer-cb.c: callbacks and their counts (immediate and deferred
 * to the loop), references and their cleanup (exactly once), buffer
 * references (views), and locking between threads.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "evbuffer-internal.h"
#include "evbuffer-test.h"

/* ---- callbacks ------------------------------------------------------------ */

struct cb_log {
	int calls;
	struct evbuffer_cb_info last;
	size_t len_at_call;
	size_t sum_added, sum_deleted;
};

static void
log_cb(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	struct cb_log *l = arg;

	l->calls++;
	l->last = *info;
	l->len_at_call = evbuffer_get_length(b);
	l->sum_added += info->n_added;
	l->sum_deleted += info->n_deleted;
}

#define ASSERT_INFO(l, calls_, orig, added, deleted)                          \
	do {                                                                      \
		cr_assert_eq((l).calls, (calls_), "calls %d", (l).calls);             \
		cr_assert_eq((l).last.orig_size, (size_t)(orig), "orig_size %zu",     \
		    (l).last.orig_size);                                              \
		cr_assert_eq((l).last.n_added, (size_t)(added), "n_added %zu",        \
		    (l).last.n_added);                                                \
		cr_assert_eq((l).last.n_deleted, (size_t)(deleted), "n_deleted %zu", \
		    (l).last.n_deleted);                                              \
	} while (0)

Test(evbuffer_cb, counts_per_operation, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new(), *o = evbuffer_new();
	struct cb_log l = { 0 }, lo = { 0 };
	struct evbuffer_iovec v[2];
	char tmp[8];

	evbuffer_add(b, "12345", 5);
	struct evbuffer_cb_entry *e = evbuffer_add_cb(b, log_cb, &l);
	cr_assert_not_null(e);
	evbuffer_add_cb(o, log_cb, &lo);
	evbuffer_add(b, "6", 1);
	ASSERT_INFO(l, 1, 5, 1, 0); /* counts start when a callback exists */
	cr_assert_eq(l.len_at_call, 6);
	evbuffer_drain(b, 2);
	ASSERT_INFO(l, 2, 6, 0, 2);
	evbuffer_add(b, "", 0);
	evbuffer_drain(b, 0);
	cr_assert_eq(l.calls, 2, "no change, no call");
	evbuffer_prepend(b, "ab", 2);
	ASSERT_INFO(l, 3, 4, 2, 0);
	evbuffer_remove(b, tmp, 3);
	ASSERT_INFO(l, 4, 6, 0, 3);
	evbuffer_add_printf(b, "%d", 1234);
	ASSERT_INFO(l, 5, 3, 4, 0);
	evbuffer_reserve_space(b, 10, v, 2);
	cr_assert_eq(l.calls, 5, "reserving adds nothing yet");
	v[0].iov_len = 3;
	evbuffer_commit_space(b, v, 1);
	ASSERT_INFO(l, 6, 7, 3, 0);
	evbuffer_add(o, "xyz", 3);
	ASSERT_INFO(lo, 1, 0, 3, 0);
	evbuffer_add_buffer(b, o);
	ASSERT_INFO(l, 7, 10, 3, 0);
	ASSERT_INFO(lo, 2, 3, 0, 3);
	evbuffer_remove_buffer(b, o, 4);
	ASSERT_INFO(l, 8, 13, 0, 4);
	ASSERT_INFO(lo, 3, 0, 4, 0);
	free(evbuffer_readln(b, NULL, EVBUFFER_EOL_ANY)); /* no line: no change */
	cr_assert_eq(l.calls, 8);
	evbuffer_add(b, "\n", 1);
	free(evbuffer_readln(b, NULL, EVBUFFER_EOL_ANY));
	ASSERT_INFO(l, 10, 10, 0, 10);
	/* Disabled: not called, and the counts of the skipped run are gone. */
	evbuffer_cb_clear_flags(b, e, EVBUFFER_CB_ENABLED);
	evbuffer_add(b, "7", 1);
	cr_assert_eq(l.calls, 10);
	evbuffer_cb_set_flags(b, e, EVBUFFER_CB_ENABLED);
	evbuffer_add(b, "8", 1);
	ASSERT_INFO(l, 11, 1, 1, 0);
	cr_assert_eq(evbuffer_remove_cb_entry(b, e), 0);
	cr_assert_eq(evbuffer_remove_cb_entry(b, e), -1);
	evbuffer_add(b, "9", 1);
	cr_assert_eq(l.calls, 11);
	cr_assert_eq(evbuffer_remove_cb(o, log_cb, &lo), 0);
	cr_assert_eq(evbuffer_remove_cb(o, log_cb, &lo), -1);
	evbuffer_free(b);
	evbuffer_free(o);
}

static size_t old_seen[4], new_seen[4];
static int obsolete_calls;

static void
obsolete_cb(struct evbuffer *b, size_t old_len, size_t new_len, void *arg)
{
	(void)b;
	(void)arg;
	if (obsolete_calls < 4) {
		old_seen[obsolete_calls] = old_len;
		new_seen[obsolete_calls] = new_len;
	}
	obsolete_calls++;
}

Test(evbuffer_cb, setcb_replaces_all, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	struct cb_log l = { 0 };

	evbuffer_add_cb(b, log_cb, &l);
	cr_assert_eq(evbuffer_setcb(b, obsolete_cb, NULL), 0);
	evbuffer_add(b, "abc", 3);
	evbuffer_drain(b, 1);
	cr_assert_eq(l.calls, 0, "setcb removed the other callbacks");
	cr_assert_eq(obsolete_calls, 2);
	cr_assert(old_seen[0] == 0 && new_seen[0] == 3);
	cr_assert(old_seen[1] == 3 && new_seen[1] == 2);
	cr_assert_eq(evbuffer_setcb(b, NULL, NULL), 0);
	evbuffer_add(b, "d", 1);
	cr_assert_eq(obsolete_calls, 2);
	evbuffer_free(b);
}

/* A callback that removes itself, adds to the buffer once, and frees the
 * buffer on its last call. */
struct self_state {
	struct evbuffer_cb_entry *me;
	int calls;
	int free_on;
};

static void
self_cb(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	struct self_state *s = arg;

	(void)info;
	s->calls++;
	if (s->calls == 1)
		evbuffer_add(b, "more", 4); /* runs the callbacks again, nested */
	else if (s->calls == s->free_on)
		evbuffer_free(b);
	else
		cr_assert_eq(evbuffer_remove_cb_entry(b, s->me), 0);
}

Test(evbuffer_cb, callbacks_may_change_and_free_the_buffer, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	struct self_state s = { .free_on = 3 };
	struct cb_log l = { 0 };

	evbuffer_add_cb(b, log_cb, &l);
	s.me = evbuffer_add_cb(b, self_cb, &s);
	evbuffer_add(b, "x", 1);
	/* Call 1 added "more" (nested call 2 removed self_cb). */
	cr_assert_eq(s.calls, 2);
	cr_assert_eq(l.calls, 2);
	cr_assert_eq(l.sum_added, 5);
	evbuffer_add(b, "y", 1);
	cr_assert_eq(s.calls, 2, "removed");
	cr_assert_eq(l.calls, 3);

	/* Freeing the buffer from inside its own callback is safe. */
	struct evbuffer *c = evbuffer_new();
	struct self_state t = { .free_on = 2 };
	t.me = evbuffer_add_cb(c, self_cb, &t);
	evbuffer_add(c, "z", 1); /* call 1 adds, call 2 frees */
	cr_assert_eq(t.calls, 2);
	evbuffer_free(b);
}

static void
setcb_inside(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	(void)info;
	(*(int *)arg)++;
	evbuffer_setcb(b, NULL, NULL); /* removes every callback, even others */
}

Test(evbuffer_cb, removing_all_from_inside_is_safe, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	int n1 = 0, n2 = 0;

	evbuffer_add_cb(b, setcb_inside, &n1);
	evbuffer_add_cb(b, setcb_inside, &n2);
	evbuffer_add(b, "x", 1);
	cr_assert_eq(n1 + n2, 1, "the second one was removed before its turn");
	evbuffer_add(b, "y", 1);
	cr_assert_eq(n1 + n2, 1);
	evbuffer_free(b);
}

/* ---- deferred callbacks ---------------------------------------------------- */

Test(evbuffer_cb, deferred_run_from_the_loop, .timeout = 10)
{
	struct event_base *base = event_base_new();
	struct evbuffer *b = evbuffer_new(), *c = evbuffer_new();
	struct cb_log l = { 0 }, lc = { 0 };

	cr_assert_not_null(base);
	evbuffer_add(b, "abc", 3);
	evbuffer_add_cb(b, log_cb, &l);
	cr_assert_eq(evbuffer_defer_callbacks(b, base), 0);
	evbuffer_add(b, "defg", 4);
	evbuffer_drain(b, 2);
	evbuffer_add(b, "h", 1);
	cr_assert_eq(l.calls, 0, "deferred callbacks wait for the loop");
	event_base_loop(base, EVLOOP_NONBLOCK);
	ASSERT_INFO(l, 1, 3, 5, 2); /* accumulated over three operations */
	evbuffer_add(b, "i", 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ASSERT_INFO(l, 2, 6, 1, 0);
	evbuffer_add(b, "j", 1);
	evbuffer_drain(b, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ASSERT_INFO(l, 3, 7, 1, 1); /* a net-zero change is still reported */
	event_base_loop(base, EVLOOP_NONBLOCK);
	cr_assert_eq(l.calls, 3, "nothing new, no run");
	/* A deferred buffer and an immediate one in one add_buffer. */
	evbuffer_add(c, "zz", 2);
	evbuffer_add_cb(c, log_cb, &lc);
	evbuffer_add_buffer(b, c);
	ASSERT_INFO(lc, 1, 2, 0, 2);
	cr_assert_eq(l.calls, 3);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ASSERT_INFO(l, 4, 7, 2, 0);
	/* Freed with a run pending: the run is cancelled. */
	evbuffer_add(b, "k", 1);
	evbuffer_free(b);
	event_base_loop(base, EVLOOP_NONBLOCK);
	cr_assert_eq(l.calls, 4);
	evbuffer_free(c);
	event_base_free(base);
}

Test(evbuffer_cb, nodefer_runs_at_once, .timeout = 10)
{
	struct event_base *base = event_base_new();
	struct evbuffer *b = evbuffer_new();
	struct cb_log now = { 0 }, later = { 0 };

	struct evbuffer_cb_entry *e = evbuffer_add_cb(b, log_cb, &now);
	evbuffer_cb_set_flags(b, e, EVBUFFER_CB_NODEFER);
	evbuffer_add_cb(b, log_cb, &later);
	evbuffer_defer_callbacks(b, base);
	evbuffer_add(b, "ab", 2);
	ASSERT_INFO(now, 1, 0, 2, 0);
	evbuffer_drain(b, 1);
	ASSERT_INFO(now, 2, 2, 0, 1);
	cr_assert_eq(later.calls, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ASSERT_INFO(later, 1, 0, 2, 1);
	cr_assert_eq(now.calls, 2);
	evbuffer_add(b, "c", 1);
	ASSERT_INFO(now, 3, 1, 1, 0);
	evbuffer_free(b);
	event_base_free(base);
}

/* ---- references ------------------------------------------------------------- */

struct ref_count {
	int calls;
	const void *data;
	size_t len;
};

static void
count_cleanup(const void *data, size_t len, void *arg)
{
	struct ref_count *r = arg;

	r->calls++;
	r->data = data;
	r->len = len;
}

Test(evbuffer_ref, cleanup_once_when_drained, .timeout = 10)
{
	static const char text[] = "referenced bytes";
	struct evbuffer *b = evbuffer_new();
	struct ref_count r = { 0 };

	cr_assert_eq(evbuffer_add_reference(b, text, 16, count_cleanup, &r), 0);
	evbuffer_drain(b, 10);
	cr_assert_eq(r.calls, 0, "still partly in use");
	evbuffer_drain(b, 6);
	cr_assert_eq(r.calls, 1);
	cr_assert(r.data == text && r.len == 16, "cleanup gets the original extent");
	evbuffer_add(b, "x", 1);
	evbuffer_free(b);
	cr_assert_eq(r.calls, 1);
}

Test(evbuffer_ref, cleanup_once_on_free_and_after_moves, .timeout = 10)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	struct ref_count r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	char out[32];

	evbuffer_add_reference(a, "one", 3, count_cleanup, &r1);
	evbuffer_add_reference(a, "two", 3, count_cleanup, &r2);
	evbuffer_add_reference(a, "", 0, count_cleanup, &r3);
	cr_assert_eq(r3.calls, 1, "an empty reference is released at once");
	evbuffer_add_buffer(b, a);
	cr_assert_eq(r1.calls + r2.calls, 0);
	cr_assert_eq(evbuffer_remove_buffer(b, a, 4), 4); /* "one" moves, "t" copied */
	cr_assert_eq(r1.calls + r2.calls, 0);
	cr_assert_eq(evbuffer_remove(a, out, sizeof(out)), 4);
	cr_assert_eq(r1.calls, 1);
	cr_assert_eq(r2.calls, 0);
	evbuffer_free(a);
	evbuffer_free(b);
	cr_assert_eq(r1.calls, 1);
	cr_assert_eq(r2.calls, 1);
	cr_assert_eq(r3.calls, 1);
}

Test(evbuffer_ref, pullup_releases_references_once, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	struct ref_count r[4] = { 0 };

	for (int i = 0; i < 4; i++)
		evbuffer_add_reference(b, "abcd", 4, count_cleanup, &r[i]);
	cr_assert_not_null(evbuffer_pullup(b, 10));
	cr_assert(r[0].calls == 1 && r[1].calls == 1 && r[2].calls == 0);
	evbuffer_free(b);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(r[i].calls, 1);
}

/* Referenced memory is mapped read-only: any engine write would crash. */
Test(evbuffer_ref, referenced_memory_is_never_written, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct evbuffer_iovec v[2];

	memset(page, 'r', 4096);
	mprotect(page, 4096, PROT_READ);
	evbuffer_add_reference(b, page + 100, 10, NULL, NULL);
	evbuffer_drain(b, 3);
	evbuffer_add(b, "after", 5);
	evbuffer_add_printf(b, "%s", "printf");
	evbuffer_prepend(b, "before", 6);
	int n = evbuffer_reserve_space(b, 64, v, 2);
	cr_assert_geq(n, 1);
	memset(v[0].iov_base, 'w', v[0].iov_len);
	v[0].iov_len = 2;
	evbuffer_commit_space(b, v, 1);
	evt_assert_str(b, "beforerrrrrrrafterprintfww");
	evbuffer_free(b);
	munmap(page, 4096);
}

Test(evbuffer_ref, views_share_and_outlive_the_source, .timeout = 10)
{
	struct evbuffer *src = evbuffer_new(), *v1 = evbuffer_new(), *v2 = evbuffer_new();
	struct ref_count r = { 0 };

	evbuffer_add_reference(src, "shared!", 7, count_cleanup, &r);
	evbuffer_add(src, "plain", 5);
	const unsigned char *p = evt_addr(src, 0);
	cr_assert_eq(evbuffer_add_buffer_reference(v1, src), 0);
	cr_assert_eq(evbuffer_add_buffer_reference(v2, src), 0);
	cr_assert_eq(evt_addr(v1, 0), p, "a view does not copy");
	evt_assert_str(v1, "shared!plain");
	/* The source stays intact, and writing to it does not touch views. */
	evt_assert_str(src, "shared!plain");
	evbuffer_add(src, "+more", 5);
	evbuffer_prepend(src, "pre-", 4);
	evt_assert_str(v1, "shared!plain");
	/* A buffer holding views cannot be viewed; nor can a buffer itself. */
	cr_assert_eq(evbuffer_add_buffer_reference(v2, v1), -1);
	cr_assert_eq(evbuffer_add_buffer_reference(src, src), -1);
	/* The referenced memory is released when the last holder lets go. */
	evbuffer_free(src);
	cr_assert_eq(r.calls, 0);
	evbuffer_drain(v1, 100);
	cr_assert_eq(r.calls, 0);
	evt_assert_str(v2, "shared!plain");
	evbuffer_free(v2);
	cr_assert_eq(r.calls, 1);
	evbuffer_free(v1);
	cr_assert_eq(r.calls, 1);
}

/* ---- locking ------------------------------------------------------------------ */

Test(evbuffer_lock, enable_without_threads_fails, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();

	cr_assert_eq(evbuffer_enable_locking(b, NULL), -1, "no lock callbacks installed");
	evbuffer_lock(b); /* no-ops */
	evbuffer_unlock(b);
	evbuffer_free(b);
}

#define PRODUCED 20000

static void *
producer(void *arg)
{
	struct evbuffer *b = arg;

	for (int i = 0; i < PRODUCED; i++)
		evbuffer_add(b, "0123456789", 10);
	return NULL;
}

Test(evbuffer_lock, producer_consumer_threads, .timeout = 30)
{
	struct evbuffer *b;
	pthread_t t;
	size_t got = 0;
	char out[64];

	cr_assert_eq(evthread_use_pthreads(), 0);
	b = evbuffer_new();
	cr_assert_eq(evbuffer_enable_locking(b, NULL), 0);
	cr_assert_eq(evbuffer_enable_locking(b, NULL), -1, "only once");
	pthread_create(&t, NULL, producer, b);
	while (got < (size_t)PRODUCED * 10) {
		evbuffer_lock(b);
		int n = evbuffer_remove(b, out, sizeof(out) - sizeof(out) % 10);
		evbuffer_unlock(b);
		cr_assert_geq(n, 0);
		for (int i = 0; i < n; i++)
			cr_assert_eq(out[i], '0' + (char)((got + (size_t)i) % 10));
		got += (size_t)n;
	}
	pthread_join(t, NULL);
	cr_assert_eq(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}
