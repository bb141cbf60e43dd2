#!/usr/bin/env bash
#
# tests/jfr/test-pprof.sh <asprof-jfr binary> <tests/data dir> [<pprof binary>]
#
# asprof-jfr pprof, read back by Google's pprof (-raw, and -top -sample_index=N):
#   * the profile parses, with the sample types jfr/include/asprof/jfr/PprofWriter.h promises
#     (cpu: samples/count cpu/nanoseconds; wall: samples/count wall/nanoseconds; nativemem:
#     alloc_objects/count alloc_space/bytes; --leak: inuse_objects/count inuse_space/bytes) and,
#     for cpu and wall, the period type and the recording's sampling interval as period;
#   * the totals are exact: the sample counts equal the sums of the matching collapsed output (CPU:
#     also the JDK's count of jdk.ExecutionSample), cpu/nanoseconds = CPU samples × interval,
#     wall/nanoseconds = the sum of the wall samples' batch counts × wall interval, alloc_space =
#     the sum of `collapsed --nativemem --total`, inuse_space = the sum of `--leak --total`;
#   * with --threads every sample carries a thread label.
# The pprof binary: when given but missing, it is built once with tests/jfr/build-pprof.sh (Go and
# Debian's pprof sources, offline) and cached there. Without one (or without Go), the test prints
# "SKIPPED: Google pprof not available" and exits 77 (CTest: skipped).
set -uo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
	echo "usage: $0 <asprof-jfr binary> <tests/data dir> [<pprof binary>]" >&2
	exit 2
fi
binary="$1"
data="$2"
pprof="${3:-}"
[[ -x "$binary" ]] || { echo "FAIL: $binary is not an executable" >&2; exit 1; }

if [[ -z "$pprof" ]]; then
	echo "SKIPPED: Google pprof not available (no pprof binary given)"
	exit 77
fi
if [[ ! -x "$pprof" ]]; then
	bash "$(dirname "${BASH_SOURCE[0]}")/build-pprof.sh" "$pprof"
	built=$?
	if [[ "$built" == 3 ]]; then
		echo "SKIPPED: Google pprof not available (apt-get install golang-go golang-github-google-pprof-dev; scripts/test installs them)"
		exit 77
	elif [[ "$built" != 0 || ! -x "$pprof" ]]; then
		echo "FAIL: could not build Google pprof into $pprof (tests/jfr/build-pprof.sh)"
		exit 1
	fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/asprof-jfr-pprof.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# pprof keeps nothing in $HOME: no symbolization, no downloads, no history.
export PPROF_TMPDIR="$work" PPROF_BINARY_PATH=/nonexistent HOME="$work"
run_limit=120
# shellcheck source=tests/jfr/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

# The recordings' sampling intervals in ns, as their jdk.ActiveSetting events say (jfr print):
# async-profiler's interval= and wall= options.
declare -A cpu_interval=([cpu-wall]=10000000 [multi-chunk]=10000000 [nativemem]=10000000 [concat]=10000000
	[pollcatch]=1000000 [fanout]=200000 [empty-ish]=10000000)
declare -A wall_interval=([cpu-wall]=100000000 [multi-chunk]=100000000 [nativemem]=100000000 [concat]=100000000
	[pollcatch]=10000000 [fanout]=5000000 [empty-ish]=100000000)

mkdir -p "$work/inputs"
cat "$data/cpu-wall.jfr" "$data/nativemem.jfr" >"$work/inputs/concat.jfr"
input_of()
{
	if [[ -f "$work/inputs/$1.jfr" ]]; then echo "$work/inputs/$1.jfr"; else echo "$data/$1.jfr"; fi
}

# collapsed_sum <input> <collapsed options...>: sets $total to the sum of the counts of
# asprof-jfr collapsed (awk prints it with %.0f: mawk's %d stops at 2^31).
collapsed_sum()
{
	local input="$1"
	shift
	timeout "$run_limit" "$binary" collapsed "$@" "$input" </dev/null >"$work/collapsed" 2>"$work/collapsed-err"
	local status=$?
	total="$(awk '{ sum += $NF } END { printf "%.0f\n", sum }' "$work/collapsed")"
	if [[ "$status" != 0 ]] || grep -qE 'Sanitizer|runtime error:' "$work/collapsed-err"; then
		fail "$(basename "$input"): asprof-jfr collapsed $* -> exit status $status: $(head -c 400 "$work/collapsed-err")"
	fi
}

# jfr_count <stem> <event type>: the count the JDK's `jfr summary` gives (empty: no table).
jfr_count()
{
	local table="$data/jfrconv/$1/jfr-summary.txt"
	[[ -f "$table" ]] || return 0
	awk -v type="$2" '$1 == type { print $2; found = 1 } END { if (!found) print 0 }' "$table"
}

