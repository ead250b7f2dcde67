# tests/fuzz — libFuzzer targets for the YAML loader, the IDX reader and the HDF5 readers, built
# with clang under ASan/UBSan by run_fuzz.sh and run for a few seconds each (issue #11, "keep
# it so").  Skipped (exit 77) without clang's libFuzzer.  Longer: FUZZ_SECONDS=600.
add_test(NAME fuzz_inputs COMMAND bash ${CMAKE_SOURCE_DIR}/tests/fuzz/run_fuzz.sh
                                  ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
set_tests_properties(fuzz_inputs PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180 LABELS fuzz)
