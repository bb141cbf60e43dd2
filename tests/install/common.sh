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

# write_demo_ini <file> <fake libasyncProfiler.so> <reporter section...>
write_demo_ini() {
	local file=$1 library=$2
	shift 2
	{
		printf '[agent]\nlibrary = %s\nreportingInterval = 200ms\nmetadata = onprem\n' "$library"
		printf '%s\n' "$@"
	} > "$file"
}

lines_at_least() { [ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ]; }
