/*
 * event-config.h: what this engine was built for (Linux, x86-64 and other
 * LP64 glibc targets).  Applications test some of these macros, so the
 * names are the ones libevent 2.1 users expect; the values describe this
 * engine's build, which always has epoll, poll, select, eventfd, pthreads,
 * sendfile, mmap and the usual POSIX headers.
 */
#ifndef EVENT2_EVENT_CONFIG_H_INCLUDED_
#define EVENT2_EVENT_CONFIG_H_INCLUDED_

#define EVENT__NUMERIC_VERSION 0x02010c00
#define EVENT__VERSION "2.1.12-stable"
#define EVENT__PACKAGE "libevent"
#define EVENT__PACKAGE_NAME "libevent"
#define EVENT__PACKAGE_VERSION EVENT__VERSION
#define EVENT__PACKAGE_STRING "libevent " EVENT__VERSION
#define EVENT__PACKAGE_TARNAME "libevent"
#define EVENT__PACKAGE_BUGREPORT ""
#define EVENT__PACKAGE_URL ""

/* Sizes of the C types on the targets we build for (LP64). */
#define EVENT__SIZEOF_SHORT 2
#define EVENT__SIZEOF_INT 4
#define EVENT__SIZEOF_LONG 8
#define EVENT__SIZEOF_LONG_LONG 8
#define EVENT__SIZEOF_SIZE_T 8
#define EVENT__SIZEOF_VOID_P 8
#define EVENT__SIZEOF_OFF_T 8
#define EVENT__SIZEOF_TIME_T 8
#define EVENT__SIZEOF_PTHREAD_T 8

/* Headers present on the build system. */
#define EVENT__HAVE_ARPA_INET_H 1
#define EVENT__HAVE_ERRNO_H 1
#define EVENT__HAVE_FCNTL_H 1
#define EVENT__HAVE_INTTYPES_H 1
#define EVENT__HAVE_NETDB_H 1
#define EVENT__HAVE_NETINET_IN_H 1
#define EVENT__HAVE_NETINET_TCP_H 1
#define EVENT__HAVE_POLL_H 1
#define EVENT__HAVE_STDARG_H 1
#define EVENT__HAVE_STDDEF_H 1
#define EVENT__HAVE_STDINT_H 1
#define EVENT__HAVE_STDLIB_H 1
#define EVENT__HAVE_STRING_H 1
#define EVENT__HAVE_STRINGS_H 1
#define EVENT__HAVE_SYS_EPOLL_H 1
#define EVENT__HAVE_SYS_EVENTFD_H 1
#define EVENT__HAVE_SYS_IOCTL_H 1
#define EVENT__HAVE_SYS_MMAN_H 1
#define EVENT__HAVE_SYS_PARAM_H 1
#define EVENT__HAVE_SYS_QUEUE_H 1
#define EVENT__HAVE_SYS_RANDOM_H 1
#define EVENT__HAVE_SYS_RESOURCE_H 1
#define EVENT__HAVE_SYS_SELECT_H 1
#define EVENT__HAVE_SYS_SENDFILE_H 1
#define EVENT__HAVE_SYS_SOCKET_H 1
#define EVENT__HAVE_SYS_STAT_H 1
#define EVENT__HAVE_SYS_TIME_H 1
#define EVENT__HAVE_SYS_TYPES_H 1
#define EVENT__HAVE_SYS_UIO_H 1
#define EVENT__HAVE_SYS_UN_H 1
#define EVENT__HAVE_SYS_WAIT_H 1
#define EVENT__HAVE_UNISTD_H 1
#define EVENT__TIME_WITH_SYS_TIME 1

/* Facilities the engine uses. */
#define EVENT__HAVE_EPOLL 1
#define EVENT__HAVE_EPOLL_CREATE1 1
#define EVENT__HAVE_EPOLL_CTL 1
#define EVENT__HAVE_POLL 1
#define EVENT__HAVE_SELECT 1
#define EVENT__HAVE_EVENTFD 1
#define EVENT__HAVE_PTHREADS 1
#define EVENT__HAVE_CLOCK_GETTIME 1
#define EVENT__HAVE_GETTIMEOFDAY 1
#define EVENT__HAVE_SENDFILE 1
#define EVENT__HAVE_MMAP 1
#define EVENT__HAVE_PIPE 1
#define EVENT__HAVE_PIPE2 1
#define EVENT__HAVE_ACCEPT4 1
#define EVENT__HAVE_SIGACTION 1
#define EVENT__HAVE_GETADDRINFO 1
#define EVENT__HAVE_GETNAMEINFO 1
#define EVENT__HAVE_INET_NTOP 1
#define EVENT__HAVE_INET_PTON 1
#define EVENT__HAVE_GETRANDOM 1
#define EVENT__HAVE_STRTOLL 1
#define EVENT__HAVE_VASPRINTF 1
#define EVENT__HAVE_FCNTL 1
#define EVENT__HAVE_SETFD 1
#define EVENT__HAVE_STRUCT_ADDRINFO 1
#define EVENT__HAVE_STRUCT_IN6_ADDR 1
#define EVENT__HAVE_STRUCT_SOCKADDR_IN6 1
#define EVENT__HAVE_STRUCT_SOCKADDR_STORAGE 1
#define EVENT__HAVE_STRUCT_SOCKADDR_UN 1
#define EVENT__HAVE_SA_FAMILY_T 1
#define EVENT__HAVE_UINT8_T 1
#define EVENT__HAVE_UINT16_T 1
#define EVENT__HAVE_UINT32_T 1
#define EVENT__HAVE_UINT64_T 1
#define EVENT__HAVE_UINTPTR_T 1
#define EVENT__HAVE_TIMERADD 1
#define EVENT__HAVE_TIMERCLEAR 1
#define EVENT__HAVE_TIMERCMP 1
#define EVENT__HAVE_TIMERISSET 1
#define EVENT__HAVE_TAILQFOREACH 1

#endif /* EVENT2_EVENT_CONFIG_H_INCLUDED_ */
