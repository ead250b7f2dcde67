# bench/cpu — seconds per epoch of the CPU backend on full MNIST vs the GEMM floor (and, from
# bench_cpu.sh, PyTorch).  An executable, not a test: run bench/cpu/bench_cpu.sh BUILD_DIR.
add_executable(bench_cpu ${CMAKE_SOURCE_DIR}/bench/cpu/bench_cpu.c)
target_link_libraries(bench_cpu PRIVATE optsweep_core)
