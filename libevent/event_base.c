/*
 * event_base.c: creating, configuring, re-initialising and freeing bases,
 * and choosing the backend.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"
#include <event2/event_compat.h>

struct event_base *event_global_current_base_;

/* Preferred first. */
static const struct eventop *const backends[] = { &epollops, &pollops, &selectops, NULL };

/* ---- configuration -------------------------------------------------------- */

struct event_config *
event_config_new(void)
{
	struct event_config *cfg = mm_calloc(1, sizeof(*cfg));
	if (!cfg) {
		event_warn("event_config_new: calloc");
		return NULL;
	}
	TAILQ_INIT(&cfg->entries);
	cfg->max_dispatch_interval.tv_sec = -1;
	cfg->max_dispatch_callbacks = -1;
	cfg->limit_callbacks_after_prio = 1;
	return cfg;
}

void
event_config_free(struct event_config *cfg)
{
	if (!cfg)
		return;
	struct event_config_entry *e;
	while ((e = TAILQ_FIRST(&cfg->entries))) {
		TAILQ_REMOVE(&cfg->entries, e, next);
		mm_free(e->avoid_method);
		mm_free(e);
	}
	mm_free(cfg);
}

int
event_config_avoid_method(struct event_config *cfg, const char *method)
{
	if (!cfg || !method) {
		event_warnx("event_config_avoid_method: NULL argument");
		return -1;
	}
	struct event_config_entry *e = mm_malloc(sizeof(*e));
	if (!e || !(e->avoid_method = mm_strdup(method))) {
		mm_free(e);
		event_warn("event_config_avoid_method: malloc");
		return -1;
	}
	TAILQ_INSERT_TAIL(&cfg->entries, e, next);
	return 0;
}

int
event_config_require_features(struct event_config *cfg, int features)
{
	if (!cfg) {
		event_warnx("event_config_require_features: NULL config");
		return -1;
	}
	cfg->require_features = features;
	return 0;
}

int
event_config_set_flag(struct event_config *cfg, int flag)
{
	if (!cfg) {
		event_warnx("event_config_set_flag: NULL config");
		return -1;
	}
	cfg->flags |= flag;
	return 0;
}

int
event_config_set_num_cpus_hint(struct event_config *cfg, int cpus)
{
	if (!cfg || cpus < 0) {
		event_warnx("event_config_set_num_cpus_hint: bad argument");
		return -1;
	}
	cfg->n_cpus_hint = cpus;
	return 0;
}

int
event_config_set_max_dispatch_interval(struct event_config *cfg,
    const struct timeval *max_interval, int max_callbacks, int min_priority)
{
	if (!cfg) {
		event_warnx("event_config_set_max_dispatch_interval: NULL config");
		return -1;
	}
	if (max_interval)
		cfg->max_dispatch_interval = *max_interval;
	else
		cfg->max_dispatch_interval.tv_sec = -1;
	cfg->max_dispatch_callbacks = max_callbacks >= 0 ? max_callbacks : -1;
	cfg->limit_callbacks_after_prio = min_priority < 0 ? 0 : min_priority;
	return 0;
}

/* ---- choosing a backend ------------------------------------------------- */

static int
avoided(const struct event_config *cfg, const char *name)
{
	if (!cfg)
		return 0;
	const struct event_config_entry *e;
	TAILQ_FOREACH(e, &cfg->entries, next)
		if (e->avoid_method && strcasecmp(e->avoid_method, name) == 0)
			return 1;
	return 0;
}

