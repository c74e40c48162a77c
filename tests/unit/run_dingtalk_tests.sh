#!/bin/bash
# Runs test_dingtalk against the DingTalk mock: one over plain HTTP on
# loopback, one over TLS with a certificate from a test CA made here (the
# openssl CLI), which the client must refuse unless ca_file names that CA.
set -u
. "$DT_SRCDIR/tests/harness.sh"

DT_WORK=$(mktemp -d /tmp/dt-client.XXXXXX)
trap 'dt_stop_all; rm -rf "$DT_WORK"' EXIT
bail() { echo "Bail out! $*"; exit 1; }

ca="$DT_WORK/ca"
mkdir -p "$ca"
{
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pam_dingtalk test CA" \
		-keyout "$ca/ca.key" -out "$ca/ca.pem" &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
			-keyout "$ca/server.key" -out "$ca/server.csr" &&
		printf 'subjectAltName = IP:127.0.0.1, DNS:localhost\n' >"$ca/ext" &&
		openssl x509 -req -in "$ca/server.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" \
			-CAcreateserial -days 2 -extfile "$ca/ext" -out "$ca/server.pem"
} >"$ca/openssl.log" 2>&1 || bail "cannot make the test CA: $(cat "$ca/openssl.log")"

dt_start_mock || bail "the DingTalk mock did not start"
mkdir -p "$DT_WORK/tls"
DT_WORK_MAIN=$DT_WORK
DT_WORK="$DT_WORK/tls"
dt_start_mock --tls-cert "$ca/server.pem" --tls-key "$ca/server.key" ||
	bail "the TLS mock did not start: $(cat "$DT_WORK/mock.out")"
DT_TLS_URL="https://127.0.0.1:$(cat "$DT_WORK/mock.port")"
DT_WORK=$DT_WORK_MAIN
DT_MOCK_URL="http://127.0.0.1:$(cat "$DT_WORK/mock.port")"

export DT_WORK DT_MOCK_URL DT_TLS_URL DT_TEST_CA="$ca/ca.pem"
${DT_TEST_WRAPPER:-} "$DT_BUILDDIR/tests/unit/test_dingtalk"
