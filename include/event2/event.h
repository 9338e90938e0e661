/*
 * event.h: the event loop.
 *
 * An event_base watches file descriptors, signals and timers and runs the
 * callbacks of the events that became ready.  An event is created with
 * event_new() (or event_assign() into caller storage), made pending with
 * event_add(), and made non-pending with event_del() or, for events
 * without EV_PERSIST, by firing.
 */
#ifndef EVENT2_EVENT_H_INCLUDED_
#define EVENT2_EVENT_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>
#include <stdio.h>
#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct event;
struct event_config;

/* ---- debugging ---------------------------------------------------- */

/*
 * Turns on the checks that catch API misuse (adding an event that was
 * never assigned, assigning a pending event, ...) and the engine's
 * internal invariant walks.  Call before creating any event or base.
 */
EVENT2_EXPORT_SYMBOL
void event_enable_debug_mode(void);
/* Forgets a non-pending event in debug mode's registry, for callers that
 * free event storage without event_del(). */
EVENT2_EXPORT_SYMBOL
void event_debug_unassign(struct event *);

/* ---- bases -------------------------------------------------------- */

/* A base with the default configuration; NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct event_base *event_base_new(void);
/* Rebuilds kernel state (backend, signal pipe, notify fd) in a child after
 * fork().  0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int event_reinit(struct event_base *base);
/* event_base_loop(base, 0). */
EVENT2_EXPORT_SYMBOL
int event_base_dispatch(struct event_base *);
/* Name of the backend in use ("epoll", "poll", "select"). */
EVENT2_EXPORT_SYMBOL
const char *event_base_get_method(const struct event_base *);
/* NULL-terminated list of backend names compiled in, preferred first. */
EVENT2_EXPORT_SYMBOL
const char **event_get_supported_methods(void);
/* The base's monotonic clock, uncached.  0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int event_gettime_monotonic(struct event_base *base, struct timeval *tp);

/* Kinds of events counted by event_base_get_num_events/_max_events. */
#define EVENT_BASE_COUNT_ACTIVE 1U
#define EVENT_BASE_COUNT_VIRTUAL 2U
#define EVENT_BASE_COUNT_ADDED 4U

EVENT2_EXPORT_SYMBOL
int event_base_get_num_events(struct event_base *, unsigned int);
/* Highest count seen; clear resets it to the current count. */
EVENT2_EXPORT_SYMBOL
int event_base_get_max_events(struct event_base *, unsigned int, int);

/* ---- configuration ------------------------------------------------ */

EVENT2_EXPORT_SYMBOL
struct event_config *event_config_new(void);
EVENT2_EXPORT_SYMBOL
void event_config_free(struct event_config *cfg);
/* Never use the named backend.  0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int event_config_avoid_method(struct event_config *cfg, const char *method);

enum event_method_feature {
	EV_FEATURE_ET = 0x01,          /* edge-triggered events (EV_ET) */
	EV_FEATURE_O1 = 0x02,          /* O(1) per ready event */
	EV_FEATURE_FDS = 0x04,         /* any fd, not only sockets */
	EV_FEATURE_EARLY_CLOSE = 0x08  /* EV_CLOSED without reading */
};

enum event_base_config_flag {
	EVENT_BASE_FLAG_NOLOCK = 0x01,       /* no lock, even with threads on */
	EVENT_BASE_FLAG_IGNORE_ENV = 0x02,   /* ignore EVENT_NO* variables */
	EVENT_BASE_FLAG_STARTUP_IOCP = 0x04, /* Windows only; ignored */
	EVENT_BASE_FLAG_NO_CACHE_TIME = 0x08,/* read the clock for every use */
	EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST = 0x10, /* batch epoll changes */
	EVENT_BASE_FLAG_PRECISE_TIMER = 0x20 /* finest clock available */
};

