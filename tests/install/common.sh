# Shared by the install and package tests: checks and the closing line.
passed=0
failed=0

check() { # check "what" command...
	local what=$1
	shift
	if "$@" > /dev/null 2>&1; then
		echo "ok: $what"
		passed=$((passed + 1))
	else
		echo "FAILED: $what"
		failed=$((failed + 1))
	fi
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# [demo_metadata=<instances>] write_demo_ini <file> <fake libasyncProfiler.so> <reporter section...>
# (metadata = onprem unless demo_metadata says otherwise)
write_demo_ini() {
	local file=$1 library=$2
	shift 2
	{
		printf '[agent]\nlibrary = %s\nreportingInterval = 200ms\nmetadata = %s\n' "$library" "${demo_metadata:-onprem}"
		printf '%s\n' "$@"
	} > "$file"
}

lines_at_least() { [ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ]; }
# exports_only_manifest <plugin.so>: its dynamic symbols are Poco's manifest entry points (cmake/plugin.map)
exports_only_manifest() {
	local symbols
	symbols=$(nm -D --defined-only "$1" | awk '{ print $3 }') || return 1
	grep -q '^pocoBuildManifest' <<< "$symbols" && ! grep -vqE '^(pocoBuildManifest[A-Za-z0-9_]*|pocoInitializeLibrary|pocoUninitializeLibrary)$' <<< "$symbols"
}
every_line_has() { [ -s "$1" ] && ! grep -vF -- "$2" "$1" > /dev/null; } # every_line_has <file> <text>
