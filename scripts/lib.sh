# shellcheck shell=bash
#
# lib.sh: shell functions shared by scripts/demo, scripts/test and .ci/run.
# Source it; it defines functions and a few variables, and runs nothing else.
#
#   asprof_install_deps [package...]   install the build dependencies (+ extra packages)
#   asprof_find_library                print the path of an installed libasyncProfiler.so
#   asprof_download_library            download the pinned async-profiler release into the cache
#   asprof_require_library             find, else download, else explain; print the path
#   asprof_build <builddir> [cmake args...]
#   asprof_install_node_deps           install tests/node's npm packages (the S3 test harness); best effort
#
# Environment:
#   ASPROF_LIB        path of libasyncProfiler.so to use (must exist)
#   ASPROF_CACHE_DIR  where the downloaded release goes
#                     (default ~/.cache/asprof-agent/async-profiler-4.1; the library is lib/libasyncProfiler.so in it)

# Plugins and plugin directories writable by group or others are refused by the
# agent, so everything the scripts build must be created without those bits.
umask 022

ASPROF_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# openssl: the TLS tests make their certificate authority with the openssl command.
# abigail-tools: abidw and abidiff, for abi-tests (scripts/abi-check, the SDK's ABI).
# clang-format: format-tests (scripts/format --check, clang-format 14).
# golang-go, golang-github-google-pprof-dev: Google's pprof, built offline from these sources
# by jfr-pprof-tests (tests/jfr/build-pprof.sh) to read back what asprof-jfr pprof writes.
ASPROF_BUILD_PACKAGES=(build-essential cmake pkg-config libpoco-dev libcppunit-dev openssl abigail-tools
	clang-format golang-go golang-github-google-pprof-dev)

# The pinned official async-profiler release (checksums as pinned by Bazel's repositories.bzl).
ASPROF_AP_VERSION=4.1
ASPROF_AP_SHA256_X64=3b13a38a0063f6970d985a379ddaed91bcf37e239a1ea461d09eacf629f3dde1
ASPROF_AP_SHA256_ARM64=d0cb9c97c380672b625c06e5a3ed578e990f4674c6aae8b5249f584c4c9ac50e

asprof_log()
{
	echo "==> $*" >&2
}

asprof_error()
{
	echo "error: $*" >&2
}

asprof_cache_dir()
{
	local home="${HOME:-}"
	if [[ -z "$home" ]]; then
		home="$(getent passwd "$(id -u)" | cut -d: -f6)"
	fi
	echo "${ASPROF_CACHE_DIR:-$home/.cache/asprof-agent/async-profiler-$ASPROF_AP_VERSION}"
}

# Prints x64 or arm64 (async-profiler's release names), or fails.
asprof_release_arch()
{
	case "$(uname -m)" in
	x86_64 | amd64) echo x64 ;;
	aarch64 | arm64) echo arm64 ;;
	*)
		asprof_error "async-profiler publishes no Linux release for $(uname -m)"
		return 1
		;;
	esac
}

asprof_is_installed()
{
	dpkg -s "$1" 2>/dev/null | grep '^Status: install ok installed' > /dev/null
}

