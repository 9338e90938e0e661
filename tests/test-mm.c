/*
 * test-mm.c: event_set_mem_functions.  A counting allocator must see the
 * allocations of base and event creation and get every block back when
 * they are freed; the C library's malloc must see none of it; and an
 * allocator that fails (always, or at the Nth call) makes creation
 * return NULL or -1 without crashing or leaking.  Runs under each backend.
 *
 * The allocator hands out blocks from a static arena, so blocks taken
 * behind its back from the C library show up in mallinfo2().
 */
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/event.h>

#include "testutil.h"

/* ---- the test allocator ------------------------------------------------- */

#define ARENA_SIZE (64u << 20)
#define HDR 16	/* keeps blocks 16-byte aligned; holds the size */

static unsigned char arena[ARENA_SIZE] __attribute__((aligned(16)));
static size_t arena_used;
static long n_malloc, n_realloc, n_free, live;
static long fail_countdown = -1;	/* n > 0: fail only the nth call from now */
static int fail_forever;

static int
should_fail(void)
{
	if (fail_forever)
		return 1;
	if (fail_countdown <= 0)
		return 0;
	return --fail_countdown == 0;
}

static const unsigned long block_magic = 0x6d6d2d626c6f636bUL;
static const unsigned long freed_magic = 0;

static void *
take(size_t sz)
{
	size_t need = (sz + HDR + 15) & ~(size_t)15;
	unsigned char *p;

	if (arena_used + need > ARENA_SIZE)
		return NULL;
	p = arena + arena_used;
	arena_used += need;
	memcpy(p, &sz, sizeof(sz));
	memcpy(p + sizeof(sz), &block_magic, sizeof(block_magic));
	live++;
	return p + HDR;
}

/* Is p exactly a block take() handed out and nobody freed yet?  (A
 * pointer into the middle of a block, as an over-allocating caller might
 * wrongly pass, is not.) */
static int
is_live_block(void *p)
{
	unsigned long m;
	if ((unsigned char *)p < arena + HDR || (unsigned char *)p >= arena + ARENA_SIZE ||
	    ((unsigned char *)p - arena) % 16 != 0)
		return 0;
	memcpy(&m, (unsigned char *)p - sizeof(m), sizeof(m));
	return m == block_magic;
}

static void *
t_malloc(size_t sz)
{
	n_malloc++;
	if (should_fail())
		return NULL;
	return take(sz);
}

static void
t_free(void *p)
{
	if (!p)
		return;
	cr_assert(is_live_block(p),
	    "free_fn got a block the allocator never handed out (or freed twice)");
	memcpy((unsigned char *)p - sizeof(freed_magic), &freed_magic, sizeof(freed_magic));
	n_free++;
	live--;
}

static void *
t_realloc(void *p, size_t sz)
{
	void *q;
	size_t old;

	n_realloc++;
	if (should_fail())
		return NULL;
	if (!p)
		return take(sz);
	cr_assert(is_live_block(p), "realloc_fn got a block the allocator never handed out");
	memcpy(&old, (unsigned char *)p - HDR, sizeof(old));
	q = take(sz);
	if (!q)
		return NULL;
	memcpy(q, p, old < sz ? old : sz);
	memcpy((unsigned char *)p - sizeof(freed_magic), &freed_magic, sizeof(freed_magic));
	live--;
	return q;
}

static void
install(void)
{
	event_set_mem_functions(t_malloc, t_realloc, t_free);
	tu_log_capture();
	/* stock keeps the last method list allocated; take it out of the books */
	event_get_supported_methods();
}

static size_t
libc_in_use(void)
{
	return mallinfo2().uordblks;
}

/* ---- counting ---------------------------------------------------------------- */

static void
noop_cb(evutil_socket_t fd, short what, void *arg)
{
}

static int n_cb;

static void
count_cb(evutil_socket_t fd, short what, void *arg)
{
	n_cb++;
}

