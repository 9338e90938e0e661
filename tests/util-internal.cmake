# test-util-internal: the non-exported helpers of libevent/evutil-internal.h.
# They are hidden in the shared libraries, so this program compiles their
# sources in (with log.c, which they report through) and still links the
# engine's shared library (kept with --no-as-needed, since nothing here
# calls into it) so that the engine-origin check still finds the engine.
add_executable(test-util-internal
    ${CMAKE_CURRENT_SOURCE_DIR}/internal/test-util-internal.c
    ${CMAKE_SOURCE_DIR}/libevent/evutil_fd.c
    ${CMAKE_SOURCE_DIR}/libevent/evutil.c
    ${CMAKE_SOURCE_DIR}/libevent/log.c)
target_include_directories(test-util-internal PRIVATE ${CMAKE_SOURCE_DIR}/include
                                                      ${CMAKE_SOURCE_DIR}/libevent)
target_compile_definitions(test-util-internal PRIVATE _GNU_SOURCE)
target_link_libraries(test-util-internal PRIVATE
    -Wl,--whole-archive test_support -Wl,--no-whole-archive ${CMAKE_DL_LIBS}
    -Wl,--no-as-needed event_core_shared -Wl,--as-needed PkgConfig::CRITERION)
add_test(NAME test-util-internal COMMAND test-util-internal --jobs=2)
set_tests_properties(test-util-internal PROPERTIES TIMEOUT 60)
