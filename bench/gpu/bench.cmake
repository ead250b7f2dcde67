# bench/gpu — the CUDA backend's throughput (bench_gpu, driven by bench/gpu/bench_gpu.sh with the
# PyTorch loops of torch_loops.py beside it).  Built only with CUDA; not a test.
if(OPTSWEEP_HAVE_CUDA)
  add_executable(bench_gpu ${CMAKE_SOURCE_DIR}/bench/gpu/bench_gpu.c)
  target_link_libraries(bench_gpu PRIVATE optsweep_core)
endif()
