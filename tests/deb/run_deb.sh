#!/bin/bash
# tests/deb/run_deb.sh TOP WORK: the Debian packages from build to purge
# (scripts/check deb; TESTING.md). Needs root and a Debian machine; changes
# it while it runs and undoes every change on the way out, passed or not.
#
#   1. builds them with dpkg-buildpackage from a `make distdir` copy of the
#      configured tree TOP (out of the source tree), without their tests
#      (make check runs elsewhere); lintian: no error, no unexpected warning;
#   2. installs them with dpkg -i: files, modes, conffiles, the user, the
#      unit (not enabled; systemd-analyze verify with the man pages, and
#      its exposure);
#   3. a whole login from the installed files only: the installed helper
#      started as its unit starts it (its ExecStartPre and ExecStart lines,
#      as its User=, in its RuntimeDirectory, with its UMask and a
#      NOTIFY_SOCKET that must get READY=1) but not by systemd, which does
#      not run in this container; in front of it nginx with the server
#      block of docs/deploy.md, taken from the guide itself (only the
#      address, the certificate's paths and the helper's port replaced),
#      with a certificate of a CA made here, so the phone reaches the
#      helper over HTTPS as in production; the installed module through pamtester
#      (under pam_wrapper: a PAM service file in WORK that names the
#      installed path), configured in the installed /etc files as an
#      administrator would; a simulated phone against the DingTalk mock;
#   4. a reinstall keeps the edited conffiles; dpkg -r keeps them, dpkg
#      --purge removes them and everything else.
# Prints "PASS: ..." or "FAIL: ..." per check; exits non-zero on a failure.
set -u
top=$1 work=$2
. "$top/scripts/lib.sh"
PKGS="libpam-dingtalk dingtalk-callbackd"
USER_NAME=_dingtalk
RUNDIR=/run/dingtalk-callbackd
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
MODULE=/usr/lib/$MULTIARCH/security/pam_dingtalk.so
UNIT=/lib/systemd/system/dingtalk-callbackd.service
rc=0
pids=""

fail() { echo "$*"; return 1; }

# dpkg's word for PACKAGE (installed, config-files, ...), empty when it
# knows nothing of it or it is not-installed.
pkg_status() {
	dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -v '^not-installed$'
}

# Undoes what the run did: the packages purged, the helper stopped, the
# runtime directory and the user it created removed. Runs on every exit.
cleanup() {
	local pid
	for pid in $pids; do kill "$pid" 2>/dev/null; done
	for pid in $pids; do wait "$pid" 2>/dev/null; done
	dpkg --purge $PKGS >/dev/null 2>&1
	rm -rf "$RUNDIR"
	# precondition() made sure the user did not exist before.
	getent passwd "$USER_NAME" >/dev/null && userdel "$USER_NAME" 2>/dev/null
	getent group "$USER_NAME" >/dev/null && groupdel "$USER_NAME" 2>/dev/null
	rm -rf "$work"
}

# ---- 0. the machine is ours to change
precondition() {
	local p
	[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg -i)" || return 1
	for p in $PKGS; do
		[ -z "$(pkg_status "$p")" ] ||
			fail "$p is on this machine ($(pkg_status "$p")): purge it first (this step installs and purges it)" ||
			return 1
	done
	[ ! -e "$RUNDIR" ] || fail "$RUNDIR exists: a dingtalk-callbackd runs here; stop it first" ||
		return 1
	! getent passwd "$USER_NAME" >/dev/null ||
		fail "user $USER_NAME exists: this step creates and removes it"
}

# ---- 1. build
build() {
	mkdir -p "$work/src" && dt_distdir "$top" "$work/src/pam-dingtalk" || return 1
	(cd "$work/src/pam-dingtalk" &&
		DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) ||
		return 1
	ls "$work"/src/libpam-dingtalk_*.deb "$work"/src/dingtalk-callbackd_*.deb
}

