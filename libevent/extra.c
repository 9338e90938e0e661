/*
 * extra.c: anchor of libevent_extra.
 *
 * libevent_extra holds the protocol layers (HTTP, DNS, RPC, tagging).
 * None of them is built yet (see the issues), but the library must exist
 * with its soname and link against libevent_core, because programs and
 * pkg-config users name it.  This translation unit records the library's
 * version so it is never empty; the protocol sources join it as they land.
 */
#include <event2/event.h>

/* Hidden: present only so the object is not empty. */
const char event__extra_library_version[] = EVENT__VERSION;
