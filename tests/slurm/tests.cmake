# tests/slurm — `optsweep slurm`: the batch scripts without a cluster (always), and a real
# single-node SLURM end to end (skipped, exit 77, where SLURM is missing and cannot be installed).
add_executable(test_slurm_script ${CMAKE_SOURCE_DIR}/tests/slurm/test_slurm_script.c)
target_link_libraries(test_slurm_script PRIVATE optsweep_core optsweep_test_util)
add_test(NAME slurm_script COMMAND test_slurm_script ${CMAKE_CURRENT_BINARY_DIR}/slurm_script_out)
set_tests_properties(slurm_script PROPERTIES LABELS slurm)

# start a cluster on 127.0.0.1, a 4-task array with a requeue, a failed task and a retry
add_test(NAME slurm_e2e
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/slurm/test_slurm.sh $<TARGET_FILE:optsweep>
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(slurm_e2e PROPERTIES LABELS slurm SKIP_RETURN_CODE 77 TIMEOUT 300
                     RUN_SERIAL TRUE)

# search.halving: one array per rung (a 2-rung halving), the report after the last
add_test(NAME slurm_halving
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/slurm/test_slurm_halving.sh
                 $<TARGET_FILE:optsweep> ${CMAKE_SOURCE_DIR})
set_tests_properties(slurm_halving PROPERTIES LABELS "slurm;halving" SKIP_RETURN_CODE 77
                     TIMEOUT 300 RUN_SERIAL TRUE)

# search.method random (#13): an array trains plan's runs; raising search.samples trains only
# the new ones
add_test(NAME slurm_search
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/slurm/test_slurm_search.sh
                 $<TARGET_FILE:optsweep> ${CMAKE_SOURCE_DIR})
set_tests_properties(slurm_search PROPERTIES LABELS slurm SKIP_RETURN_CODE 77 TIMEOUT 300
                     RUN_SERIAL TRUE)
