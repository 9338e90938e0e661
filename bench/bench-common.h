/*
 * bench-common.h: what every workload program shares.
 *
 * A workload program is one C source compiled several ways (engine,
 * baseline, floor, ...).  The helpers here parse the common command line,
 * take timestamps, raise the fd limit, prove which libevent the process
 * loaded, and print the machine-readable lines scripts/run-bench.sh reads:
 *
 *   LIB      variant=<v> path=<object defining event_base_new, or none>
 *   SAMPLE   workload=<w> variant=<v> size=<s> run=<i> ns=<t> ops=<n>
 *   RESULT   workload=<w> variant=<v> size=<s> runs=<k> ops_per_run=<n>
 *            ns_per_op=<median> min_ns_per_op=... max_ns_per_op=...
 *            us_per_run=<median> ops_per_s=<from the median>
 *   MISCOUNT workload=<w> variant=<v> ... (followed by exit status 2)
 *
 * The variant name and the expected library location are compile-time
 * definitions set by bench/CMakeLists.txt:
 *   BENCH_VARIANT        "engine", "baseline", "floor", "floor-oneshot"
 *   BENCH_EXPECT_ENGINE  directory the engine's libraries must come from
 *   BENCH_EXPECT_SYSTEM  directory the system libevent must come from
 */
#ifndef BENCH_COMMON_H_INCLUDED_
#define BENCH_COMMON_H_INCLUDED_

#include <stdint.h>

#ifndef BENCH_VARIANT
#error "BENCH_VARIANT must name the variant being built"
#endif

/* Process exit statuses the harness tells apart. */
#define BENCH_EXIT_USAGE 64     /* bad command line or setup failure */
#define BENCH_EXIT_MISCOUNT 2   /* the workload saw a wrong event count */
#define BENCH_EXIT_WRONG_LIB 3  /* loaded the wrong libevent */

struct bench_opts {
	const char *size;  /* workload-specific size string, e.g. "100,1,100" */
	long runs;         /* timed runs to report (0: setup and warm-up only) */
	long warmup;       /* untimed runs after setup, before the timed ones */
};

/* Parses --size S --runs K --warmup W (plus --help).  Exits with
 * BENCH_EXIT_USAGE on bad input; `defsize` is used when --size is absent. */
void bench_parse(int argc, char **argv, const char *defsize,
    struct bench_opts *o);

/* Parses "a,b,c" into up to `max` positive longs; returns how many were
 * read, or -1 if the string is malformed or holds more than `max`. */
int bench_parse_list(const char *s, long *out, int max);

/* Monotonic clock in nanoseconds (vDSO: no syscall). */
uint64_t bench_now_ns(void);

/* Raises RLIMIT_NOFILE's soft limit to at least `need` descriptors.
 * Returns 0, or -1 with a message when the hard limit is too low. */
int bench_raise_nofile(long need);

/* Prints the LIB line and checks that the process loaded the libevent its
 * variant promises (the engine from BENCH_EXPECT_ENGINE, the system one
 * from BENCH_EXPECT_SYSTEM, none for floors).  Exits with
 * BENCH_EXIT_WRONG_LIB otherwise.  Call first thing in main(). */
void bench_check_origin(void);

/* Arms a watchdog: the process dies with SIGALRM after `seconds`, so a
 * workload that loses an event fails instead of hanging. */
void bench_watchdog(unsigned seconds);

/* Records one timed run (prints a SAMPLE line).  `run` counts from 0. */
void bench_sample(const char *workload, const char *size, long run,
    uint64_t ns, uint64_t ops);

/* Prints the RESULT line for the samples recorded so far; `ops_per_run`
 * is what every run must have done. */
void bench_result(const char *workload, const char *size, uint64_t ops_per_run);

/* Reports that a run did `got` operations where `want` were due, and
 * exits with BENCH_EXIT_MISCOUNT. */
void bench_miscount(const char *workload, const char *size, const char *what,
    uint64_t want, uint64_t got) __attribute__((noreturn));

/* Fails the process with BENCH_EXIT_USAGE and a message (setup errors). */
void bench_die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* Makes both ends of a fresh AF_UNIX stream socketpair non-blocking. */
int bench_socketpair(int fds[2]);

#endif
