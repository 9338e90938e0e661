/*
 * evbuffer-internal.h: the evbuffer's data structure, shared by the
 * buffer_*.c files and by the bufferevents.
 *
 * A buffer is a singly linked list of chains:
 *
 *     first -> [data] -> [data] -> ... -> [data] -> [empty] -> ... -> last
 *                                           ^ last_data
 *
 * Every chain from first up to last_data holds at least one byte; chains
 * after last_data are empty space reserved by expand/reserve_space (or by
 * a read in progress).  The length is kept in total_len, so it is O(1).
 *
 * A chain's bytes are buffer[misalign .. misalign + off).  Draining moves
 * misalign forward; appending writes after off; nothing ever moves bytes
 * that are already stored, except pullup (which is asked to).
 *
 * Plain chains carry their storage inline, right after the header (one
 * allocation per chain), with a capacity that is a power of two from 4 KiB
 * up.  Released plain chains go to a small per-thread cache per size
 * class (at most about 1 MiB per thread, freed when the thread exits), so
 * a steady add/drain or read/write cycle allocates nothing.  The first
 * chain an empty buffer gets from an append keeps EVBUFFER_HEADROOM bytes
 * free in front, so that a small prepend needs no chain of its own.
 *
 * Other kinds of chain point at storage they do not own: user memory
 * (evbuffer_add_reference), a file segment (mapped, read in, or sent with
 * sendfile), or another buffer's chain (evbuffer_add_buffer_reference).
 * None of them is ever written to.
 */
#ifndef EVBUFFER_INTERNAL_H_INCLUDED_
#define EVBUFFER_INTERNAL_H_INCLUDED_

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/event_struct.h>

#include "thread-internal.h"

/* ---- chains ---------------------------------------------------------- */

enum evbuffer_chain_kind {
	CHAIN_PLAIN, /* inline storage, owned, writable while unshared */
	CHAIN_REF,   /* user memory; u.ref.fn runs once when released */
	CHAIN_FILE,  /* part of a file segment; u.seg holds a reference */
	CHAIN_SHARE  /* view of another buffer's chain u.parent */
};

/* Size classes of plain chains: capacity CHAIN_MIN_CAP << class. */
#define CHAIN_MIN_CAP ((size_t)4096)
#define CHAIN_N_CLASSES 6         /* 4 KiB .. 128 KiB are cached */
#define CHAIN_CLASS_NONE 0xff     /* larger: allocated and freed exactly */

struct evbuffer_chain {
	struct evbuffer_chain *next;
	/* Start of the storage; NULL for a sendfile chain whose bytes are
	 * only in the file. */
	unsigned char *buffer;
	size_t buffer_len; /* capacity of the storage */
	size_t misalign;   /* unused bytes before the data */
	size_t off;        /* bytes of data */
	/* Holders of this chain: its buffer, plus one per CHAIN_SHARE view.
	 * Changed atomically when above 1 (views may live in buffers guarded
	 * by other locks). */
	unsigned refcnt;
	unsigned char kind;       /* enum evbuffer_chain_kind */
	unsigned char size_class; /* plain chains: cache class */
	unsigned char sendfile;   /* CHAIN_FILE whose bytes are not in memory */
	union {
		struct {
			evbuffer_ref_cleanup_cb fn;
			void *arg;
		} ref;
		struct evbuffer_file_segment *seg;
		struct evbuffer_chain *parent;
	} u;
};

/* Bytes left free before the data of the first chain of an empty buffer
 * that is appended to, for cheap prepends. */
#define EVBUFFER_HEADROOM ((size_t)64)

/* The storage of a plain chain starts right after its header. */
#define CHAIN_INLINE_DATA(ch) ((unsigned char *)((ch) + 1))

/* Nonzero if bytes may be written into ch's free space. */
static inline int
evbuffer_chain_writable(const struct evbuffer_chain *ch)
{
	return ch->kind == CHAIN_PLAIN && ch->refcnt == 1;
}

