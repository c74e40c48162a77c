/* The whole login through PAM (pam_wrapper + libpamtest): the module talks
 * to a real dingtalk-callbackd and the DingTalk mock; a simulated phone
 * (tests/mock/phone.py) follows the short link shown in the terminal,
 * approves as a chosen person and picks a number. run_pam_tests.sh sets the
 * stage: services, configs, users. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpamtest.h>
#include <security/pam_appl.h>

#include "pamtest_support.h"

/* Answer to a prompt: wait until the phone has done its part, then Enter. */
#define AFTER_PHONE "<after phone>"

struct conv_ctx {
	struct phone_plan plan;
	int ctrl_c;		/* press Ctrl-C once the QR is shown */
	const char *answers[8]; /* to the prompts, in order; then "" */
	char text[65536];
	size_t text_len;
	char link[512];
	unsigned number;
	int links_seen;
	pid_t phone;
	int prompts;
	char last_prompt[8192];
	int fail_at; /* the conversation's Nth call (from 1) fails ... */
	int fail_rc; /* ... with this code */
	int calls;
};

static char *answer_prompt(struct conv_ctx *c)
{
	const char *a = c->prompts < 8 ? c->answers[c->prompts] : NULL;

	c->prompts++;
	if (a != NULL && strcmp(a, AFTER_PHONE) == 0) {
		pt_reap_phone(&c->phone);
		a = "";
	}
	return strdup(a != NULL ? a : "");
}

static void record_text(struct conv_ctx *c, const char *msg)
{
	pt_append_text(c->text, sizeof(c->text), &c->text_len, msg);
	if (pt_find_link(msg, c->link, sizeof(c->link)))
		c->links_seen++;
	pt_find_number(msg, &c->number);
	if (c->ctrl_c && c->links_seen >= c->ctrl_c)
		kill(getpid(), SIGINT); /* blocked, as sudo blocks it: it stays pending */
	if (c->plan.person != NULL && c->phone == 0 && c->number != 0 &&
	    c->links_seen == c->plan.on_link + 1)
		c->phone = pt_start_phone(&c->plan, c->link, c->number);
}

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			void *data)
{
	struct conv_ctx *c = data;
	struct pam_response *r;
	int i;

	if (++c->calls == c->fail_at) {
		record_text(c, msg[0]->msg);
		return c->fail_rc;
	}
	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		record_text(c, msg[i]->msg);
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
			snprintf(c->last_prompt, sizeof(c->last_prompt), "%s", msg[i]->msg);
			r[i].resp = answer_prompt(c);
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* Runs one authentication; returns the PAM code and leaves the terminal
 * text in `c` and the log in read_case_log(). */
static int authenticate_flags(const char *service, const char *user, struct conv_ctx *c, int flags,
			      double *seconds)
{
	int rc = pt_authenticate(service, user, conversation, c, flags, seconds);

	pt_reap_phone(&c->phone);
	return rc;
}

static int authenticate(const char *service, const char *user, struct conv_ctx *c, double *seconds)
{
	return authenticate_flags(service, user, c, 0, seconds);
}

/* A case that needs root in the test process: the module takes a caller
 * that is not root for su's or sudo's invoking user, who controls the
 * process (an outage is then a refusal, never PAM_AUTHINFO_UNAVAIL);
 * alice's own files are hers only through chown; dingtalk-ctl is root's
 * alone. Without root the case is skipped. */
static void needs_root(void)
{
	if (geteuid() != 0)
		skip();
}

static void test_mapped_user_logs_in(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk", "alice", &c, NULL), PAM_SUCCESS);
	assert_non_null(strstr(c.text, "DingTalk login for alice"));
	assert_true(c.number >= 10 && c.number <= 99);
	assert_int_equal(c.prompts, 0);
	assert_logged("audit: result=success pam=PAM_SUCCESS user=alice "
		      "unionid=uAlice0000000000000000iEiE nick=\"Alice Zhang\" rhost=- "
		      "service=dingtalk");
}

static void test_second_account_of_same_identity(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk", "alice-admin", &c, NULL), PAM_SUCCESS);
	assert_logged("result=success pam=PAM_SUCCESS user=alice-admin unionid=uAlice");
}

static void test_person_mapped_to_another_user_is_refused(void **state)
{
	struct conv_ctx c = {.plan = {"bob", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_logged("is bound to 'bob', not to 'alice'");
}

static void test_unmapped_person_is_refused(void **state)
{
	struct conv_ctx c = {.plan = {"mallory", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_logged("is not in the map file");
	/* The nick came from the network: no escape character reaches the log. */
	assert_null(strchr(read_case_log(), '\033'));
}

static void test_wrong_number_is_refused(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 1, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_logged("refused on the phone (wrong_number)");
	/* Said as what it is: not a timeout, not "Not me". */
	assert_non_null(strstr(c.text, "Login refused: the wrong number was chosen on the phone."));
	assert_null(strstr(c.text, "Not me"));
	assert_logged("SYSLOG(5): audit: result=denied pam=PAM_AUTH_ERR user=alice ");
	assert_logged(" cause=wrong_number ");
}

static void test_refusal_on_the_phone(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "refuse", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_logged("refused on the phone (denied)");
	assert_non_null(strstr(c.text, "Login not approved: DingTalk on the phone refused it"));
	assert_logged(" cause=denied ");
}

static void test_timeout(void **state)
{
	struct conv_ctx c = {.plan = {NULL, NULL, 0, 0, NULL, NULL}};
	double seconds;

	(void)state;
	assert_pam(authenticate("dingtalk_short", "alice", &c, &seconds), PAM_AUTH_ERR);
	assert_logged("timed out: no approval within 10 seconds");
	assert_logged(" cause=timeout ");
	assert_non_null(strstr(c.text, "Login timed out: no approval arrived in time."));
	/* The module never outlives its timeout. */
	assert_true(seconds >= 8.0 && seconds <= 10.5);
}

static void test_helper_not_running(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	double seconds;

	(void)state;
	assert_pam(authenticate("dingtalk_nohelper", "alice", &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_logged("absent.sock");
	assert_true(seconds < 2.0);
	assert_int_equal(c.text_len, 0); /* no QR for a login that cannot work */
}

static void test_dingtalk_unreachable(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	needs_root();
	assert_pam(authenticate("dingtalk_apidown", "alice", &c, NULL), PAM_AUTHINFO_UNAVAIL);
	assert_logged("DingTalk http://127.0.0.1:");
}

/* DingTalk accepts the connection and never answers: the login ends at its
 * deadline as "unavailable", not as a refusal. */
static void test_dingtalk_silent_after_approval(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	double seconds;
	int rc;

	(void)state;
	needs_root();
	mock_fault("{\"endpoint\": \"userAccessToken\", \"mode\": \"hang\", \"seconds\": 30}");
	rc = authenticate("dingtalk_short", "alice", &c, &seconds);
	mock_fault("{\"endpoint\": \"*\", \"mode\": \"none\"}");
	assert_pam(rc, PAM_AUTHINFO_UNAVAIL);
	assert_logged("DingTalk http://127.0.0.1:");
	assert_true(seconds <= 10.5);
}

static void test_unsafe_config_is_refused(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_unsafe", "alice", &c, NULL), PAM_SERVICE_ERR);
	assert_logged("mode 0644 is too open");
	assert_int_equal(c.text_len, 0);
}

static void test_unknown_key_is_refused(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_unknownkey", "alice", &c, NULL), PAM_SERVICE_ERR);
	assert_logged("unknownkey.conf:7: unknown key 'clientid'");
}

static void test_unknown_argument_is_refused(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_badarg", "alice", &c, NULL), PAM_SERVICE_ERR);
	assert_logged("module argument 'no_such_argument': unknown");
}

static void test_unknown_local_user(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk", "nosuchuser", &c, NULL), PAM_USER_UNKNOWN);
	assert_int_equal(c.text_len, 0);
}

/* The authorization code is single use: after a successful login the phone
 * cannot make the helper hand out a code again, and the log never holds
 * the state, the code or the secret. */
static void test_no_secrets_in_logs(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	const char *log;

	(void)state;
	assert_pam(authenticate("dingtalk", "alice", &c, NULL), PAM_SUCCESS);
	log = read_case_log();
	assert_null(strstr(log, "mock-secret-0123456789"));
	assert_null(strstr(log, "state="));
	assert_null(strstr(log, "authCode"));
}

/* ---- wait = enter (sshd): the QR travels with a prompt ---- */

static void test_enter_after_approving(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL},
			     .answers = {AFTER_PHONE}};

	(void)state;
	assert_pam(authenticate("dingtalk_enter", "alice", &c, NULL), PAM_SUCCESS);
	assert_int_equal(c.prompts, 1);
	/* The QR, link and number are in the prompt itself. */
	assert_non_null(strstr(c.last_prompt, "\xe2\x96\x88"));
	assert_non_null(strstr(c.last_prompt, "/l/"));
	assert_non_null(strstr(c.last_prompt, "Press Enter after approving in DingTalk"));
}

static void test_enter_too_early_prompts_again(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, "5", NULL},
			     .answers = {"", AFTER_PHONE}};

	(void)state;
	assert_pam(authenticate("dingtalk_enter", "alice", &c, NULL), PAM_SUCCESS);
	assert_int_equal(c.prompts, 2);
	/* The reminder repeats link and number, not the whole QR. */
	assert_non_null(strstr(c.last_prompt, "Not approved yet."));
	assert_non_null(strstr(c.last_prompt, c.link));
	assert_null(strstr(c.last_prompt, "\xe2\x96\x88"));
}

static void test_r_draws_a_new_qr(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 1, NULL, NULL},
			     .answers = {"r", AFTER_PHONE}};

	(void)state;
	assert_pam(authenticate("dingtalk_enter", "alice", &c, NULL), PAM_SUCCESS);
	assert_int_equal(c.links_seen, 2); /* a new session, a new link */
	assert_logged("session");
}

static void test_old_link_is_dead_after_r(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}, .answers = {"r", ""}};

	(void)state;
	/* The phone approves the first link, which "r" cancelled: the new
	 * session never hears of it. max_tries = 4 ends the loop. */
	c.answers[2] = "";
	c.answers[3] = "";
	assert_pam(authenticate("dingtalk_enter", "alice", &c, NULL), PAM_MAXTRIES);
}

