#!/bin/bash
# Runs the PAM fault tests (test_pam_faults): the stage of run_pam_tests.sh
# (the DingTalk mock, dingtalk-callbackd, fake users, pam_wrapper services)
# plus what the faults need: a second helper the tests kill and restart,
# fake helpers answering garbage, and TLS mocks with bad certificates.
set -u
. "$DT_SRCDIR/tests/harness.sh"

DT_WORK=$(mktemp -d /tmp/dt-faults.XXXXXX)
chmod 0755 "$DT_WORK"
cleanup() {
	[ -s "$DT_WORK/helper2.pid" ] && kill -9 "$(cat "$DT_WORK/helper2.pid")" 2>/dev/null
	dt_stop_all
	rm -rf "$DT_WORK"
}
trap cleanup EXIT

bail() { echo "Bail out! $*"; exit 1; }

dt_make_test_ca || bail "cannot make the test CA"
dt_start_mock || bail "the DingTalk mock did not start"
dt_start_helper || bail "dingtalk-callbackd did not start: $(cat "$DT_WORK/callbackd.log")"
dt_write_map

# A certificate signed by the test CA: NAME SAN [openssl ca dates...]
ca="$DT_WORK/ca"
bad_cert() {
	local name=$1 san=$2
	shift 2
	mkdir -p "$ca/db"
	: >"$ca/db/index.txt"
	[ -e "$ca/db/serial" ] || echo 1000 >"$ca/db/serial"
	cat >"$ca/$name.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $ca/db/index.txt
serial = $ca/db/serial
new_certs_dir = $ca/db
certificate = $ca/ca.pem
private_key = $ca/ca.key
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = ext
[any]
commonName = supplied
[ext]
subjectAltName = $san
CNF
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$ca/$name.key" \
		-out "$ca/$name.csr" >>"$ca/openssl.log" 2>&1 &&
		openssl ca -batch -config "$ca/$name.cnf" -in "$ca/$name.csr" -out "$ca/$name.pem" \
			-notext "$@" >>"$ca/openssl.log" 2>&1
}
# start_tls_mock NAME: a DingTalk mock serving HTTPS with $ca/NAME.pem; prints its URL.
# start_tls_mock NAME: sets tls_url. Not called in $(...): the pid must
# reach this shell's DT_PIDS, or dt_stop_all leaves the mock running.
start_tls_mock() {
	mkdir -p "$DT_WORK/$1"
	"${PYTHON3:-python3}" "$DT_SRCDIR/tests/mock/dingtalk_mock.py" --host 127.0.0.1 --port 0 \
		--port-file "$DT_WORK/$1/mock.port" --log "$DT_WORK/$1/mock.log" \
		--tls-cert "$ca/$1.pem" --tls-key "$ca/$1.key" >"$DT_WORK/$1/mock.out" 2>&1 &
	DT_PIDS="$DT_PIDS $!"
	dt_wait_for "$DT_WORK/$1/mock.port" || return 1
	tls_url="https://127.0.0.1:$(cat "$DT_WORK/$1/mock.port")"
}
bad_cert wronghost "DNS:wrong.example" -days 2 || bail "cannot make a certificate: $(cat "$ca/openssl.log")"
bad_cert expired "IP:127.0.0.1, DNS:localhost" -startdate 20200101000000Z -enddate 20200102000000Z ||
	bail "cannot make an expired certificate: $(cat "$ca/openssl.log")"
start_tls_mock wronghost || bail "the wrong-host TLS mock did not start"
wronghost_url=$tls_url
start_tls_mock expired || bail "the expired TLS mock did not start"
expired_url=$tls_url

# Fake helpers: one answering HTML, one answering JSON with the wrong types.
fake_helper() { # NAME STATUS BODY [UID] [--get STATUS BODY] [--delete STATUS BODY]
	local name=$1
	shift
	"${PYTHON3:-python3}" "$DT_SRCDIR/tests/pam/fake_helper.py" "$DT_WORK/$name.sock" "$@" \
		2>"$DT_WORK/$name.log" &
	DT_PIDS="$DT_PIDS $!"
	dt_wait_for "$DT_WORK/$name.sock" && until grep -q listening "$DT_WORK/$name.log"; do sleep 0.1; done
}
fake_helper fake_html 201 '<html><body>502 Bad Gateway</body></html>' || bail "fake helper"
fake_helper fake_types 201 '{"id": 12345678, "short_url": ["http://x/l/a"], "expires_in": "soon"}' ||
	bail "fake helper"
