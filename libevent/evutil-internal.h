/*
 * evutil-internal.h: small helpers the rest of the engine builds on.
 *
 * - descriptors born non-blocking and close-on-exec in one system call
 *   (pipe2, eventfd, socket, accept4), so no window exists in which a
 *   forked child inherits them and no extra fcntl calls are paid;
 * - ASCII character classes that ignore the locale, for protocol parsing
 *   (HTTP headers, DNS names, addresses): the <ctype.h> functions change
 *   meaning with setlocale() and are undefined for negative chars;
 * - the layout of struct evutil_monotonic_timer, so that an event_base can
 *   embed one instead of allocating it;
 * - the addrinfo node constructor that every producer of lists handed to
 *   evutil_freeaddrinfo() must use.
 *
 * Nothing here is exported from the shared libraries.
 */
#ifndef EVUTIL_INTERNAL_H_INCLUDED_
#define EVUTIL_INTERNAL_H_INCLUDED_

#include <event2/util.h>

#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

/* ---- descriptors ------------------------------------------------------- */

/*
 * Creates a pipe whose two ends are non-blocking and close-on-exec
 * (fd[0] reads, fd[1] writes).  Returns 0, or -1 with errno set and a
 * warning logged; fd[] is untouched on failure.
 */
int evutil__make_internal_pipe(int fd[2]);

/*
 * Creates an eventfd counter starting at initval.  The descriptor is always
 * non-blocking and close-on-exec; flags may add more EFD_* flags (such as
 * EFD_SEMAPHORE).  Returns the descriptor, or -1 with errno set and a
 * warning logged.
 */
int evutil__eventfd(unsigned initval, int flags);

/*
 * socket(2) that honours SOCK_NONBLOCK and SOCK_CLOEXEC in type even on a
 * kernel that rejects them (it then applies them with fcntl).  Returns the
 * descriptor, or -1 with errno set.  Failure is not logged: callers know
 * whether, say, EAFNOSUPPORT is worth a warning.
 */
int evutil__socket(int domain, int type, int protocol);

/*
 * accept4(2): accepts a connection on sockfd, applying SOCK_NONBLOCK and
 * SOCK_CLOEXEC from flags (falling back to accept plus fcntl where accept4
 * is missing).  addr and addrlen are as for accept(2) and may be NULL.
 * Returns the new descriptor, or -1 with errno set (EAGAIN when nothing is
 * pending on a non-blocking listener); not logged, because EAGAIN and
 * ECONNABORTED are routine for a listener.
 */
int evutil__accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen,
    int flags);

/* ---- ASCII character classes --------------------------------------------
 * Each takes any char, signed or unsigned, or an int holding one; bytes
 * outside ASCII (and EOF) belong to no class and are never case-mapped. */

/* Space, tab, newline, vertical tab, form feed, carriage return. */
static inline int
evutil__isspace(int c)
{
	unsigned char u = (unsigned char)c;
	return u == ' ' || (u >= '\t' && u <= '\r');
}

/* '0' to '9'. */
static inline int
evutil__isdigit(int c)
{
	unsigned char u = (unsigned char)c;
	return u >= '0' && u <= '9';
}

/* '0'-'9', 'a'-'f', 'A'-'F'. */
static inline int
evutil__isxdigit(int c)
{
	unsigned char u = (unsigned char)c;
	return evutil__isdigit(u) || ((u | 0x20) >= 'a' && (u | 0x20) <= 'f');
}

/* 'a' to 'z'. */
static inline int
evutil__islower(int c)
{
	unsigned char u = (unsigned char)c;
	return u >= 'a' && u <= 'z';
}

/* 'A' to 'Z'. */
static inline int
evutil__isupper(int c)
{
	unsigned char u = (unsigned char)c;
	return u >= 'A' && u <= 'Z';
}

/* A letter in either case. */
static inline int
evutil__isalpha(int c)
{
	return evutil__islower(c) || evutil__isupper(c);
}

/* A letter or a digit. */
static inline int
evutil__isalnum(int c)
{
	return evutil__isalpha(c) || evutil__isdigit(c);
}

/* Printable ASCII: space through '~'. */
static inline int
evutil__isprint(int c)
{
	unsigned char u = (unsigned char)c;
	return u >= ' ' && u <= '~';
}

/* The lower-case letter for 'A'-'Z'; any other byte comes back unchanged
 * (as an unsigned char value). */
static inline int
evutil__tolower(int c)
{
	unsigned char u = (unsigned char)c;
	return evutil__isupper(u) ? u + ('a' - 'A') : u;
}

/* The upper-case letter for 'a'-'z'; any other byte unchanged. */
static inline int
evutil__toupper(int c)
{
	unsigned char u = (unsigned char)c;
	return evutil__islower(u) ? u - ('a' - 'A') : u;
}

/* ---- monotonic time ------------------------------------------------------ */

/*
 * Applications see this struct only through a pointer; the engine may embed
 * it (an event_base does).  A zeroed struct is not ready: configure it with
 * evutil_configure_monotonic_time() first.
 */
struct evutil_monotonic_timer {
	/* Kernel clock read by clock_gettime, unless use_wallclock is set. */
	clockid_t clock;
	/* Nonzero: read gettimeofday and hide its backward steps. */
	int use_wallclock;
	/* Nonzero once configured. */
	int configured;
	/* Wall-clock mode only: the last raw reading and the amount added to
	 * raw readings so that the result never decreases. */
	struct timeval last_raw;
	struct timeval adjust;
};

/* ---- addrinfo lists ------------------------------------------------------ */

/*
 * Allocates one addrinfo node holding a copy of sa (salen bytes, at most
 * sizeof(struct sockaddr_storage)) in the same allocation, with ai_family
 * taken from sa and the other fields from the arguments; ai_canonname and
 * ai_next are NULL.  A canonical name, if any, must be set to a string from
 * mm_strdup().  Every list returned by evutil_getaddrinfo() (or by any
 * other producer whose lists go to evutil_freeaddrinfo()) is made of such
 * nodes.  Returns NULL on allocation failure or an oversized salen.
 */
struct evutil_addrinfo *evutil__addrinfo_new(const struct sockaddr *sa,
    socklen_t salen, int socktype, int protocol, int flags);

/*
 * Appends list b (may be NULL) to the end of list a (may be NULL) and
 * returns the head of the joined list.  O(length of a).
 */
struct evutil_addrinfo *evutil__addrinfo_append(struct evutil_addrinfo *a,
    struct evutil_addrinfo *b);

#endif /* EVUTIL_INTERNAL_H_INCLUDED_ */
