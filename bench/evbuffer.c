/*
 * evbuffer.c: a fixed mix of evbuffer operations, shaped like assembling
 * and then parsing a small HTTP-style message.
 *
 * One cycle is exactly these 15 operations (the "ops" of the result):
 *
 *   assemble into buffer A
 *    1  evbuffer_add          request line            (35 bytes)
 *    2  evbuffer_add_printf   "Host: ..." header      (28 bytes)
 *    3  evbuffer_add          two more header lines   (45 bytes)
 *    4  evbuffer_add          the blank line "\r\n"   (2 bytes)
 *    5  evbuffer_add          a body                  (1000 bytes)
 *    6  evbuffer_add_reference a static trailer, no copy, no cleanup (512)
 *    7  evbuffer_reserve_space + evbuffer_commit_space: 256 bytes filled in
 *                             place (one op)
 *    8  evbuffer_prepend      an 8-byte frame prefix
 *   hand over
 *    9  evbuffer_add_buffer   all of A to the end of buffer B (A is empty)
 *   parse buffer B
 *   10  evbuffer_pullup       the first 128 bytes made contiguous
 *   11  evbuffer_search       "\r\n\r\n", the end of the headers
 *   12  evbuffer_readln       CRLF: prefix + request line (freed)
 *   13  evbuffer_readln       CRLF: the Host line (freed)
 *   14  evbuffer_remove       64 bytes into a caller array
 *   15  evbuffer_drain        everything left (B is empty again)
 *
 * Every cycle checks lengths, the search position and the lines' lengths;
 * a wrong answer is a MISCOUNT.  The buffers are reused, so after the
 * first cycles the run measures a warm steady state.
 *
 * Size C: cycles per run (ops per run = 15 * C).  Only the libevent API
 * exists for this workload (engine and baseline); there is no floor.
 */
#define _GNU_SOURCE
#include "bench-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#define WORKLOAD "evbuffer"
#define OPS_PER_CYCLE 15
#define PREFIX_LEN 8
#define BODY_LEN 1000
#define TRAILER_LEN 512
#define RESERVE_LEN 256
#define PULLUP_LEN 128
#define REMOVE_LEN 64

static const char request_line[] = "GET /bench/evbuffer/item HTTP/1.1\r\n";
static const char more_headers[] =
    "Accept: */*\r\nUser-Agent: evbuffer-bench/1.0\r\n";
static char body[BODY_LEN];
static char trailer[TRAILER_LEN];

struct mix {
	struct evbuffer *a, *b;
	const char *size;
	long errors;
};

static void
check(struct mix *m, int ok)
{
	if (!ok)
		m->errors++;
}

/* Operations 1-8: returns the bytes the cycle put into A, or -1. */
static size_t
assemble(struct mix *m, long cycle, size_t *host_len)
{
	struct evbuffer_iovec iov[2];
	size_t total = 0, left = RESERVE_LEN;
	int n;

	check(m, evbuffer_add(m->a, request_line, sizeof(request_line) - 1) == 0);
	n = evbuffer_add_printf(m->a, "Host: bench-%ld.example:%ld\r\n",
	    cycle & 7, 8000 + (cycle & 1023));
	check(m, n > 0);
	*host_len = n > 0 ? (size_t)n : 0;
	check(m, evbuffer_add(m->a, more_headers, sizeof(more_headers) - 1) == 0);
	check(m, evbuffer_add(m->a, "\r\n", 2) == 0);
	check(m, evbuffer_add(m->a, body, BODY_LEN) == 0);
	check(m, evbuffer_add_reference(m->a, trailer, TRAILER_LEN, NULL, NULL) == 0);
	n = evbuffer_reserve_space(m->a, RESERVE_LEN, iov, 2);
	check(m, n > 0);
	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len > left)
			iov[i].iov_len = left;
		memset(iov[i].iov_base, 'r', iov[i].iov_len);
		left -= iov[i].iov_len;
	}
	check(m, left == 0 && evbuffer_commit_space(m->a, iov, n) == 0);
	check(m, evbuffer_prepend(m->a, "FRAME01:", PREFIX_LEN) == 0);
	total = PREFIX_LEN + sizeof(request_line) - 1 + *host_len +
	    sizeof(more_headers) - 1 + 2 + BODY_LEN + TRAILER_LEN + RESERVE_LEN;
	return total;
}

