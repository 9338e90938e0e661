/*
 * buffer_chain.c: allocating and releasing evbuffer chains.
 *
 * Plain chains are one allocation each (header + inline storage) with a
 * power-of-two capacity from 4 KiB to 128 KiB.  Released ones go to a
 * per-thread cache, one stack per size class, so the steady state of a
 * connection (read into chains, move them, write them out, release them)
 * never reaches malloc.  The cache is thread-local so that it needs no
 * lock; a chain released by another thread simply joins that thread's
 * cache.  Each stack is bounded, and a thread's cache is freed when the
 * thread exits.
 *
 * The class-0 stack is large enough to hold a whole read reservation
 * (EVBUFFER_READ_CAP_MAX bytes of standard chains) plus slack, because
 * evbuffer_read pops a reservation's worth and pushes back what the kernel
 * did not fill.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "evbuffer-internal.h"
#include "mm-internal.h"

#define CACHE_BIG_SLOTS EVBUFFER_CACHE_BIG_SLOTS
#define CACHE_STD_SLOTS EVBUFFER_CACHE_STD_SLOTS
#define CACHE_EXT_SLOTS EVBUFFER_CACHE_EXT_SLOTS
#define chain_cache evbuffer_chain_cache
#define tcache evbuffer_tcache_

/*
 * The thread's cache, allocated the first time the thread releases a
 * chain.  Only a pointer is thread-local, in the initial-exec model: one
 * %fs-relative load per access instead of a __tls_get_addr call, and only
 * 8 bytes of static TLS, which fits the surplus glibc keeps for libraries
 * loaded with dlopen.
 */
__thread struct chain_cache *tcache __attribute__((tls_model("initial-exec")));
static pthread_key_t cache_key;
static int cache_key_ok;
static pthread_once_t cache_key_once = PTHREAD_ONCE_INIT;

/* At most this many cached chains of class c >= 1: a fixed byte budget
 * per class (see EVBUFFER_CACHE_CLASS_BYTES). */
static int
big_slots(int c)
{
	size_t n = EVBUFFER_CACHE_CLASS_BYTES / (CHAIN_MIN_CAP << c);
	return n > CACHE_BIG_SLOTS ? CACHE_BIG_SLOTS : (int)n;
}

static void
flush(struct chain_cache *c)
{
	while (c->n_std > 0)
		mm_free(c->std[--c->n_std]);
	for (int k = 0; k < CHAIN_N_CLASSES; k++)
		while (c->n_big[k] > 0)
			mm_free(c->big[k][--c->n_big[k]]);
	while (c->n_ext > 0)
		mm_free(c->ext[--c->n_ext]);
}

/* Thread exit: free the cache.  A chain released later by another
 * destructor creates a new cache, which glibc's next destructor round
 * frees in turn. */
static void
cache_destructor(void *p)
{
	flush(p);
	mm_free(p);
	tcache = NULL;
}

static void
cache_key_init(void)
{
	cache_key_ok = pthread_key_create(&cache_key, cache_destructor) == 0;
}

/* Unloading the library must not leave a destructor pointing into it. */
__attribute__((destructor)) static void
cache_key_fini(void)
{
	if (cache_key_ok)
		pthread_key_delete(cache_key);
	cache_key_ok = 0;
}

/* The calling thread's cache, created on first use; NULL if that fails
 * (chains are then simply freed). */
static struct chain_cache *
cache_get(void)
{
	struct chain_cache *c = tcache;

#ifdef EVBUFFER_NO_CHAIN_CACHE /* switch for measuring the cache (EXP-006) */
	return NULL;
#endif
	if (c)
		return c;
	pthread_once(&cache_key_once, cache_key_init);
	if (!cache_key_ok)
		return NULL;
	c = mm_calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (pthread_setspecific(cache_key, c) != 0) {
		mm_free(c);
		return NULL;
	}
	tcache = c;
	return c;
}

void
evbuffer_chain__cache_flush(void)
{
	if (tcache)
		flush(tcache);
}

/* Smallest class whose capacity holds cap, or CHAIN_CLASS_NONE. */
static unsigned
class_for(size_t cap)
{
	unsigned c = 0;
	size_t have = CHAIN_MIN_CAP;

	while (have < cap) {
		if (++c >= CHAIN_N_CLASSES)
			return CHAIN_CLASS_NONE;
		have <<= 1;
	}
	return c;
}

static void
init_plain(struct evbuffer_chain *ch, size_t cap, unsigned cls)
{
	ch->next = NULL;
	ch->buffer = CHAIN_INLINE_DATA(ch);
	ch->buffer_len = cap;
	ch->misalign = 0;
	ch->off = 0;
	ch->refcnt = 1;
	ch->kind = CHAIN_PLAIN;
	ch->size_class = (unsigned char)cls;
	ch->sendfile = 0;
}

