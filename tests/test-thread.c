/*
 * test-thread.c: a base used from two threads.  Another thread's
 * event_add, event_active, loopbreak and loopexit wake a loop that would
 * otherwise sleep for seconds; event_del from another thread waits for a
 * running callback, while event_del_noblock and EV_FINALIZE events do
 * not; finalizers run after the callback, in the loop's thread; custom
 * lock callbacks are used.  Every test runs under each backend.
 *
 * Criterion assertions are made only in the main thread: helper threads
 * record what they saw in atomics and the main thread checks it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "testutil.h"

/* Fails the test if threading cannot be turned on, then makes a base. */
static struct event_base *
thread_base(const char *method)
{
	cr_assert_eq(evthread_use_pthreads(), 0);
	return tu_base_new(method, 0);
}

static pthread_t main_thread;
static struct event_base *shared_base;
static struct event *shared_ev;

static void
noop_cb(evutil_socket_t fd, short what, void *arg)
{
}

/* A loop guard: keeps the loop asleep for 5 s unless something wakes it. */
static struct event *
add_guard(struct event_base *base)
{
	static struct timeval five = { 5, 0 };
	struct event *g = evtimer_new(base, noop_cb, NULL);

	cr_assert_not_null(g);
	cr_assert_eq(evtimer_add(g, &five), 0);
	return g;
}

static void
guard_free(struct event *g)
{
	event_free(g);
}

/* ---- waking a sleeping loop ---------------------------------------------- */

static _Atomic double t_poke, t_seen;
static atomic_int cb_in_main, n_cb;

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	t_seen = tu_now_ms();
	cb_in_main = pthread_equal(pthread_self(), main_thread);
	n_cb++;
	event_base_loopbreak(shared_base);
}

enum poke_kind { POKE_ADD_TIMER, POKE_ADD_FD, POKE_ACTIVE, POKE_BREAK, POKE_EXIT };
static enum poke_kind poke_kind;
static atomic_int poke_rc;

static void *
poker(void *arg)
{
	static const struct timeval zero = { 0, 0 };

	tu_sleep_ms(80);	/* let the main thread fall asleep */
	t_poke = tu_now_ms();
	switch (poke_kind) {
	case POKE_ADD_TIMER:
		poke_rc = event_add(shared_ev, &zero);
		break;
	case POKE_ADD_FD:
		poke_rc = event_add(shared_ev, NULL);
		break;
	case POKE_ACTIVE:
		event_active(shared_ev, EV_READ, 1);
		break;
	case POKE_BREAK:
		poke_rc = event_base_loopbreak(shared_base);
		break;
	case POKE_EXIT:
		poke_rc = event_base_loopexit(shared_base, NULL);
		break;
	}
	return NULL;
}

static void
run_wake_case(const char *method, enum poke_kind kind)
{
	struct event_base *base = thread_base(method);
	struct event *guard = add_guard(base);
	pthread_t th;
	double lat;
	int fds[2];

	main_thread = pthread_self();
	shared_base = base;
	poke_kind = kind;
	tu_socketpair(fds);
	if (kind == POKE_ADD_FD) {
		tu_write1(fds[1]);	/* readable before the add */
		shared_ev = event_new(base, fds[0], EV_READ, wake_cb, NULL);
	} else {
		shared_ev = event_new(base, -1, 0, wake_cb, NULL);
	}
	cr_assert_eq(pthread_create(&th, NULL, poker, NULL), 0);
	cr_assert_eq(event_base_dispatch(base), 0);
	pthread_join(th, NULL);
	cr_assert_eq(poke_rc, 0);
	if (kind == POKE_BREAK || kind == POKE_EXIT) {
		lat = tu_now_ms() - t_poke;
		cr_assert_eq(n_cb, 0);
		cr_assert(kind == POKE_BREAK ? event_base_got_break(base) :
		    event_base_got_exit(base));
	} else {
		lat = t_seen - t_poke;
		cr_assert_eq(n_cb, 1);
		cr_assert(cb_in_main, "callback ran outside the loop's thread");
	}
	cr_assert(lat >= 0 && lat < 250,
	    "loop took %.1f ms to notice the other thread (it sleeps 5 s)", lat);
	event_free(shared_ev);
	guard_free(guard);
	tu_base_free(base);
}

TU_BACKEND_TEST(thread, use_pthreads_and_notifiable, .timeout = 10)
{
	struct event_base *base = thread_base(method);

	cr_assert_eq(evthread_make_base_notifiable(base), 0);
	cr_assert_eq(evthread_make_base_notifiable(base), 0);
	tu_base_free(base);
}

TU_BACKEND_TEST(thread, cross_thread_add_timer_wakes_loop, .timeout = 10)
{
	run_wake_case(method, POKE_ADD_TIMER);
}

TU_BACKEND_TEST(thread, cross_thread_add_fd_wakes_loop, .timeout = 10)
{
	run_wake_case(method, POKE_ADD_FD);
}

TU_BACKEND_TEST(thread, cross_thread_active_wakes_loop, .timeout = 10)
{
	run_wake_case(method, POKE_ACTIVE);
}

