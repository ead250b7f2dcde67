# tests/kernels — OpenBLAS's kernel choice (src/cpu_kernel.c).  kernel_choice: through the
# optsweep binary, what `auto` picks when OpenBLAS falls back to a generic kernel, that the
# environment's OPENBLAS_CORETYPE is respected, train.cpu_kernel, the run header and the run
# file's device attribute, and the note when a run resumes under another kernel.
# kernel_<name>_*: the tests that prove a kernel correct here (PyTorch reference
# trajectories, engine, parity harness, bit-identical resume) under each kernel that optsweep
# may choose; skipped (77) where the CPU cannot run that kernel.  cpu_kernel.c chooses no
# kernel outside this list.
add_executable(kernel_probe ${CMAKE_SOURCE_DIR}/tests/kernels/kernel_probe.c)
target_link_libraries(kernel_probe PRIVATE optsweep_core)

add_test(NAME kernel_choice
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/kernels/test_kernel_choice.sh
                 $<TARGET_FILE:optsweep> $<TARGET_FILE:kernel_probe>
                 ${CMAKE_SOURCE_DIR}/tests/data/mnist-slice)
set_tests_properties(kernel_choice PROPERTIES LABELS kernels TIMEOUT 300 SKIP_RETURN_CODE 77)

set(KERNEL_RUN bash ${CMAKE_SOURCE_DIR}/tests/kernels/under_kernel.sh $<TARGET_FILE:kernel_probe>)
set(KERNEL_SLICE ${CMAKE_SOURCE_DIR}/tests/data/mnist-slice)
foreach(kernel Prescott Haswell SkylakeX Cooperlake)
  string(TOLOWER ${kernel} k)
  add_test(NAME kernel_${k}_reference
           COMMAND ${KERNEL_RUN} ${kernel} $<TARGET_FILE:test_reference>
                   ${CMAKE_SOURCE_DIR}/tests/reference/fixtures/reference.h5 ${KERNEL_SLICE})
  set(kernel_tests kernel_${k}_reference)
  foreach(t gradcheck sgd_step determinism divergence mnist early_stopping schedule_every model
            threads pack)
    add_test(NAME kernel_${k}_engine_${t}
             COMMAND ${KERNEL_RUN} ${kernel} $<TARGET_FILE:test_engine> ${t} ${KERNEL_SLICE})
    list(APPEND kernel_tests kernel_${k}_engine_${t})
  endforeach()
  if(OPTSWEEP_HAVE_CUDA)
    add_test(NAME kernel_${k}_parity_harness
             COMMAND ${KERNEL_RUN} ${kernel} $<TARGET_FILE:test_gpu_parity> ${KERNEL_SLICE}
                     --harness)
    list(APPEND kernel_tests kernel_${k}_parity_harness)
  endif()
  add_test(NAME kernel_${k}_resume_after_kill
           COMMAND ${KERNEL_RUN} ${kernel} bash ${CMAKE_SOURCE_DIR}/tests/store/resume.sh
                   $<TARGET_FILE:store_sweep_driver> {} ${KERNEL_SLICE} --runs 2 --epochs 4
                   --epoch-pause-ms 30
                   -- $<TARGET_FILE:test_store>)
  list(APPEND kernel_tests kernel_${k}_resume_after_kill)
  # as in tests/engine and tests/reference: one OpenBLAS thread for the engine tests, a team of
  # two for the reference (the tolerances were measured with two)
  set_tests_properties(${kernel_tests} PROPERTIES LABELS "kernels" SKIP_RETURN_CODE 77
                       TIMEOUT 300 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
  set_tests_properties(kernel_${k}_reference PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=2")
endforeach()
