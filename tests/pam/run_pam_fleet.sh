#!/bin/bash
# Runs the module's fleet tests (test_pam_fleet): the stage of
# run_pam_tests.sh (the DingTalk mock, dingtalk-callbackd, pam_wrapper)
# with the helper reached as a fleet: fake_fleet.py's HTTPS replicas,
# certificates of a throwaway CA, host keys made here, each replica
# checking signatures in Python and passing good requests to the helper.
set -u
. "$DT_SRCDIR/tests/harness.sh"

DT_WORK=$(mktemp -d /tmp/dt-fleet.XXXXXX)
chmod 0755 "$DT_WORK"
trap 'dt_stop_all; rm -rf "$DT_WORK"' EXIT

bail() { echo "Bail out! $*"; exit 1; }

dt_make_test_ca || bail "cannot make the test CA"
dt_start_mock || bail "the DingTalk mock did not start"
dt_start_helper || bail "dingtalk-callbackd did not start: $(cat "$DT_WORK/callbackd.log")"
dt_write_map

# A second CA that signed nothing the replicas serve.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pam_dingtalk other CA" \
	-keyout "$DT_WORK/ca/other.key" -out "$DT_WORK/ca/other.pem" >>"$DT_WORK/ca/openssl.log" 2>&1 ||
	bail "cannot make the second CA"

secret() { "${PYTHON3:-python3}" -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())'; }
host=$(hostname)
good=$(secret)
# The service's host_keys: this host's key, a key of this host's id with
# another secret for bad_signature, and a key for another host's name.
cat >"$DT_WORK/host-keys" <<KEYS
# KEY_ID HOST SECRET
h-good $host $good
h-wrong $host $(secret)
h-other other-host.example $good
KEYS
hostkey() { # NAME KEY_ID SECRET: a module key file
	printf '# this host'"'"'s key\n%s %s\n' "$2" "$3" >"$DT_WORK/$1.hostkey"
	chmod 0600 "$DT_WORK/$1.hostkey"
}
hostkey good h-good "$good"
hostkey unknown h-nobody "$good"
hostkey wrong h-wrong "$good"
hostkey other h-other "$good"

fleet="$DT_WORK/fleet"
mkdir -p "$fleet"
cp "$DT_WORK/ca/server.pem" "$DT_WORK/ca/server.key" "$fleet/"
"${PYTHON3:-python3}" "$DT_SRCDIR/tests/pam/fake_fleet.py" --control "$DT_CONTROL" \
	--host-keys "$DT_WORK/host-keys" --dir "$fleet" \
	--replica a:ok --replica b:ok --replica dropwait:drop-wait --replica down:store-down \
	--replica skewed:skew:120 --replica blackhole:blackhole --replica mute:mute --replica forget:forget \
	--replica missing:refuse:missing --replica malformed:refuse:malformed \
	--replica replay:refuse:replay --replica slowreg:slow-register --replica hostfull:limit:host_full --replica waitsfull:waits-full 2>"$DT_WORK/fleet.log" &
DT_PIDS="$DT_PIDS $!"
for r in a b dropwait down skewed blackhole mute forget missing malformed replay slowreg hostfull waitsfull; do
	dt_wait_for "$fleet/$r.port" || bail "the fake fleet did not start: $(cat "$DT_WORK/fleet.log")"
	eval "url_$r=https://127.0.0.1:\$(cat \"\$fleet/$r.port\")"
done
# The real thing as well: a second dingtalk-callbackd with its TCP
# control listener (TLS with the test CA's certificate, the same
# host_keys), for one login the way a fleet's service serves it.
tport=$(dt_free_port)
cport=$(dt_free_port)
mkdir -p "$DT_WORK/real"
cat >"$DT_WORK/real.conf" <<CONF
listen = 127.0.0.1:$tport
control = $DT_WORK/real/control.sock
public_url = http://127.0.0.1:$tport
control_listen = 127.0.0.1:$cport
control_tls_cert = $DT_WORK/ca/server.pem
control_tls_key = $DT_WORK/ca/server.key
host_keys = $DT_WORK/host-keys
session_ttl = 600
CONF
chmod 0644 "$DT_WORK/real.conf"
chmod 0600 "$DT_WORK/host-keys"
"$DT_CALLBACKD" -c "$DT_WORK/real.conf" -d >"$DT_WORK/real.log" 2>&1 &
DT_PIDS="$DT_PIDS $!"
dt_wait_for "$DT_WORK/real/control.sock" || bail "the helper with a TCP listener did not start: $(cat "$DT_WORK/real.log")"
url_real="https://127.0.0.1:$cport"

# Ports nothing listens on: connection refused.
dead1="https://127.0.0.1:$(dt_free_port)"
dead2="https://127.0.0.1:$(dt_free_port)"

