# Native memory: asprof-jfr nativemem and libasprof-jfr's LiveHeap
# (docs/jfr.md, tests/data/nativemem/README.md). Included from tests/CMakeLists.txt.

# LiveHeap on real recordings; its profile read back by Google's pprof (built
# once into the build tree by build-pprof.sh, as jfr-pprof-tests does; SKIPPED
# without Go).
asprof_add_test_runner(jfr-nativemem-tests jfr/LiveHeapTest.cpp)
target_link_libraries(jfr-nativemem-tests PRIVATE asprof::jfr)
target_compile_definitions(jfr-nativemem-tests PRIVATE
  ASPROF_TEST_PPROF="${CMAKE_CURRENT_BINARY_DIR}/jfr-pprof/pprof"
  ASPROF_TEST_BUILD_PPROF="${CMAKE_CURRENT_SOURCE_DIR}/jfr/build-pprof.sh")
set_tests_properties(jfr-nativemem-tests PROPERTIES TIMEOUT 900)

# asprof-jfr nativemem [--leaks] [--json]: the expected outputs in
# tests/data/nativemem, and the totals against async-profiler's converter.
add_test(NAME jfr-nativemem-cli-tests COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/jfr/test-nativemem.sh
  $<TARGET_FILE:asprof-jfr-cli> ${ASPROF_TEST_DATA_DIR})
set_tests_properties(jfr-nativemem-cli-tests PROPERTIES TIMEOUT 300)
