/*
 * test-evbuffer-alloc.c: a warm evbuffer allocates nothing.
 *
 * A counting allocator is installed with event_set_mem_functions() at the
 * start of each test (each Criterion test is its own process, so it sees
 * every engine allocation from the first).  After a few warm-up rounds,
 * steady cycles of add/drain, reserve/commit, prepend, printf, references,
 * add_buffer, pullup, search, and read/write through a socket must not
 * call it at all.  Allocation failures are also injected, to show they
 * return errors and leave the buffer intact.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "evbuffer-test.h"

static long n_malloc, n_realloc, n_free;
static long fail_after = -1; /* fail the allocation after this many */

static void *
count_malloc(size_t n)
{
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	n_malloc++;
	return malloc(n);
}

static void *
count_realloc(void *p, size_t n)
{
	n_realloc++;
	return realloc(p, n);
}

static void
count_free(void *p)
{
	n_free += p != NULL;
	free(p);
}

static void
install(void)
{
	event_set_mem_functions(count_malloc, count_realloc, count_free);
}

static void
reset(void)
{
	n_malloc = n_realloc = n_free = 0;
}

#define ASSERT_NO_ALLOC(what)                                                  \
	cr_assert(n_malloc == 0 && n_realloc == 0 && n_free == 0,               \
	    "%s: %ld mallocs, %ld reallocs, %ld frees in the warm cycle", (what), \
	    n_malloc, n_realloc, n_free)

/* Runs body warm-up times, resets the counts, then rounds more times. */
#define WARM_CYCLE(rounds, body)             \
	do {                                     \
		for (int w_ = 0; w_ < 16; w_++) {    \
			body;                            \
		}                                    \
		reset();                             \
		for (int r_ = 0; r_ < (rounds); r_++) { \
			body;                            \
		}                                    \
	} while (0)

static char payload[70000];

