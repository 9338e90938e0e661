/*
 * bufferevent_ratelim.c: token-bucket rate limits for bufferevents, alone
 * and in groups.
 *
 * A bucket holds a byte budget per direction.  Time is cut into ticks
 * (cfg->msec_per_tick, on the monotonic clock); every tick adds *_rate
 * bytes, up to *_burst.  A fresh bucket starts with one tick's worth.
 * Reads and writes take what they moved out of the bucket (it may go
 * negative: the kernel can hand us more than we asked for no longer, but
 * users can overdraw with the decrement calls), and a direction whose
 * bucket is empty is suspended (BEV_SUSPEND_BW) until a timer refills it.
 *
 * A group is one more bucket shared by its members.  Each member may move
 * at most bucket / members per call, but never less than min_share (small
 * shares would mean tiny packets); the group may thus overdraw, which the
 * following ticks pay back.  When the group bucket is empty, members that
 * want to move data suspend themselves (BEV_SUSPEND_BW_GROUP) and the
 * group's tick timer wakes them all after the refill.
 *
 * Locks, when threading is on: a member's lock may be held while the
 * group lock is taken, never the other way round; the group timer only
 * *tries* members' locks and retries the ones it could not get on the
 * next tick.
 */
#include <errno.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>

#include "bufferevent-internal.h"
#include "log-internal.h"
#include "mm-internal.h"
#include "thread-internal.h"

struct ev_token_bucket_cfg {
	size_t read_rate;
	size_t read_maximum;
	size_t write_rate;
	size_t write_maximum;
	struct timeval tick_timeout;
	unsigned msec_per_tick;
};

struct ev_token_bucket {
	ev_ssize_t read_limit;
	ev_ssize_t write_limit;
	ev_uint32_t last_updated; /* tick of the last refill */
};

struct bufferevent_rate_limit {
	struct bufferevent_private *bevp;
	struct ev_token_bucket_cfg *cfg; /* NULL: no own limit */
	struct ev_token_bucket limit;
	struct event refill_event;       /* wakes us after an empty bucket */
	struct bufferevent_rate_limit_group *group;
	TAILQ_ENTRY(bufferevent_rate_limit) next_in_group;
};

struct bufferevent_rate_limit_group {
	TAILQ_HEAD(rl_members, bufferevent_rate_limit) members;
	int n_members;
	struct ev_token_bucket_cfg cfg;
	struct ev_token_bucket limit;
	ev_ssize_t configured_min_share;
	ev_ssize_t min_share;
	unsigned read_suspended : 1;
	unsigned write_suspended : 1;
	unsigned retry_unsuspend : 1; /* some member's lock was busy */
	ev_uint64_t total_read;
	ev_uint64_t total_written;
	struct event tick_event;      /* persistent, once per tick */
	struct event_base *base;
	void *lock;
};

#define GROUP_LOCK(g) EVLOCK_LOCK((g)->lock)
#define GROUP_UNLOCK(g) EVLOCK_UNLOCK((g)->lock)

#define DEFAULT_MIN_SHARE 64

/* ---- buckets --------------------------------------------------------------- */

static ev_uint32_t
current_tick(struct event_base *base, const struct ev_token_bucket_cfg *cfg)
{
	struct timeval now;
	ev_uint64_t msec;

	if (event_gettime_monotonic(base, &now) < 0)
		gettimeofday(&now, NULL);
	msec = (ev_uint64_t)now.tv_sec * 1000 + (ev_uint64_t)now.tv_usec / 1000;
	return (ev_uint32_t)(msec / cfg->msec_per_tick);
}

static ev_ssize_t
refill_one(ev_ssize_t have, size_t rate, size_t maximum, ev_uint32_t ticks)
{
	/* Saturates at maximum; "have" may be negative after overdraft. */
	ev_int64_t room = (ev_int64_t)maximum - have;

	if (room <= 0)
		return have;
	if (rate != 0 && (ev_uint64_t)room / rate < ticks)
		return (ev_ssize_t)maximum;
	return have + (ev_ssize_t)(rate * ticks);
}