TU_BACKEND_TEST(mm, allocator_sees_base_and_events, .timeout = 10)
{
	struct event_base *base;
	struct event *ev;
	long live0, m;

	install();
	live0 = live;
	base = tu_base_new(method, 0);
	cr_assert_gt(n_malloc + n_realloc, 0, "the base allocated nothing through "
	    "the installed functions");
	cr_assert_gt(live, live0);
	m = n_malloc + n_realloc;
	ev = event_new(base, -1, 0, noop_cb, NULL);
	cr_assert_not_null(ev);
	cr_assert_gt(n_malloc + n_realloc, m, "event_new bypassed malloc_fn");
	m = n_free;
	event_free(ev);
	cr_assert_gt(n_free, m, "event_free bypassed free_fn");
	tu_base_free(base);
	cr_assert_eq(live, live0, "%ld blocks still live after event_base_free",
	    live - live0);
}

/* The engine puts a base on a 64-byte boundary (its hot fields fill two
 * cache lines, EXP-037) even though the installed allocator promises 16;
 * what it frees is still exactly what the allocator handed out (the
 * strict free_fn checks that). */
TU_BACKEND_TEST(mm, base_is_line_aligned_from_any_allocator, .timeout = 10)
{
	TU_ENGINE_ONLY();
	long live0;

	install();
	live0 = live;
	for (int k = 0; k < 4; k++) {
		/* Shift the arena by 16 bytes each time: every alignment mod 64. */
		cr_assert_not_null(t_malloc(1));
		struct event_base *base = tu_base_new(method, 0);
		cr_assert_eq((uintptr_t)base % 64, 0, "base at %p", (void *)base);
		tu_base_free(base);
	}
	cr_assert_eq(live, live0 + 4, "a base left blocks behind");
}

static void
full_workload(const char *method)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t5 = tu_tv_ms(5), d = tu_tv_ms(30), far = { 3600, 0 };
	const struct timeval *common;
	struct event *evs[64];
	int fds[32][2], i;

	cr_assert_eq(event_base_priority_init(base, 4), 0);
	common = event_base_init_common_timeout(base, &d);
	cr_assert_not_null(common);
	for (i = 0; i < 32; i++) {
		tu_socketpair(fds[i]);
		evs[i] = event_new(base, fds[i][0], EV_READ | EV_PERSIST, count_cb, NULL);
		cr_assert_eq(event_add(evs[i], i % 2 ? &far : NULL), 0);
		evs[32 + i] = evtimer_new(base, count_cb, NULL);
		cr_assert_eq(evtimer_add(evs[32 + i], i % 3 ? &t5 : common), 0);
		tu_write1(fds[i][1]);
	}
	{
		struct event *s = evsignal_new(base, SIGUSR1, count_cb, NULL);

		cr_assert_eq(evsignal_add(s, NULL), 0);
		raise(SIGUSR1);
		cr_assert_eq(event_base_once(base, -1, EV_TIMEOUT, count_cb, NULL,
		    &t5), 0);
		cr_assert_eq(event_base_once(base, -1, EV_TIMEOUT, count_cb, NULL,
		    &far), 0);	/* never fires: freed with the base */
		cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
		event_free(s);
	}
	{
		struct timeval stop = tu_tv_ms(50);

		cr_assert_eq(event_base_loopexit(base, &stop), 0);
		cr_assert_eq(event_base_dispatch(base), 0);
	}
	cr_assert_gt(n_cb, 64);
	for (i = 0; i < 64; i++)
		event_free(evs[i]);
	for (i = 0; i < 32; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	tu_base_free(base);
}

TU_BACKEND_TEST(mm, no_leak_after_full_workload, .timeout = 10)
{
	long live0;

	install();
	live0 = live;
	full_workload(method);
	cr_assert_eq(live, live0, "%ld blocks leaked", live - live0);
}

TU_BACKEND_TEST(mm, libc_malloc_untouched, .timeout = 10)
{
	size_t before, after;

	install();
	/* Warm up the C library's own lazy allocations (stdio, locale). */
	full_workload(method);
	n_cb = 0;
	before = libc_in_use();
	full_workload(method);
	after = libc_in_use();
	cr_assert_eq(after, before, "the C library's heap grew by %zd bytes: "
	    "something allocated behind the installed functions",
	    (ssize_t)(after - before));
}

