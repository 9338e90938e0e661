/*
 * buffer.h: the evbuffer, a byte queue for network I/O.
 *
 * An evbuffer holds bytes in a list of chains.  Bytes are appended at the
 * back (add, reserve/commit, read from a fd) and consumed at the front
 * (remove, drain, write to a fd).  Whole chains move between buffers
 * without copying, memory can be referenced instead of copied, and file
 * ranges can be queued for sendfile.  Because the bytes may be spread over
 * several chains, read them with peek/copyout, or make a prefix contiguous
 * with pullup.
 *
 * Positions (struct evbuffer_ptr) are valid only until the buffer changes.
 */
#ifndef EVENT2_BUFFER_H_INCLUDED_
#define EVENT2_BUFFER_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <event2/util.h>

struct evbuffer;
struct event_base;

/*
 * A position inside a buffer, from 0 up to and including its length.
 * pos is the offset from the front; internal_ caches where that offset
 * lies so that consecutive searches do not walk from the front again.
 * Fill it only with evbuffer_ptr_set() or the search functions.
 */
struct evbuffer_ptr {
	ev_ssize_t pos;
	struct {
		void *chain;
		size_t pos_in_chain;
	} internal_;
};

/* An extent of memory (base, length).  It is the system's struct iovec,
 * so arrays of it can be handed to readv/writev directly. */
#define evbuffer_iovec iovec
#define EVBUFFER_IOVEC_IS_NATIVE_

/* ---- life cycle and locking ------------------------------------------ */

/* A new, empty buffer; NULL when out of memory. */
EVENT2_EXPORT_SYMBOL
struct evbuffer *evbuffer_new(void);
/* Frees buf, its chains, and releases every reference it held (cleanup
 * callbacks of referenced memory and file segments run here). */
EVENT2_EXPORT_SYMBOL
void evbuffer_free(struct evbuffer *buf);

/* Makes buf safe to share between threads, using lock (a recursive lock
 * from the installed lock callbacks) or, when lock is NULL, a new lock of
 * its own.  Callbacks run with the lock held.  0 on success, -1 on
 * failure (e.g. threading was never enabled and lock is NULL). */
EVENT2_EXPORT_SYMBOL
int evbuffer_enable_locking(struct evbuffer *buf, void *lock);
/* Take and release buf's lock; no effect when locking is not enabled. */
EVENT2_EXPORT_SYMBOL
void evbuffer_lock(struct evbuffer *buf);
EVENT2_EXPORT_SYMBOL
void evbuffer_unlock(struct evbuffer *buf);

/* Buffer flag: bytes leave this buffer only towards a fd (write), by
 * drain, or by moving whole buffers; never by peek/remove/pullup.  It
 * allows file segments to be sent with sendfile. */
#define EVBUFFER_FLAG_DRAINS_TO_FD 1

/* Sets / clears EVBUFFER_FLAG_* bits on buf.  0 on success, -1 on error. */
EVENT2_EXPORT_SYMBOL
int evbuffer_set_flags(struct evbuffer *buf, ev_uint64_t flags);
EVENT2_EXPORT_SYMBOL
int evbuffer_clear_flags(struct evbuffer *buf, ev_uint64_t flags);

/* ---- size and space --------------------------------------------------- */

/* Bytes stored in buf (constant time). */
EVENT2_EXPORT_SYMBOL
size_t evbuffer_get_length(const struct evbuffer *buf);
/* Bytes readable at the front without crossing a chain edge; 0 when empty. */
EVENT2_EXPORT_SYMBOL
size_t evbuffer_get_contiguous_space(const struct evbuffer *buf);
/* Ensures datlen more bytes can be appended without another allocation.
 * 0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int evbuffer_expand(struct evbuffer *buf, size_t datlen);

/*
 * Offers at least size writable bytes at the end of buf as up to n_vec
 * extents in vec (n_vec >= 1; with 1 the space is one extent).  The bytes
 * are not part of the buffer until evbuffer_commit_space().  Reserving
 * again before committing offers the same space.  Returns the number of
 * extents filled, or -1 on error.  Nothing that reorganises the buffer
 * may happen between reserve and commit.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_reserve_space(struct evbuffer *buf, ev_ssize_t size,
    struct evbuffer_iovec *vec, int n_vec);
/*
 * Appends the bytes written into extents previously returned by
 * evbuffer_reserve_space(); shorten iov_len to commit less.  Fails (-1,
 * buffer unchanged) if the extents are not the reserved ones or the
 * buffer's end changed since the reservation.  0 on success.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_commit_space(struct evbuffer *buf,
    struct evbuffer_iovec *vec, int n_vecs);

/* ---- adding and removing bytes ---------------------------------------- */