EVENT2_EXPORT_SYMBOL
int event_base_get_features(const struct event_base *base);
/* Only backends offering every feature in the mask are acceptable. */
EVENT2_EXPORT_SYMBOL
int event_config_require_features(struct event_config *cfg, int feature);
/* Adds an event_base_config_flag.  0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int event_config_set_flag(struct event_config *cfg, int flag);
/* A hint only; accepted and recorded.  0 on success, -1 if cpus < 0. */
EVENT2_EXPORT_SYMBOL
int event_config_set_num_cpus_hint(struct event_config *cfg, int cpus);
/*
 * Between runs of priority >= min_priority callbacks, look for more urgent
 * events once max_interval has passed or max_callbacks have run.  NULL or
 * -1 disables a limit.
 */
EVENT2_EXPORT_SYMBOL
int event_config_set_max_dispatch_interval(struct event_config *cfg,
    const struct timeval *max_interval, int max_callbacks, int min_priority);
/* NULL if no backend satisfies cfg or on failure. */
EVENT2_EXPORT_SYMBOL
struct event_base *event_base_new_with_config(const struct event_config *);
/* Frees the base; pending events are detached, finalizers run. */
EVENT2_EXPORT_SYMBOL
void event_base_free(struct event_base *);
/* Like event_base_free, without running pending finalizers. */
EVENT2_EXPORT_SYMBOL
void event_base_free_nofinalize(struct event_base *);

/* ---- logging ------------------------------------------------------ */

#define EVENT_LOG_DEBUG 0
#define EVENT_LOG_MSG 1
#define EVENT_LOG_WARN 2
#define EVENT_LOG_ERR 3
#define _EVENT_LOG_DEBUG EVENT_LOG_DEBUG
#define _EVENT_LOG_MSG EVENT_LOG_MSG
#define _EVENT_LOG_WARN EVENT_LOG_WARN
#define _EVENT_LOG_ERR EVENT_LOG_ERR

typedef void (*event_log_cb)(int severity, const char *msg);
/* Sends engine messages to cb instead of stderr; NULL restores stderr. */
EVENT2_EXPORT_SYMBOL
void event_set_log_callback(event_log_cb cb);

typedef void (*event_fatal_cb)(int err);
/* Called on an unrecoverable internal error instead of exit(). */
EVENT2_EXPORT_SYMBOL
void event_set_fatal_callback(event_fatal_cb cb);

#define EVENT_DBG_ALL 0xffffffffu
#define EVENT_DBG_NONE 0
/* Turns debug-level log messages on (EVENT_DBG_ALL) or off. */
EVENT2_EXPORT_SYMBOL
void event_enable_debug_logging(ev_uint32_t which);

/* Moves an event that is not pending to another base. 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_set(struct event_base *, struct event *);

/* ---- running the loop --------------------------------------------- */

#define EVLOOP_ONCE 0x01              /* wait once, run what is ready */
#define EVLOOP_NONBLOCK 0x02          /* do not wait at all */
#define EVLOOP_NO_EXIT_ON_EMPTY 0x04  /* keep running with no events */

/*
 * Runs the loop.  0 when it stopped normally (exit, break, or the flags
 * said so), 1 when no event was pending or active, -1 on a backend error.
 */
EVENT2_EXPORT_SYMBOL
int event_base_loop(struct event_base *, int);
/* Stops the loop after tv (NULL: after the current round of callbacks). */
EVENT2_EXPORT_SYMBOL
int event_base_loopexit(struct event_base *, const struct timeval *);
/* Stops the loop after the running callback.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_loopbreak(struct event_base *);
/* Makes the loop poll again after the running callback.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_loopcontinue(struct event_base *);
EVENT2_EXPORT_SYMBOL
int event_base_got_exit(struct event_base *);
EVENT2_EXPORT_SYMBOL
int event_base_got_break(struct event_base *);

/* ---- events ------------------------------------------------------- */

#define EV_TIMEOUT 0x01
#define EV_READ 0x02
#define EV_WRITE 0x04
#define EV_SIGNAL 0x08
#define EV_PERSIST 0x10  /* stays pending after it fires */
#define EV_ET 0x20       /* edge-triggered */
#define EV_FINALIZE 0x40 /* event_del never waits for its callback */
#define EV_CLOSED 0x80   /* peer closed (EV_FEATURE_EARLY_CLOSE) */

