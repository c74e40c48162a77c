#!/bin/bash
# The stage of bench_cold (cold logins, each in a fresh process): the
# DingTalk mock twice, over HTTP and over HTTPS with a throwaway CA, and
# dingtalk-callbackd on loopback (tests/harness.sh, as the PAM tests) with
# a TCP control listener as well (TLS with the test CA's certificate, a
# host key made by dingtalk-ctl), a map binding alice, alice from
# nss_wrapper, and seven pam_wrapper services:
#   permit        pam_permit.so alone (the baseline)
#   dingtalk      the module against the HTTP mock (wait = poll)
#   dingtalk_tls  the module against the HTTPS mock (ca_file)
#   dingtalk_fleet  the module as a fleet host: the same helper as a
#                 replica of one (helper = https://..., helper_ca_file,
#                 helper_key_file), the HTTP mock as DingTalk
#   dingtalk_dir  the module against the HTTPS mock, the account from the
#                 directory (map = directory:email: alice@example.com is
#                 alice), with the app token cached in $DT_WORK/dir-token
#   poll_1s, poll_3s  the bench-only pollers (bench/poll_wait.c)
# The wrappers are preloaded into the PAM client (pam_once) only.
# Runs bench_cold with the arguments given; its results on stdout, the
# module's log in $DT_WORK/module.log (shown when it fails; removed).
# Usage: cold_stage.sh BUILDDIR [--callgrind-dir DIR] [bench_cold arguments]
#   --callgrind-dir DIR  keep callgrind's files there (default: a
#                        temporary directory, removed); valgrind missing:
#                        the callgrind figures are skipped, said on stderr
set -u
# Absolute: the pam.d lines below name the modules by this path, and
# with a relative one (".") PAM failed to load them (PAM result 28, the
# module unknown).
builddir=$(cd "$1" && pwd) || exit 1
shift
DT_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
DT_CALLBACKD="$builddir/src/callbackd/dingtalk-callbackd"
ctl="$builddir/src/ctl/dingtalk-ctl"
module="$builddir/src/pam/.libs/pam_dingtalk.so"
poll1="$builddir/bench/.libs/pam_poll_1s.so"
poll3="$builddir/bench/.libs/pam_poll_3s.so"
for f in "$DT_CALLBACKD" "$ctl" "$module" "$poll1" "$poll3" "$builddir/bench/pam_once" \
	"$builddir/bench/bench_cold"; do
	[ -f "$f" ] || { echo "cold_stage: $f is not built" >&2; exit 1; }
done
for lib in libpam_wrapper.so libnss_wrapper.so; do
	ldconfig -p | grep -q "$lib" || { echo "cold_stage: $lib missing (libpam-wrapper, libnss-wrapper)" >&2; exit 77; }
done
# The module loads pam_dingtalk_net.so from its own directory, and so do
# the pollers (built from its sources): a copy goes beside them, owned and
# moded as the module's loader demands (src/pam/net_loader.c).
net="$builddir/src/pam/.libs/pam_dingtalk_net.so"
[ -f "$net" ] || { echo "cold_stage: $net is not built" >&2; exit 1; }
install -m 0755 "$net" "$(dirname "$poll1")/" || exit 1
permit=$(ls /usr/lib/*/security/pam_permit.so /lib/*/security/pam_permit.so 2>/dev/null | head -n 1)
[ -n "$permit" ] || { echo "cold_stage: pam_permit.so not found (libpam-modules)" >&2; exit 77; }
callgrind_dir=""
if [ "${1:-}" = "--callgrind-dir" ]; then
	callgrind_dir=$2
	shift 2
	mkdir -p "$callgrind_dir" || exit 1
fi
. "$DT_SRCDIR/tests/harness.sh"

DT_WORK=$(mktemp -d /tmp/dt-bench-cold.XXXXXX)
chmod 0755 "$DT_WORK"
trap 'dt_stop_all; rm -rf "$DT_WORK"' EXIT
export DT_SRCDIR DT_CALLBACKD DT_WORK

