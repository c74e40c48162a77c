/* fuzz_pam: the whole module under libFuzzer. What the three parts share:
 * the input stream (fuzz_pam.c reads the configuration and the people from
 * it, the fakes their answers), the virtual clock, the failure injection
 * (fuzz_pam_wrap.c) and what the fakes saw (fuzz_pam_fakes.c), which the
 * invariants in fuzz_pam.c read. */
#ifndef FUZZ_PAM_H
#define FUZZ_PAM_H

#include <stddef.h>
#include <stdint.h>

/* The fuzz input, read front to back by whoever needs a decision next.
 * When it runs out every reader gets its default (the good answer). */
struct fz_stream {
	const uint8_t *p;
	size_t n;
};

unsigned fz_byte(unsigned fallback);
/* Up to `max` bytes; *len gets how many. */
const uint8_t *fz_bytes(size_t max, size_t *len);
void fz_stream_set(const uint8_t *data, size_t size);

/* The map file: who is bound to whom. */
#define FZ_UNION_NOBODY	    "U-nobody-0001"
#define FZ_UNION_DAEMON	    "U-daemon-0002"
#define FZ_UNION_ROOT	    "U-root-0003"
#define FZ_UNION_NOBODY_UID "uid-nobody"
/* Secrets whose appearance in a log line or on the terminal is a leak. */
#define FZ_CLIENT_SECRET "fz-client-secret-7f3a9c"
#define FZ_CODE		 "fz-auth-code-51c2e8d4"
#define FZ_USER_TOKEN	 "fz-user-token-93ab10"
#define FZ_APP_TOKEN	 "fz-app-token-0c6d77"
/* The fake helper's instance id (docs/control-api.md). */
#define FZ_INSTANCE "fzinstance000001"

/* What the fake helper and the fake DingTalk did in one run. */
struct fz_record {
	int registered;	       /* sessions registered */
	int weak_state;	       /* a registration carried a state that is not random */
	int code_released;     /* the helper answered "approved" with FZ_CODE */
	int denial;	       /* the helper said refused or expired */
	int denial_sure;       /* ... in a well-formed answer (not raw bytes) */
	int code_exchanged;    /* DingTalk got FZ_CODE in an exchange */
	int token_issued;      /* the user token went out */
	char named[160];       /* the unionId DingTalk named, after a good exchange */
	int directory_refused; /* the directory said inactive, external, other person */
	int other_corp;	       /* the token answer named another organisation */
	int64_t deadline_ms;   /* the last deadline the module passed down */
	int64_t late_ms;       /* how far past that deadline a request was made */
};

extern struct fz_record fz_seen;
void fz_fakes_reset(void);

/* The virtual clock (dt_now_ms is wrapped): starts anew each run. */
int64_t fz_clock(void);
void fz_clock_advance(int64_t ms);
void fz_clock_reset(void);

/* Failure injection: the `at`-th wrapped call (allocation, open, read,
 * randomness, privilege drop) fails; 0 turns it off. */
void fz_inject_arm(unsigned at);
void fz_inject_disarm(void);
/* Non-zero: the calls that follow are the application's, not failed. */
void fz_inject_hold(int on);
/* Whether a failure was injected this run, and how many wrapped calls
 * were counted (to pick N for a seed). */
int fz_injected(void);
unsigned fz_inject_calls(void);

/* Log lines the module wrote (pam_syslog is wrapped), NUL-separated. */
const char *fz_log_text(size_t *len);
void fz_log_reset(void);

#endif
