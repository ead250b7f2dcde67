# tests/data — the data loader (IDX reading, validation, splits) and the committed MNIST slice.
add_executable(test_data ${CMAKE_SOURCE_DIR}/tests/data/test_data.c)
target_link_libraries(test_data PRIVATE optsweep_core optsweep_test_util)
add_test(NAME data_load COMMAND test_data ${CMAKE_SOURCE_DIR}/tests/data/mnist-slice)
# scripts/fetch_data.sh offline: rejected downloads, no half files, corrupt files kept aside
add_test(NAME data_fetch_script COMMAND bash ${CMAKE_SOURCE_DIR}/tests/data/test_fetch.sh
         ${CMAKE_SOURCE_DIR})
