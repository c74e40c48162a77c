#!/bin/bash
# Which environment variables the module's libraries read during a whole
# login, and whether any read reached the caller's environment. TAP.
#
# pamtester logs alice in under pam_wrapper and nss_wrapper (TLS to the
# DingTalk mock, so OpenSSL is in the path too), approved by the simulated
# phone, with every variable a caller could use against libcurl, OpenSSL
# and the module set, umask 000, and tests/tools/getenv_trace.so preloaded.
# The tracer records every getenv/secure_getenv made through the dynamic
# linker and whether the process's environment was the host's at that
# moment (it held DT_GETENV_CANARY). Checks: the login succeeds; no key log
# file appears; the trace saw libcurl ask for SSLKEYLOGFILE (so the tracer
# sees the module's libraries at all); no read by the module or a library
# it links found the host's environment, except the known reads of library
# constructors and destructors at load and unload time. A second login
# with proxy_env = yes checks that the proxy variables do reach libcurl. The inventory of what was read is
# printed as TAP comments: SECURITY.md's table comes from it.
set -u
. "$DT_SRCDIR/tests/harness.sh"

echo "1..6"
tracer="$DT_BUILDDIR/tests/tools/.libs/getenv_trace.so"
if ! command -v pamtester >/dev/null || [ ! -e "$tracer" ] || [ ! -e "$DT_WRAPPER_ENV" ]; then
	for i in 1 2 3 4 5 6; do echo "ok $i # SKIP needs pamtester and the test tools"; done
	exit 0
fi
# An ASan module cannot be loaded into the uninstrumented pamtester.
if grep -q __asan_init "$DT_PAM_MODULE" 2>/dev/null; then
	for i in 1 2 3 4 5 6; do echo "ok $i # SKIP the module is built with sanitizers"; done
	exit 0
fi

DT_WORK=$(mktemp -d /tmp/dt-envtrace.XXXXXX)
chmod 0755 "$DT_WORK"
trap 'dt_stop_all; [ -n "${DT_KEEP_WORK:-}" ] || rm -rf "$DT_WORK"' EXIT
bail() { echo "Bail out! $*"; exit 1; }

dt_make_test_ca || bail "cannot make the test CA"
dt_start_tls_mock || bail "the TLS mock did not start"
DT_MOCK_URL=$DT_TLS_URL
dt_start_helper || bail "dingtalk-callbackd did not start: $(cat "$DT_WORK/callbackd.log")"
dt_write_map
dt_services_dir >/dev/null
conf=$(dt_module_conf trace 'timeout = 30' "ca_file = $DT_TEST_CA")
echo "auth required $DT_PAM_MODULE conf=$conf" >"$DT_WORK/services/dingtalk-trace"
conf=$(dt_module_conf proxy 'timeout = 30' "ca_file = $DT_TEST_CA" 'proxy_env = yes')
echo "auth required $DT_PAM_MODULE conf=$conf" >"$DT_WORK/services/dingtalk-proxy"
printf 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001:Alice:/nonexistent:/bin/bash\n' \
	>"$DT_WORK/passwd"
printf 'root:x:0:\nalice:x:1001:\n' >"$DT_WORK/group"

attacker="$DT_WORK/attacker"
mkdir -p "$attacker"
proxy="http://127.0.0.1:$(dt_free_port)" # nothing listens there

# login SERVICE NAME [VAR=value...]: alice logs in through SERVICE with the
# phone approving; terminal and trace in $DT_WORK/NAME.{terminal,trace}.
login() {
	local service=$1 name=$2
	shift 2
	: >"$DT_WORK/$name.terminal"
	"${PYTHON3:-python3}" "$DT_SRCDIR/tests/mock/phone.py" --number-from "$DT_WORK/$name.terminal" \
		--person alice --cafile "$DT_TEST_CA" --timeout 40 >"$DT_WORK/$name.phone" 2>&1 &
	DT_PIDS="$DT_PIDS $!"
	(
		umask 000
		exec env -i PATH=/usr/bin:/bin LANG=C.UTF-8 DT_GETENV_CANARY=1 \
			DT_GETENV_TRACE="$DT_WORK/$name.trace" \
			PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$DT_WORK/services" \
			NSS_WRAPPER_PASSWD="$DT_WORK/passwd" NSS_WRAPPER_GROUP="$DT_WORK/group" \
			SSLKEYLOGFILE="$attacker/keylog" CURL_CA_BUNDLE="$attacker/ca.pem" \
			SSL_CERT_FILE="$attacker/ca.pem" SSL_CERT_DIR="$attacker" \
			OPENSSL_CONF="$attacker/openssl.cnf" OPENSSL_MODULES="$attacker" \
			OPENSSL_ENGINES="$attacker" CURL_HOME="$attacker" HOME="$attacker" \
			TMPDIR="$attacker" http_proxy="$proxy" https_proxy="$proxy" \
			HTTPS_PROXY="$proxy" all_proxy="$proxy" ALL_PROXY="$proxy" "$@" \
			LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so $DT_WRAPPER_ENV $tracer" \
			stdbuf -o0 -e0 pamtester -v "$service" alice authenticate </dev/null
	) >"$DT_WORK/$name.terminal" 2>&1
}