/* Free bytes after the data of ch that an append may use. */
static inline size_t
evbuffer_chain_space(const struct evbuffer_chain *ch)
{
	if (!evbuffer_chain_writable(ch))
		return 0;
	return ch->buffer_len - ch->misalign - ch->off;
}

/* The per-thread chain cache (buffer_chain.c): stacks of released chains
 * by size class.  Exposed so that the hot paths can inline their common
 * case (a standard chain) below. */
#define EVBUFFER_CACHE_STD_SLOTS 96 /* class 0: 384 KiB */
/* Classes 1..5 keep up to EVBUFFER_CACHE_CLASS_BYTES each (EXP-004:
 * with fewer, a 16-connection 64 KiB ping-pong returned chains to malloc,
 * which trimmed and regrew the heap: 0.4 brk and 5 page faults per round
 * trip). */
#define EVBUFFER_CACHE_CLASS_BYTES ((size_t)2 << 20)
#define EVBUFFER_CACHE_BIG_SLOTS 256 /* class 1 (8 KiB) at 2 MiB */
#define EVBUFFER_CACHE_EXT_SLOTS 64 /* header-only chains */
struct evbuffer_chain_cache {
	int n_std;
	int n_big[CHAIN_N_CLASSES];
	int n_ext;
	struct evbuffer_chain *std[EVBUFFER_CACHE_STD_SLOTS];
	struct evbuffer_chain *big[CHAIN_N_CLASSES][EVBUFFER_CACHE_BIG_SLOTS];
	struct evbuffer_chain *ext[EVBUFFER_CACHE_EXT_SLOTS];
};
extern __thread struct evbuffer_chain_cache *evbuffer_tcache_
    __attribute__((tls_model("initial-exec")));

/* A plain chain with room for at least cap bytes, from the per-thread
 * cache when one of the right class is there.  NULL when out of memory. */
struct evbuffer_chain *evbuffer_chain__new(size_t cap);
/* A header-only chain of the given kind (not plain), refcnt 1.  NULL when
 * out of memory. */
struct evbuffer_chain *evbuffer_chain__new_ext(enum evbuffer_chain_kind kind);
/* Drops one holder of ch; the last one frees it: plain chains go back to
 * the cache, references run their cleanup, file chains release their
 * segment, views release their parent. */
void evbuffer_chain__release(struct evbuffer_chain *ch);
/* Pops up to n cached standard (class 0) chains into out, without
 * touching their memory; returns how many.  The caller must initialise
 * each with evbuffer_chain__init_std() before use or give it back with
 * evbuffer_chain__unpop_std(). */
int evbuffer_chain__pop_std(struct evbuffer_chain **out, int n);
void evbuffer_chain__unpop_std(struct evbuffer_chain **chains, int n);
/* A new standard chain for a read, uninitialised but for its size class;
 * NULL when out of memory. */
struct evbuffer_chain *evbuffer_chain__alloc_std(void);
/* Initialises a standard chain popped or freshly allocated for reading. */
void evbuffer_chain__init_std(struct evbuffer_chain *ch);
/* Frees every chain cached by the calling thread. */
void evbuffer_chain__cache_flush(void);

/* evbuffer_chain__new(CHAIN_MIN_CAP), with the cached case inline. */
static inline struct evbuffer_chain *
evbuffer_chain__new_std(void)
{
	struct evbuffer_chain_cache *c = evbuffer_tcache_;
	struct evbuffer_chain *ch;

	if (!c || !c->n_std)
		return evbuffer_chain__new(CHAIN_MIN_CAP);
	ch = c->std[--c->n_std];
	ch->next = NULL;
	ch->buffer = CHAIN_INLINE_DATA(ch);
	ch->buffer_len = CHAIN_MIN_CAP;
	ch->misalign = 0;
	ch->off = 0;
	ch->refcnt = 1;
	ch->kind = CHAIN_PLAIN;
	ch->size_class = 0;
	ch->sendfile = 0;
	return ch;
}

/* evbuffer_chain__release(), with the common case (an unshared standard
 * chain going back to a cache with room) inline. */
