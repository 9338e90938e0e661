/*
 * test-abi.c: the version an application sees, at compile time (macros)
 * and at run time (functions).  Consumers parse both: memcached refuses
 * to start on a "1." version, others compare the number.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <event2/event.h>

Test(abi, version_string_is_2_1_12_stable, .timeout = 10)
{
	const char *v = event_get_version();

	cr_assert_not_null(v);
	cr_assert(strncmp(v, "2.1.12-stable", 13) == 0,
	    "event_get_version() = \"%s\"", v);
}

Test(abi, version_number_is_0x02010c00, .timeout = 10)
{
	ev_uint32_t n = event_get_version_number();

	cr_assert_eq(n, 0x02010c00, "event_get_version_number() = 0x%08x", n);
}

Test(abi, header_macros_match_the_library, .timeout = 10)
{
	cr_assert_str_eq(LIBEVENT_VERSION, "2.1.12-stable");
	cr_assert_eq(LIBEVENT_VERSION_NUMBER, 0x02010c00);
	cr_assert_str_eq(event_get_version(), LIBEVENT_VERSION);
	cr_assert_eq(event_get_version_number(), LIBEVENT_VERSION_NUMBER);
}
