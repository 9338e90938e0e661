/*
 * test-timer-far.c: timers whose deadline is a second or more away.
 *
 * While the loop is busy, the epoll backend blocks with -1 and lets a
 * timerfd hold such a deadline (EXP-024).  What must still hold, under
 * every backend: a deadline that moves earlier while the loop waits is
 * met; a timer that was deleted may wake the loop early but nothing fires
 * early and the loop does not spin; after fork() and event_reinit() the
 * child's far timers fire.  And an idle loop that only sleeps from timer
 * to timer does not pay for a timerfd at all.  Each test waits about a
 * second, so this file is kept apart from test-timer.c.
 */
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "testutil.h"

static double t_start;
static double fired_ms[4];
static int n_fired[4];
static struct event *timers[4];
static int sock[2];         /* the busy-making socketpair */
static int rewrites;        /* bytes busy_cb still writes back */
static int swap_at;         /* busy_cb call that swaps timers (0: none) */
static int busy_calls;
static const struct timeval *later_tv;
static int later_idx;
static int timerfds_at_fire = -1; /* count_timerfds() in the last timer_cb */
static int count_timerfds(void);

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	int i = (int)(intptr_t)arg;
	fired_ms[i] = tu_now_ms() - t_start;
	n_fired[i]++;
	timerfds_at_fire = count_timerfds();
	event_base_loopbreak(event_get_base(timers[i]));
}

/*
 * A persistent read on sock[0]: each byte keeps the loop busy for one
 * wait (an I/O report), and `rewrites` more bytes keep it busy longer.  On
 * call `swap_at` it adds timer later_idx (later_tv away); for index 1 it
 * replaces timer 0, for index 2 it joins it.
 */
static void
busy_cb(evutil_socket_t fd, short what, void *arg)
{
	tu_drain(fd);
	if (rewrites > 0) {
		rewrites--;
		tu_write1(sock[1]);
	}
	if (++busy_calls != swap_at)
		return;
	if (later_idx == 1 || later_idx == 3)
		event_del(timers[0]);
	if (later_idx == 3)
		return; /* no timer left at all */
	cr_assert_eq(event_add(timers[later_idx], later_tv), 0);
}

static double
thread_cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Timer 0 is due at first_ms (far).  The socket keeps the loop busy for
 * two waits, so that the second arms whatever holds timer 0's deadline;
 * the callback of that second wait adds timer idx at then_ms (see
 * busy_cb).  Returns the thread CPU time the dispatch used.
 */
static double
run_swap(const char *method, long first_ms, int idx, long then_ms)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval first = tu_tv_ms(first_ms), then = tu_tv_ms(then_ms);

	tu_socketpair(sock);
	for (int i = 0; i < 4; i++)
		timers[i] = evtimer_new(base, timer_cb, (void *)(intptr_t)i);
	struct event *r = event_new(base, sock[0], EV_READ | EV_PERSIST, busy_cb, NULL);
	later_tv = &then;
	later_idx = idx;
	rewrites = 1;
	swap_at = 2;
	t_start = tu_now_ms();
	cr_assert_eq(evtimer_add(timers[0], &first), 0);
	cr_assert_eq(event_add(r, NULL), 0);
	tu_write1(sock[1]);
	double cpu0 = thread_cpu_ms();
	cr_assert_eq(event_base_dispatch(base), 0);
	double cpu = thread_cpu_ms() - cpu0;
	cr_assert_eq(busy_calls, 2);
	event_free(r);
	for (int i = 0; i < 4; i++)
		event_free(timers[i]);
	close(sock[0]);
	close(sock[1]);
	tu_base_free(base);
	return cpu;
}

/* After run_swap: timer idx fired once, near want_ms, and timer 0 never;
 * the dispatch did not spin (a timerfd left readable, or a deadline
 * nobody expires, makes every wait return at once). */
