#!/bin/bash
# scripts/install-config, which `make install` and `make uninstall` use for
# the configuration files (TAP): a new file gets its mode before it has its
# name, whatever the umask; an existing file, or a symbolic link, is never
# replaced or followed; uninstall removes only an unchanged example.
set -u
script=${DT_SRCDIR:?}/scripts/install-config
work=$(mktemp -d "${TMPDIR:-/tmp}/dt-instconf.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
n=0
failed=0
ok() { # ok STATUS DESCRIPTION DETAIL
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		echo "#   ${3:-}"
		failed=1
	fi
}
mode() { stat -c %a "$1"; }

printf 'client_secret = EXAMPLE\n' >"$work/example"
dest=$work/etc/security/pam_dingtalk.conf

(umask 000 && sh "$script" install 0600 "$work/example" "$dest") >/dev/null
[ "$(mode "$dest")" = 600 ] && cmp -s "$work/example" "$dest"
ok $? "a new secret file: the example, mode 0600 under umask 000" "$(mode "$dest" 2>&1)"

printf 'client_secret = THE-ADMINS\n' >"$dest"
chmod 0640 "$dest"
out=$(sh "$script" install 0600 "$work/example" "$dest")
grep -q THE-ADMINS "$dest" && [ "$(mode "$dest")" = 640 ] && [[ $out == *"exists: kept"* ]]
ok $? "an existing file is kept as it is (contents and mode), and said so" "$out"

ln -s "$work/elsewhere" "$work/link"
sh "$script" install 0600 "$work/example" "$work/link" >/dev/null
[ -L "$work/link" ] && [ ! -e "$work/elsewhere" ]
ok $? "a symbolic link in the way is neither replaced nor followed" "$(ls -l "$work")"

sh "$script" uninstall 0600 "$work/example" "$dest" >/dev/null
[ -f "$dest" ]
ok $? "uninstall keeps a changed file" ""

rm -f "$dest" && sh "$script" install 0600 "$work/example" "$dest" >/dev/null &&
	sh "$script" uninstall 0600 "$work/example" "$dest" >/dev/null
[ ! -e "$dest" ]
ok $? "uninstall removes the unchanged example" "$(ls -l "$dest" 2>&1)"

ls "$work/etc/security" | grep -q . && leftover=1 || leftover=0
[ $leftover -eq 0 ]
ok $? "no temporary file left beside it" "$(ls -a "$work/etc/security")"

echo "1..$n"
exit $failed
