# Sourced by the shell tests of the test tools (test_check_layers.sh,
# test_cmocka_tap.sh): one TAP line per comparison.

n=0
# expect DESCRIPTION EXPECTED ACTUAL
expect() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		printf '#   expected %s\n#   got      %s\n' "$2" "$3"
	fi
}