static void test_a_redraws_in_ascii_and_is_remembered(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL},
			     .answers = {"a", AFTER_PHONE}};
	struct conv_ctx again = {.plan = {"alice", "approve", 0, 0, NULL, NULL},
				 .answers = {AFTER_PHONE}};
	char path[512], text[64] = "";
	FILE *f;

	(void)state;
	needs_root();
	assert_pam(authenticate("dingtalk_enter", "alice", &c, NULL), PAM_SUCCESS);
	assert_int_equal(c.links_seen, 1); /* the same session, redrawn */
	assert_non_null(strstr(c.last_prompt, "####"));
	assert_null(strstr(c.last_prompt, "\xe2\x96"));
	snprintf(path, sizeof(path), "%s/home/alice/.pam_dingtalk", getenv("DT_WORK"));
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_string_equal(text, "qr = ascii\n");
	/* Next time the first QR is already ASCII. */
	assert_pam(authenticate("dingtalk_enter", "alice", &again, NULL), PAM_SUCCESS);
	assert_non_null(strstr(again.last_prompt, "####"));
	unlink(path);
}

/* Before authenticating, anyone at sshd's prompt can press a or u: that
 * must not make root write (and fsync) the target's ~/.pam_dingtalk. */
static void test_style_is_not_saved_without_success(void **state)
{
	struct conv_ctx c = {.plan = {NULL, NULL, 0, 0, NULL, NULL},
			     .answers = {"a", "u", "a", "u"}};
	struct conv_ctx refused = {.plan = {"alice", "refuse", 0, 0, NULL, NULL},
				   .answers = {"a", AFTER_PHONE}};
	char path[512];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/home/alice/.pam_dingtalk", getenv("DT_WORK"));
	unlink(path);
	assert_pam(authenticate("dingtalk_enter", "alice", &c, NULL), PAM_MAXTRIES);
	assert_non_null(strstr(c.last_prompt, "####")); /* the switch itself worked */
	assert_int_equal(stat(path, &st), -1);
	assert_pam(authenticate("dingtalk_enter", "alice", &refused, NULL), PAM_AUTH_ERR);
	assert_int_equal(stat(path, &st), -1);
}

static void test_prompts_are_bounded(void **state)
{
	struct conv_ctx c = {.plan = {NULL, NULL, 0, 0, NULL, NULL}, .answers = {"", "x", "", ""}};

	(void)state;
	assert_pam(authenticate("dingtalk_enter", "alice", &c, NULL), PAM_MAXTRIES);
	assert_int_equal(c.prompts, 4);
	assert_logged("not approved after 4 prompts");
}

/* Whether the helper logged the cancel of the session named in the
 * module's audit line ("session=ID"). */
static int helper_logged_cancel(const char *module_log)
{
	const char *p = strstr(module_log, "session=");
	char id[32] = "", needle[64], path[512], buf[65536];
	FILE *f;
	size_t n;
	int tries;

	if (p == NULL || sscanf(p + 8, "%31[A-Za-z0-9_-]", id) != 1)
		return 0;
	snprintf(needle, sizeof(needle), "cancelled id=%s", id);
	snprintf(path, sizeof(path), "%s/callbackd.log", getenv("DT_WORK"));
	for (tries = 0; tries < 20; tries++, usleep(100000)) {
		if ((f = fopen(path, "r")) == NULL)
			continue;
		/* The end of the log: earlier cases wrote the rest. */
		if (fseek(f, -(long)(sizeof(buf) - 1), SEEK_END) != 0)
			rewind(f);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		if (strstr(buf, needle) != NULL)
			return 1;
	}
	return 0;
}

