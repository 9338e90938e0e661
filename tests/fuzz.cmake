# libFuzzer targets (tests/fuzz/), built only with -DENGINE_FUZZ=ON and a
# clang compiler.  Each target compiles the engine's core sources into
# itself with -fsanitize=fuzzer,address, so the engine is instrumented
# whatever the other options (clang cannot put ASan into our shared
# libraries, which link with --no-undefined).  Each target gets a short
# ctest run seeded from its corpus in the repository; new inputs go to the
# build tree, never into the source tree.
if(ENGINE_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(WARNING "ENGINE_FUZZ needs clang (-fsanitize=fuzzer); fuzz targets skipped")
  else()
    set(fuzz_dir ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
    add_executable(fuzz_evbuffer ${fuzz_dir}/fuzz_evbuffer.c ${core_sources})
    target_include_directories(fuzz_evbuffer PRIVATE ${CMAKE_SOURCE_DIR}/include
        ${CMAKE_SOURCE_DIR}/libevent ${CMAKE_CURRENT_SOURCE_DIR}/support)
    target_compile_definitions(fuzz_evbuffer PRIVATE _GNU_SOURCE EVENT_ENGINE_BUILDING)
    target_compile_options(fuzz_evbuffer PRIVATE -fsanitize=fuzzer,address,undefined
                           -fno-sanitize-recover=all)
    target_link_options(fuzz_evbuffer PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_evbuffer PRIVATE Threads::Threads)
    set(fuzz_new ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-evbuffer)
    add_test(NAME fuzz-evbuffer
             COMMAND sh -c "mkdir -p '${fuzz_new}' && exec \"$0\" -runs=20000 -max_len=4096 -seed=1 '${fuzz_new}' '${fuzz_dir}/corpus/evbuffer'"
                     $<TARGET_FILE:fuzz_evbuffer>)
    set_tests_properties(fuzz-evbuffer PROPERTIES TIMEOUT 300 LABELS fuzz)
  endif()
endif()
