# Shared by scripts/demo and scripts/test: install what a fresh Debian 12
# machine lacks, and build the tree.

DT_BUILD_PACKAGES="build-essential autoconf automake libtool pkg-config
libpam0g-dev libcurl4-openssl-dev libjson-c-dev libssl-dev libqrencode-dev
libmicrohttpd-dev python3 curl"
DT_TEST_PACKAGES="libcmocka-dev libpamtest0-dev libpam-wrapper libnss-wrapper
pamtester zbar-tools qrencode clang-format openssh-server openssh-client sudo"

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
