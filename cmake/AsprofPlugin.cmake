# asprof_add_plugin(<kind> <name> SOURCES ... [LIBRARIES ...])
#
# Builds libasprof-<kind>-<name>.so into lib/asprof-agent/plugins with the rules
# every plugin follows (DESIGN section 3): hidden visibility, an export map that
# exposes only the manifest functions, -z defs -z now, RUNPATH to the SDK.
# The plugin's code (all sources but Plugin.cpp) also goes into an object library
# asprof-<kind>-<name>-impl so a test runner can link it without the manifest.
#
# The same file serves the source tree and, installed next to plugin.map in
# <prefix>/lib/cmake/asprof-agent, out-of-tree plugins (find_package(asprof-agent)).
set(ASPROF_PLUGIN_EXPORT_MAP ${CMAKE_CURRENT_LIST_DIR}/plugin.map)
include(GNUInstallDirs)
if(NOT DEFINED ASPROF_PLUGIN_OUTPUT_DIR)
  set(ASPROF_PLUGIN_OUTPUT_DIR ${CMAKE_BINARY_DIR})
endif()
if(NOT DEFINED ASPROF_PLUGIN_INSTALL_DIR)
  set(ASPROF_PLUGIN_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/asprof-agent/plugins)
endif()

function(asprof_add_plugin kind name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(target asprof-${kind}-${name})
  set(impl_sources ${ARG_SOURCES})
  list(FILTER impl_sources EXCLUDE REGEX "Plugin\\.cpp$")
  add_library(${target}-impl STATIC ${impl_sources})
  target_link_libraries(${target}-impl PUBLIC asprof::sdk ${ARG_LIBRARIES})
  target_include_directories(${target}-impl PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
  set_target_properties(${target}-impl PROPERTIES
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)

  add_library(${target} MODULE src/Plugin.cpp)
  target_link_libraries(${target} PRIVATE ${target}-impl)
  set_target_properties(${target} PROPERTIES
    PREFIX "lib" OUTPUT_NAME asprof-${kind}-${name}
    LIBRARY_OUTPUT_DIRECTORY ${ASPROF_PLUGIN_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    INSTALL_RPATH "$ORIGIN:$ORIGIN/../..")
  target_link_options(${target} PRIVATE
    "-Wl,--version-script=${ASPROF_PLUGIN_EXPORT_MAP}" "-Wl,-z,defs" "-Wl,-z,now")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${ASPROF_PLUGIN_EXPORT_MAP})
  install(TARGETS ${target} LIBRARY DESTINATION ${ASPROF_PLUGIN_INSTALL_DIR})
endfunction()