/* Copies datlen bytes of data to the end of buf.  0 on success, -1 on
 * failure. */
EVENT2_EXPORT_SYMBOL
int evbuffer_add(struct evbuffer *buf, const void *data, size_t datlen);
/* Copies up to datlen bytes from the front of buf to data and drains
 * them.  Returns the count moved (less when buf is shorter), -1 on error. */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove(struct evbuffer *buf, void *data, size_t datlen);
/* Like evbuffer_remove() but leaves buf unchanged. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t evbuffer_copyout(struct evbuffer *buf, void *data_out, size_t datlen);
/* Like evbuffer_copyout(), starting at pos instead of the front. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t evbuffer_copyout_from(struct evbuffer *buf,
    const struct evbuffer_ptr *pos, void *data_out, size_t datlen);
/* Moves up to datlen bytes from the front of src to the end of dst,
 * moving whole chains instead of copying where it can.  Returns the count
 * moved, -1 on error. */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_buffer(struct evbuffer *src, struct evbuffer *dst,
    size_t datlen);

/* Line endings understood by evbuffer_readln() and evbuffer_search_eol(). */
enum evbuffer_eol_style {
	/* Any non-empty run of CR and LF bytes.  A CR and an LF that arrive in
	 * separate reads may count as two line ends. */
	EVBUFFER_EOL_ANY,
	/* LF, with an optional CR just before it. */
	EVBUFFER_EOL_CRLF,
	/* Exactly CR LF. */
	EVBUFFER_EOL_CRLF_STRICT,
	/* LF alone. */
	EVBUFFER_EOL_LF,
	/* A zero byte. */
	EVBUFFER_EOL_NUL
};

/*
 * Removes the first line (ended as eol_style says) from buffer and returns
 * it without its line end, NUL-terminated, in memory the caller frees
 * with free() (or the function installed by event_set_mem_functions).
 * *n_read_out, if given, gets the length (the line may contain NULs).
 * NULL when no complete line is buffered or on error.
 */
EVENT2_EXPORT_SYMBOL
char *evbuffer_readln(struct evbuffer *buffer, size_t *n_read_out,
    enum evbuffer_eol_style eol_style);

/* Moves all of inbuf to the end of outbuf (inbuf ends empty), relinking
 * chains rather than copying.  0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_buffer(struct evbuffer *outbuf, struct evbuffer *inbuf);
/* Appends the contents of inbuf to outbuf without copying and without
 * changing inbuf: outbuf shares inbuf's memory until it drains it.
 * Refused (-1) when inbuf itself holds references of this kind or file
 * segments.  0 on success. */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_buffer_reference(struct evbuffer *outbuf,
    struct evbuffer *inbuf);

/* Called once, when a buffer no longer uses memory it referenced. */
typedef void (*evbuffer_ref_cleanup_cb)(const void *data,
    size_t datalen, void *extra);

/*
 * Appends datlen bytes at data to outbuf without copying them.  The
 * memory must stay valid and unchanged until cleanupfn (if not NULL) is
 * called with (data, datlen, cleanupfn_arg), which happens exactly once:
 * when the bytes are drained or the buffer is freed.  0 on success, -1 on
 * failure (cleanupfn is then not called).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_reference(struct evbuffer *outbuf,
    const void *data, size_t datlen,
    evbuffer_ref_cleanup_cb cleanupfn, void *cleanupfn_arg);

/*
 * Queues length bytes of fd starting at offset (length -1: up to the end
 * of the file, found with fstat).  The buffer takes ownership of fd and
 * closes it when done.  With EVBUFFER_FLAG_DRAINS_TO_FD the bytes may be
 * sent with sendfile and must then not be read back with remove/pullup.
 * 0 on success, -1 on failure (fd is then not closed).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_file(struct evbuffer *outbuf, int fd, ev_off_t offset,
    ev_off_t length);

/* ---- file segments ----------------------------------------------------- */

/* A reference-counted range of a file that can be added, whole or in
 * parts, to any number of buffers. */
struct evbuffer_file_segment;

/* Close the fd when the last reference to the segment goes away. */
#define EVBUF_FS_CLOSE_ON_FREE    0x01
/* Never map the file into memory. */
#define EVBUF_FS_DISABLE_MMAP     0x02
/* Never send it fd-to-fd (sendfile); set this if the bytes will be read
 * back from the buffer rather than only written to a socket. */
