/*
 * test-evbuffer.c: evbuffer basics, the data-structure promises (adds
 * never move bytes, drains move an offset, whole chains move between
 * buffers), freezing, reserve/commit rules, searching examples, the 1.x
 * compatibility names, and bad input.
 *
 * Expected values for subtle cases were checked against stock libevent
 * 2.1.12 (Debian's libevent-dev) with scratch programs.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/event.h>

#include "evbuffer-internal.h"
#include "evbuffer-test.h"

/* ---- ABI facts -------------------------------------------------------------- */

Test(evbuffer_abi, constants_and_layouts, .timeout = 10)
{
	cr_assert_eq(EVBUFFER_FLAG_DRAINS_TO_FD, 1);
	cr_assert_eq(EVBUFFER_CB_ENABLED, 1);
	cr_assert_eq(EVBUF_FS_CLOSE_ON_FREE, 0x01);
	cr_assert_eq(EVBUF_FS_DISABLE_MMAP, 0x02);
	cr_assert_eq(EVBUF_FS_DISABLE_SENDFILE, 0x04);
	cr_assert_eq(EVBUF_FS_DISABLE_LOCKING, 0x08);
	cr_assert_eq(EVBUFFER_EOL_ANY, 0);
	cr_assert_eq(EVBUFFER_EOL_CRLF, 1);
	cr_assert_eq(EVBUFFER_EOL_CRLF_STRICT, 2);
	cr_assert_eq(EVBUFFER_EOL_LF, 3);
	cr_assert_eq(EVBUFFER_EOL_NUL, 4);
	cr_assert_eq(EVBUFFER_PTR_SET, 0);
	cr_assert_eq(EVBUFFER_PTR_ADD, 1);
	/* ../shared/abi/LAYOUT-x86_64.txt */
	cr_assert_eq(sizeof(struct evbuffer_iovec), 16);
	cr_assert_eq(offsetof(struct evbuffer_iovec, iov_len), 8);
	cr_assert_eq(sizeof(struct evbuffer_ptr), 24);
	cr_assert_eq(offsetof(struct evbuffer_ptr, internal_), 8);
	cr_assert_eq(sizeof(struct evbuffer_cb_info), 24);
	cr_assert_eq(offsetof(struct evbuffer_cb_info, n_added), 8);
	cr_assert_eq(offsetof(struct evbuffer_cb_info, n_deleted), 16);
}

Test(evbuffer_abi, compat_macros, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, "abc", 3);
	evbuffer_add(b, "def", 3);
	cr_assert_eq(EVBUFFER_LENGTH(b), 6);
	cr_assert(memcmp(EVBUFFER_DATA(b), "abcdef", 6) == 0);
	evbuffer_free(b);
}

/* ---- basics --------------------------------------------------------------------- */

Test(evbuffer, add_remove_drain, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	char out[16];

	evt_capture_log();
	cr_assert_eq(evbuffer_get_length(b), 0);
	cr_assert_eq(evbuffer_get_contiguous_space(b), 0);
	cr_assert_eq(evbuffer_add(b, "hello ", 6), 0);
	cr_assert_eq(evbuffer_add(b, "world", 5), 0);
	cr_assert_eq(evbuffer_add(b, NULL, 0), 0);
	cr_assert_eq(evbuffer_get_length(b), 11);
	cr_assert_eq(evbuffer_remove(b, out, 5), 5);
	cr_assert(memcmp(out, "hello", 5) == 0);
	cr_assert_eq(evbuffer_drain(b, 1), 0);
	evt_assert_str(b, "world");
	cr_assert_eq(evbuffer_remove(b, out, sizeof(out)), 5);
	cr_assert_eq(evbuffer_remove(b, out, sizeof(out)), 0);
	/* Draining more than the buffer holds empties it and succeeds. */
	evbuffer_add(b, "xyz", 3);
	cr_assert_eq(evbuffer_drain(b, 1000), 0);
	cr_assert_eq(evbuffer_get_length(b), 0);
	cr_assert_eq(evbuffer_drain(b, 5), 0);
	cr_assert_eq(evt_warnings, 0, "unexpected warning: %s", evt_last_warning);
	evbuffer_free(b);
}

Test(evbuffer, prepend, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	char big[10000];

	cr_assert_eq(evbuffer_prepend(b, "c", 1), 0);
	cr_assert_eq(evbuffer_prepend(b, "b", 1), 0);
	cr_assert_eq(evbuffer_prepend(b, "a", 1), 0);
	evbuffer_add(b, "d", 1);
	evt_assert_str(b, "abcd");
	memset(big, 'z', sizeof(big));
	cr_assert_eq(evbuffer_prepend(b, big, sizeof(big)), 0);
	cr_assert_eq(evbuffer_get_length(b), sizeof(big) + 4);
	char *s = evt_contents(b, NULL);
	cr_assert(memcmp(s, big, sizeof(big)) == 0);
	cr_assert_str_eq(s + sizeof(big), "abcd");
	free(s);
	evbuffer_free(b);
}

