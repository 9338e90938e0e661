/*
 * bufferevent.h: buffered I/O on top of the event loop.
 *
 * A bufferevent owns two evbuffers.  The engine fills the input buffer
 * from its transport and empties the output buffer into it; the
 * application reads from the one, writes to the other, and hears about
 * progress through three callbacks (read, write, event).  Transports:
 * a socket (bufferevent_socket_new), the other half of an in-process pair
 * (bufferevent_pair_new), or another bufferevent seen through two data
 * transforms (bufferevent_filter_new).
 *
 * Watermarks shape the callbacks: the read callback runs once the input
 * holds at least the read low watermark, reading stops while the input
 * holds the read high watermark or more (0 means unlimited), and the
 * write callback runs once the output has drained to the write low
 * watermark.
 */
#ifndef EVENT2_BUFFEREVENT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>
#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- what the event callback is told -------------------------------- */
/* Which direction the event concerns (combined with one of the others). */
#define BEV_EVENT_READING   0x01
#define BEV_EVENT_WRITING   0x02
#define BEV_EVENT_EOF       0x10 /* the peer closed its side */
#define BEV_EVENT_ERROR     0x20 /* errno (EVUTIL_SOCKET_ERROR) says why */
#define BEV_EVENT_TIMEOUT   0x40 /* a read or write timeout expired */
#define BEV_EVENT_CONNECTED 0x80 /* a connect attempt completed */

struct bufferevent;
struct event_base;
struct evbuffer;
struct sockaddr;
struct evdns_base;

/* Read or write callback: ctx is the cbarg given to bufferevent_setcb. */
typedef void (*bufferevent_data_cb)(struct bufferevent *bev, void *ctx);
/* Event callback: what is a set of BEV_EVENT_* flags.  With deferred
 * callbacks it is the union of everything that happened since the
 * previous call. */
typedef void (*bufferevent_event_cb)(struct bufferevent *bev, short what, void *ctx);

/* Creation options. */
enum bufferevent_options {
	BEV_OPT_CLOSE_ON_FREE = (1 << 0),   /* freeing closes the transport */
	BEV_OPT_THREADSAFE = (1 << 1),      /* lock it (when threading is on) */
	BEV_OPT_DEFER_CALLBACKS = (1 << 2), /* run callbacks from the loop */
	/* Call the callbacks without holding the lock (needs DEFER_CALLBACKS). */
	BEV_OPT_UNLOCK_CALLBACKS = (1 << 3)
};

/* ---- socket bufferevents -------------------------------------------- */

/* A bufferevent over socket fd (or over no socket yet, fd -1: give it one
 * later with bufferevent_setfd or bufferevent_socket_connect).  Writing is
 * enabled, reading is not.  NULL on error. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_socket_new(struct event_base *base, evutil_socket_t fd, int options);

/* Starts connecting to addr.  Without a socket, a nonblocking one is
 * created; with addr NULL the socket is assumed to be connecting already.
 * Completion is reported with BEV_EVENT_CONNECTED, failure with
 * BEV_EVENT_ERROR.  0 if the attempt is under way, -1 on error. */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_connect(struct bufferevent *, const struct sockaddr *, int);

/* Resolves hostname (a name, an IPv4 or IPv6 literal, or [IPv6]) for
 * family (AF_INET, AF_INET6 or AF_UNSPEC) and connects to port.  Without
 * an evdns_base the lookup blocks.  A failed lookup is reported with
 * BEV_EVENT_ERROR and bufferevent_socket_get_dns_error.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_connect_hostname(struct bufferevent *,
    struct evdns_base *, int, const char *, int);

/* The EVUTIL_EAI_* code of the last failed lookup, 0 if none failed. */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_get_dns_error(struct bufferevent *bev);

/* Moves a socket bufferevent to base (before it is enabled).  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_base_set(struct event_base *base, struct bufferevent *bufev);

EVENT2_EXPORT_SYMBOL
struct event_base *bufferevent_get_base(struct bufferevent *bev);

/* Priority of the events of a socket bufferevent.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_priority_set(struct bufferevent *bufev, int pri);
EVENT2_EXPORT_SYMBOL
int bufferevent_get_priority(const struct bufferevent *bufev);

/* Releases bev.  Pending output is not guaranteed to be written.  Safe
 * from inside bev's own callbacks: the memory goes when the last
 * callback returns. */