static void test_sshd_fake_password_is_refused(void **state)
{
	struct conv_ctx c = {.plan = {NULL, NULL, 0, 0, NULL, NULL},
			     .answers = {"\b\n\r\177INCORRECT"}};

	(void)state;
	assert_pam(authenticate("dingtalk_enter", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_int_equal(c.prompts, 1);
	assert_logged("sshd marked the user as invalid");
	/* The session does not linger at the helper until its ttl. */
	assert_true(helper_logged_cancel(read_case_log()));
}

/* sudo blocks SIGINT while it authenticates: Ctrl-C stays pending, and
 * the module must notice it and stop waiting. */
static int authenticate_blocking_sigint(const char *service, struct conv_ctx *c, double *seconds)
{
	struct timespec no_wait = {0, 0};
	sigset_t block, old;
	int rc;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	rc = authenticate(service, "alice", c, seconds);
	assert_int_equal(sigtimedwait(&block, NULL, &no_wait), SIGINT); /* left for the host */
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* After "r" the new session must still notice Ctrl-C: cancelling the old
 * one may not switch the check off. */
static void test_ctrl_c_after_r(void **state)
{
	struct conv_ctx c = {
	    .plan = {NULL, NULL, 0, 0, NULL, NULL}, .ctrl_c = 2, .answers = {"r", ""}};
	double seconds;

	(void)state;
	c.answers[2] = "";
	c.answers[3] = "";
	assert_pam(authenticate_blocking_sigint("dingtalk_enter", &c, &seconds), PAM_CONV_ERR);
	assert_int_equal(c.prompts, 2);
	assert_logged("interrupted at the terminal");
}

static void test_ctrl_c_ends_the_wait(void **state)
{
	struct conv_ctx c = {.plan = {NULL, NULL, 0, 0, NULL, NULL}, .ctrl_c = 1};
	struct timespec no_wait = {0, 0};
	sigset_t block, old;
	double seconds;
	int rc;

	(void)state;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	rc = authenticate("dingtalk", "alice", &c, &seconds);
	assert_int_equal(sigtimedwait(&block, NULL, &no_wait), SIGINT); /* left for the host */
	sigprocmask(SIG_SETMASK, &old, NULL);
	assert_pam(rc, PAM_CONV_ERR);
	assert_true(seconds < 3.0);
	assert_logged("interrupted at the terminal");
}

/* ---- su ---- */

static int su_as(const char *caller, const char *target, struct conv_ctx *c)
{
	int rc;

	setenv("PAM_RUSER", caller, 1);
	rc = authenticate("su", target, c, NULL);
	unsetenv("PAM_RUSER");
	return rc;
}

static void test_su_to_root_verifies_the_caller(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(su_as("alice", "root", &c), PAM_SUCCESS);
	assert_non_null(strstr(c.text, "DingTalk approval for alice on "));
	assert_non_null(strstr(c.text, "to run: su root"));
	assert_logged("su to root: DingTalk approval by the calling user alice");
}

static void test_su_to_root_needs_the_callers_identity(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(su_as("bob", "root", &c), PAM_AUTH_ERR);
	assert_logged("is bound to 'alice', not to 'bob'");
}

static void test_su_to_another_user_verifies_the_target(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(su_as("bob", "alice", &c), PAM_SUCCESS);
	assert_non_null(strstr(c.text, "DingTalk login for alice on "));
}

/* ---- language, PAM_SILENT, sudo ---- */

static void test_chinese_messages(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_zh", "alice", &c, NULL), PAM_SUCCESS);
	assert_non_null(strstr(c.text, "钉钉登录"));
	assert_non_null(strstr(c.text, "请用钉钉扫描二维码"));
	assert_non_null(strstr(c.text, "已由 Alice Zhang 在钉钉中批准。"));
}

static void test_silent_drops_chatter_not_the_qr(void **state)
{
	struct conv_ctx loud = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	struct conv_ctx quiet = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk", "alice", &loud, NULL), PAM_SUCCESS);
	assert_non_null(strstr(loud.text, "Approved in DingTalk by Alice Zhang."));
	assert_pam(authenticate_flags("dingtalk", "alice", &quiet, PAM_SILENT, NULL), PAM_SUCCESS);
	assert_null(strstr(quiet.text, "Approved in DingTalk"));
	assert_non_null(strstr(quiet.text, "\xe2\x96\x88"));
}

static void test_sudo_names_the_command(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	setenv("SUDO_COMMAND", "/usr/bin/apt upgrade\033[2J", 1);
	pt_set_tty("/dev/pts/9"); /* sudo sets PAM_TTY when there is a terminal */
	assert_pam(authenticate("sudo", "alice", &c, NULL), PAM_SUCCESS);
	pt_set_tty(NULL);
	unsetenv("SUDO_COMMAND");
	/* Named, and stripped of the escape character. */
	assert_non_null(strstr(c.text, "DingTalk approval for alice on "));
	assert_non_null(strstr(c.text, "to run: /usr/bin/apt upgrade?[2J"));
}

/* ---- issue 4: each flow end to end, corp_id, the directory, TLS ---- */

/* Flow C: the short link opens the helper's page inside DingTalk, whose
 * JSAPI gets a code (the phone asks the mock for it), exchanged with the
 * app token at topapi/v2/user/getuserinfo. */
static void test_inapp_flow_logs_in(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_inapp", "alice", &c, NULL), PAM_SUCCESS);
	assert_logged(
	    "result=success pam=PAM_SUCCESS user=alice unionid=uAlice0000000000000000iEiE");
}

static void test_inapp_flow_maps_like_the_others(void **state)
{
	struct conv_ctx c = {.plan = {"bob", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_inapp", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_logged("is bound to 'bob', not to 'alice'");
}
static void test_sns_flow_logs_in(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_sns", "alice", &c, NULL), PAM_SUCCESS);
	assert_logged("result=success pam=PAM_SUCCESS user=alice "
		      "unionid=uAlice0000000000000000iEiE nick=\"Alice Zhang\"");
}

static void test_sns_flow_maps_like_oauth2(void **state)
{
	struct conv_ctx c = {.plan = {"bob", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_sns", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_logged("is bound to 'bob', not to 'alice'");
}

static void test_corp_id_of_the_organisation_logs_in(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_corp", "alice", &c, NULL), PAM_SUCCESS);
}

static void test_other_organisation_is_refused(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_othercorp", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_logged("not corp_id dingothercorp: refused");
}

static void test_directory_member_logs_in(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_dir", "alice", &c, NULL), PAM_SUCCESS);
}

static void test_external_contact_is_refused(void **state)
{
	struct conv_ctx c = {.plan = {"carol", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_dir", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_logged("unionId uCarol0000000000000000iEiE (Carol Wang) is an external contact");
}

static void test_untrusted_certificate_is_refused(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	needs_root();
	assert_pam(authenticate("dingtalk_tls_untrusted", "alice", &c, NULL), PAM_AUTHINFO_UNAVAIL);
	assert_logged("certificate");
}

static void test_trusted_certificate_through_ca_file(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_tls", "alice", &c, NULL), PAM_SUCCESS);
}

/* The error codes of docs/dingtalk-api.md, row by row, through PAM: the mock
 * answers with the error, the module logs one line naming the code,
 * DingTalk's message and what to do, and returns the PAM code. */
struct error_row {
	const char *service, *person;
	const char *fault; /* for /_mock/fault */
	int pam_rc;
	const char *line; /* in the log */
};

static const struct error_row error_rows[] = {
    {"dingtalk", "alice",
     "{\"endpoint\":\"userAccessToken\",\"mode\":\"error\",\"status\":403,\"code\":"
     "\"Forbidden.AccessDenied.IpNotInWhiteList\",\"message\":\"ip not allowed\"}",
     PAM_AUTHINFO_UNAVAIL,
     "DingTalk userAccessToken: HTTP 403 Forbidden.AccessDenied.IpNotInWhiteList (\"ip not "
     "allowed\"): this host's egress IP is not in the app's server IP whitelist"},
    {"dingtalk_dir", "alice",
     "{\"endpoint\":\"getbyunionid\",\"mode\":\"error\",\"errcode\":60020,\"errmsg\":"
     "\"访问ip不在白名单之中\"}",
     PAM_AUTHINFO_UNAVAIL,
     "DingTalk topapi/user/getbyunionid: errcode 60020 (\"访问ip不在白名单之中\"): this "
     "host's "
     "egress IP"},
    {"dingtalk", "alice",
     "{\"endpoint\":\"users_me\",\"mode\":\"error\",\"status\":400,\"code\":"
     "\"InvalidAuthentication\",\"message\":\"不合法的access_token\"}",
     PAM_AUTHINFO_UNAVAIL,
     "DingTalk contact/users/me: HTTP 400 InvalidAuthentication "
     "(\"不合法的access_token\"): the "
     "access token was refused"},
    {"dingtalk_dir", "alice",
     "{\"endpoint\":\"user_get\",\"mode\":\"error\",\"errcode\":42001,\"errmsg\":"
     "\"access_token超时\"}",
     PAM_AUTHINFO_UNAVAIL,
     "DingTalk topapi/v2/user/get: errcode 42001 (\"access_token超时\"): the access token "
     "was "
     "refused or has expired"},
    {"dingtalk", "alice",
     "{\"endpoint\":\"userAccessToken\",\"mode\":\"error\",\"status\":400,\"code\":"
     "\"invalidClientIdOrSecret\",\"message\":\"无效的clientId或clientSecret\"}",
     PAM_AUTHINFO_UNAVAIL,
     "HTTP 400 invalidClientIdOrSecret (\"无效的clientId或clientSecret\"): the AppKey or "
     "AppSecret is wrong: check client_id and client_secret for pasted spaces"},
    {"dingtalk_dir_gettoken", "alice",
     "{\"endpoint\":\"gettoken\",\"mode\":\"error\",\"errcode\":40096,\"errmsg\":"
     "\"不合法的appKey或appSecret\"}",
     PAM_AUTHINFO_UNAVAIL,
     "DingTalk gettoken: errcode 40096 (\"不合法的appKey或appSecret\"): the AppKey or "
     "AppSecret "
     "is wrong"},
    {"dingtalk", "alice",
     "{\"endpoint\":\"userAccessToken\",\"mode\":\"error\",\"status\":409,\"code\":"
     "\"invalidCode\",\"message\":\"code无效\"}",
     PAM_AUTH_ERR,
     "HTTP 409 invalidCode (\"code无效\"): the authorization code is unknown, used "
     "or expired: scan again"},
    {"dingtalk_sns", "alice",
     "{\"endpoint\":\"sns_userinfo\",\"mode\":\"error\",\"errcode\":40078,\"errmsg\":"
     "\"不存在的临时授权码\"}",
     PAM_AUTH_ERR, "errcode 40078 (\"不存在的临时授权码\"): the authorization code is unknown"},
    {"dingtalk_dir", "eve", NULL, PAM_AUTH_ERR,
     "unionId uEve000000000000000000000iEiE: DingTalk topapi/user/getbyunionid: errcode "
     "60121 "
     "(\"找不到该用户\"): not found in the organisation (never a member, or has left it): "
     "refused"},
    {"dingtalk", "alice",
     "{\"endpoint\":\"users_me\",\"mode\":\"error\",\"status\":403,\"code\":"
     "\"Forbidden.AccessDenied.AccessTokenPermissionDenied\",\"message\":\"没有权限\"}",
     PAM_AUTHINFO_UNAVAIL,
     "HTTP 403 Forbidden.AccessDenied.AccessTokenPermissionDenied (\"没有权限\"): the app "
     "lacks the permission 通讯录个人信息读权限 (Contact.User.Read"},
    /* getbyunionid just answered with the same permission: about the
     * person, a refusal. */
    {"dingtalk_dir", "alice",
     "{\"endpoint\":\"user_get\",\"mode\":\"error\",\"sub_code\":\"60011\",\"message\":"
     "\"没有调用该接口的权限\"}",
     PAM_AUTH_ERR,
     "refused, as this login's first look-up had the permission: DingTalk topapi/v2/user/get: "
     "errcode 88 sub_code 60011 (\"没有调用该接口的权限\"): the app lacks the permission "
     "成员信息读权限 (qyapi_get_member: read member information)"},
    {"dingtalk_dir", "alice", "{\"endpoint\":\"getbyunionid\",\"mode\":\"throttled\"}",
     PAM_AUTHINFO_UNAVAIL,
     "errcode 90018 (\"当前企业调用该接口超过限制，请稍后再试\"): DingTalk is throttling "
     "this app"},
    {"dingtalk", "alice", "{\"endpoint\":\"users_me\",\"mode\":\"throttled\"}",
     PAM_AUTHINFO_UNAVAIL,
     "HTTP 403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi "
     "(\"调用该接口触发了限流，请稍后再试"
     "\"): DingTalk is throttling this app"},
    {"dingtalk_dir", "alice",
     "{\"endpoint\":\"user_get\",\"mode\":\"error\",\"errcode\":90020,\"errmsg\":"
     "\"超过月调用量\"}",
     PAM_AUTHINFO_UNAVAIL,
     "errcode 90020 (\"超过月调用量\"): the organisation's monthly API quota is exhausted"},
    /* issue 14: DingTalk's answers as its documentation and real answers
     * give them (docs/dingtalk-api.md) */
    {"dingtalk", "alice",
     "{\"endpoint\":\"users_me\",\"mode\":\"throttled\",\"code\":"
     "\"Forbidden.AccessDenied.QpmLimitForAppkeyAndApi\"}",
     PAM_AUTHINFO_UNAVAIL,
     "HTTP 403 Forbidden.AccessDenied.QpmLimitForAppkeyAndApi (\"您的企业应用调用钉钉开放平台当前"
     "接口的所有请求都被暂时禁用了\"): DingTalk is throttling this app per minute"},
    {"dingtalk_dir", "alice",
     "{\"endpoint\":\"getbyunionid\",\"mode\":\"throttled\",\"errcode\":90005}",
     PAM_AUTHINFO_UNAVAIL, "errcode 90005 (\"您的企业调用当前接口次数过多"},
    {"dingtalk_dir", "alice", "{\"endpoint\":\"getbyunionid\",\"mode\":\"blanktoken\"}",
     PAM_AUTHINFO_UNAVAIL,
     "errcode 88 sub_code 40000 (\"access_token is blank\"): DingTalk received no access token"},
    {"dingtalk_wrongbase", "alice", NULL, PAM_AUTHINFO_UNAVAIL,
     "DingTalk userAccessToken: errcode 404 (\"请求的URI地址不存在\"): DingTalk does not know this "
     "URL (请求的URI地址不存在): check api_base and oapi_base"},
    {"dingtalk_sns", "alice",
     "{\"endpoint\":\"sns_userinfo\",\"mode\":\"error\",\"errcode\":853003,\"errmsg\":"
     "\"accessKey参数不合法\"}",
     PAM_AUTHINFO_UNAVAIL,
     "errcode 853003 (\"accessKey参数不合法\"): DingTalk knows no app with this accessKey: check "
     "client_id"},
    {"dingtalk_sns", "alice",
     "{\"endpoint\":\"sns_userinfo\",\"mode\":\"error\",\"errcode\":853004,\"errmsg\":"
     "\"signature参数不正确\"}",
     PAM_AUTHINFO_UNAVAIL,
     "errcode 853004 (\"signature参数不正确\"): the signature does not match the one DingTalk "
     "computes with the app's secret: check client_secret"},
    /* In the code exchange, what the code may have caused refuses. */
    {"dingtalk_sns", "alice",
     "{\"endpoint\":\"sns_userinfo\",\"mode\":\"error\",\"errcode\":40035,\"errmsg\":"
     "\"缺少参数\"}",
     PAM_AUTH_ERR,
     "the code from the phone was refused: DingTalk sns/getuserinfo_bycode: errcode 40035"},
    {"dingtalk_dir_gettoken", "alice",
     "{\"endpoint\":\"gettoken\",\"mode\":\"error\",\"errcode\":40035,\"errmsg\":"
     "\"缺少参数 corpid or appkey\"}",
     PAM_AUTHINFO_UNAVAIL,
     "DingTalk gettoken: errcode 40035 (\"缺少参数 corpid or appkey\"): DingTalk received the "
     "request without a parameter it needs (for gettoken: the appkey): check that client_id and "
     "client_secret are set"},
    {NULL, NULL, NULL, 0, NULL},
};

static void test_error_table_through_pam(void **state)
{
	const struct error_row *r;

	(void)state;
	needs_root();
	for (r = error_rows; r->service != NULL; r++) {
		struct conv_ctx c;
		int rc;

		memset(&c, 0, sizeof(c));
		c.plan.person = r->person;
		c.plan.decision = "approve";
		if (r->fault != NULL)
			mock_fault(r->fault);
		rc = authenticate(r->service, "alice", &c, NULL);
		mock_fault("{\"endpoint\": \"*\", \"mode\": \"none\"}");
		if (rc != r->pam_rc || strstr(read_case_log(), r->line) == NULL)
			fail_msg("row \"%s\": PAM %d (%s), wanted %d; log:\n%s", r->line, rc,
				 pam_strerror(NULL, rc), r->pam_rc, read_case_log());
	}
}

/* DingTalk's IP ban lasts minutes ("wait" counts them): the login gives up
 * at once as unavailable, saying for how long, and the next login does
 * not call DingTalk while the ban lasts. The ban here is 0.03 minutes, so
 * that it is over before the next test. */
static void test_ip_ban_gives_up_at_once(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	time_t t0 = time(NULL);
	int rc;

	(void)state;
	needs_root();
	mock_fault("{\"endpoint\":\"getbyunionid\",\"mode\":\"ipban\",\"wait\":0.03,"
		   "\"count\":1}");
	rc = authenticate("dingtalk_dir", "alice", &c, NULL);
	assert_pam(rc, PAM_AUTHINFO_UNAVAIL);
	assert_logged("DingTalk topapi/user/getbyunionid: status 1111: DingTalk has banned this "
		      "host's IP from every API for 2 s");
	assert_true(time(NULL) - t0 < 10);
	memset(&c, 0, sizeof(c));
	c.plan.person = "alice";
	c.plan.decision = "approve";
	rc = authenticate("dingtalk_dir", "alice", &c, NULL);
	mock_fault("{\"endpoint\": \"*\", \"mode\": \"none\"}");
	assert_pam(rc, PAM_AUTHINFO_UNAVAIL);
	assert_logged(": not called: DingTalk banned this host's IP (status 1111)");
	usleep(2000 * 1000);
}

/* ---- policy: root, groups, failmode, audit, per-service sections ---- */

/* A stack whose only module answers PAM_IGNORE ends in PAM_PERM_DENIED:
 * never a success. The audit line shows the module's own PAM_IGNORE. */
#define ONLY_MODULE_IGNORED PAM_PERM_DENIED

/* Anyone behind this host's IP can provoke a ban, so under failmode = safe
 * it lets a root daemon's logins through unchecked while it lasts
 * (documented); where the caller controls the process (su, sudo: this
 * suite unprivileged) it is a refusal, never a degraded login. */
static void test_ip_ban_under_failmode_safe(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	int rc;

	(void)state;
	mock_fault("{\"endpoint\":\"getbyunionid\",\"mode\":\"ipban\",\"wait\":0.03,"
		   "\"count\":1}");
	rc = authenticate("dingtalk_dir_safe", "alice", &c, NULL);
	mock_fault("{\"endpoint\": \"*\", \"mode\": \"none\"}");
	assert_logged("status 1111: DingTalk has banned this host's IP");
	if (getuid() == 0) {
		assert_pam(rc, ONLY_MODULE_IGNORED);
		assert_logged("failmode = safe, not checked");
	} else {
		assert_pam(rc, PAM_AUTH_ERR);
		assert_logged("in a process its caller controls (refused, not unavailable)");
	}
	usleep(2000 * 1000); /* the ban is over before the next case */
}

static void test_root_is_refused_by_default(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	/* The map binds alice's identity to root too: allow_root still says no. */
	assert_pam(authenticate("dingtalk", "root", &c, NULL), PAM_AUTH_ERR);
	assert_int_equal(c.text_len, 0); /* refused before any QR */
	assert_logged("'root' has uid 0 and allow_root = no");
	assert_logged("result=denied pam=PAM_AUTH_ERR user=root");
}

static void test_root_with_allow_root(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_root", "root", &c, NULL), PAM_SUCCESS);
}

static void test_outside_only_groups_is_ignored(void **state)
{
	struct conv_ctx c = {.plan = {"bob", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_only", "bob", &c, NULL), ONLY_MODULE_IGNORED);
	assert_int_equal(c.text_len, 0);
	assert_logged("result=ignored pam=PAM_IGNORE user=bob");
	assert_logged("not in only_groups");
}

static void test_negated_group_in_only_groups(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	/* alice-admin is in dingtalk-users and in !contractors. */
	assert_pam(authenticate("dingtalk_only", "alice-admin", &c, NULL), ONLY_MODULE_IGNORED);
	assert_logged("pam=PAM_IGNORE");
	assert_int_equal(c.text_len, 0);
}

static void test_inside_only_groups_logs_in(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_only", "alice", &c, NULL), PAM_SUCCESS);
}

static void test_skip_groups_with_negation(void **state)
{
	struct conv_ctx bob = {.plan = {"bob", "approve", 0, 0, NULL, NULL}};
	struct conv_ctx alice = {.plan = {"bob", "approve", 0, 0, NULL, NULL}};

	(void)state;
	/* skip_groups = !dingtalk-users: everyone outside the group is skipped. */
	assert_pam(authenticate("dingtalk_skip", "bob", &bob, NULL), ONLY_MODULE_IGNORED);
	assert_logged("in skip_groups");
	/* ... and alice is not: bob's identity is still refused for her. */
	assert_pam(authenticate("dingtalk_skip", "alice", &alice, NULL), PAM_AUTH_ERR);
}

static void test_failmode_safe_ignores_an_absent_helper(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_safe_nohelper", "alice", &c, NULL), ONLY_MODULE_IGNORED);
	assert_logged("SYSLOG(4): audit: result=ignored pam=PAM_IGNORE user=alice");
	assert_logged("failmode = safe, not checked: ");
	assert_logged("absent.sock");
}

static void test_failmode_safe_never_turns_a_denial(void **state)
{
	struct conv_ctx refused = {.plan = {"alice", "refuse", 0, 0, NULL, NULL}};
	struct conv_ctx other = {.plan = {"bob", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_safe", "alice", &refused, NULL), PAM_AUTH_ERR);
	assert_pam(authenticate("dingtalk_safe", "alice", &other, NULL), PAM_AUTH_ERR);
}

static void test_broken_map_follows_failmode(void **state)
{
	struct conv_ctx secure = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	struct conv_ctx safe = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_nomap", "alice", &secure, NULL), PAM_SERVICE_ERR);
	assert_logged("absent.map: cannot open");
	assert_pam(authenticate("dingtalk_safe_nomap", "alice", &safe, NULL), ONLY_MODULE_IGNORED);
	assert_logged("pam=PAM_IGNORE");
	assert_logged("failmode = safe, not checked: ");
}

static void test_audit_json(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	const char *log;

	(void)state;
	assert_pam(authenticate("dingtalk_json", "alice", &c, NULL), PAM_SUCCESS);
	assert_logged("{\"result\":\"success\",\"pam\":\"PAM_SUCCESS\",\"user\":\"alice\","
		      "\"unionid\":\"uAlice0000000000000000iEiE\",\"nick\":\"Alice Zhang\","
		      "\"rhost\":null,\"service\":\"dingtalk_json\",");
	assert_logged("\"elapsed_ms\":");
	log = read_case_log();
	assert_null(strstr(log, "mock-secret-0123456789"));
	assert_null(strstr(log, "state"));
}

static void test_audit_line_of_a_refusal(void **state)
{
	struct conv_ctx c = {.plan = {"bob", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_logged("audit: result=denied pam=PAM_AUTH_ERR user=alice "
		      "unionid=uBob00000000000000000000iEiE nick=\"Bob Li\"");
	assert_logged("reason: unionId uBob00000000000000000000iEiE (Bob Li) is bound to 'bob', "
		      "not to 'alice'");
}

static void test_service_section_overrides(void **state)
{
	struct conv_ctx safe = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	struct conv_ctx ok = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	struct conv_ctx plain = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	/* The top of the file names an absent helper; each section changes it. */
	assert_pam(authenticate("dingtalk_sect_safe", "alice", &safe, NULL), ONLY_MODULE_IGNORED);
	assert_logged("pam=PAM_IGNORE");
	assert_pam(authenticate("dingtalk_sect_ok", "alice", &ok, NULL), PAM_SUCCESS);
	assert_pam(authenticate("dingtalk_sect_plain", "alice", &plain, NULL),
		   PAM_AUTHINFO_UNAVAIL);
}

static void test_typo_in_another_services_section(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_sect_typo", "alice", &c, NULL), PAM_SERVICE_ERR);
	assert_logged("sect_typo.conf:8: unknown key 'alow_root'");
	assert_logged("audit: result=error pam=PAM_SERVICE_ERR");
}

/* ---- map sources: userfile, directory:<field>; directory rules ---- */

/* Writes alice's binding file as alice would (owner 1001, `mode`). */
static void write_binding(const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/home/alice/.pam_dingtalk_id", getenv("DT_WORK"));
	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chown(path, 1001, 1001), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void remove_binding(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/home/alice/.pam_dingtalk_id", getenv("DT_WORK"));
	unlink(path);
}

static void test_userfile_binds(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	struct conv_ctx none = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	needs_root();
	write_binding("# mine\nuAlice0000000000000000iEiE\n", 0600);
	assert_pam(authenticate("dingtalk_userfile", "alice", &c, NULL), PAM_SUCCESS);
	remove_binding();
	assert_pam(authenticate("dingtalk_userfile", "alice", &none, NULL), PAM_AUTH_ERR);
	assert_logged("is not in alice's binding file");
}

static void test_userfile_group_writable_is_refused(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	needs_root();
	write_binding("uAlice0000000000000000iEiE\n", 0620);
	assert_pam(authenticate("dingtalk_userfile", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_logged("ignored: writable by group or others");
	remove_binding();
}

/* As sshd's StrictModes: a home (or a directory above it) others can
 * write makes the binding file worthless, whatever its own mode. */
static void test_userfile_in_open_home_is_refused(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	struct conv_ctx up = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	char home[512], parent[512];

	(void)state;
	needs_root();
	snprintf(home, sizeof(home), "%s/home/alice", getenv("DT_WORK"));
	snprintf(parent, sizeof(parent), "%s/home", getenv("DT_WORK"));
	write_binding("uAlice0000000000000000iEiE\n", 0600);
	assert_int_equal(chmod(home, 0777), 0);
	assert_pam(authenticate("dingtalk_userfile", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_logged("is writable by group or others (mode 0777)");
	assert_int_equal(chmod(home, 0700), 0);
	assert_int_equal(chmod(parent, 0777), 0);
	assert_pam(authenticate("dingtalk_userfile", "alice", &up, NULL), PAM_AUTH_ERR);
	assert_logged("/home is writable by group or others (mode 0777)");
	assert_int_equal(chmod(parent, 0755), 0);
	remove_binding();
}

static void test_userfile_symlink_is_refused(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	char path[512], target[512];

	(void)state;
	needs_root();
	write_binding("uAlice0000000000000000iEiE\n", 0600);
	snprintf(path, sizeof(path), "%s/home/alice/.pam_dingtalk_id", getenv("DT_WORK"));
	snprintf(target, sizeof(target), "%s/home/alice/real_id", getenv("DT_WORK"));
	assert_int_equal(rename(path, target), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_pam(authenticate("dingtalk_userfile", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_logged("symbolic links are refused");
	unlink(path);
	unlink(target);
}

static void test_sources_are_tried_in_order(void **state)
{
	struct conv_ctx c = {.plan = {"bob", "approve", 0, 0, NULL, NULL}};

	(void)state;
	needs_root();
	/* The map file binds bob elsewhere; alice's own file lets him in. */
	write_binding("uBob00000000000000000000iEiE\n", 0600);
	assert_pam(authenticate("dingtalk_file_userfile", "alice", &c, NULL), PAM_SUCCESS);
	remove_binding();
}

static void test_directory_email_local_part(void **state)
{
	struct conv_ctx alice = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	struct conv_ctx bob = {.plan = {"bob", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_dir_email", "alice", &alice, NULL), PAM_SUCCESS);
	assert_pam(authenticate("dingtalk_dir_email", "alice", &bob, NULL), PAM_AUTH_ERR);
	assert_logged("directory:email names 'bob', not 'alice'");
}

/* The local part alone proves nothing: alice@example.com is not alice
 * where only corp.example addresses name accounts. */
static void test_directory_email_other_domain(void **state)
{
	struct conv_ctx alice = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_dir_email_foreign", "alice", &alice, NULL), PAM_AUTH_ERR);
	assert_logged("directory:email: the address's domain 'example.com' is not in email_domain");
}

static void test_directory_userid(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	struct conv_ctx other = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_dir_userid", "zhangalice01", &c, NULL), PAM_SUCCESS);
	assert_pam(authenticate("dingtalk_dir_userid", "alice", &other, NULL), PAM_AUTH_ERR);
	assert_logged("directory:userid names 'zhangalice01', not 'alice'");
}

static void test_require_active(void **state)
{
	struct conv_ctx gone = {.plan = {"dave", "approve", 0, 0, NULL, NULL}};
	struct conv_ctx without = {.plan = {"dave", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_active", "bob", &gone, NULL), PAM_AUTH_ERR);
	assert_logged("(Dave Inactive) has not activated DingTalk in the organisation (active = "
		      "false in the directory): refused (require_active)");
	/* The same person without the rule: the map file lets dave in. */
	assert_pam(authenticate("dingtalk_dir", "bob", &without, NULL), PAM_SUCCESS);
}

/* A person who left the organisation is not found there (60121): refused
 * as such, before require_active is even asked. */
static void test_leaver_is_refused_as_not_found(void **state)
{
	struct conv_ctx c = {.plan = {"frank", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_active", "bob", &c, NULL), PAM_AUTH_ERR);
	assert_logged("unionId uFrank0000000000000000iEiE: DingTalk topapi/user/getbyunionid: "
		      "errcode 60121 (\"找不到该用户\"): not found in the organisation (never a "
		      "member, or has left it): refused");
	assert_logged("result=denied pam=PAM_AUTH_ERR user=bob unionid=uFrank");
}

/* allow_external: an external contact's record comes from
 * topapi/extcontact/get (v2/user/get does not know them), and without
 * that API's permission the login is unavailable, naming it. */
static void test_external_contact_with_allow_external(void **state)
{
	struct conv_ctx c = {.plan = {"carol", "approve", 0, 0, NULL, NULL}};
	struct conv_ctx again = {.plan = {"carol", "approve", 0, 0, NULL, NULL}};
	int rc;

	(void)state;
	assert_pam(authenticate("dingtalk_external", "bob", &c, NULL), PAM_SUCCESS);
	mock_permissions("[\"Contact.User.Read\", \"qyapi_get_member\"]");
	rc = authenticate("dingtalk_external", "bob", &again, NULL);
	mock_grant_all(); /* before any assertion, so that a failure spoils no other case */
	assert_pam(rc, PAM_AUTH_ERR);
	assert_logged(
	    "DingTalk topapi/extcontact/get: errcode 60011 (\"没有调用该接口的权限\"): the "
	    "app lacks the permission 企业外部联系人读权限 (qyapi_ext_read");
}

/* Only an external contact's login calls extcontact/get: its failure is a
 * refusal, which failmode = safe must not turn into PAM_IGNORE. */
static void test_external_contact_failure_is_no_outage(void **state)
{
	struct conv_ctx c = {.plan = {"carol", "approve", 0, 0, NULL, NULL}};
	int rc;

	(void)state;
	mock_permissions("[\"Contact.User.Read\", \"qyapi_get_member\"]");
	rc = authenticate("dingtalk_external_safe", "bob", &c, NULL);
	mock_grant_all();
	assert_pam(rc, PAM_AUTH_ERR);
	assert_logged("external contact uCarol0000000000000000iEiE: refused, not unavailable");
	assert_logged("企业外部联系人读权限 (qyapi_ext_read");
}

/* An external contact's email is typed by some employee: it maps to no
 * account even in a trusted domain (only a unionId map admits them). */
static void test_external_contact_email_maps_nobody(void **state)
{
	struct conv_ctx c = {.plan = {"carol", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_external_email", "bob", &c, NULL), PAM_AUTH_ERR);
	assert_logged("directory:email: unionId uCarol0000000000000000iEiE is an external "
		      "contact, whose directory fields are free text");
}

/* Without 邮箱等个人信息 DingTalk leaves email out: map = directory:email
 * refuses, saying so. */
static void test_email_left_out_is_refused_with_the_reason(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	int rc;

	(void)state;
	mock_permissions("[\"Contact.User.Read\", \"qyapi_get_member\"]");
	rc = authenticate("dingtalk_dir_email", "alice", &c, NULL);
	mock_grant_all();
	assert_pam(rc, PAM_AUTH_ERR);
	assert_logged("directory:email: DingTalk gives no email for unionId "
		      "uAlice0000000000000000iEiE: the person has none, or the app lacks the "
		      "permission 邮箱等个人信息 (email and other personal information)");
}

static void test_require_active_needs_the_directory(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_active_nodir", "alice", &c, NULL), PAM_SERVICE_ERR);
	assert_logged("require_active and allowed_depts need directory = yes");
}

static void test_allowed_depts(void **state)
{
	struct conv_ctx alice = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	struct conv_ctx bob = {.plan = {"bob", "approve", 0, 0, NULL, NULL}};

	(void)state;
	assert_pam(authenticate("dingtalk_depts", "alice", &alice, NULL), PAM_SUCCESS);
	assert_pam(authenticate("dingtalk_depts", "bob", &bob, NULL), PAM_AUTH_ERR);
	assert_logged("is in none of allowed_depts 1, 7");
}

/* Recovery codes: made by the real dingtalk-ctl, offered only while the
 * helper cannot be reached. Returns how many codes were read into `codes`. */
static int issue_recovery_codes(const char *user, char codes[][32], int want)
{
	char cmd[1024], path[512], line[256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/codes.txt", getenv("DT_WORK"));
	snprintf(cmd, sizeof(cmd),
		 "'%s/src/ctl/dingtalk-ctl' --conf '%s/recovery.conf' recovery --user %s "
		 "--count %d >'%s' 2>&1",
		 getenv("DT_BUILDDIR"), getenv("DT_WORK"), user, want, path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	while (n < want && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "  %31[0-9a-z-]", codes[n]) == 1 && strlen(codes[n]) == 19)
			n++;
	fclose(f);
	assert_int_equal(n, want);
	return n;
}

static void test_recovery_code_while_helper_down(void **state)
{
	char codes[2][32];
	struct conv_ctx right = {.plan = {NULL, NULL, 0, 0, NULL, NULL}};
	struct conv_ctx again = {.plan = {NULL, NULL, 0, 0, NULL, NULL}};
	struct conv_ctx wrong = {.plan = {NULL, NULL, 0, 0, NULL, NULL}};
	struct conv_ctx enter = {.plan = {NULL, NULL, 0, 0, NULL, NULL}};

	(void)state;
	needs_root();
	issue_recovery_codes("alice", codes, 2);
	right.answers[0] = codes[1];
	assert_pam(authenticate("dingtalk_recovery", "alice", &right, NULL), PAM_SUCCESS);
	assert_non_null(strstr(right.last_prompt, "Recovery code"));
	assert_logged("recovery code used by alice (1 left) because DingTalk was unreachable");
	assert_logged("absent.sock");
	/* Single use. */
	again.answers[0] = codes[1];
	assert_pam(authenticate("dingtalk_recovery", "alice", &again, NULL), PAM_AUTH_ERR);
	assert_logged("wrong recovery code for alice");
	wrong.answers[0] = "0000-0000-0000-0000";
	assert_pam(authenticate("dingtalk_recovery", "alice", &wrong, NULL), PAM_AUTH_ERR);
	/* Enter alone: the original answer stands. */
	enter.answers[0] = "";
	assert_pam(authenticate("dingtalk_recovery", "alice", &enter, NULL), PAM_AUTHINFO_UNAVAIL);
}

static void test_recovery_not_offered_when_dingtalk_answers(void **state)
{
	char codes[1][32];
	struct conv_ctx c = {.plan = {"alice", "refuse", 0, 0, NULL, NULL}};

	(void)state;
	needs_root();
	issue_recovery_codes("alice", codes, 1);
	c.answers[0] = codes[0];
	assert_pam(authenticate("dingtalk_recovery_up", "alice", &c, NULL), PAM_AUTH_ERR);
	assert_null(strstr(c.text, "Recovery code"));
	assert_int_equal(c.prompts, 0);
}

static void test_recovery_not_offered_without_codes_or_when_off(void **state)
{
	char codes[1][32], path[512];
	struct conv_ctx none = {.plan = {NULL, NULL, 0, 0, NULL, NULL}};
	struct conv_ctx off = {.plan = {NULL, NULL, 0, 0, NULL, NULL}};
	struct conv_ctx unsafe = {.plan = {NULL, NULL, 0, 0, NULL, NULL}};

	(void)state;
	needs_root();
	issue_recovery_codes("alice", codes, 1);
	assert_pam(authenticate("dingtalk_recovery", "bob", &none, NULL), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(none.prompts, 0);
	off.answers[0] = codes[0];
	assert_pam(authenticate("dingtalk_recovery_off", "alice", &off, NULL),
		   PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(off.prompts, 0);
	/* A file others can read is not trusted: no prompt, and the log says why. */
	snprintf(path, sizeof(path), "%s/recovery", getenv("DT_WORK"));
	assert_int_equal(chmod(path, 0644), 0);
	unsafe.answers[0] = codes[0];
	assert_pam(authenticate("dingtalk_recovery", "alice", &unsafe, NULL), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(unsafe.prompts, 0);
	assert_logged("recovery codes not offered");
	assert_int_equal(chmod(path, 0600), 0);
}

/* ---- set_user: console login without a typed name ---- */

static int set_user_login(const char *user, struct conv_ctx *c, char pam_user[64])
{
	int rc = pt_authenticate_user("dingtalk_setuser", user, conversation, c, pam_user, 64);

	pt_reap_phone(&c->phone);
	return rc;
}

static void test_set_user_one_account(void **state)
{
	struct conv_ctx c = {.plan = {"bob", "approve", 0, 0, NULL, NULL}};
	char pam_user[64];

	(void)state;
	assert_pam(set_user_login(NULL, &c, pam_user), PAM_SUCCESS);
	assert_string_equal(pam_user, "bob");
	assert_int_equal(c.prompts, 0); /* nobody was asked for a name */
	assert_non_null(strstr(c.text, "to the account bound to your DingTalk identity"));
	assert_logged("set_user: unionId uBob00000000000000000000iEiE serves one account here: "
		      "PAM_USER=bob");
	assert_logged("audit: result=success pam=PAM_SUCCESS user=bob "
		      "unionid=uBob00000000000000000000iEiE");
}

static void test_set_user_several_accounts(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	char pam_user[64];

	(void)state;
	assert_pam(set_user_login(NULL, &c, pam_user), PAM_AUTH_ERR);
	assert_string_equal(pam_user, "");
	assert_logged("serves several accounts (alice alice-admin): set_user does not choose; "
		      "type the user name to log in");
	assert_logged("result=denied pam=PAM_AUTH_ERR user=- unionid=uAlice");
}

static void test_set_user_no_account(void **state)
{
	struct conv_ctx c = {.plan = {"mallory", "approve", 0, 0, NULL, NULL}};
	char pam_user[64];

	(void)state;
	assert_pam(set_user_login(NULL, &c, pam_user), PAM_AUTH_ERR);
	assert_string_equal(pam_user, "");
	assert_logged("set_user: unionId uMallory000000000000000iEiE (");
	assert_logged(") is bound to no local account here");
}

static void test_set_user_root_needs_allow_root(void **state)
{
	struct conv_ctx c = {.plan = {"dave", "approve", 0, 0, NULL, NULL}};
	char pam_user[64];

	(void)state;
	assert_pam(set_user_login(NULL, &c, pam_user), PAM_AUTH_ERR);
	assert_string_equal(pam_user, "");
	assert_logged("'root' has uid 0 and allow_root = no");
	assert_logged("result=denied pam=PAM_AUTH_ERR user=root unionid=uDave");
}

/* A name given by the application wins: alice serves two accounts, which
 * set_user would refuse, but she asked for one of them. */
static void test_set_user_with_a_user_changes_nothing(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}};
	char pam_user[64];

	(void)state;
	assert_pam(set_user_login("alice-admin", &c, pam_user), PAM_SUCCESS);
	assert_string_equal(pam_user, "alice-admin");
	assert_non_null(strstr(c.text, "DingTalk login for alice-admin"));
	assert_null(strstr(read_case_log(), "set_user"));
}

/* Without set_user the module asks for the name, as always. */
static void test_no_set_user_asks_for_the_name(void **state)
{
	struct conv_ctx c = {.plan = {"alice", "approve", 0, 0, NULL, NULL}, .answers = {"alice"}};

	(void)state;
	assert_pam(authenticate("dingtalk", NULL, &c, NULL), PAM_SUCCESS);
	assert_int_equal(c.prompts, 1);
	assert_null(strstr(c.last_prompt, "/l/")); /* the name prompt, not a QR */
	assert_non_null(strstr(c.text, "DingTalk login for alice"));
	assert_logged("result=success pam=PAM_SUCCESS user=alice");
}

/* ---- the conversation's own failures (docs/architecture.md, PAM codes) ---- */

static int failing_conversation(const char *service, const char *user, int at, int rc)
{
	struct conv_ctx c = {.plan = {NULL, NULL, 0, 0, NULL, NULL}, .fail_at = at, .fail_rc = rc};

	return authenticate(service, user, &c, NULL);
}

static void test_conv_again_asking_the_name(void **state)
{
	(void)state;
	assert_pam(failing_conversation("dingtalk", NULL, 1, PAM_CONV_AGAIN), PAM_INCOMPLETE);
	assert_logged("audit: result=error pam=PAM_INCOMPLETE user=-");
}

static void test_conv_again_showing_the_qr(void **state)
{
	(void)state;
	/* wait = poll shows the QR as info; wait = enter asks with it. */
	assert_pam(failing_conversation("dingtalk", "alice", 1, PAM_CONV_AGAIN), PAM_INCOMPLETE);
	assert_logged("pam=PAM_INCOMPLETE user=alice");
	assert_pam(failing_conversation("dingtalk_enter", "alice", 1, PAM_CONV_AGAIN),
		   PAM_INCOMPLETE);
	assert_pam(failing_conversation("dingtalk_setuser", NULL, 1, PAM_CONV_AGAIN),
		   PAM_INCOMPLETE);
}

static void test_conv_out_of_memory(void **state)
{
	(void)state;
	assert_pam(failing_conversation("dingtalk", NULL, 1, PAM_BUF_ERR), PAM_BUF_ERR);
	assert_pam(failing_conversation("dingtalk", "alice", 1, PAM_BUF_ERR), PAM_BUF_ERR);
	assert_logged("audit: result=error pam=PAM_BUF_ERR user=alice");
	assert_pam(failing_conversation("dingtalk_enter", "alice", 1, PAM_BUF_ERR), PAM_BUF_ERR);
}

static void test_conv_error(void **state)
{
	(void)state;
	assert_pam(failing_conversation("dingtalk", "alice", 1, PAM_CONV_ERR), PAM_CONV_ERR);
	assert_pam(failing_conversation("dingtalk", NULL, 1, PAM_CONV_ERR), PAM_CONV_ERR);
}

/* An argument picks cases by name (cmocka's * and ? wildcards), e.g.
 * DT_PAM_ARGS='*set_user*' tests/pam/run_pam_tests.sh. */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mapped_user_logs_in),
	    cmocka_unit_test(test_second_account_of_same_identity),
	    cmocka_unit_test(test_person_mapped_to_another_user_is_refused),
	    cmocka_unit_test(test_unmapped_person_is_refused),
	    cmocka_unit_test(test_wrong_number_is_refused),
	    cmocka_unit_test(test_refusal_on_the_phone),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_helper_not_running),
	    cmocka_unit_test(test_dingtalk_unreachable),
	    cmocka_unit_test(test_dingtalk_silent_after_approval),
	    cmocka_unit_test(test_unsafe_config_is_refused),
	    cmocka_unit_test(test_unknown_key_is_refused),
	    cmocka_unit_test(test_unknown_argument_is_refused),
	    cmocka_unit_test(test_unknown_local_user),
	    cmocka_unit_test(test_no_secrets_in_logs),
	    cmocka_unit_test(test_enter_after_approving),
	    cmocka_unit_test(test_enter_too_early_prompts_again),
	    cmocka_unit_test(test_r_draws_a_new_qr),
	    cmocka_unit_test(test_old_link_is_dead_after_r),
	    cmocka_unit_test(test_a_redraws_in_ascii_and_is_remembered),
	    cmocka_unit_test(test_style_is_not_saved_without_success),
	    cmocka_unit_test(test_prompts_are_bounded),
	    cmocka_unit_test(test_sshd_fake_password_is_refused),
	    cmocka_unit_test(test_ctrl_c_ends_the_wait),
	    cmocka_unit_test(test_ctrl_c_after_r),
	    cmocka_unit_test(test_su_to_root_verifies_the_caller),
	    cmocka_unit_test(test_su_to_root_needs_the_callers_identity),
	    cmocka_unit_test(test_su_to_another_user_verifies_the_target),
	    cmocka_unit_test(test_inapp_flow_logs_in),
	    cmocka_unit_test(test_inapp_flow_maps_like_the_others),
	    cmocka_unit_test(test_chinese_messages),
	    cmocka_unit_test(test_silent_drops_chatter_not_the_qr),
	    cmocka_unit_test(test_sudo_names_the_command),
	    cmocka_unit_test(test_sns_flow_logs_in),
	    cmocka_unit_test(test_sns_flow_maps_like_oauth2),
	    cmocka_unit_test(test_corp_id_of_the_organisation_logs_in),
	    cmocka_unit_test(test_other_organisation_is_refused),
	    cmocka_unit_test(test_directory_member_logs_in),
	    cmocka_unit_test(test_external_contact_is_refused),
	    cmocka_unit_test(test_untrusted_certificate_is_refused),
	    cmocka_unit_test(test_trusted_certificate_through_ca_file),
	    cmocka_unit_test(test_error_table_through_pam),
	    cmocka_unit_test(test_ip_ban_gives_up_at_once),
	    cmocka_unit_test(test_ip_ban_under_failmode_safe),
	    cmocka_unit_test(test_root_is_refused_by_default),
	    cmocka_unit_test(test_root_with_allow_root),
	    cmocka_unit_test(test_outside_only_groups_is_ignored),
	    cmocka_unit_test(test_negated_group_in_only_groups),
	    cmocka_unit_test(test_inside_only_groups_logs_in),
	    cmocka_unit_test(test_skip_groups_with_negation),
	    cmocka_unit_test(test_failmode_safe_ignores_an_absent_helper),
	    cmocka_unit_test(test_failmode_safe_never_turns_a_denial),
	    cmocka_unit_test(test_broken_map_follows_failmode),
	    cmocka_unit_test(test_audit_json),
	    cmocka_unit_test(test_audit_line_of_a_refusal),
	    cmocka_unit_test(test_service_section_overrides),
	    cmocka_unit_test(test_typo_in_another_services_section),
	    cmocka_unit_test(test_userfile_binds),
	    cmocka_unit_test(test_userfile_group_writable_is_refused),
	    cmocka_unit_test(test_userfile_in_open_home_is_refused),
	    cmocka_unit_test(test_userfile_symlink_is_refused),
	    cmocka_unit_test(test_sources_are_tried_in_order),
	    cmocka_unit_test(test_directory_email_local_part),
	    cmocka_unit_test(test_directory_email_other_domain),
	    cmocka_unit_test(test_directory_userid),
	    cmocka_unit_test(test_require_active),
	    cmocka_unit_test(test_require_active_needs_the_directory),
	    cmocka_unit_test(test_leaver_is_refused_as_not_found),
	    cmocka_unit_test(test_external_contact_with_allow_external),
	    cmocka_unit_test(test_external_contact_failure_is_no_outage),
	    cmocka_unit_test(test_external_contact_email_maps_nobody),
	    cmocka_unit_test(test_email_left_out_is_refused_with_the_reason),
	    cmocka_unit_test(test_allowed_depts),
	    cmocka_unit_test(test_recovery_code_while_helper_down),
	    cmocka_unit_test(test_recovery_not_offered_when_dingtalk_answers),
	    cmocka_unit_test(test_recovery_not_offered_without_codes_or_when_off),
	    cmocka_unit_test(test_set_user_one_account),
	    cmocka_unit_test(test_set_user_several_accounts),
	    cmocka_unit_test(test_set_user_no_account),
	    cmocka_unit_test(test_set_user_root_needs_allow_root),
	    cmocka_unit_test(test_set_user_with_a_user_changes_nothing),
	    cmocka_unit_test(test_no_set_user_asks_for_the_name),
	    cmocka_unit_test(test_conv_again_asking_the_name),
	    cmocka_unit_test(test_conv_again_showing_the_qr),
	    cmocka_unit_test(test_conv_out_of_memory),
	    cmocka_unit_test(test_conv_error),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
