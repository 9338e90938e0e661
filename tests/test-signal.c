/*
 * test-signal.c: signal events.  One and several events per signal,
 * one-shot signal events, timeouts on signal events, restoring the
 * program's previous disposition when the last event goes away, and
 * handing signals from one base to the next.  Every test runs under each
 * backend (TU_BACKEND_TEST).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/event.h>

#include "testutil.h"

static int n_sig[3];
static short sig_what;
static evutil_socket_t sig_fd;

static void
sig_cb(evutil_socket_t fd, short what, void *arg)
{
	n_sig[(int)(intptr_t)arg]++;
	sig_what = what;
	sig_fd = fd;
}

static volatile sig_atomic_t n_own;

static void
own_handler(int sig)
{
	n_own++;
}

/* The current disposition of sig. */
static void (*disposition(int sig))(int)
{
	struct sigaction sa;

	cr_assert_eq(sigaction(sig, NULL, &sa), 0);
	return sa.sa_handler;
}

static void
install_own(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = own_handler;
	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(sig, &sa, NULL), 0);
}

/* A persistent timer that raises SIGUSR1 every tick until told to stop. */
static int raises_left;

static void
raise_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	if (raises_left-- > 0)
		raise(SIGUSR1);
	else
		event_del(arg);
}

TU_BACKEND_TEST(signal, persistent_signal_event, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval tick = tu_tv_ms(10);
	struct event *s = evsignal_new(base, SIGUSR1, sig_cb, (void *)0);
	struct event *t = event_new(base, -1, EV_PERSIST, raise_tick_cb,
	    event_self_cbarg());

	cr_assert_eq(evsignal_add(s, NULL), 0);
	cr_assert_eq(evsignal_pending(s, NULL), EV_SIGNAL);
	cr_assert_eq(event_add(t, &tick), 0);
	raises_left = 3;
	/* The loop stays up as long as the signal event is added: break it
	 * from a timer once the ticks are done. */
	{
		struct timeval stop = tu_tv_ms(500);

		cr_assert_eq(event_base_loopexit(base, &stop), 0);
	}
	cr_assert_eq(event_base_dispatch(base), 0);
	cr_assert_eq(n_sig[0], 3);
	cr_assert_eq(sig_what, EV_SIGNAL);
	cr_assert_eq(sig_fd, SIGUSR1);
	cr_assert_eq(evsignal_pending(s, NULL), EV_SIGNAL);
	event_free(s);
	event_free(t);
	tu_base_free(base);
}

TU_BACKEND_TEST(signal, raised_before_dispatch, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *s = event_new(base, SIGUSR1, EV_SIGNAL, sig_cb, (void *)0);

	cr_assert_eq(event_add(s, NULL), 0);
	raise(SIGUSR1);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_sig[0], 1);
	event_free(s);
	tu_base_free(base);
}

TU_BACKEND_TEST(signal, two_events_one_signal, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *a = event_new(base, SIGUSR1, EV_SIGNAL, sig_cb, (void *)0);
	struct event *b = event_new(base, SIGUSR1, EV_SIGNAL, sig_cb, (void *)1);
	struct event *other = event_new(base, SIGUSR2, EV_SIGNAL, sig_cb, (void *)2);
	struct timeval stop = tu_tv_ms(300);

	cr_assert_eq(event_add(a, NULL), 0);
	cr_assert_eq(event_add(b, NULL), 0);
	cr_assert_eq(event_add(other, NULL), 0);
	raise(SIGUSR1);
	cr_assert_eq(event_base_loopexit(base, &stop), 0);
	cr_assert_eq(event_base_dispatch(base), 0);
	cr_assert_eq(n_sig[0], 1);
	cr_assert_eq(n_sig[1], 1);
	cr_assert_eq(n_sig[2], 0, "SIGUSR2's event ran for SIGUSR1");
	cr_assert(evsignal_pending(other, NULL));
	event_free(a);
	event_free(b);
	event_free(other);
	tu_base_free(base);
}

TU_BACKEND_TEST(signal, oneshot_signal_event, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *s = event_new(base, SIGUSR1, EV_SIGNAL, sig_cb, (void *)0);

	install_own(SIGUSR1);
	cr_assert_eq(event_add(s, NULL), 0);
	cr_assert_neq(disposition(SIGUSR1), own_handler);
	raise(SIGUSR1);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_sig[0], 1);
	cr_assert_eq(evsignal_pending(s, NULL), 0);
	/* The fired one-shot was the last event on SIGUSR1. */
	cr_assert_eq(disposition(SIGUSR1), own_handler);
	raise(SIGUSR1);
	cr_assert_eq(n_own, 1);
	event_free(s);
	tu_base_free(base);
}

TU_BACKEND_TEST(signal, previous_handler_restored_after_last_del, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *a = evsignal_new(base, SIGUSR1, sig_cb, (void *)0);
	struct event *b = evsignal_new(base, SIGUSR1, sig_cb, (void *)1);

	install_own(SIGUSR1);
	cr_assert_eq(evsignal_add(a, NULL), 0);
	cr_assert_eq(evsignal_add(b, NULL), 0);
	cr_assert_neq(disposition(SIGUSR1), own_handler);
	cr_assert_eq(evsignal_del(a), 0);
	/* One event left: the signal still goes to the base. */
	cr_assert_neq(disposition(SIGUSR1), own_handler);
	raise(SIGUSR1);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(n_sig[0], 0);
	cr_assert_eq(n_sig[1], 1);
	cr_assert_eq(n_own, 0);
	cr_assert_eq(evsignal_del(b), 0);
	cr_assert_eq(disposition(SIGUSR1), own_handler);
	raise(SIGUSR1);
	cr_assert_eq(n_own, 1);
	event_free(a);
	event_free(b);
	tu_base_free(base);
}

