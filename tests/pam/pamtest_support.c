#include "config.h"

#include "pamtest_support.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* Test-program state: one case runs at a time. */
static unsigned case_counter;
static char case_log[512];
static const char *case_rhost;
static const char *case_tty;

void pt_set_rhost(const char *rhost)
{
	case_rhost = rhost;
}

void pt_set_tty(const char *tty)
{
	case_tty = tty;
}

void pt_append_text(char *text, size_t size, size_t *len, const char *msg)
{
	size_t n = strlen(msg);

	if (*len + n + 2 < size) {
		memcpy(text + *len, msg, n);
		*len += n;
		text[(*len)++] = '\n';
		text[*len] = '\0';
	}
}

int pt_find_link(const char *msg, char *link, size_t size)
{
	const char *p = strstr(msg, "/l/");
	const char *start;
	size_t n;

	if (p == NULL)
		return 0;
	for (start = p; start > msg && start[-1] != ' ' && start[-1] != '\n'; start--)
		;
	n = strcspn(start, " \n");
	if (n >= size || strncmp(start, link, n) == 0)
		return 0;
	memcpy(link, start, n);
	link[n] = '\0';
	return 1;
}

void pt_find_number(const char *msg, unsigned *number)
{
	const char *num = strstr(msg, "choose the number");

	if (num == NULL)
		return;
	num += strlen("choose the number");
	num += strcspn(num, "0123456789");
	*number = (unsigned)atoi(num);
}

pid_t pt_start_phone(const struct phone_plan *plan, const char *link, unsigned number)
{
	char shown[16], logpath[512];
	const char *python = getenv("PYTHON3") ? getenv("PYTHON3") : "python3";
	const char *ca = getenv("DT_TEST_CA");
	const char *args[] = {python,
			      getenv("DT_PHONE"),
			      "--link",
			      link,
			      "--person",
			      plan->person,
			      "--number",
			      shown,
			      "--decision",
			      plan->decision ? plan->decision : "approve",
			      "--timeout",
			      "30",
			      "--delay",
			      plan->delay ? plan->delay : "0",
			      "--mock",
			      getenv("DT_MOCK_URL"),
			      plan->inject_code ? "--inject-code" : NULL,
			      plan->inject_code,
			      NULL,
			      NULL,
			      NULL};
	char *argv[sizeof(args) / sizeof(args[0])];
	size_t i;
	posix_spawn_file_actions_t fa;
	static char path_env[] = "PATH=/usr/local/bin:/usr/bin:/bin";
	char *phone_env[] = {path_env, NULL};
	pid_t pid;

	/* The optional arguments fill the NULLs at the end, in order. */
	i = plan->inject_code ? 18 : 16;
	if (ca != NULL) {
		args[i] = "--cafile";
		args[i + 1] = ca;
	}
	snprintf(shown, sizeof(shown), "%u", plan->wrong_number ? (number % 89) + 11 : number);
	snprintf(logpath, sizeof(logpath), "%s/phone-%u.log", getenv("DT_WORK"), case_counter);
	/* posix_spawn's argv is not const but is not written to. */
	for (i = 0; i < sizeof(args) / sizeof(args[0]); i++)
		argv[i] = (char *)(uintptr_t)args[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (posix_spawn(&pid, python, &fa, NULL, argv, phone_env) != 0 &&
	    posix_spawnp(&pid, python, &fa, NULL, argv, phone_env) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

void pt_reap_phone(pid_t *pid)
{
	int i, status;

	if (*pid <= 0)
		return;
	for (i = 0; i < 200; i++) {
		if (waitpid(*pid, &status, WNOHANG) == *pid)
			break;
		usleep(100000);
	}
	if (i == 200) {
		kill(*pid, SIGKILL);
		waitpid(*pid, &status, 0);
	}
	*pid = -1; /* done: no second phone for this login */
}

/* Each case's log lines go to a file of their own. */
static void begin_case(void)
{
	case_counter++;
	snprintf(case_log, sizeof(case_log), "%s/case-%u.log", getenv("DT_WORK"), case_counter);
	fflush(stderr);
	if (freopen(case_log, "w", stderr) == NULL)
		abort();
}

unsigned pt_case_number(void)
{
	return case_counter;
}

char *read_case_log(void)
{
	static char buf[65536];
	FILE *f;
	size_t n;

	fflush(stderr);
	f = fopen(case_log, "r");
	if (f == NULL)
		return strcpy(buf, "");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* pam_start, pam_authenticate, pam_end, as libpamtest does, but with a
 * look at PAM_USER before the handle goes. */
static int run_auth(const char *service, const char *user, pt_conv_fn conv, void *data, int flags,
		    char *pam_user, size_t size)
{
	struct pam_conv pc = {.conv = conv, .appdata_ptr = data};
	pam_handle_t *ph = NULL;
	const void *item = NULL;
	int rc;

	begin_case();
	rc = pam_start(service, user, &pc, &ph);
	if (rc != PAM_SUCCESS)
		fail_msg("pam_start(%s): %s", service, pam_strerror(NULL, rc));
	if (case_rhost != NULL && pam_set_item(ph, PAM_RHOST, case_rhost) != PAM_SUCCESS)
		fail_msg("pam_set_item(PAM_RHOST)");
	if (case_tty != NULL && pam_set_item(ph, PAM_TTY, case_tty) != PAM_SUCCESS)
		fail_msg("pam_set_item(PAM_TTY)");
	rc = pam_authenticate(ph, flags);
	if (pam_user != NULL)
		snprintf(pam_user, size, "%s",
			 pam_get_item(ph, PAM_USER, &item) == PAM_SUCCESS && item != NULL
			     ? (const char *)item
			     : "");
	pam_end(ph, rc);
	return rc;
}

int pt_authenticate(const char *service, const char *user, pt_conv_fn conv, void *data, int flags,
		    double *seconds)
{
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = run_auth(service, user, conv, data, flags, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (seconds != NULL)
		*seconds =
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return rc;
}

int pt_authenticate_user(const char *service, const char *user, pt_conv_fn conv, void *data,
			 char *pam_user, size_t size)
{
	return run_auth(service, user, conv, data, 0, pam_user, size);
}

void mock_fault(const char *json)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d '%s' "
		 "%s/_mock/fault",
		 json, getenv("DT_MOCK_URL"));
	assert_int_equal(system(cmd), 0);
}

void clear_faults(void)
{
	mock_fault("{\"endpoint\": \"*\", \"mode\": \"none\"}");
}

void mock_permissions(const char *json_list)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' "
		 "-d '{\"granted\": %s}' %s/_mock/permissions",
		 json_list, getenv("DT_MOCK_URL"));
	assert_int_equal(system(cmd), 0);
}

void mock_grant_all(void)
{
	mock_permissions("[\"Contact.User.Read\", \"qyapi_get_member\", \"qyapi_ext_read\", "
			 "\"email\", \"mobile\"]");
}
