/*
 * buffer_search.c: positions, searching, line reading and peeking.
 *
 * An evbuffer_ptr caches the chain holding its position and the offset in
 * that chain, tagged with the buffer's ptr_gen.  Appends keep existing
 * bytes where they are, so a cache stays good until something changes
 * the front (drain, prepend, pullup, moving chains out); those bump
 * ptr_gen and any older cache is ignored: the position is then found by
 * walking from the front.  A position equal to the length has no chain.
 *
 * Matching never reads outside a chain's bytes: a match that crosses
 * chain edges is compared chain by chain.
 */
#include <string.h>

#include "evbuffer-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

#define GEN_TAG(buf) ((size_t)((buf)->ptr_gen & 0xffffffu) << EVBUFFER_PTR_OFF_BITS)

/* Fills *p for absolute position pos at (ch, off). */
static void
make_ptr(const struct evbuffer *buf, struct evbuffer_ptr *p, size_t pos,
    struct evbuffer_chain *ch, size_t off)
{
	p->pos = (ev_ssize_t)pos;
	p->internal_.chain = ch;
	p->internal_.pos_in_chain = ch ? (off | GEN_TAG(buf)) : 0;
}

static void
set_not_found(struct evbuffer_ptr *p)
{
	p->pos = -1;
	p->internal_.chain = NULL;
	p->internal_.pos_in_chain = 0;
}

/* Walks from (ch, off) forward by n bytes (n < bytes left from there). */
static struct evbuffer_chain *
walk(struct evbuffer_chain *ch, size_t off, size_t n, size_t *off_out)
{
	while (n >= ch->off - off) {
		n -= ch->off - off;
		ch = ch->next;
		off = 0;
	}
	*off_out = off + n;
	return ch;
}

int
evbuffer__resolve(struct evbuffer *buf, const struct evbuffer_ptr *p,
    struct evbuffer_chain **ch_out, size_t *off_out, size_t *avail_out)
{
	size_t pos;

	if (!p) {
		*ch_out = buf->total_len ? buf->first : NULL;
		*off_out = 0;
		*avail_out = buf->total_len;
		return 0;
	}
	if (p->pos < 0 || (size_t)p->pos > buf->total_len)
		return -1;
	pos = (size_t)p->pos;
	*avail_out = buf->total_len - pos;
	if (pos == buf->total_len) {
		*ch_out = NULL;
		*off_out = 0;
		return 0;
	}
	struct evbuffer_chain *ch = p->internal_.chain;
	size_t word = p->internal_.pos_in_chain;
	if (ch && (word & ~EVBUFFER_PTR_OFF_MASK) == GEN_TAG(buf) &&
	    (word & EVBUFFER_PTR_OFF_MASK) < ch->off) {
		*ch_out = ch;
		*off_out = word & EVBUFFER_PTR_OFF_MASK;
		return 0;
	}
	*ch_out = walk(buf->first, 0, pos, off_out);
	return 0;
}