EVENT2_EXPORT_SYMBOL
void bufferevent_free(struct bufferevent *bufev);

/* ---- callbacks -------------------------------------------------------- */

/* Replaces all three callbacks and their argument (NULL: no callback). */
EVENT2_EXPORT_SYMBOL
void bufferevent_setcb(struct bufferevent *bufev,
    bufferevent_data_cb readcb, bufferevent_data_cb writecb,
    bufferevent_event_cb eventcb, void *cbarg);

/* Stores each current callback through the pointers that are not NULL. */
EVENT2_EXPORT_SYMBOL
void bufferevent_getcb(struct bufferevent *bufev,
    bufferevent_data_cb *readcb_ptr,
    bufferevent_data_cb *writecb_ptr,
    bufferevent_event_cb *eventcb_ptr,
    void **cbarg_ptr);

/* ---- the transport ------------------------------------------------------ */

/* Replaces the descriptor (not every type has one).  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_setfd(struct bufferevent *bufev, evutil_socket_t fd);

/* The descriptor, or -1. */
EVENT2_EXPORT_SYMBOL
evutil_socket_t bufferevent_getfd(struct bufferevent *bufev);

/* The wrapped bufferevent of a filter, or NULL. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_get_underlying(struct bufferevent *bufev);

/* ---- data --------------------------------------------------------------- */

/* Appends size bytes of data to the output.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_write(struct bufferevent *bufev,
    const void *data, size_t size);

/* Moves all of buf to the output.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_write_buffer(struct bufferevent *bufev, struct evbuffer *buf);

/* Removes up to size bytes from the input into data; returns how many. */
EVENT2_EXPORT_SYMBOL
size_t bufferevent_read(struct bufferevent *bufev, void *data, size_t size);

/* Moves all of the input to buf.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_read_buffer(struct bufferevent *bufev, struct evbuffer *buf);

/* The input buffer: drain it freely, but never set callbacks on it. */
EVENT2_EXPORT_SYMBOL
struct evbuffer *bufferevent_get_input(struct bufferevent *bufev);

/* The output buffer: add to it freely, but never set callbacks on it.
 * Data added directly to a filter's output is only processed after
 * bufferevent_flush or the next write. */
EVENT2_EXPORT_SYMBOL
struct evbuffer *bufferevent_get_output(struct bufferevent *bufev);

/* ---- enabling, timeouts, watermarks --------------------------------------- */

/* Enables EV_READ and/or EV_WRITE; restarts pending timeouts.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_enable(struct bufferevent *bufev, short event);

/* Disables EV_READ and/or EV_WRITE.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_disable(struct bufferevent *bufev, short event);

/* The enabled subset of EV_READ | EV_WRITE. */
EVENT2_EXPORT_SYMBOL
short bufferevent_get_enabled(struct bufferevent *bufev);

/* Sets the read and write timeouts (NULL: none).  A timeout only runs
 * while its direction is enabled and actually waiting for the transport;
 * every successful transfer and every enable restarts it.  On expiry the
 * direction is disabled and the event callback gets BEV_EVENT_TIMEOUT
 * with BEV_EVENT_READING or BEV_EVENT_WRITING.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_timeouts(struct bufferevent *bufev,
    const struct timeval *timeout_read, const struct timeval *timeout_write);

/* Sets the low and high watermarks of EV_READ and/or EV_WRITE
 * (high 0: unlimited).  The input may exceed the read high watermark by
 * what one transfer brings. */
EVENT2_EXPORT_SYMBOL
void bufferevent_setwatermark(struct bufferevent *bufev, short events,
    size_t lowmark, size_t highmark);

/* Reads the watermarks of events, which must be EV_READ or EV_WRITE
 * alone.  0, or -1 for any other events value. */
EVENT2_EXPORT_SYMBOL
int bufferevent_getwatermark(struct bufferevent *bufev, short events,
    size_t *lowmark, size_t *highmark);