/* Brings b up to date with tick now.  1 if it changed. */
static int
bucket_update(struct ev_token_bucket *b, const struct ev_token_bucket_cfg *cfg,
    ev_uint32_t now)
{
	ev_uint32_t ticks = now - b->last_updated;

	if (ticks == 0 || ticks > (ev_uint32_t)INT32_MAX)
		return 0;
	b->read_limit = refill_one(b->read_limit, cfg->read_rate, cfg->read_maximum, ticks);
	b->write_limit = refill_one(b->write_limit, cfg->write_rate, cfg->write_maximum, ticks);
	b->last_updated = now;
	return 1;
}

/* A fresh bucket holds one tick's worth; a reconfigured one is only
 * clipped to the new maximum, since its budget was partly spent. */
static void
bucket_init(struct ev_token_bucket *b, const struct ev_token_bucket_cfg *cfg,
    ev_uint32_t now, int reinit)
{
	if (reinit) {
		if (b->read_limit > (ev_ssize_t)cfg->read_maximum)
			b->read_limit = (ev_ssize_t)cfg->read_maximum;
		if (b->write_limit > (ev_ssize_t)cfg->write_maximum)
			b->write_limit = (ev_ssize_t)cfg->write_maximum;
	} else {
		b->read_limit = (ev_ssize_t)cfg->read_rate;
		b->write_limit = (ev_ssize_t)cfg->write_rate;
		b->last_updated = now;
	}
}

struct ev_token_bucket_cfg *
ev_token_bucket_cfg_new(size_t read_rate, size_t read_burst,
    size_t write_rate, size_t write_burst, const struct timeval *tick_len)
{
	struct ev_token_bucket_cfg *cfg;
	struct timeval one_second = { 1, 0 };

	if (read_rate > read_burst || write_rate > write_burst ||
	    read_burst > (size_t)EV_RATE_LIMIT_MAX || write_burst > (size_t)EV_RATE_LIMIT_MAX) {
		event_warnx("ev_token_bucket_cfg_new: a rate exceeds its burst or the maximum");
		return NULL;
	}
	if (tick_len == NULL)
		tick_len = &one_second;
	if (tick_len->tv_sec < 0 || tick_len->tv_usec < 0 || tick_len->tv_usec >= 1000000 ||
	    (tick_len->tv_sec == 0 && tick_len->tv_usec < 1000) ||
	    tick_len->tv_sec > 100000000) {
		event_warnx("ev_token_bucket_cfg_new: tick length must be at least 1 ms");
		return NULL;
	}
	cfg = mm_calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		event_warn("ev_token_bucket_cfg_new: out of memory");
		return NULL;
	}
	cfg->read_rate = read_rate;
	cfg->read_maximum = read_burst;
	cfg->write_rate = write_rate;
	cfg->write_maximum = write_burst;
	cfg->tick_timeout = *tick_len;
	cfg->msec_per_tick = (unsigned)(tick_len->tv_sec * 1000 + tick_len->tv_usec / 1000);
	return cfg;
}

void
ev_token_bucket_cfg_free(struct ev_token_bucket_cfg *cfg)
{
	mm_free(cfg);
}

/* ---- one bufferevent's bucket -------------------------------------------- */

static void refill_cb(evutil_socket_t fd, short what, void *arg);

static struct bufferevent_rate_limit *
get_rate_limit(struct bufferevent_private *bevp)
{
	struct bufferevent_rate_limit *rl = bevp->rate_limiting;

	if (rl)
		return rl;
	rl = mm_calloc(1, sizeof(*rl));
	if (rl == NULL) {
		event_warn("bufferevent rate limit: out of memory");
		return NULL;
	}
	rl->bevp = bevp;
	/* The argument is the bufferevent, not rl: the callback must be
	 * able to tell a dying bufferevent before touching anything. */
	event_assign(&rl->refill_event, bevp->bev.ev_base, -1, EV_FINALIZE, refill_cb, bevp);
	bevp->rate_limiting = rl;
	return rl;
}

