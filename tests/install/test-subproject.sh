#!/bin/bash
# asprof-agent as a subproject: tests/install/subproject does
# add_subdirectory(<source> asprof) and links asprof::agent. Its configure
# checks what must not leak (flags, build type, test targets); here it is
# built (subproject-app only, in a tree of its own: nothing is reused from
# the main build), run, and the package version file is asked for versions.
#
# usage: test-subproject.sh <source dir> <work dir> <cmake>
set -u
source "$(dirname "$0")/common.sh"
source_dir=$1
work=$2/subproject-test
cmake=${3:-cmake}
rm -rf "$work"
mkdir -p "$work"
jobs=${ASPROF_SUBPROJECT_JOBS:-2}

logged() { # logged "what" <log> command...: check, with the log's tail on failure
	local what=$1 log=$2
	shift 2
	if "$@" > "$log" 2>&1; then
		echo "ok: $what"
		passed=$((passed + 1))
	else
		echo "FAILED: $what (log $log):"
		tail -n 30 "$log" | sed 's/^/  | /'
		failed=$((failed + 1))
	fi
}

build=$work/build
logged "configure with ASPROF_WERROR=ON: nothing leaks, no test targets" "$work/configure.log" \
	"$cmake" -S "$source_dir/tests/install/subproject" -B "$build" -DASPROF_SOURCE_DIR="$source_dir" -DASPROF_WERROR=ON
check "no CPackConfig.cmake written into the including project" test ! -e "$build/CPackConfig.cmake"
logged "build subproject-app only" "$work/build.log" nice "$cmake" --build "$build" --target subproject-app -j "$jobs"
check "subproject-app runs with the subproject's libasprof-agent.so" "$build/subproject-app"
check "only what subproject-app needs is built (no plugin, no test runner)" \
	test ! -e "$build/asprof/lib/asprof-agent/plugins/libasprof-reporter-local.so" -a ! -e "$build/asprof/bin/config-tests"

# find_package(asprof-agent <version>) against the version file (0.x: same minor).
version_check() { # version_check <requested> <expected TRUE|FALSE>
	local script=$work/version-$1.cmake
	cat > "$script" <<CMAKE
set(PACKAGE_FIND_VERSION $1)
string(REPLACE "." ";" parts "$1")
list(LENGTH parts PACKAGE_FIND_VERSION_COUNT)
list(APPEND parts 0 0 0)
list(GET parts 0 PACKAGE_FIND_VERSION_MAJOR)
list(GET parts 1 PACKAGE_FIND_VERSION_MINOR)
list(GET parts 2 PACKAGE_FIND_VERSION_PATCH)
include("$build/asprof/asprof-agentConfigVersion.cmake")
if(NOT "\${PACKAGE_VERSION_COMPATIBLE}" STREQUAL "$2")
  message(FATAL_ERROR "version \${PACKAGE_VERSION}, asked for $1: compatible=\${PACKAGE_VERSION_COMPATIBLE}, expected $2")
endif()
CMAKE
	"$cmake" -P "$script"
}
version=$(sed -n 's/^project(asprof-agent VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}
check "version file: $version satisfies $major.$minor" version_check "$major.$minor" TRUE
if [ "$major" = 0 ]; then
	check "version file: $version does not satisfy $major.$((minor + 1)) (0.x: SameMinorVersion)" version_check "$major.$((minor + 1))" FALSE
	if [ "$minor" -gt 0 ]; then
		check "version file: $version does not satisfy $major.$((minor - 1))" version_check "$major.$((minor - 1))" FALSE
	fi
else
	check "version file: $version does not satisfy $((major + 1)).0" version_check "$((major + 1)).0" FALSE
fi

# The sanitizer flags stay ours too (configure only: the checks are there).
logged "configure with ASPROF_SANITIZE=address: nothing leaks" "$work/configure-asan.log" \
	"$cmake" -S "$source_dir/tests/install/subproject" -B "$work/build-asan" -DASPROF_SOURCE_DIR="$source_dir" -DASPROF_SANITIZE=address
finish
