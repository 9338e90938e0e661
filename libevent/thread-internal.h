/*
 * thread-internal.h: locks that cost nothing until threading is on.
 *
 * Until an application installs lock callbacks (evthread_use_pthreads or
 * evthread_set_lock_callbacks) every lock pointer stays NULL and every
 * macro below is one predictable branch.  Locks allocated afterwards are
 * real.  All engine locks are recursive.
 */
#ifndef THREAD_INTERNAL_H_INCLUDED_
#define THREAD_INTERNAL_H_INCLUDED_

#include <event2/thread.h>

struct timeval;

extern struct evthread_lock_callbacks evthread_lock_fns_;
extern struct evthread_condition_callbacks evthread_cond_fns_;
extern unsigned long (*evthread_id_fn_)(void);

/* Nonzero once lock callbacks are installed. */
#define EVTHREAD_LOCKING_ENABLED() (evthread_lock_fns_.lock != NULL)

/* A new recursive lock, or NULL when threading is off (or on failure). */
void *evthread__lock_new(void);
void evthread__lock_free(void *lock);
/* A condition variable, or NULL when threading is off. */
void *evthread__cond_new(void);
void evthread__cond_free(void *cond);
/* Waits on cond with lock held; 0 signalled, 1 timeout, -1 error. */
int evthread__cond_wait(void *cond, void *lock, const struct timeval *tv);
int evthread__cond_signal(void *cond, int broadcast);
/* Frees global locks (libevent_global_shutdown). */
void evthread__global_shutdown(void);
/* The calling thread's id, or 0 when no id callback is installed. */
static inline unsigned long
evthread__id(void)
{
	return evthread_id_fn_ ? evthread_id_fn_() : 0;
}

#define EVLOCK_LOCK(lk)                                    \
	do {                                                   \
		if (lk)                                            \
			evthread_lock_fns_.lock(0, (lk));              \
	} while (0)
#define EVLOCK_UNLOCK(lk)                                  \
	do {                                                   \
		if (lk)                                            \
			evthread_lock_fns_.unlock(0, (lk));            \
	} while (0)

#endif /* THREAD_INTERNAL_H_INCLUDED_ */
