#!/bin/bash
# The README's demo, end to end: it must exit 0, print a successful PAM
# result, and draw a QR that zbarimg reads back as the short link.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout 120 "$top/scripts/demo" >"$out" 2>&1
rc=$?
cat "$out"
[ $rc -eq 0 ] || { echo "demo exited $rc"; exit 1; }
grep -q "pamtester: successfully authenticated" "$out" || { echo "no PAM success"; exit 1; }
grep -q "decodes (zbarimg) to the short link: http" "$out" || { echo "QR not decoded"; exit 1; }
