#!/bin/sh
# The include rules of docs/architecture.md ("The layers"), one TAP case
# per rule:
#
#   src/core's layers, lowest first: base < proto < conf < dingtalk <
#   access < login. A core file includes headers of its own layer and of
#   layers below it. proto holds what both ends of the control
#   API agree on (its constants, the signed request's string), so it sits
#   just above base. Every quoted include in src/core names a layer
#   ("base/util.h") or is autoconf's "config.h": nothing in src/core
#   reaches src/pam, src/callbackd or src/ctl. The helper (src/callbackd)
#   takes from the core only base/, conf/cfg.h and proto/: it has no use
#   for DingTalk's API, the module's configuration, mapping or the login.
#
# Only #include directives count: text inside comments and string
# literals is skipped, so a comment quoting an include is no violation.
#
# Usage: check_layers.sh [SRCDIR]   (default $DT_SRCDIR, else .)
# Exit status 0 when every rule holds.

set -u
top=${1:-${DT_SRCDIR:-.}}
if [ ! -d "$top/src/core" ]; then
	echo "Bail out! no src/core under $top"
	exit 1
fi

# Prints "file header" for each quoted #include of the files given,
# skipping comments and string and character literals.
includes() {
	awk '
	FNR == 1 { in_comment = 0 }
	{
		line = $0; code = ""; i = 1; n = length(line)
		while (i <= n) {
			c = substr(line, i, 1); two = substr(line, i, 2)
			if (in_comment) {
				if (two == "*/") { in_comment = 0; i += 2 } else i++
				continue
			}
			if (two == "/*") { in_comment = 1; code = code " "; i += 2; continue }
			if (two == "//") break
			if (c == "\"" || c == "'\''") {
				# A literal: kept whole (an include names its header
				# as one), its content never read as comment.
				q = c; j = i + 1
				while (j <= n && substr(line, j, 1) != q)
					j += (substr(line, j, 1) == "\\") ? 2 : 1
				code = code substr(line, i, j - i + 1); i = j + 1
				continue
			}
			code = code c; i++
		}
		if (code ~ /^[ \t]*#[ \t]*include[ \t]*"/) {
			sub(/^[ \t]*#[ \t]*include[ \t]*"/, "", code)
			sub(/".*/, "", code)
			print FILENAME, code
		}
	}' "$@"
}

# The layers a core layer may include, itself first.
allowed_for() {
	case $1 in
	base) echo "base" ;;
	proto) echo "proto base" ;;
	conf) echo "conf proto base" ;;
	dingtalk) echo "dingtalk conf proto base" ;;
	access) echo "access dingtalk proto conf base" ;;
	login) echo "login access dingtalk proto conf base" ;;
	esac
}

# Prints the violations of one rule: "file header" lines read on stdin
# that the predicate named by $1 rejects.
filter() {
	pred=$1
	while read -r file header; do
		$pred "$file" "$header" || echo "$file $header"
	done
}

in_layer_order() { # file header
	layer=${1#src/core/}
	layer=${layer%%/*}
	hdr_layer=${2%%/*}
	case $2 in */*) ;; *) return 0 ;; esac # bare names: the next rule
	for ok in $(allowed_for "$layer"); do
		[ "$hdr_layer" = "$ok" ] && return 0
	done
	return 1
}

names_a_core_header() { # file header
	[ "$2" = config.h ] && return 0
	case $2 in
	base/* | conf/* | dingtalk/* | proto/* | access/* | login/*)
		[ -f "$top/src/core/$2" ]
		return
		;;
	esac
	return 1
}

helper_takes_little() { # file header
	case $2 in
	base/* | proto/* | conf/cfg.h) return 0 ;;
	*/*) [ ! -f "$top/src/core/$2" ] ;; # not a core header
	*) return 0 ;;                       # its own, or config.h
	esac
}

n=0
fails=0
# report DESCRIPTION VIOLATIONS: one TAP line, the violations as comments.
report() {
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
		return
	fi
	echo "not ok $n - $1"
	fails=$((fails + 1))
	printf '%s\n' "$2" | sed 's/^\([^ ]*\) \(.*\)$/#   \1 includes "\2"/'
}

cd "$top" || exit 1
layers="base proto conf dingtalk access login"
echo "1..$(($(echo $layers | wc -w) + 2))"
for layer in $layers; do
	files=$(find "src/core/$layer" -name '*.[ch]' 2>/dev/null | sort)
	bad=""
	[ -n "$files" ] && bad=$(includes $files | filter in_layer_order)
	report "src/core/$layer includes only $(allowed_for $layer | tr ' ' ',')" "$bad"
done
bad=$(includes $(find src/core -name '*.[ch]' | sort) | filter names_a_core_header)
report "src/core includes only core headers (nothing of src/pam, src/callbackd, src/ctl)" "$bad"
bad=$(includes $(find src/callbackd -name '*.[ch]' | sort) | filter helper_takes_little)
report "src/callbackd takes from the core only base/, conf/cfg.h and proto/" "$bad"
[ "$fails" -eq 0 ]