#define EVBUF_FS_DISABLE_SENDFILE 0x04
/* The segment gets no lock: single-threaded use only. */
#define EVBUF_FS_DISABLE_LOCKING  0x08

/* Called once, when the last reference to a segment is released. */
typedef void (*evbuffer_file_segment_cleanup_cb)(
    struct evbuffer_file_segment const *seg, int flags, void *arg);

/*
 * A segment for length bytes of fd from offset (length -1: to the end of
 * the file), with EVBUF_FS_* flags.  fd must stay open while the segment
 * is in use.  Unless EVBUF_FS_DISABLE_SENDFILE is given, bytes of the
 * segment should only be written to a fd, not read back.  NULL on failure.
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer_file_segment *evbuffer_file_segment_new(
	int fd, ev_off_t offset, ev_off_t length, unsigned flags);
/* Drops the caller's reference; the segment lives on while buffers use it. */
EVENT2_EXPORT_SYMBOL
void evbuffer_file_segment_free(struct evbuffer_file_segment *seg);
/* Sets the function run when the segment's last reference goes away. */
EVENT2_EXPORT_SYMBOL
void evbuffer_file_segment_add_cleanup_cb(struct evbuffer_file_segment *seg,
	evbuffer_file_segment_cleanup_cb cb, void *arg);
/*
 * Appends bytes [offset, offset + length) of seg (offsets relative to the
 * segment, not the file; length -1: to the end of the segment) to buf.
 * 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_file_segment(struct evbuffer *buf,
    struct evbuffer_file_segment *seg, ev_off_t offset, ev_off_t length);

/* ---- formatted output and draining ------------------------------------ */

/* Appends printf-style output.  Returns the bytes added, -1 on error. */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 3)))
#endif
	;
EVENT2_EXPORT_SYMBOL
int evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 0)))
#endif
	;

/* Discards len bytes from the front of buf (all of them if len is larger
 * than the buffer).  0 on success, -1 on failure (e.g. front frozen). */
EVENT2_EXPORT_SYMBOL
int evbuffer_drain(struct evbuffer *buf, size_t len);

/* ---- file descriptor I/O ----------------------------------------------- */

/* evbuffer_write_atmost(buffer, fd, -1). */
EVENT2_EXPORT_SYMBOL
int evbuffer_write(struct evbuffer *buffer, evutil_socket_t fd);
/* Writes up to howmuch bytes (-1: all) from the front of buffer to fd and
 * drains what the kernel took.  Returns that count, or -1 on error (errno
 * set; EAGAIN means try later). */
EVENT2_EXPORT_SYMBOL
int evbuffer_write_atmost(struct evbuffer *buffer, evutil_socket_t fd,
    ev_ssize_t howmuch);
/* Reads up to howmuch bytes (negative, or too large: as many as one read
 * takes) from fd into buffer, in one system call.  Returns the count
 * read, 0 at end of file, -1 on error (errno set). */
EVENT2_EXPORT_SYMBOL
int evbuffer_read(struct evbuffer *buffer, evutil_socket_t fd, int howmuch);

/* ---- searching ---------------------------------------------------------- */

/* First occurrence of what[0..len) at or after start (NULL: the front).
 * The result's pos is -1 when there is none. */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search(struct evbuffer *buffer, const char *what,
    size_t len, const struct evbuffer_ptr *start);
/* As evbuffer_search(), but the match must end at or before end (NULL:
 * the end of the buffer). */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search_range(struct evbuffer *buffer,
    const char *what, size_t len, const struct evbuffer_ptr *start,
    const struct evbuffer_ptr *end);

/* How evbuffer_ptr_set() moves a position. */
enum evbuffer_ptr_how {
	/* To an absolute offset (the pointer may be uninitialised). */
	EVBUFFER_PTR_SET,
	/* Forward by an amount from where it is. */
	EVBUFFER_PTR_ADD
};

/* Sets or advances *ptr.  Positions from 0 to the buffer length (one past
 * the last byte) are valid.  0 on success; -1 when the result would be out
 * of range (*ptr's pos is then -1). */
EVENT2_EXPORT_SYMBOL
int evbuffer_ptr_set(struct evbuffer *buffer, struct evbuffer_ptr *ptr,
    size_t position, enum evbuffer_ptr_how how);

