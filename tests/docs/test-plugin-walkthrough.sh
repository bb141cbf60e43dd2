#!/usr/bin/env bash
#
# docs-tests: keeps docs/plugins.md true. Extracts the files of its walk-through
# (each code block preceded by <!-- file: NAME -->), builds them as a plugin the
# way the page says to build without CMake (against this build tree's SDK instead
# of an installed one), checks the plugin note is in the library, and runs the demo
# with the plugin selected as the page shows: the file must get one line per profile.
#
#   test-plugin-walkthrough.sh <source dir> <build dir> <fake libasyncProfiler.so>
set -euo pipefail
source_dir=$1
build_dir=$2
fake=$3
page=$source_dir/docs/plugins.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Every "<!-- file: X -->" marker names the fenced block after it.
awk -v out="$work" '
	/^<!-- file: .* -->$/ { name = $3; next }
	name != "" && /^```/ && !inside { inside = 1; next }
	inside && /^```/ { inside = 0; name = ""; next }
	inside { print > (out "/" name) }
' "$page"
for file in SummaryReporter.h SummaryReporter.cpp Plugin.cpp; do
	[ -s "$work/$file" ] || fail "$page has no walk-through block for $file (<!-- file: $file -->)"
done

plugin=$work/libasprof-reporter-summary.so
# The page's command line, with the build tree's SDK in place of pkg-config's.
if ! g++ -std=c++17 -O2 -fPIC -shared -fvisibility=hidden -fvisibility-inlines-hidden \
	-I"$source_dir/sdk/include" -I"$build_dir/include" \
	"$work/SummaryReporter.cpp" "$work/Plugin.cpp" -o "$plugin" \
	-Wl,--version-script="$source_dir/cmake/plugin.map" -Wl,-z,defs -Wl,-z,now \
	-L"$build_dir/lib" -Wl,-rpath,"$build_dir/lib" -lasprof-sdk -lPocoUtil -lPocoFoundation > "$work/build.log" 2>&1; then
	cat "$work/build.log" >&2
	fail "the walk-through of $page does not build"
fi
echo "ok: the walk-through of docs/plugins.md builds"
# Not grep -q: it stops reading early, and readelf's SIGPIPE fails the pipeline under pipefail.
readelf -S "$plugin" | grep '\.asprof\.plugin' > /dev/null || fail "the plugin has no .asprof.plugin note section"
echo "ok: the plugin carries its note"

out=$work/profiles.log
cat > "$work/agent.ini" <<INI
[agent]
library = $fake
reportingInterval = 200ms
metadata = onprem
reporter = summary

[reporter.summary]
type = summary
path = $out
library = $plugin
INI
status=0
ASPROF_CONFIG= "$build_dir/bin/asprof-demo" --asprof-config="$work/agent.ini" --duration=2 > "$work/demo.log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
	cat "$work/demo.log" >&2
	fail "the demo with the walk-through's reporter exited $status"
fi
[ -s "$out" ] || { cat "$work/demo.log" >&2; fail "the walk-through's reporter wrote nothing to $out"; }
grep -Eq '^[0-9]+ [0-9T:-]+Z [0-9]+ bytes onprem ' "$out" || { cat "$out" >&2; fail "unexpected lines in $out"; }
echo "ok: the demo delivered $(wc -l < "$out") profiles through it"
