#!/bin/bash
# Many logins in one process (test_pam_soak) on the stage of
# run_pam_tests.sh. DT_SOAK_LOGINS: how many (default 26: every kind twice).
# DT_SOAK_VALGRIND=DIR: the driver (with the module in it) and the helper
# run under valgrind memcheck, their logs kept in DIR; any error or
# definite/indirect leak in either fails the run (TESTING.md).
set -u
vg_flags="--leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1
	--show-leak-kinds=definite,indirect --num-callers=30 --track-fds=no"
export DT_PAM_PROGRAM=test_pam_soak DT_PAM_ARGS="${DT_SOAK_LOGINS:-26}"
if [ -n "${DT_SOAK_VALGRIND:-}" ]; then
	mkdir -p "$DT_SOAK_VALGRIND"
	rm -f "$DT_SOAK_VALGRIND"/*.log
	# shellcheck disable=SC2086
	export DT_TEST_WRAPPER="valgrind $vg_flags --log-file=$DT_SOAK_VALGRIND/module.log"
	export DT_HELPER_WRAPPER="valgrind $vg_flags --log-file=$DT_SOAK_VALGRIND/helper.log"
	export DT_WAIT_TENTHS=300 # the helper starts slowly under valgrind
fi
bash "$DT_SRCDIR/tests/pam/run_pam_tests.sh"
rc=$?
if [ -n "${DT_SOAK_VALGRIND:-}" ]; then
	for who in module helper; do
		log="$DT_SOAK_VALGRIND/$who.log"
		grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|All heap blocks' \
			"$log" | sed "s/^==[0-9]*==/# valgrind $who:/"
		grep -q 'ERROR SUMMARY: 0 errors' "$log" || { echo "# valgrind $who: errors, see $log"; rc=1; }
	done
fi
exit $rc