/* First line end of eol_style at or after start (NULL: the front).  The
 * length of the line end goes to *eol_len_out when given.  pos is -1 when
 * none is found. */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search_eol(struct evbuffer *buffer,
    struct evbuffer_ptr *start, size_t *eol_len_out,
    enum evbuffer_eol_style eol_style);

/*
 * Points vec_out[0..n_vec) at the stored bytes from start_at (NULL: the
 * front), covering len bytes (negative: as many as vec_out holds) without
 * copying.  The last extent may reach beyond len.  Returns how many
 * extents the request needs, which can exceed n_vec; with n_vec 0 it only
 * counts.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_peek(struct evbuffer *buffer, ev_ssize_t len,
    struct evbuffer_ptr *start_at,
    struct evbuffer_iovec *vec_out, int n_vec);

/* ---- callbacks ---------------------------------------------------------- */

/* What changed since a callback last ran. */
struct evbuffer_cb_info {
	/* Length of the buffer when callbacks last ran. */
	size_t orig_size;
	/* Bytes added since then. */
	size_t n_added;
	/* Bytes removed since then. */
	size_t n_deleted;
};

/* Runs after the buffer's length changed (immediately, or from the event
 * loop with evbuffer_defer_callbacks).  It may add or remove data and add
 * callbacks, or remove itself, but not remove other callbacks. */
typedef void (*evbuffer_cb_func)(struct evbuffer *buffer,
    const struct evbuffer_cb_info *info, void *arg);

struct evbuffer_cb_entry;
/* Registers cb(buffer, info, cbarg); returns a handle, NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evbuffer_cb_entry *evbuffer_add_cb(struct evbuffer *buffer,
    evbuffer_cb_func cb, void *cbarg);
/* Unregisters the callback behind ent (which becomes invalid).  0 on
 * success, -1 if ent is not registered on buffer. */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_cb_entry(struct evbuffer *buffer,
    struct evbuffer_cb_entry *ent);
/* Unregisters the callback added with (cb, cbarg).  0, or -1 if none. */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_cb(struct evbuffer *buffer, evbuffer_cb_func cb,
    void *cbarg);

/* Callback flag: the callback runs only while this is set (the default). */
#define EVBUFFER_CB_ENABLED 1

/* Sets / clears EVBUFFER_CB_* flags of a callback.  0, or -1 on error. */
EVENT2_EXPORT_SYMBOL
int evbuffer_cb_set_flags(struct evbuffer *buffer,
    struct evbuffer_cb_entry *cb, ev_uint32_t flags);
EVENT2_EXPORT_SYMBOL
int evbuffer_cb_clear_flags(struct evbuffer *buffer,
    struct evbuffer_cb_entry *cb, ev_uint32_t flags);

/* ---- contiguity, prepending, freezing ------------------------------------ */

/* Makes the first size bytes (-1: all) contiguous and returns a pointer
 * to them; NULL if the buffer holds fewer than size bytes, or when there
 * is nothing to return (size 0, or an empty buffer). */
EVENT2_EXPORT_SYMBOL
unsigned char *evbuffer_pullup(struct evbuffer *buf, ev_ssize_t size);

/* Copies size bytes of data to the front of buf.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int evbuffer_prepend(struct evbuffer *buf, const void *data, size_t size);
/* Moves all of src to the front of dst (src ends empty).  0 or -1. */
EVENT2_EXPORT_SYMBOL
int evbuffer_prepend_buffer(struct evbuffer *dst, struct evbuffer *src);

/*
 * Freezes one end of buf: at_front nonzero freezes the front (drain,
 * remove, prepend and writes to a fd then fail), zero the back (add,
 * reserve/commit, reads from a fd then fail).  0 on success, -1 on error.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_freeze(struct evbuffer *buf, int at_front);
/* Thaws the end that evbuffer_freeze() froze.  0 on success. */
EVENT2_EXPORT_SYMBOL
int evbuffer_unfreeze(struct evbuffer *buf, int at_front);

/* From now on buffer's callbacks run from base's event loop instead of
 * inside the call that changed the buffer.  0 on success, -1 on error. */
EVENT2_EXPORT_SYMBOL
int evbuffer_defer_callbacks(struct evbuffer *buffer, struct event_base *base);

/* Appends the n_vec extents of vec, in order, reserving room for all of
 * them at once.  Returns the number of bytes appended. */
EVENT2_EXPORT_SYMBOL
size_t evbuffer_add_iovec(struct evbuffer *buffer, struct evbuffer_iovec *vec,
    int n_vec);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFER_H_INCLUDED_ */
