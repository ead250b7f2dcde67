# tests/gpu — what the CUDA backend must do (label `gpu`): parity with the CPU backend
# (test_gpu_parity: Philox draws, permutations, init, every optimizer and schedule; skipped with
# return code 77 where no CUDA device answers) and the clear failure without a device
# (test_gpu_no_device: runs everywhere, with CUDA_VISIBLE_DEVICES=-1).  tests/gpu/check.sh runs
# them on a GPU machine together with compute-sanitizer and the benchmark.
set(OPTSWEEP_GPU_TEST_DATA ${CMAKE_SOURCE_DIR}/tests/data/mnist-slice)

add_executable(test_gpu_no_device ${CMAKE_SOURCE_DIR}/tests/gpu/test_gpu_no_device.c)
target_link_libraries(test_gpu_no_device PRIVATE optsweep_core)
add_test(NAME gpu_no_device COMMAND test_gpu_no_device ${OPTSWEEP_GPU_TEST_DATA})
set_tests_properties(gpu_no_device PROPERTIES LABELS gpu TIMEOUT 60
                     ENVIRONMENT CUDA_VISIBLE_DEVICES=-1)

if(OPTSWEEP_HAVE_CUDA)
  add_executable(test_gpu_parity ${CMAKE_SOURCE_DIR}/tests/gpu/test_gpu_parity.c)
  target_include_directories(test_gpu_parity PRIVATE ${CMAKE_SOURCE_DIR}/cuda)
  target_link_libraries(test_gpu_parity PRIVATE optsweep_core)
  add_test(NAME gpu_parity COMMAND test_gpu_parity ${OPTSWEEP_GPU_TEST_DATA})
  set_tests_properties(gpu_parity PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 600)
  # the same on 10000 training and 10000 test images of full MNIST (data/mnist, when fetched):
  # end results within 0.3 accuracy points = 30 images (see the tolerances in the source)
  add_test(NAME gpu_parity_full COMMAND test_gpu_parity ${OPTSWEEP_GPU_TEST_DATA})
  set_tests_properties(gpu_parity_full PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 600
                       ENVIRONMENT OPTSWEEP_PARITY_DATA=${CMAKE_SOURCE_DIR}/data/mnist)
endif()
