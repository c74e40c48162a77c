# Shared by the PAM tests and scripts/demo: a local DingTalk mock and a
# dingtalk-callbackd on loopback, with the module's configuration files.
# Source it; set DT_SRCDIR, DT_CALLBACKD and DT_WORK (a private temp dir).
# Everything started here is stopped by dt_stop_all.

DT_PIDS=""

# Preloaded with the wrappers: they keep reading their variables while the
# module's environment guard is in place (tests/tools/wrapper_env.c).
DT_WRAPPER_ENV="${DT_BUILDDIR:-.}/tests/tools/.libs/wrapper_env.so"

dt_log() { echo "harness: $*" >&2; }

dt_free_port() {
	"${PYTHON3:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits up to 10 s (DT_WAIT_TENTHS tenths) for a file (a port file, a socket) to appear.
dt_wait_for() {
	local i
	for i in $(seq 1 "${DT_WAIT_TENTHS:-100}"); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	dt_log "timed out waiting for $1"
	return 1
}

dt_start_mock() {
	"${PYTHON3:-python3}" "$DT_SRCDIR/tests/mock/dingtalk_mock.py" --host 127.0.0.1 --port 0 \
		--port-file "$DT_WORK/mock.port" --log "$DT_WORK/mock.log" "$@" \
		>"$DT_WORK/mock.out" 2>&1 &
	DT_PIDS="$DT_PIDS $!"
	dt_wait_for "$DT_WORK/mock.port" || return 1
	DT_MOCK_URL="http://127.0.0.1:$(cat "$DT_WORK/mock.port")"
	export DT_MOCK_URL
}

# dt_start_helper [config lines...]: dingtalk-callbackd on loopback, its
# control socket $DT_CONTROL; extra lines go at the end of its
# configuration (bench/cold_stage.sh adds a TCP control listener).
dt_start_helper() {
	local port line
	port=$(dt_free_port)
	DT_PUBLIC_URL="http://127.0.0.1:$port"
	DT_CONTROL="$DT_WORK/run/control.sock"
	cat >"$DT_WORK/callbackd.conf" <<CONF
listen = 127.0.0.1:$port
control = $DT_CONTROL
public_url = $DT_PUBLIC_URL
session_ttl = 600
# Flow C's page: any well-formed hash (the phone simulator runs no script)
inapp_jsapi_integrity = sha384-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
CONF
	for line in "$@"; do echo "$line"; done >>"$DT_WORK/callbackd.conf"
	chmod 0644 "$DT_WORK/callbackd.conf"
	# DT_HELPER_WRAPPER: e.g. valgrind (run_pam_soak.sh).
	${DT_HELPER_WRAPPER:-} "$DT_CALLBACKD" -c "$DT_WORK/callbackd.conf" -d >"$DT_WORK/callbackd.log" 2>&1 &
	DT_HELPER_PID=$!
	DT_PIDS="$DT_PIDS $DT_HELPER_PID"
	dt_wait_for "$DT_CONTROL" || return 1
	export DT_PUBLIC_URL DT_CONTROL
}

# dt_module_conf NAME [extra lines...]: a 0600 module config pointing at the
# mock and the helper; prints its path.
dt_module_conf() {
	local name=$1 path="$DT_WORK/$1.conf"
	shift
	{
		echo "client_id = dingmockappkey"
		echo "client_secret = mock-secret-0123456789"
		echo "login_base = $DT_MOCK_URL"
		echo "api_base = $DT_MOCK_URL"
		echo "helper = unix:$DT_CONTROL"
		echo "map_file = $DT_WORK/pam_dingtalk.map"
		for line in "$@"; do echo "$line"; done
	} >"$path"
	chmod 0600 "$path"
	echo "$path"
}

dt_write_map() {
	cat >"$DT_WORK/pam_dingtalk.map" <<MAP
# unionId                     local accounts
uAlice0000000000000000iEiE    alice alice-admin root
uBob00000000000000000000iEiE  bob
uDave00000000000000000000iEiE bob
MAP
	chmod 0644 "$DT_WORK/pam_dingtalk.map"
}

# dt_services_dir: a pam_wrapper service directory with a fail-closed
# "other" service (PAM falls back to it for names it does not know).
dt_services_dir() {
	local deny
	mkdir -p "$DT_WORK/services"
	deny=$(ls /usr/lib/*/security/pam_deny.so /lib/*/security/pam_deny.so 2>/dev/null | head -n 1)
	[ -n "$deny" ] && echo "auth required $deny" >"$DT_WORK/services/other"
	echo "$DT_WORK/services"
}

dt_stop_all() {
	local pid
	for pid in $DT_PIDS; do
		kill "$pid" 2>/dev/null
	done
	for pid in $DT_PIDS; do
		wait "$pid" 2>/dev/null
	done
	DT_PIDS=""
}

# dt_make_test_ca: a throwaway CA and a server certificate for 127.0.0.1
# signed by it, in $DT_WORK/ca (ca.pem, server.pem, server.key).
dt_make_test_ca() {
	local ca="$DT_WORK/ca"
	mkdir -p "$ca"
	{
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pam_dingtalk test CA" \
			-keyout "$ca/ca.key" -out "$ca/ca.pem" &&
			openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
				-keyout "$ca/server.key" -out "$ca/server.csr" &&
			printf 'subjectAltName = IP:127.0.0.1, DNS:localhost\n' >"$ca/ext" &&
			openssl x509 -req -in "$ca/server.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" \
				-CAcreateserial -days 2 -extfile "$ca/ext" -out "$ca/server.pem"
	} >"$ca/openssl.log" 2>&1 || { cat "$ca/openssl.log" >&2; return 1; }
	DT_TEST_CA="$ca/ca.pem"
	export DT_TEST_CA
}

# dt_start_tls_mock: a second DingTalk mock serving HTTPS with the test CA's
# certificate (run dt_make_test_ca first); sets DT_TLS_URL.
dt_start_tls_mock() {
	mkdir -p "$DT_WORK/tls"
	"${PYTHON3:-python3}" "$DT_SRCDIR/tests/mock/dingtalk_mock.py" --host 127.0.0.1 --port 0 \
		--port-file "$DT_WORK/tls/mock.port" --log "$DT_WORK/tls/mock.log" \
		--tls-cert "$DT_WORK/ca/server.pem" --tls-key "$DT_WORK/ca/server.key" \
		>"$DT_WORK/tls/mock.out" 2>&1 &
	DT_PIDS="$DT_PIDS $!"
	dt_wait_for "$DT_WORK/tls/mock.port" || return 1
	DT_TLS_URL="https://127.0.0.1:$(cat "$DT_WORK/tls/mock.port")"
	export DT_TLS_URL
}
