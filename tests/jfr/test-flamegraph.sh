#!/usr/bin/env bash
#
# jfr-flamegraph-tests: asprof-jfr flamegraph writes one self-contained HTML
# page whose embedded tree holds exactly the collapsed output's weights.
# Checked with tests/jfr/check-flamegraph.js (node); SKIPPED (exit 77) without node.
#
#   test-flamegraph.sh <asprof-jfr> <tests/data dir>
set -euo pipefail
tool=$1
data=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! command -v node > /dev/null 2>&1; then
	echo "SKIPPED: node is not installed (the flame graph check is a node script)"
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() { # check <name> <recording> <asprof-jfr options...>
	local name=$1 recording=$data/$2
	shift 2
	"$tool" collapsed "$@" "$recording" > "$work/$name.collapsed"
	local total
	total=$(awk '{ sum += $NF } END { print sum + 0 }' "$work/$name.collapsed")
	"$tool" flamegraph "$@" --title "test $name" -o "$work/$name.html" "$recording"
	if node "$here/check-flamegraph.js" "$work/$name.html" "$total"; then
		echo "ok: $name (total $total)"
	else
		echo "FAIL: $name"
		failures=$((failures + 1))
	fi
	grep -q "<title>test $name</title>" "$work/$name.html" || { echo "FAIL: $name: the title is not the page's title"; failures=$((failures + 1)); }
}
check cpu cpu-wall.jfr --cpu
check wall-threads cpu-wall.jfr --wall --threads
check pollcatch pollcatch.jfr --cpu
check multi-chunk multi-chunk.jfr --cpu
check nativemem-bytes nativemem.jfr --nativemem --total
check leak nativemem.jfr --nativemem --leak --total
check fanout fanout.jfr --cpu --threads
check empty empty-ish.jfr --cpu
exit $((failures > 0))
