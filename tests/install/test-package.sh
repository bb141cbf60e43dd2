#!/usr/bin/env bash
# package-tests: build the Debian package as a release would (prefix /usr,
# no tests), check its metadata and layout, and run what it contains.
#   test-package.sh <source dir> <fake libasyncProfiler.so>
# With ASPROF_TEST_DPKG_INSTALL=1 (as root) it also dpkg -i's the package,
# runs /usr/bin/asprof-demo and removes it again.
set -uo pipefail
source=$1 fake=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check "configure a release build for /usr" cmake -S "$source" -B "$work/build" -DCMAKE_INSTALL_PREFIX=/usr \
	-DASPROF_BUILD_TESTS=OFF -DASPROF_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
check "build it" cmake --build "$work/build" -j "$(nproc)"
check "cpack -G DEB" sh -c "cd '$work/build' && cpack -G DEB"
deb=$(ls "$work"/build/*.deb 2> /dev/null | head -1)
check "a .deb was made" test -f "$deb"
[ -f "$deb" ] || { finish; exit 1; }
check "package name" sh -c "[ \"\$(dpkg-deb -f '$deb' Package)\" = asprof-agent ]"
check "it depends on Poco's libraries" sh -c "dpkg-deb -f '$deb' Depends | grep -q libpoco"
contents=$(dpkg-deb -c "$deb")
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2> /dev/null || echo x86_64-linux-gnu)
for path in ./usr/bin/asprof-demo ./etc/asprof-agent/agent.ini "./usr/lib/$multiarch/libasprof-agent.so.0" \
	"./usr/lib/$multiarch/asprof-agent/plugins/libasprof-reporter-local.so" ./usr/include/asprof/agent.h \
	"./usr/lib/$multiarch/cmake/asprof-agent/asprof-agentConfig.cmake" ./usr/share/doc/asprof-agent/README.md; do
	check "contains $path" grep -q -- " $path" <<< "$contents"
done

root=$work/root
check "extract it" dpkg-deb -x "$deb" "$root"
check "its demo prints the version" sh -c "'$root/usr/bin/asprof-demo' --version | grep -q 'asprof-demo '"
write_demo_ini "$work/agent.ini" "$fake" "reporter = local" "[reporter.local]" "type = local" "directory = $work/profiles"
check "its demo profiles with its own plugins" sh -c "cd '$work' && '$root/usr/bin/asprof-demo' --asprof-config='$work/agent.ini' --duration=1"
check "... writing profiles" sh -c "ls '$work'/profiles/*.jfr"

if [ "${ASPROF_TEST_DPKG_INSTALL:-0}" = 1 ] && [ "$(id -u)" = 0 ]; then
	check "dpkg -i" dpkg -i "$deb"
	check "the installed demo runs" sh -c "/usr/bin/asprof-demo --version"
	check "dpkg -P (remove and purge)" dpkg -P asprof-agent
fi
finish
