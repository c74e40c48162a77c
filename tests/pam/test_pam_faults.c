/* The fault matrix through PAM (pam_wrapper + libpamtest): the helper
 * killed or restarted mid-wait, a helper answering garbage, DingTalk slow
 * (the whole answer, or the body a byte at a time), truncated, mistyped,
 * oversized or throttled, bad TLS certificates and a skewed clock. Each
 * case asserts the PAM code, that the login ends within the module's
 * deadline and the log line naming the problem. run_pam_faults.sh sets
 * the stage; the phone is tests/mock/phone.py. */
#include "config.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpamtest.h>
#include <security/pam_appl.h>

#include "pamtest_support.h"

/* Every service of run_pam_faults.sh has `timeout = 10`. */
#define DEADLINE 10.0
/* Past it, the code exchange may use its own budget (DT_EXCHANGE_BUDGET_S). */
#define EXCHANGE_BUDGET 10.0
/* What a login may take beyond it: never more. */
#define MARGIN 0.5

enum helper_action {
	HELPER_KEEP,
	HELPER_KILL_AT_QR,	 /* kill -9 the second helper 1 s after the QR is shown */
	HELPER_RESTART_AT_PROMPT /* a fresh second helper before Enter is answered */
};

struct conv_ctx {
	const char *person;	 /* approves on the phone; NULL: nobody scans */
	const char *decision;	 /* what the phone does: NULL approve, or "refuse" */
	int wrong_number;	 /* the phone picks another number */
	const char *inject_code; /* the phone answers the callback with this code */
	/* wait = enter: answer the prompt this many seconds after the phone is
	 * done (0: at once) ... */
	double enter_after_phone;
	/* ... or this many seconds after the QR was shown (0: not). */
	double enter_at;
	double qr_shown_at;
	enum helper_action helper;
	/* wait = enter: the answer to the first prompt (NULL: Enter); later
	 * prompts get Enter once the phone is done. */
	const char *first_answer;
	/* Fill the second helper's max_pending at the first prompt. */
	int fill_helper2_at_prompt;
	char text[65536];
	size_t text_len;
	char link[512];
	unsigned number;
	int links_seen;
	int helper_done;
	pid_t phone;
	int prompts;
};

static void fill_helper2(void);

