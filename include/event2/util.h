/*
 * util.h: portable types, socket helpers and small utilities that the rest
 * of the API is written in.  This engine targets Linux with glibc, so the
 * fixed-width types are the <stdint.h> ones and the socket calls are the
 * POSIX ones; the names exist so that code written for libevent 2.1 builds
 * unchanged.
 */
#ifndef EVENT2_UTIL_H_INCLUDED_
#define EVENT2_UTIL_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event-config.h>

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fixed-width integer names used throughout the API. */
#define ev_uint64_t uint64_t
#define ev_int64_t int64_t
#define ev_uint32_t uint32_t
#define ev_int32_t int32_t
#define ev_uint16_t uint16_t
#define ev_int16_t int16_t
#define ev_uint8_t uint8_t
#define ev_int8_t int8_t
#define ev_uintptr_t uintptr_t
#define ev_intptr_t intptr_t
#define ev_ssize_t ssize_t
#define ev_off_t off_t
#define ev_socklen_t socklen_t

#define EV_UINT64_MAX UINT64_MAX
#define EV_INT64_MAX INT64_MAX
#define EV_INT64_MIN INT64_MIN
#define EV_UINT32_MAX UINT32_MAX
#define EV_INT32_MAX INT32_MAX
#define EV_INT32_MIN INT32_MIN
#define EV_UINT16_MAX UINT16_MAX
#define EV_INT16_MAX INT16_MAX
#define EV_INT16_MIN INT16_MIN
#define EV_UINT8_MAX UINT8_MAX
#define EV_INT8_MAX INT8_MAX
#define EV_INT8_MIN INT8_MIN
#define EV_SIZE_MAX EV_UINT64_MAX
#define EV_SSIZE_MAX EV_INT64_MAX
#define EV_SSIZE_MIN ((-EV_SSIZE_MAX) - 1)

/* A socket is a file descriptor here. */
#define evutil_socket_t int
#define EVUTIL_INVALID_SOCKET -1

/* Monotonic clock source, opaque to applications. */
struct evutil_monotonic_timer;

/* Flags for evutil_configure_monotonic_time(). */
#define EV_MONOT_PRECISE 1  /* ask for the finest clock available */
#define EV_MONOT_FALLBACK 2 /* use the plain fallback clock */

/*
 * Formats tm (or the current UTC time when tm is NULL) as an RFC 1123 date
 * ("Sun, 06 Nov 1994 08:49:37 GMT") into date, like snprintf: the result is
 * truncated to datelen - 1 characters and terminated, and the return value
 * is the full length (29), so a value >= datelen means it was cut short.
 * -1 (with a warning) if tm_wday or tm_mon is out of range.
 */
EVENT2_EXPORT_SYMBOL
int evutil_date_rfc1123(char *date, const size_t datelen, const struct tm *tm);

/* Allocates a monotonic timer, already configured with flags 0; NULL on
 * allocation failure.  Free it with evutil_monotonic_timer_free(). */
EVENT2_EXPORT_SYMBOL
struct evutil_monotonic_timer *evutil_monotonic_timer_new(void);
EVENT2_EXPORT_SYMBOL
void evutil_monotonic_timer_free(struct evutil_monotonic_timer *timer);
/*
 * Chooses the clock for timer and restarts it: EV_MONOT_FALLBACK selects
 * gettimeofday made monotonic, EV_MONOT_PRECISE CLOCK_MONOTONIC, and no
 * flag the cheaper CLOCK_MONOTONIC_COARSE.  0 on success, -1 (with a
 * warning) for a NULL timer or unknown flags.
 */
EVENT2_EXPORT_SYMBOL
int evutil_configure_monotonic_time(struct evutil_monotonic_timer *timer, int flags);
/* Reads timer into tp; successive readings of one timer never decrease.
 * Not for concurrent use on one timer.  0 on success, -1 on error. */
EVENT2_EXPORT_SYMBOL
int evutil_gettime_monotonic(struct evutil_monotonic_timer *timer, struct timeval *tp);

