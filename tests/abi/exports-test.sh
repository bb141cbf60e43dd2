#!/usr/bin/env bash
# exports-test.sh NM EXPECTED_DIR LIBRARY LIST [LIBRARY LIST]...
#
# exports-tests: the symbols each LIBRARY exports (nm -D --defined-only,
# demangled) must be exactly the names in EXPECTED_DIR/LIST, one per line,
# sorted (LC_ALL=C sort -u). libasprof-agent.so exports its public API only;
# the preload library only the exec family, which stops the agent before an
# exec (core/agent.map, core/preload/preload.map).
#
# Left out of the comparison, because the toolchain, not our code, puts them
# there:
#   _init _fini __bss_start _edata _end __end__   linker-defined (older linkers
#                                                 export them from every .so)
#   __asan_* __ubsan_* __tsan_* __lsan_* __msan_* __hwasan_* __sanitizer_*
#   __odr_asan* __start_asan_globals __stop_asan_globals
#                                                 sanitizer builds (ASPROF_SANITIZE)
#
# ASPROF_UPDATE_EXPORTS=1 writes the lists found instead of comparing.
set -euo pipefail

if [ $# -lt 4 ] || [ $(( ($# - 2) % 2 )) -ne 0 ]; then
	echo "usage: $0 NM EXPECTED_DIR LIBRARY LIST [LIBRARY LIST]..." >&2
	exit 2
fi
nm_tool=$1
expected_dir=$2
shift 2

toolchain='^(_init|_fini|__bss_start|_edata|_end|__end__)$'
sanitizer='^_*(asan|ubsan|tsan|lsan|msan|hwasan|sanitizer|odr_asan)[_.]|^__(start|stop)_asan_globals$'

exported() {
	# "<address> <type> <name>": the name may contain spaces. nm failing is
	# an error, never an empty list (the preload library's list is empty).
	local symbols
	symbols=$("$nm_tool" -D -C --defined-only "$1") || { echo "exports-tests: $nm_tool failed on $1" >&2; exit 2; }
	printf '%s\n' "$symbols" | sed -E 's/^[0-9a-fA-F]+ +[A-Za-z] +//' |
		grep -Ev -e '^$' -e "$toolchain" -e "$sanitizer" | LC_ALL=C sort -u || true
}

status=0
while [ $# -gt 0 ]; do
	library=$1
	list=$expected_dir/$2
	shift 2
	[ -f "$library" ] || { echo "exports-tests: $library does not exist" >&2; exit 2; }
	actual=$(mktemp)
	trap 'rm -f "$actual"' EXIT
	exported "$library" >"$actual"
	if [ "${ASPROF_UPDATE_EXPORTS:-0}" = 1 ]; then
		cp "$actual" "$list"
		echo "exports-tests: wrote $list ($(wc -l <"$actual") symbols)"
	elif diff -u "$list" "$actual"; then
		echo "exports-tests: $(basename "$library") exports the $(wc -l <"$actual") expected symbols"
	else
		echo "exports-tests: $(basename "$library") exports other symbols than $list (diff above: - expected, + exported)."
		echo "  A symbol was added to or removed from the public API; if intended, update $list"
		echo "  (ASPROF_UPDATE_EXPORTS=1 ctest -R exports-tests writes it; review the diff)."
		echo "  Anything else means an internal leaked: it must be hidden (ASPROF_AGENT_API, core/agent.map)."
		status=1
	fi
	rm -f "$actual"
done
exit $status