Test(evbuffer, add_printf, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	char big[20000];

	cr_assert_eq(evbuffer_add_printf(b, "%d-%s", 42, "x"), 4);
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(evbuffer_add_printf(b, "[%s]", big), (int)sizeof(big) + 1);
	cr_assert_eq(evbuffer_add_printf(b, "%s", ""), 0);
	cr_assert_eq(evbuffer_get_length(b), 4 + sizeof(big) + 1);
	char *s = evt_contents(b, NULL);
	cr_assert(strncmp(s, "42-x[qqq", 8) == 0);
	cr_assert_eq(s[strlen(s) - 1], ']');
	free(s);
	evbuffer_free(b);
}

/* evbuffer_add_printf gives exactly what snprintf gives, on its fast path
 * (plain conversions) and on its vsnprintf fallback alike. */
#define CHECK_FMT(...)                                                       \
	do {                                                                     \
		char exp_[512];                                                      \
		int n_ = snprintf(exp_, sizeof(exp_), __VA_ARGS__);                  \
		evbuffer_drain(b, evbuffer_get_length(b));                           \
		cr_assert_eq(evbuffer_add_printf(b, __VA_ARGS__), n_, "%s", #__VA_ARGS__); \
		evt_assert_bytes(b, exp_, (size_t)n_);                               \
	} while (0)

Test(evbuffer, printf_matches_snprintf, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	const char *volatile null_str = NULL;
	volatile int zero = 0;

	CHECK_FMT("plain text, no conversions");
	CHECK_FMT("%d %d %d %i", 0, -1, INT_MIN, INT_MAX);
	CHECK_FMT("%u %x %X", UINT_MAX, 0xdeadbeefu, 0xabcdefu);
	CHECK_FMT("%ld %ld %lu %lx", LONG_MIN, LONG_MAX, ULONG_MAX, 0x1234abcdUL);
	CHECK_FMT("%lld|%llu|%llx|%lli", LLONG_MIN, ULLONG_MAX, 0xfULL, -5LL);
	CHECK_FMT("%zu %zd %zx", SIZE_MAX, (ssize_t)-7, (size_t)255);
	CHECK_FMT("%c%c%%%s%s", 'a', 0x7f, "", "str");
	CHECK_FMT("Host: bench-%ld.example:%ld\r\n", 3L, 8000L + zero);
	/* Fallbacks. */
	CHECK_FMT("%5d|%-5s|%05.1f|%+d|% d|%#x", 42, "ab", 3.14159, 7, 7, 255);
	CHECK_FMT("%.3s|%*d|%hhd|%hd|%o|%e", "abcdef", 6, 9, 300, 70000, 8, 1.5);
	CHECK_FMT("%s", null_str);
	CHECK_FMT("%p", (void *)0x1234);
	/* Output longer than the space left in the last chain. */
	char pad[4090];
	memset(pad, 'p', sizeof(pad));
	evbuffer_drain(b, evbuffer_get_length(b));
	evbuffer_add(b, pad, sizeof(pad));
	cr_assert_eq(evbuffer_add_printf(b, "%d-%s", 123456789, "overflowing"), 21);
	char *s = evt_contents(b, NULL);
	cr_assert_str_eq(s + sizeof(pad), "123456789-overflowing");
	free(s);
	evbuffer_free(b);
}

Test(evbuffer, add_iovec_is_one_chain, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	char x[3000], y[3000];
	struct evbuffer_iovec v[2] = { { x, sizeof(x) }, { y, sizeof(y) } };

	memset(x, 'x', sizeof(x));
	memset(y, 'y', sizeof(y));
	cr_assert_eq(evbuffer_add_iovec(b, v, 2), 6000);
	cr_assert_eq(evbuffer_get_contiguous_space(b), 6000);
	cr_assert_eq(evbuffer_add_iovec(b, v, 0), 0);
	evbuffer_free(b);
}

/* ---- the data-structure promises ------------------------------------------------ */

Test(evbuffer, add_never_moves_existing_bytes, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	char chunk[777];

	memset(chunk, 'a', sizeof(chunk));
	evbuffer_add(b, "first", 5);
	const unsigned char *p0 = evt_addr(b, 0);
	for (int i = 0; i < 200; i++) {
		evbuffer_add(b, chunk, sizeof(chunk));
		cr_assert_eq(evt_addr(b, 0), p0, "add %d moved the first byte", i);
	}
	evbuffer_free(b);
}

Test(evbuffer, drain_moves_an_offset, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, "0123456789", 10);
	const unsigned char *p0 = evt_addr(b, 0);
	evbuffer_drain(b, 3);
	cr_assert_eq(evt_addr(b, 0), p0 + 3);
	evbuffer_free(b);
}

