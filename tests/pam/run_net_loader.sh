#!/bin/bash
# Which pam_dingtalk_net.so the module loads (src/pam/net_loader.c), and
# what a broken installation does. TAP.
#
# The module and its libcurl side are copied into a directory of their
# own; pamtester logs alice in through that copy (pam_wrapper, the DingTalk
# mock, the helper, the simulated phone approving). The library is loaded
# after the QR is shown, so each broken case gets as far as the phone's
# approval and then must end in a failure that names the file and the
# cure, never in a login. The good copy proves the copying itself works.
set -u
. "$DT_SRCDIR/tests/harness.sh"

echo "1..8"
if ! command -v pamtester >/dev/null || [ ! -e "$DT_WRAPPER_ENV" ]; then
	for i in 1 2 3 4 5 6 7 8; do echo "ok $i # SKIP needs pamtester and the test tools"; done
	exit 0
fi
# An ASan module cannot be loaded into the uninstrumented pamtester.
if grep -q __asan_init "$DT_PAM_MODULE" 2>/dev/null; then
	for i in 1 2 3 4 5 6 7 8; do echo "ok $i # SKIP the module is built with sanitizers"; done
	exit 0
fi

DT_WORK=$(mktemp -d /tmp/dt-netload.XXXXXX)
chmod 0755 "$DT_WORK"
trap 'dt_stop_all; [ -n "${DT_KEEP_WORK:-}" ] || rm -rf "$DT_WORK"' EXIT
bail() { echo "Bail out! $*"; exit 1; }

net_built="$(dirname "$DT_PAM_MODULE")/pam_dingtalk_net.so"
[ -e "$net_built" ] || bail "$net_built is not built"
dt_start_mock || bail "the DingTalk mock did not start"
dt_start_helper || bail "dingtalk-callbackd did not start: $(cat "$DT_WORK/callbackd.log")"
dt_write_map
dt_services_dir >/dev/null
conf=$(dt_module_conf netload 'timeout = 20' 'wait = poll')
safe_conf=$(dt_module_conf netload_safe 'timeout = 20' 'wait = poll' 'failmode = safe')
printf 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001:Alice:/nonexistent:/bin/bash\n' \
	>"$DT_WORK/passwd"
printf 'root:x:0:\nalice:x:1001:\n' >"$DT_WORK/group"

# stage NAME: a fresh directory NAME holding both libraries, 0755/0644.
stage() {
	local dir="$DT_WORK/$1"
	mkdir -m 0755 "$dir"
	install -m 0644 "$DT_PAM_MODULE" "$dir/pam_dingtalk.so"
	install -m 0644 "$net_built" "$dir/pam_dingtalk_net.so"
	echo "auth required $dir/pam_dingtalk.so conf=$conf" >"$DT_WORK/services/dingtalk-$1"
	echo "$dir"
}

# login NAME: alice through the copy in NAME, the phone approving; the
# terminal (with the module's log) in $DT_WORK/NAME.terminal.
login() {
	local name=$1 terminal="$DT_WORK/$1.terminal"
	: >"$terminal"
	"${PYTHON3:-python3}" "$DT_SRCDIR/tests/mock/phone.py" --number-from "$terminal" \
		--person alice --timeout 30 >"$DT_WORK/$name.phone" 2>&1 &
	DT_PIDS="$DT_PIDS $!"
	PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$DT_WORK/services" \
		NSS_WRAPPER_PASSWD="$DT_WORK/passwd" NSS_WRAPPER_GROUP="$DT_WORK/group" \
		LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so $DT_WRAPPER_ENV" \
		timeout 60 stdbuf -o0 -e0 pamtester -v "dingtalk-$name" alice authenticate \
		</dev/null >"$terminal" 2>&1
}

# refused N NAME WHAT: the login through NAME failed, saying WHAT.
refused() {
	local n=$1 name=$2 what=$3 terminal="$DT_WORK/$2.terminal"
	if ! grep -q "successfully authenticated" "$terminal" && grep -qF -- "$what" "$terminal" &&
		grep -q "reinstall pam_dingtalk" "$terminal"; then
		echo "ok $n - $name: refused, saying '$what'"
	else
		echo "not ok $n - $name: refused, saying '$what'"
		sed 's/^/# /' "$terminal" | grep -v '█\|▀\|▄'
	fi
}

dir=$(stage good)
login good
if grep -q "successfully authenticated" "$DT_WORK/good.terminal"; then
	echo "ok 1 - a copy of both libraries in a directory of their own logs alice in"
else
	echo "not ok 1 - a copy of both libraries in a directory of their own logs alice in"
	sed 's/^/# /' "$DT_WORK/good.terminal" | grep -v '█\|▀\|▄'
fi

dir=$(stage missing)
rm "$dir/pam_dingtalk_net.so"
login missing
refused 2 missing "$dir/pam_dingtalk_net.so: No such file or directory"

dir=$(stage writable)
chmod 0664 "$dir/pam_dingtalk_net.so"
login writable
refused 3 writable "$dir/pam_dingtalk_net.so: writable by group or others"

dir=$(stage opendir)
chmod 0777 "$dir"
login opendir
refused 4 opendir "$dir: writable by group or others"

dir=$(stage notlib)
echo "not a library" >"$dir/pam_dingtalk_net.so"
login notlib
refused 5 notlib "$dir/pam_dingtalk_net.so: "

if [ "$(id -u)" -ne 0 ]; then
	echo "ok 6 # SKIP needs root to give the library another owner"
else
	dir=$(stage owner)
	chown 4242 "$dir/pam_dingtalk_net.so"
	login owner
	refused 6 owner "owned by uid 4242, not by the module's owner (uid 0)"
fi

# A symbolic link in the library's place: judged by itself, not its target.
dir=$(stage symlink)
mv "$dir/pam_dingtalk_net.so" "$DT_WORK/elsewhere.so"
ln -s "$DT_WORK/elsewhere.so" "$dir/pam_dingtalk_net.so"
login symlink
refused 7 symlink "$dir/pam_dingtalk_net.so: a symbolic link"

# failmode = safe in a break-glass stack (pam_dingtalk.conf(5)): a module
# copied without its library must not let everyone through the fallback.
# The library is checked before any QR: refused there, failmode untouched.
dir=$(stage safe)
rm "$dir/pam_dingtalk_net.so"
{
	echo "auth [success=done authinfo_unavail=ignore ignore=ignore default=die] $dir/pam_dingtalk.so conf=$safe_conf"
	echo "auth required $(ls /usr/lib/*/security/pam_permit.so /lib/*/security/pam_permit.so 2>/dev/null | head -n 1)"
} >"$DT_WORK/services/dingtalk-safe"
login safe
terminal="$DT_WORK/safe.terminal"
if ! grep -q "successfully authenticated" "$terminal" && ! grep -q "Scan the QR" "$terminal" &&
	grep -q "reinstall pam_dingtalk" "$terminal" && ! grep -q "failmode = safe, not checked" "$terminal"; then
	echo "ok 8 - failmode = safe: a missing library refuses before the QR, never the fallback"
else
	echo "not ok 8 - failmode = safe: a missing library refuses before the QR, never the fallback"
	sed 's/^/# /' "$terminal" | grep -v '█\|▀\|▄'
fi
exit 0
