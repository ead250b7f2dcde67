# tests/engine — the CPU training core (model.c, backend_cpu.c, train.c) through its real
# interfaces: gradients vs float64 finite differences, a hand-checked SGD step, bit-identical
# repeats and resumes, divergence, early stopping, scheduler stepping, MNIST-slice training,
# the thread team (threads: sets its own team sizes, whatever OPENBLAS_NUM_THREADS says).
# (Parity with PyTorch's trajectories is tests/reference.)
add_executable(test_engine ${CMAKE_SOURCE_DIR}/tests/engine/test_engine.c)
target_link_libraries(test_engine PRIVATE optsweep_core)
foreach(t gradcheck sgd_step determinism divergence mnist early_stopping schedule_every model
          threads pack)
  add_test(NAME engine_${t}
           COMMAND test_engine ${t} ${CMAKE_SOURCE_DIR}/tests/data/mnist-slice)
  # one OpenBLAS thread: ctest runs tests side by side on 2 shared cores
  set_tests_properties(engine_${t} PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
endforeach()
# ASGD's averaged weights in the run file and optimizer.evaluate_averaged, end to end
add_test(NAME engine_asgd_averaged
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/engine/averaged.sh $<TARGET_FILE:optsweep>
                 ${CMAKE_SOURCE_DIR}/tests/data/mnist-slice)
set_tests_properties(engine_asgd_averaged PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