Test(evbuffer, add_buffer_moves_chains_without_copying, .timeout = 10)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	char chunk[5000];

	memset(chunk, 'c', sizeof(chunk));
	evbuffer_add(a, "head", 4);
	/* Two chains of 5000 bytes each. */
	evbuffer_add_reference(b, chunk, sizeof(chunk), NULL, NULL);
	evbuffer_add_reference(b, chunk, sizeof(chunk), NULL, NULL);
	const unsigned char *first = evt_addr(b, 0), *last = evt_addr(b, 9999);
	cr_assert_eq(evbuffer_add_buffer(a, b), 0);
	cr_assert_eq(evbuffer_get_length(b), 0);
	cr_assert_eq(evbuffer_get_length(a), 10004);
	cr_assert_eq(evt_addr(a, 4), first);
	cr_assert_eq(evt_addr(a, 10003), last);
	/* And back, partly: whole chains move, the rest is copied. */
	const unsigned char *head = evt_addr(a, 0);
	cr_assert_eq(evbuffer_remove_buffer(a, b, 4), 4);
	cr_assert_eq(evt_addr(b, 0), head, "a whole chain was copied");
	cr_assert_eq(evbuffer_remove_buffer(a, b, 7000), 7000);
	cr_assert_eq(evbuffer_get_length(a), 3000);
	cr_assert_eq(evbuffer_get_length(b), 7004);
	cr_assert_eq(evt_addr(b, 4), first);
	/* prepend_buffer moves chains too. */
	const unsigned char *bfirst = evt_addr(b, 0);
	cr_assert_eq(evbuffer_prepend_buffer(a, b), 0);
	cr_assert_eq(evt_addr(a, 0), bfirst);
	cr_assert_eq(evbuffer_get_length(a), 10004);
	/* A buffer added to itself is left alone (as in 2.1). */
	cr_assert_eq(evbuffer_add_buffer(a, a), 0);
	cr_assert_eq(evbuffer_get_length(a), 10004);
	evbuffer_free(a);
	evbuffer_free(b);
}

Test(evbuffer, expand_makes_room, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	char chunk[100];

	memset(chunk, 'e', sizeof(chunk));
	evbuffer_add(b, "x", 1);
	cr_assert_eq(evbuffer_expand(b, 50000), 0);
	const struct evbuffer_chain *tail = b->last;
	for (int i = 0; i < 500; i++)
		cr_assert_eq(evbuffer_add(b, chunk, sizeof(chunk)), 0);
	/* The last chain is the one expand prepared. */
	cr_assert_eq(b->last, tail);
	cr_assert_eq(evbuffer_get_length(b), 50001);
	evbuffer_free(b);
}

/* ---- pullup, peek, copyout ------------------------------------------------------- */

Test(evbuffer, pullup, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	char chunk[3000];

	cr_assert_null(evbuffer_pullup(b, -1), "empty buffer");
	for (int i = 0; i < 5; i++) {
		memset(chunk, 'a' + i, sizeof(chunk));
		evbuffer_add_reference(b, strndup(chunk, sizeof(chunk)), sizeof(chunk),
		    (evbuffer_ref_cleanup_cb)(void (*)(void))free, NULL);
	}
	cr_assert_eq(evbuffer_get_contiguous_space(b), 3000);
	cr_assert_null(evbuffer_pullup(b, 0));
	cr_assert_null(evbuffer_pullup(b, 15001));
	unsigned char *p = evbuffer_pullup(b, 3000);
	cr_assert_eq(p, evt_addr(b, 0), "no copy when the first chain suffices");
	p = evbuffer_pullup(b, 7000);
	cr_assert_not_null(p);
	cr_assert_geq(evbuffer_get_contiguous_space(b), 7000);
	cr_assert(p[0] == 'a' && p[2999] == 'a' && p[3000] == 'b' && p[6999] == 'c');
	p = evbuffer_pullup(b, -1);
	cr_assert_eq(evbuffer_get_contiguous_space(b), 15000);
	cr_assert_eq(p[14999], 'e');
	cr_assert_eq(evbuffer_get_length(b), 15000);
	evbuffer_free(b);
}

