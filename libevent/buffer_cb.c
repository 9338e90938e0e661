/*
 * buffer_cb.c: evbuffer callbacks, immediate or deferred to the loop.
 *
 * Every operation accumulates the bytes it added and removed in
 * n_add_for_cb / n_del_for_cb and ends in evbuffer__finish().  When
 * callbacks are registered, they run right there with the totals since
 * they last ran (orig_size is derived: the length now, minus what was
 * added, plus what was removed), and the totals restart from zero.
 *
 * After evbuffer_defer_callbacks() the totals keep accumulating and one
 * deferred run is queued on the base; however many changes happen before
 * the loop gets to it, it reports them all at once.  Callbacks flagged
 * EVBUFFER_CB_NODEFER still run immediately; they are told only about the
 * changes they have not seen yet.
 *
 * A callback may add callbacks (they go to the head of the list and do
 * not run in the current pass) or remove itself, and may free the buffer:
 * the dispatcher holds a reference for the duration.
 */
#include <string.h>

#include "defer-internal.h"
#include "evbuffer-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/* Calls one entry with the info of a pass. */
static void
call_entry(struct evbuffer *buf, struct evbuffer_cb_entry *e,
    const struct evbuffer_cb_info *info)
{
	if (e->flags & EVBUFFER_CB_OBSOLETE) {
		size_t new_size = info->orig_size + info->n_added - info->n_deleted;
		e->cb.cb_obsolete(buf, info->orig_size, new_size, e->cbarg);
	} else {
		e->cb.cb_func(buf, info, e->cbarg);
	}
}

/* Runs the enabled callbacks whose NODEFER bit equals nodefer (or all of
 * them when all is set). */
static void
run_pass(struct evbuffer *buf, const struct evbuffer_cb_info *info, int all,
    ev_uint32_t nodefer)
{
	struct evbuffer_cb_entry *e, **pp;

	/* Entries removed during the pass are only marked dead (see
	 * unlink_entry), so e->next stays valid whatever a callback does. */
	buf->cb_depth++;
	for (e = buf->callbacks; e; e = e->next) {
		if (!(e->flags & EVBUFFER_CB_ENABLED))
			continue;
		if (!all && (e->flags & EVBUFFER_CB_NODEFER) != nodefer)
			continue;
		call_entry(buf, e, info);
	}
	if (--buf->cb_depth)
		return;
	for (pp = &buf->callbacks; (e = *pp) != NULL;) {
		if (e->flags & EVBUFFER_CB_DEAD) {
			*pp = e->next;
			mm_free(e);
		} else {
			pp = &e->next;
		}
	}
}

/* Takes the pending totals as one info and restarts them. */
static int
take_info(struct evbuffer *buf, struct evbuffer_cb_info *info)
{
	size_t added = buf->n_add_for_cb, deleted = buf->n_del_for_cb;

	buf->n_add_for_cb = buf->n_del_for_cb = 0;
	buf->nodefer_add_seen = buf->nodefer_del_seen = 0;
	if (!added && !deleted)
		return 0;
	info->orig_size = buf->total_len + deleted - added;
	info->n_added = added;
	info->n_deleted = deleted;
	return 1;
}

/* With deferred callbacks: the NODEFER entries, then the add hook, about
 * the changes they have not been told about yet. */
static void
run_nodefer(struct evbuffer *buf)
{
	struct evbuffer_cb_info info;
	size_t added = buf->n_add_for_cb - buf->nodefer_add_seen;
	size_t deleted = buf->n_del_for_cb - buf->nodefer_del_seen;
	int any = 0;

	for (struct evbuffer_cb_entry *e = buf->callbacks; e; e = e->next)
		any |= (e->flags & EVBUFFER_CB_NODEFER) != 0;
	if ((!any && !buf->add_hook) || (!added && !deleted))
		return;
	buf->nodefer_add_seen = buf->n_add_for_cb;
	buf->nodefer_del_seen = buf->n_del_for_cb;
	info.orig_size = buf->total_len + deleted - added;
	info.n_added = added;
	info.n_deleted = deleted;
	if (any)
		run_pass(buf, &info, 0, EVBUFFER_CB_NODEFER);
	if (added && buf->add_hook)
		buf->add_hook(buf, buf->add_hook_arg);
}

void
evbuffer__dispatch_callbacks(struct evbuffer *buf)
{
	struct evbuffer_cb_info info;

	if (!buf->deferred_cbs) {
		if (!take_info(buf, &info))
			return;
		run_pass(buf, &info, 1, 0);
		/* Reloaded: a callback may have removed the hook. */
		if (info.n_added && buf->add_hook)
			buf->add_hook(buf, buf->add_hook_arg);
		return;
	}
	run_nodefer(buf);
	if (event_deferred_cb_schedule_(buf->cb_base, &buf->deferred))
		buf->refcnt++; /* the queue holds the buffer until the run */
}

/* The deferred run, from the event loop. */
static void
deferred_run(struct event_callback *cb, void *arg)
{
	struct evbuffer *buf = arg;
	struct evbuffer_cb_info info;

	(void)cb;
	EVBUFFER_LOCK(buf);
	if (take_info(buf, &info))
		run_pass(buf, &info, 0, 0);
	evbuffer__decref_and_unlock(buf);
}

int
evbuffer__cancel_deferred(struct evbuffer *buf)
{
	if (!buf->deferred_cbs)
		return 0;
	return event_deferred_cb_cancel_(buf->cb_base, &buf->deferred);
}

