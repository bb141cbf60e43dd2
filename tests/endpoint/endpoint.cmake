# Included from tests/CMakeLists.txt.
#
# endpoint-tests: the pull endpoint ([endpoint], docs/endpoint.md) with the
# fake async-profiler, and with the real one when ASPROF_LIB names it (a C
# program that leaks, churns and burns CPU under the agent). Profiles are read
# back with Google pprof, built into the build tree by tests/jfr/build-pprof.sh
# (shared with jfr-pprof-tests); without it those checks print SKIPPED.
add_executable(asprof-test-leaky-program endpoint/LeakyProgram.c)
target_link_libraries(asprof-test-leaky-program PRIVATE asprof::agent)
target_compile_options(asprof-test-leaky-program PRIVATE -O1 -fno-omit-frame-pointer -fno-inline -g)
asprof_add_test_runner(endpoint-tests endpoint/EndpointSupport.cpp endpoint/EndpointTest.cpp endpoint/EndpointRealTest.cpp)
target_include_directories(endpoint-tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/endpoint)
target_link_libraries(endpoint-tests PRIVATE asprof::jfr Poco::Net Poco::JSON)
target_compile_definitions(endpoint-tests PRIVATE
  ASPROF_TEST_PPROF="${CMAKE_CURRENT_BINARY_DIR}/jfr-pprof/pprof"
  ASPROF_TEST_BUILD_PPROF="${CMAKE_CURRENT_SOURCE_DIR}/jfr/build-pprof.sh"
  ASPROF_LEAKY_PROGRAM="$<TARGET_FILE:asprof-test-leaky-program>")
add_dependencies(endpoint-tests asprof-test-leaky-program)
set_tests_properties(endpoint-tests PROPERTIES TIMEOUT 900)