/* ---- locking and lifetime ----------------------------------------------- */

/* Take and release the lock of a BEV_OPT_THREADSAFE bufferevent (no-ops
 * otherwise).  The lock is recursive. */
EVENT2_EXPORT_SYMBOL
void bufferevent_lock(struct bufferevent *bufev);
EVENT2_EXPORT_SYMBOL
void bufferevent_unlock(struct bufferevent *bufev);

/* Holds an extra reference to bufev. */
EVENT2_EXPORT_SYMBOL
void bufferevent_incref(struct bufferevent *bufev);

/* Drops a reference; 1 if that released bufev, 0 if it is still held. */
EVENT2_EXPORT_SYMBOL
int bufferevent_decref(struct bufferevent *bufev);

/* How hard bufferevent_flush and filters push data. */
enum bufferevent_flush_mode {
	BEV_NORMAL = 0,  /* as convenient */
	BEV_FLUSH = 1,   /* everything buffered so far */
	BEV_FINISHED = 2 /* everything, and the stream ends here */
};

/* Pushes buffered data through bufev in the iotype directions
 * (EV_READ, EV_WRITE or both).  1 if data moved, 0 if none, -1 on error. */
EVENT2_EXPORT_SYMBOL
int bufferevent_flush(struct bufferevent *bufev,
    short iotype,
    enum bufferevent_flush_mode mode);

/* Options of bufferevent_trigger and bufferevent_trigger_event; disjoint
 * from bufferevent_options except where the meaning is the same. */
enum bufferevent_trigger_options {
	BEV_TRIG_IGNORE_WATERMARKS = (1 << 16), /* call regardless of watermarks */
	BEV_TRIG_DEFER_CALLBACKS = BEV_OPT_DEFER_CALLBACKS /* call from the loop */
};

/* Runs the read and/or write callback (iotype) as if data had moved. */
EVENT2_EXPORT_SYMBOL
void bufferevent_trigger(struct bufferevent *bufev, short iotype,
    int options);

/* Runs the event callback with what. */
EVENT2_EXPORT_SYMBOL
void bufferevent_trigger_event(struct bufferevent *bufev, short what,
    int options);

/* ---- filters ------------------------------------------------------------- */

enum bufferevent_filter_result {
	BEV_OK = 0,        /* produced output */
	BEV_NEED_MORE = 1, /* cannot produce anything until more input comes */
	BEV_ERROR = 2      /* failed; the stream cannot continue */
};

/* A transform: drain src, add to dst, preferably no more than dst_limit
 * bytes (-1: no limit), pushing as hard as mode says. */
typedef enum bufferevent_filter_result (*bufferevent_filter_cb)(
    struct evbuffer *src, struct evbuffer *dst, ev_ssize_t dst_limit,
    enum bufferevent_flush_mode mode, void *ctx);

/* A bufferevent that reads underlying's input through input_filter and
 * writes its own output through output_filter into underlying (a NULL
 * filter copies).  free_context(ctx) runs when it is freed.  NULL on
 * error. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *
bufferevent_filter_new(struct bufferevent *underlying,
		       bufferevent_filter_cb input_filter,
		       bufferevent_filter_cb output_filter,
		       int options,
		       void (*free_context)(void *),
		       void *ctx);

/* ---- pairs ---------------------------------------------------------------- */

/* Two bufferevents joined like the two ends of a socketpair, without the
 * sockets.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_pair_new(struct event_base *base, int options,
    struct bufferevent *pair[2]);

/* The other end of a pair, or NULL once it is freed. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_pair_get_partner(struct bufferevent *bev);

/* ---- rate limiting -------------------------------------------------------- */

/* Token-bucket parameters; opaque. */
struct ev_token_bucket_cfg;
/* Bufferevents sharing one bucket; opaque. */
struct bufferevent_rate_limit_group;

#define EV_RATE_LIMIT_MAX EV_SSIZE_MAX

/* Buckets that refill by *_rate bytes each tick_len (NULL: one second,
 * millisecond resolution) and hold at most *_burst bytes.  NULL if a
 * rate exceeds its burst or EV_RATE_LIMIT_MAX. */
