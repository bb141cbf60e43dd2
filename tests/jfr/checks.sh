# tests/jfr/checks.sh: sourced by the jfr test scripts (test-collapsed.sh,
# test-pprof.sh, test-nativemem.sh): pass/fail count and print one check each.
passed=0
failed=0

pass()
{
	passed=$((passed + 1))
	echo "ok    $*"
}

fail()
{
	failed=$((failed + 1))
	echo "FAIL  $*"
}
