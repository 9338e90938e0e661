/* evutil.h: the 1.x name of <event2/util.h>.  New code includes that. */
#ifndef EVENT1_EVUTIL_H_INCLUDED_
#define EVENT1_EVUTIL_H_INCLUDED_
#include <event2/util.h>
#endif
