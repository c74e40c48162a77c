#!/bin/bash
# Runs the dingtalk-ctl tests: a DingTalk mock and dingtalk-callbackd on
# loopback, local users through nss_wrapper, and test_ctl.py (TAP).
set -u
. "$DT_SRCDIR/tests/harness.sh"

DT_WORK=$(mktemp -d /tmp/dt-ctl.XXXXXX)
chmod 0755 "$DT_WORK"
trap 'dt_stop_all; rm -rf "$DT_WORK"' EXIT

bail() { echo "Bail out! $*"; exit 1; }

dt_make_test_ca || bail "cannot make the test CA"
dt_start_mock || bail "the DingTalk mock did not start"
dt_start_helper || bail "dingtalk-callbackd did not start: $(cat "$DT_WORK/callbackd.log")"

cat >"$DT_WORK/passwd" <<PW
root:x:0:0:root:/root:/bin/bash
dtuser:x:2001:2001:Enrolled by the admin:$DT_WORK/home/dtuser:/bin/bash
dtself:x:2002:2002:Enrolls self:$DT_WORK/home/dtself:/bin/bash
bob:x:2003:2003:Bob:$DT_WORK/home/bob:/bin/bash
sshd:x:2100:65534:sshd -T needs its privilege separation user:/run/sshd:/usr/sbin/nologin
PW
cat >"$DT_WORK/group" <<GR
root:x:0:
dtuser:x:2001:
dtself:x:2002:
bob:x:2003:
GR
for u in dtuser:2001 dtself:2002 bob:2003; do
	mkdir -p "$DT_WORK/home/${u%%:*}"
	# Theirs only when root can give them away; without root the steps
	# that use them are skipped (test_ctl.py).
	[ "$(id -u)" -ne 0 ] || chown "${u#*:}:${u#*:}" "$DT_WORK/home/${u%%:*}"
	chmod 0700 "$DT_WORK/home/${u%%:*}"
done

export DT_WORK DT_MOCK_URL DT_CONTROL
export DT_CTL="$DT_BUILDDIR/src/ctl/dingtalk-ctl"
export DT_FAKE_FLEET="$DT_SRCDIR/tests/pam/fake_fleet.py"
export DT_PHONE="$DT_SRCDIR/tests/mock/phone.py"
export DT_NSS_PASSWD="$DT_WORK/passwd" DT_NSS_GROUP="$DT_WORK/group"
"${PYTHON3:-python3}" "$DT_SRCDIR/tests/ctl/test_ctl.py"