static inline void
evbuffer_chain__free(struct evbuffer_chain *ch)
{
	struct evbuffer_chain_cache *c = evbuffer_tcache_;

	if (ch->refcnt == 1 && ch->kind == CHAIN_PLAIN && ch->size_class == 0 && c &&
	    c->n_std < EVBUFFER_CACHE_STD_SLOTS) {
		c->std[c->n_std++] = ch;
		return;
	}
	evbuffer_chain__release(ch);
}

/* ---- file segments ----------------------------------------------------- */

struct evbuffer_file_segment {
	void *lock;               /* NULL unless threading is on */
	unsigned refcnt;          /* the creator's plus one per chain */
	unsigned flags;           /* EVBUF_FS_* */
	int fd;
	ev_off_t file_offset;     /* where the segment starts in the file */
	size_t length;            /* bytes in the segment */
	/* The segment's bytes in memory, once needed: a mapping (map_base,
	 * map_len page-aligned) or a heap copy.  NULL until then. */
	unsigned char *contents;
	void *map_base;
	size_t map_len;
	evbuffer_file_segment_cleanup_cb cleanup_fn;
	void *cleanup_arg;
};

/* Makes seg->contents valid (mmap, else pread into memory).  0, or -1
 * with a warning logged. */
int evbuffer_file_segment__materialize(struct evbuffer_file_segment *seg);
/* Adds a holder to seg. */
void evbuffer_file_segment__ref(struct evbuffer_file_segment *seg);

/* ---- buffers ------------------------------------------------------------ */

/* Callback flags beyond the public EVBUFFER_CB_ENABLED. */
/* The entry holds a 1.x evbuffer_cb (evbuffer_setcb). */
#define EVBUFFER_CB_OBSOLETE 0x40000u
/* Internal: run this callback immediately even when the buffer's
 * callbacks are deferred (a bufferevent's own watermark checks). */
#define EVBUFFER_CB_NODEFER 0x20000u
/* Removed while callbacks were running; freed when the pass ends. */
#define EVBUFFER_CB_DEAD 0x10000u

/*
 * An engine-internal watcher of appends (a socket bufferevent's "the
 * output has bytes to send"): called with the lock held when an operation
 * that added bytes ends, after any callbacks of the buffer that ran for
 * it.  It is not a callback entry, so a drain or an append costs no
 * callback pass for it (pingperf: a socket bufferevent's own entry cost
 * two passes per message).  It must neither free the buffer nor change
 * it.  With deferred callbacks it runs at once, like a NODEFER entry.
 */
typedef void (*evbuffer_add_hook)(struct evbuffer *buf, void *arg);

struct evbuffer_cb_entry {
	struct evbuffer_cb_entry *next;
	union {
		evbuffer_cb_func cb_func;
		evbuffer_cb cb_obsolete;
	} cb;
	void *cbarg;
	ev_uint32_t flags;
};

struct evbuffer {
	struct evbuffer_chain *first;
	struct evbuffer_chain *last;      /* last chain, possibly empty */
	struct evbuffer_chain *last_data; /* last chain with data, or NULL */
	size_t total_len;

	/* Bytes added and removed since callbacks last ran. */
	size_t n_add_for_cb;
	size_t n_del_for_cb;
	/* With deferred callbacks: the part of those counts that NODEFER
	 * callbacks have already been told about. */
	size_t nodefer_add_seen;
	size_t nodefer_del_seen;

	/* Most bytes the next evbuffer_read() asks for; grows when reads
	 * fill it. */
	size_t read_cap;
	/* The last read brought less than one standard chain: offer only
	 * that much next time (see buffer_io.c, EXP-004). */
	unsigned char read_small;

	/* Bumped whenever existing bytes change position (front changes,
	 * pullup): cached chain pointers in evbuffer_ptrs older than this
	 * are not trusted. */
	unsigned ptr_gen;
	/* Chains whose bytes are only in a file (sendfile). */
	unsigned n_sendfile;

