/* libFuzzer target: the whole module. pam_sm_authenticate, linked in from
 * the module's own sources, runs in a real Linux-PAM handle
 * (pam_start_confdir on a temporary directory) with a fake conversation,
 * against the in-process helper and DingTalk of fuzz_pam_fakes.c. The
 * input decides, front to back: the module's arguments and the login's
 * circumstances (first five bytes, below), then every answer of the
 * helper, of DingTalk and of the person at the terminal, in the order the
 * module asks. fuzz_pam_wrap.c fails the N-th allocation, open, read,
 * random draw or privilege drop (N from bytes 3-4) and runs the clock.
 *
 * Invariants (a violation traps): the PAM code is one of the PAM code
 * table's in docs/architecture.md;
 * PAM_SUCCESS only when the helper released the code, DingTalk got that
 * code and named the person bound to the user being verified, nothing
 * refused on the way, and the state was random; a refusal is PAM_AUTH_ERR;
 * nothing past the deadline; no secret and no control byte on the
 * terminal or in the log; no leak (libFuzzer's LeakSanitizer). */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <security/pam_appl.h>
#include <security/pam_modules.h>

#include "fuzz_pam.h"
#include "login/login.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const char *fz_person, *fz_stranger;

static struct fz_stream in;
static char dir[64]; /* the configuration, map, PAM service and token cache */
static const uint8_t *input;
static size_t input_size;

void fz_stream_set(const uint8_t *data, size_t size)
{
	in.p = data;
	in.n = size;
}

unsigned fz_byte(unsigned fallback)
{
	if (in.n == 0)
		return fallback;
	in.n--;
	return *in.p++;
}

const uint8_t *fz_bytes(size_t max, size_t *len)
{
	const uint8_t *p = in.p;

	*len = max < in.n ? max : in.n;
	in.p += *len;
	in.n -= *len;
	return p;
}

/* What a person answers at a prompt; the input's byte modulo 12. */
static const char *const answers[] = {
    "", "", "", "r", "a", "u", " R\t", "x", "\b\n\r\177INCORRECT"};
enum { ANSWER_GARBAGE = 9, ANSWER_CONV_ERR = 10, ANSWER_AGAIN = 11 };

static int shown_ok(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;

	for (; *s != '\0'; s++)
		if ((*s < 0x20 && *s != '\n') || *s == 0x7f)
			return 0;
	return 1;
}

/* A secret that reaches the terminal or the log is a leak, unless the
 * input itself carried it there (a raw answer can quote anything). */
static void check_no_secret(const char *text)
{
	static const char *const secrets[] = {FZ_CLIENT_SECRET, FZ_CODE, FZ_USER_TOKEN,
					      FZ_APP_TOKEN};
	size_t i;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(text, secrets[i]) != NULL &&
		    memmem(input, input_size, secrets[i], strlen(secrets[i])) == NULL)
			__builtin_trap();
}

static void check_shown(const char *text)
{
	if (!shown_ok(text))
		__builtin_trap();
	check_no_secret(text);
}

static char *answer_for(unsigned b, int *rc)
{
	const uint8_t *p;
	size_t len;
	char *s;

	b %= 12;
	if (b == ANSWER_CONV_ERR || b == ANSWER_AGAIN) {
		*rc = b == ANSWER_AGAIN ? PAM_CONV_AGAIN : PAM_CONV_ERR;
		return NULL;
	}
	if (b != ANSWER_GARBAGE)
		return strdup(answers[b]);
	p = fz_bytes(fz_byte(0), &len);
	s = strndup((const char *)p, len);
	return s;
}

