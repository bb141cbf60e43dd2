#!/usr/bin/env bash
#
# tests/jfr/test-collapsed.sh <asprof-jfr binary> <tests/data dir>
#
# asprof-jfr against async-profiler 4.5's converter and the JDK's `jfr summary`:
#   * every case of <data>/jfrconv/cases.txt (see its header): standard output byte for byte
#     (line order included) and the exit status; an unreadable input's message names the file,
#     the chunk and the byte offset; a usage error prints the usage text;
#   * the documented divergences listed there run and exit 0 (not compared);
#   * `summary --json` reports the event counts and sizes of `jfr summary` (<stem>/jfr-summary.txt);
#   * the agent's zip (async_profiler_dump_0.jfr + metadata.json), standard input (-) and -o FILE
#     give the same output as the plain file.
# Prints one line per check and a summary; exits 1 if any check failed. Needs bash, coreutils,
# gzip and perl (JSON::PP, IO::Compress::Zip: both in perl's core).
set -uo pipefail

if [[ $# -ne 2 ]]; then
	echo "usage: $0 <asprof-jfr binary> <tests/data dir>" >&2
	exit 2
fi
binary="$1"
data="$2"
manifest="$data/jfrconv/cases.txt"
[[ -x "$binary" ]] || { echo "FAIL: $binary is not an executable" >&2; exit 1; }
[[ -f "$manifest" ]] || { echo "FAIL: $manifest not found" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/asprof-jfr-collapsed.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# Each run is bounded: a hang is a failure, not a stuck CI job.
run_limit=120
# shellcheck source=tests/jfr/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
divergent=0

# input_of <stem>: the path of tests/data/<stem>.jfr, or of one made by an "input" line.
input_of()
{
	if [[ -f "$work/inputs/$1.jfr" ]]; then
		echo "$work/inputs/$1.jfr"
	else
		echo "$data/$1.jfr"
	fi
}

# asprof <args...>: runs the binary; stdout in $work/out, stderr in $work/err, status in $status.
# A sanitizer's report (their exit status, 1, would pass for "unreadable input") or a hang is
# made a status no case expects.
asprof()
{
	asprof_from /dev/null "$@"
}

# asprof_from <stdin file> <args...>: the same, reading standard input from a file.
asprof_from()
{
	local stdin="$1"
	shift
	timeout "$run_limit" "$binary" "$@" >"$work/out" 2>"$work/err" <"$stdin"
	status=$?
	if [[ "$status" == 124 ]]; then
		status="124 (killed after ${run_limit} s)"
	elif grep -qE 'Sanitizer|runtime error:' "$work/err"; then
		status="$status with a sanitizer report"
	fi
}

# expected_file <EXPECTED field>: the path of the expected bytes ("-": empty, .gz: gunzipped).
expected_file()
{
	case "$1" in
	-) : >"$work/expected" ;;
	*.gz) gzip -dc "$data/jfrconv/$1" >"$work/expected" ;;
	*) cp "$data/jfrconv/$1" "$work/expected" ;;
	esac
	echo "$work/expected"
}

# first_difference <expected> <actual>: the first line that differs, for the failure message.
first_difference()
{
	local line
	line="$(cmp "$1" "$2" 2>&1 | sed -n 's/.* line \([0-9]*\).*/\1/p')"
	if [[ -z "$line" ]]; then
		cmp "$1" "$2" 2>&1 | head -1
		return
	fi
	echo "first difference at line $line:"
	echo "    expected: $(sed -n "${line}p" "$1" | cut -c1-300)"
	echo "    actual:   $(sed -n "${line}p" "$2" | cut -c1-300)"
}