static struct evbuffer_chain *
cache_pop(unsigned cls)
{
	struct chain_cache *c = tcache;

	if (!c)
		return NULL;
	if (cls == 0)
		return c->n_std > 0 ? c->std[--c->n_std] : NULL;
	return c->n_big[cls] > 0 ? c->big[cls][--c->n_big[cls]] : NULL;
}

/* Caches ch if its class has room; returns 0 if it did not. */
static int
cache_push(struct evbuffer_chain *ch)
{
	unsigned cls = ch->size_class;
	struct chain_cache *c;

	if (cls == CHAIN_CLASS_NONE || !(c = cache_get()))
		return 0;
	if (cls == 0) {
		if (c->n_std >= CACHE_STD_SLOTS)
			return 0;
		c->std[c->n_std++] = ch;
		return 1;
	}
	if (c->n_big[cls] >= big_slots((int)cls))
		return 0;
	c->big[cls][c->n_big[cls]++] = ch;
	return 1;
}

/* Caches a header-only chain; returns 0 if the cache is full. */
static int
cache_push_ext(struct evbuffer_chain *ch)
{
	struct chain_cache *c = cache_get();

	if (!c || c->n_ext >= CACHE_EXT_SLOTS)
		return 0;
	c->ext[c->n_ext++] = ch;
	return 1;
}

struct evbuffer_chain *
evbuffer_chain__new(size_t cap)
{
	unsigned cls = class_for(cap ? cap : 1);
	size_t have;
	struct evbuffer_chain *ch;

	if (cls != CHAIN_CLASS_NONE) {
		have = CHAIN_MIN_CAP << cls;
		ch = cache_pop(cls);
		if (!ch)
			ch = mm_malloc(sizeof(*ch) + have);
	} else {
		/* Round to whole pages; refuse sizes that would overflow. */
		if (cap > SIZE_MAX - sizeof(*ch) - CHAIN_MIN_CAP)
			return NULL;
		have = (cap + CHAIN_MIN_CAP - 1) & ~(CHAIN_MIN_CAP - 1);
		ch = mm_malloc(sizeof(*ch) + have);
	}
	if (!ch)
		return NULL;
	init_plain(ch, have, cls);
	return ch;
}

struct evbuffer_chain *
evbuffer_chain__new_ext(enum evbuffer_chain_kind kind)
{
	struct chain_cache *c = tcache;
	struct evbuffer_chain *ch =
	    c && c->n_ext > 0 ? c->ext[--c->n_ext] : mm_malloc(sizeof(*ch));

	if (!ch)
		return NULL;
	memset(ch, 0, sizeof(*ch));
	ch->refcnt = 1;
	ch->kind = (unsigned char)kind;
	ch->size_class = CHAIN_CLASS_NONE;
	return ch;
}

int
evbuffer_chain__pop_std(struct evbuffer_chain **out, int n)
{
	struct chain_cache *c = tcache;
	int got = 0;

	if (!c)
		return 0;
	while (got < n && c->n_std > 0)
		out[got++] = c->std[--c->n_std];
	return got;
}

struct evbuffer_chain *
evbuffer_chain__alloc_std(void)
{
	struct evbuffer_chain *ch = mm_malloc(sizeof(*ch) + CHAIN_MIN_CAP);

	if (ch)
		ch->size_class = 0;
	return ch;
}

void
evbuffer_chain__unpop_std(struct evbuffer_chain **chains, int n)
{
	struct chain_cache *c = n ? cache_get() : NULL;
	int i = 0;

	/* Only the stack slots are written: the chains stay untouched. */
	for (; c && i < n && c->n_std < CACHE_STD_SLOTS; i++)
		c->std[c->n_std++] = chains[i];
	for (; i < n; i++)
		mm_free(chains[i]);
}

void
evbuffer_chain__init_std(struct evbuffer_chain *ch)
{
	init_plain(ch, CHAIN_MIN_CAP, 0);
}

/* Drops one holder; returns nonzero if that was the last one. */
static int
chain_unref(struct evbuffer_chain *ch)
{
	/* Only views can hold a chain besides its buffer, and only the
	 * buffer's owner adds views: a count of 1 is ours alone. */
	if (ch->refcnt == 1)
		return 1;
	return __atomic_sub_fetch(&ch->refcnt, 1, __ATOMIC_ACQ_REL) == 0;
}

void
evbuffer_chain__release(struct evbuffer_chain *ch)
{
	while (ch && chain_unref(ch)) {
		struct evbuffer_chain *parent = NULL;

		switch (ch->kind) {
		case CHAIN_PLAIN:
			if (!cache_push(ch))
				mm_free(ch);
			return;
		case CHAIN_REF:
			if (ch->u.ref.fn)
				ch->u.ref.fn(ch->buffer, ch->buffer_len, ch->u.ref.arg);
			break;
		case CHAIN_FILE:
			evbuffer_file_segment_free(ch->u.seg);
			break;
		case CHAIN_SHARE:
			parent = ch->u.parent;
			break;
		}
		if (!cache_push_ext(ch))
			mm_free(ch);
		ch = parent; /* a view releases its parent in turn */
	}
}
