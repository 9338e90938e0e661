# Drop-in tests: Debian's unmodified memcached and tmux on the engine's
# shared libraries through LD_LIBRARY_PATH alone.  Exit 77 = skipped with
# the reason printed (a missing package, or for tmux the bufferevent
# symbols it needs not exported yet); never a silent pass.
set(dropin_dir ${CMAKE_CURRENT_SOURCE_DIR}/dropin)
foreach(prog memcached tmux)
  add_test(NAME dropin-${prog}
           COMMAND bash ${dropin_dir}/${prog}.sh $<TARGET_FILE_DIR:event_shared>
                   ${CMAKE_CURRENT_SOURCE_DIR}/abi)
  set_tests_properties(dropin-${prog} PROPERTIES TIMEOUT 200
                       SKIP_RETURN_CODE 77 LABELS dropin)
endforeach()