TU_BACKEND_TEST(signal, ignored_disposition_restored, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *s = evsignal_new(base, SIGUSR2, sig_cb, (void *)0);

	cr_assert_neq(signal(SIGUSR2, SIG_IGN), SIG_ERR);
	cr_assert_eq(evsignal_add(s, NULL), 0);
	cr_assert_neq(disposition(SIGUSR2), SIG_IGN);
	raise(SIGUSR2);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(n_sig[0], 1);
	cr_assert_eq(evsignal_del(s), 0);
	cr_assert_eq(disposition(SIGUSR2), SIG_IGN);
	event_free(s);
	tu_base_free(base);
}

TU_BACKEND_TEST(signal, base_free_restores_handler, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *s = evsignal_new(base, SIGUSR1, sig_cb, (void *)0);

	install_own(SIGUSR1);
	cr_assert_eq(evsignal_add(s, NULL), 0);
	cr_assert_neq(disposition(SIGUSR1), own_handler);
	/* Freed with the event still added. */
	tu_base_free(base);
	cr_assert_eq(disposition(SIGUSR1), own_handler);
	raise(SIGUSR1);
	cr_assert_eq(n_own, 1);
	/* event_free would reach into the freed base; the struct itself came
	 * from the default allocator. */
	free(s);
}

TU_BACKEND_TEST(signal, timeout_on_signal_event, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct timeval t30 = tu_tv_ms(30);
	struct event *s = evsignal_new(base, SIGUSR1, sig_cb, (void *)0);
	double t0 = tu_now_ms();

	cr_assert_eq(evsignal_add(s, &t30), 0);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(n_sig[0], 1);
	cr_assert_eq(sig_what, EV_TIMEOUT);
	cr_assert_geq(tu_now_ms() - t0, 22.0);
	cr_assert_eq(evsignal_del(s), 0);
	event_free(s);
	tu_base_free(base);
}

static void
del_self_sig_cb(evutil_socket_t fd, short what, void *arg)
{
	n_sig[0]++;
	cr_assert_eq(event_del(arg), 0);
}

TU_BACKEND_TEST(signal, del_in_callback, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *s = evsignal_new(base, SIGUSR1, del_self_sig_cb,
	    event_self_cbarg());

	install_own(SIGUSR1);
	cr_assert_eq(evsignal_add(s, NULL), 0);
	raise(SIGUSR1);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(n_sig[0], 1);
	cr_assert_eq(disposition(SIGUSR1), own_handler);
	event_free(s);
	tu_base_free(base);
}

static void
run_one_raise(struct event_base *base, int id)
{
	struct event *s = evsignal_new(base, SIGUSR1, sig_cb, (void *)(intptr_t)id);

	cr_assert_eq(evsignal_add(s, NULL), 0);
	raise(SIGUSR1);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(n_sig[id], 1, "base %d missed its signal", id);
	cr_assert_eq(evsignal_del(s), 0);
	event_free(s);
}

TU_BACKEND_TEST(signal, two_bases_sequentially, .timeout = 10)
{
	struct event_base *b1 = tu_base_new(method, 0);
	struct event_base *b2 = tu_base_new(method, 0);

	/* Both bases alive; signals used by one, then by the other. */
	run_one_raise(b1, 0);
	run_one_raise(b2, 1);
	run_one_raise(b1, 2);
	tu_base_free(b1);
	tu_base_free(b2);
}

TU_BACKEND_TEST(signal, next_base_after_free, .timeout = 10)
{
	struct event_base *b1 = tu_base_new(method, 0);
	struct event_base *b2;
	struct event *left = evsignal_new(b1, SIGUSR1, sig_cb, (void *)2);

	run_one_raise(b1, 0);
	cr_assert_eq(evsignal_add(left, NULL), 0);
	tu_base_free(b1);	/* with a signal event still added */
	free(left);	/* not event_free: its base is gone */
	b2 = tu_base_new(method, 0);
	run_one_raise(b2, 1);
	cr_assert_eq(n_sig[2], 0);
	tu_base_free(b2);
}

static void *
kill_later(void *arg)
{
	tu_sleep_ms(50);
	kill(getpid(), SIGUSR1);
	return NULL;
}

TU_BACKEND_TEST(signal, signal_wakes_sleeping_loop, .timeout = 10)
{
	struct event_base *base = tu_base_new(method, 0);
	struct event *s = event_new(base, SIGUSR1, EV_SIGNAL, sig_cb, (void *)0);
	struct timeval t5s = tu_tv_ms(5000);
	struct event *guard = evtimer_new(base, sig_cb, (void *)1);
	pthread_t th;
	double t0 = tu_now_ms();

	cr_assert_eq(event_add(s, NULL), 0);
	cr_assert_eq(evtimer_add(guard, &t5s), 0);
	cr_assert_eq(pthread_create(&th, NULL, kill_later, NULL), 0);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	pthread_join(th, NULL);
	cr_assert_eq(n_sig[0], 1);
	cr_assert_eq(n_sig[1], 0);
	cr_assert_lt(tu_now_ms() - t0, 2000.0);
	event_free(s);
	event_free(guard);
	tu_base_free(base);
}
