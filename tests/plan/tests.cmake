# tests/plan — grid expansion, precedence, run ids (stable, golden), duplicates, the run limit,
# costs, sharding and the SLURM array default, and the plan's output formats.
add_executable(test_plan ${CMAKE_SOURCE_DIR}/tests/plan/test_plan.c)
target_link_libraries(test_plan PRIVATE optsweep_core optsweep_test_util)
add_test(NAME plan_expand COMMAND test_plan)
# issue #13: search.method random | sobol (Sobol points against PyTorch, strata, discrepancy;
# order, purity and values of sampled runs)
add_executable(test_search ${CMAKE_SOURCE_DIR}/tests/plan/test_search.c)
target_link_libraries(test_search PRIVATE optsweep_core optsweep_test_util m)
add_test(NAME plan_search COMMAND test_search)