dt_start_mock || { echo "cold_stage: the DingTalk mock did not start" >&2; exit 1; }
dt_make_test_ca || { echo "cold_stage: the test CA could not be made" >&2; exit 1; }
dt_start_tls_mock || { echo "cold_stage: the HTTPS mock did not start" >&2; exit 1; }
# The fleet's replica: this host's key in the helper's host_keys (the
# host name is what the module registers under: gethostname), its secret
# in the module's key file, both 0600 as each side demands.
host_keys="$DT_WORK/host-keys"
host_key="$DT_WORK/fleet.hostkey"
(umask 077 && "$ctl" host-key new --keys "$host_keys" "$(hostname)" >"$host_key" \
	2>"$DT_WORK/ctl.log") || {
	echo "cold_stage: dingtalk-ctl host-key new failed:" >&2
	cat "$DT_WORK/ctl.log" >&2
	exit 1
}
control_port=$(dt_free_port)
dt_start_helper "control_listen = 127.0.0.1:$control_port" \
	"control_tls_cert = $DT_WORK/ca/server.pem" "control_tls_key = $DT_WORK/ca/server.key" \
	"host_keys = $host_keys" || { echo "cold_stage: the helper did not start" >&2; cat "$DT_WORK/callbackd.log" >&2; exit 1; }
dt_write_map
services=$(dt_services_dir)
conf=$(dt_module_conf bench 'timeout = 30' 'wait = poll' 'qr = utf8')
tls_conf=$(dt_module_conf bench_tls "login_base = $DT_TLS_URL" "api_base = $DT_TLS_URL" \
	"ca_file = $DT_TEST_CA" 'timeout = 30' 'wait = poll' 'qr = utf8')
echo "auth required $permit" >"$services/permit"
echo "auth required $module conf=$conf" >"$services/dingtalk"
fleet_conf=$(dt_module_conf bench_fleet "helper = https://127.0.0.1:$control_port" \
	"helper_ca_file = $DT_TEST_CA" "helper_key_file = $host_key" 'timeout = 30' \
	'wait = poll' 'qr = utf8')
echo "auth required $module conf=$tls_conf" >"$services/dingtalk_tls"
echo "auth required $module conf=$fleet_conf" >"$services/dingtalk_fleet"
# The directory look-ups (oapi) and the app token (api, token_api = v1)
# go to the HTTPS mock as well; token_cache's directory is made by the
# module (0700, ours), as /run/pam_dingtalk is on a host.
dir_conf=$(dt_module_conf bench_dir "login_base = $DT_TLS_URL" "api_base = $DT_TLS_URL" \
	"oapi_base = $DT_TLS_URL" "ca_file = $DT_TEST_CA" 'directory = yes' \
	'map = directory:email' 'email_domain = example.com' \
	"token_cache = $DT_WORK/dir-token/app-token" 'timeout = 30' 'wait = poll' 'qr = utf8')
echo "auth required $module conf=$dir_conf" >"$services/dingtalk_dir"
echo "auth required $poll1 conf=$conf" >"$services/poll_1s"
echo "auth required $poll3 conf=$conf" >"$services/poll_3s"
cat >"$DT_WORK/passwd" <<PW
root:x:0:0:root:/root:/bin/bash
alice:x:1001:1001:Alice:/home/alice:/bin/bash
PW
cat >"$DT_WORK/group" <<GR
root:x:0:
alice:x:1001:
GR

valgrind_args=()
if command -v valgrind >/dev/null 2>&1; then
	if [ -z "$callgrind_dir" ]; then
		callgrind_dir="$DT_WORK/callgrind"
		mkdir -p "$callgrind_dir"
	fi
	valgrind_args=(--valgrind "$(command -v valgrind)" --callgrind-dir "$callgrind_dir")
else
	echo "cold_stage: valgrind is not installed: the callgrind figures are skipped" >&2
fi

export PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$services" PAM_WRAPPER_DEBUGLEVEL=0
export NSS_WRAPPER_PASSWD="$DT_WORK/passwd" NSS_WRAPPER_GROUP="$DT_WORK/group"
"$builddir/bench/bench_cold" --pam-once "$builddir/bench/pam_once" \
	--preload "libpam_wrapper.so libnss_wrapper.so $builddir/tests/tools/.libs/wrapper_env.so" \
	--mock "$DT_MOCK_URL" --tls-mock "$DT_TLS_URL" --ca "$DT_TEST_CA" \
	"${valgrind_args[@]}" "$@" 2>"$DT_WORK/module.log"
rc=$?
if [ $rc -ne 0 ]; then
	echo "cold_stage: bench_cold failed ($rc); its and the module's log:" >&2
	tail -n 30 "$DT_WORK/module.log" >&2
	echo "cold_stage: helper log:" >&2
	tail -n 20 "$DT_WORK/callbackd.log" >&2
fi
exit $rc
