# subproject-tests: asprof-agent consumed with add_subdirectory by a tiny outer
# project (tests/install/subproject), configured and built in a tree of its
# own; see tests/install/test-subproject.sh.
add_test(NAME subproject-tests COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install/test-subproject.sh
  ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR} ${CMAKE_COMMAND})
set_tests_properties(subproject-tests PROPERTIES TIMEOUT 900)
