/*
 * evbuffer-model.h: operation sequences applied to real evbuffers and to
 * flat reference buffers ("models"), compared after every step.
 *
 * Shared, header-only, by the randomised model test (choices from a seeded
 * PRNG) and the libFuzzer target (choices from the fuzz input).  Three
 * buffers take part: A and B get every operation; C only ever receives
 * plain data and serves as the source of evbuffer_add_buffer_reference (a
 * buffer holding views cannot be viewed again).  A pipe carries bytes for
 * evbuffer_write_atmost / evbuffer_read.
 *
 * Referenced memory (evbuffer_add_reference) is mapped read-only, so an
 * engine write into it crashes the test; its cleanup unmaps it and counts,
 * and the counts must balance when everything is freed.
 */
#ifndef EVBUFFER_MODEL_H_INCLUDED
#define EVBUFFER_MODEL_H_INCLUDED

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include "evbuffer-internal.h"

/* ---- choice sources ------------------------------------------------------ */

struct msrc {
	uint64_t state;      /* PRNG state (when data is NULL) */
	const uint8_t *data; /* fuzz input, consumed byte by byte */
	size_t size, pos;
};

static inline uint64_t
msrc_next(struct msrc *s)
{
	if (s->data) {
		uint64_t v = 0;
		for (int i = 0; i < 4; i++)
			v = (v << 8) | (s->pos < s->size ? s->data[s->pos++] : 0);
		return v;
	}
	/* splitmix64 */
	uint64_t z = (s->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A value in [0, bound). */
static inline size_t
msrc_below(struct msrc *s, size_t bound)
{
	return bound ? (size_t)(msrc_next(s) % bound) : 0;
}

static inline int
msrc_done(const struct msrc *s)
{
	return s->data && s->pos >= s->size;
}

/* A length with a bias to small values, sometimes crossing chain sizes. */
static inline size_t
msrc_len(struct msrc *s)
{
	switch (msrc_below(s, 20)) {
	case 0:
		return msrc_below(s, 70000);
	case 1: case 2: case 3:
		return msrc_below(s, 9000);
	case 4: case 5: case 6: case 7: case 8:
		return msrc_below(s, 400);
	default:
		return msrc_below(s, 24);
	}
}

/* Bytes from a small alphabet, so that searches and line ends hit. */
static inline void
msrc_fill(struct msrc *s, unsigned char *p, size_t n)
{
	static const unsigned char alpha[] = { 'a', 'b', '\r', '\n', '\0', 'x', 'a', 'b' };
	uint64_t r = 0;

	for (size_t i = 0; i < n; i++) {
		if (i % 16 == 0)
			r = msrc_next(s);
		p[i] = alpha[r & 7];
		r >>= 4;
	}
}

/* ---- models ---------------------------------------------------------------- */

struct mbuf {
	struct evbuffer *b;
	unsigned char *d;
	size_t len, cap;
};

struct mstate {
	struct mbuf m[3]; /* A, B, C */
	int pipe_r, pipe_w;
	long refs_added, refs_cleaned;
	unsigned char *scratch; /* for copyouts */
	size_t scratch_cap;
	char err[512];
	int step;
};

#define MODEL_MAX_LEN ((size_t)300000)

static inline int
mfail(struct mstate *st, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(st->err, sizeof(st->err), "step %d: ", st->step);

	va_start(ap, fmt);
	vsnprintf(st->err + n, sizeof(st->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static inline void
mreserve(struct mbuf *m, size_t extra)
{
	if (m->len + extra <= m->cap)
		return;
	size_t cap = m->cap ? m->cap : 256;
	while (cap < m->len + extra)
		cap *= 2;
	m->d = realloc(m->d, cap);
	if (!m->d)
		abort();
	m->cap = cap;
}

static inline void
mappend(struct mbuf *m, const void *p, size_t n)
{
	mreserve(m, n);
	if (n)
		memcpy(m->d + m->len, p, n);
	m->len += n;
}

static inline void
mprepend(struct mbuf *m, const void *p, size_t n)
{
	mreserve(m, n);
	memmove(m->d + n, m->d, m->len);
	if (n)
		memcpy(m->d, p, n);
	m->len += n;
}

static inline void
mdrain(struct mbuf *m, size_t n)
{
	if (n > m->len)
		n = m->len;
	memmove(m->d, m->d + n, m->len - n);
	m->len -= n;
}

static inline unsigned char *
mscratch(struct mstate *st, size_t n)
{
	if (n + 1 > st->scratch_cap) {
		st->scratch_cap = n + 1;
		st->scratch = realloc(st->scratch, st->scratch_cap);
		if (!st->scratch)
			abort();
	}
	return st->scratch;
}

/* Read-only mapped reference memory with its own cleanup. */
struct mref {
	struct mstate *st;
	void *map;
	size_t map_len;
};

static inline void
mref_cleanup(const void *data, size_t len, void *arg)
{
	struct mref *r = arg;
	(void)data;
	(void)len;
	r->st->refs_cleaned++;
	munmap(r->map, r->map_len);
	free(r);
}

/* ---- invariants ---------------------------------------------------------- */

/* Walks the chain list of m->b and checks the invariants of
 * evbuffer-internal.h, then compares the bytes with the model. */
static inline int
mcheck(struct mstate *st, int which)
{
	struct mbuf *m = &st->m[which];
	struct evbuffer *b = m->b;
	const struct evbuffer_chain *ch, *prev = NULL;
	size_t total = 0;
	unsigned nsf = 0;
	int seen_last_data = b->last_data == NULL;

	if (evbuffer_get_length(b) != m->len)
		return mfail(st, "buffer %d: length %zu, model %zu", which,
		    evbuffer_get_length(b), m->len);
	for (ch = b->first; ch; prev = ch, ch = ch->next) {
		if (!seen_last_data && !ch->off)
			return mfail(st, "buffer %d: empty chain before last_data", which);
		if (seen_last_data && ch->off)
			return mfail(st, "buffer %d: data after last_data", which);
		if (ch == b->last_data)
			seen_last_data = 1;
		if (!ch->sendfile && ch->misalign + ch->off > ch->buffer_len)
			return mfail(st, "buffer %d: chain overflows its storage", which);
		total += ch->off;
		nsf += ch->sendfile;
	}
	if (!seen_last_data)
		return mfail(st, "buffer %d: last_data not in the list", which);
	if (b->last != prev)
		return mfail(st, "buffer %d: last is not the last chain", which);
	if (total != b->total_len || nsf != b->n_sendfile)
		return mfail(st, "buffer %d: counts disagree with the chains", which);
	unsigned char *tmp = mscratch(st, m->len);
	ev_ssize_t n = evbuffer_copyout(b, tmp, m->len);
	if (n != (ev_ssize_t)m->len)
		return mfail(st, "buffer %d: copyout gave %zd of %zu", which, n, m->len);
	if (m->len && memcmp(tmp, m->d, m->len) != 0) {
		size_t i = 0;
		while (tmp[i] == m->d[i])
			i++;
		return mfail(st, "buffer %d: contents differ at byte %zu of %zu", which, i,
		    m->len);
	}
	return 0;
}

/* ---- reference implementations of searching ------------------------------ */

static inline ev_ssize_t
mfind(const struct mbuf *m, size_t from, size_t end, const unsigned char *w, size_t n)
{
	if (n == 0)
		return (ev_ssize_t)from;
	for (size_t i = from; i + n <= end; i++)
		if (memcmp(m->d + i, w, n) == 0)
			return (ev_ssize_t)i;
	return -1;
}

static inline ev_ssize_t
meol(const struct mbuf *m, size_t from, enum evbuffer_eol_style style, size_t *eol_len)
{
	const unsigned char *d = m->d;

	*eol_len = 0;
	for (size_t i = from; i < m->len; i++) {
		switch (style) {
		case EVBUFFER_EOL_LF:
			if (d[i] == '\n')
				return *eol_len = 1, (ev_ssize_t)i;
			break;
		case EVBUFFER_EOL_NUL:
			if (d[i] == 0)
				return *eol_len = 1, (ev_ssize_t)i;
			break;
		case EVBUFFER_EOL_CRLF_STRICT:
			if (d[i] == '\r' && i + 1 < m->len && d[i + 1] == '\n')
				return *eol_len = 2, (ev_ssize_t)i;
			break;
		case EVBUFFER_EOL_CRLF:
			if (d[i] == '\n') {
				if (i > from && d[i - 1] == '\r')
					return *eol_len = 2, (ev_ssize_t)(i - 1);
				return *eol_len = 1, (ev_ssize_t)i;
			}
			break;
		case EVBUFFER_EOL_ANY:
			if (d[i] == '\r' || d[i] == '\n') {
				size_t j = i;
				while (j < m->len && (d[j] == '\r' || d[j] == '\n'))
					j++;
				*eol_len = j - i;
				return (ev_ssize_t)i;
			}
			break;
		}
	}
	return -1;
}

/* ---- operations ---------------------------------------------------------- */

enum {
	OP_ADD, OP_ADD_PRINTF, OP_PREPEND, OP_REMOVE, OP_DRAIN, OP_COPYOUT_FROM,
	OP_ADD_BUFFER, OP_PREPEND_BUFFER, OP_REMOVE_BUFFER, OP_ADD_BUFFER_REF,
	OP_RESERVE_COMMIT, OP_STALE_COMMIT, OP_PULLUP, OP_SEARCH, OP_SEARCH_EOL,
	OP_READLN, OP_PEEK, OP_ADD_REFERENCE, OP_EXPAND_ADD, OP_ADD_IOVEC,
	OP_PIPE, OP_PTR_WALK, OP_FIND, OP_COUNT
};

static inline int
op_add(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	size_t n = msrc_len(s);
	unsigned char *p = malloc(n + 1);

	msrc_fill(s, p, n);
	if (evbuffer_add(m->b, p, n) != 0) {
		free(p);
		return mfail(st, "add of %zu failed", n);
	}
	mappend(m, p, n);
	free(p);
	return 0;
}

static inline int
op_add_printf(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	size_t n = msrc_below(s, 6000);
	char *p = malloc(n + 1);
	char *expect = malloc(n + 200);
	int len, r;

	msrc_fill(s, (unsigned char *)p, n);
	for (size_t i = 0; i < n; i++)
		if (!p[i])
			p[i] = 'z'; /* %s stops at NUL */
	p[n] = '\0';
	long long k = (long long)(msrc_next(s) - (msrc_next(s) << 20));
	/* Formats for the fast path and for the vsnprintf fallback. */
	switch (msrc_below(s, 4)) {
	case 0:
		len = snprintf(expect, n + 200, "<%s|%d>", p, (int)k);
		r = evbuffer_add_printf(m->b, "<%s|%d>", p, (int)k);
		break;
	case 1:
		len = snprintf(expect, n + 200, "%lld:%llx:%zu%%%c%s", k, (unsigned long long)k,
		    (size_t)k, 'q', p);
		r = evbuffer_add_printf(m->b, "%lld:%llx:%zu%%%c%s", k, (unsigned long long)k,
		    (size_t)k, 'q', p);
		break;
	case 2:
		len = snprintf(expect, n + 200, "%08d|%-4s|%.3s", (int)k, "ab", p);
		r = evbuffer_add_printf(m->b, "%08d|%-4s|%.3s", (int)k, "ab", p);
		break;
	default:
		len = snprintf(expect, n + 200, "%s", p);
		r = evbuffer_add_printf(m->b, "%s", p);
		break;
	}
	free(p);
	if (r != len) {
		free(expect);
		return mfail(st, "add_printf returned %d, expected %d", r, len);
	}
	mappend(m, expect, (size_t)len);
	free(expect);
	return 0;
}

static inline int
op_prepend(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	size_t n = msrc_len(s) % 5000;
	unsigned char *p = malloc(n + 1);

	msrc_fill(s, p, n);
	if (evbuffer_prepend(m->b, p, n) != 0) {
		free(p);
		return mfail(st, "prepend of %zu failed", n);
	}
	mprepend(m, p, n);
	free(p);
	return 0;
}

static inline int
op_remove(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	size_t n = msrc_len(s);
	unsigned char *p = malloc(n + 1);
	size_t expect = n < m->len ? n : m->len;
	int r = evbuffer_remove(m->b, p, n);

	if (r != (int)expect || (expect && memcmp(p, m->d, expect) != 0)) {
		free(p);
		return mfail(st, "remove(%zu) returned %d (expected %zu) or wrong bytes", n,
		    r, expect);
	}
	free(p);
	mdrain(m, expect);
	return 0;
}

static inline int
op_drain(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	size_t n = msrc_below(s, 4) == 0 ? m->len + msrc_below(s, 10) : msrc_len(s);

	if (evbuffer_drain(m->b, n) != 0)
		return mfail(st, "drain(%zu) failed", n);
	mdrain(m, n);
	return 0;
}

/* A position in [0, len], biased to the ends. */
static inline size_t
mpos(struct msrc *s, const struct mbuf *m)
{
	switch (msrc_below(s, 8)) {
	case 0:
		return 0;
	case 1:
		return m->len;
	default:
		return msrc_below(s, m->len + 1);
	}
}

static inline int
op_copyout_from(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	struct evbuffer_ptr p;
	size_t pos = mpos(s, m), n = msrc_len(s);
	size_t expect = n < m->len - pos ? n : m->len - pos;
	unsigned char *out = malloc(n + 1);

	if (evbuffer_ptr_set(m->b, &p, pos, EVBUFFER_PTR_SET) != 0) {
		free(out);
		return mfail(st, "ptr_set(%zu) of %zu failed", pos, m->len);
	}
	ev_ssize_t r = evbuffer_copyout_from(m->b, &p, out, n);
	int bad = r != (ev_ssize_t)expect || (expect && memcmp(out, m->d + pos, expect));
	free(out);
	if (bad)
		return mfail(st, "copyout_from(%zu, %zu) returned %zd or wrong bytes", pos, n, r);
	return 0;
}

static inline int
op_pullup(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	ev_ssize_t n = msrc_below(s, 5) == 0 ? -1 : (ev_ssize_t)msrc_len(s);
	size_t want = n < 0 ? m->len : (size_t)n;
	unsigned char *p = evbuffer_pullup(m->b, n);

	if (want == 0 || want > m->len) {
		if (p)
			return mfail(st, "pullup(%zd) of %zu gave a pointer", n, m->len);
		return 0;
	}
	if (!p || memcmp(p, m->d, want) != 0)
		return mfail(st, "pullup(%zd) of %zu wrong", n, m->len);
	if (evbuffer_get_contiguous_space(m->b) < want)
		return mfail(st, "pullup(%zd) left less contiguous", n);
	return 0;
}

static inline int
op_search(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	unsigned char w[64];
	size_t n = msrc_below(s, 12), from = mpos(s, m), end = m->len;
	struct evbuffer_ptr ps, pe, r;

	if (msrc_below(s, 2) && m->len) { /* a needle that occurs */
		size_t at = msrc_below(s, m->len);
		if (n > m->len - at)
			n = m->len - at;
		memcpy(w, m->d + at, n);
	} else {
		msrc_fill(s, w, n);
	}
	evbuffer_ptr_set(m->b, &ps, from, EVBUFFER_PTR_SET);
	if (msrc_below(s, 2)) {
		end = from + msrc_below(s, m->len - from + 1);
		evbuffer_ptr_set(m->b, &pe, end, EVBUFFER_PTR_SET);
		r = evbuffer_search_range(m->b, (const char *)w, n, &ps, &pe);
	} else {
		r = evbuffer_search(m->b, (const char *)w, n, &ps);
	}
	ev_ssize_t expect = mfind(m, from, end, w, n);
	if (r.pos != expect)
		return mfail(st, "search of %zu bytes in [%zu,%zu) of %zu: %zd, expected %zd",
		    n, from, end, m->len, r.pos, expect);
	/* Searching again from the result finds the same match. */
	if (r.pos >= 0) {
		struct evbuffer_ptr again = evbuffer_search(m->b, (const char *)w, n, &r);
		if (again.pos != r.pos)
			return mfail(st, "search from its own result moved to %zd", again.pos);
	}
	return 0;
}

static inline int
op_search_eol(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	enum evbuffer_eol_style style = (enum evbuffer_eol_style)msrc_below(s, 5);
	size_t from = mpos(s, m), len, elen;
	struct evbuffer_ptr ps, r;

	evbuffer_ptr_set(m->b, &ps, from, EVBUFFER_PTR_SET);
	r = evbuffer_search_eol(m->b, &ps, &len, style);
	ev_ssize_t expect = meol(m, from, style, &elen);
	if (r.pos != expect || (expect >= 0 && len != elen))
		return mfail(st, "search_eol style %d from %zu of %zu: %zd/%zu, expected %zd/%zu",
		    (int)style, from, m->len, r.pos, len, expect, elen);
	return 0;
}

static inline int
op_readln(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	enum evbuffer_eol_style style = (enum evbuffer_eol_style)msrc_below(s, 5);
	size_t n = 12345, elen;
	char *line = evbuffer_readln(m->b, &n, style);
	ev_ssize_t expect = meol(m, 0, style, &elen);

	if (expect < 0) {
		if (line) {
			free(line);
			return mfail(st, "readln style %d found a line that is not there", (int)style);
		}
		return 0;
	}
	int bad = !line || n != (size_t)expect || memcmp(line, m->d, n) != 0 || line[n];
	free(line);
	if (bad)
		return mfail(st, "readln style %d: wrong line (len %zu, expected %zd)",
		    (int)style, n, expect);
	mdrain(m, (size_t)expect + elen);
	return 0;
}

static inline int
op_peek(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	struct evbuffer_iovec v[64];
	struct evbuffer_ptr p;
	size_t from = mpos(s, m);
	ev_ssize_t len = msrc_below(s, 4) == 0 ? -1 : (ev_ssize_t)msrc_len(s);
	int nv = (int)msrc_below(s, 65);

	evbuffer_ptr_set(m->b, &p, from, EVBUFFER_PTR_SET);
	int need = evbuffer_peek(m->b, len, &p, NULL, 0);
	int n = evbuffer_peek(m->b, len, &p, v, nv);
	if (n < 0 || need < 0)
		return mfail(st, "peek failed");
	if (len >= 0 && n != need)
		return mfail(st, "peek count %d with vectors, %d without", n, need);
	size_t covered = 0;
	for (int i = 0; i < n && i < nv; i++) {
		if (v[i].iov_len == 0 || from + covered + v[i].iov_len > m->len ||
		    memcmp(v[i].iov_base, m->d + from + covered, v[i].iov_len) != 0)
			return mfail(st, "peek extent %d wrong", i);
		covered += v[i].iov_len;
	}
	if (n <= nv) {
		size_t want = len < 0 ? m->len - from : (size_t)len;
		if (want > m->len - from)
			want = m->len - from;
		if (len >= 0 && covered < want)
			return mfail(st, "peek covered %zu of %zu", covered, want);
		if (n && covered - v[n - 1].iov_len >= want && len >= 0)
			return mfail(st, "peek returned a needless extent");
	}
	return 0;
}

static inline int
op_add_reference(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	size_t n = msrc_len(s);
	size_t page = 4096, map_len = (n + page - 1) / page * page;
	struct mref *r = malloc(sizeof(*r));

	if (!map_len)
		map_len = page;
	r->st = st;
	r->map_len = map_len;
	r->map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->map == MAP_FAILED)
		abort();
	/* The bytes end right at the end of the mapping. */
	unsigned char *data = (unsigned char *)r->map + map_len - n;
	msrc_fill(s, data, n);
	mprotect(r->map, map_len, PROT_READ);
	st->refs_added++;
	if (evbuffer_add_reference(m->b, data, n, mref_cleanup, r) != 0)
		return mfail(st, "add_reference of %zu failed", n);
	mappend(m, data, n);
	return 0;
}

static inline int
op_reserve_commit(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	struct evbuffer_iovec v[3];
	size_t n = msrc_len(s);
	int nv = 1 + (int)msrc_below(s, 3);
	int got = evbuffer_reserve_space(m->b, (ev_ssize_t)n, v, nv);

	if (got < 0 || got > nv || (n && !got))
		return mfail(st, "reserve(%zu, %d) returned %d", n, nv, got);
	size_t total = 0;
	for (int i = 0; i < got; i++)
		total += v[i].iov_len;
	if (total < n)
		return mfail(st, "reserve(%zu) gave only %zu", n, total);
	/* A second reservation offers the same space. */
	struct evbuffer_iovec v2[3];
	if (evbuffer_reserve_space(m->b, (ev_ssize_t)n, v2, nv) != got ||
	    (got && v2[0].iov_base != v[0].iov_base))
		return mfail(st, "second reserve differs");
	/* Commit a prefix, possibly shorter than what was offered. */
	size_t want = msrc_below(s, total + 1);
	size_t left = want;
	unsigned char *tmp = mscratch(st, want);
	msrc_fill(s, tmp, want);
	for (int i = 0; i < got; i++) {
		size_t k = left < v[i].iov_len ? left : v[i].iov_len;
		memcpy(v[i].iov_base, tmp + (want - left), k);
		v[i].iov_len = k;
		left -= k;
	}
	int nc = got;
	while (nc > 1 && v[nc - 1].iov_len == 0 && msrc_below(s, 2))
		nc--; /* trailing empty extents may be left out */
	if (evbuffer_commit_space(m->b, v, nc) != 0)
		return mfail(st, "commit of %zu failed", want);
	mappend(m, tmp, want);
	return 0;
}

/* A commit after the end moved must fail and change nothing. */
static inline int
op_stale_commit(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	struct evbuffer_iovec v[2];
	size_t n = 1 + msrc_below(s, 5000);
	int got = evbuffer_reserve_space(m->b, (ev_ssize_t)n, v, 2);

	if (got < 1)
		return mfail(st, "reserve failed");
	memset(v[0].iov_base, 'Q', v[0].iov_len > 8 ? 8 : v[0].iov_len);
	if (evbuffer_add(m->b, "!", 1) != 0)
		return mfail(st, "add failed");
	mappend(m, "!", 1);
	v[0].iov_len = v[0].iov_len > 8 ? 8 : v[0].iov_len;
	if (evbuffer_commit_space(m->b, v, 1) != -1)
		return mfail(st, "stale commit succeeded");
	return 0;
}

static inline int
op_expand_add(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	size_t n = msrc_len(s);

	if (evbuffer_expand(m->b, n) != 0)
		return mfail(st, "expand(%zu) failed", n);
	return op_add(st, s, m);
}

static inline int
op_add_iovec(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	struct evbuffer_iovec v[4];
	unsigned char *parts[4];
	int nv = (int)msrc_below(s, 5);
	size_t total = 0;

	for (int i = 0; i < nv; i++) {
		size_t n = msrc_len(s) % 3000;
		parts[i] = malloc(n + 1);
		msrc_fill(s, parts[i], n);
		v[i].iov_base = parts[i];
		v[i].iov_len = n;
		total += n;
	}
	size_t r = evbuffer_add_iovec(m->b, v, nv);
	for (int i = 0; i < nv; i++) {
		mappend(m, parts[i], v[i].iov_len);
		free(parts[i]);
	}
	if (r != total)
		return mfail(st, "add_iovec returned %zu of %zu", r, total);
	return 0;
}

static inline int
op_two(struct mstate *st, struct msrc *s, int op)
{
	int a = (int)msrc_below(s, 2), b = 1 - a;
	struct mbuf *ma = &st->m[a], *mb = &st->m[b];

	switch (op) {
	case OP_ADD_BUFFER:
		if (evbuffer_add_buffer(ma->b, mb->b) != 0)
			return mfail(st, "add_buffer failed");
		mappend(ma, mb->d, mb->len);
		mb->len = 0;
		return 0;
	case OP_PREPEND_BUFFER:
		if (evbuffer_prepend_buffer(ma->b, mb->b) != 0)
			return mfail(st, "prepend_buffer failed");
		mprepend(ma, mb->d, mb->len);
		mb->len = 0;
		return 0;
	case OP_REMOVE_BUFFER: {
		size_t n = msrc_below(s, 3) == 0 ? mb->len : msrc_len(s);
		size_t expect = n < mb->len ? n : mb->len;
		int r = evbuffer_remove_buffer(mb->b, ma->b, n);
		if (r != (int)expect)
			return mfail(st, "remove_buffer(%zu) of %zu returned %d", n, mb->len, r);
		mappend(ma, mb->d, expect);
		mdrain(mb, expect);
		return 0;
	}
	case OP_ADD_BUFFER_REF: {
		struct mbuf *mc = &st->m[2];
		if (evbuffer_add_buffer_reference(ma->b, mc->b) != 0)
			return mfail(st, "add_buffer_reference failed");
		mappend(ma, mc->d, mc->len);
		/* Grow or shrink the source, which must not disturb the views. */
		if (msrc_below(s, 2))
			return op_add(st, s, mc);
		return op_drain(st, s, mc);
	}
	}
	return 0;
}

/* Moves bytes from one buffer to the other through the pipe. */
static inline int
op_pipe(struct mstate *st, struct msrc *s)
{
	int a = (int)msrc_below(s, 2);
	struct mbuf *src = &st->m[a], *dst = &st->m[1 - a];
	size_t n = msrc_below(s, 3) == 0 ? 60000 : msrc_len(s) % 60000;
	int w = evbuffer_write_atmost(src->b, st->pipe_w, (ev_ssize_t)n);

	if (w < 0)
		return mfail(st, "write_atmost(%zu) of %zu failed: %s", n, src->len,
		    strerror(errno));
	if (w > (int)n || w > (int)src->len)
		return mfail(st, "write_atmost wrote %d, more than allowed", w);
	size_t moved = (size_t)w;
	mappend(dst, src->d, moved);
	mdrain(src, moved);
	while (moved) {
		int howmuch = msrc_below(s, 3) == 0 ? -1 : 1 + (int)msrc_below(s, 70000);
		int r = evbuffer_read(dst->b, st->pipe_r, howmuch);
		if (r <= 0)
			return mfail(st, "read returned %d with %zu bytes in the pipe", r, moved);
		if (howmuch >= 0 && r > howmuch)
			return mfail(st, "read %d, more than howmuch %d", r, howmuch);
		moved -= (size_t)r;
	}
	return 0;
}

/* Walks a pointer through the buffer with PTR_ADD and checks peeks there. */
static inline int
op_ptr_walk(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	struct evbuffer_ptr p;
	size_t pos = 0;

	if (evbuffer_ptr_set(m->b, &p, 0, EVBUFFER_PTR_SET) != 0)
		return mfail(st, "ptr_set 0 failed");
	for (int i = 0; i < 8; i++) {
		size_t step = msrc_len(s) % 9000;
		int r = evbuffer_ptr_set(m->b, &p, step, EVBUFFER_PTR_ADD);
		if (pos + step > m->len) {
			if (r != -1 || p.pos != -1)
				return mfail(st, "ptr ADD past the end accepted");
			return 0;
		}
		pos += step;
		if (r != 0 || (size_t)p.pos != pos)
			return mfail(st, "ptr ADD to %zu failed", pos);
		struct evbuffer_iovec v;
		int n = evbuffer_peek(m->b, 1, &p, &v, 1);
		if (pos < m->len && (n != 1 || *(unsigned char *)v.iov_base != m->d[pos]))
			return mfail(st, "peek at walked ptr %zu wrong", pos);
	}
	return 0;
}

static inline int
op_find(struct mstate *st, struct msrc *s, struct mbuf *m)
{
	unsigned char w[4];
	size_t n = 1 + msrc_below(s, 3);

	msrc_fill(s, w, n);
	unsigned char *p = evbuffer_find(m->b, w, n);
	ev_ssize_t expect = mfind(m, 0, m->len, w, n);
	if ((expect < 0) != (p == NULL))
		return mfail(st, "find: %p, expected at %zd", (void *)p, expect);
	if (p && memcmp(p, w, n) != 0)
		return mfail(st, "find pointed at the wrong bytes");
	return 0;
}

/* Applies one operation chosen by s; 0 if the evbuffers agree with the
 * models afterwards. */
static inline int
mstep(struct mstate *st, struct msrc *s)
{
	int op = (int)msrc_below(s, OP_COUNT);
	int which = (int)msrc_below(s, 2);
	struct mbuf *m = &st->m[which];
	int r = 0;

	st->step++;
	switch (op) {
	case OP_ADD: r = op_add(st, s, m); break;
	case OP_ADD_PRINTF: r = op_add_printf(st, s, m); break;
	case OP_PREPEND: r = op_prepend(st, s, m); break;
	case OP_REMOVE: r = op_remove(st, s, m); break;
	case OP_DRAIN: r = op_drain(st, s, m); break;
	case OP_COPYOUT_FROM: r = op_copyout_from(st, s, m); break;
	case OP_ADD_BUFFER:
	case OP_PREPEND_BUFFER:
	case OP_REMOVE_BUFFER:
	case OP_ADD_BUFFER_REF: r = op_two(st, s, op); break;
	case OP_RESERVE_COMMIT: r = op_reserve_commit(st, s, m); break;
	case OP_STALE_COMMIT: r = op_stale_commit(st, s, m); break;
	case OP_PULLUP: r = op_pullup(st, s, m); break;
	case OP_SEARCH: r = op_search(st, s, m); break;
	case OP_SEARCH_EOL: r = op_search_eol(st, s, m); break;
	case OP_READLN: r = op_readln(st, s, m); break;
	case OP_PEEK: r = op_peek(st, s, m); break;
	case OP_ADD_REFERENCE: r = op_add_reference(st, s, m); break;
	case OP_EXPAND_ADD: r = op_expand_add(st, s, m); break;
	case OP_ADD_IOVEC: r = op_add_iovec(st, s, m); break;
	case OP_PIPE: r = op_pipe(st, s); break;
	case OP_PTR_WALK: r = op_ptr_walk(st, s, m); break;
	case OP_FIND: r = op_find(st, s, m); break;
	}
	if (r)
		return r;
	for (int i = 0; i < 3; i++) {
		if (mcheck(st, i))
			return -1;
		/* Keep the buffers bounded so a sequence stays fast. */
		if (st->m[i].len > MODEL_MAX_LEN) {
			evbuffer_drain(st->m[i].b, st->m[i].len / 2);
			mdrain(&st->m[i], st->m[i].len / 2);
			if (mcheck(st, i))
				return -1;
		}
	}
	return 0;
}

static inline int
mstate_init(struct mstate *st)
{
	int fds[2];

	memset(st, 0, sizeof(*st));
	for (int i = 0; i < 3; i++) {
		if (!(st->m[i].b = evbuffer_new()))
			return -1;
		mreserve(&st->m[i], 1); /* so d is never NULL */
	}
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
		return -1;
	fcntl(fds[1], F_SETPIPE_SZ, 1 << 20); /* room for the largest write */
	st->pipe_r = fds[0];
	st->pipe_w = fds[1];
	return 0;
}

/* Frees everything; -1 if reference cleanups did not balance. */
static inline int
mstate_fini(struct mstate *st)
{
	for (int i = 0; i < 3; i++) {
		evbuffer_free(st->m[i].b);
		free(st->m[i].d);
	}
	close(st->pipe_r);
	close(st->pipe_w);
	free(st->scratch);
	if (st->refs_added != st->refs_cleaned)
		return mfail(st, "%ld references added, %ld cleaned up", st->refs_added,
		    st->refs_cleaned);
	return 0;
}

#endif /* EVBUFFER_MODEL_H_INCLUDED */
