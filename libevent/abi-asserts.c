/*
 * abi-asserts.c: the public struct layouts of the event core, pinned at
 * compile time.  A separate translation unit on purpose: it sees only the
 * public headers, not the engine's internal field-name shorthands.
 */
#include <stddef.h>

#include <event2/event.h>
#include <event2/event_struct.h>

/* The ABI of struct event and struct event_callback on x86-64
 * (tests/abi/LAYOUT-x86_64.txt): applications embed struct event, so its
 * size and every offset are fixed. */
#define EV_ASSERT_AT(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #type "." #field " offset")
_Static_assert(sizeof(struct event_callback) == 40, "struct event_callback size");
EV_ASSERT_AT(struct event_callback, evcb_active_next, 0);
EV_ASSERT_AT(struct event_callback, evcb_flags, 16);
EV_ASSERT_AT(struct event_callback, evcb_pri, 18);
EV_ASSERT_AT(struct event_callback, evcb_closure, 19);
EV_ASSERT_AT(struct event_callback, evcb_cb_union, 24);
EV_ASSERT_AT(struct event_callback, evcb_arg, 32);
_Static_assert(sizeof(struct event) == 128, "struct event size");
EV_ASSERT_AT(struct event, ev_evcallback, 0);
EV_ASSERT_AT(struct event, ev_timeout_pos, 40);
EV_ASSERT_AT(struct event, ev_fd, 56);
EV_ASSERT_AT(struct event, ev_base, 64);
EV_ASSERT_AT(struct event, ev_, 72);
EV_ASSERT_AT(struct event, ev_.ev_io.ev_timeout, 88);
EV_ASSERT_AT(struct event, ev_.ev_signal.ev_ncalls, 88);
EV_ASSERT_AT(struct event, ev_.ev_signal.ev_pncalls, 96);
EV_ASSERT_AT(struct event, ev_events, 104);
EV_ASSERT_AT(struct event, ev_res, 106);
EV_ASSERT_AT(struct event, ev_timeout, 112);
