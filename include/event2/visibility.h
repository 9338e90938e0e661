/*
 * visibility.h: the one export marker of the engine.
 *
 * The libraries are compiled with -fvisibility=hidden; only declarations
 * carrying EVENT2_EXPORT_SYMBOL become part of the ABI.  When the engine
 * itself is compiled, EVENT_ENGINE_BUILDING is defined by the build system.
 * Applications see an empty marker.
 */
#ifndef EVENT2_VISIBILITY_H_INCLUDED_
#define EVENT2_VISIBILITY_H_INCLUDED_

#include <event2/event-config.h>

#if defined(EVENT_ENGINE_BUILDING) && defined(__GNUC__)
#define EVENT2_EXPORT_SYMBOL __attribute__((visibility("default")))
#else
#define EVENT2_EXPORT_SYMBOL
#endif

/* Older code spells the core-library marker separately; same meaning. */
#define EVENT2_CORE_EXPORT_SYMBOL EVENT2_EXPORT_SYMBOL

#endif /* EVENT2_VISIBILITY_H_INCLUDED_ */