Test(evbuffer, peek_counts, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_iovec v[4];
	struct evbuffer_ptr p;

	evbuffer_add_reference(b, "aaa", 3, NULL, NULL);
	evbuffer_add_reference(b, "bbb", 3, NULL, NULL);
	evbuffer_add_reference(b, "ccc", 3, NULL, NULL);
	cr_assert_eq(evbuffer_peek(b, -1, NULL, v, 2), 2);
	cr_assert_eq(evbuffer_peek(b, -1, NULL, NULL, 0), 3);
	cr_assert_eq(evbuffer_peek(b, 4, NULL, v, 1), 2);
	cr_assert_eq(v[0].iov_len, 3);
	cr_assert_eq(evbuffer_peek(b, 0, NULL, v, 4), 0);
	evbuffer_ptr_set(b, &p, 4, EVBUFFER_PTR_SET);
	cr_assert_eq(evbuffer_peek(b, 1, &p, v, 4), 1);
	cr_assert_eq(v[0].iov_len, 2);
	cr_assert(memcmp(v[0].iov_base, "bb", 2) == 0);
	cr_assert_eq(evbuffer_peek(b, 3, &p, v, 4), 2);
	cr_assert_eq(evbuffer_peek(b, -1, &p, NULL, 0), 2);
	evbuffer_ptr_set(b, &p, 9, EVBUFFER_PTR_SET);
	cr_assert_eq(evbuffer_peek(b, -1, &p, v, 4), 0);
	cr_assert_eq(evbuffer_copyout_from(b, &p, v, 4), 0);
	evbuffer_free(b);
}

/* ---- positions and searching (values as stock 2.1.12 gives them) --------------- */

Test(evbuffer, ptr_set_bounds, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_ptr p;

	evbuffer_add(b, "hello", 5);
	evbuffer_add_reference(b, "world", 5, NULL, NULL);
	cr_assert_eq(evbuffer_ptr_set(b, &p, 10, EVBUFFER_PTR_SET), 0);
	cr_assert_eq(p.pos, 10);
	cr_assert_eq(evbuffer_ptr_set(b, &p, 11, EVBUFFER_PTR_SET), -1);
	cr_assert_eq(p.pos, -1);
	evbuffer_ptr_set(b, &p, 3, EVBUFFER_PTR_SET);
	cr_assert_eq(evbuffer_ptr_set(b, &p, 7, EVBUFFER_PTR_ADD), 0);
	cr_assert_eq(p.pos, 10);
	cr_assert_eq(evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD), -1);
	cr_assert_eq(p.pos, -1);
	/* A failed pointer stays failed. */
	cr_assert_eq(evbuffer_ptr_set(b, &p, 0, EVBUFFER_PTR_ADD), -1);
	cr_assert_eq(evbuffer_ptr_set(b, &p, 0, (enum evbuffer_ptr_how)7), -1);
	evbuffer_free(b);
}

Test(evbuffer, search_and_ranges, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_ptr e, s, r;

	evbuffer_add(b, "hello", 5);
	evbuffer_add_reference(b, "world", 5, NULL, NULL);
	cr_assert_eq(evbuffer_search(b, "", 0, NULL).pos, 0);
	evbuffer_ptr_set(b, &e, 10, EVBUFFER_PTR_SET);
	cr_assert_eq(evbuffer_search(b, "", 0, &e).pos, 10);
	cr_assert_eq(evbuffer_search(b, "lowo", 4, NULL).pos, 3); /* crosses chains */
	cr_assert_eq(evbuffer_search(b, "world!", 6, NULL).pos, -1);
	const size_t ends[] = { 6, 7, 3, 4 };
	const ev_ssize_t found[] = { -1, 3, -1, -1 };
	for (int i = 0; i < 4; i++) {
		evbuffer_ptr_set(b, &e, ends[i], EVBUFFER_PTR_SET);
		r = evbuffer_search_range(b, "lowo", 4, NULL, &e);
		cr_assert_eq(r.pos, found[i], "end %zu", ends[i]);
	}
	evbuffer_ptr_set(b, &e, 3, EVBUFFER_PTR_SET);
	cr_assert_eq(evbuffer_search_range(b, "l", 1, NULL, &e).pos, 2);
	cr_assert_eq(evbuffer_search_range(b, "l", 1, &e, &e).pos, -1);
	/* Repeated searches from the last hit walk through all matches. */
	evbuffer_add(b, "lol", 3);
	ev_ssize_t hits[8];
	int n = 0;
	r = evbuffer_search(b, "l", 1, NULL);
	while (r.pos >= 0 && n < 8) {
		hits[n++] = r.pos;
		evbuffer_ptr_set(b, &r, 1, EVBUFFER_PTR_ADD);
		r = evbuffer_search(b, "l", 1, &r);
	}
	cr_assert_eq(n, 5);
	cr_assert(hits[0] == 2 && hits[1] == 3 && hits[2] == 8 && hits[3] == 10 && hits[4] == 12);
	/* An out-of-range start finds nothing. */
	s.pos = 99;
	s.internal_.chain = NULL;
	cr_assert_eq(evbuffer_search(b, "l", 1, &s).pos, -1);
	evbuffer_free(b);
}

