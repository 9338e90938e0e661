/*
 * buffer_file.c: file segments and evbuffer_add_file.
 *
 * A segment is a reference-counted range of a file.  Its bytes reach a
 * socket in one of three ways, chosen per chain when it is added to a
 * buffer:
 *   - sendfile, when the buffer drains to a fd (EVBUFFER_FLAG_DRAINS_TO_FD)
 *     and the segment allows it: the bytes never enter user space;
 *   - a read-only private mapping of the file, unless EVBUF_FS_DISABLE_MMAP;
 *   - otherwise a heap copy read with pread.
 * The in-memory forms are made once per segment, the first time a chain
 * needs them (at creation already when sendfile is disabled, so the bytes
 * are those of the file at that time, as with a copy).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evbuffer-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

static unsigned char empty_contents[1];

static int
map_segment(struct evbuffer_file_segment *seg)
{
	long page = sysconf(_SC_PAGESIZE);
	off_t start, delta;
	void *p;

	if (page <= 0)
		page = 4096;
	start = seg->file_offset & ~((off_t)page - 1);
	delta = seg->file_offset - start;
	if (seg->length > SIZE_MAX - (size_t)delta)
		return -1;
	p = mmap(NULL, seg->length + (size_t)delta, PROT_READ, MAP_PRIVATE, seg->fd, start);
	if (p == MAP_FAILED)
		return -1;
	seg->map_base = p;
	seg->map_len = seg->length + (size_t)delta;
	seg->contents = (unsigned char *)p + delta;
	return 0;
}

static int
read_segment(struct evbuffer_file_segment *seg)
{
	unsigned char *mem = mm_malloc(seg->length);
	size_t got = 0;

	if (!mem) {
		event_warn("evbuffer_file_segment: no memory for %zu bytes", seg->length);
		return -1;
	}
	while (got < seg->length) {
		ssize_t r = pread(seg->fd, mem + got, seg->length - got,
		    seg->file_offset + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				event_warnx("evbuffer_file_segment: fd %d ends before "
				    "offset %lld", seg->fd, (long long)(seg->file_offset + (off_t)got));
			else
				event_warn("evbuffer_file_segment: pread(%d)", seg->fd);
			mm_free(mem);
			return -1;
		}
		got += (size_t)r;
	}
	seg->contents = mem;
	return 0;
}

int
evbuffer_file_segment__materialize(struct evbuffer_file_segment *seg)
{
	int rv = 0;

	EVLOCK_LOCK(seg->lock);
	if (seg->contents)
		goto out;
	if (!seg->length) {
		seg->contents = empty_contents;
		goto out;
	}
	if (!(seg->flags & EVBUF_FS_DISABLE_MMAP) && map_segment(seg) == 0)
		goto out;
	rv = read_segment(seg);
out:
	EVLOCK_UNLOCK(seg->lock);
	return rv;
}

void
evbuffer_file_segment__ref(struct evbuffer_file_segment *seg)
{
	EVLOCK_LOCK(seg->lock);
	seg->refcnt++;
	EVLOCK_UNLOCK(seg->lock);
}

struct evbuffer_file_segment *
evbuffer_file_segment_new(int fd, ev_off_t offset, ev_off_t length,
    unsigned flags)
{
	struct evbuffer_file_segment *seg;

	if (fd < 0 || offset < 0 || length < -1) {
		event_warnx("evbuffer_file_segment_new: bad arguments (fd %d, "
		    "offset %lld, length %lld)", fd, (long long)offset, (long long)length);
		return NULL;
	}
	if (length == -1) {
		struct stat st;
		if (fstat(fd, &st) < 0) {
			event_warn("evbuffer_file_segment_new: fstat(%d)", fd);
			return NULL;
		}
		if (st.st_size < offset) {
			event_warnx("evbuffer_file_segment_new: offset %lld is past the "
			    "end of fd %d", (long long)offset, fd);
			return NULL;
		}
		length = st.st_size - offset;
	}
	seg = mm_calloc(1, sizeof(*seg));
	if (!seg)
		return NULL;
	seg->fd = fd;
	seg->flags = flags;
	seg->file_offset = offset;
	seg->length = (size_t)length;
	seg->refcnt = 1;
	if (!(flags & EVBUF_FS_DISABLE_LOCKING))
		seg->lock = evthread__lock_new(); /* NULL while threading is off */
	if ((flags & EVBUF_FS_DISABLE_SENDFILE) &&
	    evbuffer_file_segment__materialize(seg) < 0) {
		if (seg->lock)
			evthread__lock_free(seg->lock);
		mm_free(seg);
		return NULL;
	}
	return seg;
}

