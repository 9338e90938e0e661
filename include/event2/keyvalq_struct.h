/*
 * keyvalq_struct.h: the key/value list used for HTTP headers and query
 * arguments.  A plain tail queue of malloc'ed strings.
 */
#ifndef EVENT2_KEYVALQ_STRUCT_H_INCLUDED_
#define EVENT2_KEYVALQ_STRUCT_H_INCLUDED_

#ifdef __cplusplus
extern "C" {
#endif

#ifndef TAILQ_ENTRY
#define EVENT_KVQ_LOCAL_TAILQ_ENTRY_
#define TAILQ_ENTRY(type) struct { struct type *tqe_next; struct type **tqe_prev; }
#endif
#ifndef TAILQ_HEAD
#define EVENT_KVQ_LOCAL_TAILQ_HEAD_
#define TAILQ_HEAD(name, type) struct name { struct type *tqh_first; struct type **tqh_last; }
#endif

struct evkeyval {
	TAILQ_ENTRY(evkeyval) next;
	char *key;
	char *value;
};

TAILQ_HEAD(evkeyvalq, evkeyval);

#ifdef EVENT_KVQ_LOCAL_TAILQ_ENTRY_
#undef TAILQ_ENTRY
#undef EVENT_KVQ_LOCAL_TAILQ_ENTRY_
#endif
#ifdef EVENT_KVQ_LOCAL_TAILQ_HEAD_
#undef TAILQ_HEAD
#undef EVENT_KVQ_LOCAL_TAILQ_HEAD_
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_KEYVALQ_STRUCT_H_INCLUDED_ */