login dingtalk-trace plain
rc=$?
terminal="$DT_WORK/plain.terminal"
trace="$DT_WORK/plain.trace"

ok() { # ok N COND-EXIT-STATUS NAME [DETAIL-FILE]
	if [ "$2" -eq 0 ]; then
		echo "ok $1 - $3"
	else
		echo "not ok $1 - $3"
		[ -n "${4:-}" ] && [ -e "$4" ] && sed 's/^/# /' "$4"
	fi
}

ok 1 "$rc" "pamtester: the login with a hostile environment succeeds" "$terminal"
[ ! -e "$attacker/keylog" ]
ok 2 $? "no key log file appears (SSLKEYLOGFILE)"

# Objects that belong to the module: itself, pam_dingtalk_net.so (libcurl's
# side, which it loads when a login needs DingTalk) and every library
# either links (ldd), without glibc and libpam, which the host has loaded
# anyway.
libs="$DT_WORK/module-libs"
net="$(dirname "$DT_PAM_MODULE")/pam_dingtalk_net.so"
[ -e "$net" ] || bail "$net is not built"
{
	echo pam_dingtalk.so
	echo pam_dingtalk_net.so
	ldd "$DT_PAM_MODULE" "$net" | awk '/:$/ { next } {print $1}' | sed 's|.*/||' |
		grep -Ev '^(linux-vdso|ld-linux|libc\.so|libpam\.so|libpthread\.so|libdl\.so)'
} | sort -u >"$libs"
module_reads="$DT_WORK/module-reads"
awk -F'\t' 'NR == FNR { lib[$1] = 1; next } ($1 in lib)' "$libs" "$trace" >"$module_reads"

grep -q $'^libcurl[^\t]*\tgetenv\tSSLKEYLOGFILE\t' "$module_reads"
ok 3 $? "the tracer sees libcurl's getenv (SSLKEYLOGFILE)" "$trace"

# Reads outside pam_sm_authenticate, which no guard can cover: library
# constructors when libpam loads the module, destructors when it unloads
# it. Each is judged in SECURITY.md; a new one fails here until it is.
load_time='^(P11_KIT_STRICT|P11_KIT_DEBUG|NETTLE_FAT_VERBOSE|NETTLE_FAT_OVERRIDE|OPENSSL_ia32cap|GNUTLS_[A-Z_]+)$'
awk -F'\t' -v known="$load_time" '$5 == "host" && $3 !~ known' "$module_reads" \
	>"$DT_WORK/host-reads"
[ ! -s "$DT_WORK/host-reads" ]
ok 4 $? "no read by the module or its libraries reached the caller's environment (but the known load-time ones)" \
	"$DT_WORK/host-reads"

awk -F'\t' '$4 == "set"' "$module_reads" >"$DT_WORK/found"
[ ! -s "$DT_WORK/found" ]
ok 5 $? "every variable they asked for was absent (the module's environment is empty)" \
	"$DT_WORK/found"

# proxy_env: the proxy variables, and only they, reach libcurl. no_proxy
# sends the loopback mock around the dead proxy: the login succeeds only
# if libcurl found it in the module's environment. A caller that is not
# root is taken for su's or sudo's, whose proxy variables never count
# (proxy_env is off there): only root can check this.
if [ "$(id -u)" -ne 0 ]; then
	echo "ok 6 # SKIP needs root: proxy_env is off under a caller that is not root"
else
	login dingtalk-proxy proxy no_proxy=127.0.0.1
	rc=$?
	awk -F'\t' 'NR == FNR { lib[$1] = 1; next } ($1 in lib) && $4 == "set"' "$libs" \
		"$DT_WORK/proxy.trace" | cut -f1,3,5 | sort -u >"$DT_WORK/proxy-found"
	[ $rc -eq 0 ] && [ "$(cut -f2,3 "$DT_WORK/proxy-found" | tr '\t\n' ': ')" = "no_proxy:module " ]
	ok 6 $? "proxy_env: libcurl finds no_proxy in the module's environment, nothing else" \
		"$DT_WORK/proxy-found"
fi

echo "# what the module and its libraries read (count, object, function, name, environment):"
cut -f1-3,5 "$module_reads" | sort | uniq -c | sed 's/^/# /'
exit 0
