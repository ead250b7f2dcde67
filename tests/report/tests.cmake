# tests/report — `optsweep report` end to end on run files written by the fixture writer
# (tests/report/fixture_h5.c, the documented HDF5 layout): summary.md, figures, errors.
# Needs gnuplot for the figure checks (skipped, exit 77, without it).
add_executable(test_report ${CMAKE_SOURCE_DIR}/tests/report/test_report.c
                           ${CMAKE_SOURCE_DIR}/tests/report/fixture_h5.c)
target_include_directories(test_report PRIVATE ${CMAKE_SOURCE_DIR}/tests/report)
target_link_libraries(test_report PRIVATE optsweep_core optsweep_test_util)
add_test(NAME report COMMAND test_report ${CMAKE_CURRENT_BINARY_DIR}/report_work)
set_tests_properties(report PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
# issue #11 class 1: strings from run files never run as gnuplot/shell code
add_test(NAME report_hostile_strings COMMAND test_report ${CMAKE_CURRENT_BINARY_DIR}/hostile_work
                                             --hostile)
set_tests_properties(report_hostile_strings PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
# runs.csv (#13) read with Python's csv module against the run files read with h5py, on a
# small real sweep (needs python3 with h5py; skipped, exit 77, without)
add_test(NAME report_runs_csv
         COMMAND sh -c "for py in /usr/bin/python3 python3; do $py -c 'import h5py, numpy' 2>/dev/null && exec $py \"$0\" \"$1\" \"$2\" \"$3\"; done; exit 77"
                 ${CMAKE_SOURCE_DIR}/tests/report/check_runs_csv.py $<TARGET_FILE:optsweep>
                 ${CMAKE_CURRENT_BINARY_DIR}/runs_csv_work ${CMAKE_SOURCE_DIR}/tests/data/mnist-slice)
set_tests_properties(report_runs_csv PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
