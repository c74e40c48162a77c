/* Which OpenSSH a program is, read from its own bytes: the release string
 * OpenSSH compiles into every binary (version.h: SSH_VERSION "OpenSSH_10.5",
 * SSH_RELEASE "OpenSSH_10.5p1", and a distribution's suffix such as
 * Debian's "OpenSSH_9.2p1 Debian-2+deb12u3").
 *
 * Used by the module on /proc/self/exe (the sshd process that calls PAM)
 * and by `dingtalk-ctl doctor` on sshd's programs. Nothing here trusts the
 * environment: the file is opened by the path given, checked on the open
 * descriptor (a regular file of root's that nobody else may write), and
 * read in bounded pieces up to DT_SSHD_PROGRAM_MAX bytes: of a native ELF
 * program only its .rodata section, where the string lives (a sixth of
 * sshd, 0.04 ms instead of 0.2 ms per login, BENCHMARKS.md), of anything
 * else, or an ELF file whose headers do not add up, the whole file. So
 * two versions that disagree count as none only when both are in what is
 * read; either way the outcome stays on the safe side (one version, or
 * none and the prompt kept). */
#ifndef DT_SSHD_VERSION_H
#define DT_SSHD_VERSION_H

#include <stddef.h>

#include "base/err.h"

/* A larger program is not read at all (and the prompt is kept): OpenSSH's
 * are about 1 MiB, and a bound keeps each login's cost small. */
#define DT_SSHD_PROGRAM_MAX ((size_t)16 * 1024 * 1024)

/* The longest version string considered; anything longer is not one. */
#define DT_SSHD_VERSION_TEXT_MAX 96

struct dt_openssh_version {
	unsigned major, minor;
	char text[DT_SSHD_VERSION_TEXT_MAX + 1]; /* the longest string found, e.g.
						    "OpenSSH_9.2p1 Debian-2+deb12u3" */
};

/* A scan over a program's bytes, fed block by block. A version string
 * counts only whole: "OpenSSH_" MAJOR "." MINOR [ "." PATCH ] [ "p" N
 * [ " " one word of printable ASCII ] ], ended by a NUL byte (a C string literal), so
 * the patterns of OpenSSH's compat table ("OpenSSH_7.4*", "OpenSSH_2.*,...")
 * and any text that merely mentions a version never count. */
struct dt_openssh_scan {
	int found;    /* strings that count so far */
	int conflict; /* two of them disagree on MAJOR.MINOR: no answer */
	struct dt_openssh_version v;
};

void dt_openssh_scan_init(struct dt_openssh_scan *s);

/* Scans buf[0..len). A string that starts in the block but has not ended
 * when it does is left for the next block, which must then begin with
 * the block's last DT_SSHD_VERSION_TEXT_MAX + 16 bytes again (a string
 * seen twice counts once in effect: only agreement matters). With `last`
 * set, nothing follows. */
void dt_openssh_scan_block(struct dt_openssh_scan *s, const unsigned char *buf, size_t len);

/* The answer: 1 with *v when at least one string counted and all agree on
 * MAJOR.MINOR; 0 when none counted or they disagree. */
int dt_openssh_scan_result(const struct dt_openssh_scan *s, struct dt_openssh_version *v);

/* Reads the program at `path` through a scan. Returns 1 with *v, 0 when
 * the program names no single OpenSSH version (err says which of the
 * two), -1 when it cannot be read or is not to be trusted (err names the
 * path and why: missing, not a regular file, not root's, writable by
 * others, larger than DT_SSHD_PROGRAM_MAX). */
int dt_openssh_version_of(const char *path, struct dt_openssh_version *v, struct dt_err *err);

/* From OpenSSH 10.3 on, sshd sends each PAM info and error message to the
 * client at once, as a keyboard-interactive round without a prompt
 * (openssh-portable commit b9a6dd4d); before, it held them until the next
 * prompt (bugzilla 2876). */
int dt_openssh_sends_info_at_once(const struct dt_openssh_version *v);

#endif