Test(evbuffer, search_eol_styles, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_ptr p, r;
	size_t len;

	evbuffer_add(b, "ab\r\ncd\n\r\nef\r", 12);
	evbuffer_ptr_set(b, &p, 3, EVBUFFER_PTR_SET);
	r = evbuffer_search_eol(b, &p, &len, EVBUFFER_EOL_CRLF);
	cr_assert(r.pos == 3 && len == 1, "a CR before the start is not part of it");
	r = evbuffer_search_eol(b, NULL, &len, EVBUFFER_EOL_ANY);
	cr_assert(r.pos == 2 && len == 2);
	evbuffer_ptr_set(b, &p, 6, EVBUFFER_PTR_SET);
	r = evbuffer_search_eol(b, &p, &len, EVBUFFER_EOL_ANY);
	cr_assert(r.pos == 6 && len == 3);
	evbuffer_ptr_set(b, &p, 11, EVBUFFER_PTR_SET);
	r = evbuffer_search_eol(b, &p, &len, EVBUFFER_EOL_ANY);
	cr_assert(r.pos == 11 && len == 1);
	r = evbuffer_search_eol(b, &p, &len, EVBUFFER_EOL_CRLF_STRICT);
	cr_assert(r.pos == -1 && len == 0);
	evbuffer_ptr_set(b, &p, 12, EVBUFFER_PTR_SET);
	r = evbuffer_search_eol(b, &p, &len, EVBUFFER_EOL_ANY);
	cr_assert(r.pos == -1 && len == 0);
	r = evbuffer_search_eol(b, NULL, &len, EVBUFFER_EOL_CRLF_STRICT);
	cr_assert(r.pos == 2 && len == 2);
	r = evbuffer_search_eol(b, NULL, &len, EVBUFFER_EOL_LF);
	cr_assert(r.pos == 3 && len == 1);
	r = evbuffer_search_eol(b, NULL, &len, EVBUFFER_EOL_NUL);
	cr_assert_eq(r.pos, -1);
	evbuffer_free(b);
}

Test(evbuffer, readln_every_style, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *l;

	evbuffer_add(b, "ab\r\ncd\n\r\nef\r", 12);
	const char *any[] = { "ab", "cd", "ef" };
	for (int i = 0; i < 3; i++) {
		l = evbuffer_readln(b, &n, EVBUFFER_EOL_ANY);
		cr_assert_not_null(l);
		cr_assert_str_eq(l, any[i]);
		cr_assert_eq(n, 2);
		free(l);
	}
	cr_assert_eq(evbuffer_get_length(b), 0);

	evbuffer_add(b, "x\r", 2);
	cr_assert_null(evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF), "no LF yet");
	cr_assert_eq(n, 0);
	evbuffer_add(b, "\n\r\r\n", 4);
	l = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF);
	cr_assert_str_eq(l, "x");
	free(l);
	l = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF);
	cr_assert_str_eq(l, "\r", "only the CR next to the LF belongs to the end");
	free(l);
	cr_assert_eq(evbuffer_get_length(b), 0);

	evbuffer_add(b, "a\nb\r\nc", 6);
	l = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF_STRICT);
	cr_assert_str_eq(l, "a\nb");
	free(l);
	cr_assert_null(evbuffer_readln(b, NULL, EVBUFFER_EOL_CRLF_STRICT));
	evbuffer_drain(b, 100);

	evbuffer_add(b, "one\r\ntwo\n", 9);
	l = evbuffer_readln(b, &n, EVBUFFER_EOL_LF);
	cr_assert(n == 4 && memcmp(l, "one\r", 5) == 0);
	free(l);
	free(evbuffer_readln(b, NULL, EVBUFFER_EOL_LF));

	evbuffer_add(b, "ab\0cd", 5);
	l = evbuffer_readln(b, &n, EVBUFFER_EOL_NUL);
	cr_assert(n == 2 && strcmp(l, "ab") == 0);
	free(l);
	evt_assert_str(b, "cd");

	/* An empty line, and the compat readline (EOL_ANY). */
	evbuffer_add(b, "\n", 1);
	l = evbuffer_readline(b);
	cr_assert_str_eq(l, "cd");
	free(l);
	evbuffer_free(b);
}

Test(evbuffer, readln_across_many_chains, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;

	/* One byte per chain: the CR and LF sit in different chains. */
	const char *text = "line one\r\nline two\r\n";
	for (const char *c = text; *c; c++)
		evbuffer_add_reference(b, c, 1, NULL, NULL);
	char *l = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF_STRICT);
	cr_assert_str_eq(l, "line one");
	free(l);
	l = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF);
	cr_assert_str_eq(l, "line two");
	free(l);
	cr_assert_eq(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

Test(evbuffer, find_compat, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, "abc", 3);
	evbuffer_add_reference(b, "defx", 4, NULL, NULL);
	unsigned char *p = evbuffer_find(b, (const unsigned char *)"cd", 2);
	cr_assert_not_null(p);
	cr_assert(memcmp(p, "cd", 2) == 0, "find made the match contiguous");
	cr_assert_null(evbuffer_find(b, (const unsigned char *)"zz", 2));
	evbuffer_free(b);
}