/* Suspends or resumes each direction to match the bucket, arming the
 * refill timer while anything waits.  Lock held. */
static void
apply_bucket(struct bufferevent_rate_limit *rl)
{
	struct bufferevent *bev = &rl->bevp->bev;
	int waiting = 0;

	if (rl->limit.read_limit > 0) {
		bufferevent__unsuspend_read(bev, BEV_SUSPEND_BW);
	} else {
		bufferevent__suspend_read(bev, BEV_SUSPEND_BW);
		waiting = 1;
	}
	if (rl->limit.write_limit > 0) {
		bufferevent__unsuspend_write(bev, BEV_SUSPEND_BW);
	} else {
		bufferevent__suspend_write(bev, BEV_SUSPEND_BW);
		waiting = 1;
	}
	if (waiting)
		event_add(&rl->refill_event, &rl->cfg->tick_timeout);
	else
		event_del(&rl->refill_event);
}

static void
refill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bufferevent_private *bevp = arg;
	struct bufferevent *bev = &bevp->bev;
	struct bufferevent_rate_limit *rl;

	(void)fd;
	(void)what;
	if (!bufferevent__enter_callback(bev))
		return;
	rl = bevp->rate_limiting;
	if (rl && rl->cfg) {
		bucket_update(&rl->limit, rl->cfg, current_tick(bev->ev_base, rl->cfg));
		apply_bucket(rl);
	}
	bufferevent__decref_and_unlock(bev);
}

int
bufferevent_set_rate_limit(struct bufferevent *bev, struct ev_token_bucket_cfg *cfg)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);
	struct bufferevent_rate_limit *rl;
	int reinit, r = 0;

	BEV_CHECK_ARG(bev, -1);
	BEV_LOCK(bev);
	rl = bevp->rate_limiting;
	if (cfg == NULL) {
		if (rl && rl->cfg) {
			rl->cfg = NULL;
			event_del(&rl->refill_event);
			bufferevent__unsuspend_read(bev, BEV_SUSPEND_BW);
			bufferevent__unsuspend_write(bev, BEV_SUSPEND_BW);
		}
		goto done;
	}
	rl = get_rate_limit(bevp);
	if (rl == NULL) {
		r = -1;
		goto done;
	}
	if (rl->cfg == cfg)
		goto done;
	reinit = rl->cfg != NULL;
	rl->cfg = cfg;
	bucket_init(&rl->limit, cfg, current_tick(bev->ev_base, cfg), reinit);
	apply_bucket(rl);
done:
	BEV_UNLOCK(bev);
	return r;
}

const struct ev_token_bucket_cfg *
bufferevent_get_token_bucket_cfg(const struct bufferevent *bev)
{
	struct bufferevent_private *bevp = BEV_UPCAST(bev);
	const struct ev_token_bucket_cfg *cfg;

	BEV_CHECK_ARG(bev, NULL);
	BEV_LOCK(bev);
	cfg = bevp->rate_limiting ? bevp->rate_limiting->cfg : NULL;
	BEV_UNLOCK(bev);
	return cfg;
}

/* The bufferevent's own bucket for one direction, brought up to date;
 * EV_SSIZE_MAX when it is not rate limited. */
static ev_ssize_t
own_limit(struct bufferevent *bev, int is_write)
{
	struct bufferevent_rate_limit *rl;
	ev_ssize_t r = EV_SSIZE_MAX;

	BEV_CHECK_ARG(bev, -1);
	BEV_LOCK(bev);
	rl = BEV_UPCAST(bev)->rate_limiting;
	if (rl && rl->cfg) {
		bucket_update(&rl->limit, rl->cfg, current_tick(bev->ev_base, rl->cfg));
		r = is_write ? rl->limit.write_limit : rl->limit.read_limit;
	}
	BEV_UNLOCK(bev);
	return r;
}

