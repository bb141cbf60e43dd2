# ASPROF_SANITIZE chooses the sanitizers every target in the tree is built with:
#
#   OFF (default)   none
#   ON or address   AddressSanitizer + UndefinedBehaviorSanitizer (scripts/test --sanitize)
#   thread          ThreadSanitizer (scripts/test --sanitize=thread)
#
# ON was the only value before TSan existed and keeps meaning address+undefined.
# Sets, for tests/ and anyone else who must special-case a sanitizer:
#   ASPROF_SANITIZER          "", "address" or "thread"
#   ASPROF_SANITIZER_FLAGS    the -fsanitize flags a program linking our libraries needs
#   ASPROF_SANITIZER_RUNTIME  the runtime's shared library (libasan.so, libtsan.so), for LD_PRELOAD
set(ASPROF_SANITIZE OFF CACHE STRING "Sanitizers: OFF, ON or address (ASan + UBSan), thread (TSan)")
# A cache from before this was a choice holds a BOOL; make it a choice now.
set_property(CACHE ASPROF_SANITIZE PROPERTY TYPE STRING)
set_property(CACHE ASPROF_SANITIZE PROPERTY STRINGS OFF ON address thread)

string(TOLOWER "${ASPROF_SANITIZE}" _asprof_sanitize)
if(_asprof_sanitize STREQUAL "thread")
  set(ASPROF_SANITIZER thread)
  set(ASPROF_SANITIZER_FLAGS -fsanitize=thread)
  set(_asprof_sanitize_runtime libtsan.so)
elseif(_asprof_sanitize MATCHES "^(address|on|yes|true|y|1)$")
  set(ASPROF_SANITIZER address)
  set(ASPROF_SANITIZER_FLAGS -fsanitize=address,undefined)
  set(_asprof_sanitize_runtime libasan.so)
elseif(NOT ASPROF_SANITIZE)
  set(ASPROF_SANITIZER "")
  set(ASPROF_SANITIZER_FLAGS "")
else()
  message(FATAL_ERROR "ASPROF_SANITIZE=${ASPROF_SANITIZE}: expected OFF, ON, address or thread")
endif()

if(ASPROF_SANITIZER AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # clang links its sanitizer runtime into executables only: every shared
  # library here (-Wl,-z,defs) would fail to link on __asan_*/__ubsan_* with
  # no word on why. scripts/fuzz is the clang + sanitizer build (libasprof-jfr).
  message(FATAL_ERROR "ASPROF_SANITIZE=${ASPROF_SANITIZE} needs GCC (CMAKE_CXX_COMPILER_ID is ${CMAKE_CXX_COMPILER_ID}): "
    "clang's sanitizer runtimes do not link into the shared libraries this project builds with -z defs. "
    "Use g++ (the default on Debian), or scripts/fuzz for a clang + ASan/UBSan build of libasprof-jfr.")
endif()

set(ASPROF_SANITIZER_RUNTIME "")
if(ASPROF_SANITIZER)
  add_compile_options(${ASPROF_SANITIZER_FLAGS} -fno-omit-frame-pointer)
  if(ASPROF_SANITIZER STREQUAL "address")
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
  add_link_options(${ASPROF_SANITIZER_FLAGS})
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${_asprof_sanitize_runtime}
    OUTPUT_VARIABLE ASPROF_SANITIZER_RUNTIME OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT IS_ABSOLUTE "${ASPROF_SANITIZER_RUNTIME}" OR NOT EXISTS "${ASPROF_SANITIZER_RUNTIME}")
    message(FATAL_ERROR "ASPROF_SANITIZE=${ASPROF_SANITIZE}: ${CMAKE_CXX_COMPILER} has no ${_asprof_sanitize_runtime} "
      "(on Debian it comes with the compiler's libasan/libtsan package)")
  endif()
  message(STATUS "Sanitizers: ${ASPROF_SANITIZER_FLAGS} (runtime ${ASPROF_SANITIZER_RUNTIME})")
endif()
