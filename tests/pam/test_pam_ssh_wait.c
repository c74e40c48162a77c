/* How a login waits over sshd (PAM_TTY "ssh"), through PAM (pam_wrapper):
 * with wait = poll the link and the number go out first as one short
 * ASCII message, then the QR, and the login completes with no prompt;
 * nobody deciding within prompt_after turns the wait into the "press
 * Enter" prompt, which carries the link and the number; wait = auto keeps
 * the prompt when the running program is no sshd of 10.3 or later. And the
 * callers nobody can answer for (sudo without a terminal, sudo -n) are
 * refused at once, whatever failmode says. run_pam_ssh_wait.sh sets the
 * stage (run_pam_tests.sh's). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <security/pam_appl.h>

#include "pamtest_support.h"

#define MAX_MSGS 16

struct conv_ctx {
	struct phone_plan plan;
	int phone_at_prompt; /* the person saw nothing: the phone starts at the prompt */
	char text[65536];
	size_t text_len;
	char link[512];
	unsigned number;
	pid_t phone;
	int prompts;
	int msgs;
	int styles[MAX_MSGS];
	size_t lengths[MAX_MSGS];
	int ascii[MAX_MSGS];
	char first[1024];
	char last_prompt[8192];
};

static int is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static void start_phone(struct conv_ctx *c)
{
	if (c->plan.person != NULL && c->phone == 0 && c->number != 0 && c->link[0] != '\0')
		c->phone = pt_start_phone(&c->plan, c->link, c->number);
}

static void record(struct conv_ctx *c, const struct pam_message *m)
{
	if (c->msgs < MAX_MSGS) {
		c->styles[c->msgs] = m->msg_style;
		c->lengths[c->msgs] = strlen(m->msg);
		c->ascii[c->msgs] = is_ascii(m->msg);
	}
	if (c->msgs == 0)
		snprintf(c->first, sizeof(c->first), "%s", m->msg);
	c->msgs++;
	pt_append_text(c->text, sizeof(c->text), &c->text_len, m->msg);
	pt_find_link(m->msg, c->link, sizeof(c->link));
	pt_find_number(m->msg, &c->number);
}

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			void *data)
{
	struct conv_ctx *c = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	int i;

	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		record(c, msg[i]);
		if (msg[i]->msg_style != PAM_PROMPT_ECHO_ON &&
		    msg[i]->msg_style != PAM_PROMPT_ECHO_OFF) {
			if (!c->phone_at_prompt)
				start_phone(c);
			continue;
		}
		/* A prompt: approve on the phone first, then Enter. */
		c->prompts++;
		snprintf(c->last_prompt, sizeof(c->last_prompt), "%s", msg[i]->msg);
		start_phone(c);
		pt_reap_phone(&c->phone);
		r[i].resp = strdup("");
	}
	*resp = r;
	return PAM_SUCCESS;
}

static int authenticate(const char *service, const char *user, struct conv_ctx *c, double *seconds)
{
	int rc = pt_authenticate(service, user, conversation, c, 0, seconds);

	pt_reap_phone(&c->phone);
	return rc;
}

static int teardown_tty(void **state)
{
	(void)state;
	pt_set_tty(NULL);
	return 0;
}

/* 10.3+ sshd: the link and number alone and in ASCII, under the 1,023
 * characters an older client's logger shows, then the QR; the phone
 * approves and the login completes without a prompt. */
static void test_ssh_poll_completes_without_a_prompt(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	char expect[64];

	(void)state;
	pt_set_tty("ssh");
	assert_pam(authenticate("dingtalk_ssh_poll", "alice", &c, NULL), PAM_SUCCESS);
	assert_int_equal(c.prompts, 0);
	assert_true(c.msgs >= 2);
	assert_int_equal(c.styles[0], PAM_TEXT_INFO);
	assert_true(c.ascii[0]);
	assert_true(c.lengths[0] < 1023);
	assert_non_null(strstr(c.first, c.link));
	snprintf(expect, sizeof(expect), "choose the number %02u", c.number);
	assert_non_null(strstr(c.first, expect));
	assert_null(strstr(c.first, "Scan the QR"));
	assert_int_equal(c.styles[1], PAM_TEXT_INFO);
	assert_non_null(strstr(c.text, "Scan the QR"));
	/* The approval is said: sshd 10.3+ pads the round that waited for the
	 * phone whether or not a line follows (docs/ssh-wait.md), and the line
	 * shows the person who approved while sshd pads. */
	assert_non_null(strstr(c.text, "Approved in DingTalk by"));
}

