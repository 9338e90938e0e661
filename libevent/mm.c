/*
 * mm.c: the allocation layer behind event_set_mem_functions().
 *
 * The replacement functions are plain pointers read on every allocation;
 * with none installed the libc functions are called directly.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include "mm-internal.h"

static void *(*mm_malloc_fn)(size_t);
static void *(*mm_realloc_fn)(void *, size_t);
static void (*mm_free_fn)(void *);

void *
mm_malloc(size_t sz)
{
	if (sz == 0)
		return NULL;
	return mm_malloc_fn ? mm_malloc_fn(sz) : malloc(sz);
}

void *
mm_calloc(size_t count, size_t size)
{
	if (count == 0 || size == 0)
		return NULL;
	if (count > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	if (!mm_malloc_fn)
		return calloc(count, size);
	void *p = mm_malloc_fn(count * size);
	if (p)
		memset(p, 0, count * size);
	return p;
}

char *
mm_strdup(const char *s)
{
	if (!s) {
		errno = EINVAL;
		return NULL;
	}
	size_t len = strlen(s);
	char *p = mm_malloc(len + 1);
	if (p)
		memcpy(p, s, len + 1);
	return p;
}

void *
mm_realloc(void *p, size_t sz)
{
	return mm_realloc_fn ? mm_realloc_fn(p, sz) : realloc(p, sz);
}

void
mm_free(void *p)
{
	if (!p)
		return;
	if (mm_free_fn)
		mm_free_fn(p);
	else
		free(p);
}

void
event_set_mem_functions(void *(*malloc_fn)(size_t sz),
    void *(*realloc_fn)(void *ptr, size_t sz), void (*free_fn)(void *ptr))
{
	mm_malloc_fn = malloc_fn;
	mm_realloc_fn = realloc_fn;
	mm_free_fn = free_fn;
}
