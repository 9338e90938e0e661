/*
 * evutil_fd.c: descriptors the engine creates for itself (notification
 * pipes and eventfds, listener and connection sockets), made non-blocking
 * and close-on-exec at birth.
 *
 * Linux has had the atomic forms (pipe2, eventfd flags, SOCK_NONBLOCK and
 * SOCK_CLOEXEC, accept4) since 2.6.27; the fcntl fallbacks exist only for
 * sandboxes that filter the newer calls with ENOSYS or EINVAL, and cost
 * nothing when unused.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evutil-internal.h"
#include "log-internal.h"

/* Applies SOCK_NONBLOCK / SOCK_CLOEXEC from flags with fcntl; closes fd
 * and returns -1 (errno preserved) if that fails. */
static int
apply_flags_late(int fd, int flags)
{
	if ((flags & SOCK_NONBLOCK) && evutil_make_socket_nonblocking(fd) < 0)
		goto fail;
	if ((flags & SOCK_CLOEXEC) && evutil_make_socket_closeonexec(fd) < 0)
		goto fail;
	return fd;
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
evutil__make_internal_pipe(int fd[2])
{
	if (pipe2(fd, O_NONBLOCK | O_CLOEXEC) < 0) {
		event_warn("pipe2(O_NONBLOCK|O_CLOEXEC)");
		return -1;
	}
	return 0;
}

int
evutil__eventfd(unsigned initval, int flags)
{
	int fd = eventfd(initval, flags | EFD_NONBLOCK | EFD_CLOEXEC);

	if (fd < 0)
		event_warn("eventfd(%u, %#x)", initval, (unsigned)flags);
	return fd;
}

int
evutil__socket(int domain, int type, int protocol)
{
	const int atomic = SOCK_NONBLOCK | SOCK_CLOEXEC;
	int fd = socket(domain, type, protocol);

	if (fd >= 0 || !(type & atomic) || errno != EINVAL)
		return fd;
	/* EINVAL with flags present: maybe the flags are what was refused.
	 * Try again without them; a genuine EINVAL fails the same way. */
	fd = socket(domain, type & ~atomic, protocol);
	if (fd < 0)
		return -1;
	return apply_flags_late(fd, type & atomic);
}

int
evutil__accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen,
    int flags)
{
	int fd = accept4(sockfd, addr, addrlen, flags);

	if (fd >= 0 || errno != ENOSYS)
		return fd;
	fd = accept(sockfd, addr, addrlen);
	if (fd < 0)
		return -1;
	return apply_flags_late(fd, flags);
}