/* ---- freezing ----------------------------------------------------------------- */

Test(evbuffer, freeze_back, .timeout = 10)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	struct evbuffer_iovec v[2];
	int cleaned = 0;

	evbuffer_add(a, "abc", 3);
	evbuffer_add(b, "def", 3);
	cr_assert_eq(evbuffer_freeze(a, 0), 0);
	cr_assert_eq(evbuffer_add(a, "x", 1), -1);
	cr_assert_eq(evbuffer_add_printf(a, "x"), -1);
	cr_assert_eq(evbuffer_reserve_space(a, 10, v, 2), -1);
	cr_assert_eq(evbuffer_add_buffer(a, b), -1);
	cr_assert_eq(evbuffer_remove_buffer(b, a, 1), -1);
	cr_assert_eq(evbuffer_add_reference(a, "r", 1, NULL, &cleaned), -1);
	cr_assert_eq(evbuffer_add_buffer_reference(a, b), -1);
	cr_assert_eq(evbuffer_add_iovec(a, v, 0), 0);
	/* The front still works. */
	cr_assert_eq(evbuffer_prepend(a, "p", 1), 0);
	cr_assert_eq(evbuffer_drain(a, 1), 0);
	cr_assert_eq(evbuffer_add_buffer(b, a), 0, "a is only drained");
	cr_assert_eq(evbuffer_get_length(a), 0);
	cr_assert_eq(evbuffer_get_length(b), 6);
	cr_assert_eq(evbuffer_unfreeze(a, 0), 0);
	cr_assert_eq(evbuffer_add(a, "x", 1), 0);
	evbuffer_free(a);
	evbuffer_free(b);
}

Test(evbuffer, freeze_front, .timeout = 10)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	char t[4];

	evbuffer_add(a, "abc\n", 4);
	evbuffer_add(b, "def", 3);
	cr_assert_eq(evbuffer_freeze(a, 1), 0);
	cr_assert_eq(evbuffer_drain(a, 1), -1);
	cr_assert_eq(evbuffer_remove(a, t, 1), -1);
	cr_assert_eq(evbuffer_copyout(a, t, 1), -1, "as in 2.1.12");
	cr_assert_eq(evbuffer_prepend(a, "p", 1), -1);
	cr_assert_eq(evbuffer_prepend_buffer(a, b), -1);
	cr_assert_eq(evbuffer_add_buffer(b, a), -1);
	cr_assert_eq(evbuffer_remove_buffer(a, b, 1), -1);
	cr_assert_null(evbuffer_readln(a, NULL, EVBUFFER_EOL_LF));
	cr_assert_eq(evbuffer_get_length(a), 4);
	/* The back still works, and looking does too. */
	cr_assert_eq(evbuffer_add(a, "x", 1), 0);
	cr_assert_eq(evbuffer_add_buffer(a, b), 0);
	cr_assert_not_null(evbuffer_pullup(a, 2));
	cr_assert_eq(evbuffer_search(a, "d", 1, NULL).pos, 5);
	cr_assert_eq(evbuffer_unfreeze(a, 1), 0);
	evt_assert_str(a, "abc\nxdef");
	evbuffer_free(a);
	evbuffer_free(b);
}

/* ---- reserve / commit ----------------------------------------------------------- */

