#!/bin/bash
# How the module waits over sshd and refuses callers nobody can answer
# for (test_pam_ssh_wait), on the stage of run_pam_tests.sh.
set -u
export DT_PAM_PROGRAM=test_pam_ssh_wait
exec bash "$DT_SRCDIR/tests/pam/run_pam_tests.sh"