dt_services_dir >/dev/null
service() { # service NAME CONF-PATH [module arguments]
	local name=$1 conf=$2
	shift 2
	echo "auth required $DT_PAM_MODULE conf=$conf $*" >"$DT_WORK/services/$name"
}
# conf NAME HELPERS KEY [lines...]: a fleet host's configuration.
conf() {
	local name=$1 helpers=$2 key=$3
	shift 3
	dt_module_conf "$name" 'timeout = 10' "helper = $helpers" "helper_ca_file = $DT_TEST_CA" \
		"helper_key_file = $DT_WORK/$key.hostkey" "$@"
}
# Every service has the same deadline: test_pam_fleet.c's DEADLINE.
service fleet_ok "$(conf ok "$url_a" good)"
service fleet_first_dead "$(conf first_dead "$dead1, $url_a" good)"
service fleet_enter "$(conf enter "$dead1 $url_a" good 'wait = enter')"
service fleet_max_tries "$(conf max_tries "$url_a" good 'wait = enter' 'max_tries = 2')"
service fleet_real "$(conf real "$dead1 $url_real" good)"
service fleet_real_mismatch "$(conf real_mismatch "$url_real" other)"
service fleet_mid_wait "$(conf mid_wait "$url_dropwait $url_b" good)"
service fleet_all_dead "$(conf all_dead "$dead1 $dead2" good)"
service fleet_blackhole "$(conf blackhole "$url_blackhole $url_a" good)"
service fleet_mute "$(conf mute "$url_mute $url_a" good)"
service fleet_all_silent "$(conf all_silent "$url_mute $url_blackhole" good)"
service fleet_silent_or_dead "$(conf silent_or_dead "$url_blackhole $dead1" good)"
service fleet_other_store "$(conf other_store "$url_dropwait $url_forget" good)"
service fleet_store_down "$(conf store_down "$url_down,$url_b" good)"
service fleet_only_down "$(conf only_down "$url_down" good)"
service fleet_wrong_ca "$(conf wrong_ca "$url_a" good "helper_ca_file = $DT_WORK/ca/other.pem")"
service fleet_unknown_key "$(conf unknown_key "$url_a" unknown)"
service fleet_bad_signature "$(conf bad_signature "$url_a" wrong)"
service fleet_host_mismatch "$(conf host_mismatch "$url_a" other)"
service fleet_stale "$(conf stale "$url_skewed" good)"
service fleet_missing "$(conf missing "$url_missing" good)"
service fleet_malformed "$(conf malformed "$url_malformed" good)"
service fleet_replay "$(conf replay "$url_replay" good)"
service fleet_refused_or_dead "$(conf refused_or_dead "$url_a $dead1" unknown)"
service fleet_host_full "$(conf host_full "$url_hostfull $url_a" good)"
service fleet_waits_full "$(conf waits_full "$url_waitsfull" good)"
service fleet_slow_register "$(conf slow_register "$url_slowreg $url_b" good)"
service fleet_http "$(conf http "http://127.0.0.1:1 $url_a" good)"
service fleet_no_key "$(conf no_key "$url_a" absent)"
# The keys as module arguments (no spaces there: a comma separates).
service fleet_args "$(dt_module_conf args 'timeout = 10')" "helper=$dead1,$url_a" \
	"helper_ca_file=$DT_TEST_CA" "helper_key_file=$DT_WORK/good.hostkey"

cat >"$DT_WORK/passwd" <<PW
root:x:0:0:root:/root:/bin/bash
alice:x:1001:1001:Alice:/home/alice:/bin/bash
PW
cat >"$DT_WORK/group" <<GR
root:x:0:
alice:x:1001:
GR

export DT_WORK DT_FLEET_LOG="$DT_WORK/fleet.log" DT_FLEET_HOST="$host"
export DT_PHONE="$DT_SRCDIR/tests/mock/phone.py"
export PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$DT_WORK/services" PAM_WRAPPER_DEBUGLEVEL=2
export NSS_WRAPPER_PASSWD="$DT_WORK/passwd" NSS_WRAPPER_GROUP="$DT_WORK/group"
export LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so $DT_WRAPPER_ENV${LD_PRELOAD:+ $LD_PRELOAD}"
sh "$DT_SRCDIR/tests/tools/cmocka_tap.sh" ${DT_TEST_WRAPPER:-} "$DT_BUILDDIR/tests/pam/test_pam_fleet" \
	2>"$DT_WORK/test.err"
rc=$?
if [ $rc -ne 0 ]; then
	echo "# --- test stderr ---"; sed 's/^/# /' "$DT_WORK/test.err"
	echo "# --- fleet log ---"; tail -n 60 "$DT_WORK/fleet.log" | sed 's/^/# /'
	echo "# --- callbackd log ---"; tail -n 40 "$DT_WORK/callbackd.log" | sed 's/^/# /'
	echo "# --- the TCP listener's callbackd log ---"; tail -n 40 "$DT_WORK/real.log" | sed 's/^/# /'
	for f in "$DT_WORK"/case-*.log "$DT_WORK"/phone-*.log; do [ -e "$f" ] && { echo "# --- $f ---"; sed 's/^/# /' "$f"; }; done
fi
exit $rc
