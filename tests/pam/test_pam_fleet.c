/* The module's side of a fleet through PAM (pam_wrapper + libpamtest):
 * the helper reached over HTTPS as a list of replicas (fake_fleet.py,
 * which checks each request's signature on its own and passes good ones
 * to the real helper), failover between them within the deadline, TLS
 * verified against helper_ca_file, each refusal of the signature check
 * as a refusal (PAM_AUTH_ERR) with its advice in the log, and the keys'
 * configuration errors. run_pam_fleet.sh sets the stage. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpamtest.h>
#include <security/pam_appl.h>

#include "pamtest_support.h"

/* Every service of run_pam_fleet.sh has `timeout = 10`. */
#define DEADLINE 10.0
/* Past it, the code exchange may use its own budget (DT_EXCHANGE_BUDGET_S). */
#define MARGIN 0.5

struct conv_ctx {
	const char *person; /* approves on the phone; NULL: nobody scans */
	const char *answer; /* to every prompt; NULL: Enter */
	char text[65536];
	size_t text_len;
	char link[512];
	unsigned number;
	int links_seen;
	pid_t phone;
};

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			void *data)
{
	struct conv_ctx *c = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	struct phone_plan plan = {.person = c->person, .decision = "approve"};
	int i;

	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		pt_append_text(c->text, sizeof(c->text), &c->text_len, msg[i]->msg);
		if (pt_find_link(msg[i]->msg, c->link, sizeof(c->link)))
			c->links_seen++;
		pt_find_number(msg[i]->msg, &c->number);
		if (c->person != NULL && c->phone == 0 && c->number != 0 && c->links_seen > 0)
			c->phone = pt_start_phone(&plan, c->link, c->number);
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			r[i].resp = strdup(c->answer != NULL ? c->answer : "");
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* The fleet's log (one line per request: "fleet NAME: METHOD PATH ->
 * STATUS") from where this case began. */
static long fleet_log_start;

static long fleet_log_size(void)
{
	struct stat st;

	return stat(getenv("DT_FLEET_LOG"), &st) == 0 ? (long)st.st_size : 0;
}

static const char *fleet_log(void)
{
	static char buf[65536];
	FILE *f = fopen(getenv("DT_FLEET_LOG"), "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f == NULL)
		return buf;
	if (fseek(f, fleet_log_start, SEEK_SET) == 0)
		n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

#define assert_fleet_logged(needle)                                                                \
	do {                                                                                       \
		if (strstr(fleet_log(), (needle)) == NULL)                                         \
			fail_msg("the fleet's log lacks \"%s\":\n%s", (needle), fleet_log());      \
	} while (0)

#define assert_fleet_not_logged(needle)                                                            \
	do {                                                                                       \
		if (strstr(fleet_log(), (needle)) != NULL)                                         \
			fail_msg("the fleet's log has \"%s\":\n%s", (needle), fleet_log());        \
	} while (0)

/* Runs one authentication of alice; `person` approves on the phone,
 * c->answer (set by the caller, kept) answers the prompts. */
static int authenticate(const char *service, const char *person, struct conv_ctx *c,
			double *seconds)
{
	const char *answer = c->answer;
	int rc;

	memset(c, 0, sizeof(*c));
	c->person = person;
	c->answer = answer;
	fleet_log_start = fleet_log_size();
	rc = pt_authenticate(service, "alice", conversation, c, 0, seconds);
	pt_reap_phone(&c->phone);
	return rc;
}

#define assert_within_deadline(seconds)                                                            \
	do {                                                                                       \
		if ((seconds) > DEADLINE + MARGIN)                                                 \
			fail_msg("the login took %.1f s, its deadline is %.0f s", (seconds),       \
				 DEADLINE);                                                        \
	} while (0)

/* A login through one replica: registered, waited on and (the phone
 * having approved) exchanged; each request signed, the wait's query
 * among what was signed (the fake checks the path as sent). */
static void test_login_through_https(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_ok", "alice", &c, &seconds), PAM_SUCCESS);
	assert_fleet_logged("fleet a: POST /v1/sessions -> 201");
	assert_fleet_logged("/wait?timeout=");
	assert_fleet_logged("-> 200");
}

/* The real dingtalk-callbackd's TCP control listener after a dead URL:
 * it checks the module's signatures with its own code and serves the
 * login; a key of another host's name is refused there as host_mismatch,
 * with the module's advice. */
static void test_real_tcp_listener(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_real", "alice", &c, &seconds), PAM_SUCCESS);
	assert_logged("helper replica 1 of 2");
	assert_pam(authenticate("fleet_real_mismatch", NULL, &c, &seconds), PAM_AUTH_ERR);
	assert_logged("HTTP 403, error_code host_mismatch");
	assert_logged("the key belongs to another host name");
	assert_int_equal(c.links_seen, 0);
}

/* Nothing listens at the first URL: the second serves the whole login. */
static void test_first_replica_refuses_connections(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_first_dead", "alice", &c, &seconds), PAM_SUCCESS);
	assert_logged("helper replica 1 of 2");
	assert_fleet_logged("fleet a: POST /v1/sessions -> 201");
}

/* The same with wait = enter (sshd): the QR travels with a prompt, each
 * Enter is a short wait at the replica that registered the session. */
static void test_failover_with_enter(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_enter", "alice", &c, &seconds), PAM_SUCCESS);
	assert_logged("helper replica 1 of 2");
	assert_fleet_logged("fleet a: GET /v1/sessions/");
	assert_fleet_logged("/wait?timeout=3 -> 200");
}

/* The cancel is signed too: a login that ends without the phone (too
 * many prompts) cancels its session at the replica, which checks the
 * signature of the DELETE and passes it on. */
static void test_cancel_is_signed(void **state)
{
	struct conv_ctx c = {.answer = "x"};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_max_tries", NULL, &c, &seconds), PAM_MAXTRIES);
	assert_fleet_logged("fleet a: DELETE /v1/sessions/");
	assert_fleet_logged(" -> 204");
}

/* The replica holding the wait drops it: the next wait goes to the
 * other replica, which finds the session in the shared store. */
static void test_replica_stops_mid_wait(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_mid_wait", "alice", &c, &seconds), PAM_SUCCESS);
	assert_fleet_logged("fleet dropwait: POST /v1/sessions -> 201");
	assert_fleet_logged("fleet dropwait: GET /v1/sessions/");
	assert_fleet_logged(" -> dropped");
	assert_fleet_logged("fleet b: GET /v1/sessions/");
	assert_logged("helper replica 1 of 2");
	/* curl did not send the dropped request again by itself (its nonce
	 * would have been refused as a replay): http.h, fresh_connection. */
	if (strstr(fleet_log(), "replay") != NULL)
		fail_msg("a signed request was sent twice:\n%s", fleet_log());
	assert_within_deadline(seconds);
}

/* No replica answers: unavailable at once, each one named. */
static void test_every_replica_dead(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_all_dead", NULL, &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_logged("no replica of the helper could serve: [https://127.0.0.1:");
	assert_logged("helper replica 2 of 2");
	assert_int_equal(c.links_seen, 0);
	assert_true(seconds < 3.0);
}

/* A replica that accepts connections and never answers costs one
 * bounded attempt (its share of the deadline, at most 5 s), not the
 * login: the next replica serves. */
static void test_blackholed_replica(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_blackhole", "alice", &c, &seconds), PAM_SUCCESS);
	assert_logged("helper replica 1 of 2");
	assert_fleet_logged("fleet a: POST /v1/sessions -> 201");
	assert_within_deadline(seconds);
}

/* A replica that completes TLS and never answers: the registration is
 * given up after one attempt's bound (5 s at most, here its share of the
 * 10 s deadline) and the next replica serves the login. */
static void test_mute_replica(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_mute", "alice", &c, &seconds), PAM_SUCCESS);
	assert_fleet_logged("fleet mute: POST /v1/sessions -> (no answer)");
	assert_fleet_logged("fleet a: POST /v1/sessions -> 201");
	assert_logged("helper replica 1 of 2");
	assert_logged("no answer in time");
	assert_within_deadline(seconds);
}

/* Every replica silent: the login ends within its deadline. As root (a
 * daemon such as sshd) that is the service being unavailable; where the
 * caller controls the process (su, sudo: not root, as this suite in
 * `make check-unprivileged`), lateness it could have caused by stopping
 * the process is a refusal, never "unavailable" (login.h, "Lateness"). */
static void test_every_replica_silent(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_all_silent", NULL, &c, &seconds),
		   getuid() == 0 ? PAM_AUTHINFO_UNAVAIL : PAM_AUTH_ERR);
	assert_logged("no replica of the helper could serve: [https://127.0.0.1:");
	assert_logged("helper replica 2 of 2");
	assert_int_equal(c.links_seen, 0);
	assert_within_deadline(seconds);
	/* One silent (no TLS handshake within the 1 s to connect), one
	 * refusing connections: the silence alone decides. */
	assert_pam(authenticate("fleet_silent_or_dead", NULL, &c, &seconds),
		   getuid() == 0 ? PAM_AUTHINFO_UNAVAIL : PAM_AUTH_ERR);
	assert_logged("helper replica 2 of 2");
	assert_true(seconds < 3.0);
}

/* The next wait lands on a replica that names another instance (it uses
 * another store): the session is lost, unavailable, even though the phone
 * approved; a 404 is an answer about the session, so the module does not
 * go back to the replica that registered it. */
static void test_replica_on_another_store(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_other_store", "alice", &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_fleet_logged("fleet forget: GET /v1/sessions/");
	assert_fleet_logged("-> 404 other instance");
	assert_logged("this replica does not share the others' store");
	assert_within_deadline(seconds);
}

/* Redis down behind one replica (503 store_down): the next serves; with
 * no other replica, unavailable. */
static void test_store_down(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_store_down", "alice", &c, &seconds), PAM_SUCCESS);
	assert_fleet_logged("fleet down: POST /v1/sessions -> 503 store_down");
	assert_fleet_logged("fleet b: POST /v1/sessions -> 201");
	assert_pam(authenticate("fleet_only_down", NULL, &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_logged("HTTP 503");
	assert_int_equal(c.links_seen, 0);
	assert_true(seconds < 3.0);
}

/* helper_ca_file names a CA that did not sign the replica's certificate. */
static void test_wrong_ca(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_wrong_ca", NULL, &c, &seconds), PAM_AUTHINFO_UNAVAIL);
	assert_logged("certificate");
	assert_int_equal(c.links_seen, 0);
	assert_within_deadline(seconds);
}

/* Each refusal of the service's signature check: a refusal (PAM_AUTH_ERR,
 * never "unavailable", which failmode = safe would let past), logged with
 * the code and the fix. */
static void test_signature_refusals(void **state)
{
	static const struct {
		const char *service, *logged, *advice;
	} cases[] = {
	    {"fleet_unknown_key", "HTTP 401, error_code unknown_key", "add this host's key"},
	    {"fleet_bad_signature", "HTTP 401, error_code bad_signature",
	     "does not match the service's host_keys"},
	    {"fleet_host_mismatch", "HTTP 403, error_code host_mismatch",
	     "the key belongs to another host name"},
	    {"fleet_stale", "HTTP 401, error_code stale", "check this host's clock and NTP"},
	    {"fleet_missing", "HTTP 401, error_code missing", "may drop X-DT-* headers"},
	    {"fleet_malformed", "HTTP 401, error_code malformed", "matching versions"},
	    {"fleet_replay", "HTTP 401, error_code replay", "nonce before"},
	};
	struct conv_ctx c = {.answer = NULL};
	double seconds;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_pam(authenticate(cases[i].service, NULL, &c, &seconds), PAM_AUTH_ERR);
		assert_logged(cases[i].logged);
		assert_logged(cases[i].advice);
		assert_int_equal(c.links_seen, 0);
		assert_true(seconds < 3.0);
	}
	/* host_mismatch names the host this module registers. */
	assert_pam(authenticate("fleet_host_mismatch", NULL, &c, &seconds), PAM_AUTH_ERR);
	assert_logged(getenv("DT_FLEET_HOST"));
}

/* A refusal of the signature on one replica and an outage on the other:
 * refused, not "unavailable" (a fleet that refuses this host wherever it
 * answers must not open failmode's door because a replica is down). */
static void test_refused_and_dead(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_refused_or_dead", NULL, &c, &seconds), PAM_AUTH_ERR);
	assert_logged("error_code unknown_key");
	assert_int_equal(c.links_seen, 0);
}

/* This host's quota at the service (max_pending_per_host) is full: a
 * refusal like the helper's other limits, told at the terminal, and no
 * other replica is asked (the quota is the fleet's, not one replica's). */
static void test_host_quota_full(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_host_full", NULL, &c, &seconds), PAM_AUTH_ERR);
	assert_logged("max_pending_per_host");
	assert_non_null(strstr(c.text, "pending on this server"));
	assert_int_equal(c.links_seen, 0);
	assert_fleet_not_logged("fleet a: POST");
}

/* A wait refused by a limit (429 waits_full): a refusal, never
 * "unavailable". */
static void test_wait_limit(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_waits_full", NULL, &c, &seconds), PAM_AUTH_ERR);
	assert_logged("HTTP 429");
	assert_fleet_logged("waits_full");
}

/* A replica stores the session and answers after the attempt's bound; the
 * next replica hears the same state again (409). The session exists, so
 * this is no outage: the login fails closed. */
static void test_registration_answered_late(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_slow_register", NULL, &c, &seconds), PAM_AUTH_ERR);
	assert_logged("HTTP 409");
	assert_int_equal(c.links_seen, 0);
}

/* Configuration errors name the key: plain http, a missing key file. */
static void test_config_errors(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	char want[600];
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_http", NULL, &c, &seconds), PAM_SERVICE_ERR);
	assert_logged("helper: 'http://127.0.0.1:1': plain http is refused");
	assert_pam(authenticate("fleet_no_key", NULL, &c, &seconds), PAM_SERVICE_ERR);
	snprintf(want, sizeof(want), "helper_key_file (needed by helper = https://...): %s/",
		 getenv("DT_WORK"));
	assert_logged(want);
	assert_logged("absent.hostkey");
}

/* The keys work as module arguments too (a comma separates the URLs). */
static void test_keys_as_module_arguments(void **state)
{
	struct conv_ctx c = {.answer = NULL};
	double seconds;

	(void)state;
	assert_pam(authenticate("fleet_args", "alice", &c, &seconds), PAM_SUCCESS);
	assert_fleet_logged("fleet a: POST /v1/sessions -> 201");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_login_through_https),
	    cmocka_unit_test(test_first_replica_refuses_connections),
	    cmocka_unit_test(test_real_tcp_listener),
	    cmocka_unit_test(test_failover_with_enter),
	    cmocka_unit_test(test_cancel_is_signed),
	    cmocka_unit_test(test_replica_stops_mid_wait),
	    cmocka_unit_test(test_every_replica_dead),
	    cmocka_unit_test(test_blackholed_replica),
	    cmocka_unit_test(test_mute_replica),
	    cmocka_unit_test(test_every_replica_silent),
	    cmocka_unit_test(test_replica_on_another_store),
	    cmocka_unit_test(test_store_down),
	    cmocka_unit_test(test_wrong_ca),
	    cmocka_unit_test(test_signature_refusals),
	    cmocka_unit_test(test_refused_and_dead),
	    cmocka_unit_test(test_registration_answered_late),
	    cmocka_unit_test(test_host_quota_full),
	    cmocka_unit_test(test_wait_limit),
	    cmocka_unit_test(test_config_errors),
	    cmocka_unit_test(test_keys_as_module_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
