/* dingtalk-ctl doctor: what would stop a login, found before a person
 * meets it. Each check prints one line, "ok", "warn" or "FAIL", and says
 * what to do; the exit status is 1 when anything failed. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "dingtalk/apptoken.h"
#include "dingtalk/directory.h"
#include "dingtalk/permission.h"
#include "conf/cfg.h"
#include "conf/prompt_after.h"
#include "ctl.h"
#include "doctor_ssh_wait.h"
#include "login/helper_client.h"
#include "base/http.h"
#include "access/mapedit.h"
#include "access/mapfile.h"
#include "conf/map_spec.h"
#include "access/recovery.h"
#include "base/util.h"

#define CHECK_MS 10000

struct doctor {
	struct ctl *c;
	const char *pam_dir, *sshd_config, *sshd;
	unsigned failed, warned;
};

static void report(struct doctor *d, int level, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* level: 0 ok, 1 warn, 2 FAIL */
static void report(struct doctor *d, int level, const char *what, const char *fmt, ...)
{
	static const char *const words[] = {"ok  ", "warn", "FAIL"};
	va_list ap;

	printf("%s  %-10s ", words[level], what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	d->failed += level == 2;
	d->warned += level == 1;
}

static void count_entry(void *ctx, const char *union_id, const char *const *accounts, size_t n)
{
	(void)union_id;
	(void)accounts;
	(void)n;
	(*(unsigned *)ctx)++;
}

static void check_map(struct doctor *d)
{
	const struct dt_modcfg *cfg = &d->c->cfg;
	struct dt_err err;
	unsigned entries = 0;
	size_t len = 0;
	char *text;

	if (!dt_map_uses(&cfg->map, DT_MAP_FILE)) {
		report(d, 0, "map", "map = %s (no map file read)", cfg->text.map);
		return;
	}
	dt_err_clear(&err);
	text = dt_read_protected_file(cfg->map_file, DT_FILE_PUBLIC, DT_MAP_MAX_BYTES, &len, &err);
	if (text == NULL || dt_map_each(text, len, cfg->map_file, count_entry, &entries, &err) < 0)
		report(d, 2, "map", "%s (every login fails until it is fixed)", err.msg);
	else
		report(d, entries > 0 ? 0 : 1, "map", "%s: %u binding(s)%s", cfg->map_file, entries,
		       entries > 0 ? "" : "; add some with 'dingtalk-ctl enroll --user NAME'");
	free(text);
}

static void check_recovery(struct doctor *d)
{
	const struct dt_modcfg *cfg = &d->c->cfg;
	struct dt_err err;
	struct stat st;
	size_t len = 0;
	char *text;

	if (!cfg->recovery) {
		report(d, 0, "recovery", "recovery = no");
		return;
	}
	if (lstat(cfg->recovery_file, &st) != 0 && errno == ENOENT) {
		report(d, 0, "recovery", "%s: none issued", cfg->recovery_file);
		return;
	}
	dt_err_clear(&err);
	text = dt_read_protected_file(cfg->recovery_file, DT_FILE_SECRET, DT_RECOVERY_MAX_BYTES,
				      &len, &err);
	if (text == NULL)
		report(d, 2, "recovery", "%s (no code will be accepted)", err.msg);
	else
		report(d, 0, "recovery", "%s: root-only", cfg->recovery_file);
	dt_free_secret(text);
}

/* A fleet (helper = https://...): the key was loaded with the
 * configuration (a missing or unsafe key file is a config FAIL); here its
 * file's owner and mode, the CA bundle, and each replica with one signed
 * request that changes nothing. */
static void check_fleet(struct doctor *d)
{
	const struct dt_modcfg *cfg = &d->c->cfg;
	struct dt_http_opts opts = {
	    .ca_file = cfg->helper_ca_file, .peer_name = "helper", .connect_timeout_ms = 3000};
	struct dt_helper_link ln = {.key = &cfg->helper_key};
	char instance[64], host[256] = "";
	struct dt_http h;
	struct dt_err err;
	struct stat st;
	unsigned i;

	if (stat(cfg->helper_key_file, &st) == 0)
		report(d, 0, "host key", "%s: key id %s, owner uid %u, mode %04o",
		       cfg->helper_key_file, cfg->helper_key.id, (unsigned)st.st_uid,
		       (unsigned)(st.st_mode & 07777));
	if (cfg->helper_ca_file == NULL)
		report(d, 0, "helper CA", "the system's trust store (helper_ca_file unset)");
	else if (access(cfg->helper_ca_file, R_OK) != 0)
		report(d, 2, "helper CA", "helper_ca_file %s: %s", cfg->helper_ca_file,
		       strerror(errno));
	else
		report(d, 0, "helper CA", "%s", cfg->helper_ca_file);
	dt_err_clear(&err);
	if (dt_http_init(&h, &opts, &err) < 0) {
		report(d, 2, "helper", "%s", err.msg);
		return;
	}
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	h.fresh_connection = 1; /* http.h: a signed request is never sent twice */
	ln.http = &h;
	ln.host = host;
	for (i = 0; i < cfg->helpers.n; i++) {
		ln.base = cfg->helpers.url[i];
		dt_err_clear(&err);
		if (dt_helper_probe(&ln, dt_now_ms() + CHECK_MS, instance, &err) < 0)
			report(d, 2, "helper", "%s: %s", ln.base, err.msg);
		else
			report(d, 0, "helper",
			       "%s answers a signed request from key %s (instance %s)", ln.base,
			       cfg->helper_key.id, instance);
	}
	dt_http_cleanup(&h);
}

static void check_helper(struct doctor *d)
{
	struct dt_http_opts opts = {.unix_socket = d->c->cfg.helper_socket,
				    .peer_user = d->c->cfg.helper_user,
				    .peer_name = "helper"};
	struct dt_helper_link ln;
	struct dt_http h;
	struct dt_err err;
	char probe[32];

	if (d->c->cfg.helpers.n > 0) {
		check_fleet(d);
		return;
	}
	dt_err_clear(&err);
	/* Cancelling a session nobody has is harmless and needs the whole
	 * path: socket, peer check, HTTP, the API. */
	if (dt_random_token(probe, sizeof(probe), 12) < 0 || dt_http_init(&h, &opts, &err) < 0) {
		report(d, 2, "helper", "%s",
		       err.msg[0] != '\0' ? err.msg : "cannot set up a request");
		return;
	}
	memset(&ln, 0, sizeof(ln));
	ln.http = &h;
	if (dt_helper_cancel(&ln, probe, dt_now_ms() + CHECK_MS, &err) < 0)
		report(d, 2, "helper", "%s", err.msg);
	else
		report(d, 0, "helper", "%s answers", d->c->cfg.helper);
	dt_http_cleanup(&h);
}

/* One directory API asked about a made-up person: DingTalk looks and finds
 * nobody when the app holds the API's permission. */
static void probe_permission(struct doctor *d, struct dt_http *h, const char *api)
{
	const struct dt_permission *p = dt_permission_for_api(api);
	char name[160];
	struct dt_err err;

	dt_permission_name(p, name, sizeof(name));
	dt_err_clear(&err);
	if (dt_directory_probe(h, &d->c->cfg, api, dt_now_ms() + CHECK_MS, &err) < 0)
		report(d, 2, "permission", "%s", err.msg);
	else
		report(d, 0, "permission", "%s: granted (%s answered)", name, api);
}

static int maps_email(const struct dt_map_spec *map)
{
	size_t i;

	for (i = 0; i < map->n; i++)
		if (map->src[i].kind == DT_MAP_DIRECTORY && map->src[i].field == DT_DIR_EMAIL)
			return 1;
	return 0;
}

/* The app permissions the configuration needs (docs/dingtalk-api.md,
 * "Permissions"): checked where an API can be asked without a person,
 * named where it cannot. */
static void check_permissions(struct doctor *d, struct dt_http *h)
{
	const struct dt_modcfg *cfg = &d->c->cfg;
	char name[160];

	if (cfg->flow == DT_FLOW_OAUTH2) {
		dt_permission_name(dt_permission_for_api("contact/users/me"), name, sizeof(name));
		report(d, 1, "permission",
		       "%s: contact/users/me needs it and cannot be asked without a person; "
		       "'dingtalk-ctl test' checks it with a scan",
		       name);
	}
	if (cfg->directory)
		probe_permission(d, h, "topapi/user/getbyunionid");
	if (cfg->directory && cfg->allow_external)
		probe_permission(d, h, "topapi/extcontact/get");
	if (cfg->directory && maps_email(&cfg->map)) {
		dt_permission_name(dt_permission_email(), name, sizeof(name));
		report(d, 1, "permission",
		       "%s: map = directory:email needs it (without it DingTalk leaves email out "
		       "and every such login is refused); it cannot be asked without a person",
		       name);
	}
}

static void check_dingtalk(struct doctor *d)
{
	const struct dt_modcfg *cfg = &d->c->cfg;
	struct dt_http_opts opts = {
	    .ca_file = cfg->ca_file, .proxy = cfg->proxy, .peer_name = "DingTalk"};
	struct dt_http h;
	struct dt_err err;
	char *token;

	dt_err_clear(&err);
	if (dt_http_init(&h, &opts, &err) < 0) {
		report(d, 2, "dingtalk", "%s", err.msg);
		return;
	}
	h.proxy_env = cfg->proxy_env;
	/* The app token proves the AppKey and AppSecret, the network path,
	 * TLS and the IP whitelist, without a person. */
	token = dt_app_token(&h, cfg, 1, dt_now_ms() + CHECK_MS, &err);
	if (token == NULL)
		report(d, 2, "dingtalk", "%s", err.msg);
	else
		report(d, 0, "dingtalk", "client_id %s: credentials accepted", cfg->client_id);
	if (token != NULL)
		check_permissions(d, &h);
	dt_free_secret(token);
	dt_http_cleanup(&h);
}

/* A pam.d file that calls the module (on a line that is not a comment). */
static int calls_module(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "re");
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = line[strspn(line, " \t")] != '#' && strstr(line, "pam_dingtalk.so") != NULL;
	fclose(f);
	return found;
}

