/*
 * thread.c: the lock, condition and thread-id callbacks, and the optional
 * lock debugging wrapper.
 *
 * The installed callbacks are copied into globals that every lock macro
 * reads (thread-internal.h).  With none installed, no lock is ever
 * allocated and every lock operation is a test of a NULL pointer.
 */
#include <errno.h>
#include <string.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

struct evthread_lock_callbacks evthread_lock_fns_;
struct evthread_condition_callbacks evthread_cond_fns_;
unsigned long (*evthread_id_fn_)(void);

/* The real callbacks while lock debugging wraps them. */
static struct evthread_lock_callbacks original_lock_fns;
static int lock_debugging;

int
evthread_set_lock_callbacks(const struct evthread_lock_callbacks *cbs)
{
	struct evthread_lock_callbacks *target =
	    lock_debugging ? &original_lock_fns : &evthread_lock_fns_;

	if (!cbs) {
		if (target->alloc)
			event_warnx("evthread_set_lock_callbacks: locks are in use; "
			    "they cannot be removed");
		memset(target, 0, sizeof(*target));
		return 0;
	}
	if (!cbs->alloc || !cbs->free || !cbs->lock || !cbs->unlock) {
		event_warnx("evthread_set_lock_callbacks: incomplete callbacks");
		return -1;
	}
	if (!(cbs->supported_locktypes & EVTHREAD_LOCKTYPE_RECURSIVE)) {
		event_warnx("evthread_set_lock_callbacks: recursive locks are required");
		return -1;
	}
	if (target->alloc) {
		if (memcmp(target, cbs, sizeof(*cbs)) == 0)
			return 0;
		event_warnx("evthread_set_lock_callbacks: different callbacks are "
		    "already installed");
		return -1;
	}
	*target = *cbs;
	return 0;
}

int
evthread_set_condition_callbacks(const struct evthread_condition_callbacks *cbs)
{
	if (!cbs) {
		memset(&evthread_cond_fns_, 0, sizeof(evthread_cond_fns_));
		return 0;
	}
	if (!cbs->alloc_condition || !cbs->free_condition ||
	    !cbs->signal_condition || !cbs->wait_condition) {
		event_warnx("evthread_set_condition_callbacks: incomplete callbacks");
		return -1;
	}
	if (evthread_cond_fns_.alloc_condition &&
	    memcmp(&evthread_cond_fns_, cbs, sizeof(*cbs)) != 0) {
		event_warnx("evthread_set_condition_callbacks: different callbacks "
		    "are already installed");
		return -1;
	}
	evthread_cond_fns_ = *cbs;
	return 0;
}

void
evthread_set_id_callback(unsigned long (*id_fn)(void))
{
	evthread_id_fn_ = id_fn;
}

void *
evthread__lock_new(void)
{
	if (!evthread_lock_fns_.alloc)
		return NULL;
	return evthread_lock_fns_.alloc(EVTHREAD_LOCKTYPE_RECURSIVE);
}

void
evthread__lock_free(void *lock)
{
	if (lock && evthread_lock_fns_.free)
		evthread_lock_fns_.free(lock, EVTHREAD_LOCKTYPE_RECURSIVE);
}

void *
evthread__cond_new(void)
{
	if (!evthread_cond_fns_.alloc_condition)
		return NULL;
	return evthread_cond_fns_.alloc_condition(0);
}

void
evthread__cond_free(void *cond)
{
	if (cond && evthread_cond_fns_.free_condition)
		evthread_cond_fns_.free_condition(cond);
}

int
evthread__cond_wait(void *cond, void *lock, const struct timeval *tv)
{
	if (!cond || !evthread_cond_fns_.wait_condition)
		return -1;
	return evthread_cond_fns_.wait_condition(cond, lock, tv);
}

int
evthread__cond_signal(void *cond, int broadcast)
{
	if (!cond || !evthread_cond_fns_.signal_condition)
		return -1;
	return evthread_cond_fns_.signal_condition(cond, broadcast);
}

/* ---- lock debugging ------------------------------------------------------ */

/* A debug lock wraps a real one and records its owner and depth, so that
 * an unlock by a non-owner or of an unlocked lock is caught at once. */
struct debug_lock {
	unsigned signature;
	unsigned locktype;
	unsigned long held_by;
	int count;
	void *lock;
};

#define DEBUG_LOCK_SIG 0xdeb0b10cU

static void *
debug_lock_alloc(unsigned locktype)
{
	struct debug_lock *l = mm_malloc(sizeof(*l));
	if (!l)
		return NULL;
	l->lock = NULL;
	if (original_lock_fns.alloc &&
	    !(l->lock = original_lock_fns.alloc(locktype | EVTHREAD_LOCKTYPE_RECURSIVE))) {
		mm_free(l);
		return NULL;
	}
	l->signature = DEBUG_LOCK_SIG;
	l->locktype = locktype;
	l->held_by = 0;
	l->count = 0;
	return l;
}

static void
debug_lock_free(void *lock_, unsigned locktype)
{
	struct debug_lock *l = lock_;
	if (l->signature != DEBUG_LOCK_SIG || l->count != 0)
		event_errx(1, "lock debugging: freeing a lock that is %s",
		    l->signature != DEBUG_LOCK_SIG ? "not a lock" : "held");
	if (original_lock_fns.free)
		original_lock_fns.free(l->lock, l->locktype | EVTHREAD_LOCKTYPE_RECURSIVE);
	l->signature = 0;
	mm_free(l);
}

static int
debug_lock_lock(unsigned mode, void *lock_)
{
	struct debug_lock *l = lock_;
	int r = original_lock_fns.lock ? original_lock_fns.lock(mode, l->lock) : 0;
	if (r == 0) {
		if (l->count > 0 && l->held_by != evthread__id())
			event_errx(1, "lock debugging: lock held by two threads");
		l->held_by = evthread__id();
		l->count++;
		if (!(l->locktype & EVTHREAD_LOCKTYPE_RECURSIVE) && l->count > 1)
			event_errx(1, "lock debugging: non-recursive lock taken twice");
	}
	return r;
}

static int
debug_lock_unlock(unsigned mode, void *lock_)
{
	struct debug_lock *l = lock_;
	if (l->count <= 0)
		event_errx(1, "lock debugging: unlocking a lock that is not held");
	if (evthread_id_fn_ && l->held_by != evthread__id())
		event_errx(1, "lock debugging: unlock by a thread that does not hold it");
	if (--l->count == 0)
		l->held_by = 0;
	return original_lock_fns.unlock ? original_lock_fns.unlock(mode, l->lock) : 0;
}

void
evthread_enable_lock_debugging(void)
{
	if (lock_debugging)
		return;
	original_lock_fns = evthread_lock_fns_;
	evthread_lock_fns_.lock_api_version = EVTHREAD_LOCK_API_VERSION;
	evthread_lock_fns_.supported_locktypes =
	    EVTHREAD_LOCKTYPE_RECURSIVE | EVTHREAD_LOCKTYPE_READWRITE;
	evthread_lock_fns_.alloc = debug_lock_alloc;
	evthread_lock_fns_.free = debug_lock_free;
	evthread_lock_fns_.lock = debug_lock_lock;
	evthread_lock_fns_.unlock = debug_lock_unlock;
	lock_debugging = 1;
}

void
evthread_enable_lock_debuging(void)
{
	evthread_enable_lock_debugging();
}

void
evthread__global_shutdown(void)
{
	/* No global locks are allocated by the engine today; the debug wrapper
	 * owns nothing global either.  Kept so shutdown has one place to grow. */
}