static void
assert_swapped(int idx, long want_ms, double cpu)
{
	cr_assert_eq(n_fired[idx], 1, "timer %d fired %d times", idx, n_fired[idx]);
	cr_assert_eq(n_fired[0], 0, "timer 0 fired");
	cr_assert(fired_ms[idx] >= want_ms - 8 && fired_ms[idx] <= want_ms + 400,
	    "the %ld ms timer fired at %.0f ms", want_ms, fired_ms[idx]);
	cr_assert_lt(cpu, 150, "the loop used %.0f ms of CPU", cpu);
}

/* Fails if the timerfd is not re-armed when the deadline moves earlier:
 * the loop would sleep until the 3 s deadline it holds. */
TU_BACKEND_TEST(timer_far, deadline_moved_earlier_is_met, .timeout = 20)
{
	assert_swapped(1, 1100, run_swap(method, 3000, 1, 1100));
}

/* A near timer added while a far deadline is held: the wait must use its
 * timeout again. */
TU_BACKEND_TEST(timer_far, near_timer_while_far_deadline_held, .timeout = 20)
{
	assert_swapped(2, 60, run_swap(method, 3000, 2, 60));
}

/* Timer 0 (1.1 s, held) is deleted for timer 1 (1.5 s): the loop may wake
 * at 1.1 s, must not run anything then, and must not spin in the 0.4 s
 * that follow. */
TU_BACKEND_TEST(timer_far, deleted_deadline_wakes_early_without_spinning, .timeout = 20)
{
	assert_swapped(1, 1500, run_swap(method, 1100, 1, 1500));
}

/* The same with a later deadline that is itself far after the early wake. */
TU_BACKEND_TEST(timer_far, deleted_deadline_then_far_again, .timeout = 20)
{
	assert_swapped(1, 2300, run_swap(method, 1100, 1, 2300));
}

static int stop_fd; /* late_writer's target */

static void *
late_writer(void *arg)
{
	tu_sleep_ms((long)(intptr_t)arg);
	tu_write1(stop_fd);
	return NULL;
}

static void
break_cb(evutil_socket_t fd, short what, void *arg)
{
	tu_drain(fd);
	event_base_loopbreak(arg);
}

/* The held deadline's timer is deleted and no timer is left: the early
 * wake at 1.1 s leaves a readable timerfd that a wait without any
 * deadline must clear too, or the loop spins until the other thread's
 * byte ends it at 1.5 s. */
TU_BACKEND_TEST(timer_far, deleted_last_deadline_does_not_spin, .timeout = 20)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval first = tu_tv_ms(1100);
	int stop[2];
	pthread_t writer;

	tu_socketpair(sock);
	tu_socketpair(stop);
	timers[0] = evtimer_new(base, timer_cb, (void *)0);
	struct event *r = event_new(base, sock[0], EV_READ | EV_PERSIST, busy_cb, NULL);
	struct event *s = event_new(base, stop[0], EV_READ, break_cb, base);
	later_idx = 3;
	rewrites = 1;
	swap_at = 2;
	cr_assert_eq(evtimer_add(timers[0], &first), 0);
	cr_assert_eq(event_add(r, NULL), 0);
	cr_assert_eq(event_add(s, NULL), 0);
	tu_write1(sock[1]);
	stop_fd = stop[1]; /* late_writer ends the loop through stop */
	cr_assert_eq(pthread_create(&writer, NULL, late_writer, (void *)(intptr_t)1500), 0);
	double cpu0 = thread_cpu_ms();
	cr_assert_eq(event_base_dispatch(base), 0);
	double cpu = thread_cpu_ms() - cpu0;
	pthread_join(writer, NULL);
	cr_assert_eq(busy_calls, 2);
	cr_assert_eq(n_fired[0], 0);
	cr_assert_lt(cpu, 150, "the loop used %.0f ms of CPU in a 1.5 s wait", cpu);
	event_free(r);
	event_free(s);
	event_free(timers[0]);
	for (int i = 0; i < 2; i++) {
		close(sock[i]);
		close(stop[i]);
	}
	tu_base_free(base);
}

