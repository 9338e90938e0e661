/*
 * bench-common.c: command line, clock, fd limit, library origin and the
 * result lines shared by every workload program (see bench-common.h).
 */
#define _GNU_SOURCE
#include "bench-common.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Timed samples of this process, kept to print the per-process median. */
static uint64_t *sample_ns;
static long sample_count;
static long sample_cap;

static void
usage(const char *prog, const char *defsize)
{
	fprintf(stderr,
	    "usage: %s [--size S] [--runs K] [--warmup W]\n"
	    "  --size S    workload size (default %s)\n"
	    "  --runs K    timed runs to report, 0 for setup and warm-up only\n"
	    "  --warmup W  untimed runs before the timed ones\n",
	    prog, defsize);
}

static long
parse_count(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 100000000)
		bench_die("bad %s '%s'", what, s);
	return v;
}

void
bench_parse(int argc, char **argv, const char *defsize, struct bench_opts *o)
{
	o->size = defsize;
	o->runs = 10;
	o->warmup = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(argv[0], defsize);
			exit(0);
		}
		if (i + 1 >= argc) {
			usage(argv[0], defsize);
			exit(BENCH_EXIT_USAGE);
		}
		if (!strcmp(a, "--size"))
			o->size = argv[++i];
		else if (!strcmp(a, "--runs"))
			o->runs = parse_count(argv[++i], "--runs");
		else if (!strcmp(a, "--warmup"))
			o->warmup = parse_count(argv[++i], "--warmup");
		else {
			usage(argv[0], defsize);
			exit(BENCH_EXIT_USAGE);
		}
	}
	sample_cap = o->runs > 0 ? o->runs : 1;
	sample_ns = calloc((size_t)sample_cap, sizeof(*sample_ns));
	if (!sample_ns)
		bench_die("out of memory for %ld samples", sample_cap);
}

int
bench_parse_list(const char *s, long *out, int max)
{
	int n = 0;
	const char *p = s;

	while (*p) {
		char *end;
		long v;
		if (n == max)
			return -1;
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || end == p || v <= 0)
			return -1;
		out[n++] = v;
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		p = end;
	}
	return n;
}

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
bench_raise_nofile(long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && (long)rl.rlim_max < need) {
		fprintf(stderr, "bench: need %ld descriptors, hard limit is %ld\n",
		    need, (long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = (rlim_t)need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("bench: setrlimit(RLIMIT_NOFILE)");
		return -1;
	}
	return 0;
}

#if defined(BENCH_EXPECT_ENGINE) || defined(BENCH_EXPECT_SYSTEM)
/* True when realpath(path) lies inside realpath(dir). */
static int
path_inside(const char *path, const char *dir)
{
	char p[PATH_MAX], d[PATH_MAX];
	size_t n;

	if (!realpath(path, p) || !realpath(dir, d))
		return 0;
	n = strlen(d);
	return strncmp(p, d, n) == 0 && (p[n] == '/' || d[n - 1] == '/');
}

#else
/* Floors must not have any libevent mapped at all. */
static int
maps_mention_libevent(void)
{
	char line[4096];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "libevent"))
			found = 1;
	fclose(f);
	return found;
}
#endif

static void
wrong_lib(const char *why, const char *path)
{
	printf("WRONGLIB variant=%s path=%s reason=%s\n", BENCH_VARIANT,
	    path ? path : "none", why);
	fflush(stdout);
	fprintf(stderr, "bench: variant %s loaded the wrong libevent (%s): %s\n",
	    BENCH_VARIANT, path ? path : "none", why);
	exit(BENCH_EXIT_WRONG_LIB);
}

void
bench_check_origin(void)
{
	void *sym = dlsym(RTLD_DEFAULT, "event_base_new");
	const char *(*version)(void);
	Dl_info info;
	char real[PATH_MAX];
	const char *path = NULL;

	if (sym && dladdr(sym, &info) && info.dli_fname)
		path = realpath(info.dli_fname, real) ? real : info.dli_fname;
	*(void **)&version = dlsym(RTLD_DEFAULT, "event_get_version");
	printf("LIB variant=%s path=%s version=%s\n", BENCH_VARIANT,
	    path ? path : "none", version ? version() : "none");
	fflush(stdout);
#if defined(BENCH_EXPECT_ENGINE)
	if (!path || !path_inside(path, BENCH_EXPECT_ENGINE))
		wrong_lib("engine variant must load the engine from "
		    BENCH_EXPECT_ENGINE, path);
#elif defined(BENCH_EXPECT_SYSTEM)
	if (!path || !path_inside(path, BENCH_EXPECT_SYSTEM))
		wrong_lib("baseline must load the system libevent from "
		    BENCH_EXPECT_SYSTEM, path);
#ifdef BENCH_ENGINE_DIR
	if (path_inside(path, BENCH_ENGINE_DIR))
		wrong_lib("baseline loaded the engine", path);
#endif
#else
	if (path || maps_mention_libevent())
		wrong_lib("floor variants must not load any libevent", path);
#endif
}

void
bench_watchdog(unsigned seconds)
{
	alarm(seconds);
}

void
bench_sample(const char *workload, const char *size, long run, uint64_t ns,
    uint64_t ops)
{
	if (sample_count < sample_cap)
		sample_ns[sample_count++] = ns;
	printf("SAMPLE workload=%s variant=%s size=%s run=%ld ns=%llu ops=%llu\n",
	    workload, BENCH_VARIANT, size, run, (unsigned long long)ns,
	    (unsigned long long)ops);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void
bench_result(const char *workload, const char *size, uint64_t ops_per_run)
{
	double med = 0, lo = 0, hi = 0, per_op, ops = (double)ops_per_run;

	if (sample_count > 0) {
		qsort(sample_ns, (size_t)sample_count, sizeof(*sample_ns), cmp_u64);
		lo = (double)sample_ns[0];
		hi = (double)sample_ns[sample_count - 1];
		if (sample_count % 2)
			med = (double)sample_ns[sample_count / 2];
		else
			med = ((double)sample_ns[sample_count / 2 - 1] +
			    (double)sample_ns[sample_count / 2]) / 2;
	}
	per_op = ops > 0 ? med / ops : 0;
	printf("RESULT workload=%s variant=%s size=%s runs=%ld ops_per_run=%llu "
	    "ns_per_op=%.2f min_ns_per_op=%.2f max_ns_per_op=%.2f "
	    "us_per_run=%.2f ops_per_s=%.0f\n",
	    workload, BENCH_VARIANT, size, sample_count,
	    (unsigned long long)ops_per_run, per_op, ops > 0 ? lo / ops : 0,
	    ops > 0 ? hi / ops : 0, med / 1000, per_op > 0 ? 1e9 / per_op : 0);
	fflush(stdout);
}

void
bench_miscount(const char *workload, const char *size, const char *what,
    uint64_t want, uint64_t got)
{
	printf("MISCOUNT workload=%s variant=%s size=%s what=%s want=%llu got=%llu\n",
	    workload, BENCH_VARIANT, size, what, (unsigned long long)want,
	    (unsigned long long)got);
	fflush(stdout);
	exit(BENCH_EXIT_MISCOUNT);
}

void
bench_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench (%s): ", BENCH_VARIANT);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(BENCH_EXIT_USAGE);
}

int
bench_socketpair(int fds[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    fds);
}