EVENT2_EXPORT_SYMBOL
struct ev_token_bucket_cfg *ev_token_bucket_cfg_new(
	size_t read_rate, size_t read_burst,
	size_t write_rate, size_t write_burst,
	const struct timeval *tick_len);

/* Frees cfg; nothing may still use it. */
EVENT2_EXPORT_SYMBOL
void ev_token_bucket_cfg_free(struct ev_token_bucket_cfg *cfg);

/* Limits bev by cfg (NULL: no per-bufferevent limit).  bev keeps using
 * cfg, which must outlive it.  Socket bufferevents honour it.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_rate_limit(struct bufferevent *bev,
    struct ev_token_bucket_cfg *cfg);

/* A group whose members together stay within cfg (copied); its refill
 * timer runs on base.  NULL on error. */
EVENT2_EXPORT_SYMBOL
struct bufferevent_rate_limit_group *bufferevent_rate_limit_group_new(
	struct event_base *base,
	const struct ev_token_bucket_cfg *cfg);

/* Replaces the group's limits.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_set_cfg(
	struct bufferevent_rate_limit_group *,
	const struct ev_token_bucket_cfg *);

/* The smallest amount one member may transfer at a time (default 64);
 * when the group's share per member is smaller, fewer members get it.
 * 0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_set_min_share(
	struct bufferevent_rate_limit_group *, size_t);

/* Frees a group that has no members left. */
EVENT2_EXPORT_SYMBOL
void bufferevent_rate_limit_group_free(struct bufferevent_rate_limit_group *);

/* Moves bev into g (NULL: out of its group).  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_add_to_rate_limit_group(struct bufferevent *bev,
    struct bufferevent_rate_limit_group *g);

/* Takes bev out of its group, if any.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_remove_from_rate_limit_group(struct bufferevent *bev);

/* Caps on one read or write system call (0: the default).  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_max_single_read(struct bufferevent *bev, size_t size);
EVENT2_EXPORT_SYMBOL
int bufferevent_set_max_single_write(struct bufferevent *bev, size_t size);
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_single_read(struct bufferevent *bev);
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_single_write(struct bufferevent *bev);

/* Bytes left in bev's own buckets (EV_SSIZE_MAX without a limit; may be
 * negative after overdraft).  The group is not consulted. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_read_limit(struct bufferevent *bev);
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_write_limit(struct bufferevent *bev);

/* What the next single read or write may move, all limits considered. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_to_read(struct bufferevent *bev);
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_to_write(struct bufferevent *bev);

/* The configuration set with bufferevent_set_rate_limit, or NULL. */
EVENT2_EXPORT_SYMBOL
const struct ev_token_bucket_cfg *bufferevent_get_token_bucket_cfg(const struct bufferevent * bev);

/* Bytes left in a group's buckets (may be negative). */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_rate_limit_group_get_read_limit(
	struct bufferevent_rate_limit_group *);
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_rate_limit_group_get_write_limit(
	struct bufferevent_rate_limit_group *);

/* Take decr bytes out of bev's own bucket (negative: put them back);
 * reading or writing stops or resumes as the bucket crosses zero.  0, or
 * -1 when bev has no rate limit. */
EVENT2_EXPORT_SYMBOL
int bufferevent_decrement_read_limit(struct bufferevent *bev, ev_ssize_t decr);
EVENT2_EXPORT_SYMBOL
int bufferevent_decrement_write_limit(struct bufferevent *bev, ev_ssize_t decr);

/* The same on a group's buckets.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_decrement_read(
	struct bufferevent_rate_limit_group *, ev_ssize_t);
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_decrement_write(
	struct bufferevent_rate_limit_group *, ev_ssize_t);

/* Bytes the group's members have read and written since creation or the
 * last reset. */
EVENT2_EXPORT_SYMBOL
void bufferevent_rate_limit_group_get_totals(
    struct bufferevent_rate_limit_group *grp,
    ev_uint64_t *total_read_out, ev_uint64_t *total_written_out);
EVENT2_EXPORT_SYMBOL
void
bufferevent_rate_limit_group_reset_totals(
	struct bufferevent_rate_limit_group *grp);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_H_INCLUDED_ */