int
evbuffer_defer_callbacks(struct evbuffer *buf, struct event_base *base)
{
	if (!buf || !base) {
		event_warnx("evbuffer_defer_callbacks: NULL %s", buf ? "base" : "buffer");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	if (evbuffer__cancel_deferred(buf))
		buf->refcnt--; /* cannot reach 0: the caller holds one */
	buf->cb_base = base;
	buf->deferred_cbs = 1;
	event_deferred_cb_init_(&buf->deferred,
	    (ev_uint8_t)(event_base_get_npriorities(base) / 2), deferred_run, buf);
	EVBUFFER_UNLOCK(buf);
	return 0;
}

void
evbuffer__set_add_hook(struct evbuffer *buf, evbuffer_add_hook fn, void *arg)
{
	EVBUFFER_LOCK(buf);
	buf->add_hook = fn;
	buf->add_hook_arg = fn ? arg : NULL;
	EVBUFFER_UNLOCK(buf);
}

/* ---- registration ------------------------------------------------------------ */

static struct evbuffer_cb_entry *
add_entry(struct evbuffer *buf, ev_uint32_t flags)
{
	struct evbuffer_cb_entry *e = mm_calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->flags = flags;
	e->next = buf->callbacks;
	buf->callbacks = e;
	return e;
}

struct evbuffer_cb_entry *
evbuffer_add_cb(struct evbuffer *buf, evbuffer_cb_func cb, void *cbarg)
{
	struct evbuffer_cb_entry *e;

	if (!buf || !cb) {
		event_warnx("evbuffer_add_cb: NULL %s", buf ? "callback" : "buffer");
		return NULL;
	}
	EVBUFFER_LOCK(buf);
	e = add_entry(buf, EVBUFFER_CB_ENABLED);
	if (e) {
		e->cb.cb_func = cb;
		e->cbarg = cbarg;
	}
	EVBUFFER_UNLOCK(buf);
	return e;
}

/* Removes ent if it is on buf's list; 0, or -1 if not.  During a
 * callback pass the entry is only disabled and marked dead. */
static int
unlink_entry(struct evbuffer *buf, struct evbuffer_cb_entry *ent)
{
	for (struct evbuffer_cb_entry **pp = &buf->callbacks; *pp; pp = &(*pp)->next) {
		if (*pp != ent)
			continue;
		if (ent->flags & EVBUFFER_CB_DEAD)
			return -1;
		if (buf->cb_depth) {
			ent->flags = (ent->flags & ~EVBUFFER_CB_ENABLED) | EVBUFFER_CB_DEAD;
		} else {
			*pp = ent->next;
			mm_free(ent);
		}
		return 0;
	}
	return -1;
}

int
evbuffer_remove_cb_entry(struct evbuffer *buf, struct evbuffer_cb_entry *ent)
{
	int rv;

	if (!buf || !ent)
		return -1;
	EVBUFFER_LOCK(buf);
	rv = unlink_entry(buf, ent);
	EVBUFFER_UNLOCK(buf);
	return rv;
}

int
evbuffer_remove_cb(struct evbuffer *buf, evbuffer_cb_func cb, void *cbarg)
{
	int rv = -1;

	if (!buf)
		return -1;
	EVBUFFER_LOCK(buf);
	for (struct evbuffer_cb_entry *e = buf->callbacks; e; e = e->next) {
		if (!(e->flags & (EVBUFFER_CB_OBSOLETE | EVBUFFER_CB_DEAD)) &&
		    e->cb.cb_func == cb &&
		    e->cbarg == cbarg) {
			rv = unlink_entry(buf, e);
			break;
		}
	}
	EVBUFFER_UNLOCK(buf);
	return rv;
}

/* Flags a caller may change: the public one and the internal NODEFER. */
#define SETTABLE_CB_FLAGS (EVBUFFER_CB_ENABLED | EVBUFFER_CB_NODEFER)

int
evbuffer_cb_set_flags(struct evbuffer *buf, struct evbuffer_cb_entry *cb,
    ev_uint32_t flags)
{
	if (!buf || !cb)
		return -1;
	EVBUFFER_LOCK(buf);
	if (!(cb->flags & EVBUFFER_CB_DEAD))
		cb->flags |= flags & SETTABLE_CB_FLAGS;
	EVBUFFER_UNLOCK(buf);
	return 0;
}

int
evbuffer_cb_clear_flags(struct evbuffer *buf, struct evbuffer_cb_entry *cb,
    ev_uint32_t flags)
{
	if (!buf || !cb)
		return -1;
	EVBUFFER_LOCK(buf);
	cb->flags &= ~(flags & SETTABLE_CB_FLAGS);
	EVBUFFER_UNLOCK(buf);
	return 0;
}

int
evbuffer_setcb(struct evbuffer *buf, evbuffer_cb cb, void *cbarg)
{
	struct evbuffer_cb_entry *e;
	int rv = 0;

	if (!buf) {
		event_warnx("evbuffer_setcb: NULL buffer");
		return -1;
	}
	EVBUFFER_LOCK(buf);
	if (buf->cb_depth) {
		for (e = buf->callbacks; e; e = e->next)
			e->flags = (e->flags & ~EVBUFFER_CB_ENABLED) | EVBUFFER_CB_DEAD;
	} else {
		while ((e = buf->callbacks) != NULL) {
			buf->callbacks = e->next;
			mm_free(e);
		}
	}
	if (cb) {
		e = add_entry(buf, EVBUFFER_CB_ENABLED | EVBUFFER_CB_OBSOLETE);
		if (e) {
			e->cb.cb_obsolete = cb;
			e->cbarg = cbarg;
		} else {
			rv = -1;
		}
	}
	EVBUFFER_UNLOCK(buf);
	return rv;
}