# check_case <stem> <args text> <expected> <status>
check_case()
{
	local stem="$1" argtext="$2" expected="$3" want="$4" input args problem=""
	input="$(input_of "$stem")"
	eval "args=($argtext)"
	asprof "${args[@]}" "$input"
	local label="$stem: asprof-jfr $argtext"
	if [[ "$status" != "$want" ]]; then
		problem="exit status $status, expected $want; stderr: $(head -c 400 "$work/err")"
	elif ! cmp -s "$(expected_file "$expected")" "$work/out"; then
		problem="output differs from $expected; $(first_difference "$work/expected" "$work/out")"
	elif [[ "$want" == 1 ]]; then
		if ! grep -qF "$input" "$work/err" || ! grep -qE 'chunk [0-9]+' "$work/err" ||
			! grep -qE '(byte|offset) [0-9]+' "$work/err"; then
			problem="the error message does not name the file, the chunk and the byte offset: $(head -c 400 "$work/err")"
		fi
	elif [[ "$want" == 2 ]] && ! grep -q '^usage: asprof-jfr' "$work/err"; then
		problem="a usage error without the usage text: $(head -c 400 "$work/err")"
	fi
	if [[ -n "$problem" ]]; then
		fail "$label -> $problem"
	else
		pass "$label"
	fi
}

# check_divergent <stems> <args text> <reason>: runs, must exit 0; its output is not compared.
check_divergent()
{
	local argtext="$2" reason="$3" stems inputs=() stem args
	read -ra stems <<<"$1"
	for stem in "${stems[@]}"; do inputs+=("$(input_of "$stem")"); done
	eval "args=($argtext)"
	asprof "${args[@]}" "${inputs[@]}"
	if [[ "$status" != 0 ]]; then
		fail "${stems[*]}: asprof-jfr $argtext (documented divergence [$reason]) -> exit status $status: $(head -c 400 "$work/err")"
	else
		divergent=$((divergent + 1))
		echo "DIVERGENT  ${stems[*]}: asprof-jfr $argtext -> exit 0, not compared (documented divergence [$reason], see cases.txt)"
	fi
}

# The manifest's lines, in order (fd 3: the binary must not eat the manifest).
mkdir -p "$work/inputs"
while IFS= read -r line <&3; do
	case "$line" in
	'' | '#'*) continue ;;
	'input '*)
		read -r _ name _ parts <<<"$line"
		: >"$work/inputs/$name.jfr"
		for part in $parts; do cat "$data/$part.jfr" >>"$work/inputs/$name.jfr"; done
		;;
	'divergent '*)
		rest="${line#divergent }"
		check_divergent "${rest%%|*}" "$(sed 's/^[^|]*|//; s/|[^|]*$//' <<<"$rest")" "${rest##*|}"
		;;
	*)
		# STEM|ARGS|EXPECTED|STATUS; ARGS may contain '|'.
		stem="${line%%|*}"
		rest="${line#*|}"
		want="${rest##*|}"
		rest="${rest%|*}"
		expected="${rest##*|}"
		check_case "$stem" "${rest%|*}" "$expected" "$want"
		;;
	esac
done 3<"$manifest"