void
evbuffer_file_segment_free(struct evbuffer_file_segment *seg)
{
	unsigned left;

	if (!seg)
		return;
	EVLOCK_LOCK(seg->lock);
	left = --seg->refcnt;
	EVLOCK_UNLOCK(seg->lock);
	if (left)
		return;
	if (seg->map_base)
		munmap(seg->map_base, seg->map_len);
	else if (seg->contents && seg->contents != empty_contents)
		mm_free(seg->contents);
	if (seg->flags & EVBUF_FS_CLOSE_ON_FREE)
		close(seg->fd);
	if (seg->cleanup_fn)
		seg->cleanup_fn(seg, (int)seg->flags, seg->cleanup_arg);
	if (seg->lock)
		evthread__lock_free(seg->lock);
	mm_free(seg);
}

void
evbuffer_file_segment_add_cleanup_cb(struct evbuffer_file_segment *seg,
    evbuffer_file_segment_cleanup_cb cb, void *arg)
{
	if (!seg)
		return;
	EVLOCK_LOCK(seg->lock);
	seg->cleanup_fn = cb;
	seg->cleanup_arg = arg;
	EVLOCK_UNLOCK(seg->lock);
}

int
evbuffer_add_file_segment(struct evbuffer *buf, struct evbuffer_file_segment *seg,
    ev_off_t offset, ev_off_t length)
{
	struct evbuffer_chain *ch;
	int use_sendfile, rv = -1;

	if (!buf || !seg || offset < 0 || (size_t)offset > seg->length ||
	    length < -1 ||
	    (length >= 0 && (size_t)length > seg->length - (size_t)offset)) {
		event_warnx("evbuffer_add_file_segment: bad arguments");
		return -1;
	}
	if (length == -1)
		length = (ev_off_t)(seg->length - (size_t)offset);
	EVBUFFER_LOCK(buf);
	if (buf->freeze_back || (size_t)length > SIZE_MAX - buf->total_len)
		goto out;
	rv = 0;
	if (!length)
		goto out;
	use_sendfile = (buf->flags & EVBUFFER_FLAG_DRAINS_TO_FD) &&
	    !(seg->flags & EVBUF_FS_DISABLE_SENDFILE);
	if ((!use_sendfile && evbuffer_file_segment__materialize(seg) < 0) ||
	    !(ch = evbuffer_chain__new_ext(CHAIN_FILE))) {
		rv = -1;
		goto out;
	}
	evbuffer_file_segment__ref(seg);
	ch->u.seg = seg;
	ch->buffer = use_sendfile ? NULL : seg->contents;
	ch->buffer_len = seg->length;
	ch->misalign = (size_t)offset;
	ch->off = (size_t)length;
	ch->sendfile = (unsigned char)use_sendfile;
	evbuffer__link_data(buf, ch);
out:
	evbuffer__finish(buf);
	return rv;
}

int
evbuffer_add_file(struct evbuffer *buf, int fd, ev_off_t offset, ev_off_t length)
{
	struct evbuffer_file_segment *seg;
	int rv;

	if (!buf) {
		event_warnx("evbuffer_add_file: NULL buffer");
		return -1;
	}
	seg = evbuffer_file_segment_new(fd, offset, length, EVBUF_FS_CLOSE_ON_FREE);
	if (!seg)
		return -1;
	rv = evbuffer_add_file_segment(buf, seg, 0, -1);
	if (rv < 0)
		seg->flags &= ~EVBUF_FS_CLOSE_ON_FREE; /* on failure the caller keeps fd */
	evbuffer_file_segment_free(seg);
	return rv;
}