Test(evbuffer, reserve_commit_rules, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_iovec v[2], w[2];

	evt_capture_log();
	evbuffer_add(b, "ab", 2);
	int n = evbuffer_reserve_space(b, 100, v, 2);
	cr_assert(n >= 1 && v[0].iov_len >= 100);
	cr_assert_eq(evbuffer_reserve_space(b, 100, w, 2), n);
	cr_assert_eq(w[0].iov_base, v[0].iov_base, "reserving twice offers the same space");
	memcpy(v[0].iov_base, "cdef", 4);
	v[0].iov_len = 4;
	/* Draining the front does not disturb the reservation. */
	cr_assert_eq(evbuffer_drain(b, 1), 0);
	cr_assert_eq(evbuffer_commit_space(b, v, 1), 0);
	evt_assert_str(b, "bcdef");

	/* Committing after an add fails and changes nothing. */
	n = evbuffer_reserve_space(b, 10, v, 1);
	cr_assert_eq(n, 1);
	memcpy(v[0].iov_base, "ZZ", 2);
	v[0].iov_len = 2;
	evbuffer_add(b, "g", 1);
	cr_assert_eq(evbuffer_commit_space(b, v, 1), -1);
	evt_assert_str(b, "bcdefg");

	/* Committing after the buffer was emptied fails. */
	n = evbuffer_reserve_space(b, 10, v, 1);
	v[0].iov_len = 1;
	evbuffer_drain(b, 100);
	cr_assert_eq(evbuffer_commit_space(b, v, 1), -1);
	cr_assert_eq(evbuffer_get_length(b), 0);

	/* Vectors that did not come from reserve, or too long, fail. */
	char junk[8];
	n = evbuffer_reserve_space(b, 10, v, 2);
	w[0].iov_base = junk;
	w[0].iov_len = 1;
	cr_assert_eq(evbuffer_commit_space(b, w, 1), -1);
	w[0] = v[0];
	w[0].iov_len = v[0].iov_len + 1;
	cr_assert_eq(evbuffer_commit_space(b, w, 1), -1);
	w[0].iov_len = 1;
	w[1].iov_base = junk;
	w[1].iov_len = 1;
	cr_assert_eq(evbuffer_commit_space(b, w, 2), -1);
	cr_assert_eq(evbuffer_get_length(b), 0);
	cr_assert_eq(evbuffer_commit_space(b, v, 0), 0, "nothing to commit");

	/* Two extents, the first left empty. */
	evbuffer_add(b, "z", 1);
	n = evbuffer_reserve_space(b, 8000, v, 2);
	cr_assert_eq(n, 2);
	memset(v[1].iov_base, 'k', 7);
	v[0].iov_len = 0;
	v[1].iov_len = 7;
	cr_assert_eq(evbuffer_commit_space(b, v, 2), 0);
	evt_assert_str(b, "zkkkkkkk");
	cr_assert_eq(evbuffer_reserve_space(b, 0, v, 2), 0);
	cr_assert_eq(evt_warnings, 0, "unexpected warning: %s", evt_last_warning);
	cr_assert_eq(evbuffer_reserve_space(b, -1, v, 2), -1);
	cr_assert_eq(evbuffer_reserve_space(b, 10, v, 0), -1);
	evbuffer_free(b);
}

Test(evbuffer, reserve_single_extent_is_contiguous, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_iovec v;

	evbuffer_add(b, "a", 1);
	for (ev_ssize_t size = 1; size < 300000; size = size * 3 + 1) {
		cr_assert_eq(evbuffer_reserve_space(b, size, &v, 1), 1);
		cr_assert_geq(v.iov_len, (size_t)size);
		memset(v.iov_base, 'r', (size_t)size);
		v.iov_len = (size_t)size;
		cr_assert_eq(evbuffer_commit_space(b, &v, 1), 0);
	}
	cr_assert_eq(evbuffer_get_length(b), 1 + 1 + 4 + 13 + 40 + 121 + 364 + 1093 +
	    3280 + 9841 + 29524 + 88573 + 265720);
	evbuffer_free(b);
}

/* ---- bad input ------------------------------------------------------------------ */

Test(evbuffer, null_buffers_are_refused, .timeout = 10)
{
	struct evbuffer_iovec v[1];
	struct evbuffer_ptr p;
	char out[4];
	size_t n;

	evt_capture_log();
	cr_assert_eq(evbuffer_add(NULL, "x", 1), -1);
	cr_assert_eq(evbuffer_prepend(NULL, "x", 1), -1);
	cr_assert_eq(evbuffer_remove(NULL, out, 1), -1);
	cr_assert_eq(evbuffer_copyout(NULL, out, 1), -1);
	cr_assert_eq(evbuffer_drain(NULL, 1), -1);
	cr_assert_eq(evbuffer_expand(NULL, 1), -1);
	cr_assert_eq(evbuffer_add_printf(NULL, "x"), -1);
	cr_assert_eq(evbuffer_reserve_space(NULL, 1, v, 1), -1);
	cr_assert_eq(evbuffer_commit_space(NULL, v, 1), -1);
	cr_assert_eq(evbuffer_add_buffer(NULL, NULL), -1);
	cr_assert_eq(evbuffer_remove_buffer(NULL, NULL, 1), -1);
	cr_assert_eq(evbuffer_prepend_buffer(NULL, NULL), -1);
	cr_assert_eq(evbuffer_add_buffer_reference(NULL, NULL), -1);
	cr_assert_eq(evbuffer_add_reference(NULL, "x", 1, NULL, NULL), -1);
	cr_assert_eq(evbuffer_add_file(NULL, 0, 0, 1), -1);
	cr_assert_null(evbuffer_pullup(NULL, 1));
	cr_assert_null(evbuffer_readln(NULL, &n, EVBUFFER_EOL_ANY));
	cr_assert_eq(evbuffer_search(NULL, "x", 1, NULL).pos, -1);
	cr_assert_eq(evbuffer_search_eol(NULL, NULL, &n, EVBUFFER_EOL_ANY).pos, -1);
	cr_assert_eq(evbuffer_ptr_set(NULL, &p, 0, EVBUFFER_PTR_SET), -1);
	cr_assert_eq(evbuffer_peek(NULL, 1, NULL, v, 1), -1);
	cr_assert_eq(evbuffer_read(NULL, 0, 1), -1);
	cr_assert_eq(evbuffer_write(NULL, 1), -1);
	cr_assert_eq(evbuffer_freeze(NULL, 1), -1);
	cr_assert_eq(evbuffer_set_flags(NULL, 1), -1);
	cr_assert_null(evbuffer_add_cb(NULL, NULL, NULL));
	cr_assert_eq(evbuffer_setcb(NULL, NULL, NULL), -1);
	cr_assert_eq(evbuffer_defer_callbacks(NULL, NULL), -1);
	cr_assert_eq(evbuffer_enable_locking(NULL, NULL), -1);
	cr_assert_eq(evbuffer_get_length(NULL), 0);
	cr_assert_eq(evbuffer_add_iovec(NULL, v, 1), 0);
	evbuffer_free(NULL);
	evbuffer_lock(NULL);
	evbuffer_unlock(NULL);
	cr_assert_gt(evt_warnings, 20, "bad input must be reported (%d warnings)", evt_warnings);
}

