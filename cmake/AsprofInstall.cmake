# Install rules for the package: CMake config, pkg-config, CPack DEB.
include(CMakePackageConfigHelpers)

set(ASPROF_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/asprof-agent)
install(EXPORT asprof-agentTargets NAMESPACE asprof:: DESTINATION ${ASPROF_CMAKE_INSTALL_DIR})
configure_package_config_file(cmake/asprof-agentConfig.cmake.in ${PROJECT_BINARY_DIR}/asprof-agentConfig.cmake
  INSTALL_DESTINATION ${ASPROF_CMAKE_INSTALL_DIR} PATH_VARS ASPROF_PLUGIN_INSTALL_DIR)
# Before 1.0 a minor release may break the API and the SDK ABI: 0.2 does not
# satisfy find_package(asprof-agent 0.1). From 1.0 on, the major decides.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(ASPROF_VERSION_COMPATIBILITY SameMinorVersion)
else()
  set(ASPROF_VERSION_COMPATIBILITY SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/asprof-agentConfigVersion.cmake COMPATIBILITY ${ASPROF_VERSION_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/asprof-agentConfig.cmake ${PROJECT_BINARY_DIR}/asprof-agentConfigVersion.cmake
  cmake/AsprofPlugin.cmake cmake/plugin.map DESTINATION ${ASPROF_CMAKE_INSTALL_DIR})

# Relocatable: the prefix is found relative to the .pc file itself.
string(REGEX REPLACE "[^/]+" ".." ASPROF_PC_TO_PREFIX "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
foreach(pc asprof-sdk asprof-agent)
  configure_file(cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

# A prefix of /usr (the .deb) puts the configuration in /etc, elsewhere in <prefix>/etc.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(ASPROF_CONFIG_INSTALL_DIR /etc/asprof-agent)
else()
  set(ASPROF_CONFIG_INSTALL_DIR ${CMAKE_INSTALL_SYSCONFDIR}/asprof-agent)
endif()
install(FILES etc/agent.ini etc/agent.xml DESTINATION ${ASPROF_CONFIG_INSTALL_DIR})
install(FILES README.md LICENSE CHANGELOG.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# README's links are docs/<page>.md: the pages sit beside it.
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs FILES_MATCHING PATTERN "*.md")
install(DIRECTORY examples/custom-reporter DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# CPack writes its configuration into the top build directory: a subproject
# would replace the including project's. Packages are built from our own tree.
if(NOT ASPROF_IS_TOP_LEVEL)
  return()
endif()
set(CPACK_PACKAGE_NAME asprof-agent)
set(CPACK_PACKAGE_VENDOR "asprof-agent authors")
set(CPACK_PACKAGE_CONTACT "asprof-agent maintainers <maintainers@asprof-agent.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Continuous profiling agent for native programs, driving async-profiler")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "default-jre-headless")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION_SUMMARY}.\n async-profiler itself (libasyncProfiler.so) is a runtime dependency\n that is not packaged here; see /usr/share/doc/asprof-agent/docs/install.md.")
include(CPack)
