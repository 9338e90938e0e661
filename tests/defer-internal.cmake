# test-defer-internal: deferred callbacks (libevent/defer-internal.h), an
# internal API: linked against the static core library, whose hidden
# symbols a static link can still reach.  The program's own event_base_new
# lives in the build tree, so the engine-origin check holds.
add_executable(test-defer-internal ${CMAKE_CURRENT_SOURCE_DIR}/internal/test-defer-internal.c)
target_include_directories(test-defer-internal PRIVATE ${CMAKE_SOURCE_DIR}/include
                                                       ${CMAKE_SOURCE_DIR}/libevent)
target_compile_definitions(test-defer-internal PRIVATE _GNU_SOURCE)
target_link_libraries(test-defer-internal PRIVATE
    -Wl,--whole-archive test_support -Wl,--no-whole-archive ${CMAKE_DL_LIBS}
    event_pthreads_static event_core_static PkgConfig::CRITERION Threads::Threads)
# Export the program's own API symbols so the engine check can find them.
target_link_options(test-defer-internal PRIVATE -rdynamic)
add_test(NAME test-defer-internal COMMAND test-defer-internal --jobs=1)
set_tests_properties(test-defer-internal PROPERTIES TIMEOUT 60)
