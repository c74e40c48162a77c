# Shared by scripts/demo and scripts/test: install what a fresh Debian 12
# machine lacks, and build the tree.

DT_BUILD_PACKAGES="build-essential autoconf automake libtool pkg-config
libpam0g-dev libcurl4-openssl-dev libjson-c-dev libssl-dev libqrencode-dev
libmicrohttpd-dev libhiredis-dev python3 curl"
# zlib1g-dev, with libpam0g-dev, libssl-dev and autoconf above: what the
# real-client suite's OpenSSH 10.3+ build needs (tests/e2e/openssh_cache.py).
# chromium and fonts-wqy-microhei: the browser test (check-browser) and its
# screenshots' Chinese.
DT_TEST_PACKAGES="libcmocka-dev libpamtest0-dev libpam-wrapper libnss-wrapper
pamtester zbar-tools qrencode clang-format openssh-server openssh-client sudo
clang libclang-rt-14-dev valgrind redis-server redis-sentinel mandoc groff systemd
debhelper lintian devscripts nginx-light zlib1g-dev chromium fonts-wqy-microhei"

say() { printf '==> %s\n' "$*" >&2; }

# dt_install PACKAGE...: installs the packages that are missing (as root).
dt_install() {
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		say "missing packages:$missing (run as root to install them)"
		return 1
	fi
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# dt_build: configure (once) and build in the source tree.
dt_build() {
	local top=$1
	(
		cd "$top" || exit 1
		if [ ! -x configure ] || [ configure.ac -nt configure ]; then
			say "autoreconf"
			autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }
		fi
		if [ ! -f Makefile ] || [ configure -nt Makefile ]; then
			say "configure"
			./configure -q --enable-werror >/dev/null || exit 1
		fi
		say "make"
		make -j"$(nproc)" >/dev/null || make
	)
}

# dt_build_variant TOP DIR CONFIGURE-ARGS...: a second build of the tree
# (sanitizers, fuzzing) in DIR/build from a clean copy in DIR/src. The copy
# is `make distdir` of the configured source tree: a VPATH build cannot
# start from a tree that is configured in place, and the copy also proves
# that the distribution carries everything the suites need.
dt_build_variant() {
	local top=$1 dir=$2
	shift 2
	rm -rf "$dir" && mkdir -p "$dir/build" || return 1
	dt_distdir "$top" "$dir/src" || return 1
	(
		cd "$dir/build" || exit 1
		../src/configure -q "$@" >/dev/null || exit 1
		make -j"$(nproc)" >/dev/null || make
	)
}

# dt_distdir TOP DEST: `make distdir` of the configured tree TOP, moved to
# DEST (which must not exist).
dt_distdir() {
	local distname
	distname=$(sed -n 's/^PACKAGE_TARNAME = //p' "$1/Makefile")-$(sed -n 's/^VERSION = //p' "$1/Makefile")
	(cd "$1" && rm -rf "$distname" && make distdir >/dev/null && mv "$distname" "$2")
}

# dt_man_lint PAGE: fails when mandoc -Tlint (every level, style
# included) or groff -ww (every warning, UTF-8 device: the pages name
# DingTalk's Chinese menus) says anything about PAGE.
dt_man_lint() {
	local out
	out=$(mandoc -Tlint "$1" 2>&1; LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z "$1" 2>&1)
	[ -z "$out" ] || { printf '%s\n' "$out"; return 1; }
}

# dt_unit_for_build TOP DIR: DIR/dingtalk-callbackd.service from the unit's
# template, with the helper of TOP's build (systemd-analyze verify wants the
# programs it names to exist).
dt_unit_for_build() {
	sed -e "s|@sbindir@|$1/src/callbackd|g" -e "s|@sysconfdir@|/etc|g" \
		"$1/systemd/dingtalk-callbackd.service.in" >"$2/dingtalk-callbackd.service"
}

# dt_unit_exposure UNIT MAX: prints systemd-analyze's exposure figure of
# UNIT (offline: no running systemd needed); fails when it is above MAX or
# when no figure could be read.
dt_unit_exposure() {
	local out figure
	out=$(systemd-analyze security --offline=yes --no-pager "$1" 2>&1)
	figure=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p')
	if [ -z "$figure" ]; then
		printf '%s\n' "$out"
		echo "no exposure figure in systemd-analyze's output"
		return 1
	fi
	echo "exposure of $(basename "$1"): $figure (at most $2)"
	printf '%s\n' "$out" | grep '✗'
	awk -v f="$figure" -v m="$2" 'BEGIN { exit !(f <= m) }'
}

# The environment the sanitizer build's suites run in. Every report goes to
# a file under $1 (also from the helper, which the harness stops with
# SIGTERM and whose stderr is a deleted temp file), so a report fails the
# run even when the test that caused it passed. pam_wrapper 1.1.4 reads
# UID_WRAPPER_DISABLE_DEEPBIND (an upstream slip), not
# PAM_WRAPPER_DISABLE_DEEPBIND: set both, RTLD_DEEPBIND breaks ASan.
# Not strict_string_checks: it takes strndup(buf, len) of a buffer without
# a NUL for an overflow, which is how the parsers read bounded input.
dt_sanitizer_env() {
	export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:log_path=$1/asan"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$1/ubsan"
	export PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1
	export NSS_WRAPPER_DISABLE_DEEPBIND=1
}