TU_BACKEND_TEST(thread, cross_thread_loopbreak_wakes_loop, .timeout = 10)
{
	run_wake_case(method, POKE_BREAK);
}

TU_BACKEND_TEST(thread, cross_thread_loopexit_wakes_loop, .timeout = 10)
{
	run_wake_case(method, POKE_EXIT);
}

/* ---- event_del against a running callback --------------------------------- */

static atomic_int started, done, done_at_return, fin_after_done, fin_in_main;
static _Atomic double del_call_ms, del_return_ms;

enum del_kind { DEL_PLAIN, DEL_NOBLOCK, DEL_BLOCK, FREE_FINALIZE };
static enum del_kind del_kind;

static void
slow_cb(evutil_socket_t fd, short what, void *arg)
{
	if (started)
		return;	/* only the first run is slow */
	started = 1;
	tu_sleep_ms(200);
	done = 1;
}

static void
fin_cb(struct event *ev, void *arg)
{
	fin_after_done = done;
	fin_in_main = pthread_equal(pthread_self(), main_thread);
	event_base_loopbreak(shared_base);
}

static void *
deleter(void *arg)
{
	int i;

	for (i = 0; i < 5000 && !started; i++)
		tu_sleep_ms(1);
	tu_sleep_ms(20);	/* well inside the 200 ms callback */
	del_call_ms = tu_now_ms();
	switch (del_kind) {
	case DEL_PLAIN:
		event_del(shared_ev);
		break;
	case DEL_NOBLOCK:
		event_del_noblock(shared_ev);
		break;
	case DEL_BLOCK:
		event_del_block(shared_ev);
		break;
	case FREE_FINALIZE:
		event_free_finalize(0, shared_ev, fin_cb);
		break;
	}
	del_return_ms = tu_now_ms();
	done_at_return = done;
	if (del_kind != FREE_FINALIZE)
		event_base_loopbreak(shared_base);
	return NULL;
}

static void
run_del_case(const char *method, short extra_flags, enum del_kind kind)
{
	struct event_base *base = thread_base(method);
	struct event *guard = add_guard(base);
	struct timeval tick = tu_tv_ms(10);
	pthread_t th;

	main_thread = pthread_self();
	shared_base = base;
	del_kind = kind;
	shared_ev = event_new(base, -1, EV_PERSIST | extra_flags, slow_cb, NULL);
	cr_assert_eq(event_add(shared_ev, &tick), 0);
	cr_assert_eq(pthread_create(&th, NULL, deleter, NULL), 0);
	cr_assert_eq(event_base_dispatch(base), 0);
	pthread_join(th, NULL);
	cr_assert(started);
	if (kind != FREE_FINALIZE) {
		cr_assert_eq(event_pending(shared_ev, EV_TIMEOUT, NULL), 0);
		event_free(shared_ev);
	}
	guard_free(guard);
	tu_base_free(base);
}

TU_BACKEND_TEST(thread, cross_thread_del_waits_for_callback, .timeout = 10)
{
	run_del_case(method, 0, DEL_PLAIN);
	cr_assert(done_at_return, "event_del returned while the callback ran");
}

/* The same with the event an fd's lone persistent read, and no timer on
 * the base: the common shape of a loop iteration, which must keep the
 * lock rules too (the callback runs with the lock released, and event_del
 * from another thread waits for it). */
static void
slow_io_cb(evutil_socket_t fd, short what, void *arg)
{
	tu_drain(fd);
	slow_cb(fd, what, arg);
}

TU_BACKEND_TEST(thread, cross_thread_del_waits_for_lone_io_callback, .timeout = 10)
{
	struct event_base *base = thread_base(method);
	pthread_t th;
	int fds[2];

	main_thread = pthread_self();
	shared_base = base;
	del_kind = DEL_PLAIN;
	tu_socketpair(fds);
	shared_ev = event_new(base, fds[0], EV_READ | EV_PERSIST, slow_io_cb, NULL);
	cr_assert_eq(event_add(shared_ev, NULL), 0);
	tu_write1(fds[1]);
	cr_assert_eq(pthread_create(&th, NULL, deleter, NULL), 0);
	/* 0 after the deleter's loopbreak, or 1 if the loop saw the base
	 * without events first (the deleter's event_del raced it there) */
	cr_assert_geq(event_base_dispatch(base), 0);
	pthread_join(th, NULL);
	cr_assert(started);
	cr_assert(done_at_return, "event_del returned while the callback ran");
	cr_assert_eq(event_pending(shared_ev, EV_READ, NULL), 0);
	event_free(shared_ev);
	close(fds[0]);
	close(fds[1]);
	tu_base_free(base);
}

TU_BACKEND_TEST(thread, cross_thread_del_noblock_does_not_wait, .timeout = 10)
{
	run_del_case(method, 0, DEL_NOBLOCK);
	cr_assert_not(done_at_return, "event_del_noblock waited for the callback");
	cr_assert_lt(del_return_ms - del_call_ms, 100.0);
}