/* A client that showed nothing (OpenSSH 9.2's ssh -q), or an sshd that
 * held the messages: after prompt_after (5 s here) the prompt comes, with
 * the link and the number, and Enter after approving logs in. */
static void test_ssh_poll_turns_into_the_prompt(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}, .phone_at_prompt = 1};
	char expect[64];
	double seconds = 0;

	(void)state;
	pt_set_tty("ssh");
	assert_pam(authenticate("dingtalk_ssh_poll", "alice", &c, &seconds), PAM_SUCCESS);
	assert_int_equal(c.prompts, 1);
	assert_non_null(strstr(c.last_prompt, "If you see no QR code"));
	assert_non_null(strstr(c.last_prompt, c.link));
	snprintf(expect, sizeof(expect), "choose the number %02u", c.number);
	assert_non_null(strstr(c.last_prompt, expect));
	assert_non_null(strstr(c.last_prompt, "Press Enter"));
	/* The QR is not drawn a second time in the prompt. */
	assert_null(strstr(c.last_prompt, "Scan the QR"));
	printf("# prompt after %.1f s\n", seconds);
	assert_true(seconds >= 4.5 && seconds < 28);
	assert_logged("no decision after 5 seconds without a prompt, asking for Enter");
	/* Through the prompt, the approval is said: the round after Enter was
	 * short, so is sshd's sleep. */
	assert_non_null(strstr(c.text, "Approved in DingTalk by"));
}

/* prompt_after = 600 with timeout = 21: the prompt comes with 15 s left
 * to use it (after 6 s), and the log says the value was cut. */
static void test_prompt_after_cut_to_leave_time(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}, .phone_at_prompt = 1};
	double seconds = 0;

	(void)state;
	pt_set_tty("ssh");
	assert_pam(authenticate("dingtalk_ssh_late_prompt", "alice", &c, &seconds), PAM_SUCCESS);
	assert_int_equal(c.prompts, 1);
	assert_non_null(strstr(c.last_prompt, "If you see no QR code"));
	printf("# prompt after %.1f s\n", seconds);
	assert_true(seconds >= 5.5 && seconds < 20);
	assert_logged("prompt_after = 600 s leaves too little of timeout = 21 s for the prompt: "
		      "the prompt comes after 6 s");
	assert_logged("no decision after 6 seconds without a prompt, asking for Enter");
}

/* wait = auto over sshd in a program that is no sshd of 10.3 or later
 * (this test program): the QR travels with the prompt, as before. */
static void test_ssh_auto_keeps_the_prompt_when_unsure(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	pt_set_tty("ssh");
	assert_pam(authenticate("dingtalk_ssh_auto", "alice", &c, NULL), PAM_SUCCESS);
	assert_true(c.prompts >= 1);
	assert_true(c.styles[0] == PAM_PROMPT_ECHO_ON);
	assert_non_null(strstr(c.text, "Scan the QR"));
	assert_non_null(strstr(c.text, "Press Enter"));
}

/* Elsewhere (sudo, su, login show info at once) prompt_after changes
 * nothing: no prompt, and the login ends at its deadline. */
static void test_poll_elsewhere_never_prompts(void **state)
{
	struct conv_ctx c = {.plan = {NULL, NULL, 0, 0, NULL, NULL}};
	double seconds = 0;

	(void)state;
	assert_pam(authenticate("dingtalk_poll_short", "alice", &c, &seconds), PAM_AUTH_ERR);
	assert_int_equal(c.prompts, 0);
	assert_null(strstr(c.text, "If you see no QR code"));
	assert_true(seconds >= 7);
}