ev_ssize_t
bufferevent_get_read_limit(struct bufferevent *bev)
{
	return own_limit(bev, 0);
}

ev_ssize_t
bufferevent_get_write_limit(struct bufferevent *bev)
{
	return own_limit(bev, 1);
}

/* Moves a bucket by -decr; suspension follows when it crosses zero. */
static int
decrement_own(struct bufferevent *bev, ev_ssize_t decr, int is_write, const char *fn)
{
	struct bufferevent_rate_limit *rl;
	ev_ssize_t *limit;
	int r = 0;

	BEV_CHECK_ARG(bev, -1);
	BEV_LOCK(bev);
	rl = BEV_UPCAST(bev)->rate_limiting;
	if (rl == NULL || rl->cfg == NULL) {
		event_warnx("%s: the bufferevent has no rate limit", fn);
		r = -1;
	} else {
		limit = is_write ? &rl->limit.write_limit : &rl->limit.read_limit;
		*limit -= decr;
		apply_bucket(rl);
	}
	BEV_UNLOCK(bev);
	return r;
}

int
bufferevent_decrement_read_limit(struct bufferevent *bev, ev_ssize_t decr)
{
	return decrement_own(bev, decr, 0, __func__);
}

int
bufferevent_decrement_write_limit(struct bufferevent *bev, ev_ssize_t decr)
{
	return decrement_own(bev, decr, 1, __func__);
}

/* ---- groups ------------------------------------------------------------------ */

/* Tries to lift the group suspension from every member; members whose
 * lock is busy are retried on the next tick.  Group lock held. */
static void
group_wake_members(struct bufferevent_rate_limit_group *g, int is_write)
{
	struct bufferevent_rate_limit *rl;

	TAILQ_FOREACH(rl, &g->members, next_in_group) {
		struct bufferevent *bev = &rl->bevp->bev;
		void *lock = rl->bevp->lock;

		if (lock && evthread_lock_fns_.lock(EVTHREAD_TRY, lock) != 0) {
			g->retry_unsuspend = 1;
			continue;
		}
		if (is_write)
			bufferevent__unsuspend_write(bev, BEV_SUSPEND_BW_GROUP);
		else
			bufferevent__unsuspend_read(bev, BEV_SUSPEND_BW_GROUP);
		EVLOCK_UNLOCK(lock);
	}
}

/* Recomputes the suspension flags from the bucket and wakes members when
 * a direction reopens.  Group lock held. */
static void
group_apply(struct bufferevent_rate_limit_group *g)
{
	int retry = g->retry_unsuspend;

	g->retry_unsuspend = 0;
	if (g->limit.read_limit > 0) {
		if (g->read_suspended || retry) {
			g->read_suspended = 0;
			group_wake_members(g, 0);
		}
	} else {
		g->read_suspended = 1;
	}
	if (g->limit.write_limit > 0) {
		if (g->write_suspended || retry) {
			g->write_suspended = 0;
			group_wake_members(g, 1);
		}
	} else {
		g->write_suspended = 1;
	}
}

static void
group_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bufferevent_rate_limit_group *g = arg;

	(void)fd;
	(void)what;
	GROUP_LOCK(g);
	bucket_update(&g->limit, &g->cfg, current_tick(g->base, &g->cfg));
	group_apply(g);
	GROUP_UNLOCK(g);
}

static void
group_set_min_share(struct bufferevent_rate_limit_group *g, size_t share)
{
	size_t smallest = g->cfg.read_rate < g->cfg.write_rate ? g->cfg.read_rate
	                                                        : g->cfg.write_rate;

	if (share > (size_t)EV_SSIZE_MAX)
		share = (size_t)EV_SSIZE_MAX;
	g->configured_min_share = (ev_ssize_t)share;
	/* A share above one tick's budget could never be honoured. */
	g->min_share = (ev_ssize_t)(share > smallest ? smallest : share);
}

