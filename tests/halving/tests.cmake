# tests/halving — successive halving and Hyperband: the arithmetic (rungs, brackets,
# promotions, budget) as unit tests; sweeps through the binary on the MNIST slice (promoted
# runs bit-identical to straight-through training, --jobs 2, two concurrent shards, kill and
# resume, plan's budget, status, the report's rung table and figure).
add_executable(test_halving ${CMAKE_SOURCE_DIR}/tests/halving/test_halving.c)
target_link_libraries(test_halving PRIVATE optsweep_core optsweep_test_util)
add_test(NAME halving_math COMMAND test_halving)
add_test(NAME halving_driver
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/halving/halving_driver.sh
                 $<TARGET_FILE:store_sweep_driver> $<TARGET_FILE:test_store>
                 ${CMAKE_SOURCE_DIR}/tests/data/mnist-slice)
set_tests_properties(halving_driver PROPERTIES LABELS "halving;e2e" TIMEOUT 600)
add_test(NAME halving_cli
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/halving/halving_cli.sh $<TARGET_FILE:optsweep>
                 ${CMAKE_SOURCE_DIR}/tests/data/mnist-slice)
set_tests_properties(halving_cli PROPERTIES LABELS "halving;e2e" TIMEOUT 300
                     ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