# A 503 that is not the helper's "full": a helper that cannot serve.
fake_helper fake_503 503 '{"error": "overloaded", "instance": "abcdefghijklmnop"}' || bail "fake helper"
# A helper that reads the registration and drops the connection.
fake_helper fake_drop 0 - || bail "fake helper"
# Fakes listening as a user who is not root: one nobody allowed, one that
# helper_user allows (it answers HTML, so a request that arrives shows).
fake_helper fake_nonroot 201 '<html>impostor</html>' 4242 || bail "fake helper"
fake_helper fake_helper_user 201 '<html>allowed</html>' 4243 || bail "fake helper"
# Whole logins the phone ends: registered, then the wait's answer ("Not me"
# tapped, or the session expired at the helper); a cancel is answered 204.
registered='{"id": "fakeSession00001", "short_url": "http://127.0.0.1:9/l/fakeSession00001", "expires_in": 60, "instance": "fakeInstance0001"}'
fake_helper fake_not_me 201 "$registered" --get 200 '{"status": "refused", "reason": "not_me"}' \
	--delete 204 '' || bail "fake helper"
fake_helper fake_expired 201 "$registered" --get 200 '{"status": "expired"}' --delete 204 '' ||
	bail "fake helper"

# A second helper, on a socket of its own: the tests kill it and start it
# again (helper2.sh start|kill|kill-later); its pid is in helper2.pid.
port2=$(dt_free_port)
mkdir -p "$DT_WORK/run2"
cat >"$DT_WORK/callbackd2.conf" <<CONF
listen = 127.0.0.1:$port2
control = $DT_WORK/run2/control.sock
public_url = http://127.0.0.1:$port2
session_ttl = 600
# Small, for the downgrade cases: an ended session is forgotten after 2 s,
# one requester may have 2 sessions pending, one address 2 (whatever the
# accounts), everyone together 3.
linger = 2
max_pending = 3
max_pending_per_requester = 2
max_pending_per_address = 2
CONF
chmod 0644 "$DT_WORK/callbackd2.conf"
cat >"$DT_WORK/helper2.sh" <<SH
#!/bin/bash
unset LD_PRELOAD PAM_WRAPPER
pidf="$DT_WORK/helper2.pid"
if [ "\$1" = kill-later ]; then
	(sleep 1; "\$0" kill) >/dev/null 2>&1 </dev/null &
	exit 0
fi
# SIGKILL is delivered asynchronously: wait (up to 5 s) until the old
# helper is gone or a zombie, so that the new one finds its ports free.
if [ -s "\$pidf" ]; then
	old=\$(cat "\$pidf")
	kill -9 "\$old" 2>/dev/null
	for i in \$(seq 1 100); do
		[ -d /proc/\$old ] && ! grep -q '^[0-9]* (.*) Z' /proc/\$old/stat 2>/dev/null || break
		sleep 0.05
	done
fi
: >"\$pidf"
[ "\$1" = kill ] && exit 0
rm -f "$DT_WORK/run2/control.sock"
"$DT_CALLBACKD" -c "$DT_WORK/callbackd2.conf" -d >>"$DT_WORK/callbackd2.log" 2>&1 </dev/null &
echo \$! >"\$pidf"
for i in \$(seq 1 100); do [ -S "$DT_WORK/run2/control.sock" ] && exit 0; sleep 0.1; done
exit 1
SH
chmod 0755 "$DT_WORK/helper2.sh"
"$DT_WORK/helper2.sh" start || bail "the second dingtalk-callbackd did not start: $(cat "$DT_WORK/callbackd2.log")"