struct bufferevent_rate_limit_group *
bufferevent_rate_limit_group_new(struct event_base *base,
    const struct ev_token_bucket_cfg *cfg)
{
	struct bufferevent_rate_limit_group *g;

	if (base == NULL || cfg == NULL) {
		event_warnx("bufferevent_rate_limit_group_new: NULL %s",
		    base ? "configuration" : "event_base");
		return NULL;
	}
	g = mm_calloc(1, sizeof(*g));
	if (g == NULL) {
		event_warn("bufferevent_rate_limit_group_new: out of memory");
		return NULL;
	}
	TAILQ_INIT(&g->members);
	g->base = base;
	g->cfg = *cfg;
	bucket_init(&g->limit, &g->cfg, current_tick(base, &g->cfg), 0);
	group_set_min_share(g, DEFAULT_MIN_SHARE);
	g->lock = evthread__lock_new();
	event_assign(&g->tick_event, base, -1, EV_PERSIST, group_tick_cb, g);
	if (event_add(&g->tick_event, &g->cfg.tick_timeout) < 0) {
		evthread__lock_free(g->lock);
		mm_free(g);
		return NULL;
	}
	return g;
}

int
bufferevent_rate_limit_group_set_cfg(struct bufferevent_rate_limit_group *g,
    const struct ev_token_bucket_cfg *cfg)
{
	int same_tick;

	if (g == NULL || cfg == NULL) {
		event_warnx("bufferevent_rate_limit_group_set_cfg: NULL argument");
		return -1;
	}
	GROUP_LOCK(g);
	same_tick = evutil_timercmp(&g->cfg.tick_timeout, &cfg->tick_timeout, ==);
	g->cfg = *cfg;
	bucket_init(&g->limit, &g->cfg, 0, 1);
	group_set_min_share(g, (size_t)g->configured_min_share);
	if (!same_tick)
		event_add(&g->tick_event, &g->cfg.tick_timeout);
	group_apply(g);
	GROUP_UNLOCK(g);
	return 0;
}

int
bufferevent_rate_limit_group_set_min_share(struct bufferevent_rate_limit_group *g,
    size_t share)
{
	if (g == NULL) {
		event_warnx("bufferevent_rate_limit_group_set_min_share: NULL group");
		return -1;
	}
	GROUP_LOCK(g);
	group_set_min_share(g, share);
	GROUP_UNLOCK(g);
	return 0;
}

void
bufferevent_rate_limit_group_free(struct bufferevent_rate_limit_group *g)
{
	if (g == NULL)
		return;
	GROUP_LOCK(g);
	if (g->n_members != 0) {
		event_warnx("bufferevent_rate_limit_group_free: the group still has "
		    "%d members; not freed", g->n_members);
		GROUP_UNLOCK(g);
		return;
	}
	event_del(&g->tick_event);
	GROUP_UNLOCK(g);
	evthread__lock_free(g->lock);
	mm_free(g);
}

/* Takes rl out of its group.  Member lock held. */
static void
leave_group(struct bufferevent_rate_limit *rl)
{
	struct bufferevent_rate_limit_group *g = rl->group;

	if (g == NULL)
		return;
	GROUP_LOCK(g);
	TAILQ_REMOVE(&g->members, rl, next_in_group);
	--g->n_members;
	GROUP_UNLOCK(g);
	rl->group = NULL;
	bufferevent__unsuspend_read(&rl->bevp->bev, BEV_SUSPEND_BW_GROUP);
	bufferevent__unsuspend_write(&rl->bevp->bev, BEV_SUSPEND_BW_GROUP);
}

int
bufferevent_add_to_rate_limit_group(struct bufferevent *bev,
    struct bufferevent_rate_limit_group *g)
{
	struct bufferevent_rate_limit *rl;
	int r = 0;

