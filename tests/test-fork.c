/*
 * test-fork.c: fork() plus event_reinit().  The child re-creates its
 * kernel state and runs its inherited events; whatever the child changes
 * must not leak into the parent's backend (with epoll both processes
 * would otherwise share one epoll instance).  Each test runs under every
 * backend.
 *
 * The child reports through its exit status (0 = all good, otherwise the
 * number of the failed check); only the parent makes assertions.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/event.h>

#include "testutil.h"

#define CHILD_CHECK(cond, code)                                           \
	do {                                                              \
		if (!(cond))                                              \
			_exit(code);                                      \
	} while (0)

static int n_cb[4];

static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	n_cb[(int)(intptr_t)arg]++;
	if (what & EV_READ)
		tu_drain(fd);
}

static void
wait_child(pid_t pid)
{
	int status = 0;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child died by signal %d",
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	cr_assert_eq(WEXITSTATUS(status), 0, "child failed check %d",
	    WEXITSTATUS(status));
}

/* Bound a loop so that a broken reinit fails instead of hanging. */
static int
bounded_loop_once(struct event_base *base)
{
	struct timeval limit = tu_tv_ms(2000);

	event_base_loopexit(base, &limit);
	return event_base_loop(base, EVLOOP_ONCE);
}

static void
fork_io_case(const char *method, short evs)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *r;
	int p[2];
	pid_t pid;

	tu_socketpair(p);
	r = event_new(base, p[0], evs, drain_cb, (void *)0);
	cr_assert_eq(event_add(r, NULL), 0);
	/* Make sure the parent's registration reached the kernel. */
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int c[2];
		struct event *mine;

		CHILD_CHECK(event_reinit(base) == 0, 1);
		tu_write1(p[1]);
		CHILD_CHECK(bounded_loop_once(base) == 0, 2);
		CHILD_CHECK(n_cb[0] == 1, 3);
		/* A new event in the child works too. */
		tu_socketpair(c);
		mine = event_new(base, c[0], EV_READ, drain_cb, (void *)1);
		CHILD_CHECK(event_add(mine, NULL) == 0, 4);
		tu_write1(c[1]);
		CHILD_CHECK(bounded_loop_once(base) == 0, 5);
		CHILD_CHECK(n_cb[1] == 1, 6);
		/* Removing the inherited event must not touch the parent. */
		if (evs & EV_PERSIST)
			CHILD_CHECK(event_del(r) == 0, 7);
		CHILD_CHECK(event_base_loop(base, EVLOOP_NONBLOCK) >= 0, 8);
		_exit(0);
	}
	wait_child(pid);
	cr_assert_eq(n_cb[0], 0);
	cr_assert_eq(tu_drain(p[0]), 0, "the child left data behind");
	tu_write1(p[1]);
	cr_assert_eq(bounded_loop_once(base), 0);
	cr_assert_eq(n_cb[0], 1, "parent's event stopped working after the fork");
	event_free(r);
	tu_base_free(base);
}

TU_BACKEND_TEST(fork, persistent_event_child_and_parent, .timeout = 10)
{
	fork_io_case(method, EV_READ | EV_PERSIST);
}

TU_BACKEND_TEST(fork, oneshot_event_child_and_parent, .timeout = 10)
{
	fork_io_case(method, EV_READ);
}

static void
sig_cb(evutil_socket_t fd, short what, void *arg)
{
	n_cb[(int)(intptr_t)arg]++;
}

TU_BACKEND_TEST(fork, signal_event_after_reinit, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *s = evsignal_new(base, SIGUSR1, sig_cb, (void *)0);
	pid_t pid;

	cr_assert_eq(evsignal_add(s, NULL), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		CHILD_CHECK(event_reinit(base) == 0, 1);
		raise(SIGUSR1);
		CHILD_CHECK(bounded_loop_once(base) == 0, 2);
		CHILD_CHECK(n_cb[0] == 1, 3);
		_exit(0);
	}
	wait_child(pid);
	raise(SIGUSR1);
	cr_assert_eq(bounded_loop_once(base), 0);
	cr_assert_eq(n_cb[0], 1);
	event_free(s);
	tu_base_free(base);
}

TU_BACKEND_TEST(fork, timer_after_reinit, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t30 = tu_tv_ms(30);
	struct event *t = evtimer_new(base, sig_cb, (void *)0);
	pid_t pid;

	cr_assert_eq(evtimer_add(t, &t30), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		CHILD_CHECK(event_reinit(base) == 0, 1);
		CHILD_CHECK(event_base_dispatch(base) == 1, 2);
		CHILD_CHECK(n_cb[0] == 1, 3);
		_exit(0);
	}
	wait_child(pid);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_cb[0], 1);
	event_free(t);
	tu_base_free(base);
}

