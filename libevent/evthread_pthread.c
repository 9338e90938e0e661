/*
 * evthread_pthread.c: libevent_pthreads: the pthread implementation of
 * the lock, condition and id callbacks.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include <event2/thread.h>
#include <stdlib.h>

/* libevent_pthreads cannot reach the core's hidden allocator, so its
 * mutexes and conditions come from libc directly. */
#define mm_malloc malloc
#define mm_free free

static pthread_mutexattr_t recursive_attr;

static void *
lock_alloc(unsigned locktype)
{
	pthread_mutex_t *m = mm_malloc(sizeof(*m));
	if (!m)
		return NULL;
	pthread_mutexattr_t *attr =
	    (locktype & EVTHREAD_LOCKTYPE_RECURSIVE) ? &recursive_attr : NULL;
	if (pthread_mutex_init(m, attr)) {
		mm_free(m);
		return NULL;
	}
	return m;
}

static void
lock_free(void *lock, unsigned locktype)
{
	pthread_mutex_destroy(lock);
	mm_free(lock);
}

static int
lock_lock(unsigned mode, void *lock)
{
	if (mode & EVTHREAD_TRY)
		return pthread_mutex_trylock(lock);
	return pthread_mutex_lock(lock);
}

static int
lock_unlock(unsigned mode, void *lock)
{
	return pthread_mutex_unlock(lock);
}

static unsigned long
thread_id(void)
{
	return (unsigned long)pthread_self();
}

static void *
cond_alloc(unsigned condflags)
{
	pthread_cond_t *c = mm_malloc(sizeof(*c));
	if (!c)
		return NULL;
	if (pthread_cond_init(c, NULL)) {
		mm_free(c);
		return NULL;
	}
	return c;
}

static void
cond_free(void *cond)
{
	pthread_cond_destroy(cond);
	mm_free(cond);
}

static int
cond_signal(void *cond, int broadcast)
{
	return broadcast ? pthread_cond_broadcast(cond) : pthread_cond_signal(cond);
}

/* 0 when signalled, 1 on timeout, -1 on error. */
static int
cond_wait(void *cond, void *lock, const struct timeval *tv)
{
	int r;
	if (tv) {
		struct timeval now, abs;
		gettimeofday(&now, NULL);
		timeradd(&now, tv, &abs);
		struct timespec ts = { abs.tv_sec, abs.tv_usec * 1000 };
		r = pthread_cond_timedwait(cond, lock, &ts);
		if (r == ETIMEDOUT)
			return 1;
	} else {
		r = pthread_cond_wait(cond, lock);
	}
	return r ? -1 : 0;
}

int
evthread_use_pthreads(void)
{
	static const struct evthread_lock_callbacks locks = {
		EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
		lock_alloc, lock_free, lock_lock, lock_unlock
	};
	static const struct evthread_condition_callbacks conds = {
		EVTHREAD_CONDITION_API_VERSION, cond_alloc, cond_free, cond_signal, cond_wait
	};
	if (pthread_mutexattr_init(&recursive_attr) ||
	    pthread_mutexattr_settype(&recursive_attr, PTHREAD_MUTEX_RECURSIVE))
		return -1;
	if (evthread_set_lock_callbacks(&locks) < 0 ||
	    evthread_set_condition_callbacks(&conds) < 0)
		return -1;
	evthread_set_id_callback(thread_id);
	return 0;
}