	BEV_CHECK_ARG(bev, -1);
	if (g == NULL)
		return bufferevent_remove_from_rate_limit_group(bev);
	BEV_LOCK(bev);
	rl = get_rate_limit(BEV_UPCAST(bev));
	if (rl == NULL) {
		r = -1;
	} else if (rl->group != g) {
		leave_group(rl);
		GROUP_LOCK(g);
		rl->group = g;
		TAILQ_INSERT_TAIL(&g->members, rl, next_in_group);
		++g->n_members;
		GROUP_UNLOCK(g);
	}
	BEV_UNLOCK(bev);
	return r;
}

int
bufferevent_remove_from_rate_limit_group(struct bufferevent *bev)
{
	BEV_CHECK_ARG(bev, -1);
	BEV_LOCK(bev);
	if (BEV_UPCAST(bev)->rate_limiting)
		leave_group(BEV_UPCAST(bev)->rate_limiting);
	BEV_UNLOCK(bev);
	return 0;
}

#define CHECK_GROUP(g, ret)                                          \
	do {                                                             \
		if ((g) == NULL) {                                           \
			event_warnx("%s: NULL rate-limit group", __func__);      \
			return ret;                                              \
		}                                                            \
	} while (0)

ev_ssize_t
bufferevent_rate_limit_group_get_read_limit(struct bufferevent_rate_limit_group *g)
{
	ev_ssize_t r;

	CHECK_GROUP(g, -1);
	GROUP_LOCK(g);
	r = g->limit.read_limit;
	GROUP_UNLOCK(g);
	return r;
}

ev_ssize_t
bufferevent_rate_limit_group_get_write_limit(struct bufferevent_rate_limit_group *g)
{
	ev_ssize_t r;

	CHECK_GROUP(g, -1);
	GROUP_LOCK(g);
	r = g->limit.write_limit;
	GROUP_UNLOCK(g);
	return r;
}

static int
group_decrement(struct bufferevent_rate_limit_group *g, ev_ssize_t decr, int is_write)
{
	GROUP_LOCK(g);
	if (is_write)
		g->limit.write_limit -= decr;
	else
		g->limit.read_limit -= decr;
	group_apply(g);
	GROUP_UNLOCK(g);
	return 0;
}

int
bufferevent_rate_limit_group_decrement_read(struct bufferevent_rate_limit_group *g,
    ev_ssize_t decr)
{
	CHECK_GROUP(g, -1);
	return group_decrement(g, decr, 0);
}

int
bufferevent_rate_limit_group_decrement_write(struct bufferevent_rate_limit_group *g,
    ev_ssize_t decr)
{
	CHECK_GROUP(g, -1);
	return group_decrement(g, decr, 1);
}

void
bufferevent_rate_limit_group_get_totals(struct bufferevent_rate_limit_group *g,
    ev_uint64_t *total_read_out, ev_uint64_t *total_written_out)
{
	CHECK_GROUP(g, );
	GROUP_LOCK(g);
	if (total_read_out)
		*total_read_out = g->total_read;
	if (total_written_out)
		*total_written_out = g->total_written;
	GROUP_UNLOCK(g);
}

void
bufferevent_rate_limit_group_reset_totals(struct bufferevent_rate_limit_group *g)
{
	CHECK_GROUP(g, );
	GROUP_LOCK(g);
	g->total_read = g->total_written = 0;
	GROUP_UNLOCK(g);
}

/* ---- hooks for the transports ------------------------------------------------ */

/* The group's allowance for one call, 0 when the group is exhausted.
 * Group lock taken here (member lock held by the caller). */
static ev_ssize_t
group_share(struct bufferevent_rate_limit_group *g, int is_write)
{
	ev_ssize_t have, share;

	GROUP_LOCK(g);
	if (is_write ? g->write_suspended : g->read_suspended) {
		share = 0;
	} else {
		have = is_write ? g->limit.write_limit : g->limit.read_limit;
		share = have / (g->n_members > 0 ? g->n_members : 1);
		if (share < g->min_share)
			share = g->min_share;
		if (share <= 0)
			share = 0;
	}
	GROUP_UNLOCK(g);
	return share;
}