static void check_pam_stack(struct doctor *d)
{
	char path[4200], services[512] = "";
	struct dirent *e;
	DIR *dir = opendir(d->pam_dir);
	unsigned n = 0;

	if (dir == NULL) {
		report(d, 1, "pam", "%s: %s", d->pam_dir, strerror(errno));
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", d->pam_dir, e->d_name);
		if (!calls_module(path))
			continue;
		n++;
		if (strlen(services) + strlen(e->d_name) + 2 < sizeof(services))
			snprintf(services + strlen(services), sizeof(services) - strlen(services),
				 "%s%s", services[0] != '\0' ? " " : "", e->d_name);
		if (strncmp(e->d_name, "common-", 7) == 0 || strcmp(e->d_name, "system-auth") == 0)
			report(d, 1, "pam",
			       "%s calls pam_dingtalk.so: every service including cron and "
			       "non-interactive ones would; name the services instead",
			       path);
	}
	closedir(dir);
	if (n == 0)
		report(d, 1, "pam",
		       "no service in %s calls pam_dingtalk.so yet (see pam.d-examples)",
		       d->pam_dir);
	else
		report(d, 0, "pam", "used by: %s", services);
}

struct sshd_settings {
	char usepam[16], kbd[16], methods[256];
	char pam_service[128], session_path[1024]; /* OpenSSH 10.x only */
	long grace;
};

