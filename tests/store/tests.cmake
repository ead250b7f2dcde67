# tests/store — the HDF5 run files, checkpoints, locks and plan.json (unit level, real HDF5 in a
# temporary directory), the file layout as h5dump sees it (needs hdf5-tools), and end-to-end
# sweeps through runner_run_plan on the MNIST slice: resume after SIGTERM/SIGKILL bit-identical,
# processes splitting a sweep, stale locks, corrupt files, unwritable results, `status`.
add_executable(test_store ${CMAKE_SOURCE_DIR}/tests/store/test_store.c)
target_link_libraries(test_store PRIVATE optsweep_core optsweep_test_util)
add_test(NAME store_unit COMMAND test_store)
add_test(NAME store_layout COMMAND bash ${CMAKE_SOURCE_DIR}/tests/store/layout.sh
         $<TARGET_FILE:test_store>)

# a small real sweep (CPU backend, tests/data/mnist-slice) run by the runner itself
add_executable(store_sweep_driver ${CMAKE_SOURCE_DIR}/tests/store/sweep_driver.c)
target_link_libraries(store_sweep_driver PRIVATE optsweep_core)
set(STORE_SLICE ${CMAKE_SOURCE_DIR}/tests/data/mnist-slice)
add_test(NAME store_resume_after_kill
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/store/resume.sh
                 $<TARGET_FILE:store_sweep_driver> {} ${STORE_SLICE} --runs 3 --epochs 6
                 --epoch-pause-ms 30
                 -- $<TARGET_FILE:test_store>)
add_test(NAME store_concurrent
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/store/concurrent.sh
                 $<TARGET_FILE:store_sweep_driver> ${STORE_SLICE} $<TARGET_FILE:test_store>)
add_test(NAME store_recovery
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/store/recovery.sh
                 $<TARGET_FILE:store_sweep_driver> ${STORE_SLICE} $<TARGET_FILE:test_store>)
# issue #11 classes 2, 7 and 8: planted links never followed, garbage locks taken as stale,
# damaged run files and checkpoints caught by their checksum
add_test(NAME store_hostile
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/store/hostile.sh
                 $<TARGET_FILE:store_sweep_driver> ${STORE_SLICE} $<TARGET_FILE:test_store>)
set_tests_properties(store_resume_after_kill store_concurrent store_recovery store_hostile
                     PROPERTIES LABELS "store;e2e" TIMEOUT 300)
set_tests_properties(store_unit store_layout PROPERTIES LABELS store TIMEOUT 120)
# through the optsweep binary and a YAML sweep (tests/store/sweep.yaml), each script given
# OPTSWEEP TEST_STORE SOURCE_DIR: cli.sh the same promises; keep_best.sh /model_best is the
# best validation's weights, also after kills and resumes; status_only.sh `status --only`
foreach(script cli keep_best status_only)
    add_test(NAME store_${script}
             COMMAND bash ${CMAKE_SOURCE_DIR}/tests/store/${script}.sh $<TARGET_FILE:optsweep>
                     $<TARGET_FILE:test_store> ${CMAKE_SOURCE_DIR})
    set_tests_properties(store_${script} PROPERTIES LABELS "store;e2e" TIMEOUT 300)
endforeach()
# docs/FORMAT.md's Python snippet runs on what optsweep writes (skipped without h5py)
add_test(NAME store_format_snippet
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/store/format_snippet.sh $<TARGET_FILE:optsweep>
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(store_format_snippet PROPERTIES LABELS store TIMEOUT 120 SKIP_RETURN_CODE 77)
