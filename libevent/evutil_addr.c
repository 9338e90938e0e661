/*
 * evutil_addr.c: address text (inet_pton/ntop with IPv6 scopes,
 * "host:port" parsing), address ordering, and getaddrinfo.
 *
 * getaddrinfo has two paths.  A numeric host with a numeric (or no) port,
 * under plain hints, is answered here without touching NSS, /etc/services
 * or the network: that is what listeners and connect-by-address do, and it
 * must not block.  Everything else goes to the libc getaddrinfo.  The
 * numeric path reproduces glibc's answer exactly (same entries, same order,
 * same fields); when a case would need glibc's finer rules (scoped
 * addresses, V4MAPPED, ADDRCONFIG, unusual socket types, short IPv4
 * forms such as "127.1", defaulted hints) it is simply not taken.
 *
 * Whatever the path, the returned list is made of evutil__addrinfo_new()
 * nodes, so evutil_freeaddrinfo() has one way to free, and the memory
 * comes from the mm layer.  A node is laid out as glibc lays out its own
 * (node and address in one block, canonical name separate), so with the
 * default allocator even libc's freeaddrinfo() can free our lists, as it
 * could with stock libevent on glibc.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/util.h>
#include "evutil-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/* ---- inet_pton / inet_ntop ------------------------------------------------ */

const char *
evutil_inet_ntop(int af, const void *src, char *dst, size_t len)
{
	if (!src || !dst) {
		errno = EINVAL;
		return NULL;
	}
	if (len > (size_t)INT_MAX) /* socklen_t is 32 bits */
		len = INT_MAX;
	return inet_ntop(af, src, dst, (socklen_t)len);
}

int
evutil_inet_pton(int af, const char *src, void *dst)
{
	if (!src || !dst) {
		errno = EINVAL;
		return af == AF_INET || af == AF_INET6 ? 0 : -1;
	}
	return inet_pton(af, src, dst);
}

/*
 * Parses an interface scope ("lo", "eth0", or a decimal index) into *index.
 * Numeric scopes are taken as given (the interface need not exist now);
 * names must exist.  Returns 1, or 0 for an empty, malformed, out-of-range
 * or unknown scope.
 */
static int
parse_scope(const char *scope, unsigned *index)
{
	if (evutil__isdigit(scope[0])) {
		unsigned long v = 0;
		for (const char *p = scope; *p; p++) {
			if (!evutil__isdigit(*p))
				return 0;
			v = v * 10 + (unsigned long)(*p - '0');
			if (v > UINT_MAX)
				return 0;
		}
		*index = (unsigned)v;
		return 1;
	}
	if (scope[0] == '\0' || strlen(scope) >= IF_NAMESIZE)
		return 0;
	*index = if_nametoindex(scope);
	return *index != 0;
}

int
evutil_inet_pton_scope(int af, const char *src, void *dst, unsigned *indexp)
{
	unsigned dummy;

	if (!indexp)
		indexp = &dummy;
	*indexp = 0;
	if (af != AF_INET6 || !src)
		return evutil_inet_pton(af, src, dst);

	const char *pct = strchr(src, '%');
	if (!pct)
		return evutil_inet_pton(af, src, dst);

	/* The longest IPv6 text is 45 characters; anything longer before the
	 * '%' is not an address. */
	char addr[INET6_ADDRSTRLEN + 1];
	size_t alen = (size_t)(pct - src);
	if (alen >= sizeof(addr))
		return 0;
	memcpy(addr, src, alen);
	addr[alen] = '\0';

	unsigned index;
	if (!parse_scope(pct + 1, &index))
		return 0;
	int r = evutil_inet_pton(AF_INET6, addr, dst);
	if (r == 1)
		*indexp = index;
	return r;
}

/* ---- "address:port" ------------------------------------------------------ */

