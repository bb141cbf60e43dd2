#!/usr/bin/env bash
# abi-tests: the SDK's ABI against the baseline committed in sdk/abi/
# (scripts/abi-check, abidiff). Prints SKIPPED and exits 77 (CTest: skipped) where the check
# cannot mean anything: without abigail-tools, in a sanitizer build (another
# ABI by construction; the plain run checks it), in a build without debug
# information. Anything else is scripts/abi-check's verdict, tool errors
# included.
#   abi-test.sh <source dir> <build dir> <sanitizer, "" when none>
set -uo pipefail
source=$1 build=$2 sanitizer=${3:-}

if [[ -n "$sanitizer" ]]; then
	echo "SKIPPED: a sanitizer build (ASPROF_SANITIZE: $sanitizer): its ABI differs from a plain build's, which abi-tests check"
	exit 77
fi
if ! command -v abidw > /dev/null || ! command -v abidiff > /dev/null; then
	echo "SKIPPED: abidiff not installed (apt-get install abigail-tools; scripts/test installs it)"
	exit 77
fi
library=$build/lib/libasprof-sdk.so
if [[ -e "$library" ]] && ! readelf -S --wide "$library" | grep '\.debug_info' > /dev/null; then
	echo "SKIPPED: $library has no debug information (configure with -DCMAKE_BUILD_TYPE=RelWithDebInfo or Debug)"
	exit 77
fi
exec "$source/scripts/abi-check" "$build"