static int reply(const struct pam_message *m, struct pam_response *r)
{
	int rc = PAM_SUCCESS;
	unsigned b;

	check_shown(m->msg);
	if (m->msg_style == PAM_TEXT_INFO || m->msg_style == PAM_ERROR_MSG) {
		b = fz_byte(0) % 16;
		return b == 15 ? PAM_CONV_ERR : b == 14 ? PAM_CONV_AGAIN : PAM_SUCCESS;
	}
	/* pam_get_user's question: the user name. */
	if (strncmp(m->msg, "login:", 6) == 0 && fz_byte(0) % 4 != 3) {
		r->resp = strdup("nobody");
		return PAM_SUCCESS;
	}
	r->resp = answer_for(fz_byte(0), &rc);
	return rc;
}

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			void *appdata)
{
	struct pam_response *r;
	int i, rc = PAM_SUCCESS;

	(void)appdata;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	fz_inject_hold(1);
	r = calloc((size_t)n, sizeof(*r));
	for (i = 0; r != NULL && i < n && rc == PAM_SUCCESS; i++)
		rc = reply(msg[i], &r[i]);
	if (r == NULL)
		rc = PAM_BUF_ERR;
	if (rc != PAM_SUCCESS && r != NULL) {
		for (i = 0; i < n; i++)
			free(r[i].resp);
		free(r);
		r = NULL;
	}
	*resp = r;
	fz_inject_hold(0);
	return rc;
}

static void write_file(const char *name, mode_t mode, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0 || chmod(path, mode) != 0)
		abort();
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_dir(void)
{
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* The configuration (root-owned, 0600, as the module demands: the fuzzer
 * runs as root), the map file and a PAM service, once per process. */
static void setup(void)
{
	char text[1024];

	snprintf(dir, sizeof(dir), "/tmp/fuzz_pam.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(remove_dir);
	snprintf(text, sizeof(text),
		 "client_id = fzclient\nclient_secret = %s\n"
		 "api_base = http://127.0.0.1:9\noapi_base = http://127.0.0.1:9\n"
		 "login_base = https://login.example\nhelper = unix:%s/control.sock\n"
		 "map_file = %s/map\ntoken_cache = %s/cache/app-token\n"
		 "timeout = 10\nmax_tries = 4\n[service sudo]\ntimeout = 12\n",
		 FZ_CLIENT_SECRET, dir, dir, dir);
	write_file("pam_dingtalk.conf", 0600, text);
	write_file("map", 0644,
		   FZ_UNION_NOBODY " nobody\n" FZ_UNION_DAEMON " daemon\n" FZ_UNION_ROOT " root\n");
	write_file("fz", 0644, "auth required pam_permit.so\n");
	if (geteuid() != 0)
		fprintf(stderr, "fuzz_pam: not root: the module refuses the configuration, so "
				"every input ends in PAM_SERVICE_ERR\n");
}

/* The cache would carry one run's token into the next. */
static void forget_app_token(void)
{
	char cache[128];

	snprintf(cache, sizeof(cache), "%s/cache/app-token", dir);
	unlink(cache);
}

struct scene {
	const char *user; /* NULL: pam_get_user asks */
	const char *service;
	const char *ruser;
	const char *verified; /* whom the module must verify */
	char *owned[16];
	const char *argv[16];
	int argc;
	unsigned timeout;
	unsigned fail_at;
};

static const char *bound_identity(const char *user)
{
	if (user == NULL)
		return "";
	if (strcmp(user, "daemon") == 0)
		return FZ_UNION_DAEMON;
	if (strcmp(user, "root") == 0)
		return FZ_UNION_ROOT;
	return FZ_UNION_NOBODY;
}

/* "key=value", or the key alone when value is NULL. */
static void add_arg(struct scene *s, const char *key, const char *value)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "%s%s%s", key, value != NULL ? "=" : "",
		 value != NULL ? value : "");
	s->owned[s->argc] = strdup(buf);
	s->argv[s->argc] = s->owned[s->argc];
	s->argc++;
}

