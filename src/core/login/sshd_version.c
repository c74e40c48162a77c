#include "config.h"

#include "login/sshd_version.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/elf_rodata.h"

#define PREFIX	   "OpenSSH_"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
/* What the next block repeats of this one: more than any string that
 * counts, so a string cut by a block's end is whole in the next. */
#define OVERLAP (DT_SSHD_VERSION_TEXT_MAX + 16)
#define BLOCK	((size_t)64 * 1024)

void dt_openssh_scan_init(struct dt_openssh_scan *s)
{
	memset(s, 0, sizeof(*s));
}

/* 1 to 3 decimal digits at *p, moved past; -1 when there are none or
 * more (no OpenSSH version has a four-digit part). */
static long digits(const unsigned char **p, const unsigned char *end)
{
	long n = 0;
	int count = 0;

	while (*p < end && **p >= '0' && **p <= '9') {
		if (++count > 3)
			return -1;
		n = n * 10 + (**p - '0');
		(*p)++;
	}
	return count == 0 ? -1 : n;
}

/* The distribution's suffix after a space (SSH_EXTRAVERSION, e.g.
 * "Debian-2+deb12u3"): one word of printable ASCII up to the NUL, so that a
 * sentence that mentions a version is not one. Returns the NUL's position,
 * or NULL. */
static const unsigned char *suffix_end(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *start = p;

	while (p<end && * p> 0x20 && *p < 0x7f && *p != '*' && *p != ',')
		p++;
	if (p == start || p == end || *p != '\0')
		return NULL;
	return p;
}

/* Parses one candidate at p (just after "OpenSSH_"). Returns 1 with
 * major/minor and the string's end (its NUL), 0 when it is not a version
 * string, -1 when the block ends before the candidate does. */
static int parse_candidate(const unsigned char *p, const unsigned char *end, long *major,
			   long *minor, const unsigned char **nul)
{
	int portable = 0;

	if (end - p < 4)
		return -1;
	*major = digits(&p, end);
	if (*major < 0 || p >= end || *p != '.')
		return p >= end ? -1 : 0;
	p++;
	*minor = digits(&p, end);
	if (*minor < 0)
		return p >= end ? -1 : 0;
	if (p < end && *p == '.') { /* a patch level, as in 6.6.1 */
		p++;
		if (digits(&p, end) < 0)
			return p >= end ? -1 : 0;
	}
	if (p < end && *p == 'p') { /* the portable release */
		p++;
		if (digits(&p, end) < 0)
			return p >= end ? -1 : 0;
		portable = 1;
	}
	if (p >= end)
		return -1;
	if (*p == ' ' && portable) { /* only a release has a suffix */
		*nul = suffix_end(p + 1, end);
		if (*nul == NULL)
			return memchr(p, '\0', (size_t)(end - p)) == NULL ? -1 : 0;
		return 1;
	}
	*nul = p;
	return *p == '\0';
}

static void count(struct dt_openssh_scan *s, const unsigned char *start, const unsigned char *nul,
		  long major, long minor)
{
	size_t n = (size_t)(nul - start);

	if (n > DT_SSHD_VERSION_TEXT_MAX)
		return;
	if (s->found > 0 && (s->v.major != (unsigned)major || s->v.minor != (unsigned)minor))
		s->conflict = 1;
	if (s->found == 0 || n > strlen(s->v.text)) {
		memcpy(s->v.text, start, n);
		s->v.text[n] = '\0';
	}
	if (s->found == 0) {
		s->v.major = (unsigned)major;
		s->v.minor = (unsigned)minor;
	}
	s->found++;
}

void dt_openssh_scan_block(struct dt_openssh_scan *s, const unsigned char *buf, size_t len)
{
	const unsigned char *end = buf + len, *p = buf, *nul = NULL;
	long major = 0, minor = 0;

	while ((size_t)(end - p) >= PREFIX_LEN &&
	       (p = memmem(p, (size_t)(end - p), PREFIX, PREFIX_LEN)) != NULL) {
		if (parse_candidate(p + PREFIX_LEN, end, &major, &minor, &nul) == 1)
			count(s, p, nul, major, minor);
		p += PREFIX_LEN;
	}
}

int dt_openssh_scan_result(const struct dt_openssh_scan *s, struct dt_openssh_version *v)
{
	if (s->found == 0 || s->conflict)
		return 0;
	*v = s->v;
	return 1;
}

/* The program is what sshd runs as root: a regular file of root's that
 * nobody else may change. Anything else says nothing about sshd. */
static int check_program(int fd, const char *path, struct stat *st, struct dt_err *err)
{
	if (fstat(fd, st) != 0)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: cannot stat: %s", path, strerror(errno));
	if (!S_ISREG(st->st_mode))
		return dt_err_set(err, DT_ERR_CONFIG, "%s: not a regular file", path);
	if (st->st_uid != 0 || (st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s: not root's or writable by others: not trusted", path);
	if ((size_t)st->st_size > DT_SSHD_PROGRAM_MAX)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: larger than %zu bytes: not read", path,
				  DT_SSHD_PROGRAM_MAX);
	return 0;
}

/* Reads `size` bytes from `start` block by block; each block after the
 * first begins with the previous one's last OVERLAP bytes. */
static int scan_fd(int fd, const char *path, off_t start, size_t size, struct dt_openssh_scan *s,
		   struct dt_err *err)
{
	unsigned char *buf = malloc(BLOCK + OVERLAP);
	size_t kept = 0, total = 0;
	ssize_t n;

	if (buf == NULL)
		return dt_err_oom(err);
	while (total < size) {
		n = pread(fd, buf + kept, size - total < BLOCK ? size - total : BLOCK,
			  start + (off_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return dt_err_set(err, DT_ERR_CONFIG, "%s: read error: %s", path,
					  strerror(errno));
		}
		if (n == 0)
			break;
		total += (size_t)n;
		dt_openssh_scan_block(s, buf, kept + (size_t)n);
		if (kept + (size_t)n > OVERLAP) {
			memmove(buf, buf + kept + (size_t)n - OVERLAP, OVERLAP);
			kept = OVERLAP;
		} else {
			kept += (size_t)n;
		}
	}
	free(buf);
	return 0;
}

int dt_openssh_version_of(const char *path, struct dt_openssh_version *v, struct dt_err *err)
{
	struct dt_openssh_scan s;
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: cannot open: %s", path, strerror(errno));
	dt_openssh_scan_init(&s);
	rc = check_program(fd, path, &st, err);
	if (rc == 0) {
		off_t off = 0;
		size_t len = (size_t)st.st_size;

		/* Only the constant strings of a program, when they can be
		 * found: every login over sshd pays for this read. */
		if (dt_elf_rodata(fd, (size_t)st.st_size, &off, &len) < 0) {
			off = 0;
			len = (size_t)st.st_size;
		}
		rc = scan_fd(fd, path, off, len, &s, err);
	}
	close(fd);
	if (rc < 0)
		return -1;
	if (dt_openssh_scan_result(&s, v))
		return 1;
	if (s.conflict)
		dt_err_set(err, DT_ERR_CONFIG,
			   "%s names several OpenSSH versions (%s and another): not sure which",
			   path, s.v.text);
	else
		dt_err_set(err, DT_ERR_CONFIG, "%s names no OpenSSH version", path);
	return 0;
}

int dt_openssh_sends_info_at_once(const struct dt_openssh_version *v)
{
	return v->major > 10 || (v->major == 10 && v->minor >= 3);
}
