#!/usr/bin/env bash
# format-tests: every C and C++ file matches .clang-format (scripts/format
# --check names the ones that differ). Prints SKIPPED and exits 77 (CTest:
# skipped) without clang-format 14 (scripts/test installs it, so CI never
# skips for that) and in a sanitizer build (the plain run checks the same
# files).
#   format-test.sh <source dir> <sanitizer, "" when none>
set -uo pipefail
source=$1 sanitizer=${2:-}

if [[ -n "$sanitizer" ]]; then
	echo "SKIPPED: a sanitizer build (ASPROF_SANITIZE: $sanitizer): the plain build checks the format"
	exit 77
fi
"$source/scripts/format" --check
status=$?
if [[ $status -eq 2 ]]; then
	echo "SKIPPED: clang-format 14 not installed (apt-get install clang-format; scripts/test installs it)"
	exit 77
fi
exit $status
