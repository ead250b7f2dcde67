# tests/schedule — `optsweep schedule`: the lr of a schedule by scheduler step (the notebook's
# StepLR demonstration, against PyTorch's values), every schedule of a sweep file, the figure
# (real gnuplot; the figure checks are skipped without it), and usage errors.
add_test(NAME schedule_command
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/schedule/test_schedule.sh $<TARGET_FILE:optsweep>
                 ${CMAKE_SOURCE_DIR})