#define evtimer_assign(ev, b, cb, arg) event_assign((ev), (b), -1, 0, (cb), (arg))
#define evtimer_new(b, cb, arg) event_new((b), -1, 0, (cb), (arg))
#define evtimer_add(ev, tv) event_add((ev), (tv))
#define evtimer_del(ev) event_del(ev)
#define evtimer_pending(ev, tv) event_pending((ev), EV_TIMEOUT, (tv))
#define evtimer_initialized(ev) event_initialized(ev)

#define evsignal_add(ev, tv) event_add((ev), (tv))
#define evsignal_assign(ev, b, x, cb, arg) \
	event_assign((ev), (b), (x), EV_SIGNAL | EV_PERSIST, cb, (arg))
#define evsignal_new(b, x, cb, arg) \
	event_new((b), (x), EV_SIGNAL | EV_PERSIST, (cb), (arg))
#define evsignal_del(ev) event_del(ev)
#define evsignal_pending(ev, tv) event_pending((ev), EV_SIGNAL, (tv))
#define evsignal_initialized(ev) event_initialized(ev)

#define evuser_new(b, cb, arg) event_new((b), -1, 0, (cb), (arg))
#define evuser_del(ev) event_del(ev)
#define evuser_pending(ev, tv) event_pending((ev), 0, (tv))
#define evuser_initialized(ev) event_initialized(ev)
#define evuser_trigger(ev) event_active((ev), 0, 0)

typedef void (*event_callback_fn)(evutil_socket_t, short, void *);

/* A placeholder argument that event_new/event_assign replace with the
 * event itself. */
EVENT2_EXPORT_SYMBOL
void *event_self_cbarg(void);

/* Allocates and assigns an event; NULL on failure or bad arguments. */
EVENT2_EXPORT_SYMBOL
struct event *event_new(struct event_base *, evutil_socket_t, short,
    event_callback_fn, void *);
/* Prepares caller storage as an event.  0, or -1 on bad arguments. */
EVENT2_EXPORT_SYMBOL
int event_assign(struct event *, struct event_base *, evutil_socket_t, short,
    event_callback_fn, void *);
/* Deletes and frees an event from event_new(). */
EVENT2_EXPORT_SYMBOL
void event_free(struct event *);

typedef void (*event_finalize_callback_fn)(struct event *, void *);
/*
 * Deletes ev without waiting and runs cb from the loop once no callback of
 * ev can still be running; _free_ also frees ev afterwards.  0 or -1.
 */
EVENT2_EXPORT_SYMBOL
int event_finalize(unsigned, struct event *, event_finalize_callback_fn);
EVENT2_EXPORT_SYMBOL
int event_free_finalize(unsigned, struct event *, event_finalize_callback_fn);

/* Runs cb once when fd/events/timeout fire; no EV_SIGNAL or EV_PERSIST. */
EVENT2_EXPORT_SYMBOL
int event_base_once(struct event_base *, evutil_socket_t, short,
    event_callback_fn, void *, const struct timeval *);

/* Makes ev pending, with an optional timeout (replacing any previous). */
EVENT2_EXPORT_SYMBOL
int event_add(struct event *ev, const struct timeval *timeout);
/* Drops the timeout of a pending event, keeping its I/O interest. */
EVENT2_EXPORT_SYMBOL
int event_remove_timer(struct event *ev);
/* Makes ev non-pending and non-active.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_del(struct event *);
/* event_del that never waits for a callback running in another thread. */
EVENT2_EXPORT_SYMBOL
int event_del_noblock(struct event *ev);
/* event_del that waits even for EV_FINALIZE events. */
EVENT2_EXPORT_SYMBOL
int event_del_block(struct event *ev);

/* Makes ev active with result res, as if it had fired. */
EVENT2_EXPORT_SYMBOL
void event_active(struct event *ev, int res, short ncalls);

/* Which of events ev is pending or active for; fills *tv with the expiry
 * (wall clock) when EV_TIMEOUT is asked and set. */
EVENT2_EXPORT_SYMBOL
int event_pending(const struct event *ev, short events, struct timeval *tv);

EVENT2_EXPORT_SYMBOL
struct event *event_base_get_running_event(struct event_base *base);

