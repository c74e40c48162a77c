/* dingtalk-ctl: global options, then one command. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: " PROG " [--conf FILE] [--service NAME] COMMAND [OPTIONS]\n"
	    "Administer pam_dingtalk: bind DingTalk identities to local accounts.\n\n"
	    "Commands:\n"
	    "  enroll --user USER [--yes]   scan once, bind that person to USER in the map file\n"
	    "  enroll --self [--yes]        (through sudo) bind the person to your own\n"
	    "                               ~/.pam_dingtalk_id (needs map = ... userfile)\n"
	    "  map list [--user USER]       show the map file's bindings\n"
	    "  map add --user USER --union-id ID\n"
	    "  map remove --user USER [--union-id ID]\n"
	    "  recovery --user USER [--count N]   print N new break-glass codes (default 10)\n"
	    "  recovery --user USER --status|--revoke\n"
	    "  test --user USER             a whole login in this terminal, without PAM\n\n"
	    "Options:\n"
	    "  --conf FILE     module configuration (default " DT_DEFAULT_CONF ")\n"
	    "  --service NAME  apply the file's [service NAME] section\n"
	    "  --help, --version\n\n"
	    "Exit status: 0 done, 1 failed or refused, 2 usage, 3 configuration,\n"
	    "4 helper or DingTalk unreachable.\n");
}

static int dispatch(struct ctl *c, int argc, char **argv)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "enroll") == 0)
		return ctl_cmd_enroll(c, argc, argv);
	if (strcmp(cmd, "map") == 0)
		return ctl_cmd_map(c, argc, argv);
	if (strcmp(cmd, "recovery") == 0)
		return ctl_cmd_recovery(c, argc, argv);
	if (strcmp(cmd, "test") == 0)
		return ctl_cmd_test(c, argc, argv);
	if (strcmp(cmd, "doctor") == 0)
		return ctl_cmd_doctor(c, argc, argv);
	return ctl_usage_error(cmd, "unknown command");
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
