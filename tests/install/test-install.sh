#!/usr/bin/env bash
# install-tests: cmake --install into a temporary prefix, then use only the
# installed files: build examples/custom-reporter out of tree against the
# installed SDK, drop it into the plugin dir, run the installed demo with it;
# build a project of two plugins the same way (third-party-plugins/: a reporter
# whose report() throws from its own source file, a metadata provider) and run
# the demo with each; compile a C program against the installed C API with
# pkg-config.
#   test-install.sh <build dir> <source dir> <fake libasyncProfiler.so> [extra C flags]
set -uo pipefail
build=$1 source=$2 fake=$3 cflags=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

check "cmake --install into $prefix" cmake --install "$build" --prefix "$prefix"
config=$(find "$prefix" -name asprof-agentConfig.cmake | head -1)
libdir=$(dirname "$(dirname "$(dirname "$config")")")
for file in bin/asprof-demo bin/asprof-agent-run include/asprof/agent.h include/asprof/sdk/Reporter.h include/asprof/sdk/Version.h \
	include/asprof/sdk/Abi.h \
	include/asprof/agent/Agent.h etc/asprof-agent/agent.ini etc/asprof-agent/agent.xml share/doc/asprof-agent/README.md \
	share/doc/asprof-agent/CHANGELOG.md; do
	check "installed $file" test -f "$prefix/$file"
done
for file in libasprof-agent.so libasprof-sdk.so libasprof-agent-preload.so asprof-agent/plugins/libasprof-reporter-local.so \
	asprof-agent/plugins/libasprof-metadata-onprem.so pkgconfig/asprof-agent.pc pkgconfig/asprof-sdk.pc; do
	check "installed lib/$file" test -e "$libdir/$file"
done
check "libasprof-agent has a SONAME" sh -c "readelf -d '$libdir/libasprof-agent.so' | grep -q 'SONAME.*libasprof-agent.so.0'"
# The SDK's soname is its plugin ABI version (sdk/CMakeLists.txt).
abi=$(sed -n 's/^#define ASPROF_SDK_ABI_VERSION \([0-9]*\).*/\1/p' "$prefix/include/asprof/sdk/Abi.h" 2> /dev/null)
check "libasprof-sdk's SONAME is libasprof-sdk.so.${abi:-?}, its ABI version" \
	sh -c "[ -n '$abi' ] && readelf -d '$libdir/libasprof-sdk.so' | grep -q 'SONAME.*\[libasprof-sdk.so.$abi\]'"

example=$prefix/share/doc/asprof-agent/examples/custom-reporter
check "configure the custom reporter against the installed SDK" cmake -S "$example" -B "$work/example" -DCMAKE_PREFIX_PATH="$prefix"
check "build the custom reporter" cmake --build "$work/example"
check "the plugin exports only its manifest" exports_only_manifest "$work/example/libasprof-reporter-custom.so"
cp "$work/example/libasprof-reporter-custom.so" "$libdir/asprof-agent/plugins/" 2> /dev/null
write_demo_ini "$work/agent.ini" "$fake" "reporter = custom" "[reporter.custom]" "type = custom" "file = $work/profiles.log"
check "the installed demo runs with the custom reporter" sh -c "cd '$work' && '$prefix/bin/asprof-demo' --asprof-config='$work/agent.ini' --duration=1"
check "the custom reporter received profiles" lines_at_least "$work/profiles.log" 2
check "... from the installed agent" grep -q "seq=2 pid=" "$work/profiles.log"

# Two plugins in one project (tests/install/third-party-plugins), each with
# find_package + asprof_add_plugin and a layout of its own.
check "configure two plugins in one project against the installed SDK" cmake -S "$here/third-party-plugins" \
	-B "$work/third-party" -DCMAKE_PREFIX_PATH="$prefix"
thrower=$work/third-party/libasprof-reporter-throwing.so
fixed=$work/third-party/libasprof-metadata-fixed.so
check "build them (code that throws a std exception from a file of its own links)" \
	sh -c "cmake --build '$work/third-party' > '$work/third-party-build.log' 2>&1"
check "... into libasprof-reporter-throwing.so" test -f "$thrower"
check "... and libasprof-metadata-fixed.so" test -f "$fixed"
if [ ! -f "$thrower" ] || [ ! -f "$fixed" ]; then
	tail -n 15 "$work/third-party-build.log" | sed 's/^/  | /'
fi
check "... each exporting only its manifest" exports_only_manifest "$thrower"
check "... (the metadata provider too)" exports_only_manifest "$fixed"

# The metadata provider, with the custom reporter: its kind reaches the profiles.
demo_metadata=fixed write_demo_ini "$work/fixed.ini" "$fake" "reporter = custom" "[reporter.custom]" "type = custom" \
	"file = $work/fixed-profiles.log" "[metadata.fixed]" "type = fixed" "library = $fixed" "kind = third-party-host"
check "the installed demo runs with the third-party metadata provider" \
	sh -c "cd '$work' && '$prefix/bin/asprof-demo' --asprof-config='$work/fixed.ini' --duration=1"
check "... which names the host of every profile" lines_at_least "$work/fixed-profiles.log" 2
check "... as the kind its section gives" every_line_has "$work/fixed-profiles.log" " host=third-party-host "

# A third-party report() that throws must be a counted failure, never the end
# of the host: the demo exits 75 (EX_TEMPFAIL, not every profile delivered),
# not 134 (SIGABRT from std::terminate).
write_demo_ini "$work/thrower.ini" "$fake" "reporter = thrower" "[reporter.thrower]" "type = throwing" "library = $thrower"
(cd "$work" && "$prefix/bin/asprof-demo" --asprof-config="$work/thrower.ini" --duration=1 > "$work/thrower.out" 2> "$work/thrower.err")
demo_exit=$?
check "the demo outlives a reporter that throws (exit 75, got $demo_exit)" test "$demo_exit" -eq 75
check "... its log names the plugin and the exception's text" grep -qF \
	"[reporter.thrower] ($thrower) threw from report(): throwing reporter: refused profile on purpose" "$work/thrower.err"
check "... and it counts every profile as failed, none delivered or dropped" grep -qE \
	"^asprof-demo: reporter thrower: 0 profiles delivered, ([2-9]|[1-9][0-9]+) failed, 0 dropped, 0 left in the spool$" "$work/thrower.out"
[ "$demo_exit" -eq 75 ] || sed 's/^/  | /' "$work/thrower.out" "$work/thrower.err"

export PKG_CONFIG_PATH=$libdir/pkgconfig
check "pkg-config knows asprof-agent" pkg-config --exists asprof-agent
check "a C program builds against the installed C API" sh -c "cc -Wall -Werror $cflags '$source/tests/capi/CApiTest.c' -o '$work/capi' \
	\$(pkg-config --cflags --libs asprof-agent) -Wl,-rpath,'$libdir'"
write_demo_ini "$work/capi.ini" "$fake" "reporter = local" "[reporter.local]" "type = local" "directory = $work/capi-profiles"
check "... and runs" "$work/capi" "$work/capi.ini"
finish
