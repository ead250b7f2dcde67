# tests/packs — runs trained together (pack.h) through the optsweep binary: the same files
# alone, in one pack, in packs of 3, with --jobs 2 and with shards; plan and run show the
# packs.  (The engine test `pack` proves the same at the backend; tests/store's resume and
# recovery tests kill and stop packs, since their sweeps train as one pack.)
add_test(NAME packs_cli
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/packs/packs_cli.sh $<TARGET_FILE:optsweep>
                 $<TARGET_FILE:test_store> ${CMAKE_SOURCE_DIR}/tests/data/mnist-slice)
set_tests_properties(packs_cli PROPERTIES LABELS "packs;e2e" TIMEOUT 300)
