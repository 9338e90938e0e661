/*
 * test-evbuffer-guard.c: reading functions on inputs that touch a
 * PROT_NONE guard page.
 *
 * Each piece of input is referenced (evbuffer_add_reference) from its own
 * mapping, placed so that it either ends right before an inaccessible page
 * or starts right after one.  Any read one byte past a chain's end or
 * before its start faults, and the test crashes.  Buffers are built from
 * several such pieces so matches and line ends straddle chain edges.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/buffer_compat.h>

#include "evbuffer-test.h"

struct guarded {
	void *map;
	size_t len;
};

static void
unmap_cleanup(const void *data, size_t len, void *arg)
{
	struct guarded *g = arg;

	(void)data;
	(void)len;
	munmap(g->map, g->len);
	free(g);
}

/* Appends text[0..n) to b from memory fenced by PROT_NONE pages on both
 * sides; at_end puts the bytes against the trailing fence, else against
 * the leading one. */
static void
add_guarded(struct evbuffer *b, const char *text, size_t n, int at_end)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (n + page - 1) / page + 1;
	struct guarded *g = malloc(sizeof(*g));
	unsigned char *m;

	g->len = (data_pages + 2) * page;
	g->map = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(g->map, MAP_FAILED);
	m = g->map;
	mprotect(m, page, PROT_NONE);
	mprotect(m + (data_pages + 1) * page, page, PROT_NONE);
	unsigned char *start = at_end ? m + (data_pages + 1) * page - n : m + page;
	memcpy(start, text, n);
	mprotect(m + page, data_pages * page, PROT_READ);
	cr_assert_eq(evbuffer_add_reference(b, start, n, unmap_cleanup, g), 0);
}

/* A buffer of the pieces, alternately against the end and the start. */
static struct evbuffer *
build(const char *const *pieces, int n, int flip)
{
	struct evbuffer *b = evbuffer_new();

	for (int i = 0; i < n; i++)
		add_guarded(b, pieces[i], strlen(pieces[i]), (i + flip) % 2 == 0);
	return b;
}

static const char *const http[] = { "GET / HTTP/1.1\r", "\nHost: x\r\n\r", "\n" };
static const char *const tail_cr[] = { "abc", "def\r" };
static const char *const spread[] = { "a", "b", "c", "d", "\r", "\n", "e" };

Test(evbuffer_guard, search_across_edges, .timeout = 10)
{
	for (int flip = 0; flip < 2; flip++) {
		struct evbuffer *b = build(spread, 7, flip);
		struct evbuffer_ptr p, e;
		cr_assert_eq(evbuffer_search(b, "abcd", 4, NULL).pos, 0);
		cr_assert_eq(evbuffer_search(b, "d\r\ne", 4, NULL).pos, 3);
		cr_assert_eq(evbuffer_search(b, "\ne", 2, NULL).pos, 5);
		cr_assert_eq(evbuffer_search(b, "ef", 2, NULL).pos, -1, "runs off the end");
		cr_assert_eq(evbuffer_search(b, "e", 1, NULL).pos, 6);
		cr_assert_eq(evbuffer_search(b, "abcd\r\nef", 8, NULL).pos, -1);
		evbuffer_ptr_set(b, &p, 6, EVBUFFER_PTR_SET);
		cr_assert_eq(evbuffer_search(b, "e", 1, &p).pos, 6);
		evbuffer_ptr_set(b, &p, 7, EVBUFFER_PTR_SET);
		cr_assert_eq(evbuffer_search(b, "e", 1, &p).pos, -1);
		evbuffer_ptr_set(b, &e, 5, EVBUFFER_PTR_SET);
		cr_assert_eq(evbuffer_search_range(b, "\r\n", 2, NULL, &e).pos, -1);
		evbuffer_ptr_set(b, &e, 6, EVBUFFER_PTR_SET);
		cr_assert_eq(evbuffer_search_range(b, "\r\n", 2, NULL, &e).pos, 4);
		evbuffer_free(b);
	}
}

