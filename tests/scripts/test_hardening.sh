#!/bin/bash
# Every binary that gets installed carries the hardening configure.ac asks
# for (TAP): the module, the helper and the CLI. They are checked as built:
# `make install` copies them unchanged (nothing here is relinked on
# install). DT_FORTIFY is the _FORTIFY_SOURCE level configure chose, empty
# where it chose none (sanitizer and fuzzing builds, -O0).
set -u
build=${DT_BUILDDIR:?}
n=0
failed=0

ok() { # ok CONDITION-STATUS DESCRIPTION [DIAGNOSTIC]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
		failed=1
	fi
}

skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

if ! command -v readelf >/dev/null; then
	echo "1..0 # SKIP readelf (binutils) not installed"
	exit 0
fi

# check NAME FILE KIND: KIND is "program" (must be PIE) or "module".
check() {
	local name=$1 file=$2 kind=$3 header dynamic segments symbols
	if [ ! -f "$file" ] || ! header=$(readelf -h "$file" 2>&1); then
		ok 1 "$name: built ($file)" "${header:-missing}"
		return
	fi
	dynamic=$(readelf -d "$file")
	segments=$(readelf -lW "$file")
	symbols=$(readelf --dyn-syms -W "$file")
	if [ "$kind" = program ]; then
		# A PIE is ELF type DYN and says so in FLAGS_1 (a library does not).
		grep -q 'Type: *DYN' <<<"$header" && grep -q 'FLAGS_1.*PIE' <<<"$dynamic"
		ok $? "$name: position-independent executable (DYN, FLAGS_1 PIE)" \
			"$(grep 'Type:' <<<"$header"; grep FLAGS <<<"$dynamic")"
	fi
	grep -q 'GNU_RELRO' <<<"$segments"
	ok $? "$name: RELRO segment (GNU_RELRO)"
	grep -qE '\((BIND_NOW|FLAGS)\) .*BIND_NOW|\(FLAGS_1\) .*Flags:.* NOW( |$)' <<<"$dynamic"
	ok $? "$name: bound now (full RELRO)" "$(grep FLAGS <<<"$dynamic")"
	grep -E 'GNU_STACK' <<<"$segments" | grep -qE ' RW  *0x'
	ok $? "$name: stack not executable (GNU_STACK RW)" "$(grep GNU_STACK <<<"$segments")"
	grep -qE 'UND __stack_chk_fail(@|$)' <<<"$symbols"
	ok $? "$name: stack protector (references __stack_chk_fail)"
	if [ -n "${DT_FORTIFY:-}" ]; then
		grep -qE 'UND __[a-z_]+_chk(@|$)' <<<"$symbols"
		ok $? "$name: _FORTIFY_SOURCE=$DT_FORTIFY (references __*_chk)"
	else
		skip "$name: _FORTIFY_SOURCE is off in this build"
	fi
}

check pam_dingtalk.so "$build/src/pam/.libs/pam_dingtalk.so" module
check dingtalk-callbackd "$build/src/callbackd/dingtalk-callbackd" program
check dingtalk-ctl "$build/src/ctl/dingtalk-ctl" program
echo "1..$n"
exit $failed