/* Operations 10-15 on B, which holds `total` bytes. */
static void
parse(struct mix *m, size_t total, size_t host_len)
{
	size_t hdr_end = PREFIX_LEN + sizeof(request_line) - 1 + host_len +
	    sizeof(more_headers) - 1 - 2;
	char tmp[REMOVE_LEN];
	size_t n;
	char *line;

	check(m, evbuffer_pullup(m->b, PULLUP_LEN) != NULL);
	struct evbuffer_ptr pos = evbuffer_search(m->b, "\r\n\r\n", 4, NULL);
	check(m, pos.pos == (ev_ssize_t)hdr_end);
	line = evbuffer_readln(m->b, &n, EVBUFFER_EOL_CRLF);
	check(m, line && n == PREFIX_LEN + sizeof(request_line) - 3);
	free(line);
	line = evbuffer_readln(m->b, &n, EVBUFFER_EOL_CRLF);
	check(m, line && n == host_len - 2);
	free(line);
	check(m, evbuffer_remove(m->b, tmp, REMOVE_LEN) == REMOVE_LEN);
	size_t rest = total - (PREFIX_LEN + sizeof(request_line) - 1) - host_len -
	    REMOVE_LEN;
	check(m, evbuffer_get_length(m->b) == rest);
	check(m, evbuffer_drain(m->b, rest) == 0);
	check(m, evbuffer_get_length(m->b) == 0);
}

static void
cycle_once(struct mix *m, long cycle)
{
	size_t host_len;
	size_t total = assemble(m, cycle, &host_len);

	check(m, evbuffer_get_length(m->a) == total);
	check(m, evbuffer_add_buffer(m->b, m->a) == 0);
	check(m, evbuffer_get_length(m->a) == 0 &&
	    evbuffer_get_length(m->b) == total);
	parse(m, total, host_len);
}

static void
mix_run(struct mix *m, long cycles)
{
	for (long c = 0; c < cycles; c++)
		cycle_once(m, c);
	if (m->errors)
		bench_miscount(WORKLOAD, m->size, "wrong_answers", 0,
		    (uint64_t)m->errors);
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	struct mix m = { 0 };
	long cycles;

	bench_check_origin();
	bench_parse(argc, argv, "2000", &o);
	if (bench_parse_list(o.size, &cycles, 1) != 1)
		bench_die("size must be C (cycles per run) > 0, got '%s'", o.size);
	bench_watchdog(300);
	for (int i = 0; i < BODY_LEN; i++)
		body[i] = (char)('a' + i % 26);
	for (int i = 0; i < TRAILER_LEN; i++)
		trailer[i] = (char)('A' + i % 26);
	m.size = o.size;
	m.a = evbuffer_new();
	m.b = evbuffer_new();
	if (!m.a || !m.b)
		bench_die("evbuffer_new failed");

	for (long i = 0; i < o.warmup; i++)
		mix_run(&m, cycles);
	for (long i = 0; i < o.runs; i++) {
		uint64_t t0 = bench_now_ns();
		mix_run(&m, cycles);
		bench_sample(WORKLOAD, o.size, i, bench_now_ns() - t0,
		    (uint64_t)(cycles * OPS_PER_CYCLE));
	}
	bench_result(WORKLOAD, o.size, (uint64_t)(cycles * OPS_PER_CYCLE));
	evbuffer_free(m.a);
	evbuffer_free(m.b);
	return 0;
}