dt_services_dir >/dev/null
service() { # service NAME CONF-PATH
	echo "auth required $DT_PAM_MODULE conf=$2" >"$DT_WORK/services/$1"
}
helper2="helper = unix:$DT_WORK/run2/control.sock"
oapi="oapi_base = $DT_MOCK_URL"
# Every fault service has the same deadline: test_pam_faults.c's DEADLINE.
t='timeout = 10'
service dingtalk "$(dt_module_conf ok "$t")"
service dingtalk_helper2 "$(dt_module_conf helper2 "$t" "$helper2")"
service dingtalk_helper2_enter "$(dt_module_conf helper2_enter "$t" "$helper2" 'wait = enter')"
service dingtalk_helper2_safe "$(dt_module_conf helper2_safe "$t" "$helper2" 'failmode = safe')"
service dingtalk_fake_html "$(dt_module_conf fake_html "$t" "helper = unix:$DT_WORK/fake_html.sock")"
service dingtalk_fake_types "$(dt_module_conf fake_types "$t" "helper = unix:$DT_WORK/fake_types.sock")"
service dingtalk_fake_503 "$(dt_module_conf fake_503 "$t" "helper = unix:$DT_WORK/fake_503.sock")"
service dingtalk_fake_drop "$(dt_module_conf fake_drop "$t" "helper = unix:$DT_WORK/fake_drop.sock")"
service dingtalk_fake_nonroot "$(dt_module_conf fake_nonroot "$t" "helper = unix:$DT_WORK/fake_nonroot.sock" 'helper_user = 4243')"
service dingtalk_fake_nonroot_safe "$(dt_module_conf fake_nonroot_safe "$t" "helper = unix:$DT_WORK/fake_nonroot.sock" 'helper_user = 4243' 'failmode = safe')"
service dingtalk_fake_helper_user "$(dt_module_conf fake_helper_user "$t" "helper = unix:$DT_WORK/fake_helper_user.sock" 'helper_user = 4243')"
not_me="helper = unix:$DT_WORK/fake_not_me.sock"
service dingtalk_not_me "$(dt_module_conf not_me "$t" "$not_me")"
service dingtalk_not_me_safe "$(dt_module_conf not_me_safe "$t" "$not_me" 'failmode = safe' 'audit = json')"
service dingtalk_not_me_zh "$(dt_module_conf not_me_zh "$t" "$not_me" 'lang = zh_CN')"
service sudo "$(dt_module_conf sudo "$t" "$not_me")"
service dingtalk_fake_expired "$(dt_module_conf fake_expired "$t" "helper = unix:$DT_WORK/fake_expired.sock")"
service dingtalk_wronghost "$(dt_module_conf wronghost "$t" "api_base = $wronghost_url" "ca_file = $DT_TEST_CA")"
service dingtalk_expired "$(dt_module_conf expired "$t" "api_base = $expired_url" "ca_file = $DT_TEST_CA")"
service dingtalk_sns "$(dt_module_conf sns "$t" 'flow = sns' "$oapi")"
# The downgrade cases: recovery codes on (a refusal must never offer them),
# Enter at the last moment, failmode = safe.
service dingtalk_helper2_rec "$(dt_module_conf recovery "$t" "$helper2" 'wait = enter' "recovery_file = $DT_WORK/recovery")"
service dingtalk_enter "$(dt_module_conf enter "$t" 'wait = enter')"
service dingtalk_safe "$(dt_module_conf safe "$t" 'failmode = safe')"

cat >"$DT_WORK/passwd" <<PW
root:x:0:0:root:/root:/bin/bash
alice:x:1001:1001:Alice:/home/alice:/bin/bash
PW
cat >"$DT_WORK/group" <<GR
root:x:0:
alice:x:1001:
GR

export DT_WORK
export DT_PHONE="$DT_SRCDIR/tests/mock/phone.py"
export DT_HELPER2="$DT_WORK/helper2.sh"
export PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$DT_WORK/services" PAM_WRAPPER_DEBUGLEVEL=2
export NSS_WRAPPER_PASSWD="$DT_WORK/passwd" NSS_WRAPPER_GROUP="$DT_WORK/group"
export LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so $DT_WRAPPER_ENV${LD_PRELOAD:+ $LD_PRELOAD}"
${DT_TEST_WRAPPER:-} "$DT_BUILDDIR/tests/pam/test_pam_faults" 2>"$DT_WORK/test.err"
rc=$?
if [ $rc -ne 0 ]; then
	echo "# --- test stderr ---"; sed 's/^/# /' "$DT_WORK/test.err"
	echo "# --- callbackd logs ---"; tail -n 20 "$DT_WORK"/callbackd*.log | sed 's/^/# /'
	for f in "$DT_WORK"/case-*.log "$DT_WORK"/phone-*.log; do [ -e "$f" ] && { echo "# --- $f ---"; sed 's/^/# /' "$f"; }; done
fi
exit $rc
