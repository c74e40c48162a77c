/* dingtalk-ctl: global options, then one command. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ctl.h"
#include "hostkey_edit.h"

/* One row per command: dispatch() runs it and usage() lists it, so the help
 * cannot leave out a command that exists. A row's forms are its synopses,
 * each with what it does; a form with a NULL synopsis continues the line
 * above. */
struct form {
	const char *synopsis; /* after the command's name */
	const char *what;
};

struct command {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	struct form forms[4];
};

static const struct command commands[] = {
    {"enroll",
     ctl_cmd_enroll,
     {{"--user USER [--yes]", "scan once, bind that person to USER in the map file"},
      {"--self [--yes]", "(through sudo) bind the person to your own"},
      {NULL, "~/.pam_dingtalk_id (needs map = ... userfile)"}}},
    {"map",
     ctl_cmd_map,
     {{"list [--user USER]", "show the map file's bindings"},
      {"add --user USER --union-id ID", "bind a unionId to USER"},
      {"remove --user USER [--union-id ID]", "unbind USER (or one of its unionIds)"}}},
    {"recovery",
     ctl_cmd_recovery,
     {{"--user USER [--count N]", "print N new break-glass codes (default 10)"},
      {"--user USER --status|--revoke", "how many are left, or revoke them all"}}},
    {"test", ctl_cmd_test, {{"--user USER", "a whole login in this terminal, without PAM"}}},
    {"doctor",
     ctl_cmd_doctor,
     {{"[--pam-dir DIR] [--sshd-config FILE]", "check what would stop a login"}}},
    {"host-key",
     ctl_cmd_hostkey,
     {{"new HOST [--keys FILE] [--owner USER]", "a new signing key for HOST: prints its key file"},
      {"list [--keys FILE] [--owner USER]", "the service's host keys (never their secrets)"},
      {"remove KEY_ID [--keys FILE] [--owner USER]", "remove a key (the end of a rotation)"},
      {NULL, "FILE: " CTL_HOST_KEYS_DEFAULT " unless --keys"}}},
};

#define N_COMMANDS   (sizeof(commands) / sizeof(commands[0]))
#define N_FORMS(cmd) (sizeof((cmd)->forms) / sizeof((cmd)->forms[0]))

static void usage_command(FILE *out, const struct command *cmd)
{
	char head[64];

	for (size_t i = 0; i < N_FORMS(cmd) && cmd->forms[i].what != NULL; i++) {
		const struct form *f = &cmd->forms[i];

		if (f->synopsis != NULL)
			snprintf(head, sizeof(head), "%s %s", cmd->name, f->synopsis);
		else
			head[0] = '\0';
		/* A long synopsis gets a line of its own, the text under it. */
		if (strlen(head) > 28)
			fprintf(out, "  %s\n  %-28s %s\n", head, "", f->what);
		else
			fprintf(out, "  %-28s %s\n", head, f->what);
	}
}

static void usage(FILE *out)
{
	fputs("Usage: " PROG " [--conf FILE] [--service NAME] COMMAND [OPTIONS]\n"
	      "Administer pam_dingtalk: bind DingTalk identities to local accounts.\n\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		usage_command(out, &commands[i]);
	fputs("\nOptions:\n"
	      "  --conf FILE     module configuration (default " DT_DEFAULT_CONF ")\n"
	      "  --service NAME  apply the file's [service NAME] section\n"
	      "  --help, --version\n\n"
	      "Exit status: 0 done, 1 failed or refused, 2 usage, 3 configuration,\n"
	      "4 helper or DingTalk unreachable.\n",
	      out);
}

static int dispatch(struct ctl *c, int argc, char **argv)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].run(c, argc, argv);
	return ctl_usage_error(argv[0], "unknown command");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"conf", required_argument, NULL, 'c'},
					     {"service", required_argument, NULL, 's'},
					     {"help", no_argument, NULL, 'h'},
					     {"version", no_argument, NULL, 'V'},
					     {NULL, 0, NULL, 0}};
	static char prefix[] = PROG;
	struct ctl c;
	int opt, rc;

	memset(&c, 0, sizeof(c));
	c.log.fn = dt_log_stderr;
	c.log.ctx = prefix;
	/* Stop at the command: its options are its own. */
	while ((opt = getopt_long(argc, argv, "+c:s:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c.conf_path = optarg;
			break;
		case 's':
			c.service = optarg;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		case 'V':
			printf(PROG " " PACKAGE_VERSION "\n");
			return CTL_OK;
		default:
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	openlog(PROG, LOG_PID, LOG_AUTHPRIV);
	argv += optind;
	argc -= optind;
	optind = 0; /* each command parses its own options from argv[0] */
	rc = dispatch(&c, argc, argv);
	dt_modcfg_free(&c.cfg);
	closelog();
	return rc;
}
