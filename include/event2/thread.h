/*
 * thread.h: turning on thread safety.
 *
 * The engine takes no locks until an application installs lock
 * callbacks, normally with evthread_use_pthreads() before creating any
 * base.  From then on, bases (unless created with EVENT_BASE_FLAG_NOLOCK)
 * and lockable evbuffers/bufferevents are safe to use from several threads.
 */
#ifndef EVENT2_THREAD_H_INCLUDED_
#define EVENT2_THREAD_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event-config.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Modes passed to lock/unlock. */
#define EVTHREAD_WRITE 0x04 /* read-write lock taken for writing */
#define EVTHREAD_READ 0x08  /* read-write lock taken for reading */
#define EVTHREAD_TRY 0x10   /* fail instead of blocking */

#define EVTHREAD_LOCK_API_VERSION 1

/* Kinds of lock the engine asks alloc() for (0 is a plain mutex). */
#define EVTHREAD_LOCKTYPE_RECURSIVE 1
#define EVTHREAD_LOCKTYPE_READWRITE 2

struct evthread_lock_callbacks {
	int lock_api_version;          /* EVTHREAD_LOCK_API_VERSION */
	unsigned supported_locktypes;  /* EVTHREAD_LOCKTYPE_* bits offered */
	void *(*alloc)(unsigned locktype);
	void (*free)(void *lock, unsigned locktype);
	int (*lock)(unsigned mode, void *lock);   /* 0 on success */
	int (*unlock)(unsigned mode, void *lock); /* 0 on success */
};

/* Installs lock callbacks (a copy is kept); must offer recursive locks.
 * 0 on success, -1 if they are unusable or replace ones already in use. */
EVENT2_EXPORT_SYMBOL
int evthread_set_lock_callbacks(const struct evthread_lock_callbacks *);

#define EVTHREAD_CONDITION_API_VERSION 1

struct timeval;

struct evthread_condition_callbacks {
	int condition_api_version;     /* EVTHREAD_CONDITION_API_VERSION */
	void *(*alloc_condition)(unsigned condtype);
	void (*free_condition)(void *cond);
	int (*signal_condition)(void *cond, int broadcast);
	/* 0 when signalled, 1 on timeout, -1 on error. */
	int (*wait_condition)(void *cond, void *lock, const struct timeval *timeout);
};

EVENT2_EXPORT_SYMBOL
int evthread_set_condition_callbacks(const struct evthread_condition_callbacks *);

/* Identifies the calling thread (for "is this the loop's thread?"). */
EVENT2_EXPORT_SYMBOL
void evthread_set_id_callback(unsigned long (*id_fn)(void));

/* Installs pthread locks, conditions and ids.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int evthread_use_pthreads(void);
#define EVTHREAD_USE_PTHREADS_IMPLEMENTED 1

/* Wraps the installed locks with checks for misuse (double unlock,
 * unlock by a non-owner, ...).  Call right after installing them. */
EVENT2_EXPORT_SYMBOL
void evthread_enable_lock_debugging(void);
/* The original misspelling, kept for old callers. */
EVENT2_EXPORT_SYMBOL
void evthread_enable_lock_debuging(void);

struct event_base;
/* Lets other threads wake the base's loop.  0 or -1. */
EVENT2_EXPORT_SYMBOL
int evthread_make_base_notifiable(struct event_base *base);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_THREAD_H_INCLUDED_ */
