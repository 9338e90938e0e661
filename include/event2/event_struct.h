/*
 * event_struct.h: the storage of struct event, exposed only so that
 * applications can embed events in their own structures and use
 * event_assign().  Treat every field as private: its size and offsets are
 * part of the ABI (tests/abi pins them), its meaning is the engine's.
 */
#ifndef EVENT2_EVENT_STRUCT_H_INCLUDED_
#define EVENT2_EVENT_STRUCT_H_INCLUDED_

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>
#include <event2/util.h>
#include <event2/keyvalq_struct.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where an event currently is, kept in evcb_flags. */
#define EVLIST_TIMEOUT      0x01 /* on the timer heap or a common-timeout queue */
#define EVLIST_INSERTED     0x02 /* registered for I/O or a signal */
#define EVLIST_SIGNAL       0x04 /* historical; unused */
#define EVLIST_ACTIVE       0x08 /* on an activation queue */
#define EVLIST_INTERNAL     0x10 /* owned by the engine, not counted */
#define EVLIST_ACTIVE_LATER 0x20 /* queued for the next loop iteration */
#define EVLIST_FINALIZING   0x40 /* only its finalizer may still run */
#define EVLIST_INIT         0x80 /* assigned (event_assign/event_new) */
#define EVLIST_ALL          0xff

/*
 * The BSD queue macros, defined here only when <sys/queue.h> has not been
 * included, and undefined again at the end so this header leaks nothing.
 * The memory layout is the same either way.
 */
#ifndef TAILQ_ENTRY
#define EVENT_LOCAL_TAILQ_ENTRY_
#define TAILQ_ENTRY(type) struct { struct type *tqe_next; struct type **tqe_prev; }
#endif
#ifndef TAILQ_HEAD
#define EVENT_LOCAL_TAILQ_HEAD_
#define TAILQ_HEAD(name, type) struct name { struct type *tqh_first; struct type **tqh_last; }
#endif
#ifndef LIST_ENTRY
#define EVENT_LOCAL_LIST_ENTRY_
#define LIST_ENTRY(type) struct { struct type *le_next; struct type **le_prev; }
#endif
#ifndef LIST_HEAD
#define EVENT_LOCAL_LIST_HEAD_
#define LIST_HEAD(name, type) struct name { struct type *lh_first; }
#endif

struct event;
struct event_base;

/* Anything the loop can run: an event, or an engine-internal callback. */
struct event_callback {
	TAILQ_ENTRY(event_callback) evcb_active_next;
	short evcb_flags;
	ev_uint8_t evcb_pri;     /* 0 runs first */
	ev_uint8_t evcb_closure; /* how the loop calls evcb_cb_union */
	union {
		void (*evcb_callback)(evutil_socket_t, short, void *);
		void (*evcb_selfcb)(struct event_callback *, void *);
		void (*evcb_evfinalize)(struct event *, void *);
		void (*evcb_cbfinalize)(struct event_callback *, void *);
	} evcb_cb_union;
	void *evcb_arg;
};

struct event {
	struct event_callback ev_evcallback;

	/* Position among the timers: heap slot or common-timeout queue link. */
	union {
		TAILQ_ENTRY(event) ev_next_with_common_timeout;
		int min_heap_idx;
	} ev_timeout_pos;
	evutil_socket_t ev_fd;

	struct event_base *ev_base;

	union {
		struct {
			LIST_ENTRY(event) ev_io_next;
			struct timeval ev_timeout; /* relative timeout of EV_PERSIST */
		} ev_io;
		struct {
			LIST_ENTRY(event) ev_signal_next;
			short ev_ncalls;      /* deliveries still to run */
			short *ev_pncalls;    /* lets a callback stop the rest */
		} ev_signal;
	} ev_;

	short ev_events;
	short ev_res;                 /* what fired, passed to the callback */
	struct timeval ev_timeout;    /* absolute expiry */
};

TAILQ_HEAD(event_list, event);
LIST_HEAD(event_dlist, event);

#ifdef EVENT_LOCAL_TAILQ_ENTRY_
#undef TAILQ_ENTRY
#undef EVENT_LOCAL_TAILQ_ENTRY_
#endif
#ifdef EVENT_LOCAL_TAILQ_HEAD_
#undef TAILQ_HEAD
#undef EVENT_LOCAL_TAILQ_HEAD_
#endif
#ifdef EVENT_LOCAL_LIST_ENTRY_
#undef LIST_ENTRY
#undef EVENT_LOCAL_LIST_ENTRY_
#endif
#ifdef EVENT_LOCAL_LIST_HEAD_
#undef LIST_HEAD
#undef EVENT_LOCAL_LIST_HEAD_
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_STRUCT_H_INCLUDED_ */