TU_BACKEND_TEST(fork, reinit_without_fork, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *r;
	int p[2];

	tu_socketpair(p);
	r = event_new(base, p[0], EV_READ | EV_PERSIST, drain_cb, (void *)0);
	cr_assert_eq(event_add(r, NULL), 0);
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	cr_assert_eq(event_reinit(base), 0);
	tu_write1(p[1]);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(n_cb[0], 1);
	tu_write1(p[1]);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(n_cb[0], 2);
	event_free(r);
	tu_base_free(base);
}

TU_BACKEND_TEST(fork, two_children_in_turn, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *r;
	int p[2], k;

	tu_socketpair(p);
	r = event_new(base, p[0], EV_READ | EV_PERSIST, drain_cb, (void *)0);
	cr_assert_eq(event_add(r, NULL), 0);
	for (k = 0; k < 2; k++) {
		pid_t pid = fork();

		cr_assert_geq(pid, 0);
		if (pid == 0) {
			CHILD_CHECK(event_reinit(base) == 0, 1);
			tu_write1(p[1]);
			CHILD_CHECK(bounded_loop_once(base) == 0, 2);
			CHILD_CHECK(n_cb[0] == k + 1, 3);
			_exit(0);
		}
		wait_child(pid);
		tu_write1(p[1]);
		cr_assert_eq(bounded_loop_once(base), 0);
		cr_assert_eq(n_cb[0], k + 1);
	}
	event_free(r);
	tu_base_free(base);
}

/* event_reinit from inside a callback replaces the backend's state under
 * the running loop, which must pick up the new one (under ASAN a loop
 * that kept the old pointer reads freed memory). */
static struct event_base *reinit_base;
static int reinit_wfd;

static void
reinit_in_cb(evutil_socket_t fd, short what, void *arg)
{
	tu_drain(fd);
	if (++n_cb[0] == 1) {
		if (event_reinit(reinit_base) != 0)
			n_cb[1]++;
		tu_write1(reinit_wfd);
	} else {
		event_base_loopbreak(reinit_base);
	}
}

TU_BACKEND_TEST(fork, reinit_inside_a_callback, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *r;
	int p[2];

	tu_socketpair(p);
	reinit_base = base;
	reinit_wfd = p[1];
	r = event_new(base, p[0], EV_READ | EV_PERSIST, reinit_in_cb, NULL);
	cr_assert_eq(event_add(r, NULL), 0);
	tu_write1(p[1]);
	cr_assert_eq(event_base_dispatch(base), 0);
	cr_assert_eq(n_cb[0], 2);
	cr_assert_eq(n_cb[1], 0, "event_reinit failed in the callback");
	event_free(r);
	tu_base_free(base);
}

/* The epoll instance's descriptor, found through /proc. */
static int
epoll_fd_of_process(void)
{
	for (int fd = 0; fd < 1024; fd++)
		if (tu_fd_is(fd, "eventpoll"))
			return fd;
	return -1;
}

/* A failed event_reinit leaves the base without a backend: loops then
 * fail with a warning instead of crashing, and the base can be freed. */
Test(fork, reinit_failure_then_loop_errors, .timeout = 10)
{
	TU_ENGINE_ONLY();
	struct event_base *base = tu_base_new("epoll", 0);
	struct event *r;
	int p[2];

	tu_socketpair(p);
	r = event_new(base, p[0], EV_READ | EV_PERSIST, drain_cb, (void *)0);
	cr_assert_eq(event_add(r, NULL), 0);
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	int epfd = epoll_fd_of_process();
	cr_assert_geq(epfd, 0);
	/* Every number below the epoll fd taken, and no new one allowed
	 * above it: re-creating the epoll instance must fail (EMFILE). */
	for (;;) {
		int k = dup(0);
		if (k < 0 || k > epfd) {
			if (k >= 0)
				close(k);
			break;
		}
	}
	struct rlimit rl;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = (rlim_t)epfd;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);

	cr_assert_eq(event_reinit(base), -1);
	tu_assert_warned("event_reinit without a backend");
	tu_write1(p[1]);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), -1);
	tu_assert_warned("event_base_loop(EVLOOP_ONCE) without a backend");
	cr_assert_eq(event_base_loop(base, 0), -1);
	tu_assert_warned("event_base_dispatch without a backend");
	cr_assert_eq(n_cb[0], 0);
	event_free(r);
	tu_base_free(base);
}
