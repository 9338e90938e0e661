/*
 * install-probe.c: a consumer built only from what pkg-config says about
 * the installed engine.  It prints the version it sees and the file each
 * probed function was loaded from, so install.sh can prove the program
 * ran on the installed copy and not on Debian's libevent or the build tree.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <event2/event.h>
#ifdef PROBE_PTHREADS
#include <event2/thread.h>
#endif

/* Prints "loaded NAME FILE" for the object that defines NAME. */
static int
where(const char *name)
{
	Dl_info info;
	void *sym = dlsym(RTLD_DEFAULT, name);

	if (!sym || !dladdr(sym, &info) || !info.dli_fname) {
		printf("missing %s\n", name);
		return 1;
	}
	printf("loaded %s %s\n", name, info.dli_fname);
	return 0;
}

int
main(void)
{
	struct event_base *base;
	int bad = 0;

#ifdef PROBE_PTHREADS
	if (evthread_use_pthreads() != 0) {
		printf("evthread_use_pthreads failed\n");
		bad = 1;
	}
	bad |= where("evthread_use_pthreads");
#endif
	base = event_base_new();
	if (!base) {
		printf("event_base_new failed\n");
		return 1;
	}
	printf("version %s method %s\n", event_get_version(),
	    event_base_get_method(base));
	event_base_free(base);
	bad |= where("event_base_new");
	return bad;
}
