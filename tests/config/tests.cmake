# tests/config — the key table and the sweep-file parser (unit tests), and the bad-input
# catalogue: every bad/<name>.yaml must give exactly bad/<name>.expected, exit 2, and write
# nothing (check_bad.sh runs both `optsweep run` and `optsweep plan` on it).
add_executable(test_config ${CMAKE_SOURCE_DIR}/tests/config/test_config.c)
target_link_libraries(test_config PRIVATE optsweep_core optsweep_test_util)
add_test(NAME config_parser COMMAND test_config)

file(GLOB OPTSWEEP_BAD_SWEEPS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/config/bad/*.yaml)
foreach(f ${OPTSWEEP_BAD_SWEEPS})
  get_filename_component(_name ${f} NAME_WE)
  add_test(NAME config_bad_${_name}
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/config/check_bad.sh $<TARGET_FILE:optsweep>
                   ${_name})
endforeach()
# issue #11 class 5: big and deep inputs handled in near-linear time (TIMEOUT is the bound)
add_test(NAME config_big_inputs COMMAND bash ${CMAKE_SOURCE_DIR}/tests/config/big_inputs.sh
                                        $<TARGET_FILE:optsweep>)
set_tests_properties(config_big_inputs PROPERTIES TIMEOUT 20)
