#!/bin/bash
# Runs test_dingtalk against the DingTalk mock: one over plain HTTP on
# loopback, one over TLS with a certificate from a test CA made here (the
# openssl CLI), which the client must refuse unless ca_file names that CA.
set -u
. "$DT_SRCDIR/tests/harness.sh"

DT_WORK=$(mktemp -d /tmp/dt-client.XXXXXX)
trap 'dt_stop_all; rm -rf "$DT_WORK"' EXIT
bail() { echo "Bail out! $*"; exit 1; }

dt_make_test_ca || bail "cannot make the test CA"
dt_start_mock || bail "the DingTalk mock did not start"
dt_start_tls_mock || bail "the TLS mock did not start: $(cat "$DT_WORK/tls/mock.out")"
export DT_WORK
# Through the cmocka TAP filter: a skipped case is a skip.
sh "$DT_SRCDIR/tests/tools/cmocka_tap.sh" ${DT_TEST_WRAPPER:-} "$DT_BUILDDIR/tests/unit/test_dingtalk"