/* socketpair(2); 0 on success, -1 with errno set. */
EVENT2_EXPORT_SYMBOL
int evutil_socketpair(int d, int type, int protocol, evutil_socket_t sv[2]);
/* Sets O_NONBLOCK.  0 on success, -1 (with a warning logged) on failure. */
EVENT2_EXPORT_SYMBOL
int evutil_make_socket_nonblocking(evutil_socket_t sock);
/* SO_REUSEADDR on a listening socket.  0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int evutil_make_listen_socket_reuseable(evutil_socket_t sock);
/* SO_REUSEPORT on a listening socket.  0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int evutil_make_listen_socket_reuseable_port(evutil_socket_t sock);
/* IPV6_V6ONLY on an IPv6 listening socket.  0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int evutil_make_listen_socket_ipv6only(evutil_socket_t sock);
/* Sets FD_CLOEXEC.  0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int evutil_make_socket_closeonexec(evutil_socket_t sock);
/* close(2) for sockets.  0 on success (EINTR counts, as Linux has closed
 * the descriptor anyway), -1 on failure. */
EVENT2_EXPORT_SYMBOL
int evutil_closesocket(evutil_socket_t sock);
#define EVUTIL_CLOSESOCKET(s) evutil_closesocket(s)
/* TCP_DEFER_ACCEPT: accept() returns a connection only once data has
 * arrived.  0 on success, -1 (errno set) if the socket refuses it. */
EVENT2_EXPORT_SYMBOL
int evutil_make_tcp_listen_socket_deferred(evutil_socket_t sock);

/* Socket errors are plain errno values here. */
#define EVUTIL_SOCKET_ERROR() (errno)
#define EVUTIL_SET_SOCKET_ERROR(errcode) do { errno = (errcode); } while (0)
#define evutil_socket_geterror(sock) (errno)
#define evutil_socket_error_to_string(errcode) (strerror(errcode))

/* struct timeval arithmetic. */
#define evutil_timeradd(tvp, uvp, vvp) timeradd((tvp), (uvp), (vvp))
#define evutil_timersub(tvp, uvp, vvp) timersub((tvp), (uvp), (vvp))
#define evutil_timerclear(tvp) timerclear(tvp)
/* Unlike the libc macro, this one accepts <=, >= and == as well. */
#define evutil_timercmp(tvp, uvp, cmp)                                        \
	(((tvp)->tv_sec == (uvp)->tv_sec) ? ((tvp)->tv_usec cmp (uvp)->tv_usec) \
	                                  : ((tvp)->tv_sec cmp (uvp)->tv_sec))
#define evutil_timerisset(tvp) timerisset(tvp)

#define evutil_offsetof(type, field) offsetof(type, field)

/* strtoll(3) for ev_int64_t (errno ERANGE on overflow); 0 for a NULL s. */
EVENT2_EXPORT_SYMBOL
ev_int64_t evutil_strtoll(const char *s, char **endptr, int base);

#define evutil_gettimeofday(tv, tz) gettimeofday((tv), (tz))

/*
 * snprintf/vsnprintf with the C99 contract: the output is truncated to
 * buflen - 1 characters and terminated (when buflen > 0), and the return
 * value is the length the full output would have had (also for buflen 0),
 * or -1 on an encoding error, a NULL format, or a NULL buf with buflen > 0.
 */
