/* dingtalk-ctl host-key new|list|remove: the keys the fleet's hosts sign
 * their control requests with (docs/control-api.md, "Signed requests"),
 * kept in the service's `host_keys` file. The secret of a new key is shown
 * once, on stdout, and written nowhere else but that file. */
#include "config.h"

#include <getopt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "ctl.h"
#include "base/util.h"
#include "hostkey_edit.h"
#include "proto/hostkey_file.h"
#include "proto/reqsign.h"

#define MODULE_KEY_FILE "/etc/security/pam_dingtalk.hostkey"
/* A key id: the host's name, cut to this, then '.' and 8 random
 * characters. */
#define ID_HOST_MAX	40
#define ID_RANDOM_BYTES 6

struct hostkey_args {
	const char *sub, *arg; /* the verb and its one operand */
	struct ctl_keyfile file;
};

static int parse_owner(const char *cmd, const char *user, struct ctl_keyfile *f)
{
	const struct passwd *pw = getpwnam(user);

	if (pw == NULL)
		return ctl_usage_error(cmd, "--owner: no local user '%s'", user);
	f->uid = pw->pw_uid;
	f->gid = pw->pw_gid;
	return 0;
}

static const char *operand_rule(const char *sub)
{
	if (strcmp(sub, "list") == 0)
		return "takes no operand";
	return strcmp(sub, "new") == 0 ? "wants one operand: HOST" : "wants one operand: KEY_ID";
}

static int parse(const char *cmd, int argc, char **argv, struct hostkey_args *a)
{
	static const struct option opts[] = {{"keys", required_argument, NULL, 'k'},
					     {"owner", required_argument, NULL, 'o'},
					     {NULL, 0, NULL, 0}};
	const char *owner = NULL;
	int opt, want = strcmp(a->sub, "list") != 0;

	a->file.path = CTL_HOST_KEYS_DEFAULT;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "k:o:", opts, NULL)) != -1) {
		if (opt == 'k')
			a->file.path = optarg;
		else if (opt == 'o')
			owner = optarg;
		else
			return ctl_usage_error(cmd, "unknown option");
	}
	if (argc - optind != want)
		return ctl_usage_error(cmd, "%s", operand_rule(a->sub));
	a->arg = want ? argv[optind] : NULL;
	if (strcmp(a->sub, "new") == 0 && !dt_is_printable_id(a->arg))
		return ctl_usage_error(cmd, "HOST: want 1 to 256 printable characters, no spaces "
					    "(the host's name as hostname(1) prints it)");
	if (strcmp(a->sub, "remove") == 0 && !dt_reqsign_key_id_ok(a->arg))
		return ctl_usage_error(cmd, "KEY_ID: want 1 to %d of A-Z a-z 0-9 . _ -",
				       DT_SIGN_KEY_ID_MAX);
	return owner != NULL ? parse_owner(cmd, owner, &a->file) : 0;
}

/* ------------------------------------------------------------------ new */

struct new_key {
	const char *host;
	char id[DT_SIGN_KEY_ID_MAX + 1];
	unsigned char secret[DT_SIGN_SECRET_BYTES];
	char created[11];
};

static int make_id(const char *host, char *id, size_t size)
{
	char rnd[12];
	size_t i, n;

	for (n = 0; host[n] != '\0' && n < ID_HOST_MAX; n++) {
		char c = host[n];
		id[n] = dt_reqsign_key_id_ok((char[]){c, '\0'}) ? c : '-';
	}
	if (dt_random_token(rnd, sizeof(rnd), ID_RANDOM_BYTES) < 0)
		return -1;
	i = (size_t)snprintf(id + n, size - n, ".%s", rnd);
	return i < size - n && dt_reqsign_key_id_ok(id) ? 0 : -1;
}

static int id_taken(const struct ctl_keyfile_view *v, const char *id)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->keys[i].id, id) == 0)
			return 1;
	return 0;
}

/* The old text and the new line: a key id that is taken (a chance of
 * 2^-48) is drawn again. */
static int append_key(void *ctx, const struct ctl_keyfile_view *v, char **out, struct dt_err *err)
{
	struct new_key *k = ctx;
	char line[DT_HOSTKEY_LINE_MAX];
	int tries = 0, sep = v->len > 0 && v->text[v->len - 1] != '\n';

	do {
		if (tries++ == 3 || make_id(k->host, k->id, sizeof(k->id)) < 0)
			return dt_err_set(err, DT_ERR_INTERNAL,
					  "cannot draw a new key id: the system's random source "
					  "failed");
	} while (id_taken(v, k->id));
	if (dt_hostkey_format_line(k->id, k->host, k->secret, k->created, line, sizeof(line)) < 0)
		return dt_err_set(err, DT_ERR_INTERNAL, "cannot format the key's line");
	*out = dt_asprintf("%s%s%s", v->text, sep ? "\n" : "", line);
	OPENSSL_cleanse(line, sizeof(line));
	return *out != NULL ? 0 : dt_err_oom(err);
}

static int today(char out[11])
{
	time_t now = time(NULL);
	struct tm tm;

	return gmtime_r(&now, &tm) != NULL && strftime(out, 11, "%Y-%m-%d", &tm) == 10 ? 0 : -1;
}