static void *
add_timer_1(void *arg)
{
	tu_sleep_ms(100);
	cr_assert_eq(evtimer_add(timers[1], (const struct timeval *)arg), 0);
	return NULL;
}

/* Another thread adds a timer due before the deadline the loop holds
 * while it blocks: the add must wake the loop, which then holds the new,
 * earlier deadline (else it sleeps until the 3 s one). */
TU_BACKEND_TEST(timer_far, earlier_deadline_from_another_thread_is_met, .timeout = 20)
{
	cr_assert_eq(evthread_use_pthreads(), 0);
	struct event_base *base = tu_base_new(method, 0);
	struct timeval first = tu_tv_ms(3000), then = tu_tv_ms(1100);
	pthread_t adder;

	tu_socketpair(sock);
	for (int i = 0; i < 2; i++)
		timers[i] = evtimer_new(base, timer_cb, (void *)(intptr_t)i);
	struct event *r = event_new(base, sock[0], EV_READ | EV_PERSIST, busy_cb, NULL);
	rewrites = 1; /* two busy waits: the 3 s deadline is held from then */
	t_start = tu_now_ms();
	cr_assert_eq(evtimer_add(timers[0], &first), 0);
	cr_assert_eq(event_add(r, NULL), 0);
	tu_write1(sock[1]);
	cr_assert_eq(pthread_create(&adder, NULL, add_timer_1, &then), 0);
	cr_assert_eq(event_base_dispatch(base), 0);
	pthread_join(adder, NULL);
	cr_assert_eq(n_fired[0], 0, "the 3 s timer fired first");
	assert_swapped(1, 1200, 0);
	event_free(r);
	for (int i = 0; i < 2; i++)
		event_free(timers[i]);
	close(sock[0]);
	close(sock[1]);
	tu_base_free(base);
}

/* Timerfds among this process's descriptors. */
static int
count_timerfds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += tu_fd_is(fd, "timerfd");
	return n;
}

/* A loop with nothing but a far timer sleeps with epoll_wait's own
 * timeout: a timerfd would cost it one more syscall per timer. */
Test(timer_far, idle_loop_uses_no_timerfd, .timeout = 20)
{
	struct event_base *base = tu_base_new("epoll", 0);
	struct timeval tv = tu_tv_ms(1050);

	timers[0] = evtimer_new(base, timer_cb, (void *)0);
	t_start = tu_now_ms();
	cr_assert_eq(evtimer_add(timers[0], &tv), 0);
	cr_assert_eq(event_base_dispatch(base), 0);
	cr_assert_eq(n_fired[0], 1);
	cr_assert_eq(count_timerfds(), 0, "an idle loop created a timerfd");
	event_free(timers[0]);
	tu_base_free(base);
}

/* The busy path does use one (else the tests above prove nothing about
 * it), and event_base_free closes it. */
Test(timer_far, busy_loop_holds_far_deadline_in_a_timerfd, .timeout = 20)
{
	TU_ENGINE_ONLY(); /* stock libevent uses no timerfd here */
	run_swap("epoll", 1100, 2, 1200);
	cr_assert_eq(n_fired[0], 1);
	cr_assert_eq(timerfds_at_fire, 1, "the busy loop held no timerfd");
	cr_assert_eq(count_timerfds(), 0, "the timerfd outlived its base");
}

/* The parent held its far deadline in a timerfd before fork(); the child
 * (a new epoll instance after event_reinit) must meet its own, and the
 * parent's timer must still fire at its time. */
