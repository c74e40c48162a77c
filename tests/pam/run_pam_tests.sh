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

dt_make_test_ca || bail "cannot make the test CA"
dt_start_mock || bail "the DingTalk mock did not start"
dt_start_tls_mock || bail "the TLS mock did not start: $(cat "$DT_WORK/tls/mock.out")"
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
service dingtalk_enter "$(dt_module_conf enter 'timeout = 30' 'wait = enter' 'max_tries = 4')"
service dingtalk_zh "$(dt_module_conf zh 'timeout = 30' 'lang = zh_CN')"
service sudo "$DT_WORK/ok.conf"
# Policy (issue 5): root, groups, failmode, audit, per-service sections.
service dingtalk_root "$(dt_module_conf root 'timeout = 30' 'allow_root = yes')"
service dingtalk_only "$(dt_module_conf only 'timeout = 30' 'only_groups = dingtalk-users, !contractors')"
service dingtalk_skip "$(dt_module_conf skip 'timeout = 30' 'skip_groups = !dingtalk-users')"
service dingtalk_safe "$(dt_module_conf safe 'timeout = 30' 'failmode = safe')"
service dingtalk_safe_nohelper "$(dt_module_conf safe_nohelper 'failmode = safe' "helper = unix:$DT_WORK/absent.sock")"
service dingtalk_nomap "$(dt_module_conf nomap 'timeout = 30' "map_file = $DT_WORK/absent.map")"
service dingtalk_safe_nomap "$(dt_module_conf safe_nomap 'timeout = 30' 'failmode = safe' "map_file = $DT_WORK/absent.map")"
service dingtalk_json "$(dt_module_conf json 'timeout = 30' 'audit = json')"
sections=$(dt_module_conf sections 'timeout = 30' "helper = unix:$DT_WORK/absent.sock" \
	'[service dingtalk_sect_safe]' 'failmode = safe' \
	'[service dingtalk_sect_ok]' "helper = unix:$DT_CONTROL" \
	'[service dingtalk_other]' 'allow_root = yes')
