/*
 * test-bufferevent-threads.c: BEV_OPT_THREADSAFE bufferevents and
 * LEV_OPT_THREADSAFE listeners used from a thread other than the loop's.
 *
 * The loop runs in its own thread; the test thread writes, frees and
 * re-creates while callbacks run.  A wrong design here deadlocks (a
 * blocking event_del under the lock a running callback waits for) or
 * touches freed memory; the per-test timeout catches the first, the
 * crash the second.
 */
#include <pthread.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "bev-test.h"

static struct event_base *base;
static pthread_t loop_thread;

static void *
run_loop(void *arg)
{
	(void)arg;
	event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static void
setup(void)
{
	bt_setup_logging();
	cr_assert_eq(evthread_use_pthreads(), 0);
	base = event_base_new();
	cr_assert_not_null(base);
	cr_assert_eq(pthread_create(&loop_thread, NULL, run_loop, NULL), 0);
}

static void
stop_loop(void)
{
	event_base_loopbreak(base);
	pthread_join(loop_thread, NULL);
	event_base_free(base);
}

TestSuite(threads, .init = setup, .timeout = 60);

static void
echo_readcb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

static void
drain_fd(int fd)
{
	char buf[65536];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

Test(threads, free_while_the_loop_runs_callbacks)
{
	char data[4096];

	memset(data, 'T', sizeof(data));
	for (int i = 0; i < 300; i++) {
		int sv[2];
		struct bufferevent *bev;

		bt_socketpair(sv);
		bev = bufferevent_socket_new(base, sv[0], BEV_OPT_THREADSAFE | BEV_OPT_CLOSE_ON_FREE);
		cr_assert_not_null(bev);
		bufferevent_setcb(bev, echo_readcb, NULL, NULL, NULL);
		bufferevent_enable(bev, EV_READ | EV_WRITE);
		for (int k = 0; k < 4; k++) {
			if (write(sv[1], data, sizeof(data)) < 0)
				break;
			bufferevent_write(bev, data, (size_t)(i % 100) + 1);
			drain_fd(sv[1]);
		}
		/* Free at varying moments relative to the loop's work. */
		if (i % 3)
			usleep((useconds_t)(i % 7) * 50);
		bufferevent_free(bev);
		close(sv[1]);
	}
	stop_loop();
}

Test(threads, writes_from_another_thread_arrive_whole)
{
	int sv[2];
	struct bufferevent *bev;
	size_t total = 0, got = 0;
	char data[1000];
	double end;

	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_THREADSAFE | BEV_OPT_CLOSE_ON_FREE);
	memset(data, 'w', sizeof(data));
	for (int i = 0; i < 2000; i++) {
		size_t n = (size_t)(i % 999) + 1;
		char buf[65536];
		ssize_t r;

		bufferevent_write(bev, data, n);
		total += n;
		while ((r = read(sv[1], buf, sizeof(buf))) > 0)
			got += (size_t)r;
	}
	end = bt_now() + 10;
	while (got < total && bt_now() < end) {
		char buf[65536];
		ssize_t r = read(sv[1], buf, sizeof(buf));
		if (r > 0)
			got += (size_t)r;
		else
			usleep(1000);
	}
	cr_assert_eq(got, total, "%zu of %zu bytes arrived", got, total);
	bufferevent_free(bev);
	close(sv[1]);
	stop_loop();
}

static void
accept_close_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	(void)lev;
	(void)sa;
	(void)socklen;
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_RELAXED);
	close(fd);
}

Test(threads, listener_freed_while_accepting)
{
	int accepted = 0;

	for (int i = 0; i < 50; i++) {
		struct sockaddr_in sin;
		socklen_t len = sizeof(sin);
		struct evconnlistener *lev;
		int c[10];

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		lev = evconnlistener_new_bind(base, accept_close_cb, &accepted,
		    LEV_OPT_THREADSAFE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
		    (struct sockaddr *)&sin, sizeof(sin));
		cr_assert_not_null(lev);
		getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin, &len);
		for (int k = 0; k < 10; k++) {
			c[k] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			connect(c[k], (struct sockaddr *)&sin, sizeof(sin));
		}
		usleep((useconds_t)(i % 5) * 100);
		evconnlistener_free(lev);
		for (int k = 0; k < 10; k++)
			close(c[k]);
	}
	cr_assert_gt(accepted, 0);
	stop_loop();
}

static void *
lock_and_release(void *arg)
{
	bufferevent_lock(arg);
	bufferevent_unlock(arg);
	return NULL;
}

static void
unlocked_readcb(struct bufferevent *bev, void *arg)
{
	pthread_t th;

	/* Another thread can take the lock while we run: it is not held. */
	pthread_create(&th, NULL, lock_and_release, bev);
	pthread_join(th, NULL);
	__atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
}

Test(threads, unlock_callbacks_run_without_the_lock)
{
	int sv[2], done = 0;
	struct bufferevent *bev;
	double end = bt_now() + 10;

	bt_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_THREADSAFE | BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS | BEV_OPT_UNLOCK_CALLBACKS);
	cr_assert_not_null(bev);
	bufferevent_setcb(bev, unlocked_readcb, NULL, NULL, &done);
	bufferevent_enable(bev, EV_READ);
	cr_assert_eq(write(sv[1], "u", 1), 1);
	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE) && bt_now() < end)
		usleep(1000);
	cr_assert(done, "the read callback did not complete (lock held?)");
	bufferevent_free(bev);
	close(sv[1]);
	stop_loop();
}
