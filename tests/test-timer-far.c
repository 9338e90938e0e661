/*
 * test-timer-far.c: timers whose deadline is a second or more away.
 *
 * The epoll backend blocks with -1 and lets a timerfd hold such a deadline
 * (EXP-024).  What must still hold, under every backend: a deadline that
 * moves earlier while the loop waits is met; a timer that was deleted may
 * wake the loop early but nothing fires early and the loop does not spin;
 * after fork() and event_reinit() the child's far timers fire.  Each test
 * waits about a second, so this file is kept apart from test-timer.c.
 */
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/event.h>

#include "testutil.h"

static double t_start;
static double fired_ms[4];
static int n_fired[4];
static struct event *timers[4];
static const struct timeval *later_tv;
static int later_idx;

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	int i = (int)(intptr_t)arg;
	fired_ms[i] = tu_now_ms() - t_start;
	n_fired[i]++;
	event_base_loopbreak(event_get_base(timers[i]));
}

/* Readable at once: swaps timer 0 for timer later_idx (later_tv away). */
static void
swap_cb(evutil_socket_t fd, short what, void *arg)
{
	tu_drain(fd);
	if (later_idx != 0)
		event_del(timers[0]);
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
 * Timer 0 is due at first_ms (far), and a readable socket runs swap_cb in
 * the first iteration, which adds timer later_idx at then_ms (and deletes
 * timer 0 unless later_idx is 0).  Returns the thread CPU time the
 * dispatch used.
 */
static double
run_swap(const char *method, long first_ms, int idx, long then_ms)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval first = tu_tv_ms(first_ms), then = tu_tv_ms(then_ms);
	int p[2];

	tu_socketpair(p);
	for (int i = 0; i < 4; i++)
		timers[i] = evtimer_new(base, timer_cb, (void *)(intptr_t)i);
	struct event *r = event_new(base, p[0], EV_READ, swap_cb, NULL);
	later_tv = &then;
	later_idx = idx;
	t_start = tu_now_ms();
	cr_assert_eq(evtimer_add(timers[0], &first), 0);
	cr_assert_eq(event_add(r, NULL), 0);
	tu_write1(p[1]);
	double cpu0 = thread_cpu_ms();
	cr_assert_eq(event_base_dispatch(base), 0);
	double cpu = thread_cpu_ms() - cpu0;
	event_free(r);
	for (int i = 0; i < 4; i++)
		event_free(timers[i]);
	close(p[0]);
	close(p[1]);
	tu_base_free(base);
	return cpu;
}

/* Fails if the timerfd is not re-armed when the deadline moves earlier:
 * the loop would sleep until timer 0's 3 s. */
TU_BACKEND_TEST(timer_far, deadline_moved_earlier_is_met, .timeout = 20)
{
	run_swap(method, 3000, 1, 1100);
	cr_assert_eq(n_fired[1], 1);
	cr_assert_eq(n_fired[0], 0, "timer 0 (3 s) fired before timer 1 (1.1 s)");
	cr_assert(fired_ms[1] >= 1100 - 8 && fired_ms[1] <= 1100 + 400,
	    "1.1 s timer fired at %.0f ms", fired_ms[1]);
}

/* Timer 0 (1.1 s) is deleted for timer 1 (1.5 s): the loop may wake at
 * 1.1 s, must not run anything then, and must not spin in the 0.4 s
 * that follow (a timerfd left readable would make every wait return at
 * once). */
TU_BACKEND_TEST(timer_far, deleted_deadline_wakes_early_without_spinning, .timeout = 20)
{
	double cpu = run_swap(method, 1100, 1, 1500);
	cr_assert_eq(n_fired[0], 0);
	cr_assert_eq(n_fired[1], 1);
	cr_assert(fired_ms[1] >= 1500 - 8 && fired_ms[1] <= 1500 + 400,
	    "1.5 s timer fired at %.0f ms", fired_ms[1]);
	cr_assert_lt(cpu, 150, "the loop used %.0f ms of CPU in a 1.5 s wait", cpu);
}

/* The same with a later deadline that is itself far (re-armed, not
 * disarmed, after the early wake). */
TU_BACKEND_TEST(timer_far, deleted_deadline_then_far_again, .timeout = 20)
{
	double cpu = run_swap(method, 1100, 1, 2300);
	cr_assert_eq(n_fired[0], 0);
	cr_assert_eq(n_fired[1], 1);
	cr_assert(fired_ms[1] >= 2300 - 8 && fired_ms[1] <= 2300 + 400,
	    "2.3 s timer fired at %.0f ms", fired_ms[1]);
	cr_assert_lt(cpu, 150, "the loop used %.0f ms of CPU in a 2.3 s wait", cpu);
}

/* The parent armed its far deadline before fork(); the child's loop must
 * meet its own (it has a new epoll instance, and needs a timerfd in it),
 * and the parent's timer must still fire at its time. */
TU_BACKEND_TEST(timer_far, fork_child_meets_far_deadline, .timeout = 20)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval parent_tv = tu_tv_ms(1400), child_tv = tu_tv_ms(1000);

	timers[0] = evtimer_new(base, timer_cb, (void *)0);
	t_start = tu_now_ms();
	cr_assert_eq(evtimer_add(timers[0], &parent_tv), 0);
	/* One non-blocking pass arms whatever holds the parent's deadline. */
	cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (event_reinit(base) != 0)
			_exit(1);
		event_del(timers[0]);
		t_start = tu_now_ms();
		if (evtimer_add(timers[0], &child_tv) != 0)
			_exit(2);
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
	event_free(timers[0]);
	tu_base_free(base);
}
