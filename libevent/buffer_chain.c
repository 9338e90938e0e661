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

#define CACHE_STD_SLOTS 96   /* class 0: 384 KiB */
#define CACHE_BIG_SLOTS 8    /* classes 1..5, bounded further below */
#define CACHE_EXT_SLOTS 64   /* header-only chains (references, views) */

struct chain_cache {
	int n_std;
	int n_big[CHAIN_N_CLASSES];
	int n_ext;
	int registered; /* thread-exit destructor armed */
	struct evbuffer_chain *std[CACHE_STD_SLOTS];
	struct evbuffer_chain *big[CHAIN_N_CLASSES][CACHE_BIG_SLOTS];
	struct evbuffer_chain *ext[CACHE_EXT_SLOTS];
};

static __thread struct chain_cache cache;
static pthread_key_t cache_key;
static pthread_once_t cache_key_once = PTHREAD_ONCE_INIT;

/* At most this many cached chains of class c >= 1: about 128 KiB each. */
static int
big_slots(int c)
{
	int n = 32 >> c;
	if (n < 1)
		n = 1;
	return n > CACHE_BIG_SLOTS ? CACHE_BIG_SLOTS : n;
}

static void
cache_destructor(void *unused)
{
	(void)unused;
	evbuffer_chain__cache_flush();
}

static void
cache_key_init(void)
{
	if (pthread_key_create(&cache_key, cache_destructor) != 0)
		cache_key = (pthread_key_t)-1;
}

/* Arms the thread-exit flush the first time a thread caches a chain. */
static void
cache_register(void)
{
	cache.registered = 1;
	pthread_once(&cache_key_once, cache_key_init);
	if (cache_key != (pthread_key_t)-1)
		pthread_setspecific(cache_key, &cache);
}

void
evbuffer_chain__cache_flush(void)
{
	while (cache.n_std > 0)
		mm_free(cache.std[--cache.n_std]);
	for (int c = 0; c < CHAIN_N_CLASSES; c++)
		while (cache.n_big[c] > 0)
			mm_free(cache.big[c][--cache.n_big[c]]);
	while (cache.n_ext > 0)
		mm_free(cache.ext[--cache.n_ext]);
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
	if (cls == 0)
		return cache.n_std > 0 ? cache.std[--cache.n_std] : NULL;
	return cache.n_big[cls] > 0 ? cache.big[cls][--cache.n_big[cls]] : NULL;
}

/* Caches ch if its class has room; returns 0 if it did not. */
static int
cache_push(struct evbuffer_chain *ch)
{
	unsigned cls = ch->size_class;

	if (cls == CHAIN_CLASS_NONE)
		return 0;
	if (!cache.registered)
		cache_register();
	if (cls == 0) {
		if (cache.n_std >= CACHE_STD_SLOTS)
			return 0;
		cache.std[cache.n_std++] = ch;
		return 1;
	}
	if (cache.n_big[cls] >= big_slots(cls))
		return 0;
	cache.big[cls][cache.n_big[cls]++] = ch;
	return 1;
}

/* Caches a header-only chain; returns 0 if the cache is full. */
static int
cache_push_ext(struct evbuffer_chain *ch)
{
	if (cache.n_ext >= CACHE_EXT_SLOTS)
		return 0;
	if (!cache.registered)
		cache_register();
	cache.ext[cache.n_ext++] = ch;
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
	struct evbuffer_chain *ch =
	    cache.n_ext > 0 ? cache.ext[--cache.n_ext] : mm_malloc(sizeof(*ch));

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
	int got = 0;

	while (got < n && cache.n_std > 0)
		out[got++] = cache.std[--cache.n_std];
	return got;
}

void
evbuffer_chain__unpop_std(struct evbuffer_chain **chains, int n)
{
	for (int i = 0; i < n; i++) {
		chains[i]->size_class = 0;
		if (!cache_push(chains[i]))
			mm_free(chains[i]);
	}
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