/* Byte 0: the module's arguments. */
static void pick_arguments(struct scene *s, unsigned b0, unsigned b2)
{
	static const char *const flows[] = {"oauth2", "oauth2", "sns", "inapp"};
	static const char *const qrs[] = {"ascii", "utf8", "off", "auto"};
	static const char *const langs[] = {"en", "zh_CN", "auto", "auto"};
	static const char *const extras[] = {NULL, "bogus", "client_secret=x", "timeout=9"};

	char conf[96];

	snprintf(conf, sizeof(conf), "%s/pam_dingtalk.conf", dir);
	add_arg(s, "conf", conf);
	add_arg(s, "flow", flows[b0 & 3]);
	add_arg(s, "wait", b0 & 4 ? "enter" : "poll");
	add_arg(s, "directory", b0 & 8 ? "yes" : "no");
	add_arg(s, "failmode", b0 & 16 ? "safe" : "secure");
	if (b0 & 32)
		add_arg(s, "corp_id", "dingfzcorp");
	add_arg(s, "map", b0 & 64 ? "userfile file" : "file");
	add_arg(s, "audit", b0 & 128 ? "json" : "text");
	add_arg(s, "qr", qrs[b2 & 3]);
	add_arg(s, "lang", langs[(b2 >> 2) & 3]);
	if (extras[(b2 >> 4) & 3] != NULL)
		add_arg(s, extras[(b2 >> 4) & 3], NULL);
	add_arg(s, "debug", NULL);
}

/* Byte 1: who logs in, through which service. */
static void pick_people(struct scene *s, unsigned b1)
{
	static const char *const users[] = {"nobody",	       "nobody", "daemon", "root",
					    "fz-no-such-user", NULL,	 "",	   "nobody"};
	static const char *const services[] = {"sshd", "sudo", "login", "su"};

	s->user = users[b1 & 7];
	s->service = services[(b1 >> 3) & 3];
	s->ruser = b1 & 32 ? "daemon" : NULL;
	s->verified = s->user == NULL ? "nobody" : s->user;
	/* su to root verifies the caller (pam_dingtalk.c: user_to_verify). */
	if (strcmp(s->service, "su") == 0 && s->user != NULL && strcmp(s->user, "root") == 0 &&
	    s->ruser != NULL)
		s->verified = s->ruser;
	s->timeout = strcmp(s->service, "sudo") == 0 ? 12 : 10;
}

static pam_handle_t *start_pam(const struct scene *s, unsigned b1, unsigned b2)
{
	static struct pam_conv conv = {conversation, NULL};
	pam_handle_t *pamh = NULL;

	if (pam_start_confdir("fz", s->user, &conv, dir, &pamh) != PAM_SUCCESS)
		abort();
	if (pam_set_item(pamh, PAM_SERVICE, s->service) != PAM_SUCCESS ||
	    (s->ruser != NULL && pam_set_item(pamh, PAM_RUSER, s->ruser) != PAM_SUCCESS) ||
	    (b1 & 64 && pam_set_item(pamh, PAM_TTY, "ssh") != PAM_SUCCESS) ||
	    (b1 & 128 && pam_putenv(pamh, "LANG=zh_CN.UTF-8") != PAM_SUCCESS) ||
	    pam_set_item(pamh, PAM_RHOST, b2 & 64 ? "<b>\x1b[31m" : "10.0.0.5") != PAM_SUCCESS ||
	    (b2 & 128 && pam_putenv(pamh, "SUDO_COMMAND=/bin/ls \x1b]0;x\a") != PAM_SUCCESS))
		abort();
	return pamh;
}

static int allowed_code(int rc)
{
	switch (rc) {
	case PAM_SUCCESS:
	case PAM_AUTH_ERR:
	case PAM_USER_UNKNOWN:
	case PAM_AUTHINFO_UNAVAIL:
	case PAM_IGNORE:
	case PAM_SERVICE_ERR:
	case PAM_MAXTRIES:
	case PAM_BUF_ERR:
	case PAM_CONV_ERR:
	case PAM_INCOMPLETE:
		return 1;
	default:
		return 0;
	}
}

