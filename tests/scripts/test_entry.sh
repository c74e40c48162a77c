#!/bin/bash
# The test entry point's own test (TAP): scripts/test's runner (dt_step,
# dt_summary, dt_check in scripts/lib.sh) on steps that are broken the
# ways real ones break: make targets that print PASS lines and then fail,
# that fail to build before any test runs, that run nothing. Each must
# count as a failure and make the run exit non-zero; a clean step must be
# counted case by case. DT_RUNNER_LIB: another runner to judge (the file
# is sourced instead of scripts/lib.sh).
set -u
lib=${DT_RUNNER_LIB:-${DT_SRCDIR:?}/scripts/lib.sh}
work=$(mktemp -d "${TMPDIR:-/tmp}/dt-entry.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
n=0
failed=0

ok() { # ok STATUS DESCRIPTION [DIAGNOSTIC-FILE]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && sed 's/^/#   /' "$3"
		failed=1
	fi
}

# The steps, as make targets like the real ones. Recipes are written with
# printf: a literal tab starts each.
{
	printf 'clean-suite:\n'
	printf '\t@echo "PASS: unit/a 1 - one"; echo "PASS: unit/a 2 - two"\n'
	printf '\t@echo "PASS: unit/b 1 - three"; echo "# PASS:  3"\n'
	printf 'two-per-line:\n'
	printf '\t@echo "PASS: x 1 - a PASS: y 1 - b"\n'
	printf 'pass-then-fail:\n'
	printf '\t@echo "PASS: unit/a 1 - one"; echo "PASS: unit/a 2 - two"\n'
	printf '\t@echo "fuzz_x.c:1:1: error: broken" >&2; exit 1\n'
	printf 'builds-nothing: broken.o\n\t@echo "PASS: never"\n'
	printf 'broken.o: broken.c\n\t@$(CC) -c -o $@ broken.c\n'
	printf 'silent:\n\t@true\n'
	printf 'one-failure:\n'
	printf '\t@echo "PASS: unit/a 1 - one"; echo "FAIL: unit/a 2 - two"; exit 2\n'
} >"$work/Makefile"
echo 'this is not C' >"$work/broken.c"

# run TARGET...: a fresh run of the runner over the targets as steps, in a
# subshell (the runner keeps its totals in globals); the last line of its
# stdout and its exit status go to $work/last and $work/status.
run() {
	(
		. "$lib" || exit 99
		for t in "$@"; do
			dt_step "$t" make -s -C "$work" "$t"
		done
		dt_summary
	) >"$work/out" 2>"$work/err"
	echo $? >"$work/status"
	tail -n 1 "$work/out" >"$work/last"
	cat "$work/out" "$work/err" >"$work/all"
}

# expect DESCRIPTION "N passed, N failed" STATUS TARGET...: STATUS is
# "zero" or "nonzero".
expect() {
	local what=$1 line=$2 want=$3 rc
	shift 3
	run "$@"
	rc=$(cat "$work/status")
	if [ "$(cat "$work/last")" = "$line" ] &&
		{ { [ "$want" = zero ] && [ "$rc" -eq 0 ]; } ||
			{ [ "$want" = nonzero ] && [ "$rc" -ne 0 ]; }; }; then
		ok 0 "$what"
	else
		echo "wanted \"$line\", exit $want; got \"$(cat "$work/last")\", exit $rc" >>"$work/all"
		ok 1 "$what" "$work/all"
	fi
}

expect "a clean step counts each case, and the run exits 0" \
	"3 passed, 0 failed" zero clean-suite
expect "two results on one line (parallel drivers) count twice" \
	"2 passed, 0 failed" zero two-per-line
expect "PASS lines, then a non-zero exit (a -Werror in a check program): a failure" \
	"2 passed, 1 failed" nonzero pass-then-fail
expect "a step whose build fails before any test runs: a failure" \
	"0 passed, 1 failed" nonzero builds-nothing
expect "a step that prints nothing and exits 0 (ran nothing): a failure" \
	"0 passed, 1 failed" nonzero silent
expect "a FAIL line and its non-zero exit count once" \
	"1 passed, 1 failed" nonzero one-failure
expect "one broken step among clean ones fails the run; the rest are counted" \
	"5 passed, 1 failed" nonzero clean-suite silent two-per-line
grep -q 'silent: 0 passed, 1 failed' "$work/err"
ok $? "each step prints its own NAME: N passed, N failed line" "$work/all"

# dt_check: the line a step of one check prints, and its status.
(
	. "$lib" || exit 99
	dt_check "one check" true && dt_check "broken check" false
	echo "status $?"
) >"$work/check" 2>&1
grep -q '^PASS: one check$' "$work/check" && grep -q '^FAIL: broken check' "$work/check" &&
	grep -q '^status 1$' "$work/check"
ok $? "dt_check prints a PASS or a FAIL line with the name, and returns the status" "$work/check"

echo "1..$n"
exit $failed