/* ---- callers nobody can answer for ---- */

static void assert_refused_at_once(const char *service, const char *why)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	double seconds = 0;

	assert_pam(authenticate(service, "alice", &c, &seconds), PAM_CONV_ERR);
	printf("# %s refused in %.2f s\n", service, seconds);
	assert_true(seconds < 2.0);
	/* No session was registered: no link, no QR; the reason is shown. */
	assert_int_equal(c.link[0], '\0');
	assert_int_equal(c.styles[0], PAM_ERROR_MSG);
	assert_non_null(strstr(c.text, "needs a person at a terminal"));
	assert_logged(why);
	assert_logged("pam=PAM_CONV_ERR user=alice");
}

/* sudo from a script (Ansible's become without a pty): sudo sets no
 * PAM_TTY. failmode = safe must not turn the refusal into PAM_IGNORE. */
static void test_sudo_without_a_terminal_is_refused(void **state)
{
	(void)state;
	pt_set_tty(NULL);
	assert_refused_at_once("sudo", "sudo without a terminal");
	assert_refused_at_once("sudo_safe", "sudo without a terminal");
}

/* This program's path as started (not /proc/self/exe, which is valgrind's
 * tool when the suite runs under valgrind). */
static const char *self_path;

/* sudo -n (with noninteractive_auth, the only way it reaches PAM): the
 * module reads sudo's arguments from /proc/self/cmdline, so this case runs
 * in a copy of this program started as "sudo -u root -n true". */
static int run_as_sudo_n_child(void)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	double seconds = 0;
	int rc;

	pt_set_tty("/dev/pts/9");
	rc = authenticate("sudo_safe", "alice", &c, &seconds);
	if (rc != PAM_CONV_ERR || seconds >= 2.0 || c.link[0] != '\0' ||
	    strstr(read_case_log(), "sudo -n (non-interactive)") == NULL) {
		printf("# sudo -n child: PAM %d in %.2f s, link \"%s\", log:\n%s\n", rc, seconds,
		       c.link, read_case_log());
		return 1;
	}
	return 0;
}

static void test_sudo_n_is_refused(void **state)
{
	static char a0[] = "sudo", a1[] = "-u", a2[] = "root", a3[] = "-n", a4[] = "true";
	char *const argv[] = {a0, a1, a2, a3, a4, NULL};
	int status = 0;
	pid_t pid;

	(void)state;
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execv(self_path, argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* With a terminal and without -n, sudo's login goes ahead. */
static void test_sudo_with_a_terminal_goes_ahead(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	pt_set_tty("/dev/pts/9");
	assert_pam(authenticate("sudo_safe", "alice", &c, NULL), PAM_SUCCESS);
	assert_int_equal(c.prompts, 0);
	/* sudo shows info at once and has no rounds: the approval is said. */
	assert_non_null(strstr(c.text, "Approved in DingTalk by"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_ssh_poll_completes_without_a_prompt, teardown_tty),
	    cmocka_unit_test_teardown(test_ssh_poll_turns_into_the_prompt, teardown_tty),
	    cmocka_unit_test_teardown(test_prompt_after_cut_to_leave_time, teardown_tty),
	    cmocka_unit_test_teardown(test_ssh_auto_keeps_the_prompt_when_unsure, teardown_tty),
	    cmocka_unit_test_teardown(test_poll_elsewhere_never_prompts, teardown_tty),
	    cmocka_unit_test_teardown(test_sudo_without_a_terminal_is_refused, teardown_tty),
	    cmocka_unit_test_teardown(test_sudo_n_is_refused, teardown_tty),
	    cmocka_unit_test_teardown(test_sudo_with_a_terminal_goes_ahead, teardown_tty),
	};

	if (argc > 0 && strcmp(argv[0], "sudo") == 0)
		return run_as_sudo_n_child();
	self_path = argc > 0 ? argv[0] : "/proc/self/exe";

	return cmocka_run_group_tests(tests, NULL, NULL);
}
