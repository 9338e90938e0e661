/*
 * minheap-internal.h: a binary min-heap of events ordered by ev_timeout.
 * Each event remembers its slot (ev_timeout_pos.min_heap_idx, -1 when not
 * on the heap), so removal and re-keying are O(log n) without a search.
 */
#ifndef MINHEAP_INTERNAL_H_INCLUDED_
#define MINHEAP_INTERNAL_H_INCLUDED_

#include <stddef.h>
#include <event2/event_struct.h>
#include <event2/util.h>
#include "mm-internal.h"

struct min_heap {
	struct event **p;
	unsigned n, cap;
};

#define MH_IDX(e) ((e)->ev_timeout_pos.min_heap_idx)

static inline int
min_heap_greater_(const struct event *a, const struct event *b)
{
	return evutil_timercmp(&a->ev_timeout, &b->ev_timeout, >);
}

static inline void
min_heap_ctor_(struct min_heap *h)
{
	h->p = NULL;
	h->n = h->cap = 0;
}

static inline void
min_heap_dtor_(struct min_heap *h)
{
	mm_free(h->p);
	min_heap_ctor_(h);
}

static inline void
min_heap_elem_init_(struct event *e)
{
	MH_IDX(e) = -1;
}

static inline int
min_heap_elt_is_top_(const struct event *e)
{
	return MH_IDX(e) == 0;
}

static inline struct event *
min_heap_top_(const struct min_heap *h)
{
	return h->n ? h->p[0] : NULL;
}

/* Makes room for n elements.  0, or -1 on allocation failure. */
static inline int
min_heap_reserve_(struct min_heap *h, unsigned n)
{
	if (h->cap >= n)
		return 0;
	unsigned cap = h->cap ? h->cap * 2 : 8;
	while (cap < n)
		cap *= 2;
	struct event **p = mm_realloc(h->p, cap * sizeof(*p));
	if (!p)
		return -1;
	h->p = p;
	h->cap = cap;
	return 0;
}

static inline void
min_heap_place_(struct min_heap *h, unsigned idx, struct event *e)
{
	h->p[idx] = e;
	MH_IDX(e) = (int)idx;
}

static inline void
min_heap_shift_up_(struct min_heap *h, unsigned hole, struct event *e)
{
	while (hole > 0) {
		unsigned parent = (hole - 1) / 2;
		if (!min_heap_greater_(h->p[parent], e))
			break;
		min_heap_place_(h, hole, h->p[parent]);
		hole = parent;
	}
	min_heap_place_(h, hole, e);
}

static inline void
min_heap_shift_down_(struct min_heap *h, unsigned hole, struct event *e)
{
	for (;;) {
		unsigned child = 2 * hole + 2;
		if (child > h->n)
			break;
		if (child == h->n || min_heap_greater_(h->p[child], h->p[child - 1]))
			child--;
		if (!min_heap_greater_(e, h->p[child]))
			break;
		min_heap_place_(h, hole, h->p[child]);
		hole = child;
	}
	min_heap_place_(h, hole, e);
}

/* 0, or -1 on allocation failure (reserve first to make this infallible). */
static inline int
min_heap_push_(struct min_heap *h, struct event *e)
{
	if (min_heap_reserve_(h, h->n + 1) < 0)
		return -1;
	min_heap_shift_up_(h, h->n++, e);
	return 0;
}

static inline struct event *
min_heap_pop_(struct min_heap *h)
{
	if (!h->n)
		return NULL;
	struct event *top = h->p[0];
	struct event *last = h->p[--h->n];
	if (h->n)
		min_heap_shift_down_(h, 0, last);
	MH_IDX(top) = -1;
	return top;
}

/* Removes e from wherever it sits.  0, or -1 if e is not on the heap. */
static inline int
min_heap_erase_(struct min_heap *h, struct event *e)
{
	int idx = MH_IDX(e);
	if (idx < 0 || (unsigned)idx >= h->n || h->p[idx] != e)
		return -1;
	struct event *last = h->p[--h->n];
	if ((unsigned)idx != h->n) {
		unsigned parent = idx ? (unsigned)(idx - 1) / 2 : 0;
		if (idx > 0 && min_heap_greater_(h->p[parent], last))
			min_heap_shift_up_(h, (unsigned)idx, last);
		else
			min_heap_shift_down_(h, (unsigned)idx, last);
	}
	MH_IDX(e) = -1;
	return 0;
}

/* Re-keys e after its ev_timeout changed (or pushes it if absent). */
static inline int
min_heap_adjust_(struct min_heap *h, struct event *e)
{
	int idx = MH_IDX(e);
	if (idx < 0)
		return min_heap_push_(h, e);
	unsigned parent = idx ? (unsigned)(idx - 1) / 2 : 0;
	if (idx > 0 && min_heap_greater_(h->p[parent], e))
		min_heap_shift_up_(h, (unsigned)idx, e);
	else
		min_heap_shift_down_(h, (unsigned)idx, e);
	return 0;
}

#endif /* MINHEAP_INTERNAL_H_INCLUDED_ */
