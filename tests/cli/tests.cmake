# tests/cli — the optsweep command line: help texts, usage errors, every shipped config
# planned in every format, --set, and shards (also from the SLURM array environment).
add_test(NAME cli COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/test_cli.sh $<TARGET_FILE:optsweep>
                          ${CMAKE_SOURCE_DIR})
# issue #11 class 4: FIFOs as data or model.init refused, a second SIGTERM quits at once;
# TIMEOUT bounds what would otherwise hang
add_test(NAME cli_never_hang COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/never_hang.sh
                                     $<TARGET_FILE:optsweep> ${CMAKE_SOURCE_DIR})
set_tests_properties(cli_never_hang PROPERTIES TIMEOUT 60)
# issue #11 class 3: printed commands are shell-safe; a path no script can hold exits 2
add_test(NAME cli_shell_safe COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/shell_safe.sh
                                     $<TARGET_FILE:optsweep> ${CMAKE_SOURCE_DIR})
set_tests_properties(cli_shell_safe PROPERTIES TIMEOUT 60)
# issue #11 class 6: memory estimates in plan, runs too big for the machine fail cleanly
add_test(NAME cli_resource_limits COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/resource_limits.sh
                                          $<TARGET_FILE:optsweep> ${CMAKE_SOURCE_DIR})
set_tests_properties(cli_resource_limits PROPERTIES TIMEOUT 60)
# issue #11 class 9: the smaller items, one check each
add_test(NAME cli_smaller_items COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/smaller_items.sh
                                        $<TARGET_FILE:optsweep> ${CMAKE_SOURCE_DIR})
set_tests_properties(cli_smaller_items PROPERTIES TIMEOUT 120)
# issue #15: --only PATTERN for plan and run
add_test(NAME cli_only COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/only.sh $<TARGET_FILE:optsweep>
                               ${CMAKE_SOURCE_DIR})
set_tests_properties(cli_only PROPERTIES TIMEOUT 120)
# issue #13: search.method random | sobol; raising search.samples keeps every earlier run
add_test(NAME cli_search COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/search.sh
                                 $<TARGET_FILE:optsweep> ${CMAKE_SOURCE_DIR})
set_tests_properties(cli_search PROPERTIES TIMEOUT 300)