/* Parses a decimal port 1-65535 (the whole string, digits only). */
static int
parse_port(const char *s, int *port)
{
	int v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (!evutil__isdigit(*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return -1;
	}
	if (v == 0)
		return -1;
	*port = v;
	return 0;
}

/* Copies the n bytes at s into buf (bufsize bytes) as a string; -1 if they
 * do not fit. */
static int
copy_part(char *buf, size_t bufsize, const char *s, size_t n)
{
	if (n >= bufsize)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

/*
 * Splits str into address text and port: "[v6]", "[v6]:port", "v4",
 * "v4:port", or a bare "v6" (two or more colons, no port).  *is_v6 says
 * which family the address text must be.  -1 if str has none of these
 * shapes.
 */
static int
split_host_port(const char *str, char *host, size_t hostsize, int *port,
    int *is_v6)
{
	*port = 0;
	if (str[0] == '[') {
		const char *close = strchr(str, ']');
		if (!close || copy_part(host, hostsize, str + 1, close - str - 1) < 0)
			return -1;
		*is_v6 = 1;
		if (close[1] == '\0')
			return 0;
		return close[1] == ':' ? parse_port(close + 2, port) : -1;
	}
	const char *colon = strchr(str, ':');
	if (colon && strchr(colon + 1, ':')) {
		*is_v6 = 1;
		return copy_part(host, hostsize, str, strlen(str));
	}
	*is_v6 = 0;
	if (!colon)
		return copy_part(host, hostsize, str, strlen(str));
	if (copy_part(host, hostsize, str, colon - str) < 0)
		return -1;
	return parse_port(colon + 1, port);
}

int
evutil_parse_sockaddr_port(const char *str, struct sockaddr *out, int *outlen)
{
	char host[128];
	int port, is_v6;
	struct sockaddr_storage ss;
	int len;

	if (!str || !out || !outlen)
		return -1;
	if (split_host_port(str, host, sizeof(host), &port, &is_v6) < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (is_v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		unsigned scope;
		if (evutil_inet_pton_scope(AF_INET6, host, &sin6->sin6_addr, &scope) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sin6->sin6_scope_id = scope;
		len = (int)sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		if (evutil_inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = (int)sizeof(*sin);
	}
	if (*outlen < len)
		return -1;
	memcpy(out, &ss, (size_t)len);
	*outlen = len;
	return 0;
}

/* ---- ordering ------------------------------------------------------------- */

/* -1, 0 or 1 as a is below, equal to or above b. */
static int
sign_of(long a, long b)
{
	return (a > b) - (a < b);
}

int
evutil_sockaddr_cmp(const struct sockaddr *sa1, const struct sockaddr *sa2,
    int include_port)
{
	if (!sa1 || !sa2)
		return (sa1 != NULL) - (sa2 != NULL);
	if (sa1->sa_family != sa2->sa_family)
		return sign_of(sa1->sa_family, sa2->sa_family);

	int r;
	in_port_t p1, p2;
	if (sa1->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa1, *b = (const void *)sa2;
		r = sign_of(ntohl(a->sin_addr.s_addr), ntohl(b->sin_addr.s_addr));
		p1 = a->sin_port;
		p2 = b->sin_port;
	} else if (sa1->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)sa1, *b = (const void *)sa2;
		r = memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr));
		r = sign_of(r, 0);
		p1 = a->sin6_port;
		p2 = b->sin6_port;
	} else {
		/* Only IPv4 and IPv6 are ordered; other families compare as
		 * "different", as documented for libevent. */
		return 1;
	}
	if (r != 0 || !include_port)
		return r;
	return sign_of(ntohs(p1), ntohs(p2));
}

/* ---- addrinfo lists -------------------------------------------------------- */

/* One allocation per node: the node, then room for any address. */
struct ai_block {
	struct evutil_addrinfo ai;
	struct sockaddr_storage addr;
};

struct evutil_addrinfo *
evutil__addrinfo_new(const struct sockaddr *sa, socklen_t salen, int socktype,
    int protocol, int flags)
{
	if (!sa || salen < sizeof(sa_family_t) || salen > sizeof(struct sockaddr_storage))
		return NULL;
	struct ai_block *b = mm_calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	memcpy(&b->addr, sa, salen);
	b->ai.ai_flags = flags;
	b->ai.ai_family = sa->sa_family;
	b->ai.ai_socktype = socktype;
	b->ai.ai_protocol = protocol;
	b->ai.ai_addrlen = salen;
	b->ai.ai_addr = (struct sockaddr *)&b->addr;
	return &b->ai;
}

struct evutil_addrinfo *
evutil__addrinfo_append(struct evutil_addrinfo *a, struct evutil_addrinfo *b)
{
	if (!a)
		return b;
	struct evutil_addrinfo *tail = a;
	while (tail->ai_next)
		tail = tail->ai_next;
	tail->ai_next = b;
	return a;
}

void
evutil_freeaddrinfo(struct evutil_addrinfo *ai)
{
	while (ai) {
		struct evutil_addrinfo *next = ai->ai_next;
		mm_free(ai->ai_canonname);
		mm_free(ai); /* the node's address lives in the same block */
		ai = next;
	}
}

/* ---- getaddrinfo: numeric fast path ---------------------------------------- */

/* Socket types glibc answers for when hints leave them open, in its order. */
static const struct {
	int socktype, protocol;
} proto_table[] = {
	{ SOCK_STREAM, IPPROTO_TCP },
	{ SOCK_DGRAM, IPPROTO_UDP },
	{ SOCK_RAW, 0 },
};

/* Does table row i answer hints asking for (socktype, protocol)?  Only the
 * combinations whose glibc answer is the table row itself are claimed. */
static int
proto_wanted(int i, int socktype, int protocol)
{
	int st = proto_table[i].socktype, pr = proto_table[i].protocol;

	if (socktype == 0 && protocol == 0)
		return 1;
	if (st == SOCK_RAW)
		return 0;
	return (socktype == 0 || socktype == st) && (protocol == 0 || protocol == pr);
}

/* Are (socktype, protocol) among the combinations the fast path knows? */
static int
proto_supported(int socktype, int protocol)
{
	int any = 0;

	if (socktype != 0 && socktype != SOCK_STREAM && socktype != SOCK_DGRAM)
		return 0;
	if (protocol != 0 && protocol != IPPROTO_TCP && protocol != IPPROTO_UDP)
		return 0;
	for (size_t i = 0; i < sizeof(proto_table) / sizeof(proto_table[0]); i++)
		any |= proto_wanted((int)i, socktype, protocol);
	return any; /* e.g. SOCK_STREAM with UDP: glibc's error, not ours */
}

/* A service the fast path can answer: NULL (port 0) or 1-5 decimal digits
 * up to 65535.  0 on success. */
static int
numeric_service(const char *serv, int *port)
{
	int v = 0;
	size_t n = 0;

	*port = 0;
	if (!serv)
		return 0;
	for (; serv[n]; n++) {
		if (n >= 5 || !evutil__isdigit(serv[n]))
			return -1;
		v = v * 10 + (serv[n] - '0');
	}
	if (n == 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

/* Fills ss with the address of node (a strict numeric address, or for NULL
 * the wildcard or loopback address of family).  0 on success, -1 when the
 * fast path cannot decide. */
static int
numeric_node(const char *node, int family, int passive,
    struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!node) {
		if (family == AF_INET) {
			sin->sin_addr.s_addr = htonl(passive ? INADDR_ANY : INADDR_LOOPBACK);
		} else if (family == AF_INET6) {
			sin6->sin6_addr = passive ? in6addr_any : in6addr_loopback;
		} else {
			return -1; /* both families: glibc's RFC 6724 sort decides */
		}
	} else if (family != AF_INET6 && inet_pton(AF_INET, node, &sin->sin_addr) == 1) {
		family = AF_INET;
	} else if (family != AF_INET && inet_pton(AF_INET6, node, &sin6->sin6_addr) == 1) {
		family = AF_INET6;
	} else {
		return -1;
	}
	ss->ss_family = (sa_family_t)family;
	*len = family == AF_INET ? sizeof(*sin) : sizeof(*sin6);
	return 0;
}

/* Stores port (host order) into the address in ss. */
static void
set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

/* Builds the answer list for one address; 0, or EVUTIL_EAI_MEMORY. */
static int
build_numeric(const struct sockaddr_storage *ss, socklen_t len,
    const struct evutil_addrinfo *hints, const char *node,
    struct evutil_addrinfo **res)
{
	struct evutil_addrinfo *head = NULL;

	for (size_t i = 0; i < sizeof(proto_table) / sizeof(proto_table[0]); i++) {
		if (!proto_wanted((int)i, hints->ai_socktype, hints->ai_protocol))
			continue;
		struct evutil_addrinfo *ai = evutil__addrinfo_new(
		    (const struct sockaddr *)ss, len, proto_table[i].socktype,
		    proto_table[i].protocol, hints->ai_flags);
		if (!ai)
			goto oom;
		head = evutil__addrinfo_append(head, ai);
	}
	/* glibc names a numeric host by its own text, on the first entry. */
	if ((hints->ai_flags & AI_CANONNAME) && head) {
		head->ai_canonname = mm_strdup(node);
		if (!head->ai_canonname)
			goto oom;
	}
	*res = head;
	return 0;
oom:
	evutil_freeaddrinfo(head);
	return EVUTIL_EAI_MEMORY;
}

/*
 * Answers the query without libc when it can.  Returns 1 if it did (with
 * *err the result code and *res set on success), 0 if libc must answer.
 */
static int
try_numeric(const char *node, const char *serv,
    const struct evutil_addrinfo *hints, struct evutil_addrinfo **res, int *err)
{
	const int fast_flags = AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST |
	    AI_NUMERICSERV;
	struct sockaddr_storage ss;
	socklen_t len;
	int port;

	if (!hints || (hints->ai_flags & ~fast_flags))
		return 0;
	if (hints->ai_family != AF_UNSPEC && hints->ai_family != AF_INET &&
	    hints->ai_family != AF_INET6)
		return 0;
	if (!proto_supported(hints->ai_socktype, hints->ai_protocol))
		return 0;
	if (!node && !serv) {
		*err = EVUTIL_EAI_NONAME;
		return 1;
	}
	if (!node && (hints->ai_flags & AI_CANONNAME))
		return 0; /* glibc's EAI_BADFLAGS */
	if (numeric_service(serv, &port) < 0)
		return 0;
	if (numeric_node(node, hints->ai_family, hints->ai_flags & AI_PASSIVE,
	        &ss, &len) < 0)
		return 0;
	set_port(&ss, port);
	*err = build_numeric(&ss, len, hints, node, res);
	return 1;
}

/* ---- getaddrinfo: libc path ------------------------------------------------- */

/* Copies a libc list into evutil__addrinfo_new() nodes. */
static int
copy_libc_list(const struct addrinfo *src, struct evutil_addrinfo **res)
{
	struct evutil_addrinfo *head = NULL, *tail = NULL;

	for (; src; src = src->ai_next) {
		struct evutil_addrinfo *ai = evutil__addrinfo_new(src->ai_addr,
		    src->ai_addrlen, src->ai_socktype, src->ai_protocol, src->ai_flags);
		if (!ai)
			goto fail;
		if (src->ai_canonname &&
		    !(ai->ai_canonname = mm_strdup(src->ai_canonname))) {
			evutil_freeaddrinfo(ai);
			goto fail;
		}
		ai->ai_family = src->ai_family;
		if (tail)
			tail->ai_next = ai;
		else
			head = ai;
		tail = ai;
	}
	*res = head;
	return 0;
fail:
	evutil_freeaddrinfo(head);
	return EVUTIL_EAI_MEMORY;
}

/* Asks libc; on success converts its list to ours. */
static int
libc_getaddrinfo(const char *node, const char *serv,
    const struct evutil_addrinfo *hints, struct evutil_addrinfo **res)
{
	struct addrinfo *lres = NULL;
	int err = getaddrinfo(node, serv, hints, &lres);

	if (err != 0)
		return err;
	err = copy_libc_list(lres, res);
	freeaddrinfo(lres);
	return err;
}

int
evutil_getaddrinfo(const char *nodename, const char *servname,
    const struct evutil_addrinfo *hints_in, struct evutil_addrinfo **res)
{
	int err;

	if (!res) {
		event_warnx("%s: NULL result pointer", __func__);
		return EVUTIL_EAI_FAIL;
	}
	*res = NULL;
	if (try_numeric(nodename, servname, hints_in, res, &err))
		return err;
	return libc_getaddrinfo(nodename, servname, hints_in, res);
}

const char *
evutil_gai_strerror(int err)
{
	/* Our codes are glibc's where glibc has one (so glibc words them);
	 * the rest are the fixed stand-ins of event2/util.h, seen by
	 * applications built without _GNU_SOURCE, and evdns's cancel code. */
	switch (err) {
	case -901: return "address family of the host name has no addresses";
	case -902: return "temporary name-resolution failure, try again";
	case -903: return "invalid ai_flags";
	case -904: return "permanent name-resolution failure";
	case -905: return "address family not supported";
	case -906: return "out of memory";
	case -907: return "host name has no addresses";
	case -908: return "unknown host or service name";
	case -909: return "service not supported for this socket type";
	case -910: return "socket type not supported";
	case -911: return "system error (see errno)";
	case EVUTIL_EAI_CANCEL: return "request cancelled";
	default: return gai_strerror(err);
	}
}