static void helper2(const char *what)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s %s", getenv("DT_HELPER2"), what);
	assert_int_equal(system(cmd), 0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The first link shown is the one the phone follows. */
static void record_text(struct conv_ctx *c, const char *msg)
{
	struct phone_plan plan = {.person = c->person,
				  .decision = c->decision != NULL ? c->decision : "approve",
				  .wrong_number = c->wrong_number,
				  .inject_code = c->inject_code};

	pt_append_text(c->text, sizeof(c->text), &c->text_len, msg);
	if (c->links_seen == 0 && pt_find_link(msg, c->link, sizeof(c->link))) {
		c->links_seen++;
		c->qr_shown_at = now_s();
	}
	pt_find_number(msg, &c->number);
	if (c->helper == HELPER_KILL_AT_QR && !c->helper_done && c->links_seen > 0) {
		/* A second later the module is inside its long-poll. */
		helper2("kill-later");
		c->helper_done = 1;
	}
	if (c->person != NULL && c->phone == 0 && c->number != 0 && c->links_seen > 0)
		c->phone = pt_start_phone(&plan, c->link, c->number);
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
		record_text(c, msg[i]->msg);
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
			c->prompts++;
			if (c->helper == HELPER_RESTART_AT_PROMPT && !c->helper_done) {
				helper2("start");
				c->helper_done = 1;
			}
			if (c->enter_after_phone > 0 && c->prompts == 1) {
				pt_reap_phone(&c->phone);
				usleep((useconds_t)(c->enter_after_phone * 1e6));
			}
			if (c->enter_at > 0 && c->prompts == 1 &&
			    now_s() < c->qr_shown_at + c->enter_at)
				usleep(
				    (useconds_t)((c->qr_shown_at + c->enter_at - now_s()) * 1e6));
			if (c->fill_helper2_at_prompt && c->prompts == 1)
				fill_helper2();
			if (c->first_answer != NULL && c->prompts > 1)
				pt_reap_phone(&c->phone);
			r[i].resp = strdup(
			    c->first_answer != NULL && c->prompts == 1 ? c->first_answer : "");
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* Runs one authentication; returns the PAM code, *seconds what it took. */
static int authenticate(const char *service, struct conv_ctx *c, double *seconds)
{
	int rc = pt_authenticate(service, "alice", conversation, c, 0, seconds);

	pt_reap_phone(&c->phone);
	return rc;
}

#define assert_within_deadline(seconds)                                                            \
	do {                                                                                       \
		if ((seconds) > DEADLINE + MARGIN)                                                 \
			fail_msg("the login took %.1f s, its deadline is %.0f s", (seconds),       \
				 DEADLINE);                                                        \
	} while (0)

/* A fresh conversation: `person` approves on the phone (NULL: nobody). */
static void new_case(struct conv_ctx *c, const char *person, enum helper_action helper)
{
	memset(c, 0, sizeof(*c));
	c->person = person;
	c->helper = helper;
}

/* Runs `service` with alice approving on the phone under a mock fault. */
static int approve_under_fault(const char *service, const char *fault, struct conv_ctx *c,
			       double *seconds)
{
	int rc;

	new_case(c, "alice", HELPER_KEEP);
	mock_fault(fault);
	rc = authenticate(service, c, seconds);
	clear_faults();
	return rc;
}

/* ---- the helper ---- */

static void test_helper_killed_mid_wait(void **state)
{
	struct conv_ctx c;
	char where[600];
	double seconds;

	(void)state;
	new_case(&c, NULL, HELPER_KILL_AT_QR);
	helper2("start");
	assert_pam(authenticate("dingtalk_helper2", &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_true(c.helper_done);
	snprintf(where, sizeof(where), "cannot reach the helper on unix:%s/run2/control.sock",
		 getenv("DT_WORK"));
	assert_logged(where);
	assert_within_deadline(seconds);
	assert_true(seconds >= 0.9); /* it ended because of the kill, mid-wait */
	helper2("start");	     /* for whoever comes next */
}

static void test_helper_restarted_mid_wait(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	new_case(&c, NULL, HELPER_RESTART_AT_PROMPT);
	helper2("start");
	assert_pam(authenticate("dingtalk_helper2_enter", &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_true(c.helper_done);
	assert_logged("the helper no longer knows session ");
	assert_logged("it was restarted (its instance changed)");
	assert_within_deadline(seconds);
}

/* Whether the fake helper NAME logged a request (fake_helper.py). */
static int fake_got_request(const char *name)
{
	char path[512], line[512];
	int seen = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.log", getenv("DT_WORK"), name);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		seen |= strstr(line, "fake helper: request ") != NULL;
	fclose(f);
	return seen;
}

/* A local user holding the socket path (uid 4242, not root nor
 * helper_user) learns nothing: the module hangs up before it sends the
 * registration (user, host, rhost). And gains nothing: it is a refusal
 * (PAM_AUTH_ERR), not an outage, also with failmode = safe, where an
 * outage would be PAM_IGNORE. */
static void test_helper_socket_held_by_another_user(void **state)
{
	static const char *const services[] = {"dingtalk_fake_nonroot",
					       "dingtalk_fake_nonroot_safe"};
	struct conv_ctx c;
	double seconds;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		new_case(&c, NULL, HELPER_KEEP);
		assert_pam(authenticate(services[i], &c, &seconds), PAM_AUTH_ERR);
		assert_false(fake_got_request("fake_nonroot")); /* nothing was sent */
		assert_logged("runs as uid 4242, not as root or helper_user: refused before "
			      "sending anything");
		assert_int_equal(c.links_seen, 0);
		assert_within_deadline(seconds);
	}
}

/* helper_user = 4243 lets a helper running as that uid serve the module
 * (this fake answers HTML, which shows that the request went through). */
static void test_helper_user_may_serve(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	new_case(&c, NULL, HELPER_KEEP);
	assert_pam(authenticate("dingtalk_fake_helper_user", &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_logged("not a JSON object");
	assert_true(fake_got_request("fake_helper_user"));
}

static void test_helper_answers_html(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	new_case(&c, "alice", HELPER_KEEP);
	assert_pam(authenticate("dingtalk_fake_html", &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_logged("helper: registration: HTTP 201 with an answer that is not a JSON object");
	assert_within_deadline(seconds);
	assert_int_equal(c.links_seen, 0);
}

static void test_helper_answers_wrong_types(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	new_case(&c, "alice", HELPER_KEEP);
	assert_pam(authenticate("dingtalk_fake_types", &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_logged("helper: the registration answer lacks id, short_url or expires_in");
	assert_within_deadline(seconds);
	assert_int_equal(c.links_seen, 0);
}

/* Only the helper's own "full" (error_code) is a refusal: any other 503
 * is a helper that cannot serve. */
static void test_helper_answers_503_without_full(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	new_case(&c, NULL, HELPER_KEEP);
	assert_pam(authenticate("dingtalk_fake_503", &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_logged("helper: registration refused with HTTP 503: overloaded");
	assert_int_equal(c.links_seen, 0);
	assert_within_deadline(seconds);
}

/* A registration whose connection broke after the request was sent: in a
 * root daemon (sshd) the helper is unreachable, failmode's to judge; with
 * the invoking user's real uid (su, sudo: setresuid here, as su runs), the
 * caller may have caused it by stopping the process until the helper
 * dropped the connection, so it is a refusal. */
static void test_registration_cut_off(void **state)
{
	struct conv_ctx c;
	double seconds;
	int status;
	pid_t pid;

	(void)state;
	new_case(&c, NULL, HELPER_KEEP);
	assert_pam(authenticate("dingtalk_fake_drop", &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_logged("cannot reach the helper on unix:");
	assert_int_equal(c.links_seen, 0);
	if (geteuid() != 0) {
		printf("# not root: the su-like half of this test is skipped\n");
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setresuid(65534, 0, 0) != 0)
			_exit(100);
		new_case(&c, NULL, HELPER_KEEP);
		status = authenticate("dingtalk_fake_drop", &c, &seconds);
		/* The child's case log is its own: judged here. */
		if (strstr(read_case_log(), "the connection to the helper was made and then broke, "
					    "in a process its caller controls (refused, not "
					    "unavailable)") == NULL)
			_exit(101);
		_exit(status);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 101)
		fail_msg("the refusal's reason is not in the log (DT_WORK/case-%u.log)",
			 pt_case_number() + 1);
	assert_pam(WEXITSTATUS(status), PAM_AUTH_ERR);
}

/* ---- the phone's answer: "Not me", an expiry, sudo's command ---- */

/* sudo exports its own getenv, which answers from the environment sudoers
 * built for the command: SUDO_COMMAND there is what sudo will run, while
 * the process's `environ` is the invoking user's. This program plays that
 * part (an executable's getenv comes first for the module too): while
 * sudo_says[0] is set, SUDO_COMMAND is answered from it, everything else
 * from the next getenv (tests/tools/wrapper_env.c, then libc). */
static char sudo_says[512];

char *getenv(const char *name)
{
	char *(*next)(const char *) = (char *(*)(const char *))dlsym(RTLD_NEXT, "getenv");

	if (sudo_says[0] != '\0' && strcmp(name, "SUDO_COMMAND") == 0)
		return sudo_says;
	return next != NULL ? next(name) : NULL;
}

/* The `command` of the last registration the fake helper NAME received
 * ("-" for none), as fake_helper.py logged it: JSON and its byte count. */
static void last_fake_command(const char *name, char *out, size_t size)
{
	static const char tag[] = "fake helper: command=";
	char path[512], line[2048];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.log", getenv("DT_WORK"), name);
	f = fopen(path, "r");
	assert_non_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, tag, sizeof(tag) - 1) == 0)
			snprintf(out, size, "%s", line + sizeof(tag) - 1);
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

/* The person DingTalk named tapped "Not me": someone else started this
 * login. A refusal (PAM_AUTH_ERR) said at the terminal as what it is, not
 * as a timeout or a wrong number, and an audit line at LOG_WARNING with a
 * result of its own. No command is sent outside sudo. */
static void test_not_me_is_a_refusal_that_stands_out(void **state)
{
	struct conv_ctx c;
	char command[2048];
	double seconds;

	(void)state;
	new_case(&c, NULL, HELPER_KEEP);
	assert_pam(authenticate("dingtalk_not_me", &c, &seconds), PAM_AUTH_ERR);
	assert_non_null(strstr(c.text, "Login refused on the phone by the person (\"Not me\")"));
	assert_null(strstr(c.text, "timed out"));
	assert_null(strstr(c.text, "wrong number"));
	assert_logged("SYSLOG(4): audit: result=refused pam=PAM_AUTH_ERR user=alice ");
	assert_logged(" session=fakeSession00001 cause=not_me ");
	assert_logged("refused on the phone by the person (not_me): someone else started this "
		      "login");
	assert_true(seconds < DEADLINE / 2); /* at once, not at the deadline */
	last_fake_command("fake_not_me", command, sizeof(command));
	assert_string_equal(command, "-");
}

/* failmode = safe lets outages past, never a refusal: "Not me" stays
 * PAM_AUTH_ERR, and the JSON audit line says refused/not_me too. */
static void test_not_me_never_reaches_failmode(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	new_case(&c, NULL, HELPER_KEEP);
	assert_pam(authenticate("dingtalk_not_me_safe", &c, &seconds), PAM_AUTH_ERR);
	assert_logged("SYSLOG(4): {\"result\":\"refused\",\"pam\":\"PAM_AUTH_ERR\",");
	assert_logged(",\"cause\":\"not_me\",");
	assert_within_deadline(seconds);
}

static void test_not_me_in_chinese(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	new_case(&c, NULL, HELPER_KEEP);
	assert_pam(authenticate("dingtalk_not_me_zh", &c, &seconds), PAM_AUTH_ERR);
	assert_non_null(strstr(c.text, "登录已被本人在手机上拒绝（“不是我”）"));
}

/* A session that expired at the helper says that it timed out, at the
 * terminal and in the audit line (an ordinary refusal, LOG_NOTICE). */
static void test_expired_session_says_it_timed_out(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	new_case(&c, NULL, HELPER_KEEP);
	assert_pam(authenticate("dingtalk_fake_expired", &c, &seconds), PAM_AUTH_ERR);
	assert_non_null(strstr(c.text, "Login timed out: no approval arrived in time."));
	assert_null(strstr(c.text, "Not me"));
	assert_logged("SYSLOG(5): audit: result=denied pam=PAM_AUTH_ERR user=alice ");
	assert_logged(" cause=timeout ");
	assert_logged("timed out: expired at the helper");
}

/* sudo's command travels in the registration as the terminal shows it:
 * the escape and the right-to-left override replaced; too long for the
 * phone (326 bytes once clean), it keeps its first and last 112 bytes
 * around a mark that says how many are not shown, so padding cannot hide
 * the end of a command. */
static void test_sudo_registers_its_command_cut_and_clean(void **state)
{
	static const char head[] = "/usr/bin/apt?[2J install ?";
	int kept = 112 - (int)(sizeof(head) - 1);
	char cmd[512], want[1024], got[2048];
	struct conv_ctx c;
	double seconds;

	(void)state;
	snprintf(cmd, sizeof(cmd), "/usr/bin/apt\033[2J install \xe2\x80\xae%0300d", 0);
	snprintf(sudo_says, sizeof(sudo_says), "%s", cmd);
	new_case(&c, NULL, HELPER_KEEP);
	pt_set_tty("/dev/pts/9"); /* sudo without a terminal is refused before registering */
	assert_pam(authenticate("sudo", &c, &seconds), PAM_AUTH_ERR);
	pt_set_tty(NULL);
	sudo_says[0] = '\0';
	snprintf(want, sizeof(want),
		 "\"%s%0*d \\u2026 [102 bytes not shown] \\u2026 %0112d\" command_bytes=255", head,
		 kept, 0, 0);
	last_fake_command("fake_not_me", got, sizeof(got));
	assert_string_equal(got, want);
	snprintf(want, sizeof(want),
		 "to run: %s%0*d \xe2\x80\xa6 [102 bytes not shown] \xe2\x80\xa6 %0112d", head,
		 kept, 0, 0);
	assert_non_null(strstr(c.text, want));
}

/* The invoking user's environment is theirs to fill
 * (`SUDO_COMMAND="apt upgrade" sudo evil`): what it says may title their
 * own terminal, never the phone, where the person decides by it. Only
 * sudo's answer reaches the registration, and it wins for the title too. */
static void test_sudo_command_from_the_callers_environment_stays_off_the_phone(void **state)
{
	char got[2048];
	struct conv_ctx c;
	double seconds;

	(void)state;
	pt_set_tty("/dev/pts/9"); /* sudo without a terminal is refused before registering */
	setenv("SUDO_COMMAND", "/usr/bin/apt upgrade", 1);
	new_case(&c, NULL, HELPER_KEEP);
	assert_pam(authenticate("sudo", &c, &seconds), PAM_AUTH_ERR);
	last_fake_command("fake_not_me", got, sizeof(got));
	assert_string_equal(got, "-");
	assert_non_null(strstr(c.text, "to run: /usr/bin/apt upgrade"));

	snprintf(sudo_says, sizeof(sudo_says), "/bin/rm -rf /srv/data");
	new_case(&c, NULL, HELPER_KEEP);
	assert_pam(authenticate("sudo", &c, &seconds), PAM_AUTH_ERR);
	sudo_says[0] = '\0';
	unsetenv("SUDO_COMMAND");
	pt_set_tty(NULL);
	last_fake_command("fake_not_me", got, sizeof(got));
	assert_string_equal(got, "\"/bin/rm -rf /srv/data\" command_bytes=21");
	assert_non_null(strstr(c.text, "to run: /bin/rm -rf /srv/data"));
	assert_null(strstr(c.text, "apt upgrade"));
}

/* ---- DingTalk ---- */

static void test_dingtalk_slower_than_the_deadline(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	assert_pam(approve_under_fault("dingtalk",
				       "{\"endpoint\": \"users_me\", \"mode\": \"slow\", "
				       "\"seconds\": 30}",
				       &c, &seconds),
		   PAM_AUTHINFO_UNAVAIL);
	assert_logged("/v1.0/contact/users/me: no answer in time");
	assert_within_deadline(seconds);
	assert_true(seconds >= DEADLINE - 1.0);
}

static void test_dingtalk_truncated_json(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	assert_pam(approve_under_fault("dingtalk",
				       "{\"endpoint\": \"users_me\", \"mode\": \"truncated\"}", &c,
				       &seconds),
		   PAM_AUTHINFO_UNAVAIL);
	assert_logged("/v1.0/contact/users/me: transfer closed with ");
	assert_logged("(after 4 tries)");
	assert_within_deadline(seconds);
}

static void test_dingtalk_wrong_types(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	assert_pam(approve_under_fault("dingtalk",
				       "{\"endpoint\": \"users_me\", \"mode\": \"wrongtypes\"}", &c,
				       &seconds),
		   PAM_AUTHINFO_UNAVAIL);
	assert_logged("DingTalk contact/users/me: 'unionId' is not a string");
	assert_within_deadline(seconds);
}

static void test_dingtalk_huge_body(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	assert_pam(approve_under_fault("dingtalk",
				       "{\"endpoint\": \"users_me\", \"mode\": \"huge\"}", &c,
				       &seconds),
		   PAM_AUTHINFO_UNAVAIL);
	assert_logged("/v1.0/contact/users/me: answer larger than 262144 bytes, refused");
	assert_within_deadline(seconds);
}

static void test_dingtalk_throttles_every_try(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	assert_pam(approve_under_fault("dingtalk",
				       "{\"endpoint\": \"users_me\", \"mode\": \"throttled\"}", &c,
				       &seconds),
		   PAM_AUTHINFO_UNAVAIL);
	assert_logged("HTTP 403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi");
	assert_logged("DingTalk is throttling this app");
	assert_logged("(after 4 tries)");
	assert_within_deadline(seconds);
}

/* ---- TLS ---- */

static void test_certificate_for_another_host(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	new_case(&c, "alice", HELPER_KEEP);
	assert_pam(authenticate("dingtalk_wronghost", &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_logged("no alternative certificate subject name matches target host name");
	assert_within_deadline(seconds);
}

static void test_expired_certificate(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	new_case(&c, "alice", HELPER_KEEP);
	assert_pam(authenticate("dingtalk_expired", &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_logged("certificate has expired");
	assert_within_deadline(seconds);
}

/* ---- the clock ---- */

static void test_clock_skew_on_signed_requests(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	assert_pam(approve_under_fault("dingtalk_sns",
				       "{\"endpoint\": \"sns_userinfo\", \"mode\": \"clockskew\", "
				       "\"seconds\": 3600}",
				       &c, &seconds),
		   PAM_AUTHINFO_UNAVAIL);
	assert_logged(
	    "errcode 853002 (\"timestamp参数不合法，该参数值与钉钉服务器当前时间相差超过1分钟"
	    "\"): the request's timestamp is more than a minute off DingTalk's clock: "
	    "keep this host's clock in sync (NTP) (this host's clock is 360");
	assert_logged(" s behind DingTalk's, by the Date header of its answer)");
	assert_within_deadline(seconds);
}

/* ---- a slow body ---- */

/* The status and headers come at once, the body a byte every 400 ms: only
 * a deadline on the whole transfer (not on connecting or on the first
 * byte) ends the login in time. */
static void test_dingtalk_trickles_the_body(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	assert_pam(approve_under_fault("dingtalk",
				       "{\"endpoint\": \"users_me\", \"mode\": \"trickle\", "
				       "\"interval_ms\": 400}",
				       &c, &seconds),
		   PAM_AUTHINFO_UNAVAIL);
	assert_logged("/v1.0/contact/users/me: no answer in time");
	/* curl counts what arrived: the body had begun, so the headers were in. */
	assert_logged(" bytes received");
	if (strstr(read_case_log(), " with 0 out of ") != NULL)
		fail_msg("no byte of the body arrived:\n%s", read_case_log());
	assert_within_deadline(seconds);
	assert_true(seconds >= DEADLINE - 1.0);
}

/* ---- downgrades: once a session is registered, nothing the person at
 * the terminal or on the phone does ends the login as "unavailable" ---- */

/* A recovery code for alice, so that a module that took a refusal for an
 * outage would offer it (the prompt is what these tests look for). */
static void issue_recovery_code(void)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "'%s/src/ctl/dingtalk-ctl' --conf '%s/recovery.conf' recovery --user alice "
		 "--count 1 >/dev/null 2>&1",
		 getenv("DT_BUILDDIR"), getenv("DT_WORK"));
	assert_int_equal(system(cmd), 0);
}

/* wait = enter: the phone refuses (error= on the callback, then a wrong
 * number), the second helper forgets the ended session (linger = 2), and
 * only then is Enter pressed: the same helper instance answers "unknown
 * session", which is the refusal it was, with no recovery prompt. */
static void test_refusal_the_helper_forgot(void **state)
{
	struct conv_ctx c;
	double seconds;
	int i, rc;

	(void)state;
	issue_recovery_code();
	helper2("start");
	for (i = 0; i < 2; i++) {
		new_case(&c, "alice", HELPER_KEEP);
		c.decision = i == 0 ? "refuse" : "approve";
		c.wrong_number = i == 1;
		c.enter_after_phone = 3.5;
		rc = authenticate("dingtalk_helper2_rec", &c, &seconds);
		/* First what the person saw: no recovery code was asked for. */
		if (strstr(c.text, "Recovery code") != NULL || c.prompts != 1)
			fail_msg("a recovery code was asked for after a refusal (%d prompts)",
				 c.prompts);
		assert_pam(rc, PAM_AUTH_ERR);
		assert_logged("ended at the helper (refused, cancelled, expired or used) and its "
			      "outcome was forgotten");
		assert_within_deadline(seconds);
	}
}

/* Registers a pending session at the second helper for `requester` from
 * `address` (NULL: none sent), as a module would (ttl 10: gone by the
 * next case). */
static void register_from(const char *requester, const char *address)
{
	char cmd[2048], field[256] = "";

	if (address != NULL)
		snprintf(field, sizeof(field), "\"requester_address\": \"%s\", ", address);
	snprintf(
	    cmd, sizeof(cmd),
	    "curl -s -o /dev/null --unix-socket '%s/run2/control.sock' -X POST "
	    "-H 'Content-Type: application/json' -d '{\"state\": \"st%08dxxxxxxxxxxxxxxxxxxxxx\", "
	    "\"number\": 42, \"user\": \"alice\", \"service\": \"sshd\", \"host\": \"h\", "
	    "\"authorize_url\": \"http://127.0.0.1/a\", \"ttl\": 10, %s\"requester\": \"%s\"}' "
	    "http://localhost/v1/sessions",
	    getenv("DT_WORK"), rand() % 100000000, field, requester);
	assert_int_equal(system(cmd), 0);
}

static void register_at_helper2(const char *requester)
{
	register_from(requester, NULL);
}

/* The second helper has max_pending = 3: three sessions of three other
 * addresses (added to whatever is pending) leave no room for anyone. */
static void fill_helper2(void)
{
	register_at_helper2("rhost:10.5.5.1 user:bob");
	register_at_helper2("rhost:10.5.5.2 user:carol");
	register_at_helper2("rhost:10.5.5.3 user:dave");
}

/* The second helper has max_pending = 3 and max_pending_per_requester = 2.
 * One requester (alice from 10.9.9.9) tries three pending logins: it gets
 * its two, and its next login is refused (PAM_AUTH_ERR, said at the
 * terminal), not "unavailable"; alice from another address still logs
 * in, since that requester could not fill max_pending. */
static void test_pending_limit_per_requester(void **state)
{
	struct conv_ctx c;
	double seconds;
	int i;

	(void)state;
	helper2("start");
	for (i = 0; i < 3; i++)
		register_at_helper2("rhost:10.9.9.9 user:alice");
	pt_set_rhost("10.9.9.9");
	new_case(&c, NULL, HELPER_KEEP);
	assert_pam(authenticate("dingtalk_helper2", &c, &seconds), PAM_AUTH_ERR);
	assert_logged("too many logins pending for requester rhost:10.9.9.9 user:alice");
	assert_non_null(strstr(c.text, "Too many DingTalk logins are pending for you"));
	assert_int_equal(c.links_seen, 0);
	assert_true(seconds < 2.0);
	pt_set_rhost("10.9.9.8");
	new_case(&c, "alice", HELPER_KEEP);
	assert_pam(authenticate("dingtalk_helper2", &c, &seconds), PAM_SUCCESS);
	pt_set_rhost(NULL);
	helper2("start"); /* nothing pending for whoever comes next */
}

/* Many addresses together fill max_pending (the second helper's is 3):
 * the helper answers 503 "full", which others can cause, so the login is
 * refused (PAM_AUTH_ERR, said at the terminal), never PAM_AUTHINFO_UNAVAIL
 * and, with failmode = safe, never PAM_IGNORE. */
static void test_full_helper_is_a_refusal(void **state)
{
	static const char *const services[] = {"dingtalk_helper2", "dingtalk_helper2_safe"};
	struct conv_ctx c;
	double seconds;
	int i;

	(void)state;
	helper2("start");
	fill_helper2();
	for (i = 0; i < 2; i++) {
		new_case(&c, NULL, HELPER_KEEP);
		assert_pam(authenticate(services[i], &c, &seconds), PAM_AUTH_ERR);
		assert_logged("the helper is full (max_pending), login refused: ");
		assert_non_null(
		    strstr(c.text, "Too many DingTalk logins are pending on this server"));
		assert_int_equal(c.links_seen, 0);
		assert_true(seconds < 2.0);
	}
	helper2("start");
}

/* One address naming other accounts fills its max_pending_per_address
 * (the second helper's is 2): the module sends its address apart from the
 * account, so alice's login from there is refused as well (429,
 * PAM_AUTH_ERR), while alice from another address still logs in. */
static void test_pending_limit_per_address(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	helper2("start");
	register_from("rhost:10.6.6.6 user:bob", "rhost:10.6.6.6");
	register_from("rhost:10.6.6.6 user:carol", "rhost:10.6.6.6");
	pt_set_rhost("10.6.6.6");
	new_case(&c, NULL, HELPER_KEEP);
	assert_pam(authenticate("dingtalk_helper2", &c, &seconds), PAM_AUTH_ERR);
	assert_logged("too many logins pending from address rhost:10.6.6.6");
	assert_non_null(strstr(c.text, "Too many DingTalk logins are pending from your address"));
	assert_int_equal(c.links_seen, 0);
	pt_set_rhost("10.6.6.7");
	new_case(&c, "alice", HELPER_KEEP);
	assert_pam(authenticate("dingtalk_helper2", &c, &seconds), PAM_SUCCESS);
	pt_set_rhost(NULL);
	helper2("start");
}

/* wait = enter: `r` after the session is registered, while the helper is
 * full (others filled max_pending at the first prompt). The new session
 * cannot be registered, so the old one stays: the person is told, the QR
 * on the screen is still the one to scan, and the phone's approval of it
 * logs alice in. Never PAM_AUTHINFO_UNAVAIL. */
static void test_new_qr_while_the_helper_is_full(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	helper2("start");
	pt_set_rhost("10.9.9.7");
	new_case(&c, "alice", HELPER_KEEP);
	c.first_answer = "r";
	c.fill_helper2_at_prompt = 1;
	assert_pam(authenticate("dingtalk_helper2_enter", &c, &seconds), PAM_SUCCESS);
	pt_set_rhost(NULL);
	assert_non_null(strstr(c.text, "A new QR code cannot be made now"));
	assert_null(strstr(c.text, "Login refused")); /* it was not */
	assert_logged("no new session for `r`, session ");
	assert_true(c.prompts >= 2);
	assert_within_deadline(seconds);
	helper2("start");
}

/* wait = enter: `r` 6 s into the 10 s login, less than RENEW_MIN_MS (5 s)
 * before the module stops waiting: not worth a new QR, so the person is
 * told and the old one stays; its approval on the phone logs alice in. */
static void test_new_qr_too_late(void **state)
{
	struct conv_ctx c;
	double seconds;

	(void)state;
	new_case(&c, "alice", HELPER_KEEP);
	c.first_answer = "r";
	c.enter_at = 6.0;
	assert_pam(authenticate("dingtalk_enter", &c, &seconds), PAM_SUCCESS);
	assert_non_null(strstr(c.text, "Too little time is left for a new QR code"));
	assert_true(c.prompts >= 2);
	assert_within_deadline(seconds);
}

/* wait = enter: alice approves at once but presses Enter only 2.5 s
 * before the deadline, while DingTalk's exchange has `fault` set. */
static int enter_late(const char *fault, double *seconds)
{
	struct conv_ctx c;
	int rc;

	new_case(&c, "alice", HELPER_KEEP);
	c.enter_at = DEADLINE - 2.5;
	mock_fault(fault);
	rc = authenticate("dingtalk_enter", &c, seconds);
	clear_faults();
	return rc;
}

/* DingTalk takes 3 s to exchange the code: the exchange has its own
 * budget, so she logs in a little after `timeout`. */
static void test_enter_at_the_last_moment(void **state)
{
	double seconds;

	(void)state;
	assert_pam(enter_late("{\"endpoint\": \"userAccessToken\", \"mode\": \"slow\", "
			      "\"seconds\": 3, \"count\": 1}",
			      &seconds),
		   PAM_SUCCESS);
	assert_true(seconds > DEADLINE);
	assert_true(seconds <= DEADLINE + EXCHANGE_BUDGET + MARGIN);
}

/* The same, with DingTalk silent for the whole budget: that is DingTalk
 * unreachable, and stays PAM_AUTHINFO_UNAVAIL, within the budget. */
static void test_enter_at_the_last_moment_dingtalk_silent(void **state)
{
	double seconds;

	(void)state;
	assert_pam(enter_late("{\"endpoint\": \"userAccessToken\", \"mode\": \"hang\", "
			      "\"seconds\": 30, \"count\": 1}",
			      &seconds),
		   PAM_AUTHINFO_UNAVAIL);
	assert_logged("no answer in time");
	assert_true(seconds >= DEADLINE - 2.5 + EXCHANGE_BUDGET - 1.0);
	assert_true(seconds <= DEADLINE + EXCHANGE_BUDGET + MARGIN);
}

/* Whoever holds the short link can answer the helper's callback with a
 * made-up code (the state is in the link's redirect) and pick the number
 * they see. DingTalk refuses the code (the mock: InvalidParameter): a
 * refusal, also under failmode = safe, never PAM_SERVICE_ERR/PAM_IGNORE. */
static void test_made_up_code_is_a_refusal(void **state)
{
	static const char *const services[] = {"dingtalk", "dingtalk_safe"};
	struct conv_ctx c;
	double seconds;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		new_case(&c, "alice", HELPER_KEEP);
		c.inject_code = "made-up-code";
		assert_pam(authenticate(services[i], &c, &seconds), PAM_AUTH_ERR);
		assert_logged("the code from the phone was refused: ");
		assert_logged("InvalidParameter");
		assert_within_deadline(seconds);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_helper_killed_mid_wait),
	    cmocka_unit_test(test_helper_restarted_mid_wait),
	    cmocka_unit_test(test_helper_socket_held_by_another_user),
	    cmocka_unit_test(test_helper_user_may_serve),
	    cmocka_unit_test(test_helper_answers_html),
	    cmocka_unit_test(test_helper_answers_wrong_types),
	    cmocka_unit_test(test_helper_answers_503_without_full),
	    cmocka_unit_test(test_registration_cut_off),
	    cmocka_unit_test(test_not_me_is_a_refusal_that_stands_out),
	    cmocka_unit_test(test_not_me_never_reaches_failmode),
	    cmocka_unit_test(test_not_me_in_chinese),
	    cmocka_unit_test(test_expired_session_says_it_timed_out),
	    cmocka_unit_test(test_sudo_registers_its_command_cut_and_clean),
	    cmocka_unit_test(test_sudo_command_from_the_callers_environment_stays_off_the_phone),
	    cmocka_unit_test(test_dingtalk_slower_than_the_deadline),
	    cmocka_unit_test(test_dingtalk_truncated_json),
	    cmocka_unit_test(test_dingtalk_wrong_types),
	    cmocka_unit_test(test_dingtalk_huge_body),
	    cmocka_unit_test(test_dingtalk_throttles_every_try),
	    cmocka_unit_test(test_certificate_for_another_host),
	    cmocka_unit_test(test_expired_certificate),
	    cmocka_unit_test(test_clock_skew_on_signed_requests),
	    cmocka_unit_test(test_dingtalk_trickles_the_body),
	    cmocka_unit_test(test_refusal_the_helper_forgot),
	    cmocka_unit_test(test_pending_limit_per_requester),
	    cmocka_unit_test(test_full_helper_is_a_refusal),
	    cmocka_unit_test(test_pending_limit_per_address),
	    cmocka_unit_test(test_new_qr_while_the_helper_is_full),
	    cmocka_unit_test(test_new_qr_too_late),
	    cmocka_unit_test(test_enter_at_the_last_moment),
	    cmocka_unit_test(test_enter_at_the_last_moment_dingtalk_silent),
	    cmocka_unit_test(test_made_up_code_is_a_refusal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
