# Included from tests/CMakeLists.txt: the http reporter's pprof formats (docs/formats.md).
if(TARGET asprof-reporter-http-impl)
  asprof_add_test_runner(http-reporter-format-tests httpreporter/HttpReporterTestSupport.cpp httpreporter/PprofReader.cpp
    httpreporter/HttpReporterPprofTest.cpp)
  target_link_libraries(http-reporter-format-tests PRIVATE asprof-reporter-http-impl)
  add_dependencies(http-reporter-format-tests asprof-reporter-http)
endif()