/* Nonzero once ev was assigned; storage must be zeroed beforehand. */
EVENT2_EXPORT_SYMBOL
int event_initialized(const struct event *ev);

#define event_get_signal(ev) ((int)event_get_fd(ev))

EVENT2_EXPORT_SYMBOL
evutil_socket_t event_get_fd(const struct event *ev);
EVENT2_EXPORT_SYMBOL
struct event_base *event_get_base(const struct event *ev);
EVENT2_EXPORT_SYMBOL
short event_get_events(const struct event *ev);
EVENT2_EXPORT_SYMBOL
event_callback_fn event_get_callback(const struct event *ev);
EVENT2_EXPORT_SYMBOL
void *event_get_callback_arg(const struct event *ev);
EVENT2_EXPORT_SYMBOL
int event_get_priority(const struct event *ev);
/* Every argument event_assign got; any out-pointer may be NULL. */
EVENT2_EXPORT_SYMBOL
void event_get_assignment(const struct event *event,
    struct event_base **base_out, evutil_socket_t *fd_out, short *events_out,
    event_callback_fn *callback_out, void **arg_out);
/* sizeof(struct event) of the running library. */
EVENT2_EXPORT_SYMBOL
size_t event_get_struct_event_size(void);

/* "2.1.12-stable" (a 2.1 engine), and its number 0x02010c00. */
EVENT2_EXPORT_SYMBOL
const char *event_get_version(void);
EVENT2_EXPORT_SYMBOL
ev_uint32_t event_get_version_number(void);

#define LIBEVENT_VERSION EVENT__VERSION
#define LIBEVENT_VERSION_NUMBER EVENT__NUMERIC_VERSION

/* ---- priorities --------------------------------------------------- */

#define EVENT_MAX_PRIORITIES 256
/* Sets the number of priorities (1..256) before any event is active.
 * New events get the middle one, npriorities / 2.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_priority_init(struct event_base *, int);
EVENT2_EXPORT_SYMBOL
int event_base_get_npriorities(struct event_base *eb);
/* 0 or -1 if pri is out of range or ev is active. */
EVENT2_EXPORT_SYMBOL
int event_priority_set(struct event *, int);

/*
 * Returns a magic timeval that, used as the timeout of many events with
 * the same duration, keeps them on one O(1) queue instead of the heap.
 */
EVENT2_EXPORT_SYMBOL
const struct timeval *event_base_init_common_timeout(struct event_base *base,
    const struct timeval *duration);

/* Replaces malloc/realloc/free for every engine allocation.  Call before
 * anything else; NULL arguments restore the libc functions. */
EVENT2_EXPORT_SYMBOL
void event_set_mem_functions(void *(*malloc_fn)(size_t sz),
    void *(*realloc_fn)(void *ptr, size_t sz), void (*free_fn)(void *ptr));
#define EVENT_SET_MEM_FUNCTIONS_IMPLEMENTED

/* Writes every added and active event of the base to output. */
EVENT2_EXPORT_SYMBOL
void event_base_dump_events(struct event_base *, FILE *);

/* Activates every event on fd waiting for any of events. */
EVENT2_EXPORT_SYMBOL
void event_base_active_by_fd(struct event_base *base, evutil_socket_t fd, short events);
/* Activates every event on signal sig, as if it had been delivered. */
EVENT2_EXPORT_SYMBOL
void event_base_active_by_signal(struct event_base *base, int sig);

typedef int (*event_base_foreach_event_cb)(const struct event_base *,
    const struct event *, void *);
/* Calls fn for every added or active event until fn returns nonzero;
 * returns that value, 0, or -1 on bad arguments.  fn must not modify. */
EVENT2_EXPORT_SYMBOL
int event_base_foreach_event(struct event_base *base,
    event_base_foreach_event_cb fn, void *arg);

/* Wall-clock time as of the current loop iteration (cached).  0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_gettimeofday_cached(struct event_base *base, struct timeval *tv);
/* Refreshes the cached time now.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_update_cache_time(struct event_base *base);

/* Frees global state (debug map, locks).  Only at the very end. */
EVENT2_EXPORT_SYMBOL
void libevent_global_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_H_INCLUDED_ */