# check <stem> <mode> <expected types> <expected period type> <expected period>
#       <expected total 0> <expected total 1> <pprof options...>
check()
{
	local stem="$1" mode="$2" types="$3" period_type="$4" period="$5" want0="$6" want1="$7"
	shift 7
	local input profile="$work/$stem-$mode.pb.gz" problems=()
	input="$(input_of "$stem")"
	local label="$stem: asprof-jfr pprof $* (sample types $types)"
	if ! timeout "$run_limit" "$binary" pprof "$@" -o "$profile" "$input" </dev/null 2>"$work/err" ||
		grep -qE 'Sanitizer|runtime error:' "$work/err"; then
		fail "$label -> asprof-jfr failed: $(head -c 400 "$work/err")"
		return
	fi
	if ! timeout "$run_limit" "$pprof" -raw "$profile" >"$work/raw" 2>"$work/err"; then
		fail "$label -> pprof -raw cannot read it: $(head -c 400 "$work/err")"
		return
	fi
	# -raw: "Samples:", the sample types, then "v0 v1: locations" lines (label lines below them).
	local got_types got0 got1 samples labelled got_period_type got_period
	got_types="$(awk '/^Samples:/ { getline; print; exit }' "$work/raw" | sed 's/ *$//')"
	read -r got0 got1 samples labelled < <(awk '
		/^Samples:/ { inside = 1; getline; next }
		/^Locations/ { inside = 0 }
		inside && /^ *-?[0-9]+ +-?[0-9]+:/ { sub(/:.*/, ""); v0 += $1; v1 += $2; n++ }
		inside && /^ +thread:/ { t++ }
		END { printf "%.0f %.0f %d %d\n", v0, v1, n, t }' "$work/raw")
	got_period_type="$(sed -n 's/^PeriodType: *//p' "$work/raw" | sed 's/ *$//')"
	got_period="$(sed -n 's/^Period: *//p' "$work/raw")"
	[[ "$got_types" == "$types" ]] || problems+=("sample types '$got_types', expected '$types'")
	if [[ -n "$period_type" ]]; then
		[[ "$got_period_type" == "$period_type" ]] || problems+=("period type '$got_period_type', expected '$period_type'")
		[[ "$got_period" == "$period" ]] || problems+=("period $got_period, expected $period")
	fi
	[[ "$got0" == "$want0" ]] || problems+=("${types%% *} total $got0, expected $want0")
	[[ "$got1" == "$want1" ]] || problems+=("${types##* } total $got1, expected $want1")
	if [[ " $* " == *" --threads "* && "$labelled" != "$samples" ]]; then
		problems+=("$labelled of $samples samples carry a thread label")
	fi
	# -top on each sample type: parses, and reports that type.
	local index name
	for index in 0 1; do
		name="$(cut -d' ' -f$((index + 1)) <<<"$types")"
		name="${name%%/*}"
		if ! timeout "$run_limit" "$pprof" -top -sample_index="$index" "$profile" >"$work/top" 2>"$work/err"; then
			problems+=("pprof -top -sample_index=$index failed: $(head -c 200 "$work/err")")
		elif ! grep -q "^Type: $name\$" "$work/top"; then
			problems+=("pprof -top -sample_index=$index does not show Type: $name")
		fi
	done
	if [[ ${#problems[@]} -eq 0 ]]; then
		pass "$label: totals $got0 and $got1 over $samples samples"
	else
		local IFS=';'
		fail "$label -> ${problems[*]}"
	fi
}

for stem in cpu-wall multi-chunk pollcatch nativemem fanout concat empty-ish; do
	input="$(input_of "$stem")"
	collapsed_sum "$input" --cpu; cpu="$total"
	collapsed_sum "$input" --wall; wall="$total"
	collapsed_sum "$input" --nativemem; alloc="$total"
	collapsed_sum "$input" --nativemem --total; alloc_bytes="$total"
	collapsed_sum "$input" --nativemem --leak; inuse="$total"
	collapsed_sum "$input" --nativemem --leak --total; inuse_bytes="$total"
	jdk="$(jfr_count "$stem" jdk.ExecutionSample)"
	if [[ -n "$jdk" && "$jdk" != "$cpu" ]]; then
		fail "$stem: collapsed --cpu counts $cpu samples, jfr summary $jdk jdk.ExecutionSample events"
	elif [[ -n "$jdk" ]]; then
		pass "$stem: collapsed --cpu counts the $jdk jdk.ExecutionSample events of jfr summary"
	fi
	check "$stem" cpu "samples/count cpu/nanoseconds" "cpu nanoseconds" "${cpu_interval[$stem]}" \
		"$cpu" "$((cpu * ${cpu_interval[$stem]}))" --cpu
	check "$stem" wall "samples/count wall/nanoseconds" "wall nanoseconds" "${wall_interval[$stem]}" \
		"$wall" "$((wall * ${wall_interval[$stem]}))" --wall
	check "$stem" wall-threads "samples/count wall/nanoseconds" "wall nanoseconds" "${wall_interval[$stem]}" \
		"$wall" "$((wall * ${wall_interval[$stem]}))" --wall --threads
	check "$stem" nativemem "alloc_objects/count alloc_space/bytes" "" "" "$alloc" "$alloc_bytes" --nativemem
	check "$stem" leak "inuse_objects/count inuse_space/bytes" "" "" "$inuse" "$inuse_bytes" --nativemem --leak
done

echo
echo "jfr-pprof-tests: $passed passed, $failed failed (Google pprof: $pprof)"
[[ "$failed" == 0 ]]