static void sshd_setting(struct sshd_settings *s, const char *line)
{
	char key[64], value[1024];

	if (sscanf(line, "%63s %1023[^\n]", key, value) != 2)
		return;
	if (strcasecmp(key, "usepam") == 0)
		snprintf(s->usepam, sizeof(s->usepam), "%.15s", value);
	else if (strcasecmp(key, "kbdinteractiveauthentication") == 0)
		snprintf(s->kbd, sizeof(s->kbd), "%.15s", value);
	else if (strcasecmp(key, "authenticationmethods") == 0)
		snprintf(s->methods, sizeof(s->methods), "%.250s", value);
	else if (strcasecmp(key, "logingracetime") == 0)
		s->grace = strtol(value, NULL, 10);
	else if (strcasecmp(key, "pamservicename") == 0)
		snprintf(s->pam_service, sizeof(s->pam_service), "%.127s", value);
	else if (strcasecmp(key, "sshdsessionpath") == 0)
		snprintf(s->session_path, sizeof(s->session_path), "%.1023s", value);
}

/* sshd -T: the settings sshd would really use. */
static int read_sshd(const char *sshd, const char *config, struct sshd_settings *s, char *why,
		     size_t size)
{
	char cmd[8400], line[1200];
	FILE *p;
	int status;

	memset(s, 0, sizeof(*s));
	s->grace = -1;
	if (strchr(config, '\'') != NULL || strchr(sshd, '\'') != NULL)
		return snprintf(why, size, "odd path"), -1;
	snprintf(cmd, sizeof(cmd), "'%s' -T -f '%s' 2>&1", sshd, config);
	if ((p = popen(cmd, "r")) == NULL)
		return snprintf(why, size, "cannot run sshd"), -1;
	why[0] = '\0';
	while (fgets(line, sizeof(line), p) != NULL) {
		sshd_setting(s, line);
		if (why[0] == '\0') /* a failing sshd -T says why first */
			snprintf(why, size, "%.*s", (int)strcspn(line, "\n"), line);
	}
	status = pclose(p);
	return status == 0 && s->usepam[0] != '\0' ? 0 : -1;
}

