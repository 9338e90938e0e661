/*
 * event.h: the 1.x all-in-one header.  It pulls in every event2 header a
 * 1.x program used; new code includes the event2 headers it needs.
 * Headers of subsystems this build does not ship yet are skipped.
 */
#ifndef EVENT1_EVENT_H_INCLUDED_
#define EVENT1_EVENT_H_INCLUDED_

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>
#include <stdint.h>
#include <stdarg.h>

#include <evutil.h>
#include <event2/event_struct.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#if __has_include(<event2/buffer.h>)
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#endif
#if __has_include(<event2/bufferevent.h>)
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/bufferevent_compat.h>
#endif
#if __has_include(<event2/tag.h>)
#include <event2/tag.h>
#include <event2/tag_compat.h>
#endif

#endif /* EVENT1_EVENT_H_INCLUDED_ */