service dingtalk_sect_safe "$sections"
service dingtalk_sect_ok "$sections"
service dingtalk_sect_plain "$sections"
service dingtalk_sect_typo "$(dt_module_conf sect_typo '[service sshd]' 'alow_root = yes')"
# su: pam_wrapper's pam_set_items sets PAM_RUSER from the environment, as su
# sets it to the calling user.
set_items=$(ls /usr/lib/*/pam_wrapper/pam_set_items.so 2>/dev/null | head -n 1)
{
	echo "auth required $set_items"
	echo "auth required $DT_PAM_MODULE conf=$DT_WORK/ok.conf"
} >"$DT_WORK/services/su"
# issue 4: the three flows, corp_id, the directory, TLS.
oapi="oapi_base = $DT_MOCK_URL"
cache="token_cache = $DT_WORK/cache/app-token"
# Map sources and directory rules (issue 5).
service dingtalk_userfile "$(dt_module_conf userfile 'timeout = 30' 'map = userfile')"
service dingtalk_file_userfile "$(dt_module_conf file_userfile 'timeout = 30' 'map = file userfile')"
service dingtalk_dir_email "$(dt_module_conf dir_email 'timeout = 30' 'map = directory:email' 'email_domain = corp.example, example.com' 'directory = yes' "$oapi" "$cache")"
# alice's address (alice@example.com) is in a domain this one does not trust.
service dingtalk_dir_email_foreign "$(dt_module_conf dir_email_foreign 'timeout = 30' 'map = directory:email' 'email_domain = corp.example' 'directory = yes' "$oapi" "$cache")"
service dingtalk_dir_userid "$(dt_module_conf dir_userid 'timeout = 30' 'map = directory:userid' 'map_transform = lower' 'directory = yes' "$oapi" "$cache")"
service dingtalk_active "$(dt_module_conf active 'timeout = 30' 'require_active = yes' 'directory = yes' "$oapi" "$cache")"
service dingtalk_depts "$(dt_module_conf depts 'timeout = 30' 'allowed_depts = 1, 7' 'directory = yes' "$oapi" "$cache")"
# allow_external: carol (an external contact) may log in as bob.
printf 'uCarol0000000000000000iEiE bob\n' >"$DT_WORK/external.map"
chmod 0644 "$DT_WORK/external.map"
service dingtalk_external "$(dt_module_conf external 'timeout = 30' 'directory = yes' 'allow_external = yes' "map_file = $DT_WORK/external.map" "$oapi" "$cache")"
# The same under failmode = safe; and a map by directory email, carol's
# (carol@partner.example) in a trusted domain.
service dingtalk_external_safe "$(dt_module_conf external_safe 'timeout = 30' 'failmode = safe' 'directory = yes' 'allow_external = yes' "map_file = $DT_WORK/external.map" "$oapi" "$cache")"
service dingtalk_external_email "$(dt_module_conf external_email 'timeout = 30' 'directory = yes' 'allow_external = yes' 'map = directory:email' 'email_domain = partner.example' "$oapi" "$cache")"
service dingtalk_active_nodir "$(dt_module_conf active_nodir 'timeout = 30' 'require_active = yes')"
service dingtalk_sns "$(dt_module_conf sns 'flow = sns' "$oapi" 'timeout = 30')"
service dingtalk_inapp "$(dt_module_conf inapp 'flow = inapp' 'corp_id = dingmockcorp0000000000000000000000' "$oapi" "token_cache = $DT_WORK/cache3/app-token" 'timeout = 30')"
service dingtalk_corp "$(dt_module_conf corp 'corp_id = dingmockcorp0000000000000000000000' 'timeout = 30')"
service dingtalk_othercorp "$(dt_module_conf othercorp 'corp_id = dingothercorp' 'timeout = 30')"
service dingtalk_dir "$(dt_module_conf dir 'directory = yes' "$oapi" "$cache" 'timeout = 30')"
service dingtalk_dir_safe "$(dt_module_conf dir_safe 'directory = yes' 'failmode = safe' "$oapi" "$cache" 'timeout = 30')"
service dingtalk_dir_gettoken "$(dt_module_conf dir_gettoken 'directory = yes' 'token_api = gettoken' "$oapi" "token_cache = $DT_WORK/cache2/app-token" 'timeout = 30')"
# issue 14: a base with a path, which DingTalk answers with errcode 404.
service dingtalk_wrongbase "$(dt_module_conf wrongbase "api_base = $DT_MOCK_URL/wrong" 'timeout = 30')"
service dingtalk_tls_untrusted "$(dt_module_conf tls_untrusted "api_base = $DT_TLS_URL" 'timeout = 30')"
service dingtalk_tls "$(dt_module_conf tls "login_base = $DT_TLS_URL" "api_base = $DT_TLS_URL" "ca_file = $DT_TEST_CA" 'timeout = 30')"
# Recovery codes (issue 5): offered only while the helper is unreachable.
rec="recovery_file = $DT_WORK/recovery"
service dingtalk_recovery "$(dt_module_conf recovery "$rec" "helper = unix:$DT_WORK/absent.sock")"
service dingtalk_recovery_up "$(dt_module_conf recovery_up "$rec" 'timeout = 30')"
service dingtalk_recovery_off "$(dt_module_conf recovery_off "$rec" 'recovery = no' "helper = unix:$DT_WORK/absent.sock")"
# set_user: bob serves one account, alice two, dave only root, mallory none.
cat >"$DT_WORK/setuser.map" <<MAP
uAlice0000000000000000iEiE    alice alice-admin
uBob00000000000000000000iEiE  bob
uDave00000000000000000000iEiE root
MAP
chmod 0644 "$DT_WORK/setuser.map"
service dingtalk_setuser "$(dt_module_conf setuser 'timeout = 30' "map_file = $DT_WORK/setuser.map" \
	'[service dingtalk_setuser]' 'set_user = yes')"
# Over sshd (issue 15, test_pam_ssh_wait): no prompt, then the prompt.
service dingtalk_ssh_poll "$(dt_module_conf ssh_poll 'timeout = 30' 'wait = poll' 'prompt_after = 5')"
service dingtalk_ssh_late_prompt "$(dt_module_conf ssh_late_prompt 'timeout = 21' 'wait = poll' 'prompt_after = 600')"
service dingtalk_ssh_auto "$(dt_module_conf ssh_auto 'timeout = 30')"
service dingtalk_poll_short "$(dt_module_conf poll_short 'timeout = 10' 'wait = poll' 'prompt_after = 5')"
service sudo_safe "$(dt_module_conf sudo_safe 'timeout = 30' 'failmode = safe')"
echo "auth required $DT_PAM_MODULE conf=$DT_WORK/ok.conf no_such_argument" \
	>"$DT_WORK/services/dingtalk_badarg"

cat >"$DT_WORK/passwd" <<PW
root:x:0:0:root:/root:/bin/bash
alice:x:1001:1001:Alice:$DT_WORK/home/alice:/bin/bash
bob:x:1002:1002:Bob:/home/bob:/bin/bash
alice-admin:x:1003:1003:Alice (admin):/home/alice:/bin/bash
zhangalice01:x:1004:1004:Alice by userid:/home/zhangalice01:/bin/bash
PW
mkdir -p "$DT_WORK/home/alice"
# alice's home is hers only when root can give it to her; the cases that
# need that skip without root (test_pam_flow.c, needs_root).
[ "$(id -u)" -ne 0 ] || chown 1001:1001 "$DT_WORK/home/alice"
chmod 0700 "$DT_WORK/home/alice"
cat >"$DT_WORK/group" <<GR
root:x:0:
alice:x:1001:
bob:x:1002:
alice-admin:x:1003:
dingtalk-users:x:1010:alice,alice-admin
contractors:x:1011:alice-admin
GR

export DT_WORK
export DT_PHONE="$DT_SRCDIR/tests/mock/phone.py"
export DT_MOCK_STATS="$DT_MOCK_URL/_mock/stats"
export PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$DT_WORK/services" PAM_WRAPPER_DEBUGLEVEL=2
export NSS_WRAPPER_PASSWD="$DT_WORK/passwd" NSS_WRAPPER_GROUP="$DT_WORK/group"
export LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so $DT_WRAPPER_ENV${LD_PRELOAD:+ $LD_PRELOAD}"
# run_pam_soak.sh runs another program (and arguments) on the same stage;
# through the cmocka TAP filter a skipped case is a skip.
# shellcheck disable=SC2086
sh "$DT_SRCDIR/tests/tools/cmocka_tap.sh" ${DT_TEST_WRAPPER:-} "$DT_BUILDDIR/tests/pam/${DT_PAM_PROGRAM:-test_pam_flow}" ${DT_PAM_ARGS:-} \
	2>"$DT_WORK/test.err"
rc=$?
if [ $rc -ne 0 ]; then
	echo "# --- test stderr ---"; sed 's/^/# /' "$DT_WORK/test.err"
	echo "# --- callbackd log ---"; tail -n 40 "$DT_WORK/callbackd.log" | sed 's/^/# /'
	for f in "$DT_WORK"/case-*.log "$DT_WORK"/phone-*.log; do [ -e "$f" ] && { echo "# --- $f ---"; sed 's/^/# /' "$f"; }; done
fi
exit $rc