/* EVENT_NOEPOLL, EVENT_NOPOLL, EVENT_NOSELECT turn a backend off. */
static int
disabled_by_env(const char *name)
{
	char var[64] = "EVENT_NO";
	size_t len = strlen(var);
	for (const char *p = name; *p && len + 1 < sizeof(var); p++)
		var[len++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	var[len] = '\0';
	/* Set at all, even to "", means off (as libevent reads them). */
	return getenv(var) != NULL;
}

static int
env_ignored(const struct event_config *cfg)
{
	return cfg && (cfg->flags & EVENT_BASE_FLAG_IGNORE_ENV);
}

static int
pick_backend(struct event_base *base, const struct event_config *cfg)
{
	for (int i = 0; backends[i]; i++) {
		const struct eventop *op = backends[i];
		if (avoided(cfg, op->name))
			continue;
		if (cfg && (op->features & cfg->require_features) != cfg->require_features)
			continue;
		if (!env_ignored(cfg) && disabled_by_env(op->name))
			continue;
		base->evsel = op;
		base->evbase = op->init(base);
		if (base->evbase)
			return 0;
	}
	base->evsel = NULL;
	return -1;
}

/* ---- creation -------------------------------------------------------------- */

static int
alloc_queues(struct event_base *base, int n)
{
	struct evcallback_list *q = mm_calloc((size_t)n, sizeof(*q));
	if (!q)
		return -1;
	for (int i = 0; i < n; i++)
		TAILQ_INIT(&q[i]);
	mm_free(base->activequeues);
	base->activequeues = q;
	base->nactivequeues = n;
	return 0;
}

static void
apply_config(struct event_base *base, const struct event_config *cfg)
{
	base->max_dispatch_time.tv_sec = -1;
	base->max_dispatch_callbacks = 0x7fffffff;
	base->limit_callbacks_after_prio = 1;
	if (!cfg)
		return;
	base->flags = cfg->flags;
	if (cfg->max_dispatch_interval.tv_sec >= 0)
		base->max_dispatch_time = cfg->max_dispatch_interval;
	if (cfg->max_dispatch_callbacks >= 0)
		base->max_dispatch_callbacks = cfg->max_dispatch_callbacks;
	base->limit_callbacks_after_prio = cfg->limit_callbacks_after_prio;
	base->precise_clock = (cfg->flags & EVENT_BASE_FLAG_PRECISE_TIMER) != 0;
}

static int
setup_threading(struct event_base *base)
{
	if (!EVTHREAD_LOCKING_ENABLED() || (base->flags & EVENT_BASE_FLAG_NOLOCK))
		return 0;
	base->th_base_lock = evthread__lock_new();
	base->current_event_cond = evthread__cond_new();
	if (!base->th_base_lock)
		return -1;
	return event__make_notifiable(base);
}

/* A zeroed base on a 64-byte boundary, so that its hot fields share the
 * two lines the layout puts them in (EXP-037).  User allocators
 * (event_set_mem_functions) promise no alignment: over-allocate. */
static struct event_base *
base_alloc(void)
{
	char *raw = mm_calloc(1, sizeof(struct event_base) + 63);
	if (!raw)
		return NULL;
	struct event_base *base = (struct event_base *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
	base->alloc = raw;
	return base;
}

struct event_base *
event_base_new_with_config(const struct event_config *cfg)
{
	struct event_base *base = base_alloc();
	if (!base) {
		event_warn("event_base_new: calloc");
		return NULL;
	}
	min_heap_ctor_(&base->timeheap);
	evmap__io_initmap(&base->io);
	evmap__signal_initmap(&base->sigmap);
	evsig__init(base);
	TAILQ_INIT(&base->active_later_queue);
	LIST_INIT(&base->once_events);
	base->th_notify_fd = -1;
	base->event_running_priority = -1;
	apply_config(base, cfg);
	struct timeval now;
	event__monotonic_now(1, &now);
	event__gettime(base, &now); /* primes the wall-clock offset */

	if (alloc_queues(base, 1) < 0) {
		event_warn("event_base_new: calloc");
		goto fail;
	}
	if (pick_backend(base, cfg) < 0) {
		event_warnx("event_base_new: no event mechanism available");
		goto fail;
	}
	if (!env_ignored(cfg) && getenv("EVENT_SHOW_METHOD"))
		event_msgx("libevent using: %s", base->evsel->name);
	if (setup_threading(base) < 0) {
		event_warnx("event_base_new: cannot set up locking");
		goto fail;
	}
	base->loop_fast = event__loop_fast_allowed(base);
	return base;
fail:
	event_base_free_nofinalize(base);
	return NULL;
}

struct event_base *
event_base_new(void)
{
	return event_base_new_with_config(NULL);
}

struct event_base *
event_init(void)
{
	struct event_base *base = event_base_new_with_config(NULL);
	if (!base) {
		event_errx(1, "event_init: cannot initialise an event base");
	}
	event_global_current_base_ = base;
	return base;
}

/* ---- freeing ---------------------------------------------------------------- */

/* Runs queued finalizers; returns how many ran. */
static int
run_finalizers(struct event_base *base)
{
	int n = 0;
	for (int i = 0; i < base->nactivequeues; i++) {
		struct event_callback *evcb, *next;
		for (evcb = TAILQ_FIRST(&base->activequeues[i]); evcb; evcb = next) {
			next = TAILQ_NEXT(evcb, evcb_active_next);
			if (evcb->evcb_flags & EVLIST_FINALIZING) {
				event_queue_remove_active(base, evcb);
				evcb->evcb_flags &= ~EVLIST_FINALIZING;
				if (evcb->evcb_closure == EV_CLOSURE_CB_FINALIZE) {
					evcb->evcb_cb_union.evcb_cbfinalize(evcb, evcb->evcb_arg);
				} else {
					struct event *ev = event_callback_to_event(evcb);
					int free_it = evcb->evcb_closure == EV_CLOSURE_EVENT_FINALIZE_FREE;
					ev->ev_evcallback.evcb_cb_union.evcb_evfinalize(ev, ev->ev_arg);
					event_debug__note_teardown(ev);
					if (free_it)
						mm_free(ev);
				}
				n++;
				next = TAILQ_FIRST(&base->activequeues[i]);
			}
		}
	}
	return n;
}

static void
drop_active(struct event_base *base)
{
	for (int i = 0; i < base->nactivequeues; i++) {
		struct event_callback *evcb;
		while ((evcb = TAILQ_FIRST(&base->activequeues[i]))) {
			if (evcb->evcb_flags & EVLIST_INIT)
				event_del_nolock_(event_callback_to_event(evcb),
				    EVENT_DEL_EVEN_IF_FINALIZING);
			else
				event_queue_remove_active(base, evcb);
		}
	}
	struct event_callback *evcb;
	while ((evcb = TAILQ_FIRST(&base->active_later_queue))) {
		if (evcb->evcb_flags & EVLIST_INIT)
			event_del_nolock_(event_callback_to_event(evcb), EVENT_DEL_EVEN_IF_FINALIZING);
		else
			event_queue_remove_active_later(base, evcb);
	}
}

static void
free_base(struct event_base *base, int run_final)
{
	if (!base)
		return;
	if (base == event_global_current_base_)
		event_global_current_base_ = NULL;
	if (run_final && base->activequeues)
		while (run_finalizers(base))
			;
	event__notify_free(base);
	evsig__dealloc(base);
	if (base->evsel)
		evmap__delete_all(base);
	while (base->timeheap.n)
		event_del_nolock_(base->timeheap.p[0], EVENT_DEL_EVEN_IF_FINALIZING);
	event__free_common_timeouts(base);
	if (base->activequeues)
		drop_active(base);
	struct event_once *eo;
	while ((eo = LIST_FIRST(&base->once_events))) {
		LIST_REMOVE(eo, next_once);
		event_debug__note_teardown(&eo->ev);
		mm_free(eo);
	}
	if (base->evsel && base->evbase)
		base->evsel->dealloc(base);
	min_heap_dtor_(&base->timeheap);
	mm_free(base->activequeues);
	evmap__io_clear(&base->io);
	evmap__signal_clear(&base->sigmap);
	mm_free(base->changed_fds);
	evthread__lock_free(base->th_base_lock);
	evthread__cond_free(base->current_event_cond);
	mm_free(base->alloc);
}

static void
free_named(struct event_base *base, int run_final, const char *what)
{
	if (!base)
		base = event_global_current_base_;
	if (!base) {
		event_warnx("%s: NULL base and no current base", what);
		return;
	}
	free_base(base, run_final);
}

void
event_base_free(struct event_base *base)
{
	free_named(base, 1, "event_base_free");
}

void
event_base_free_nofinalize(struct event_base *base)
{
	free_named(base, 0, "event_base_free_nofinalize");
}

/* ---- after fork -------------------------------------------------------------- */

int
event_reinit(struct event_base *base)
{
	if (!base)
		base = event__current_base();
	if (!base) {
		event_warnx("event_reinit: no event base");
		return -1;
	}
	int r = 0;
	EVBASE_ACQUIRE_LOCK(base);
	if (base->evsel->need_reinit) {
		/* Forget the parent's kernel object before touching any fd:
		 * removing fds from a shared epoll set would disarm them in the
		 * parent too. */
		base->evsel->dealloc(base);
		base->evbase = NULL;
		for (int fd = 0; fd < base->io.nentries; fd++) {
			base->io.entries[fd].kstate = EVMAP_K_ABSENT;
			base->io.entries[fd].kmask = 0;
		}
		base->evbase = base->evsel->init(base);
		if (!base->evbase) {
			event_warnx("event_reinit: cannot re-create the %s backend",
			    base->evsel->name);
			r = -1;
			goto done;
		}
	}
	if (evsig__reinit(base) < 0 || event__make_notifiable_reinit(base) < 0)
		r = -1;
	if (evmap__reinit(base) < 0)
		r = -1;
done:
	EVBASE_RELEASE_LOCK(base);
	return r;
}

/* ---- inspection and priorities --------------------------------------------- */

const char **
event_get_supported_methods(void)
{
	static const char *names[] = { "epoll", "poll", "select", NULL };
	return names;
}

const char *
event_base_get_method(const struct event_base *base)
{
	if (!base || !base->evsel) {
		event_warnx("event_base_get_method: NULL or uninitialised base");
		return NULL;
	}
	/* Our epoll backend always batches its changes; the flag only changes
	 * the name, which libevent users see and may compare. */
	if (base->evsel == &epollops && (base->flags & EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST))
		return "epoll (with changelist)";
	return base->evsel->name;
}

const char *
event_get_method(void)
{
	return event_base_get_method(event__current_base());
}

int
event_base_get_features(const struct event_base *base)
{
	return base && base->evsel ? base->evsel->features : 0;
}

int
event_base_priority_init(struct event_base *base, int npriorities)
{
	if (!base)
		base = event__current_base();
	if (!base) {
		event_warnx("event_base_priority_init: NULL base and no current base");
		return -1;
	}
	if (npriorities < 1 || npriorities > EVENT_MAX_PRIORITIES) {
		event_warnx("event_base_priority_init: %d priorities, not in [1, %d]",
		    npriorities, EVENT_MAX_PRIORITIES);
		return -1;
	}
	int r = -1;
	EVBASE_ACQUIRE_LOCK(base);
	if (N_ACTIVE_CALLBACKS(base) || base->running_loop) {
		event_warnx("event_base_priority_init: callbacks are active");
	} else if (npriorities == base->nactivequeues) {
		r = 0;
	} else if (alloc_queues(base, npriorities) < 0) {
		event_warn("event_base_priority_init: calloc");
	} else {
		r = 0;
	}
	EVBASE_RELEASE_LOCK(base);
	return r;
}

int
event_priority_init(int npriorities)
{
	return event_base_priority_init(event__current_base(), npriorities);
}

int
event_base_get_npriorities(struct event_base *base)
{
	if (!base)
		base = event__current_base();
	if (!base)
		return -1;
	EVBASE_ACQUIRE_LOCK(base);
	int n = base->nactivequeues;
	EVBASE_RELEASE_LOCK(base);
	return n;
}

int
event_base_get_num_events(struct event_base *base, unsigned int type)
{
	if (!base)
		return -1;
	int r = 0;
	EVBASE_ACQUIRE_LOCK(base);
	if (type & EVENT_BASE_COUNT_ACTIVE)
		r += base->event_count_active;
	if (type & EVENT_BASE_COUNT_VIRTUAL)
		r += base->virtual_event_count;
	if (type & EVENT_BASE_COUNT_ADDED)
		r += base->event_count;
	EVBASE_RELEASE_LOCK(base);
	return r;
}

int
event_base_get_max_events(struct event_base *base, unsigned int type, int clear)
{
	if (!base)
		return -1;
	int r = 0;
	EVBASE_ACQUIRE_LOCK(base);
	if (type & EVENT_BASE_COUNT_ACTIVE) {
		r += base->event_count_active_max;
		if (clear)
			base->event_count_active_max = base->event_count_active;
	}
	if (type & EVENT_BASE_COUNT_VIRTUAL) {
		r += base->virtual_event_count_max;
		if (clear)
			base->virtual_event_count_max = base->virtual_event_count;
	}
	if (type & EVENT_BASE_COUNT_ADDED) {
		r += base->event_count_max;
		if (clear)
			base->event_count_max = base->event_count;
	}
	EVBASE_RELEASE_LOCK(base);
	return r;
}

const char *
event_get_version(void)
{
	return EVENT__VERSION;
}

ev_uint32_t
event_get_version_number(void)
{
	return EVENT__NUMERIC_VERSION;
}

/* ---- 1.x global-base calls ------------------------------------------------ */

int
event_dispatch(void)
{
	return event_base_loop(event__current_base(), 0);
}

int
event_loop(int flags)
{
	return event_base_loop(event__current_base(), flags);
}

int
event_loopexit(const struct timeval *tv)
{
	return event_base_loopexit(event__current_base(), tv);
}

int
event_loopbreak(void)
{
	return event_base_loopbreak(event__current_base());
}

void
libevent_global_shutdown(void)
{
	event_debug__free_map();
	evthread__global_shutdown();
}
