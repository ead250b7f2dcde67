# tests/numerics — the math that must equal PyTorch's: optimizer update rules (closed form and
# bit for bit against torch), lr schedules (against torch's lr_scheduler), Philox (Random123's
# known answers, permutation contract).  Fixtures come from tests/reference/gen_reference.py.
set(OPTSWEEP_REFERENCE_FIXTURES ${CMAKE_SOURCE_DIR}/tests/reference/fixtures)
foreach(t optim schedule philox torch_math)
  add_executable(test_${t} ${CMAKE_SOURCE_DIR}/tests/numerics/test_${t}.c)
  target_link_libraries(test_${t} PRIVATE optsweep_core)
  add_test(NAME numerics_${t} COMMAND test_${t} ${OPTSWEEP_REFERENCE_FIXTURES})
endforeach()
# The same rules compiled by nvcc and run in a kernel, and Philox against cuRAND: needs a GPU,
# reports "skipped" (exit 77) where none answers.
if(OPTSWEEP_HAVE_CUDA)
  add_executable(test_numerics_device ${CMAKE_SOURCE_DIR}/tests/numerics/device_check.cu)
  target_link_libraries(test_numerics_device PRIVATE optsweep_core)
  add_test(NAME numerics_device COMMAND test_numerics_device ${OPTSWEEP_REFERENCE_FIXTURES})
  set_tests_properties(numerics_device PROPERTIES SKIP_RETURN_CODE 77)
endif()
