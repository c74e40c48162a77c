#!/bin/bash
# The stage of bench_login: the DingTalk mock and dingtalk-callbackd on
# loopback (tests/harness.sh, the same as the PAM tests), a map binding
# alice, one pam_wrapper service with the module (wait = poll: the simulated
# phone answers, nobody presses Enter), alice from nss_wrapper. Runs
# bench_login with the arguments given; its results on stdout, the
# module's log in $DT_WORK/module.log (removed afterwards).
# Usage: login_stage.sh BUILDDIR [bench_login arguments]
set -u
builddir=$1
shift
DT_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
DT_CALLBACKD="$builddir/src/callbackd/dingtalk-callbackd"
module="$builddir/src/pam/.libs/pam_dingtalk.so"
for f in "$DT_CALLBACKD" "$module" "$builddir/bench/bench_login"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "login_stage: $f is not built" >&2; exit 1; }
done
for lib in libpam_wrapper.so libnss_wrapper.so; do
	ldconfig -p | grep -q "$lib" || { echo "login_stage: $lib missing (libpam-wrapper, libnss-wrapper)" >&2; exit 77; }
done
. "$DT_SRCDIR/tests/harness.sh"

DT_WORK=$(mktemp -d /tmp/dt-bench-login.XXXXXX)
chmod 0755 "$DT_WORK"
trap 'dt_stop_all; rm -rf "$DT_WORK"' EXIT
export DT_SRCDIR DT_CALLBACKD DT_WORK

dt_start_mock || { echo "login_stage: the DingTalk mock did not start" >&2; exit 1; }
dt_start_helper || { echo "login_stage: the helper did not start" >&2; cat "$DT_WORK/callbackd.log" >&2; exit 1; }
dt_write_map
services=$(dt_services_dir)
echo "auth required $module conf=$(dt_module_conf bench 'timeout = 30' 'wait = poll' 'qr = utf8')" \
	>"$services/dingtalk"
cat >"$DT_WORK/passwd" <<PW
root:x:0:0:root:/root:/bin/bash
alice:x:1001:1001:Alice:/home/alice:/bin/bash
PW
cat >"$DT_WORK/group" <<GR
root:x:0:
alice:x:1001:
GR

export PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$services" PAM_WRAPPER_DEBUGLEVEL=0
export NSS_WRAPPER_PASSWD="$DT_WORK/passwd" NSS_WRAPPER_GROUP="$DT_WORK/group"
LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so $builddir/tests/tools/.libs/wrapper_env.so" \
	"$builddir/bench/bench_login" --helper-pid "$DT_HELPER_PID" "$@" 2>"$DT_WORK/module.log"
rc=$?
if [ $rc -ne 0 ]; then
	echo "login_stage: bench_login failed ($rc); module log:" >&2
	tail -n 30 "$DT_WORK/module.log" >&2
	echo "login_stage: helper log:" >&2
	tail -n 20 "$DT_WORK/callbackd.log" >&2
fi
exit $rc