EVENT2_EXPORT_SYMBOL
int evutil_snprintf(char *buf, size_t buflen, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
EVENT2_EXPORT_SYMBOL
int evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* inet_ntop(3); returns dst, or NULL if it does not fit or af is unknown. */
EVENT2_EXPORT_SYMBOL
const char *evutil_inet_ntop(int af, const void *src, char *dst, size_t len);
/*
 * inet_pton(3) that also accepts an IPv6 "%scope" suffix, storing the
 * interface index in *indexp (0 when absent).  1 on success, 0 if src is
 * not an address, -1 if af is unknown.
 */
EVENT2_EXPORT_SYMBOL
int evutil_inet_pton_scope(int af, const char *src, void *dst, unsigned *indexp);
/* inet_pton(3): 1 on success, 0 if src is not an address, -1 if af is unknown. */
EVENT2_EXPORT_SYMBOL
int evutil_inet_pton(int af, const char *src, void *dst);

struct sockaddr;
/*
 * Parses "1.2.3.4", "1.2.3.4:80", "[::1]", "[::1]:80" or "::1" (IPv6 forms
 * may carry a "%scope") into out, whose size is *outlen on entry and the
 * size used on return.  A missing port gives port 0; a given port must be
 * 1-65535.  0 on success; -1, with out and *outlen untouched, on a
 * malformed string (including any stray character) or a too-small out.
 */
EVENT2_EXPORT_SYMBOL
int evutil_parse_sockaddr_port(const char *str, struct sockaddr *out, int *outlen);
/*
 * Orders two socket addresses: family, then address (numerically), then
 * (if include_port) port.  Negative, zero or positive like strcmp.  Only
 * AF_INET and AF_INET6 are ordered; other families always compare as
 * different (nonzero).
 */
EVENT2_EXPORT_SYMBOL
int evutil_sockaddr_cmp(const struct sockaddr *sa1, const struct sockaddr *sa2,
    int include_port);

/* strcasecmp/strncasecmp that fold only ASCII letters, whatever the locale;
 * other bytes compare as unsigned values. */
EVENT2_EXPORT_SYMBOL
int evutil_ascii_strcasecmp(const char *str1, const char *str2);
EVENT2_EXPORT_SYMBOL
int evutil_ascii_strncasecmp(const char *str1, const char *str2, size_t n);

/* getaddrinfo(3) types and constants under portable names. */
#define evutil_addrinfo addrinfo

/* glibc shows these two only under _GNU_SOURCE; fixed stand-ins otherwise. */
#ifdef EAI_ADDRFAMILY
#define EVUTIL_EAI_ADDRFAMILY EAI_ADDRFAMILY
#else
#define EVUTIL_EAI_ADDRFAMILY -901
#endif
#define EVUTIL_EAI_AGAIN EAI_AGAIN
#define EVUTIL_EAI_BADFLAGS EAI_BADFLAGS
#define EVUTIL_EAI_FAIL EAI_FAIL
#define EVUTIL_EAI_FAMILY EAI_FAMILY
#define EVUTIL_EAI_MEMORY EAI_MEMORY
#if defined(EAI_NODATA) && EAI_NODATA != EAI_NONAME
#define EVUTIL_EAI_NODATA EAI_NODATA
#else
#define EVUTIL_EAI_NODATA -907
#endif
#define EVUTIL_EAI_NONAME EAI_NONAME
#define EVUTIL_EAI_SERVICE EAI_SERVICE
#define EVUTIL_EAI_SOCKTYPE EAI_SOCKTYPE
#define EVUTIL_EAI_SYSTEM EAI_SYSTEM
/* Not a libc code: a lookup cancelled by the application (evdns). */
#define EVUTIL_EAI_CANCEL -90001

#define EVUTIL_AI_PASSIVE AI_PASSIVE
#define EVUTIL_AI_CANONNAME AI_CANONNAME
#define EVUTIL_AI_NUMERICHOST AI_NUMERICHOST
#define EVUTIL_AI_NUMERICSERV AI_NUMERICSERV
#define EVUTIL_AI_V4MAPPED AI_V4MAPPED
#define EVUTIL_AI_ALL AI_ALL
#define EVUTIL_AI_ADDRCONFIG AI_ADDRCONFIG

struct evutil_addrinfo;
/*
 * getaddrinfo(3), answering numeric hosts and ports itself without any
 * lookup, and giving the same entries as the libc would.  0 on success with
 * *res owned by the caller (free it with evutil_freeaddrinfo), or an
 * EVUTIL_EAI_* code with *res NULL.
 */
EVENT2_EXPORT_SYMBOL
int evutil_getaddrinfo(const char *nodename, const char *servname,
    const struct evutil_addrinfo *hints_in, struct evutil_addrinfo **res);
/* Frees a whole list from evutil_getaddrinfo (or evdns_getaddrinfo). */
EVENT2_EXPORT_SYMBOL
void evutil_freeaddrinfo(struct evutil_addrinfo *ai);
/* Message text for an EVUTIL_EAI_* code. */
EVENT2_EXPORT_SYMBOL
const char *evutil_gai_strerror(int err);

/*
 * Fills buf with n cryptographically strong random bytes from the kernel
 * (getrandom(2), falling back to the urandom device file).  If no source
 * works it logs a warning and fills buf with bytes that are NOT secure;
 * check evutil_secure_rng_init() first where that matters.
 */
EVENT2_EXPORT_SYMBOL
void evutil_secure_rng_get_bytes(void *buf, size_t n);
/* Prepares the generator; 0 on success, -1 if no source is usable. */
EVENT2_EXPORT_SYMBOL
int evutil_secure_rng_init(void);
/* Uses fname (not copied: keep it alive) instead of /dev/urandom for the
 * fallback source.  0, or -1 if fname cannot be opened for reading. */
EVENT2_EXPORT_SYMBOL
int evutil_secure_rng_set_urandom_device_file(char *fname);
/* Accepted for compatibility; the kernel generator needs no seeding, so
 * the bytes are not used. */
EVENT2_EXPORT_SYMBOL
void evutil_secure_rng_add_bytes(const char *dat, size_t datlen);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_UTIL_H_INCLUDED_ */
