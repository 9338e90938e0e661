/*
 * engine-check.c: linked into every test program.  Debian's stock
 * libevent is installed on the same machine (it is the benchmark
 * baseline), so a test binary could silently resolve its libevent symbols
 * there.  Before any test runs, this checks which object defines
 * event_base_new and refuses to run unless it is the engine built in this
 * tree.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ENGINE_LIB_DIR
#error "ENGINE_LIB_DIR must name the directory holding the engine's libraries"
#endif

__attribute__((constructor)) static void
engine_check(void)
{
	void *sym = dlsym(RTLD_DEFAULT, "event_base_new");
	Dl_info info = { 0 };
	char lib[PATH_MAX], dir[PATH_MAX];

	/* A symbol of the program itself (an internal test linking the static
	 * library) is reported under argv[0], which Criterion's workers
	 * rename: resolve the program through /proc/self/exe instead. */
	if (sym && dladdr(sym, &info) && info.dli_fname && !strchr(info.dli_fname, '/'))
		info.dli_fname = "/proc/self/exe";
	if (!sym || !info.dli_fname ||
	    !realpath(info.dli_fname, lib) || !realpath(ENGINE_LIB_DIR, dir) ||
	    strncmp(lib, dir, strlen(dir)) != 0) {
		fprintf(stderr, "engine-check: event_base_new comes from %s, not from "
		    "the engine in %s; refusing to test the wrong library\n",
		    sym && info.dli_fname ? info.dli_fname : "(nowhere)", ENGINE_LIB_DIR);
		_exit(99);
	}
}