TU_BACKEND_TEST(timer_far, fork_child_meets_far_deadline, .timeout = 20)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval parent_tv = tu_tv_ms(1400), child_tv = tu_tv_ms(1000);

	tu_socketpair(sock);
	timers[0] = evtimer_new(base, timer_cb, (void *)0);
	struct event *r = event_new(base, sock[0], EV_READ | EV_PERSIST, busy_cb, NULL);
	t_start = tu_now_ms();
	cr_assert_eq(evtimer_add(timers[0], &parent_tv), 0);
	cr_assert_eq(event_add(r, NULL), 0);
	rewrites = 1;
	tu_write1(sock[1]);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (event_reinit(base) != 0)
			_exit(1);
		event_del(timers[0]);
		t_start = tu_now_ms();
		if (evtimer_add(timers[0], &child_tv) != 0)
			_exit(2);
		rewrites = 1;
		tu_write1(sock[1]);
		struct timeval limit = tu_tv_ms(5000);
		event_base_loopexit(base, &limit);
		event_base_dispatch(base);
		double at = fired_ms[0];
		_exit(n_fired[0] != 1 ? 3 : at < 1000 - 8 || at > 1000 + 400 ? 4 : 0);
	}
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child status 0x%x (3: its timer did not fire, 4: not on time)", status);
	cr_assert_eq(event_base_dispatch(base), 0);
	cr_assert_eq(n_fired[0], 1);
	cr_assert(fired_ms[0] >= 1400 - 8 && fired_ms[0] <= 1400 + 400,
	    "parent's 1.4 s timer fired at %.0f ms", fired_ms[0]);
	event_free(r);
	event_free(timers[0]);
	close(sock[0]);
	close(sock[1]);
	tu_base_free(base);
}

/* A timerfd that fired after its timer was deleted, with no timer left,
 * while the fast loop (EXP-036) is the one waiting: the loops must not
 * hand each other an endless run of waits that the still-readable
 * timerfd ends at once.  Two EVLOOP_ONCE calls with I/O arm the timerfd
 * for a far timer (the second's callback deletes the timer), then a
 * dispatch waits with nothing due: the timerfd fires at 1.1 s, a byte
 * from another thread ends the loop at 1.5 s.  (The no-spin test above
 * reaches this state only in some runs.) */
static int arm_calls;

static void
arm_then_delete_cb(evutil_socket_t fd, short what, void *arg)
{
	tu_drain(fd);
	if (++arm_calls == 2)
		event_del(timers[0]);
}

Test(timer_far, fired_timerfd_without_timers_does_not_spin_the_fast_loop, .timeout = 20)
{
	TU_ENGINE_ONLY(); /* the timerfd is the engine's */
	struct event_base *base = tu_base_new("epoll", 0);
	struct timeval far = tu_tv_ms(1100);
	int p[2], stop[2];
	pthread_t writer;

	tu_socketpair(p);
	tu_socketpair(stop);
	timers[0] = evtimer_new(base, timer_cb, (void *)0);
	struct event *r = event_new(base, p[0], EV_READ | EV_PERSIST, arm_then_delete_cb, NULL);
	struct event *s = event_new(base, stop[0], EV_READ, break_cb, base);
	cr_assert_eq(event_add(r, NULL), 0);
	cr_assert_eq(event_add(s, NULL), 0);
	t_start = tu_now_ms();
	cr_assert_eq(evtimer_add(timers[0], &far), 0);
	tu_write1(p[1]);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0); /* a busy wait */
	tu_write1(p[1]);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0); /* armed; deleted */
	cr_assert_eq(arm_calls, 2);
	cr_assert_eq(count_timerfds(), 1, "no timerfd holds the far deadline");
	stop_fd = stop[1];
	cr_assert_eq(pthread_create(&writer, NULL, late_writer, (void *)(intptr_t)1500), 0);
	double cpu0 = thread_cpu_ms();
	cr_assert_eq(event_base_dispatch(base), 0);
	double cpu = thread_cpu_ms() - cpu0;
	pthread_join(writer, NULL);
	cr_assert_eq(n_fired[0], 0);
	cr_assert_lt(cpu, 100, "the loop used %.0f ms of CPU in a 1.5 s wait", cpu);
	event_free(r);
	event_free(s);
	event_free(timers[0]);
	for (int i = 0; i < 2; i++) {
		close(p[i]);
		close(stop[i]);
	}
	tu_base_free(base);
}
