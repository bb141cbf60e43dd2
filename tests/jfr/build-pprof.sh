#!/usr/bin/env bash
#
# tests/jfr/build-pprof.sh <output binary>
#
# Builds Google's pprof from Debian's packaged Go sources (golang-go,
# golang-github-google-pprof-dev; scripts/lib.sh installs both), offline and
# non-interactively, into <output binary>. Does nothing when that binary already
# exists (it is cached in the build tree). Exits 0 when the binary is there,
# 3 when it cannot be built here (no go, no pprof sources: the caller skips),
# 1 when the build itself failed or took longer than ASPROF_PPROF_BUILD_TIMEOUT
# seconds (default 600).
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 <output binary>" >&2
	exit 2
fi
output="$1"
if [[ -x "$output" ]]; then
	exit 0
fi

gopath=/usr/share/gocode
if ! command -v go >/dev/null 2>&1; then
	echo "build-pprof: go not installed (apt-get install golang-go golang-github-google-pprof-dev)" >&2
	exit 3
fi
if [[ ! -d "$gopath/src/github.com/google/pprof" ]]; then
	echo "build-pprof: $gopath/src/github.com/google/pprof missing (apt-get install golang-github-google-pprof-dev)" >&2
	exit 3
fi

directory="$(dirname "$output")"
mkdir -p "$directory"
# Everything Go writes stays in the build tree: no module downloads (GOPATH mode,
# GOPROXY=off), its build cache next to the binary, nothing in $HOME.
export GO111MODULE=off GOPATH="$gopath" GOPROXY=off GOFLAGS='' GOTOOLCHAIN=local
export GOCACHE="$directory/go-cache" GOTMPDIR="$directory"
echo "build-pprof: building $output with $(go version)" >&2
started=$SECONDS
if ! timeout "${ASPROF_PPROF_BUILD_TIMEOUT:-600}" nice go build -o "$output.tmp" github.com/google/pprof; then
	rm -f "$output.tmp"
	echo "build-pprof: go build github.com/google/pprof failed (or timed out)" >&2
	exit 1
fi
mv "$output.tmp" "$output"
rm -rf "$GOCACHE"
echo "build-pprof: built in $((SECONDS - started)) s" >&2