/* sshd's PAM service: PAMServiceName (10.x), else the program's name. */
static const char *sshd_service(const struct doctor *d, const struct sshd_settings *s)
{
	const char *base = strrchr(d->sshd, '/');

	if (s->pam_service[0] != '\0')
		return s->pam_service;
	return base != NULL ? base + 1 : d->sshd;
}

/* How sshd logins wait (doctor_ssh_wait.h), with the configuration as
 * sshd's PAM service reads it ([service NAME] sections included). */
static void check_ssh_wait(struct doctor *d, const struct sshd_settings *s)
{
	struct ssh_wait_facts f = {
	    .sshd = d->sshd,
	    .pam_program = s->session_path[0] != '\0' ? s->session_path : d->sshd,
	    .service = sshd_service(d, s),
	    .conf_path = d->c->conf_path != NULL ? d->c->conf_path : DT_DEFAULT_CONF,
	    .configured = d->c->cfg.wait,
	    .prompt_after = d->c->cfg.prompt_after};
	struct ssh_wait_verdict v;
	struct dt_modcfg cfg;
	struct dt_err err;
	char conf_arg[4200];
	const char *argv[1] = {conf_arg};

	snprintf(conf_arg, sizeof(conf_arg), "conf=%s", f.conf_path);
	dt_err_clear(&err);
	if (dt_modcfg_load_for(&cfg, f.service, 1, argv, &err) < 0) {
		report(d, 1, "sshd-wait", "service %s: %s", f.service, err.msg);
		return;
	}
	f.configured = cfg.wait;
	f.prompt_after = dt_prompt_after_effective(&cfg);
	if (f.prompt_after < cfg.prompt_after)
		report(
		    d, 1, "prompt-after",
		    "service %s: prompt_after = %u s leaves less than %u s of timeout = %u s "
		    "for the prompt; logins cut it to %u s: set prompt_after to at most %u in %s",
		    f.service, cfg.prompt_after, DT_PROMPT_AFTER_RESERVE_S, cfg.timeout,
		    f.prompt_after, f.prompt_after, f.conf_path);
	ctl_ssh_wait_verdict(&f, &v);
	dt_modcfg_free(&cfg);
	report(d, v.level, "sshd-wait", "%s", v.line);
}

