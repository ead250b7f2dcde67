# tests/cli — the optsweep command line: help texts, usage errors, every shipped config
# planned in every format, --set, and shards (also from the SLURM array environment).
add_test(NAME cli COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/test_cli.sh $<TARGET_FILE:optsweep>
                          ${CMAKE_SOURCE_DIR})
