/*
 * evutil_rand.c: the "secure RNG" of event2/util.h.
 *
 * The kernel already runs a cryptographic generator, so there is no
 * user-space generator to seed, reseed or protect across fork(): every
 * request is served by getrandom(2).  Where getrandom is missing or
 * filtered (old kernels, seccomp sandboxes answering ENOSYS or EPERM), the
 * bytes are read from the urandom device file instead, which an
 * application may redirect with evutil_secure_rng_set_urandom_device_file()
 * (for a chroot, say).
 *
 * If neither source works, evutil_secure_rng_get_bytes(), which cannot
 * report an error, logs a warning and fills the buffer from a weak
 * time-and-address mix so that callers at least do not get constant
 * output; evutil_secure_rng_init() is how an application checks up front.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <event2/util.h>
#include "log-internal.h"

#define DEFAULT_DEVICE "/dev/urandom"

/* The device file; never copied, as documented (the caller keeps it). */
static const char *device_path = DEFAULT_DEVICE;
/* Set once getrandom has answered ENOSYS or EPERM: stop trying it. */
static int getrandom_unusable;

static int
getrandom_ok(void)
{
	return !__atomic_load_n(&getrandom_unusable, __ATOMIC_RELAXED);
}

/* Fills buf from getrandom; 0, or -1 if the call is unusable or failed. */
static int
fill_from_getrandom(unsigned char *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = getrandom(buf, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOSYS || errno == EPERM)
				__atomic_store_n(&getrandom_unusable, 1, __ATOMIC_RELAXED);
			return -1;
		}
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Fills buf by reading path; 0, or -1 if it cannot be opened or ends. */
static int
fill_from_device(const char *path, unsigned char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -1;
	while (n > 0) {
		ssize_t r = read(fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		buf += r;
		n -= (size_t)r;
	}
	close(fd);
	return n == 0 ? 0 : -1;
}

/* Last resort: not secure, only not constant (see the top comment). */
static void
fill_weak(unsigned char *buf, size_t n)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
	    (uint64_t)getpid() ^ (uint64_t)(uintptr_t)buf;

	for (size_t i = 0; i < n; i++) {
		/* splitmix64 step */
		x += 0x9e3779b97f4a7c15ULL;
		uint64_t z = x;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		buf[i] = (unsigned char)(z ^ (z >> 31));
	}
}

void
evutil_secure_rng_get_bytes(void *buf, size_t n)
{
	if (n == 0)
		return;
	if (!buf) {
		event_warnx("%s: NULL buffer", __func__);
		return;
	}
	if (getrandom_ok() && fill_from_getrandom(buf, n) == 0)
		return;
	if (fill_from_device(device_path, buf, n) == 0)
		return;
	event_warnx("%s: neither getrandom nor %s is usable; these %zu bytes "
	    "are NOT secure", __func__, device_path, n);
	fill_weak(buf, n);
}

int
evutil_secure_rng_init(void)
{
	unsigned char probe;

	/* GRND_NONBLOCK: at early boot the pool may not be ready yet (EAGAIN),
	 * which still proves the call exists; later reads will wait for it. */
	if (getrandom_ok()) {
		ssize_t r = getrandom(&probe, 1, GRND_NONBLOCK);
		if (r == 1 || (r < 0 && (errno == EAGAIN || errno == EINTR)))
			return 0;
		if (r < 0 && (errno == ENOSYS || errno == EPERM))
			__atomic_store_n(&getrandom_unusable, 1, __ATOMIC_RELAXED);
	}
	if (fill_from_device(device_path, &probe, 1) == 0)
		return 0;
	event_warn("%s: no entropy source (getrandom unusable, %s unreadable)",
	    __func__, device_path);
	return -1;
}

int
evutil_secure_rng_set_urandom_device_file(char *fname)
{
	if (!fname) {
		event_warnx("%s: NULL file name", __func__);
		return -1;
	}
	int fd = open(fname, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		event_warn("%s: open(%s)", __func__, fname);
		return -1;
	}
	close(fd);
	device_path = fname;
	return 0;
}

void
evutil_secure_rng_add_bytes(const char *dat, size_t datlen)
{
	/* The kernel pool is the generator; it needs no seeding from us and
	 * offers unprivileged processes no way to credit entropy.  The call
	 * stays valid so that applications written for libevent still work. */
	if (!dat && datlen > 0)
		event_warnx("%s: NULL data with length %zu", __func__, datlen);
}