static ev_ssize_t
get_max(struct bufferevent_private *bevp, int is_write)
{
	struct bufferevent_rate_limit *rl = bevp->rate_limiting;
	ev_ssize_t r = is_write ? bevp->max_single_write : bevp->max_single_read;

	if (rl == NULL)
		return r;
	if (rl->cfg) {
		ev_ssize_t own;
		bucket_update(&rl->limit, rl->cfg, current_tick(bevp->bev.ev_base, rl->cfg));
		own = is_write ? rl->limit.write_limit : rl->limit.read_limit;
		if (own < r)
			r = own;
	}
	if (rl->group) {
		ev_ssize_t share = group_share(rl->group, is_write);
		if (share < r)
			r = share;
		if (share == 0) {
			/* Wait for the group's tick to wake us. */
			if (is_write)
				bufferevent__suspend_write(&bevp->bev, BEV_SUSPEND_BW_GROUP);
			else
				bufferevent__suspend_read(&bevp->bev, BEV_SUSPEND_BW_GROUP);
		}
	}
	return r > 0 ? r : 0;
}

ev_ssize_t
bufferevent__get_read_max(struct bufferevent_private *bevp)
{
	return get_max(bevp, 0);
}

ev_ssize_t
bufferevent__get_write_max(struct bufferevent_private *bevp)
{
	return get_max(bevp, 1);
}

static int
decrement_buckets(struct bufferevent_private *bevp, ev_ssize_t bytes, int is_write)
{
	struct bufferevent_rate_limit *rl = bevp->rate_limiting;

	if (rl == NULL)
		return 0;
	if (rl->cfg) {
		ev_ssize_t *limit = is_write ? &rl->limit.write_limit : &rl->limit.read_limit;
		ev_ssize_t before = *limit;
		*limit -= bytes;
		if ((before > 0) != (*limit > 0))
			apply_bucket(rl);
	}
	if (rl->group) {
		struct bufferevent_rate_limit_group *g = rl->group;
		GROUP_LOCK(g);
		if (is_write) {
			g->limit.write_limit -= bytes;
			g->total_written += (ev_uint64_t)bytes;
		} else {
			g->limit.read_limit -= bytes;
			g->total_read += (ev_uint64_t)bytes;
		}
		group_apply(g);
		GROUP_UNLOCK(g);
	}
	return 0;
}

int
bufferevent__decrement_read_buckets(struct bufferevent_private *bevp, ev_ssize_t bytes)
{
	return decrement_buckets(bevp, bytes, 0);
}

int
bufferevent__decrement_write_buckets(struct bufferevent_private *bevp, ev_ssize_t bytes)
{
	return decrement_buckets(bevp, bytes, 1);
}

ev_ssize_t
bufferevent_get_max_to_read(struct bufferevent *bev)
{
	ev_ssize_t r;

	BEV_CHECK_ARG(bev, -1);
	BEV_LOCK(bev);
	r = get_max(BEV_UPCAST(bev), 0);
	BEV_UNLOCK(bev);
	return r;
}

ev_ssize_t
bufferevent_get_max_to_write(struct bufferevent *bev)
{
	ev_ssize_t r;

	BEV_CHECK_ARG(bev, -1);
	BEV_LOCK(bev);
	r = get_max(BEV_UPCAST(bev), 1);
	BEV_UNLOCK(bev);
	return r;
}

void
bufferevent__ratelim_detach(struct bufferevent_private *bevp)
{
	struct bufferevent_rate_limit *rl = bevp->rate_limiting;

	if (rl == NULL)
		return;
	leave_group(rl);
	rl->cfg = NULL;
	event_del(&rl->refill_event);
}

struct event *
bufferevent__ratelim_event(struct bufferevent_private *bevp)
{
	return bevp->rate_limiting ? &bevp->rate_limiting->refill_event : NULL;
}

void
bufferevent__ratelim_free(struct bufferevent_private *bevp)
{
	mm_free(bevp->rate_limiting);
	bevp->rate_limiting = NULL;
}
