# tests/_common — helpers every C test shares (test_util.h: CHECK/EXPECT, temporary
# directories, whole-file reads and writes).  The folder name sorts before every other
# tests/<area>, so this library exists before the tests.cmake files that link it.
add_library(optsweep_test_util STATIC ${CMAKE_SOURCE_DIR}/tests/_common/test_util.c)
target_include_directories(optsweep_test_util PUBLIC ${CMAKE_SOURCE_DIR}/tests/_common)
