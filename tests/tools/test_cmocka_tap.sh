#!/bin/sh
# TAP tests of cmocka_tap.sh: cmocka's skipped case becomes a skip, and
# nothing else changes: a failing case, its exit status, lines that only
# look like a skip.

set -u
here=$(cd "$(dirname "$0")" && pwd)
filter="$here/cmocka_tap.sh"

. "$here/tap_expect.sh"

# run TEXT STATUS: what the filter prints of a made-up cmocka program that
# prints TEXT (with \n escapes) and exits with STATUS, then "rc:N".
run() {
	out=$(sh "$filter" sh -c 'printf "$0"; exit "$1"' "$1" "$2" 2>/dev/null)
	rc=$?
	printf '%s|rc:%s' "$(printf '%s' "$out" | tr '\n' '|')" "$rc"
}

echo "1..6"

expect "a skipped case becomes a skip" \
	"1..2|ok 1 - a|ok 2 # SKIP b|rc:0" "$(run '1..2\nok 1 - a\nnot ok 2 # SKIP b\n' 0)"
expect "a failing case still fails, with its exit status" \
	"1..2|ok 1 # SKIP a|not ok 2 - b|rc:1" "$(run '1..2\nnot ok 1 # SKIP a\nnot ok 2 - b\n' 1)"
expect "a failure whose name holds SKIP stays a failure" \
	"not ok 1 - b # SKIPPED|not ok 2 - # SKIP|rc:2" \
	"$(run 'not ok 1 - b # SKIPPED\nnot ok 2 - # SKIP\n' 2)"
expect "only the exact pattern: not at the start, nor # SKIPX" \
	"# not ok 1 # SKIP a|not ok 1 # SKIPX|rc:0" "$(run '# not ok 1 # SKIP a\nnot ok 1 # SKIPX\n' 0)"
expect "a skip at the end of a line without a reason" "ok 3 # SKIP|rc:0" "$(run 'not ok 3 # SKIP\n' 0)"
crashed=$(sh "$filter" sh -c 'echo 1..1; kill -SEGV $$' 2>/dev/null)
expect "a program that crashes keeps its signal's status" "1..1 rc:139" "$crashed rc:$?"