# lintian: no error and no warning (the kept ones are overridden in
# debian/*.lintian-overrides, with their reasons; docs/deploy.md lists them).
lint() {
	local out
	out=$(cd "$work/src" && lintian --pedantic ./*.changes 2>&1 | grep -v 'running with root privileges')
	printf '%s\n' "$out"
	! printf '%s\n' "$out" | grep -q '^[EW]:'
}

install_pkgs() {
	[ -e "$work/pam.d.before" ] || pam_stacks >"$work/pam.d.before"
	dpkg -i "$work"/src/libpam-dingtalk_*.deb "$work"/src/dingtalk-callbackd_*.deb
}

# ---- 2. what dpkg -i put in place
installed_files() {
	local f
	for f in "$MODULE" "${MODULE%.so}_net.so" /usr/bin/dingtalk-ctl /usr/sbin/dingtalk-callbackd "$UNIT" \
		/usr/lib/sysusers.d/dingtalk-callbackd.conf /usr/share/pam-configs/dingtalk \
		/usr/share/doc/libpam-dingtalk/examples/sshd \
		/usr/share/doc/libpam-dingtalk/examples/pam-auth-update.README \
		/usr/share/doc/dingtalk-callbackd/examples/dingtalk-callbackd.conf \
		/usr/share/man/man8/dingtalk-callbackd.8.gz /usr/share/man/man5/pam_dingtalk.conf.5.gz; do
		[ -e "$f" ] || fail "missing: $f" || return 1
	done
	[ "$(stat -c '%U:%G %a' /etc/security/pam_dingtalk.conf)" = "root:root 600" ] ||
		fail "pam_dingtalk.conf: $(stat -c '%U:%G %a' /etc/security/pam_dingtalk.conf)" || return 1
	[ "$(stat -c '%U:%G %a' /etc/dingtalk-callbackd.conf)" = "root:root 644" ] ||
		fail "dingtalk-callbackd.conf: $(stat -c '%U:%G %a' /etc/dingtalk-callbackd.conf)" ||
		return 1
	for f in /etc/security/pam_dingtalk.conf /etc/security/pam_dingtalk.map; do
		dpkg-query --showformat='${Conffiles}\n' --show libpam-dingtalk | grep -q " $f " ||
			fail "not a conffile of libpam-dingtalk: $f" || return 1
	done
	dpkg-query --showformat='${Conffiles}\n' --show dingtalk-callbackd |
		grep -q " /etc/dingtalk-callbackd.conf " || fail "not a conffile: /etc/dingtalk-callbackd.conf"
}

# The user of sysusers.d: a system user without a shell or home.
installed_user() {
	local entry
	entry=$(getent passwd "$USER_NAME") || fail "no user $USER_NAME after dpkg -i" || return 1
	echo "$entry"
	[ "$(echo "$entry" | cut -d: -f3)" -lt 1000 ] && [[ $entry == *:/usr/sbin/nologin ]]
}

# /etc/pam.d as it is (names and contents), to compare after dpkg -i.
pam_stacks() { (cd /etc/pam.d && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

# Neither enabled nor started by the package; no PAM stack touched (the
# pam-auth-update profile is off, and has no Auth section anyway).
installed_inert() {
	[ ! -e /etc/systemd/system/multi-user.target.wants/dingtalk-callbackd.service ] ||
		fail "the unit was enabled on installation" || return 1
	pam_stacks | diff "$work/pam.d.before" - || fail "dpkg -i changed /etc/pam.d"
}

installed_unit() {
	systemd-analyze verify "$UNIT" || return 1
	dt_unit_exposure "$UNIT" "${DT_MAX_EXPOSURE:-2.0}"
}

# ---- 3. the login
# The administrator's edits: the helper on a free port of loopback behind
# the proxy (public_url is the proxy's; max_connections_per_ip = 0 as the
# guide says), the module towards the mock (its URLs, its app), the
# helper's user, the map.
configure() {
	HELPER_PORT=$(dt_free_port) PROXY_PORT=$(dt_free_port)
	PUBLIC_URL=https://127.0.0.1:$PROXY_PORT
	sed -i "s|^public_url = .*|public_url = $PUBLIC_URL|" /etc/dingtalk-callbackd.conf
	printf 'listen = 127.0.0.1:%s\nmax_connections_per_ip = 0\n' "$HELPER_PORT" \
		>>/etc/dingtalk-callbackd.conf
	sed -i -e 's|^client_id = .*|client_id = dingmockappkey|' \
		-e 's|^client_secret = .*|client_secret = mock-secret-0123456789|' \
		/etc/security/pam_dingtalk.conf
	printf '%s\n' "login_base = $DT_MOCK_URL" "api_base = $DT_MOCK_URL" \
		"helper_user = $USER_NAME" "token_cache = $work/app-token" "qr = utf8" \
		"timeout = 60" >>/etc/security/pam_dingtalk.conf
	printf 'uAlice0000000000000000iEiE alice\n' >>/etc/security/pam_dingtalk.map
	grep -q "^public_url = $PUBLIC_URL" /etc/dingtalk-callbackd.conf
}

unit_value() { sed -n "s/^$1=//p" "$UNIT" | head -n 1; }

# As systemd would: the runtime directory (owned by User=, its mode), the
# user and group, the umask, a clean environment with NOTIFY_SOCKET;
# ExecStartPre must pass before ExecStart runs. as_unit execs the command:
# run it in a subshell, whose pid is then the program's.
as_unit() {
	umask "$(unit_value UMask)" &&
		exec setpriv --reuid="$(unit_value User)" --regid="$(unit_value Group)" --init-groups \
			env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET="$work/notify.sock" "$@"
}

start_helper() {
	local pre start
	pre=$(unit_value ExecStartPre) start=$(unit_value ExecStart)
	install -d -o "$(unit_value User)" -g "$(unit_value Group)" \
		-m "$(unit_value RuntimeDirectoryMode)" "/run/$(unit_value RuntimeDirectory)" || return 1
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.settimeout(30)
msg = s.recv(256).decode()
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(msg)
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
' "$work/notify.sock" "$work/notify.msg" &
	pids="$pids $!"
	dt_wait_for "$work/notify.sock" || return 1
	echo "ExecStartPre: $pre"
	(as_unit $pre) || fail "ExecStartPre failed" || return 1
	echo "ExecStart: $start"
	(as_unit $start) >"$work/helper.log" 2>&1 &
	pids="$pids $!"
	DT_WAIT_TENTHS=150 dt_wait_for "$work/notify.msg" || { cat "$work/helper.log"; return 1; }
	[ "$(cat "$work/notify.msg")" = READY=1 ] || fail "got $(cat "$work/notify.msg")" || return 1
	[ "$(stat -c %U "$RUNDIR/control.sock")" = "$USER_NAME" ] ||
		fail "the control socket belongs to $(stat -c %U "$RUNDIR/control.sock")"
}

# The guide's nginx server block, as the guide prints it, with only what
# differs on this machine replaced; each replacement must have happened,
# so a guide that no longer has the line fails here.
guide_nginx_site() {
	local site=$work/nginx/site.conf
	sed -n '/^```nginx$/,/^```$/p' "$top/docs/deploy.md" | sed '1d;$d' >"$site.guide"
	[ -s "$site.guide" ] || fail "no \`\`\`nginx block in docs/deploy.md" || return 1
	sed -e "s|^    listen 443 ssl;|    listen 127.0.0.1:$PROXY_PORT ssl;|" \
		-e "s|/etc/ssl/login.example.com.crt|$DT_WORK/ca/server.pem|" \
		-e "s|/etc/ssl/login.example.com.key|$DT_WORK/ca/server.key|" \
		-e "s|http://127.0.0.1:8787;|http://127.0.0.1:$HELPER_PORT;|" "$site.guide" >"$site"
	for want in "listen 127.0.0.1:$PROXY_PORT ssl;" "$DT_WORK/ca/server.pem" \
		"$DT_WORK/ca/server.key" "proxy_pass http://127.0.0.1:$HELPER_PORT;"; do
		grep -qF "$want" "$site" || fail "the guide's nginx block changed: no '$want' after the replacements" ||
			return 1
	done
	diff "$site.guide" "$site"
	return 0
}

# nginx in the foreground (its own main configuration around the guide's
# block: pid, logs and temporary files under WORK), not nginx.service.
start_proxy() {
	mkdir -p "$work/nginx/logs" && dt_make_test_ca || return 1
	guide_nginx_site || return 1
	cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 64; }
http {
    access_log $work/nginx/logs/access.log;
    include $work/nginx/site.conf;
}
CONF
	nginx -t -p "$work/nginx" -e "$work/nginx/logs/error.log" -c "$work/nginx/nginx.conf" ||
		return 1
	nginx -p "$work/nginx" -e "$work/nginx/logs/error.log" -c "$work/nginx/nginx.conf" &
	pids="$pids $!"
	local i code
	for i in $(seq 1 50); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$DT_TEST_CA" "$PUBLIC_URL/healthz")
		[ "$code" = 200 ] && echo "$PUBLIC_URL/healthz through nginx: 200" && return 0
		sleep 0.1
	done
	fail "$PUBLIC_URL/healthz through nginx: $code"
}

login() {
	local terminal=$work/terminal.txt rc
	mkdir -p "$work/services"
	echo "auth required $MODULE" >"$work/services/dingtalk-deb"
	# nss_wrapper's users: the module resolves helper_user too.
	{
		printf 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001:Alice:/home/alice:/bin/bash\n'
		getent passwd "$USER_NAME"
	} >"$work/passwd"
	{
		printf 'root:x:0:\nalice:x:1001:\n'
		getent group "$USER_NAME"
	} >"$work/group"
	: >"$terminal"
	python3 "$top/tests/mock/phone.py" --number-from "$terminal" --person alice --delay 1 \
		--cafile "$DT_TEST_CA" --timeout 50 >"$work/phone.out" 2>"$work/phone.log" &
	pids="$pids $!"
	PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$work/services" \
		NSS_WRAPPER_PASSWD="$work/passwd" NSS_WRAPPER_GROUP="$work/group" \
		LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so $top/tests/tools/.libs/wrapper_env.so" \
		timeout 90 stdbuf -o0 -e0 pamtester -v dingtalk-deb alice authenticate \
		</dev/null >"$terminal" 2>&1
	rc=$?
	grep -v '█\|▀\|▄' "$terminal"
	if [ $rc -eq 0 ] && grep -q "successfully authenticated" "$terminal"; then
		# The phone went through the proxy: its requests are in nginx's log.
		grep -q ' "GET /l/' "$work/nginx/logs/access.log" &&
			grep -q ' "GET /callback?' "$work/nginx/logs/access.log" && return 0
		echo "the phone's requests did not go through nginx:"
		cat "$work/nginx/logs/access.log"
		return 1
	fi
	echo "--- helper log"; tail -n 20 "$work/helper.log"
	echo "--- phone"; tail -n 20 "$work/phone.log"
	return 1
}

stop_helper() {
	local pid
	for pid in $pids; do kill "$pid" 2>/dev/null; done
	for pid in $pids; do wait "$pid" 2>/dev/null; done
	pids=""
	rm -rf "$RUNDIR" # systemd removes the RuntimeDirectory when the unit stops
}

# ---- 4. upgrade, remove, purge
reinstall_keeps_conffiles() {
	install_pkgs >/dev/null || return 1
	grep -q "^public_url = $PUBLIC_URL" /etc/dingtalk-callbackd.conf &&
		grep -q '^client_id = dingmockappkey' /etc/security/pam_dingtalk.conf &&
		grep -q '^uAlice' /etc/security/pam_dingtalk.map &&
		[ "$(stat -c %a /etc/security/pam_dingtalk.conf)" = 600 ]
}

remove_keeps_conffiles() {
	dpkg -r $PKGS || return 1
	[ ! -e "$MODULE" ] && [ ! -e /usr/sbin/dingtalk-callbackd ] && [ ! -e "$UNIT" ] ||
		fail "program files left after dpkg -r" || return 1
	[ -e /etc/dingtalk-callbackd.conf ] && [ -e /etc/security/pam_dingtalk.conf ] ||
		fail "dpkg -r removed a conffile"
}

purge_removes_all() {
	local f left=""
	dpkg --purge $PKGS || return 1
	for f in /etc/dingtalk-callbackd.conf /etc/security/pam_dingtalk.conf \
		/etc/security/pam_dingtalk.map /usr/lib/sysusers.d/dingtalk-callbackd.conf \
		/usr/share/pam-configs/dingtalk /usr/share/doc/libpam-dingtalk \
		/usr/share/doc/dingtalk-callbackd; do
		[ -e "$f" ] && left="$left $f"
	done
	[ -z "$left" ] || fail "left after purge:$left" || return 1
	for f in $PKGS; do
		[ -z "$(pkg_status "$f")" ] || fail "$f after purge: $(pkg_status "$f")" || return 1
	done
	# A system user stays after purge (files it owned may remain; a later
	# user must not inherit its uid): dingtalk-callbackd's documented
	# choice (docs/deploy.md). The cleanup removes the one this run made.
	getent passwd "$USER_NAME" >/dev/null || fail "the user went with the purge: see docs"
}

main() {
	local r=0
	dt_check "deb: the machine has no dingtalk package, helper or user" precondition || return 1
	trap cleanup EXIT
	mkdir -p "$work" && chmod 0755 "$work" # the helper's user reaches the notification socket
	dt_check "deb: dpkg-buildpackage -us -uc -b (from a make distdir copy)" build || return 1
	dt_check "deb: lintian --pedantic: no error, no warning" lint || r=1
	dt_check "deb: dpkg -i both packages" install_pkgs || return 1
	dt_check "deb: installed files, modes, conffiles" installed_files || r=1
	dt_check "deb: user $USER_NAME from sysusers.d (system uid, nologin)" installed_user || r=1
	dt_check "deb: the unit not enabled, no PAM stack touched" installed_inert || r=1
	dt_check "deb: installed unit: systemd-analyze verify (man pages too), exposure" \
		installed_unit || r=1
	DT_WORK=$work
	export DT_SRCDIR=$top
	. "$top/tests/harness.sh"
	dt_check "deb: the DingTalk mock" dt_start_mock || return 1
	pids="$pids $DT_PIDS"
	dt_check "deb: /etc configured as an administrator would" configure || return 1
	dt_check "deb: the installed helper as its unit starts it (READY=1)" start_helper || r=1
	dt_check "deb: nginx with the server block of docs/deploy.md in front of it" start_proxy ||
		r=1
	dt_check "deb: a whole login through the installed module (pamtester)" login || r=1
	stop_helper
	dt_check "deb: dpkg -i again keeps the edited conffiles" reinstall_keeps_conffiles || r=1
	dt_check "deb: dpkg -r removes the programs, keeps the conffiles" remove_keeps_conffiles ||
		r=1
	dt_check "deb: dpkg --purge removes the conffiles and the rest" purge_removes_all || r=1
	return $r
}

main
