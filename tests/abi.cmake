# ABI tests: struct layouts, sonames, exported symbols, install + pkg-config.
# Included by tests/CMakeLists.txt; the scripts live in tests/abi/.
set(abi_dir ${CMAKE_CURRENT_SOURCE_DIR}/abi)
set(abi_libs $<TARGET_FILE:event_core_shared> $<TARGET_FILE:event_extra_shared>
             $<TARGET_FILE:event_shared> $<TARGET_FILE:event_pthreads_shared>)

add_test(NAME abi-layout COMMAND ${abi_dir}/layout.sh ${CMAKE_C_COMPILER}
         ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/abi-layout)
add_test(NAME abi-sonames COMMAND ${abi_dir}/sonames.sh ${abi_libs})
add_test(NAME abi-symbols COMMAND ${abi_dir}/symbols.sh ${CMAKE_SOURCE_DIR} ${abi_libs})
add_test(NAME abi-install COMMAND ${abi_dir}/install.sh ${CMAKE_COMMAND}
         ${CMAKE_BINARY_DIR} ${CMAKE_CURRENT_BINARY_DIR}/abi-install ${CMAKE_C_COMPILER})
set_tests_properties(abi-layout abi-sonames abi-symbols abi-install
                     PROPERTIES TIMEOUT 120 LABELS abi)