Test(evbuffer_guard, search_eol_at_the_edges, .timeout = 10)
{
	for (int flip = 0; flip < 2; flip++) {
		struct evbuffer *b = build(tail_cr, 2, flip);
		struct evbuffer_ptr p;
		size_t len;
		for (int style = 0; style < 5; style++) {
			p = evbuffer_search_eol(b, NULL, &len, (enum evbuffer_eol_style)style);
			if (style == EVBUFFER_EOL_ANY)
				cr_assert(p.pos == 6 && len == 1, "a CR as the last byte");
			else
				cr_assert_eq(p.pos, -1, "style %d", style);
		}
		evbuffer_free(b);

		b = build(http, 3, flip);
		p = evbuffer_search_eol(b, NULL, &len, EVBUFFER_EOL_CRLF_STRICT);
		cr_assert(p.pos == 14 && len == 2);
		evbuffer_ptr_set(b, &p, 15, EVBUFFER_PTR_SET);
		p = evbuffer_search_eol(b, &p, &len, EVBUFFER_EOL_CRLF);
		cr_assert(p.pos == 15 && len == 1, "the CR before the start is not looked at");
		evbuffer_ptr_set(b, &p, 16, EVBUFFER_PTR_SET);
		p = evbuffer_search_eol(b, &p, &len, EVBUFFER_EOL_CRLF);
		cr_assert(p.pos == 23 && len == 2);
		evbuffer_ptr_set(b, &p, 25, EVBUFFER_PTR_SET);
		p = evbuffer_search_eol(b, &p, &len, EVBUFFER_EOL_ANY);
		cr_assert(p.pos == 25 && len == 2, "a CR LF split at the last edge");
		evbuffer_free(b);
	}
}

Test(evbuffer_guard, readln_every_style, .timeout = 10)
{
	for (int flip = 0; flip < 2; flip++) {
		for (int style = 0; style < 5; style++) {
			struct evbuffer *b = build(http, 3, flip);
			size_t n;
			char *l = evbuffer_readln(b, &n, (enum evbuffer_eol_style)style);
			if (style == EVBUFFER_EOL_NUL) {
				cr_assert_null(l);
			} else {
				cr_assert_not_null(l);
				cr_assert_eq(strncmp(l, "GET / HTTP/1.1", 14), 0);
			}
			free(l);
			while ((l = evbuffer_readln(b, &n, (enum evbuffer_eol_style)style)))
				free(l);
			evbuffer_free(b);
		}
	}
}

Test(evbuffer_guard, peek_pullup_copyout, .timeout = 10)
{
	for (int flip = 0; flip < 2; flip++) {
		struct evbuffer *b = build(http, 3, flip);
		struct evbuffer_iovec v[4];
		struct evbuffer_ptr p;
		char out[32];
		const char *all = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

		cr_assert_eq(evbuffer_peek(b, -1, NULL, v, 4), 3);
		cr_assert_eq(v[2].iov_len, 1);
		evbuffer_ptr_set(b, &p, 14, EVBUFFER_PTR_SET);
		cr_assert_eq(evbuffer_peek(b, 2, &p, v, 4), 2);
		cr_assert_eq(v[0].iov_len, 1);
		cr_assert_eq(evbuffer_copyout(b, out, sizeof(out)), 27);
		cr_assert(memcmp(out, all, 27) == 0);
		evbuffer_ptr_set(b, &p, 26, EVBUFFER_PTR_SET);
		cr_assert_eq(evbuffer_copyout_from(b, &p, out, 10), 1);
		cr_assert_eq(out[0], '\n');
		unsigned char *u = evbuffer_pullup(b, 16);
		cr_assert(memcmp(u, all, 16) == 0);
		u = evbuffer_pullup(b, -1);
		cr_assert(memcmp(u, all, 27) == 0);
		unsigned char *f = evbuffer_find(b, (const unsigned char *)"\r\n\r\n", 4);
		cr_assert_eq(f, u + 23);
		evbuffer_free(b);
	}
}

/* Every cut of one text into two guarded pieces, every operation. */
Test(evbuffer_guard, every_split_point, .timeout = 20)
{
	const char *text = "key: v\r\n\r\nbody\0tail\n";
	size_t len = 20;

	for (size_t cut = 1; cut < len; cut++) {
		for (int flip = 0; flip < 2; flip++) {
			struct evbuffer *b = evbuffer_new();
			char head[32], rest[32];
			memcpy(head, text, cut);
			memcpy(rest, text + cut, len - cut);
			add_guarded(b, head, cut, flip);
			add_guarded(b, rest, len - cut, !flip);
			size_t n;
			struct evbuffer_ptr p = evbuffer_search(b, "\r\n\r\n", 4, NULL);
			cr_assert_eq(p.pos, 6, "cut %zu", cut);
			p = evbuffer_search_eol(b, NULL, &n, EVBUFFER_EOL_NUL);
			cr_assert_eq(p.pos, 14);
			p = evbuffer_search_eol(b, NULL, &n, EVBUFFER_EOL_ANY);
			cr_assert(p.pos == 6 && n == 4, "cut %zu: %zd/%zu", cut, p.pos, n);
			char *l = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF);
			cr_assert_str_eq(l, "key: v");
			free(l);
			l = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF);
			cr_assert_str_eq(l, "");
			free(l);
			l = evbuffer_readln(b, &n, EVBUFFER_EOL_LF);
			cr_assert(n == 9 && memcmp(l, "body\0tail", 9) == 0);
			free(l);
			cr_assert_eq(evbuffer_get_length(b), 0);
			evbuffer_free(b);
		}
	}
}