# Fails (printing them) if any sanitizer report was written under $1.
dt_no_sanitizer_reports() {
	local f found=0
	for f in "$1"/*; do
		[ -e "$f" ] || continue
		found=1
		echo "--- $f" && head -n 60 "$f"
	done
	[ "$found" -eq 0 ]
}

# dt_valgrind_helper_suite TOP DIR [SCRIPT]: tests/callbackd/test_callbackd.py
# (or SCRIPT, e.g. tests/callbackd/test_load.py) with every helper it starts
# (with sessions in every state, a shutdown with a waiter suspended,
# configuration errors) under valgrind memcheck. Fails on a failed case or
# on any error or definite/indirect leak.
dt_valgrind_helper_suite() {
	local top=$1 dir=$2 script=${3:-$1/tests/callbackd/test_callbackd.py} log rc=0
	mkdir -p "$dir" && rm -f "$dir"/*.log
	cat >"$dir/helper.sh" <<WRAP
#!/bin/sh
exec valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
	--show-leak-kinds=definite,indirect --log-file=$dir/helper.%p.log \
	$top/src/callbackd/dingtalk-callbackd "\$@"
WRAP
	chmod 0755 "$dir/helper.sh"
	DT_SRCDIR=$top DT_BUILDDIR=$top DT_CALLBACKD=$dir/helper.sh \
		python3 "$script" >"$dir/tap" 2>&1
	if grep -q '^not ok' "$dir/tap" || ! grep -q '^1\.\.[1-9]' "$dir/tap"; then
		grep -A3 '^not ok' "$dir/tap"
		rc=1
	fi
	for log in "$dir"/helper.*.log; do
		[ -e "$log" ] || { echo "no valgrind log"; return 1; }
		grep -q 'ERROR SUMMARY: 0 errors' "$log" || { cat "$log"; rc=1; }
	done
	echo "$(grep -c '^ok' "$dir/tap") cases; $(ls "$dir"/helper.*.log | wc -l) helpers under valgrind"
	grep -h 'ERROR SUMMARY' "$dir"/helper.*.log | sed 's/^==[0-9]*== //' | sort | uniq -c
	return $rc
}

# ---------------------------------------------------------------- the runner
# scripts/test runs steps in turn and adds up their results; tests/scripts/
# test_entry.sh runs these same functions on broken steps. A step is a
# command (a make target). Its results are automake's lines in its output,
# "PASS: name" and "FAIL: name" (also ERROR and XPASS), which `make check`
# prints for every TAP case and dt_check for a step of one check. A step
# also fails (one failure more) when it exits non-zero without having
# printed a failure (a build error after some suites passed), or when it
# printed no result at all (it ran nothing).
DT_PASSED=0
DT_FAILED=0
DT_FAILED_STEPS=""

# dt_record NAME PASSES FAILS: adds a step's results to the totals.
dt_record() {
	DT_PASSED=$((DT_PASSED + $2))
	DT_FAILED=$((DT_FAILED + $3))
	[ "$3" -gt 0 ] && DT_FAILED_STEPS="$DT_FAILED_STEPS [$1]"
	say "$1: $2 passed, $3 failed"
}

# dt_results LOG: prints "PASSES FAILS", the result lines in LOG. Parallel
# drivers can print two results on one line: count matches, not lines
# (make's summary "# PASS:  12" has two spaces and a number, no name).
dt_results() {
	printf '%s %s\n' "$(grep -oE '(^|[^X])PASS: [A-Za-z./_]' "$1" | wc -l)" \
		"$(grep -oE '(FAIL|ERROR|XPASS): [A-Za-z./_]' "$1" | wc -l)"
}

# dt_step NAME COMMAND...: runs a step and records its results; a failed
# step shows its failures and the tail of its output on stderr.
dt_step() {
	local name=$1 log rc p f start=$SECONDS
	shift
	log=$(mktemp)
	"$@" >"$log" 2>&1
	rc=$?
	say "$name: took $((SECONDS - start)) s"
	read -r p f < <(dt_results "$log")
	if [ "$f" -eq 0 ] && [ "$rc" -ne 0 ]; then
		f=1
		say "$name: exited $rc after $p passed"
	elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1
		say "$name: ran nothing (no PASS or FAIL line)"
	fi
	if [ "$f" -gt 0 ]; then
		grep -E '^(FAIL|ERROR|XPASS):' "$log" >&2
		tail -n 60 "$log" >&2
	fi
	dt_record "$name" "$p" "$f"
	rm -f "$log"
}

# dt_summary: the last line, "N passed, N failed" (CI reads it); fails if
# anything failed.
dt_summary() {
	[ -n "$DT_FAILED_STEPS" ] && say "failed steps:$DT_FAILED_STEPS"
	echo "$DT_PASSED passed, $DT_FAILED failed"
	[ "$DT_FAILED" -eq 0 ]
}

# dt_check NAME COMMAND...: one check inside a step: prints "PASS: NAME",
# or the tail of its output and "FAIL: NAME"; returns its status.
dt_check() {
	local name=$1 log rc=0
	shift
	log=$(mktemp)
	"$@" >"$log" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "PASS: $name"
	else
		tail -n 40 "$log"
		echo "FAIL: $name (exit $rc)"
	fi
	rm -f "$log"
	return "$rc"
}
