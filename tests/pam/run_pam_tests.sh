#!/bin/bash
# Runs the PAM flow tests: a DingTalk mock and dingtalk-callbackd on
# loopback, fake users through nss_wrapper, service files through
# pam_wrapper, and test_pam_flow (TAP on stdout).
set -u
. "$DT_SRCDIR/tests/harness.sh"

DT_WORK=$(mktemp -d /tmp/dt-pam.XXXXXX)
chmod 0755 "$DT_WORK"
trap 'dt_stop_all; rm -rf "$DT_WORK"' EXIT

bail() { echo "Bail out! $*"; exit 1; }

dt_start_mock || bail "the DingTalk mock did not start"
dt_start_helper || bail "dingtalk-callbackd did not start: $(cat "$DT_WORK/callbackd.log")"
dt_write_map

dt_services_dir >/dev/null
service() { # service NAME CONF-PATH
	echo "auth required $DT_PAM_MODULE conf=$2" >"$DT_WORK/services/$1"
}
service dingtalk "$(dt_module_conf ok 'timeout = 30')"
service dingtalk_short "$(dt_module_conf short 'timeout = 10')"
service dingtalk_nohelper "$(dt_module_conf nohelper "helper = unix:$DT_WORK/absent.sock")"
unsafe=$(dt_module_conf unsafe)
chmod 0644 "$unsafe"
service dingtalk_unsafe "$unsafe"
service dingtalk_unknownkey "$(dt_module_conf unknownkey 'clientid = typo')"
service dingtalk_apidown "$(dt_module_conf apidown "api_base = http://127.0.0.1:$(dt_free_port)" 'timeout = 30')"
echo "auth required $DT_PAM_MODULE conf=$DT_WORK/ok.conf no_such_argument" \
	>"$DT_WORK/services/dingtalk_badarg"

cat >"$DT_WORK/passwd" <<PW
root:x:0:0:root:/root:/bin/bash
alice:x:1001:1001:Alice:/home/alice:/bin/bash
bob:x:1002:1002:Bob:/home/bob:/bin/bash
alice-admin:x:1003:1003:Alice (admin):/home/alice:/bin/bash
PW
cat >"$DT_WORK/group" <<GR
root:x:0:
alice:x:1001:
bob:x:1002:
GR

export DT_WORK
export DT_PHONE="$DT_SRCDIR/tests/mock/phone.py"
export DT_MOCK_STATS="$DT_MOCK_URL/_mock/stats"
export PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$DT_WORK/services" PAM_WRAPPER_DEBUGLEVEL=2
export NSS_WRAPPER_PASSWD="$DT_WORK/passwd" NSS_WRAPPER_GROUP="$DT_WORK/group"
export LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so${LD_PRELOAD:+ $LD_PRELOAD}"
# run_pam_soak.sh runs another program (and arguments) on the same stage.
# shellcheck disable=SC2086
${DT_TEST_WRAPPER:-} "$DT_BUILDDIR/tests/pam/${DT_PAM_PROGRAM:-test_pam_flow}" ${DT_PAM_ARGS:-} \
	2>"$DT_WORK/test.err"
rc=$?
if [ $rc -ne 0 ]; then
	echo "# --- test stderr ---"; sed 's/^/# /' "$DT_WORK/test.err"
	echo "# --- callbackd log ---"; tail -n 40 "$DT_WORK/callbackd.log" | sed 's/^/# /'
	for f in "$DT_WORK"/case-*.log "$DT_WORK"/phone-*.log; do [ -e "$f" ] && { echo "# --- $f ---"; sed 's/^/# /' "$f"; }; done
fi
exit $rc