Test(evbuffer, null_data_with_a_length_is_refused, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_iovec v = { NULL, 5 };

	evt_capture_log();
	evbuffer_add(b, "keep", 4);
	cr_assert_eq(evbuffer_add(b, NULL, 5), -1);
	cr_assert_eq(evbuffer_prepend(b, NULL, 5), -1);
	cr_assert_eq(evbuffer_add_reference(b, NULL, 5, NULL, NULL), -1);
	cr_assert_eq(evbuffer_remove(b, NULL, 2), -1);
	cr_assert_eq(evbuffer_copyout(b, NULL, 2), -1);
	cr_assert_eq(evbuffer_add_iovec(b, &v, 1), 0);
	cr_assert_eq(evbuffer_search(b, NULL, 3, NULL).pos, -1);
	cr_assert_eq(evbuffer_add_printf(b, NULL), -1);
	cr_assert_gt(evt_warnings, 5);
	evt_assert_str(b, "keep");
	evbuffer_free(b);
}

Test(evbuffer, positions_out_of_range, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_ptr p;
	char out[8];
	size_t n;

	evt_capture_log();
	evbuffer_add(b, "abcdef", 6);
	p.pos = 7;
	p.internal_.chain = NULL;
	p.internal_.pos_in_chain = 0;
	cr_assert_eq(evbuffer_copyout_from(b, &p, out, 1), -1);
	cr_assert_eq(evbuffer_search(b, "a", 1, &p).pos, -1);
	cr_assert_eq(evbuffer_search_eol(b, &p, &n, EVBUFFER_EOL_ANY).pos, -1);
	cr_assert_eq(evbuffer_peek(b, 1, &p, NULL, 0), 0);
	p.pos = -5;
	cr_assert_eq(evbuffer_copyout_from(b, &p, out, 1), -1);
	cr_assert_eq(evbuffer_search_range(b, "a", 1, NULL, &p).pos, -1);
	cr_assert_null(evbuffer_pullup(b, 7));
	cr_assert_null(evbuffer_readln(b, &n, (enum evbuffer_eol_style)77));
	cr_assert_gt(evt_warnings, 0, "an unknown line-end style is reported");
	evt_assert_str(b, "abcdef");
	evbuffer_free(b);
}

/* A pointer kept across a change that moved the front is not trusted:
 * its position is looked up again, so it means the same offset. */
Test(evbuffer, stale_pointer_is_recomputed, .timeout = 10)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_ptr p;
	char out[4] = { 0 };

	evbuffer_add(b, "0123", 4);
	evbuffer_add_reference(b, "4567", 4, NULL, NULL);
	evbuffer_ptr_set(b, &p, 5, EVBUFFER_PTR_SET); /* '5', second chain */
	evbuffer_drain(b, 2);                          /* now "234567" */
	cr_assert_eq(evbuffer_copyout_from(b, &p, out, 1), 1);
	cr_assert_eq(out[0], '7');
	evbuffer_prepend(b, "xy", 2);                  /* "xy234567" */
	cr_assert_eq(evbuffer_copyout_from(b, &p, out, 3), 3);
	cr_assert(memcmp(out, "567", 3) == 0);
	evbuffer_drain(b, 8);
	cr_assert_eq(evbuffer_copyout_from(b, &p, out, 1), -1);
	evbuffer_free(b);
}