/* stdout is a whole module key file: the key's line, then a comment on
 * where it goes, so that it can be piped to the host as it is. */
static void print_module_file(const struct new_key *k)
{
	char text[44];

	dt_reqsign_secret_encode(k->secret, text);
	printf("%s %s\n", k->id, text);
	OPENSSL_cleanse(text, sizeof(text));
	printf("# On %s: these lines are its " MODULE_KEY_FILE
	       " (helper_key_file), owned by root, mode 0600.\n",
	       k->host);
	fflush(stdout);
}

static int new_key(const struct hostkey_args *a)
{
	struct new_key k = {.host = a->arg};
	struct dt_err err;
	int rc;

	dt_err_clear(&err);
	if (today(k.created) < 0 || RAND_bytes(k.secret, (int)sizeof(k.secret)) != 1) {
		OPENSSL_cleanse(&k, sizeof(k));
		dt_err_set(&err, DT_ERR_INTERNAL,
			   "cannot make a secret: the system's random source or clock failed");
		return ctl_fail(&err);
	}
	rc = ctl_keyfile_rewrite(&a->file, append_key, &k, &err);
	if (rc == 0) {
		print_module_file(&k);
		fprintf(stderr, PROG ": %s: key %s added for %s\n", a->file.path, k.id, k.host);
		syslog(LOG_NOTICE, "%s: host key %s added for %s", a->file.path, k.id, k.host);
	}
	OPENSSL_cleanse(&k, sizeof(k));
	return rc == 0 ? CTL_OK : ctl_fail(&err);
}

/* ----------------------------------------------------------------- list */

static int list_keys(const struct hostkey_args *a)
{
	struct ctl_keyfile_view v;
	struct dt_err err;
	size_t i;

	dt_err_clear(&err);
	if (ctl_keyfile_read(&a->file, &v, &err) < 0)
		return ctl_fail(&err);
	if (v.n == 0)
		fprintf(stderr, PROG ": no host keys in %s%s\n", a->file.path,
			v.missing ? " (it does not exist yet)" : "");
	else
		printf("%-40s %-30s %s\n", "KEY_ID", "HOST", "CREATED");
	for (i = 0; i < v.n; i++)
		printf("%-40s %-30s %s\n", v.keys[i].id, v.keys[i].host,
		       v.keys[i].created[0] != '\0' ? v.keys[i].created : "-");
	ctl_keyfile_release(&v);
	return CTL_OK;
}

/* --------------------------------------------------------------- remove */

struct removal {
	const char *id;
	char host[DT_CONTROL_FIELD_MAX + 1];
	int found;
	unsigned host_keys_left;
};

/* Every byte but the key's line (and its newline) kept. */
static int drop_key(void *ctx, const struct ctl_keyfile_view *v, char **out, struct dt_err *err)
{
	struct removal *r = ctx;
	const struct dt_hostkey_entry *e = NULL;
	size_t i, end;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->keys[i].id, r->id) == 0)
			e = &v->keys[i];
	if (e == NULL)
		return 0;
	r->found = 1;
	memcpy(r->host, e->host, sizeof(r->host));
	for (i = 0; i < v->n; i++)
		r->host_keys_left += &v->keys[i] != e && strcmp(v->keys[i].host, e->host) == 0;
	end = e->offset + e->len + (e->offset + e->len < v->len);
	*out = malloc(v->len - (end - e->offset) + 1);
	if (*out == NULL)
		return dt_err_oom(err);
	memcpy(*out, v->text, e->offset);
	memcpy(*out + e->offset, v->text + end, v->len - end);
	(*out)[v->len - (end - e->offset)] = '\0';
	return 0;
}

static int remove_key(const struct hostkey_args *a)
{
	struct removal r = {.id = a->arg};
	struct dt_err err;

	dt_err_clear(&err);
	if (ctl_keyfile_rewrite(&a->file, drop_key, &r, &err) < 0)
		return ctl_fail(&err);
	if (!r.found) {
		fprintf(stderr, PROG ": %s: no key '%s'\n", a->file.path, r.id);
		return CTL_FAILED;
	}
	syslog(LOG_NOTICE, "%s: host key %s of %s removed", a->file.path, r.id, r.host);
	printf("%s: key %s of %s removed; %u other key(s) of %s remain%s\n", a->file.path, r.id,
	       r.host, r.host_keys_left, r.host,
	       r.host_keys_left == 0 ? " (the host can no longer reach the service)" : "");
	return CTL_OK;
}

int ctl_cmd_hostkey(struct ctl *c, int argc, char **argv)
{
	struct hostkey_args a = {.sub = argc > 1 ? argv[1] : ""};
	char cmd[32];
	int rc;

	(void)c;
	snprintf(cmd, sizeof(cmd), "host-key %s", a.sub);
	if (strcmp(a.sub, "new") != 0 && strcmp(a.sub, "list") != 0 && strcmp(a.sub, "remove") != 0)
		return ctl_usage_error("host-key", "want new, list or remove");
	rc = parse(cmd, argc - 1, argv + 1, &a);
	if (rc != 0)
		return rc;
	if (ctl_require_root(cmd) < 0)
		return CTL_FAILED;
	if (strcmp(a.sub, "new") == 0)
		return new_key(&a);
	return strcmp(a.sub, "list") == 0 ? list_keys(&a) : remove_key(&a);
}