/* Success needs the whole chain, for the person bound to the user. */
static int success_earned(const struct scene *s, int corp, int directory)
{
	const struct fz_record *r = &fz_seen;

	return r->code_released && r->code_exchanged && r->registered > 0 && !r->weak_state &&
	       !r->denial && strcmp(r->named, bound_identity(s->verified)) == 0 &&
	       strcmp(s->verified, "root") != 0 && !(corp && r->other_corp) &&
	       !(directory && r->directory_refused);
}

static void check_log(void)
{
	size_t len, off;
	const char *log = fz_log_text(&len);

	for (off = 0; off < len; off += strlen(log + off) + 1)
		check_shown(log + off);
}

static void check_outcome(const struct scene *s, int rc, unsigned b0, int64_t start)
{
	if (!allowed_code(rc))
		__builtin_trap();
	if (rc == PAM_SUCCESS && !success_earned(s, b0 & 32, b0 & 8))
		__builtin_trap();
	/* Nothing ran out: no out-of-memory code; a refusal stays one. */
	if (!fz_injected() && rc == PAM_BUF_ERR)
		__builtin_trap();
	if (!fz_injected() && fz_seen.denial_sure && rc != PAM_AUTH_ERR)
		__builtin_trap();
	/* The deadline holds, whatever the answers: the login's timeout, and
	 * past it at most the exchange's own budget (login.h), with a second
	 * of slack for the clock's own ticks. */
	if (fz_clock() - start > ((int64_t)s->timeout + DT_EXCHANGE_BUDGET_S) * 1000 + 1000)
		__builtin_trap();
	check_log();
}

/* FUZZ_PAM_DEBUG=1: what a run did, to write seeds and read crashes. */
static void show_run(int rc)
{
	size_t len, off;
	const char *log = fz_log_text(&len);

	if (getenv("FUZZ_PAM_DEBUG") == NULL)
		return;
	fprintf(stderr, "rc=%d (%s) released=%d exchanged=%d named=%s denial=%d injected=%d\n", rc,
		pam_strerror(NULL, rc), fz_seen.code_released, fz_seen.code_exchanged,
		fz_seen.named, fz_seen.denial, fz_injected());
	fprintf(stderr, "wrapped calls: %u\n", fz_inject_calls());
	for (off = 0; off < len; off += strlen(log + off) + 1)
		fprintf(stderr, "  log: %s\n", log + off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scene s;
	pam_handle_t *pamh;
	unsigned b0, b1, b2, b3;
	int64_t start;
	int rc, i;

	if (dir[0] == '\0')
		setup();
	input = data;
	input_size = size;
	fz_stream_set(data, size);
	memset(&s, 0, sizeof(s));
	b0 = fz_byte(0);
	b1 = fz_byte(0);
	b2 = fz_byte(0);
	s.fail_at = fz_byte(0);
	b3 = fz_byte(0);
	s.fail_at |= (b3 & 7) << 8;
	pick_people(&s, b1);
	pick_arguments(&s, b0, b2);
	fz_person = bound_identity(s.verified);
	fz_stranger = strcmp(s.verified, "daemon") == 0 ? FZ_UNION_NOBODY : FZ_UNION_DAEMON;
	pamh = start_pam(&s, b1, b2);
	fz_fakes_reset();
	fz_log_reset();
	fz_clock_reset();
	forget_app_token();
	start = fz_clock();
	fz_inject_arm(s.fail_at);
	rc = pam_sm_authenticate(pamh, b3 & 8 ? PAM_SILENT : 0, s.argc, s.argv);
	fz_inject_disarm();
	show_run(rc);
	check_outcome(&s, rc, b0, start);
	pam_end(pamh, rc);
	for (i = 0; i < s.argc; i++)
		free(s.owned[i]);
	return 0;
}
