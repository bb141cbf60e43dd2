#!/usr/bin/env bash
#
# tests/jfr/test-nativemem.sh <asprof-jfr binary> <tests/data dir>
#
# asprof-jfr nativemem [--leaks [--tail RATIO]] [--json]:
#   * its output equals the expected files in tests/data/nativemem/expected (text and JSON, byte
#     for byte: stacks largest first, frames leaf first, the totals line);
#   * its totals line (allocations, bytes, distinct stacks) equals async-profiler 4.5's converter
#     on the same inputs (tests/data/nativemem/jfrconv-totals.txt, how it was made is said there);
#   * usage errors exit 2 with the usage text, an unreadable input exits 1 naming it.
# ASPROF_UPDATE_NATIVEMEM=1 rewrites the expected files from the binary's output (review the diff).
set -uo pipefail

if [[ $# -ne 2 ]]; then
	echo "usage: $0 <asprof-jfr binary> <tests/data dir>" >&2
	exit 2
fi
binary="$1"
data="$2"
[[ -x "$binary" ]] || { echo "FAIL: $binary is not an executable" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/asprof-jfr-nativemem.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/jfr/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

# expect <expected file> <asprof-jfr nativemem arguments...> (inputs relative to tests/data)
expect()
{
	local expected="$data/nativemem/expected/$1"
	shift
	local args=()
	for argument in "$@"; do
		if [[ "$argument" == *.jfr ]]; then args+=("$data/$argument"); else args+=("$argument"); fi
	done
	"$binary" nativemem "${args[@]}" >"$work/out" 2>"$work/err"
	local status=$?
	if [[ "$status" != 0 ]]; then
		fail "nativemem $*: exit status $status: $(head -c 300 "$work/err")"
		return
	fi
	if [[ "${ASPROF_UPDATE_NATIVEMEM:-}" == 1 ]]; then
		cp "$work/out" "$expected"
	fi
	if cmp -s "$work/out" "$expected"; then
		pass "nativemem $* = ${expected#"$data"/}"
	else
		fail "nativemem $* differs from ${expected#"$data"/}:"
		diff "$expected" "$work/out" | head -20
	fi
}

expect nativemem.txt nativemem.jfr
expect nativemem-leaks.txt --leaks nativemem.jfr
expect nativemem.json --json nativemem.jfr
expect nativemem-leaks.json --leaks --json nativemem.jfr
expect heap.txt nativemem/heap-first.jfr nativemem/heap-second.jfr
expect heap-leaks.txt --leaks nativemem/heap-first.jfr nativemem/heap-second.jfr
expect heap-leaks.json --json --leaks nativemem/heap-first.jfr nativemem/heap-second.jfr
expect heap-leaks-tail.txt --leaks --tail 0.1 nativemem/heap-first.jfr nativemem/heap-second.jfr
expect heap-first-leaks-threads.txt --leaks --threads nativemem/heap-first.jfr
expect empty.txt --leaks empty-ish.jfr

# The totals line against the converter's sums.
while IFS='|' read -r inputs args allocations bytes stacks; do
	[[ -z "$inputs" || "$inputs" == \#* ]] && continue
	paths=()
	for input in $inputs; do paths+=("$data/$input"); done
	# shellcheck disable=SC2086 # ARGS are shell words
	"$binary" nativemem $args "${paths[@]}" >"$work/out" 2>"$work/err"
	status=$?
	if [[ "$status" != 0 ]]; then
		fail "nativemem $args $inputs: exit status $status: $(head -c 300 "$work/err")"
		continue
	fi
	first="$(head -n 1 "$work/out")"
	# "Allocations: 1313 events, 5378048 bytes, 1 distinct stack" or "Leaks (...): 63 allocations, ..."
	got="$(sed -E 's/^[^:]*: ([0-9]+) (events|allocations), ([0-9]+) bytes, ([0-9]+) distinct stacks?$/\1|\3|\4/' <<<"$first")"
	if [[ "$got" == "$allocations|$bytes|$stacks" ]]; then
		pass "nativemem $args $inputs: $allocations allocations, $bytes bytes, $stacks stacks as jfrconv"
	else
		fail "nativemem $args $inputs: '$first', jfrconv: $allocations allocations, $bytes bytes, $stacks stacks"
	fi
done <"$data/nativemem/jfrconv-totals.txt"

# Errors.
status_of()
{
	"$binary" "$@" >"$work/out" 2>"$work/err"
	echo $?
}
for args in "nativemem --cpu" "nativemem --wall" "nativemem --total" "nativemem --tail 0.5" "nativemem --leaks --tail 2" \
	"collapsed --nativemem --leaks" "nativemem --title x"; do
	# shellcheck disable=SC2086
	status="$(status_of $args "$data/nativemem.jfr")"
	if [[ "$status" == 2 ]] && grep -q "^usage: asprof-jfr" "$work/err"; then
		pass "$args: usage error"
	else
		fail "$args: exit $status (expected 2 with the usage): $(head -c 300 "$work/err")"
	fi
done
status="$(status_of nativemem --leaks "$data/truncated.jfr")"
if [[ "$status" == 1 ]] && grep -q "truncated.jfr: chunk 1 at byte 0" "$work/err"; then
	pass "nativemem on truncated.jfr: exit 1 naming the file, chunk and offset"
else
	fail "nativemem on truncated.jfr: exit $status: $(head -c 300 "$work/err")"
fi

echo "$passed passed, $failed failed"
[[ "$failed" == 0 ]]
