/*
 * test-evbuffer-file.c: file segments and evbuffer_add_file in every
 * combination of segment flags, in buffers that do and do not drain to a
 * fd: the bytes that come out (written to a socket, or read back), which
 * mechanism carries them (sendfile, mmap, pread), the cleanup callback
 * (exactly once) and closing of the fd.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "evbuffer-internal.h"
#include "evbuffer-test.h"

#define FILE_LEN 100000

static unsigned char file_bytes[FILE_LEN];

/* A temporary file holding file_bytes; unlinked at once. */
static int
temp_file(void)
{
	char path[] = "/tmp/evbuffer-file-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	unlink(path);
	for (size_t i = 0; i < FILE_LEN; i++)
		file_bytes[i] = (unsigned char)(i * 7 + (i >> 9));
	cr_assert_eq(write(fd, file_bytes, FILE_LEN), FILE_LEN);
	return fd;
}

static int
fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* Drains b into a socketpair and returns what arrived (n bytes). */
static unsigned char *
write_out(struct evbuffer *b, size_t n)
{
	int sv[2], sz = 1 << 20;
	unsigned char *got = malloc(n ? n : 1);
	size_t have = 0;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	while (evbuffer_get_length(b)) {
		int w = evbuffer_write(b, sv[0]);
		cr_assert_gt(w, 0, "write failed: %s", strerror(errno));
		while (have < n) {
			ssize_t r = recv(sv[1], got + have, n - have, MSG_DONTWAIT);
			if (r <= 0)
				break;
			have += (size_t)r;
		}
	}
	cr_assert_eq(have, n);
	close(sv[0]);
	close(sv[1]);
	return got;
}

struct seg_case {
	unsigned flags;
	int drains_to_fd;
	int threads;
};

static int cleanup_calls;
static const struct evbuffer_file_segment *cleanup_seg;
static int cleanup_flags;

static void
seg_cleanup(const struct evbuffer_file_segment *seg, int flags, void *arg)
{
	cleanup_calls++;
	cleanup_seg = seg;
	cleanup_flags = flags;
	(void)arg;
}

static struct seg_case cases[64];

ParameterizedTestParameters(evbuffer_file, every_flag_combination)
{
	int n = 0;

	for (unsigned f = 0; f < 16; f++)
		for (int d = 0; d < 2; d++)
			for (int t = 0; t < 2; t++)
				cases[n++] = (struct seg_case){ f, d, t };
	return cr_make_param_array(struct seg_case, cases, (size_t)n);
}

ParameterizedTest(struct seg_case *c, evbuffer_file, every_flag_combination, .timeout = 20)
{
	int fd = temp_file();
	struct evbuffer *b;
	struct evbuffer_file_segment *seg;

	if (c->threads)
		cr_assert_eq(evthread_use_pthreads(), 0);
	b = evbuffer_new();
	if (c->drains_to_fd)
		evbuffer_set_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD);
	seg = evbuffer_file_segment_new(fd, 1000, 50000, c->flags);
	cr_assert_not_null(seg);
	evbuffer_file_segment_add_cleanup_cb(seg, seg_cleanup, NULL);
	cr_assert_eq(c->threads && !(c->flags & EVBUF_FS_DISABLE_LOCKING), seg->lock != NULL);

	/* Two parts of the segment, with plain bytes around them. */
	evbuffer_add(b, "<", 1);
	cr_assert_eq(evbuffer_add_file_segment(b, seg, 0, 20000), 0);
	evbuffer_add(b, "|", 1);
	cr_assert_eq(evbuffer_add_file_segment(b, seg, 30000, -1), 0);
	evbuffer_add(b, ">", 1);
	cr_assert_eq(evbuffer_get_length(b), 1 + 20000 + 1 + 20000 + 1);

	int sendfile_expected = c->drains_to_fd && !(c->flags & EVBUF_FS_DISABLE_SENDFILE);
	cr_assert_eq(b->n_sendfile, sendfile_expected ? 2u : 0u);
	if (!sendfile_expected) {
		/* The bytes are in memory: mapped unless mapping is off. */
		cr_assert_not_null(seg->contents);
		cr_assert_eq(seg->map_base != NULL, !(c->flags & EVBUF_FS_DISABLE_MMAP));
	}

	unsigned char *expect = malloc(40003);
	expect[0] = '<';
	memcpy(expect + 1, file_bytes + 1000, 20000);
	expect[20001] = '|';
	memcpy(expect + 20002, file_bytes + 31000, 20000);
	expect[40002] = '>';
	if (!c->drains_to_fd) {
		/* Reading back works whenever the buffer is not for a fd only. */
		char *s = evt_contents(b, NULL);
		cr_assert(memcmp(s, expect, 40003) == 0);
		free(s);
	}
	unsigned char *got = write_out(b, 40003);
	cr_assert(memcmp(got, expect, 40003) == 0, "written bytes differ");
	free(got);
	free(expect);

	/* The chains are gone; the caller's reference keeps the segment. */
	cr_assert_eq(cleanup_calls, 0);
	evbuffer_file_segment_free(seg);
	cr_assert_eq(cleanup_calls, 1);
	cr_assert_eq(cleanup_seg, seg);
	cr_assert_eq((unsigned)cleanup_flags, c->flags);
	cr_assert_eq(fd_is_open(fd), !(c->flags & EVBUF_FS_CLOSE_ON_FREE));
	if (fd_is_open(fd))
		close(fd);
	evbuffer_free(b);
	cr_assert_eq(cleanup_calls, 1);
}