static void check_sshd(struct doctor *d)
{
	struct sshd_settings s;
	char why[256];
	struct stat st;

	if (stat(d->sshd_config, &st) != 0) {
		report(d, 0, "sshd", "%s not found: not checked", d->sshd_config);
		return;
	}
	if (read_sshd(d->sshd, d->sshd_config, &s, why, sizeof(why)) < 0) {
		report(d, 1, "sshd", "cannot read sshd's settings (sshd -T): %s", why);
		check_ssh_wait(d, &s);
		return;
	}
	if (strcmp(s.usepam, "yes") != 0)
		report(d, 1, "sshd", "UsePAM is %s: sshd never calls the module", s.usepam);
	if (strcmp(s.kbd, "yes") != 0)
		report(d, 1, "sshd",
		       "KbdInteractiveAuthentication is %s: the QR needs keyboard-interactive",
		       s.kbd);
	/* A login may run DT_EXCHANGE_BUDGET_S past timeout (login.h). */
	if (s.grace > 0 && (unsigned long)s.grace <= d->c->cfg.timeout + DT_EXCHANGE_BUDGET_S)
		report(d, 1, "sshd",
		       "LoginGraceTime %lds is not above timeout = %u + %u s for the code "
		       "exchange: sshd would cut logins first",
		       s.grace, d->c->cfg.timeout, DT_EXCHANGE_BUDGET_S);
	if (strcmp(s.usepam, "yes") == 0 && strcmp(s.kbd, "yes") == 0)
		report(d, 0, "sshd",
		       "UsePAM yes, keyboard-interactive on, AuthenticationMethods %s",
		       s.methods[0] != '\0' ? s.methods : "any");
	check_ssh_wait(d, &s);
}

int ctl_cmd_doctor(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {{"pam-dir", required_argument, NULL, 'p'},
					     {"sshd-config", required_argument, NULL, 's'},
					     {"sshd", required_argument, NULL, 'S'},
					     {NULL, 0, NULL, 0}};
	struct doctor d = {.c = c,
			   .pam_dir = "/etc/pam.d",
			   .sshd_config = "/etc/ssh/sshd_config",
			   .sshd = "/usr/sbin/sshd",
			   .failed = 0,
			   .warned = 0};
	struct dt_err err;
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "p:s:S:", opts, NULL)) != -1) {
		if (opt == 'p')
			d.pam_dir = optarg;
		else if (opt == 'S')
			d.sshd = optarg;
		else if (opt == 's')
			d.sshd_config = optarg;
		else
			return ctl_usage_error("doctor", "unknown option");
	}
	if (optind != argc)
		return ctl_usage_error("doctor", "unexpected argument '%s'", argv[optind]);
	if (ctl_require_root("doctor") < 0)
		return CTL_FAILED;
	dt_err_clear(&err);
	if (ctl_load_config(c, &err) < 0) {
		report(&d, 2, "config", "%s", err.msg);
		return CTL_CONFIG;
	}
	report(&d, 0, "config", "%s", c->conf_path != NULL ? c->conf_path : DT_DEFAULT_CONF);
	check_map(&d);
	check_recovery(&d);
	check_helper(&d);
	check_dingtalk(&d);
	check_pam_stack(&d);
	check_sshd(&d);
	printf("%u failed, %u warning(s)\n", d.failed, d.warned);
	return d.failed > 0 ? CTL_FAILED : CTL_OK;
}
