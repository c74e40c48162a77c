/* What the PAM test programs share (test_pam_flow, test_pam_faults): the
 * simulated phone (tests/mock/phone.py), reading the link and number off
 * the terminal, one log file per case (pam_wrapper sends pam_syslog to
 * stderr), the DingTalk mock's faults and the assertions on PAM codes and
 * log lines. Each program keeps its own conversation, which decides when
 * the phone starts and what the prompts are answered. */
#ifndef PAMTEST_SUPPORT_H
#define PAMTEST_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>

#include <security/pam_appl.h>

struct phone_plan {
	const char *person;   /* NULL: nobody scans */
	const char *decision; /* approve | refuse; NULL: approve */
	int wrong_number;     /* pick a number other than the one shown */
	int on_link;	      /* approve the Nth distinct link shown (0 = the first) */
	const char *delay;    /* seconds before the phone scans, "0" if NULL */
	/* Not NULL: skip DingTalk and answer the helper's callback with this
	 * made-up code (and the state from the short link's redirect). */
	const char *inject_code;
};

typedef int (*pt_conv_fn)(int n, const struct pam_message **msg, struct pam_response **resp,
			  void *data);

/* Appends one message and a newline to the terminal text, if it fits. */
void pt_append_text(char *text, size_t size, size_t *len, const char *msg);

/* Copies a short link (".../l/...") shown in `msg` into `link`; returns 1
 * when it differs from the one already there. */
int pt_find_link(const char *msg, char *link, size_t size);

/* Sets *number when `msg` says which number to choose. */
void pt_find_number(const char *msg, unsigned *number);

/* Starts the phone on `link`; returns its pid, or -1. */
pid_t pt_start_phone(const struct phone_plan *plan, const char *link, unsigned number);

/* Waits up to 20 s for the phone, then kills it; *pid becomes -1. */
void pt_reap_phone(pid_t *pid);

/* Runs one pam_authenticate in a case of its own (a fresh log file);
 * returns the PAM code and, if seconds is not NULL, what it took. `user`
 * may be NULL (the application names nobody). */
int pt_authenticate(const char *service, const char *user, pt_conv_fn conv, void *data, int flags,
		    double *seconds);

/* The same, and PAM_USER as the module left it ("" when unset). */
int pt_authenticate_user(const char *service, const char *user, pt_conv_fn conv, void *data,
			 char *pam_user, size_t size);

/* PAM_RHOST for the logins that follow (NULL: none, the default). */
void pt_set_rhost(const char *rhost);

/* PAM_TTY for the logins that follow (NULL: none, the default); sshd sets
 * "ssh", sudo the caller's terminal. */
void pt_set_tty(const char *tty);

/* The case's number (for file names) and the module's log lines so far. */
unsigned pt_case_number(void);
char *read_case_log(void);

/* Sets a fault in the DingTalk mock (see tests/mock/dingtalk_mock.py);
 * clear_faults removes every fault. */
void mock_fault(const char *json);
void clear_faults(void);

/* The app's permissions at the mock from now on (a JSON list, see
 * /_mock/permissions); mock_grant_all restores the default. */
void mock_permissions(const char *json_list);
void mock_grant_all(void);

#define assert_pam(got, want)                                                                      \
	do {                                                                                       \
		int got_ = (got);                                                                  \
		if (got_ != (want))                                                                \
			printf("# PAM returned %d (%s), wanted %d\n", got_,                        \
			       pam_strerror(NULL, got_), (want));                                  \
		if (got_ != (want))                                                                \
			fail_msg("PAM returned %d (%s), wanted %d (%s); log:\n%s", got_,           \
				 pam_strerror(NULL, got_), (want), pam_strerror(NULL, (want)),     \
				 read_case_log());                                                 \
	} while (0)

#define assert_logged(needle)                                                                      \
	do {                                                                                       \
		const char *log_ = read_case_log();                                                \
		if (strstr(log_, (needle)) == NULL)                                                \
			fail_msg("log lacks \"%s\":\n%s", (needle), log_);                         \
	} while (0)

#endif