Test(evbuffer_file, segment_outlives_its_creator_reference, .timeout = 10)
{
	int fd = temp_file();
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	struct evbuffer_file_segment *seg =
	    evbuffer_file_segment_new(fd, 0, -1, EVBUF_FS_CLOSE_ON_FREE);

	cr_assert_not_null(seg);
	cr_assert_eq(seg->length, FILE_LEN, "length -1 means to the end");
	evbuffer_file_segment_add_cleanup_cb(seg, seg_cleanup, NULL);
	evbuffer_add_file_segment(a, seg, 10, 10);
	evbuffer_add_file_segment(b, seg, 20, 10);
	evbuffer_file_segment_free(seg);
	cr_assert_eq(cleanup_calls, 0);
	evt_assert_bytes(a, file_bytes + 10, 10);
	evbuffer_free(a);
	cr_assert_eq(cleanup_calls, 0);
	cr_assert(fd_is_open(fd));
	evt_assert_bytes(b, file_bytes + 20, 10);
	evbuffer_drain(b, 10);
	cr_assert_eq(cleanup_calls, 1);
	cr_assert(!fd_is_open(fd));
	evbuffer_free(b);
}

Test(evbuffer_file, add_file_takes_the_fd, .timeout = 10)
{
	int fd = temp_file();
	struct evbuffer *b = evbuffer_new();

	cr_assert_eq(evbuffer_add_file(b, fd, 500, -1), 0);
	cr_assert_eq(evbuffer_get_length(b), FILE_LEN - 500);
	cr_assert(fd_is_open(fd));
	unsigned char *got = write_out(b, FILE_LEN - 500);
	cr_assert(memcmp(got, file_bytes + 500, FILE_LEN - 500) == 0);
	free(got);
	cr_assert(!fd_is_open(fd), "closed once written");
	evbuffer_free(b);

	/* With sendfile, and freed before it is written. */
	fd = temp_file();
	b = evbuffer_new();
	evbuffer_set_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD);
	cr_assert_eq(evbuffer_add_file(b, fd, 0, 4000), 0);
	cr_assert_eq(b->n_sendfile, 1);
	evbuffer_free(b);
	cr_assert(!fd_is_open(fd), "closed with the buffer");
}

Test(evbuffer_file, sendfile_bytes_come_back_when_needed, .timeout = 10)
{
	int fd = temp_file();
	struct evbuffer *b = evbuffer_new(), *plain = evbuffer_new();

	evbuffer_set_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD);
	cr_assert_eq(evbuffer_add_file(b, fd, 0, 3000), 0);
	cr_assert_eq(b->n_sendfile, 1);
	/* Moving the chains to a buffer that is read brings the bytes in. */
	evbuffer_add_buffer(plain, b);
	cr_assert_eq(plain->n_sendfile, 0);
	evt_assert_bytes(plain, file_bytes, 3000);
	/* So does clearing the flag, and so does looking at them. */
	fd = temp_file();
	cr_assert_eq(evbuffer_add_file(b, fd, 0, 3000), 0);
	cr_assert_eq(b->n_sendfile, 1);
	cr_assert_eq(evbuffer_search(b, (const char *)file_bytes + 100, 8, NULL).pos, 100);
	cr_assert_eq(b->n_sendfile, 0);
	evbuffer_drain(b, 3000);
	fd = temp_file();
	cr_assert_eq(evbuffer_add_file(b, fd, 0, 3000), 0);
	cr_assert_eq(evbuffer_clear_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
	cr_assert_eq(b->n_sendfile, 0);
	evt_assert_bytes(b, file_bytes, 3000);
	evbuffer_free(b);
	evbuffer_free(plain);
}

Test(evbuffer_file, bad_arguments, .timeout = 10)
{
	int fd = temp_file();
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_file_segment *seg;

	evt_capture_log();
	cr_assert_null(evbuffer_file_segment_new(-1, 0, 10, 0));
	cr_assert_null(evbuffer_file_segment_new(fd, -1, 10, 0));
	cr_assert_null(evbuffer_file_segment_new(fd, FILE_LEN + 1, -1, 0));
	cr_assert_null(evbuffer_file_segment_new(fd, 0, -2, 0));
	seg = evbuffer_file_segment_new(fd, 0, 100, 0);
	cr_assert_not_null(seg);
	cr_assert_eq(evbuffer_add_file_segment(b, seg, 101, -1), -1);
	cr_assert_eq(evbuffer_add_file_segment(b, seg, 50, 51), -1);
	cr_assert_eq(evbuffer_add_file_segment(b, seg, -1, 5), -1);
	cr_assert_eq(evbuffer_add_file_segment(b, NULL, 0, 5), -1);
	cr_assert_eq(evbuffer_add_file_segment(b, seg, 100, -1), 0, "empty tail");
	cr_assert_eq(evbuffer_get_length(b), 0);
	cr_assert_gt(evt_warnings, 0);
	/* A file shorter than the segment claims: reading it back fails. */
	struct evbuffer_file_segment *bad =
	    evbuffer_file_segment_new(fd, FILE_LEN - 10, 100, EVBUF_FS_DISABLE_MMAP |
	        EVBUF_FS_DISABLE_SENDFILE);
	cr_assert_null(bad);
	/* add_file that fails leaves the fd open. */
	evbuffer_freeze(b, 0);
	cr_assert_eq(evbuffer_add_file(b, fd, 0, 10), -1);
	cr_assert(fd_is_open(fd));
	evbuffer_file_segment_free(seg);
	evbuffer_file_segment_free(NULL);
	evbuffer_free(b);
	close(fd);
}
