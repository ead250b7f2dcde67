# tests/reference — optsweep's CPU training against trajectories recorded from PyTorch 1.13
# (fixtures/reference.h5, written by gen_reference.py; the numerics tests read the other
# fixtures in fixtures/).  Runs every case on the committed MNIST slice.
add_executable(test_reference ${CMAKE_SOURCE_DIR}/tests/reference/test_reference.c)
target_link_libraries(test_reference PRIVATE optsweep_core)
add_test(NAME reference_trajectories
         COMMAND test_reference ${CMAKE_SOURCE_DIR}/tests/reference/fixtures/reference.h5
                 ${CMAKE_SOURCE_DIR}/tests/data/mnist-slice)
# two threads on every machine: the CPU backend's team splits each step in two (as on the
# 2-core machines the tolerances were measured on), whatever the core count
set_tests_properties(reference_trajectories PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=2")
# issue #12: parameters after each of the first 6 steps, every optimizer, several seeds
add_executable(test_steps ${CMAKE_SOURCE_DIR}/tests/reference/test_steps.c)
target_link_libraries(test_steps PRIVATE optsweep_core)
add_test(NAME reference_steps
         COMMAND test_steps ${CMAKE_SOURCE_DIR}/tests/reference/fixtures/steps.h5
                 ${CMAKE_SOURCE_DIR}/tests/data/mnist-slice)
set_tests_properties(reference_steps PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=2")
