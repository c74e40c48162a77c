#include "config.h"

#include "noninteractive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* sudo's command line is read this far; its options come first. */
#define CMDLINE_MAX 65536
#define ARGS_MAX    256

/* sudo 1.9.13's short options that take an argument (parse_args.c:
 * "+Aa:BbC:c:D:Eeg:Hh::iKklNnPp:R:r:SsT:t:U:u:Vv"); -h takes one only
 * attached. */
static const char short_with_arg[] = "aCcDgpRrTtUu";

struct long_opt {
	const char *name;
	int has_arg; /* required_argument */
	int noninteractive;
};

static const struct long_opt long_opts[] = {
    {"background", 0, 0},
    {"preserve-env", 0, 0},
    {"edit", 0, 0},
    {"set-home", 0, 0},
    {"login", 0, 0},
    {"remove-timestamp", 0, 0},
    {"list", 0, 0},
    {"preserve-groups", 0, 0},
    {"shell", 0, 0},
    {"other-user", 1, 0},
    {"validate", 0, 0},
    {"askpass", 0, 0},
    {"auth-type", 1, 0},
    {"bell", 0, 0},
    {"close-from", 1, 0},
    {"login-class", 1, 0},
    {"chdir", 1, 0},
    {"group", 1, 0},
    {"help", 0, 0},
    {"host", 1, 0},
    {"reset-timestamp", 0, 0},
    {"no-update", 0, 0},
    {"non-interactive", 0, 1},
    {"prompt", 1, 0},
    {"chroot", 1, 0},
    {"role", 1, 0},
    {"stdin", 0, 0},
    {"command-timeout", 1, 0},
    {"type", 1, 0},
    {"user", 1, 0},
    {"version", 0, 0},
};

/* The long option `arg` names (after "--", up to any '='): an exact name,
 * or the only one it abbreviates; NULL when none or ambiguous. */
static const struct long_opt *find_long(const char *arg)
{
	size_t n = strcspn(arg, "="), i;
	const struct long_opt *match = NULL;

	for (i = 0; i < sizeof(long_opts) / sizeof(long_opts[0]); i++) {
		if (strncmp(long_opts[i].name, arg, n) != 0)
			continue;
		if (long_opts[i].name[n] == '\0')
			return &long_opts[i];
		if (match != NULL)
			return NULL;
		match = &long_opts[i];
	}
	return match;
}

/* One "-xyz" group: 1 when it holds n; *skip_next when its last option
 * takes the following argument. */
static int short_group(const char *group, int *skip_next)
{
	const char *p;

	for (p = group; *p != '\0'; p++) {
		if (*p == 'n')
			return 1;
		if (*p == 'h')
			return 0; /* -h[host]: the rest is its argument */
		if (strchr(short_with_arg, *p) != NULL) {
			*skip_next = p[1] == '\0';
			return 0;
		}
	}
	return 0;
}

static int is_sudo(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base != NULL ? base + 1 : argv0;
	return strcmp(base, "sudo") == 0 || strcmp(base, "sudoedit") == 0;
}

int pam_dt_sudo_args_noninteractive(int argc, const char *const *argv)
{
	int i, skip_next = 0;
	const struct long_opt *opt;

	if (argc < 1 || argv[0] == NULL || !is_sudo(argv[0]))
		return 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (skip_next) {
			skip_next = 0;
			continue;
		}
		if (a[0] != '-' || a[1] == '\0' || strcmp(a, "--") == 0)
			return 0; /* the command begins: options end ("+") */
		if (a[1] != '-') {
			if (short_group(a + 1, &skip_next))
				return 1;
			continue;
		}
		opt = find_long(a + 2);
		if (opt != NULL && opt->noninteractive)
			return 1;
		skip_next = opt != NULL && opt->has_arg && strchr(a, '=') == NULL;
	}
	return 0;
}

/* This process's arguments, split at their NULs; 0 when unreadable. */
static int read_cmdline(char *buf, size_t size, const char *argv[ARGS_MAX])
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = 0, i;
	ssize_t n;
	int argc = 0;

	if (fd < 0)
		return 0;
	while (len < size - 1 &&
	       ((n = read(fd, buf + len, size - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	for (i = 0; i < len && argc < ARGS_MAX; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	return argc;
}

/* The arguments name -n: sudo's with noninteractive_auth. */
static int sudo_asked_noninteractive(void)
{
	char *buf = malloc(CMDLINE_MAX);
	const char *argv[ARGS_MAX];
	int rc;

	if (buf == NULL)
		return 0;
	rc = pam_dt_sudo_args_noninteractive(read_cmdline(buf, CMDLINE_MAX, argv), argv);
	free(buf);
	return rc;
}

const char *pam_dt_nobody_to_scan(const char *service, const char *tty)
{
	if (service == NULL || strncmp(service, "sudo", 4) != 0)
		return NULL;
	if (tty == NULL || tty[0] == '\0')
		return "sudo without a terminal (a script, Ansible's become): nobody can scan "
		       "a QR code";
	if (sudo_asked_noninteractive())
		return "sudo -n (non-interactive): nobody may be asked to scan a QR code";
	return NULL;
}