int
evbuffer_ptr_set(struct evbuffer *buf, struct evbuffer_ptr *ptr,
    size_t position, enum evbuffer_ptr_how how)
{
	struct evbuffer_chain *ch;
	size_t off, avail, target;
	int rv = -1;

	if (!buf || !ptr) {
		event_warnx("evbuffer_ptr_set: NULL %s", buf ? "pointer" : "buffer");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	if (how == EVBUFFER_PTR_SET) {
		if (position > buf->total_len)
			goto fail;
		target = position;
		ch = position < buf->total_len ? walk(buf->first, 0, position, &off) : NULL;
	} else if (how == EVBUFFER_PTR_ADD) {
		if (evbuffer__resolve(buf, ptr, &ch, &off, &avail) < 0 || position > avail)
			goto fail;
		target = (size_t)ptr->pos + position;
		if (position < avail)
			ch = walk(ch, off, position, &off);
		else
			ch = NULL;
	} else {
		goto fail;
	}
	make_ptr(buf, ptr, target, ch, ch ? off : 0);
	rv = 0;
	goto out;
fail:
	set_not_found(ptr);
out:
	EVBUFFER_UNLOCK(buf);
	return rv;
}

/* ---- matching ------------------------------------------------------------- */

/* Nonzero if what[0..len) is stored starting at (ch, off); never reads
 * past the data. */
static int
match_at(const struct evbuffer_chain *ch, size_t off, const unsigned char *what,
    size_t len)
{
	while (len) {
		if (!ch || !ch->off)
			return 0;
		size_t n = ch->off - off;
		if (n > len)
			n = len;
		if (memcmp(ch->buffer + ch->misalign + off, what, n) != 0)
			return 0;
		what += n;
		len -= n;
		ch = ch->next;
		off = 0;
	}
	return 1;
}

/*
 * First occurrence of what[0..len) (len >= 1) in hay[0..n), or NULL.
 * Short patterns in protocol text ("\r\n\r\n", a header name) are found
 * fastest by memchr on the first byte and a compare; glibc's memmem pays
 * a fixed setup of several hundred instructions per call.  Inputs where
 * the first byte keeps matching falsely are handed to memmem, whose
 * two-way search is linear, so the worst case stays linear too.
 */
static const unsigned char *
find_in(const unsigned char *hay, size_t n, const unsigned char *what, size_t len)
{
	const unsigned char *p = hay, *end;
	int misses = 0;

	if (len > n)
		return NULL;
	end = hay + n - len + 1;
	if (len == 1)
		return memchr(hay, what[0], n);
	while (p < end && (p = memchr(p, what[0], (size_t)(end - p))) != NULL) {
		/* The last byte first: it rejects most false starts cheaply. */
		if (p[len - 1] == what[len - 1] &&
		    (len == 2 || memcmp(p + 1, what + 1, len - 2) == 0))
			return p;
		if (++misses > 8)
			return memmem(p + 1, n - (size_t)(p + 1 - hay), what, len);
		p++;
	}
	return NULL;
}

/*
 * First match of what[0..len) (len >= 1) starting in [from, last_start],
 * where from is at (ch, off).  Returns its position, or -1; the match's
 * chain and offset go to mch and moff.
 */
static ev_ssize_t
find_bytes(struct evbuffer_chain *ch, size_t off, size_t from,
    size_t last_start, const unsigned char *what, size_t len,
    struct evbuffer_chain **mch, size_t *moff)
{
	size_t pos = from; /* absolute position of (ch, off) */

	while (ch && ch->off && pos <= last_start) {
		const unsigned char *data = ch->buffer + ch->misalign;
		size_t avail = ch->off - off;
		/* Candidates in this chain start in [pos, stop]. */
		size_t stop = last_start - pos < avail - 1 ? last_start - pos : avail - 1;
		/* Matches lying wholly inside the chain come first. */
		if (avail >= len) {
			size_t inside = avail - len; /* last start wholly inside */
			if (inside > stop)
				inside = stop;
			const unsigned char *hit =
			    find_in(data + off, inside + len, what, len);
			if (hit) {
				*mch = ch;
				*moff = (size_t)(hit - data);
				return (ev_ssize_t)(pos + (size_t)(hit - data - off));
			}
		}
		/* Then matches that cross into the next chains. */
		size_t first = avail >= len ? avail - len + 1 : 0;
		for (size_t i = first; i <= stop; i++) {
			const unsigned char *c =
			    memchr(data + off + i, what[0], stop - i + 1);
			if (!c)
				break;
			i = (size_t)(c - data - off);
			if (match_at(ch, off + i, what, len)) {
				*mch = ch;
				*moff = off + i;
				return (ev_ssize_t)(pos + i);
			}
		}
		pos += avail;
		ch = ch->next;
		off = 0;
	}
	return -1;
}

static struct evbuffer_ptr
search_range(struct evbuffer *buf, const char *what, size_t len,
    const struct evbuffer_ptr *start, const struct evbuffer_ptr *end)
{
	struct evbuffer_ptr res;
	struct evbuffer_chain *ch, *mch;
	size_t off, avail, moff, from, end_pos;

	set_not_found(&res);
	if (!buf || (!what && len)) {
		event_warnx("evbuffer_search: NULL %s", buf ? "pattern" : "buffer");
		return res;
	}
	EVBUFFER_LOCK(buf);
	if (buf->n_sendfile && evbuffer__materialize(buf) < 0)
		goto out;
	if (evbuffer__resolve(buf, start, &ch, &off, &avail) < 0)
		goto out;
	from = buf->total_len - avail;
	end_pos = buf->total_len;
	if (end) {
		if (end->pos < 0 || (size_t)end->pos > buf->total_len)
			goto out;
		end_pos = (size_t)end->pos;
	}
	if (len == 0) { /* the empty string matches where the search starts */
		make_ptr(buf, &res, from, ch, off);
		goto out;
	}
	if (end_pos < len || from > end_pos - len)
		goto out;
	ev_ssize_t at = find_bytes(ch, off, from, end_pos - len,
	    (const unsigned char *)what, len, &mch, &moff);
	if (at >= 0)
		make_ptr(buf, &res, (size_t)at, mch, moff);
out:
	EVBUFFER_UNLOCK(buf);
	return res;
}

struct evbuffer_ptr
evbuffer_search_range(struct evbuffer *buf, const char *what, size_t len,
    const struct evbuffer_ptr *start, const struct evbuffer_ptr *end)
{
	return search_range(buf, what, len, start, end);
}

struct evbuffer_ptr
evbuffer_search(struct evbuffer *buf, const char *what, size_t len,
    const struct evbuffer_ptr *start)
{
	return search_range(buf, what, len, start, NULL);
}

/* ---- line ends ------------------------------------------------------------ */

/* Index of the first byte of data[0..n) that is CR or LF, or n. */
static size_t
find_cr_or_lf(const unsigned char *data, size_t n)
{
	const unsigned char *lf = memchr(data, '\n', n);
	size_t lim = lf ? (size_t)(lf - data) : n;
	const unsigned char *cr = memchr(data, '\r', lim);

	return cr ? (size_t)(cr - data) : lim;
}

/*
 * First byte at or after (ch, off) (absolute from) that is c, or, when
 * any_crlf is set, CR or LF.  Returns its position or -1; its chain and
 * offset go to mch and moff.
 */
static ev_ssize_t
find_eol_byte(struct evbuffer_chain *ch, size_t off, size_t from, int c,
    int any_crlf, struct evbuffer_chain **mch, size_t *moff)
{
	size_t pos = from;

	for (; ch && ch->off; ch = ch->next, off = 0) {
		const unsigned char *data = ch->buffer + ch->misalign + off;
		size_t n = ch->off - off, i;
		if (any_crlf) {
			i = find_cr_or_lf(data, n);
		} else {
			const unsigned char *hit = memchr(data, c, n);
			i = hit ? (size_t)(hit - data) : n;
		}
		if (i < n) {
			*mch = ch;
			*moff = off + i;
			return (ev_ssize_t)(pos + i);
		}
		pos += n;
	}
	return -1;
}

/* Byte at (ch, off), stepping to the next chain at a chain's end; -1 at
 * the end of the data.  Advances (ch, off) past it. */
static int
next_byte(struct evbuffer_chain **ch, size_t *off)
{
	while (*ch && *off >= (*ch)->off) {
		*ch = (*ch)->next;
		*off = 0;
		if (*ch && !(*ch)->off)
			*ch = NULL;
	}
	if (!*ch)
		return -1;
	return (*ch)->buffer[(*ch)->misalign + (*off)++];
}

/* The byte just before (ch, off), which is at absolute position pos > 0. */
static int
byte_before(struct evbuffer *buf, struct evbuffer_chain *ch, size_t off,
    size_t pos)
{
	if (off == 0)
		ch = walk(buf->first, 0, pos - 1, &off);
	else
		off--;
	return ch->buffer[ch->misalign + off];
}

/*
 * The first line end of style at or after (ch, off), which is at absolute
 * position from and has avail bytes after it.  Returns its position (and
 * length, chain and offset), -1 if there is none, -2 for an unknown style.
 */
static ev_ssize_t
eol_scan(struct evbuffer *buf, struct evbuffer_chain *ch, size_t off, size_t from,
    size_t avail, enum evbuffer_eol_style style, size_t *eol_len,
    struct evbuffer_chain **mch, size_t *moff)
{
	ev_ssize_t at = -1;

	*eol_len = 0;
	switch (style) {
	case EVBUFFER_EOL_LF:
	case EVBUFFER_EOL_NUL:
		at = find_eol_byte(ch, off, from, style == EVBUFFER_EOL_LF ? '\n' : 0,
		    0, mch, moff);
		*eol_len = 1;
		break;
	case EVBUFFER_EOL_CRLF_STRICT:
		if (avail >= 2)
			at = find_bytes(ch, off, from, from + avail - 2,
			    (const unsigned char *)"\r\n", 2, mch, moff);
		*eol_len = 2;
		break;
	case EVBUFFER_EOL_CRLF:
		at = find_eol_byte(ch, off, from, '\n', 0, mch, moff);
		*eol_len = 1;
		/* A CR right before the LF belongs to the line end, but only
		 * if it is inside the searched range. */
		if (at > (ev_ssize_t)from &&
		    byte_before(buf, *mch, *moff, (size_t)at) == '\r') {
			at--;
			*eol_len = 2;
			if (*moff)
				(*moff)--;
			else
				*mch = walk(buf->first, 0, (size_t)at, moff);
		}
		break;
	case EVBUFFER_EOL_ANY: {
		at = find_eol_byte(ch, off, from, 0, 1, mch, moff);
		if (at < 0)
			break;
		struct evbuffer_chain *c = *mch;
		size_t o = *moff;
		int b;
		while ((b = next_byte(&c, &o)) == '\r' || b == '\n')
			(*eol_len)++;
		break;
	}
	default:
		event_warnx("evbuffer_search_eol: unknown line-end style %d", (int)style);
		return -2;
	}
	if (at < 0)
		*eol_len = 0;
	return at;
}

struct evbuffer_ptr
evbuffer_search_eol(struct evbuffer *buf, struct evbuffer_ptr *start,
    size_t *eol_len_out, enum evbuffer_eol_style style)
{
	struct evbuffer_ptr res;
	struct evbuffer_chain *ch, *mch = NULL;
	size_t off, avail, moff = 0, eol_len = 0;
	ev_ssize_t at;

	set_not_found(&res);
	if (eol_len_out)
		*eol_len_out = 0;
	if (!buf) {
		event_warnx("evbuffer_search_eol: NULL buffer");
		return res;
	}
	EVBUFFER_LOCK(buf);
	if (buf->n_sendfile && evbuffer__materialize(buf) < 0)
		goto out;
	if (evbuffer__resolve(buf, start, &ch, &off, &avail) < 0 || !avail)
		goto out;
	at = eol_scan(buf, ch, off, buf->total_len - avail, avail, style, &eol_len,
	    &mch, &moff);
	if (at < 0)
		goto out;
	make_ptr(buf, &res, (size_t)at, mch, moff);
	if (eol_len_out)
		*eol_len_out = eol_len;
out:
	EVBUFFER_UNLOCK(buf);
	return res;
}

char *
evbuffer_readln(struct evbuffer *buf, size_t *n_read_out,
    enum evbuffer_eol_style style)
{
	struct evbuffer_chain *mch;
	size_t eol_len, n, moff;
	ev_ssize_t at;
	char *line = NULL;

	if (n_read_out)
		*n_read_out = 0;
	if (!buf) {
		event_warnx("evbuffer_readln: NULL buffer");
		return NULL;
	}
	EVBUFFER_LOCK(buf);
	if (buf->freeze_front || !buf->total_len)
		goto out;
	if (buf->n_sendfile && evbuffer__materialize(buf) < 0)
		goto out;
	at = eol_scan(buf, buf->first, 0, 0, buf->total_len, style, &eol_len, &mch,
	    &moff);
	if (at < 0)
		goto out;
	n = (size_t)at;
	line = mm_malloc(n + 1);
	if (!line) {
		event_warn("evbuffer_readln: out of memory for a %zu-byte line", n);
		goto out;
	}
	if (n)
		evbuffer__copy_from(buf->first, 0, line, n);
	line[n] = '\0';
	evbuffer__drain_front(buf, n + eol_len);
	if (n_read_out)
		*n_read_out = n;
out:
	evbuffer__finish(buf);
	return line;
}

char *
evbuffer_readline(struct evbuffer *buf)
{
	return evbuffer_readln(buf, NULL, EVBUFFER_EOL_ANY);
}

unsigned char *
evbuffer_find(struct evbuffer *buf, const unsigned char *what, size_t len)
{
	struct evbuffer_ptr p;
	unsigned char *res = NULL;

	if (!buf)
		return NULL;
	EVBUFFER_LOCK(buf);
	p = search_range(buf, (const char *)what, len, NULL, NULL);
	if (p.pos >= 0) {
		unsigned char *data = evbuffer_pullup(buf, p.pos + (ev_ssize_t)len);
		if (data)
			res = data + p.pos;
	}
	EVBUFFER_UNLOCK(buf);
	return res;
}

/* ---- peek ------------------------------------------------------------------- */

int
evbuffer_peek(struct evbuffer *buf, ev_ssize_t len, struct evbuffer_ptr *start_at,
    struct evbuffer_iovec *vec, int n_vec)
{
	struct evbuffer_chain *ch;
	size_t off, avail, covered = 0;
	int n = 0;

	if (!buf || n_vec < 0 || (n_vec && !vec)) {
		event_warnx("evbuffer_peek: bad arguments");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	if (buf->n_sendfile && evbuffer__materialize(buf) < 0) {
		n = -1;
		goto out;
	}
	if (evbuffer__resolve(buf, start_at, &ch, &off, &avail) < 0)
		goto out; /* an invalid position shows nothing */
	for (; ch && ch->off; ch = ch->next, off = 0) {
		if (len >= 0 && covered >= (size_t)len)
			break;
		if (len < 0 && n_vec && n >= n_vec)
			break; /* negative len: as much as the vectors hold */
		if (n < n_vec) {
			vec[n].iov_base = ch->buffer + ch->misalign + off;
			vec[n].iov_len = ch->off - off;
		}
		covered += ch->off - off;
		n++;
	}
out:
	EVBUFFER_UNLOCK(buf);
	return n;
}
