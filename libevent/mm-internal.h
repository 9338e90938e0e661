/*
 * mm-internal.h: the one allocation layer.  Every engine allocation goes
 * through these so that event_set_mem_functions() sees all of them.
 * Allocation failure returns NULL (errno ENOMEM); callers unwind and
 * return an error, they never abort.
 */
#ifndef MM_INTERNAL_H_INCLUDED_
#define MM_INTERNAL_H_INCLUDED_

#include <stddef.h>

void *mm_malloc(size_t sz);
/* Zeroed; NULL also when count * size overflows. */
void *mm_calloc(size_t count, size_t size);
/* NULL for a NULL string or on failure. */
char *mm_strdup(const char *s);
/* realloc semantics; on failure p is untouched and still owned. */
void *mm_realloc(void *p, size_t sz);
/* NULL is ignored. */
void mm_free(void *p);

#endif /* MM_INTERNAL_H_INCLUDED_ */
