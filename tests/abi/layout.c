/*
 * layout.c: checks the size, alignment and field offsets of every public
 * struct against the facts in LAYOUT-x86_64.txt (read off Debian's
 * libevent 2.1.12 headers).  A program compiled against stock headers
 * reaches into these structs directly (tmux reads bev->input, memcached
 * embeds struct event), so one byte of difference is an ABI break.
 *
 * The checks come from layout-gen.h, generated from the facts file by
 * layout-gen.awk.  A struct is checked once its header exists in our
 * include/event2; until then it is reported as skipped.
 *
 * The headers are probed by a path relative to this file because
 * <event2/x.h> would also find Debian's copy in /usr/include.  The detour
 * through "../abi/" matters: a quoted path that is not found next to this
 * file is tried in every include directory too, and "../../include/event2"
 * seen from /usr/local/include is /usr/include/event2.  No system include
 * directory has a sibling named abi.  layout.sh also rejects the build if
 * any libevent header came from /usr/include.
 */
#include <stddef.h>
#include <stdio.h>

#if __has_include("../abi/../../include/event2/event_struct.h")
#include "../abi/../../include/event2/event_struct.h"
#define HAVE_event_callback 1
#define HAVE_event 1
#else
#define HAVE_event_callback 0
#define HAVE_event 0
#endif

#if __has_include("../abi/../../include/event2/buffer.h")
#include "../abi/../../include/event2/buffer.h"
#define HAVE_evbuffer_iovec 1
#define HAVE_evbuffer_ptr 1
#define HAVE_evbuffer_cb_info 1
#else
#define HAVE_evbuffer_iovec 0
#define HAVE_evbuffer_ptr 0
#define HAVE_evbuffer_cb_info 0
#endif

#if __has_include("../abi/../../include/event2/bufferevent_struct.h")
#include "../abi/../../include/event2/bufferevent_struct.h"
#define HAVE_bufferevent 1
#define HAVE_event_watermark 1
#else
#define HAVE_bufferevent 0
#define HAVE_event_watermark 0
#endif

#if __has_include("../abi/../../include/event2/keyvalq_struct.h")
#include "../abi/../../include/event2/keyvalq_struct.h"
#define HAVE_evkeyval 1
#define HAVE_evkeyvalq 1
#else
#define HAVE_evkeyval 0
#define HAVE_evkeyvalq 0
#endif

static int checked, failed, skipped;

/* Compares one measured quantity with its fact; prints every mismatch. */
static void
expect(const char *what, size_t got, size_t want)
{
	checked++;
	if (got == want)
		return;
	failed++;
	printf("FAIL %s: ours %zu, libevent 2.1.12 %zu\n", what, got, want);
}

#define LAYOUT_STRUCT(s, size, align) \
	expect("sizeof(struct " #s ")", sizeof(struct s), size); \
	expect("alignof(struct " #s ")", _Alignof(struct s), align);

#define LAYOUT_FIELD(s, f, off, size) \
	expect("offsetof(struct " #s ", " #f ")", offsetof(struct s, f), off); \
	expect("sizeof(struct " #s "." #f ")", sizeof(((struct s *)0)->f), size);

#define LAYOUT_SKIP(s) \
	printf("SKIP struct " #s ": its header is not in include/event2 yet\n"); \
	skipped++;

int
main(void)
{
#include "layout-gen.h"
	printf("layout: %d checks, %d failed, %d structs skipped\n",
	    checked, failed, skipped);
	return failed ? 1 : 0;
}