	ev_uint64_t flags; /* EVBUFFER_FLAG_* */
	unsigned freeze_front : 1;
	unsigned freeze_back : 1;
	unsigned own_lock : 1;
	unsigned deferred_cbs : 1;

	int refcnt; /* the owner's reference plus internal ones */
	void *lock;

	struct evbuffer_cb_entry *callbacks;
	evbuffer_add_hook add_hook; /* NULL, or see evbuffer_add_hook */
	void *add_hook_arg;
	unsigned cb_depth; /* callback passes in progress (they nest) */
	struct event_base *cb_base;
	struct event_callback deferred;
};

#define EVBUFFER_LOCK(b) EVLOCK_LOCK((b)->lock)
#define EVBUFFER_UNLOCK(b) EVLOCK_UNLOCK((b)->lock)

/* Locks two buffers in address order (a deadlock-free order), once if
 * they share a lock. */
void evbuffer__lock2_slow(struct evbuffer *a, struct evbuffer *b);
void evbuffer__unlock2_slow(struct evbuffer *a, struct evbuffer *b);
/* Without locks (no threads) these are two tests, not a call. */
static inline void
evbuffer__lock2(struct evbuffer *a, struct evbuffer *b)
{
	if (a->lock || b->lock)
		evbuffer__lock2_slow(a, b);
}
static inline void
evbuffer__unlock2(struct evbuffer *a, struct evbuffer *b)
{
	if (a->lock || b->lock)
		evbuffer__unlock2_slow(a, b);
}

/* First empty chain after the data (where appends continue), or NULL. */
static inline struct evbuffer_chain *
evbuffer__first_empty(const struct evbuffer *buf)
{
	return buf->last_data ? buf->last_data->next : buf->first;
}

/* Links a chain holding data (off > 0) after the data of buf, before any
 * empty chains, and accounts its bytes as added. */
void evbuffer__link_data(struct evbuffer *buf, struct evbuffer_chain *ch);
/* Drops len bytes from the front (len <= total_len), releasing chains
 * that empty; accounts them as deleted. */
void evbuffer__drain_front(struct evbuffer *buf, size_t len);
/* Copies len bytes (len <= bytes stored from (ch, off)) out, starting at
 * offset off of chain ch. */
void evbuffer__copy_from(const struct evbuffer_chain *ch, size_t off,
    void *out, size_t len);
/* Appends datlen bytes, allocating as needed; 0 or -1 (nothing added). */
int evbuffer__append(struct evbuffer *buf, const void *data, size_t datlen);
/* Finds the place of position p (NULL: the front) in buf: its chain (NULL
 * at the end) and offset in that chain, and the bytes from there to the
 * end.  -1 if p is out of range. */
int evbuffer__resolve(struct evbuffer *buf, const struct evbuffer_ptr *p,
    struct evbuffer_chain **ch_out, size_t *off_out, size_t *avail_out);
/* evbuffer_copyout_from() with the lock held and arguments checked. */
ev_ssize_t evbuffer__copyout_locked(struct evbuffer *buf,
    const struct evbuffer_ptr *pos, void *data_out, size_t datlen);
/* Brings every sendfile chain of buf into memory; 0 or -1. */
int evbuffer__materialize(struct evbuffer *buf);
/* printf into dst[0..cap) for the common conversions only; returns the
 * length written, or -1 if the format needs vsnprintf or did not fit (ap
 * is not consumed either way). */
int evbuffer__fast_format(char *dst, size_t cap, const char *fmt, va_list ap);
/* Releases all chains of buf. */
void evbuffer__release_all(struct evbuffer *buf);

/* Inserts an empty chain right after the data (first in line to fill). */
void evbuffer__insert_empty(struct evbuffer *buf, struct evbuffer_chain *ch);

/* Runs the callbacks due after a change (or, for a buffer with deferred
 * callbacks, runs the NODEFER ones and schedules the rest).  Lock held. */
