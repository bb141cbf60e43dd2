# config-docs-tests: etc/agent.ini documents every key the agent and the
# built plugins read, and no key they do not (tests/config/ConfigDocsTest.cpp
# says the rules). The keys are found by configuring the real plugins from the
# build's plugin directory, so every plugin built is one the test checks.
asprof_add_test_runner(config-docs-tests config/ConfigDocsTest.cpp config/AcceptedKeys.cpp config/DocumentedKeys.cpp)
# As in a program linked with libasprof-agent.so, libasprof-jfr.so is loaded
# before the plugins that need it (the http reporter): a plugin is loaded as
# /proc/self/fd/N, where its RUNPATH's $ORIGIN does not find our libraries.
target_link_libraries(config-docs-tests PRIVATE asprof::jfr)
target_link_options(config-docs-tests PRIVATE "LINKER:--no-as-needed")
target_compile_definitions(config-docs-tests PRIVATE ASPROF_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
foreach(plugin asprof-reporter-s3 asprof-reporter-http asprof-metadata-ec2 asprof-metadata-ecs)
  if(TARGET ${plugin})
    add_dependencies(config-docs-tests ${plugin})
  endif()
endforeach()
