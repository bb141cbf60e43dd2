#!/usr/bin/env bash
#
# jfr-polls-tests: asprof-jfr longpolls and timeline on tests/data/pollcatch.jfr
# (README facts: 285 polls, 138 longer than 10 ms, all in accidentally_slow),
# the timeline checked against the Trace Event Format's rules (check-trace.js,
# node; the timeline part is SKIPPED without node).
#
#   test-polls.sh <asprof-jfr> <tests/data dir>
set -euo pipefail
tool=$1
data=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
expect() { # expect <description> <actual> <wanted>
	if [ "$2" = "$3" ]; then echo "ok: $1 ($2)"; else echo "FAIL: $1: $2, expected $3"; failures=$((failures + 1)); fi
}
recording=$data/pollcatch.jfr

"$tool" longpolls "$recording" > "$work/all.txt"
expect "every poll" "$(grep -c ' - poll of ' "$work/all.txt")" 285
"$tool" longpolls "$recording" 10ms > "$work/long.txt"
expect "polls of 10 ms or more" "$(grep -c ' - poll of ' "$work/long.txt")" 138
expect "long polls stalled in accidentally_slow" "$(grep -A1 ' - poll of ' "$work/long.txt" | grep -c '^    accidentally_slow$')" 138
expect "no long poll on another thread" "$(grep ' - poll of ' "$work/long.txt" | grep -vc 'thread event-loop-0 (tid ' || true)" 0
"$tool" longpolls --stack-depth 2 "$recording" 10ms > "$work/short.txt"
expect "stacks cut at --stack-depth" "$(grep -c '^    - [0-9]* more frame(s)$' "$work/short.txt")" 138
"$tool" longpolls "$recording" 20ms > "$work/none.txt"
expect "no poll of 20 ms" "$(wc -l < "$work/none.txt" | tr -d ' ')" 0
"$tool" longpolls --samples "$recording" 10ms > "$work/samples.txt"
inside=$(grep -c ' - poll of ' "$work/samples.txt")
"$tool" longpolls --samples --include-non-pollcatch "$recording" 10ms > "$work/all-samples.txt"
outside=$(grep -c ' - not in a poll$' "$work/all-samples.txt")
[ "$inside" -gt 138 ] && [ "$outside" -gt 0 ] && echo "ok: samples inside ($inside) and outside ($outside) polls" || {
	echo "FAIL: samples inside $inside, outside $outside"
	failures=$((failures + 1))
}
status=0
"$tool" longpolls --wall "$recording" > /dev/null 2>&1 || status=$?
expect "an EVENT option is a usage error for longpolls" "$status" 2

status=0
"$tool" longpolls "$recording" 999999999999s > /dev/null 2> "$work/err" || status=$?
expect "a MIN_DURATION past 64-bit ns is a usage error" "$status $(grep -c 'out of range' "$work/err")" "2 1"
# Hostile times (fuzz-regressions): a poll's ticks wrapping around, a start at
# INT64_MAX. The timeline is still written (times pinned, never UB).
# Before 1970: the time's fraction is still six digits, never negative.
"$tool" longpolls "$data/fuzz-regressions/hostile-polls-before-1970.jfr" > "$work/old.txt"
expect "polls before 1970 printed as times" "$(grep -c '^\[1677-09-21T00:12:[0-9][0-9]\.[0-9]\{6\}Z\] thread' "$work/old.txt")" 285
for stem in hostile-poll-ticks-wrap hostile-start-max-polls; do
	status=0
	"$tool" timeline -o "$work/$stem.json" "$data/fuzz-regressions/$stem.jfr" 2> "$work/err" || status=$?
	expect "timeline of $stem" "$status$(grep -c 'runtime error' "$work/err")" "00"
done
if command -v node > /dev/null 2>&1; then
	"$tool" longpolls --json "$recording" 10ms > "$work/long.json"
	expect "--json: 138 objects with the stall at the leaf" "$(node -e '
		const a = JSON.parse(require("fs").readFileSync(process.argv[1]));
		const ok = a.every(p => p.thread === "event-loop-0" && p.stack[0] === "accidentally_slow" && p.duration_ns > 10e6 && p.samples > 0 && Number.isInteger(p.start_ns));
		console.log(ok ? a.length : "bad");' "$work/long.json")" 138
	"$tool" timeline -o "$work/trace.json" "$recording"
	if node "$here/check-trace.js" "$work/trace.json" 285; then echo "ok: the timeline follows the Trace Event Format"; else failures=$((failures + 1)); fi
	"$tool" timeline -o "$work/empty.json" "$data/cpu-wall.jfr"
	if node "$here/check-trace.js" "$work/empty.json" 0; then echo "ok: a timeline without polls"; else failures=$((failures + 1)); fi
else
	echo "SKIPPED: node is not installed (the --json and timeline checks are node scripts)"
fi
exit $((failures > 0))