TU_BACKEND_TEST(thread, ev_finalize_del_does_not_wait, .timeout = 10)
{
	run_del_case(method, EV_FINALIZE, DEL_PLAIN);
	cr_assert_not(done_at_return, "event_del waited on an EV_FINALIZE event");
	cr_assert_lt(del_return_ms - del_call_ms, 100.0);
}

TU_BACKEND_TEST(thread, ev_finalize_del_block_waits, .timeout = 10)
{
	run_del_case(method, EV_FINALIZE, DEL_BLOCK);
	cr_assert(done_at_return, "event_del_block returned while the callback ran");
}

TU_BACKEND_TEST(thread, free_finalize_while_running, .timeout = 10)
{
	run_del_case(method, EV_FINALIZE, FREE_FINALIZE);
	cr_assert_not(done_at_return, "event_free_finalize waited for the callback");
	cr_assert(fin_after_done, "finalizer ran before the callback finished");
	cr_assert(fin_in_main, "finalizer ran outside the loop's thread");
}

static void
del_self_cb(evutil_socket_t fd, short what, void *arg)
{
	n_cb++;
	event_del(arg);
}

TU_BACKEND_TEST(thread, del_self_in_callback_does_not_deadlock, .timeout = 10)
{
	struct event_base *base = thread_base(method);
	struct timeval tick = tu_tv_ms(5);
	struct event *ev = event_new(base, -1, EV_PERSIST, del_self_cb,
	    event_self_cbarg());

	cr_assert_eq(event_add(ev, &tick), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_cb, 1);
	event_free(ev);
	tu_base_free(base);
}

/* ---- many operations from two threads ------------------------------------ */

static atomic_int stop_flag, n_fired;

static void
fired_cb(evutil_socket_t fd, short what, void *arg)
{
	n_fired++;
}

static void *
churner(void *arg)
{
	struct event **evs = arg;
	struct timeval tv = { 0, 1000 };
	int i;

	for (i = 0; i < 20000 && !stop_flag; i++) {
		struct event *ev = evs[i % 8];

		switch (i % 3) {
		case 0:
			event_add(ev, &tv);
			break;
		case 1:
			event_active(ev, EV_TIMEOUT, 0);
			break;
		default:
			event_del(ev);
			break;
		}
	}
	return NULL;
}

TU_BACKEND_TEST(thread, two_threads_churn_one_base, .timeout = 20)
{
	struct event_base *base = thread_base(method);
	struct event *guard = add_guard(base);
	struct timeval stop = tu_tv_ms(300);
	struct event *evs[8];
	pthread_t th[2];
	int i;

	for (i = 0; i < 8; i++)
		evs[i] = evtimer_new(base, fired_cb, NULL);
	cr_assert_eq(event_base_loopexit(base, &stop), 0);
	for (i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, churner, evs), 0);
	cr_assert_eq(event_base_dispatch(base), 0);
	stop_flag = 1;
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	cr_assert_gt(n_fired, 0);
	for (i = 0; i < 8; i++)
		event_free(evs[i]);
	guard_free(guard);
	tu_base_free(base);
}

/* ---- custom lock callbacks ------------------------------------------------ */

static atomic_int n_alloc, n_lock, n_unlock;

static void *
my_alloc(unsigned type)
{
	pthread_mutex_t *m = malloc(sizeof(*m));
	pthread_mutexattr_t at;

	pthread_mutexattr_init(&at);
	pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(m, &at);
	pthread_mutexattr_destroy(&at);
	n_alloc++;
	return m;
}

static void
my_free(void *lock, unsigned type)
{
	pthread_mutex_destroy(lock);
	free(lock);
}

static int
my_lock(unsigned mode, void *lock)
{
	n_lock++;
	return pthread_mutex_lock(lock);
}

static int
my_unlock(unsigned mode, void *lock)
{
	n_unlock++;
	return pthread_mutex_unlock(lock);
}

static unsigned long
my_id(void)
{
	return (unsigned long)pthread_self();
}

TU_BACKEND_TEST(thread, custom_lock_callbacks_used, .timeout = 10)
{
	static const struct evthread_lock_callbacks cbs = {
		EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
		my_alloc, my_free, my_lock, my_unlock
	};
	struct event_base *base;
	struct event *ev;

	cr_assert_eq(evthread_set_lock_callbacks(&cbs), 0);
	evthread_set_id_callback(my_id);
	base = tu_base_new(method, 0);
	cr_assert_gt(n_alloc, 0, "the base allocated no lock");
	ev = evtimer_new(base, fired_cb, NULL);
	n_lock = n_unlock = 0;
	event_active(ev, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fired, 1);
	cr_assert_gt(n_lock, 0, "the loop took no lock");
	cr_assert_eq(n_lock, n_unlock);
	event_free(ev);
	tu_base_free(base);
}

TU_BACKEND_TEST(thread, nolock_base_works_with_threads_on, .timeout = 10)
{
	struct event_base *base;
	struct event *ev;

	cr_assert_eq(evthread_use_pthreads(), 0);
	base = tu_base_new(method, EVENT_BASE_FLAG_NOLOCK);
	ev = evtimer_new(base, fired_cb, NULL);
	event_active(ev, EV_TIMEOUT, 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_fired, 1);
	event_free(ev);
	tu_base_free(base);
}
