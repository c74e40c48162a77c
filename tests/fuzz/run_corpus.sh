#!/bin/bash
# Replays every fuzz target's corpus (seeds and regression inputs): one TAP
# line per target. Under libFuzzer the target runs the files given and
# fuzzes nothing; under replay.c it does the same.
set -u
set -- $DT_FUZZ_TARGETS
echo "1..$#"
i=0
for t in "$@"; do
	i=$((i + 1))
	dir="$DT_FUZZ_CORPUS/$t"
	files=$(find "$dir" -type f 2>/dev/null | sort)
	if [ -z "$files" ]; then
		echo "not ok $i - $t: no corpus in $dir"
		continue
	fi
	# shellcheck disable=SC2086
	if out=$(./"$t" $files 2>&1); then
		echo "ok $i - $t: $(echo "$files" | wc -l) inputs"
	else
		echo "not ok $i - $t"
		echo "$out" | tail -n 40 | sed 's/^/# /'
	fi
done
