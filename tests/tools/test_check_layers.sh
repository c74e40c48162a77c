#!/bin/sh
# TAP tests of check_layers.sh on small made-up trees: it finds each kind of
# violation, and text that only looks like an include (in a comment or a
# string) is none.

set -u
here=$(cd "$(dirname "$0")" && pwd)
check="$here/check_layers.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A tree that keeps every rule: one header per layer, each including the
# layer below, and a helper file using base/.
make_tree() {
	rm -rf "$tmp/t"
	for d in base proto conf dingtalk access login; do
		mkdir -p "$tmp/t/src/core/$d"
	done
	mkdir -p "$tmp/t/src/callbackd" "$tmp/t/src/pam"
	echo '#include <stdio.h>' >"$tmp/t/src/core/base/util.h"
	echo '#include "base/util.h"' >"$tmp/t/src/core/proto/control_api.h"
	printf '#include "base/util.h"\n#include "proto/control_api.h"\n' >"$tmp/t/src/core/conf/cfg.h"
	printf '#include "conf/cfg.h"\n' >"$tmp/t/src/core/dingtalk/api.h"
	printf '#include "dingtalk/api.h"\n#include "proto/control_api.h"\n' \
		>"$tmp/t/src/core/access/scope.h"
	printf '#include "config.h"\n#include "access/scope.h"\n' >"$tmp/t/src/core/login/login.c"
	printf '#include "config.h"\n#include "proto/control_api.h"\n#include "conf/cfg.h"\n#include "wait.h"\n' \
		>"$tmp/t/src/callbackd/main.c"
	echo '/* helper */' >"$tmp/t/src/pam/account_checks.h"
}

# run: the check's exit status and its failing case numbers, "rc:1 2".
run() {
	out=$(sh "$check" "$tmp/t")
	rc=$?
	bad=$(printf '%s\n' "$out" | sed -n 's/^not ok \([0-9]*\) - .*/\1/p' | tr '\n' ' ')
	echo "rc:$rc ${bad% }"
}

. "$here/tap_expect.sh"

echo "1..8"

make_tree
expect "a tree that keeps the rules passes" "rc:0 " "$(run)"

make_tree
cat >>"$tmp/t/src/core/base/util.h" <<'EOF'
/* Not an include:
#include "login/login.h"
 */
// #include "access/scope.h"
static const char *s = "#include \"login/login.h\" /*";
#define X 1 /* #include "dingtalk/api.h" */
EOF
expect "includes in comments and strings are no violation" "rc:0 " "$(run)"

make_tree
echo '#include "access/scope.h"' >>"$tmp/t/src/core/base/util.h"
expect "base including access is caught" "rc:1 1" "$(run)"

make_tree
echo '#  include "access/scope.h"' >>"$tmp/t/src/core/conf/cfg.h"
expect "conf including access is caught (spaces after #)" "rc:1 3" "$(run)"

make_tree
echo '#include "conf/cfg.h"' >>"$tmp/t/src/core/proto/control_api.h"
expect "proto including conf, above it, is caught" "rc:1 2" "$(run)"

make_tree
echo '#include "account_checks.h"' >>"$tmp/t/src/core/login/login.c"
expect "core including a bare header of src/pam is caught" "rc:1 7" "$(run)"

make_tree
echo '#include "../../pam/account_checks.h"' >>"$tmp/t/src/core/access/scope.h"
expect "core reaching src/pam by a relative path is caught" "rc:1 5 7" "$(run)"

make_tree
echo '#include "dingtalk/api.h"' >>"$tmp/t/src/callbackd/main.c"
expect "the helper including dingtalk/ is caught" "rc:1 8" "$(run)"
