# asprof_add_plugin(<kind> <name> SOURCES ... [MANIFEST <file>] [LIBRARIES ...])
#
# Builds libasprof-<kind>-<name>.so into lib/asprof-agent/plugins with the rules
# every plugin follows (DESIGN section 3): hidden visibility, an export map that
# exposes only the manifest functions, -z defs -z now, RUNPATH to the SDK.
# The manifest is the source named by MANIFEST, else the one source that uses
# ASPROF_REPORTER_PLUGIN or ASPROF_METADATA_PLUGIN (any file name and folder).
# The plugin's code (all other sources) goes into a static library
# asprof-<kind>-<name>-impl, always position-independent, so a test runner can
# link it without the manifest.
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
  cmake_parse_arguments(ARG "" "MANIFEST" "SOURCES;LIBRARIES" ${ARGN})
  set(target asprof-${kind}-${name})
  # The manifest: MANIFEST, else the one source that uses ASPROF_REPORTER_PLUGIN
  # or ASPROF_METADATA_PLUGIN (any name, any folder).
  set(manifest "${ARG_MANIFEST}")
  if(NOT manifest)
    foreach(source IN LISTS ARG_SOURCES)
      get_filename_component(path "${source}" ABSOLUTE)
      if(EXISTS "${path}")
        file(STRINGS "${path}" uses REGEX "ASPROF_(REPORTER|METADATA)_PLUGIN[ \t]*\\(")
        if(uses)
          if(manifest)
            message(FATAL_ERROR "asprof_add_plugin(${kind} ${name}): two sources hold a manifest (${manifest}, ${source}); name one with MANIFEST")
          endif()
          set(manifest "${source}")
        endif()
      endif()
    endforeach()
  endif()
  if(NOT manifest)
    message(FATAL_ERROR "asprof_add_plugin(${kind} ${name}): no source uses ASPROF_REPORTER_PLUGIN or ASPROF_METADATA_PLUGIN; name the manifest with MANIFEST <file>")
  endif()
  # Compare absolute paths: MANIFEST may spell the file differently from SOURCES.
  get_filename_component(manifest "${manifest}" ABSOLUTE)
  set(impl_sources)
  foreach(source IN LISTS ARG_SOURCES)
    get_filename_component(path "${source}" ABSOLUTE)
    if(NOT path STREQUAL manifest)
      list(APPEND impl_sources "${source}")
    endif()
  endforeach()
  if(impl_sources)
    add_library(${target}-impl STATIC ${impl_sources})
    target_link_libraries(${target}-impl PUBLIC asprof::sdk ${ARG_LIBRARIES})
    target_include_directories(${target}-impl PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
    # Always position-independent: it is linked into a shared object, in or out of our tree.
    set_target_properties(${target}-impl PROPERTIES
      POSITION_INDEPENDENT_CODE ON CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  else()
    # A plugin all in one file: the manifest's file is the plugin.
    add_library(${target}-impl INTERFACE)
    target_link_libraries(${target}-impl INTERFACE asprof::sdk ${ARG_LIBRARIES})
    target_include_directories(${target}-impl INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  endif()

  add_library(${target} MODULE "${manifest}")
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