# summary --json against the JDK's jfr summary: every event type's count and size.
for table in "$data"/jfrconv/*/jfr-summary.txt; do
	stem="$(basename "$(dirname "$table")")"
	input="$(input_of "$stem")"
	asprof summary --json "$input"
	if [[ "$status" != 0 ]]; then
		fail "$stem: asprof-jfr summary --json -> exit status $status: $(head -c 400 "$work/err")"
		continue
	fi
	if problem="$(perl -MJSON::PP -e '
		my ($json, $table) = @ARGV;
		local $/;
		open my $in, "<", $json or die "$json: $!";
		my $summary = decode_json(<$in>);
		open $in, "<", $table or die "$table: $!";
		my (%want, @problems);
		for (split /\n/, <$in>) { $want{$1} = [$2, $3] if /^\s*([\w.]+)\s+(\d+)\s+(\d+)\s*$/ }
		die "no event table in $table\n" unless %want;
		my %got = map { $_ => [$summary->{events}{$_}{count}, $summary->{events}{$_}{bytes}] }
			keys %{$summary->{events} || {}};
		for my $type (sort keys %want) {
			my $got = $got{$type} || [0, 0];
			push @problems, "$type: count $got->[0], jfr says $want{$type}[0]" if $got->[0] != $want{$type}[0];
			push @problems, "$type: $got->[1] bytes, jfr says $want{$type}[1]" if $got->[1] != $want{$type}[1];
		}
		push @problems, "$_: count $got{$_}[0], unknown to jfr" for grep { !exists $want{$_} } sort keys %got;
		print join("; ", @problems);
		exit(@problems ? 1 : 0);' "$work/out" "$table" 2>&1)"; then
		pass "$stem: asprof-jfr summary --json: event counts and sizes equal jfr summary's"
	else
		fail "$stem: asprof-jfr summary --json differs from jfr summary: $problem"
	fi
done

# The same recording as a file, as the agent's zip (detected by content: the name says nothing),
# on standard input (plain and zipped), and written with -o.
for stem in cpu-wall multi-chunk nativemem; do
	input="$data/$stem.jfr"
	zipdir="$work/zip-$stem"
	mkdir -p "$zipdir"
	cp "$input" "$zipdir/async_profiler_dump_0.jfr"
	echo '{"service":"asprof-jfr-test"}' >"$zipdir/metadata.json"
	if ! (cd "$zipdir" && perl -MIO::Compress::Zip=zip,\$ZipError -e \
		'zip ["metadata.json", "async_profiler_dump_0.jfr"] => "../upload-'"$stem"'.bin" or die "zip: $ZipError\n"'); then
		fail "$stem: could not make a zip with perl's IO::Compress::Zip"
		continue
	fi
	zipped="$work/upload-$stem.bin"
	for argtext in "collapsed --cpu --threads" "collapsed --wall" "collapsed --nativemem --leak --total" \
		"collapsed --cpu --from 500 --to 1500"; do
		eval "args=($argtext)"
		asprof "${args[@]}" "$input"
		cp "$work/out" "$work/from-file"
		if [[ "$status" != 0 ]]; then
			fail "$stem: asprof-jfr $argtext FILE -> exit status $status"
			continue
		fi
		for variant in zip stdin zip-stdin output; do
			case "$variant" in
			zip) asprof "${args[@]}" "$zipped" ;;
			stdin) asprof_from "$input" "${args[@]}" - ;;
			zip-stdin) asprof_from "$zipped" "${args[@]}" - ;;
			output)
				rm -f "$work/written"
				asprof "${args[@]}" -o "$work/written" "$input"
				if [[ "$status" == 0 && -s "$work/out" ]]; then
					status="0 but wrote to standard output too"
				fi
				cp "$work/written" "$work/out" 2>/dev/null || : >"$work/out"
				;;
			esac
			if [[ "$status" != 0 ]]; then
				fail "$stem ($variant): asprof-jfr $argtext -> exit status $status: $(head -c 400 "$work/err")"
			elif ! cmp -s "$work/from-file" "$work/out"; then
				fail "$stem ($variant): asprof-jfr $argtext differs from the plain file's output; $(first_difference "$work/from-file" "$work/out")"
			else
				pass "$stem ($variant): asprof-jfr $argtext = the plain file's output"
			fi
		done
	done
done

# Usage and unreadable inputs outside the manifest's shape (no input, a missing file, --help).
asprof
if [[ "$status" == 2 ]] && grep -q '^usage: asprof-jfr' "$work/err"; then
	pass "no arguments: exit 2 with the usage text"
else
	fail "no arguments: exit status $status, expected 2 with the usage text"
fi
asprof collapsed --cpu
if [[ "$status" == 2 ]] && grep -q '^usage: asprof-jfr' "$work/err"; then
	pass "collapsed without an input: exit 2 with the usage text"
else
	fail "collapsed without an input: exit status $status, expected 2 with the usage text"
fi
asprof --help
if [[ "$status" == 0 ]] && grep -q '^usage: asprof-jfr' "$work/out"; then
	pass "--help: exit 0, the usage text on standard output"
else
	fail "--help: exit status $status, expected 0 with the usage text on standard output"
fi
asprof collapsed --cpu "$work/no-such-file.jfr"
if [[ "$status" == 1 ]] && grep -qF "$work/no-such-file.jfr" "$work/err" && [[ ! -s "$work/out" ]]; then
	pass "a missing input: exit 1, the message names the file"
else
	fail "a missing input: exit status $status, expected 1 with a message naming the file: $(head -c 400 "$work/err")"
fi

# Numbers past 64 bits, from the command line or from a hostile recording
# (tests/data/fuzz-regressions/hostile-*: header or event fields set to
# INT64_MIN/MAX, 2^62-byte mallocs). A time that cannot be held is a usage
# error naming it; a recording's own numbers are pinned at INT64_MAX, never
# wrapped (and never undefined behaviour: the sanitizer builds run this).
hostile=$data/fuzz-regressions
for spec in "--from 9999999999999h" "--from -9999999999999999" "--from 99999999999999999" "--to 9999-12-31T00:00"; do
	read -ra words <<<"$spec"
	asprof collapsed --cpu "${words[@]}" "$data/cpu-wall.jfr"
	if [[ "$status" == 2 ]] && grep -qF -- "${words[1]}: out of range" "$work/err"; then
		pass "collapsed $spec: exit 2, out of range"
	else
		fail "collapsed $spec: exit status $status, expected 2 naming it out of range: $(head -c 400 "$work/err")"
	fi
done
for run in "collapsed --cpu --from 10s hostile-start-near-max" "collapsed --cpu --from 5000 hostile-start-near-max" \
	"collapsed --cpu --to -5s hostile-duration-max" "summary hostile-duration-max" "summary hostile-multi-start-min-2" \
	"pprof --cpu -o OUT hostile-duration-max-truncated" "pprof --nativemem -o OUT hostile-malloc-2p62-inplace" \
	"nativemem --leaks hostile-malloc-times-max" "collapsed --cpu hostile-negative-samples"; do
	read -ra words <<<"${run//OUT/$work/hostile.pb.gz}"
	stem=${words[${#words[@]} - 1]}
	unset 'words[${#words[@]}-1]'
	asprof "${words[@]}" "$hostile/$stem.jfr"
	if [[ "$status" == 0 ]]; then
		pass "$stem: asprof-jfr ${words[*]}: exit 0"
	else
		fail "$stem: asprof-jfr ${words[*]}: exit status $status: $(head -c 400 "$work/err")"
	fi
done
asprof summary "$hostile/hostile-multi-start-min-2.jfr"
if grep -qE '^ *duration: +9223372036\.85[45] s' "$work/out"; then
	pass "a chunk starting at INT64_MIN: the summary's duration pinned at INT64_MAX ns"
else
	fail "a chunk starting at INT64_MIN: summary $(grep duration "$work/out")"
fi
for stem in hostile-one-malloc-max hostile-32k-mallocs-2p48; do
	# One malloc of INT64_MAX bytes, or 32768 of 2^48 on one stack: the stack's
	# sum is pinned, so it stays in the output (a wrapped sum turned negative
	# and the stack vanished).
	asprof collapsed --nativemem --total "$hostile/$stem.jfr"
	if [[ "$status" == 0 ]] && [[ "$(awk '{print $NF}' "$work/out")" == 9223372036854775807 ]]; then
		pass "$stem: the stack's bytes pinned at INT64_MAX"
	else
		fail "$stem: exit status $status, collapsed: $(head -c 300 "$work/out")"
	fi
done
asprof nativemem "$hostile/hostile-malloc-2p62.jfr" "$hostile/hostile-malloc-2p62.jfr"
if [[ "$status" == 0 ]] && grep -q '^Allocations: 2626 events, 9223372036854775807 bytes' "$work/out"; then
	pass "2^62-byte mallocs: the total pinned at INT64_MAX"
else
	fail "2^62-byte mallocs: exit status $status, $(head -1 "$work/out")"
fi

echo
echo "jfr-collapsed-tests: $passed passed, $failed failed, $divergent documented divergences run but not compared"
[[ "$failed" == 0 ]]
