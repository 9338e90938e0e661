# ledger.cmake: the experiment ledger's counts agree (EXPERIMENTS.md,
# SUMMARY.md, README.md), and the checker fails on every kind of
# disagreement (selftest on generated ledgers).
add_test(NAME ledger
         COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/check-ledger.sh --root ${CMAKE_SOURCE_DIR})
add_test(NAME ledger-selftest
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/ledger/selftest.sh
                 ${CMAKE_SOURCE_DIR}/scripts/check-ledger.sh)
set_tests_properties(ledger ledger-selftest PROPERTIES TIMEOUT 60 LABELS ledger)