Test(evbuffer_alloc, add_drain_remove_cycles, .timeout = 20)
{
	install();
	struct evbuffer *b = evbuffer_new();
	char out[5000];

	WARM_CYCLE(20000, {
		evbuffer_add(b, payload, 100);
		evbuffer_drain(b, 100);
	});
	ASSERT_NO_ALLOC("add 100 / drain");
	WARM_CYCLE(2000, {
		evbuffer_add(b, payload, 4500);
		evbuffer_add(b, payload, 65000);
		evbuffer_remove(b, out, sizeof(out));
		evbuffer_drain(b, 64500);
	});
	ASSERT_NO_ALLOC("large adds / remove / drain");
	WARM_CYCLE(20000, {
		evbuffer_add(b, "abc", 3);
		evbuffer_prepend(b, "xyz", 3);
		evbuffer_add_printf(b, "%d:%s", 42, "hello");
		evbuffer_remove(b, out, 14);
	});
	ASSERT_NO_ALLOC("add / prepend / printf / remove");
	cr_assert_eq(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

Test(evbuffer_alloc, reserve_commit_and_references, .timeout = 20)
{
	install();
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_iovec v[2];

	WARM_CYCLE(20000, {
		int n = evbuffer_reserve_space(b, 3000, v, 2);
		cr_assert_geq(n, 1);
		v[0].iov_len = 10;
		evbuffer_commit_space(b, v, 1);
		evbuffer_add_reference(b, payload, 500, NULL, NULL);
		evbuffer_drain(b, 510);
	});
	ASSERT_NO_ALLOC("reserve / commit / add_reference / drain");
	evbuffer_free(b);
}

Test(evbuffer_alloc, moving_pulling_searching, .timeout = 20)
{
	install();
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	struct evbuffer_ptr p;

	memset(payload, 'p', sizeof(payload));
	payload[6000] = '\n';
	WARM_CYCLE(5000, {
		evbuffer_add(a, payload, 3000);
		evbuffer_add_reference(a, payload + 3000, 5000, NULL, NULL);
		evbuffer_add_buffer(b, a);
		evbuffer_remove_buffer(b, a, 2000);
		evbuffer_prepend_buffer(b, a);
		p = evbuffer_search_eol(b, NULL, NULL, EVBUFFER_EOL_LF);
		cr_assert_eq(p.pos, 6000);
		evbuffer_ptr_set(b, &p, 10, EVBUFFER_PTR_SET);
		evbuffer_search(b, "pp\n", 3, &p);
		evbuffer_pullup(b, 7000);
		evbuffer_drain(b, 8000);
	});
	ASSERT_NO_ALLOC("add_buffer / remove_buffer / search / pullup");
	evbuffer_free(a);
	evbuffer_free(b);
}

Test(evbuffer_alloc, read_write_cycle, .timeout = 20)
{
	install();
	struct evbuffer *out = evbuffer_new(), *in = evbuffer_new();
	int sv[2], sz = 1 << 20;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	/* Small messages, echoed back through the same buffers. */
	WARM_CYCLE(5000, {
		evbuffer_add(out, payload, 64);
		cr_assert_eq(evbuffer_write(out, sv[0]), 64);
		cr_assert_eq(evbuffer_read(in, sv[1], -1), 64);
		evbuffer_add_buffer(out, in);
		cr_assert_eq(evbuffer_write(out, sv[0]), 64);
		cr_assert_eq(evbuffer_read(in, sv[1], -1), 64);
		evbuffer_drain(in, 64);
	});
	ASSERT_NO_ALLOC("64-byte read / write / add_buffer");
	/* 64 KiB messages. */
	WARM_CYCLE(500, {
		evbuffer_add(out, payload, 65536);
		cr_assert_eq(evbuffer_write(out, sv[0]), 65536);
		size_t got = 0;
		while (got < 65536) {
			int r = evbuffer_read(in, sv[1], -1);
			cr_assert_gt(r, 0);
			got += (size_t)r;
		}
		evbuffer_drain(in, got);
	});
	ASSERT_NO_ALLOC("64 KiB read / write");
	evbuffer_free(out);
	evbuffer_free(in);
	close(sv[0]);
	close(sv[1]);
}

/* Allocations an operation needs may fail: the operation reports it and
 * the buffer keeps exactly what it had. */
Test(evbuffer_alloc, failures_leave_the_buffer_intact, .timeout = 20)
{
	install();
	evt_capture_log();
	struct evbuffer *b = evbuffer_new(), *o = evbuffer_new();
	struct evbuffer_iovec v[2];
	static char big[200000];

	memset(big, 'b', sizeof(big) - 1);
	evbuffer_add(b, "keep", 4);
	evbuffer_add_reference(o, "other", 5, NULL, NULL);
	/* Sizes beyond the chain cache, so every one needs the allocator. */
	fail_after = 0;
	cr_assert_eq(evbuffer_add(b, big, sizeof(big)), -1);
	cr_assert_eq(evbuffer_prepend(b, big, sizeof(big)), -1);
	cr_assert_eq(evbuffer_expand(b, sizeof(big)), -1);
	cr_assert_eq(evbuffer_reserve_space(b, sizeof(big), v, 1), -1);
	cr_assert_eq(evbuffer_add_printf(b, "%s", big + 50000), -1);
	cr_assert_null(evbuffer_readln(b, NULL, EVBUFFER_EOL_ANY));
	/* What fits in place still works. */
	cr_assert_not_null(evbuffer_pullup(b, -1));
	cr_assert_eq(evbuffer_add_printf(b, "%s", "x"), 1);
	cr_assert_eq(evbuffer_remove_buffer(o, b, 2), 2);
	cr_assert_null(evbuffer_new());
	cr_assert_null(evbuffer_add_cb(b, NULL, NULL));
	fail_after = -1;
	evt_assert_str(b, "keepxot");
	evt_assert_str(o, "her");
	evbuffer_free(b);
	evbuffer_free(o);
}

static void *
thread_work(void *arg)
{
	struct evbuffer *b = evbuffer_new();

	(void)arg;
	for (int i = 0; i < 100; i++) {
		evbuffer_add(b, payload, 10000);
		evbuffer_add_reference(b, payload, 100, NULL, NULL);
		evbuffer_drain(b, 10100);
	}
	evbuffer_free(b);
	return NULL;
}

/* The chain cache of a thread is freed when the thread exits. */
Test(evbuffer_alloc, thread_exit_frees_its_cache, .timeout = 20)
{
	pthread_t t;

	install();
	reset();
	cr_assert_eq(pthread_create(&t, NULL, thread_work, NULL), 0);
	pthread_join(t, NULL);
	cr_assert_gt(n_malloc, 0);
	cr_assert_eq(n_free, n_malloc, "%ld allocations, %ld freed", n_malloc, n_free);
}