/* ---- failing allocators ------------------------------------------------------- */

TU_BACKEND_TEST(mm, failing_allocator_gives_null, .timeout = 10)
{
	struct event_base *base;
	struct event_config *cfg;

	install();
	base = tu_base_new(method, 0);
	fail_forever = 1;
	cr_assert_null(event_new(base, -1, 0, noop_cb, NULL));
	cr_assert_null(event_config_new());
	cr_assert_null(event_base_new());
	cr_assert_eq(event_base_once(base, -1, EV_TIMEOUT, noop_cb, NULL, NULL), -1);
	fail_forever = 0;
	tu_log_clear();
	/* Recovers once memory is back. */
	cfg = event_config_new();
	cr_assert_not_null(cfg);
	event_config_free(cfg);
	{
		struct event *ev = event_new(base, -1, 0, count_cb, NULL);

		cr_assert_not_null(ev);
		event_active(ev, EV_TIMEOUT, 0);
		cr_assert_eq(event_base_dispatch(base), 1);
		cr_assert_eq(n_cb, 1);
		event_free(ev);
	}
	tu_base_free(base);
}

/* Make the Nth allocation of base creation fail, for every N. */
TU_BACKEND_TEST(mm, base_creation_survives_each_failure_point, .timeout = 30)
{
	long n, total, live0;

	install();
	/* How many allocations does a successful creation take? */
	{
		long before = n_malloc + n_realloc;
		struct event_base *base = tu_base_new(method, 0);

		total = n_malloc + n_realloc - before;
		tu_base_free(base);
	}
	cr_assert_gt(total, 0);
	for (n = 1; n <= total + 2; n++) {
		struct event_config *cfg;
		struct event_base *base;
		const char **m;

		live0 = live;
		fail_countdown = -1;
		cfg = event_config_new();
		cr_assert_not_null(cfg);
		for (m = event_get_supported_methods(); *m; m++)
			if (strcmp(*m, method) != 0)
				event_config_avoid_method(cfg, *m);
		fail_countdown = n;
		base = event_base_new_with_config(cfg);
		fail_countdown = -1;
		if (base) {
			cr_assert_str_eq(event_base_get_method(base), method);
			event_base_free(base);
		}
		event_config_free(cfg);
		cr_assert_eq(live, live0, "failure at allocation %ld leaked %ld blocks",
		    n, live - live0);
	}
	tu_log_clear();
}

TU_BACKEND_TEST(mm, event_add_survives_allocation_failure, .timeout = 10)
{
	struct event_base *base;
	struct event *evs[200];
	int fds[200][2], i, added = 0, refused = 0;

	install();
	base = tu_base_new(method, 0);
	/* Growing the fd map and change lists needs memory; refuse it all. */
	for (i = 0; i < 200; i++) {
		tu_socketpair(fds[i]);
		evs[i] = event_new(base, fds[i][0], EV_READ, count_cb, NULL);
		cr_assert_not_null(evs[i]);
	}
	fail_forever = 1;
	for (i = 0; i < 200; i++) {
		if (event_add(evs[i], NULL) == 0) {
			added++;
		} else {
			refused++;
			cr_assert_eq(event_pending(evs[i], EV_READ, NULL), 0,
			    "a refused event_add left the event pending");
		}
	}
	fail_forever = 0;
	tu_log_clear();
	/* Whatever was accepted works; the rest can be added now. */
	for (i = 0; i < 200; i++) {
		if (!event_pending(evs[i], EV_READ, NULL))
			cr_assert_eq(event_add(evs[i], NULL), 0);
		tu_write1(fds[i][1]);
	}
	while (n_cb < 200)
		cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(n_cb, 200);
	cr_assert_eq(added + refused, 200);
	for (i = 0; i < 200; i++) {
		event_free(evs[i]);
		close(fds[i][0]);
		close(fds[i][1]);
	}
	tu_base_free(base);
}