void evbuffer__dispatch_callbacks(struct evbuffer *buf);
/* Slow half of evbuffer__finish(). */
void evbuffer__finish_slow(struct evbuffer *buf);
/* Installs (fn non-NULL) or removes the add hook of buf. */
void evbuffer__set_add_hook(struct evbuffer *buf, evbuffer_add_hook fn, void *arg);

/* Finishing buf when no callback pass runs: the add hook, if bytes were
 * added, then the totals restart. */
static inline void
evbuffer__finish_quiet(struct evbuffer *buf)
{
	if (buf->n_add_for_cb && buf->add_hook)
		buf->add_hook(buf, buf->add_hook_arg);
	buf->n_add_for_cb = buf->n_del_for_cb = 0;
}
/* Drops a reference with the lock held and unlocks; frees buf when it was
 * the last reference. */
void evbuffer__decref_and_unlock(struct evbuffer *buf);

/*
 * Ends every operation on one buffer: runs or schedules the callbacks if
 * the length changed and someone listens, then unlocks.  The callbacks may
 * free the buffer: do not touch buf afterwards.
 */
static inline void
evbuffer__finish(struct evbuffer *buf)
{
	if (buf->callbacks && (buf->n_add_for_cb | buf->n_del_for_cb)) {
		evbuffer__finish_slow(buf);
		return;
	}
	evbuffer__finish_quiet(buf);
	EVBUFFER_UNLOCK(buf);
}
/* The same for operations on two buffers locked with evbuffer__lock2();
 * inline when neither buffer has callbacks. */
void evbuffer__finish2_slow(struct evbuffer *a, struct evbuffer *b);
static inline void
evbuffer__finish2(struct evbuffer *a, struct evbuffer *b)
{
	if (a->callbacks || b->callbacks) {
		evbuffer__finish2_slow(a, b);
		return;
	}
	evbuffer__finish_quiet(a);
	evbuffer__finish_quiet(b);
	evbuffer__unlock2(a, b);
}
/* Cancels a scheduled deferred run; returns 1 if one was cancelled. */
int evbuffer__cancel_deferred(struct evbuffer *buf);

/* ---- hooks for the bufferevents ----------------------------------------- */

/* Takes an extra reference to buf: evbuffer_free() by the owner then
 * leaves it alive until evbuffer__decref(). */
void evbuffer__incref(struct evbuffer *buf);
/* Drops a reference; frees buf when it was the last one. */
void evbuffer__decref(struct evbuffer *buf);
/* Nonzero if the front (at_front) or the back of buf is frozen. */
int evbuffer__is_frozen(const struct evbuffer *buf, int at_front);
/*
 * evbuffer_read() with an explicit limit: one read system call of at most
 * max bytes (SIZE_MAX: the adaptive cap).  Returns bytes read, 0 at end of
 * file, -1 on error (errno kept).  *filled, if given, is set to 1 when the
 * read filled everything it asked for (more data may be waiting), else 0.
 */
int evbuffer__read_max(struct evbuffer *buf, int fd, size_t max, int *filled);

/* Read cap bounds (bytes).  The first read of a buffer asks for
 * EVBUFFER_READ_CAP_START (64 KiB: one read for a 64 KiB message, where
 * 2.1.12 makes 16 reads and 16 FIONREAD ioctls); a read that fills its
 * request doubles the cap, up to EVBUFFER_READ_CAP_MAX, and a read that
 * uses under 1/16 of it halves it again.  Asking for more costs only
 * pointers: unused chains go back to the cache untouched. */
#define EVBUFFER_READ_CAP_START ((size_t)65536)
#define EVBUFFER_READ_CAP_MAX ((size_t)262144)
#define EVBUFFER_READ_MAX_IOV 80

/* Pack and unpack an evbuffer_ptr's cached chain offset with the
 * buffer's ptr_gen, so that a stale cache is recognised. */
#define EVBUFFER_PTR_OFF_BITS 40
#define EVBUFFER_PTR_OFF_MASK ((((size_t)1) << EVBUFFER_PTR_OFF_BITS) - 1)

#endif /* EVBUFFER_INTERNAL_H_INCLUDED_ */