# Installs the build dependencies plus any packages given, when some are missing.
asprof_install_deps()
{
	local wanted=("${ASPROF_BUILD_PACKAGES[@]}" "$@")
	if ! command -v dpkg >/dev/null 2>&1; then
		asprof_log "not a Debian-based system: make sure these (or their equivalents) are installed: ${wanted[*]}"
		return 0
	fi
	local missing=() package
	for package in "${wanted[@]}"; do
		asprof_is_installed "$package" || missing+=("$package")
	done
	if [[ ${#missing[@]} -eq 0 ]]; then
		return 0
	fi
	local sudo=()
	if [[ "$(id -u)" -ne 0 ]]; then
		if ! command -v sudo >/dev/null 2>&1; then
			asprof_error "missing packages: ${missing[*]}; not root and sudo is not installed. As root, run:"
			echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
			return 1
		fi
		sudo=(sudo)
	fi
	asprof_log "installing ${missing[*]}"
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
		! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; then
		asprof_error "could not install ${missing[*]} with apt-get"
		return 1
	fi
}

# Prints the absolute path of libasyncProfiler.so: $ASPROF_LIB, the usual install
# locations, or the download cache. Fails (quietly, except for a bad ASPROF_LIB) if none.
asprof_find_library()
{
	if [[ -n "${ASPROF_LIB:-}" ]]; then
		if [[ ! -f "$ASPROF_LIB" ]]; then
			asprof_error "ASPROF_LIB=$ASPROF_LIB does not exist (or is not a file)"
			return 1
		fi
		# The agent refuses relative library paths, so hand it an absolute one.
		realpath "$ASPROF_LIB"
		return 0
	fi
	local candidate
	for candidate in \
		/opt/async-profiler/lib/libasyncProfiler.so \
		/usr/local/lib/async-profiler/libasyncProfiler.so \
		/usr/local/lib/libasyncProfiler.so \
		/usr/lib/async-profiler/libasyncProfiler.so \
		/usr/lib/libasyncProfiler.so \
		/usr/lib/x86_64-linux-gnu/libasyncProfiler.so \
		/usr/lib/aarch64-linux-gnu/libasyncProfiler.so \
		"$(asprof_cache_dir)/lib/libasyncProfiler.so"; do
		if [[ -f "$candidate" ]]; then
			echo "$candidate"
			return 0
		fi
	done
	return 1
}

# Downloads file $2 from URL $1 with curl or wget (installing curl if neither exists).
asprof_fetch()
{
	local url="$1" output="$2"
	if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
		asprof_install_deps curl ca-certificates >&2 || return 1
	fi
	if command -v curl >/dev/null 2>&1; then
		curl --fail --location --silent --show-error --connect-timeout 10 --max-time 300 \
			--retry 2 --retry-delay 2 --output "$output" "$url"
	else
		wget --quiet --connect-timeout=10 --read-timeout=60 --tries=2 --output-document="$output" "$url"
	fi
}

# Downloads the pinned async-profiler release, checks its SHA-256, extracts only
# lib/libasyncProfiler.so into the cache and prints its path.
asprof_download_library()
{
	local arch expected
	arch="$(asprof_release_arch)" || return 1
	case "$arch" in
	x64) expected="$ASPROF_AP_SHA256_X64" ;;
	arm64) expected="$ASPROF_AP_SHA256_ARM64" ;;
	esac
	local name="async-profiler-$ASPROF_AP_VERSION-linux-$arch"
	local url="https://github.com/async-profiler/async-profiler/releases/download/v$ASPROF_AP_VERSION/$name.tar.gz"
	local cache
	cache="$(asprof_cache_dir)"
	mkdir -p "$cache/lib" || return 1
	local work
	work="$(mktemp -d "$cache/download.XXXXXX")" || return 1
	asprof_log "downloading $url"
	if ! asprof_fetch "$url" "$work/$name.tar.gz"; then
		rm -rf "$work"
		asprof_error "download of $url failed"
		return 1
	fi
	local actual
	actual="$(sha256sum "$work/$name.tar.gz" | cut -d' ' -f1)"
	if [[ "$actual" != "$expected" ]]; then
		rm -rf "$work"
		asprof_error "CHECKSUM MISMATCH for $url"
		echo "  expected sha256 $expected" >&2
		echo "  got      sha256 $actual" >&2
		echo "  The download was deleted. Do not use this file; check the URL and your network (proxy?)." >&2
		return 1
	fi
	if ! tar -xzf "$work/$name.tar.gz" -C "$work" --strip-components=1 --wildcards '*/lib/libasyncProfiler.so' ||
		[[ ! -f "$work/lib/libasyncProfiler.so" ]]; then
		rm -rf "$work"
		asprof_error "$name.tar.gz has no lib/libasyncProfiler.so"
		return 1
	fi
	chmod 0755 "$work/lib/libasyncProfiler.so"
	mv -f "$work/lib/libasyncProfiler.so" "$cache/lib/libasyncProfiler.so"
	rm -rf "$work"
	asprof_log "async-profiler $ASPROF_AP_VERSION is in $cache"
	echo "$cache/lib/libasyncProfiler.so"
}

# Prints the path of libasyncProfiler.so, downloading the pinned release if none
# is installed; otherwise explains what to do and fails.
asprof_require_library()
{
	if [[ -n "${ASPROF_LIB:-}" ]]; then
		asprof_find_library
		return
	fi
	asprof_find_library && return 0
	asprof_log "libasyncProfiler.so not found; fetching the official async-profiler $ASPROF_AP_VERSION release"
	asprof_download_library && return 0
	local arch
	arch="$(asprof_release_arch 2>/dev/null)" || arch="<x64|arm64>"
	cat >&2 <<EOF

async-profiler's libasyncProfiler.so is needed and could not be found or downloaded.
Do one of these, then run the command again:
  1. Download https://github.com/async-profiler/async-profiler/releases/download/v$ASPROF_AP_VERSION/async-profiler-$ASPROF_AP_VERSION-linux-$arch.tar.gz
     and unpack it to /opt/async-profiler (so that /opt/async-profiler/lib/libasyncProfiler.so exists):
       mkdir -p /opt/async-profiler && tar -xzf async-profiler-$ASPROF_AP_VERSION-linux-$arch.tar.gz -C /opt/async-profiler --strip-components=1
  2. Or point to a copy you already have:
       export ASPROF_LIB=/path/to/libasyncProfiler.so
Searched: /opt/async-profiler/lib, /usr/local/lib/async-profiler, /usr/local/lib, /usr/lib/async-profiler,
/usr/lib, /usr/lib/<arch>-linux-gnu and the cache $(asprof_cache_dir)/lib.
EOF
	return 1
}

# Configures and builds the project into builddir (relative paths are relative
# to the repository root).
asprof_build()
{
	if [[ $# -lt 1 ]]; then
		asprof_error "usage: asprof_build <builddir> [cmake args...]"
		return 1
	fi
	local builddir="$1"
	shift
	[[ "$builddir" = /* ]] || builddir="$ASPROF_REPO_ROOT/$builddir"
	asprof_log "building into $builddir"
	cmake -S "$ASPROF_REPO_ROOT" -B "$builddir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASPROF_WERROR=ON "$@" &&
		cmake --build "$builddir" -j"$(nproc)"
}

asprof_warn_s3_skipped()
{
	asprof_log "WARNING: $*; the tests that need the S3 harness (tests/node) will be SKIPPED"
}

# Installs the npm packages of the S3 test harness (tests/node, pinned by its
# package-lock.json) when they are missing or older than the lockfile. Needs Node.js 18
# or later; installs Debian's nodejs and npm when node is missing (Debian 12 ships 18).
# Best effort: when anything fails it warns that the S3 tests will be skipped and
# returns 0, so the rest of the suite still runs.
asprof_install_node_deps()
{
	local dir="$ASPROF_REPO_ROOT/tests/node"
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		asprof_log "node or npm not found: installing Debian's nodejs and npm for the S3 test harness"
		if ! asprof_install_deps nodejs npm; then
			asprof_warn_s3_skipped "could not install nodejs and npm"
			return 0
		fi
	fi
	local major
	major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
	if [[ ! "$major" =~ ^[0-9]+$ ]] || ((major < 18)); then
		asprof_warn_s3_skipped "node $(node --version 2>/dev/null || echo '?') is older than 18"
		return 0
	fi
	# npm keeps a copy of the lockfile it installed from in node_modules.
	if [[ -f "$dir/node_modules/.package-lock.json" && "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" &&
		"$dir/node_modules/.package-lock.json" -nt "$dir/package.json" ]]; then
		return 0
	fi
	local install=(ci)
	[[ -f "$dir/package-lock.json" ]] || install=(install)
	asprof_log "installing the S3 test harness's npm packages into tests/node/node_modules (npm ${install[*]})"
	if ! npm "${install[@]}" --prefix "$dir" --no-audit --no-fund --ignore-scripts >&2; then
		asprof_warn_s3_skipped "npm ${install[*]} in tests/node failed (offline? a proxy? see npm's output above)"
		return 0
	fi
}
