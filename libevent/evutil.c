/*
 * evutil.c: the public socket-option helpers and the small string
 * functions of event2/util.h (snprintf, strtoll, ASCII case comparison).
 *
 * The socket helpers are thin on purpose: one system call when the work is
 * already done is one too many on a connection-accept path, so the fcntl
 * helpers read the flags first and write them only when they change.
 * fcntl failures mean a bad descriptor and are logged; setsockopt failures
 * usually mean "not supported by this socket type" and are left to the
 * caller, who knows whether that matters.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/util.h>
#include "evutil-internal.h"
#include "log-internal.h"

/* ---- sockets ------------------------------------------------------------- */

int
evutil_socketpair(int family, int type, int protocol, evutil_socket_t sv[2])
{
	if (!sv) {
		errno = EINVAL;
		return -1;
	}
	return socketpair(family, type, protocol, sv);
}

/* Ensures the file-status flag `flag` (O_NONBLOCK) is set on fd. */
static int
add_fl_flag(int fd, int flag)
{
	int flags = fcntl(fd, F_GETFL, 0);

	if (flags < 0) {
		event_warn("fcntl(%d, F_GETFL)", fd);
		return -1;
	}
	if ((flags & flag) == flag)
		return 0;
	if (fcntl(fd, F_SETFL, flags | flag) < 0) {
		event_warn("fcntl(%d, F_SETFL)", fd);
		return -1;
	}
	return 0;
}

/* Ensures the descriptor flag `flag` (FD_CLOEXEC) is set on fd. */
static int
add_fd_flag(int fd, int flag)
{
	int flags = fcntl(fd, F_GETFD, 0);

	if (flags < 0) {
		event_warn("fcntl(%d, F_GETFD)", fd);
		return -1;
	}
	if ((flags & flag) == flag)
		return 0;
	if (fcntl(fd, F_SETFD, flags | flag) < 0) {
		event_warn("fcntl(%d, F_SETFD)", fd);
		return -1;
	}
	return 0;
}

int
evutil_make_socket_nonblocking(evutil_socket_t sock)
{
	return add_fl_flag(sock, O_NONBLOCK);
}

int
evutil_make_socket_closeonexec(evutil_socket_t sock)
{
	return add_fd_flag(sock, FD_CLOEXEC);
}

/* setsockopt of an int option to 1; 0 or -1 with errno set. */
static int
set_int_option(int sock, int level, int name)
{
	int one = 1;

	return setsockopt(sock, level, name, &one, (socklen_t)sizeof(one));
}

int
evutil_make_listen_socket_reuseable(evutil_socket_t sock)
{
	return set_int_option(sock, SOL_SOCKET, SO_REUSEADDR);
}

int
evutil_make_listen_socket_reuseable_port(evutil_socket_t sock)
{
	return set_int_option(sock, SOL_SOCKET, SO_REUSEPORT);
}

int
evutil_make_listen_socket_ipv6only(evutil_socket_t sock)
{
	return set_int_option(sock, IPPROTO_IPV6, IPV6_V6ONLY);
}

int
evutil_make_tcp_listen_socket_deferred(evutil_socket_t sock)
{
	/* The value is a timeout in seconds; 1 means "wake me when data has
	 * arrived", and the kernel rounds it up to its retransmission steps. */
	return set_int_option(sock, IPPROTO_TCP, TCP_DEFER_ACCEPT);
}

int
evutil_closesocket(evutil_socket_t sock)
{
	if (close(sock) == 0)
		return 0;
	/* Linux releases the descriptor even when close() reports EINTR, so
	 * the close did happen; retrying could close someone else's fd. */
	return errno == EINTR ? 0 : -1;
}

/* ---- strings ------------------------------------------------------------- */

int
evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap)
{
	if (!format || (!buf && buflen > 0)) {
		event_warnx("%s: NULL %s", __func__, format ? "buffer" : "format");
		errno = EINVAL;
		return -1;
	}
	/* glibc's vsnprintf already has the C99 contract: it truncates,
	 * terminates when buflen > 0 and returns the untruncated length. */
	int r = vsnprintf(buf, buflen, format, ap);
	if (r < 0 && buflen > 0)
		buf[0] = '\0';
	return r;
}

int
evutil_snprintf(char *buf, size_t buflen, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	int r = evutil_vsnprintf(buf, buflen, format, ap);
	va_end(ap);
	return r;
}

ev_int64_t
evutil_strtoll(const char *s, char **endptr, int base)
{
	if (!s) {
		if (endptr)
			*endptr = NULL;
		errno = EINVAL;
		return 0;
	}
	/* long long is 64 bits on every target this engine builds for. */
	_Static_assert(sizeof(long long) == sizeof(ev_int64_t), "64-bit long long");
	return (ev_int64_t)strtoll(s, endptr, base);
}

/* Orders two NULL-or-string pointers, NULL first; 2 means "both set". */
static int
order_nulls(const char *a, const char *b)
{
	if (a && b)
		return 2;
	return (a != NULL) - (b != NULL);
}

int
evutil_ascii_strncasecmp(const char *s1, const char *s2, size_t n)
{
	int nulls = order_nulls(s1, s2);

	if (nulls != 2)
		return nulls;
	for (size_t i = 0; i < n; i++) {
		int c1 = evutil__tolower(s1[i]);
		int c2 = evutil__tolower(s2[i]);
		if (c1 != c2)
			return c1 < c2 ? -1 : 1;
		if (c1 == '\0')
			break;
	}
	return 0;
}

int
evutil_ascii_strcasecmp(const char *s1, const char *s2)
{
	return evutil_ascii_strncasecmp(s1, s2, SIZE_MAX);
}
