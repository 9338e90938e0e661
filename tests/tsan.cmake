# tsan.cmake: plain (non-Criterion) thread programs, labelled `tsan`.
# scripts/verify-correctness.sh --full runs them in a -DENGINE_TSAN=ON
# build (ctest -L tsan); they also run in every ordinary build.  Criterion
# cannot start under TSAN on this machine (see tests/tsan/thread-stress.c).
file(GLOB tsan_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tsan/*.c)
foreach(src IN LISTS tsan_sources)
  get_filename_component(name ${src} NAME_WE)
  add_executable(tsan-${name} ${src} ${CMAKE_CURRENT_SOURCE_DIR}/support/engine-check.c)
  target_compile_definitions(tsan-${name} PRIVATE _GNU_SOURCE
      ENGINE_LIB_DIR="${CMAKE_BINARY_DIR}")
  target_link_libraries(tsan-${name} PRIVATE event_core_shared
      event_pthreads_shared Threads::Threads ${CMAKE_DL_LIBS})
  add_test(NAME tsan-${name} COMMAND tsan-${name})
  set_tests_properties(tsan-${name} PROPERTIES TIMEOUT 120 LABELS tsan)
endforeach()
