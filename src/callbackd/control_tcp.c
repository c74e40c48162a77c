/* The TCP control listener: see control_tcp.h. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/util.h"
#include "control_auth.h"
#include "control_tcp.h"
#include "deadline.h"
#include "httpd.h"
#include "net.h"

#define PEM_MAX (64 * 1024)

struct cbd_control_tcp {
	struct cbd_control *ctl;
	struct MHD_Daemon *mhd;
	struct cbd_deadlines *deadlines;
	struct cbd_auth_signed auth;
	char *cert, *key; /* PEM texts; the key is wiped when freed */
	int fd;
};

/* ---- requests ---- */

/* Called once per request with the target as the client sent it (the
 * access handler's url has lost its query): that is what was signed. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct cbd_creq *req = calloc(1, sizeof(*req));

	(void)cls;
	(void)conn;
	if (req == NULL)
		return NULL;
	req->body.limit = CBD_CONTROL_BODY_MAX;
	req->target = strdup(uri);
	return req;
}

/* The first call: the declared size. Nothing is read or answered on the
 * request's behalf before its signature was checked. */
static enum MHD_Result begin(struct cbd_control_tcp *t, struct MHD_Connection *conn,
			     struct cbd_creq *req)
{
	req->started = 1;
	if (req->target == NULL)
		return MHD_NO; /* out of memory */
	if (cbd_body_too_long(conn, CBD_CONTROL_BODY_MAX))
		return cbd_control_send_error(t->ctl, conn, MHD_HTTP_CONTENT_TOO_LARGE,
					      "body larger than 8 KiB");
	return MHD_YES;
}

/* The body is complete: check the signature once. A signed request may
 * then wait as long as a long-poll lasts. */
static int authenticate(struct cbd_control_tcp *t, struct MHD_Connection *conn, const char *method,
			struct cbd_creq *req, enum MHD_Result *answer)
{
	int64_t now = dt_wall_ms();
	enum cbd_verify_rc rc = cbd_auth_check(&t->auth, conn, method, req, now);

	if (rc != CBD_VERIFY_OK) {
		*answer = cbd_auth_refuse(&t->auth, t->ctl, conn, rc, now);
		return -1;
	}
	req->authed = 1;
	cbd_deadlines_extend(
	    t->deadlines, conn,
	    dt_now_ms() + ((int64_t)DT_CONTROL_WAIT_MAX_S + t->ctl->conf->request_timeout) * 1000);
	return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct cbd_control_tcp *t = cls;
	struct cbd_creq *req = *con_cls;
	enum MHD_Result answer;

	(void)version;
	if (req == NULL)
		return MHD_NO; /* out of memory when the request began */
	if (!req->started)
		return begin(t, conn, req);
	if (*upload_size != 0)
		return cbd_control_collect(t->ctl, req, upload, upload_size);
	if (!req->authed && authenticate(t, conn, method, req, &answer) != 0)
		return answer;
	return cbd_control_route(t->ctl, conn, url, method, req);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct cbd_control_tcp *t = cls;
	struct cbd_creq *req = *con_cls;

	(void)conn;
	(void)toe;
	if (req == NULL)
		return;
	cbd_creq_free(t->ctl, req);
	*con_cls = NULL;
}

/* ---- TLS files ---- */

/* The certificate and key parse and belong together: checked here so the
 * error names the file, not just "cannot start". */
static int check_pem_pair(const struct cbd_control_tcp *t, const struct cbd_conf *conf,
			  struct dt_err *err)
{
	BIO *cb = BIO_new_mem_buf(t->cert, -1), *kb = BIO_new_mem_buf(t->key, -1);
	X509 *x = cb != NULL ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = kb != NULL ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	int rc = -1;

	if (x == NULL)
		dt_err_set(err, DT_ERR_CONFIG, "control_tls_cert %s: not a PEM certificate",
			   conf->control_tls_cert);
	else if (k == NULL)
		dt_err_set(err, DT_ERR_CONFIG,
			   "control_tls_key %s: not a PEM private key (an encrypted key is "
			   "refused: the service starts unattended)",
			   conf->control_tls_key);
	else if (X509_check_private_key(x, k) != 1)
		dt_err_set(err, DT_ERR_CONFIG,
			   "control_tls_key %s does not belong to the certificate in "
			   "control_tls_cert %s",
			   conf->control_tls_key, conf->control_tls_cert);
	else
		rc = 0;
	EVP_PKEY_free(k);
	X509_free(x);
	BIO_free(kb);
	BIO_free(cb);
	return rc;
}

/* The certificate is public (not writable by others), the key a secret
 * (no group or other access), both of a trusted owner. */
static int read_tls(struct cbd_control_tcp *t, const struct cbd_conf *conf, struct dt_err *err)
{
	size_t len;

	if (conf->control_tls_cert == NULL)
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "control_tls_cert is set but this libmicrohttpd was built "
				  "without TLS; install one with TLS (Debian's has it) or use a "
				  "loopback control_listen behind a TLS proxy");
	t->cert =
	    dt_read_protected_file(conf->control_tls_cert, DT_FILE_PUBLIC, PEM_MAX, &len, err);
	if (t->cert == NULL)
		return -1;
	t->key = dt_read_protected_file(conf->control_tls_key, DT_FILE_SECRET, PEM_MAX, &len, err);
	if (t->key == NULL)
		return -1;
	return check_pem_pair(t, conf, err);
}

/* ---- life cycle ---- */

static int start_server(struct cbd_control_tcp *t, const struct cbd_conf *conf, struct dt_err *err)
{
	struct cbd_mhd_params p = {
	    .listen_fd = t->fd,
	    .extra_flags = MHD_ALLOW_SUSPEND_RESUME,
	    .connection_limit = conf->control_max_connections,
	    .per_ip_limit = conf->control_max_connections_per_ip,
	    .timeout_s = conf->request_timeout,
	    .deadlines = NULL,
	    .memory_limit = 32 * 1024,
	    .handler = handle,
	    .completed = completed,
	    .cls = t,
	    .log = t->ctl->log,
	    .name = "control (TCP)",
	    .tls_cert = t->cert,
	    .tls_key = t->key,
	    .uri_log = on_uri,
	};

	t->deadlines = cbd_deadlines_new("control (TCP)", conf->request_timeout,
					 conf->control_max_connections, t->ctl->log, err);
	if (t->deadlines == NULL)
		return -1;
	p.deadlines = t->deadlines;
	t->mhd = cbd_mhd_start(&p, err);
	if (t->mhd != NULL)
		return 0;
	if (t->cert != NULL)
		dt_err_set(err, DT_ERR_CONFIG,
			   "control listener on %s: cannot start TLS with control_tls_cert %s "
			   "and control_tls_key %s (see the line above)",
			   conf->control_listen, conf->control_tls_cert, conf->control_tls_key);
	return -1;
}

static void tcp_free(struct cbd_control_tcp *t)
{
	cbd_deadlines_free(t->deadlines);
	if (t->fd >= 0 && t->mhd == NULL)
		close(t->fd); /* MHD closes it once it has it */
	cbd_hostkeys_free(t->auth.keys);
	cbd_burst_destroy(&t->auth.refused);
	free(t->cert);
	dt_free_secret(t->key);
	free(t);
}

struct cbd_control_tcp *cbd_control_tcp_start(struct cbd_control *ctl, struct dt_err *err)
{
	const struct cbd_conf *conf = ctl->conf;
	struct cbd_control_tcp *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		dt_err_oom(err);
		return NULL;
	}
	t->ctl = ctl;
	t->fd = -1;
	t->auth.store = ctl->store;
	t->auth.skew_s = conf->control_skew;
	t->auth.log = ctl->log;
	cbd_burst_init(&t->auth.refused);
	if (read_tls(t, conf, err) != 0 ||
	    (t->auth.keys = cbd_hostkeys_open(conf->host_keys, ctl->log, err)) == NULL ||
	    (t->fd = cbd_listen_tcp(conf->control_listen, err)) < 0 ||
	    start_server(t, conf, err) != 0) {
		tcp_free(t);
		return NULL;
	}
	if (cbd_hostkeys_count(t->auth.keys) == 0)
		dt_logf(ctl->log, LOG_WARNING,
			"host_keys %s has no keys yet: every request on %s is refused until "
			"keys are added (no restart needed)",
			conf->host_keys, conf->control_listen);
	dt_logf(ctl->log, LOG_INFO, "control listener on %s (%s), %u host keys from %s",
		conf->control_listen, t->cert != NULL ? "TLS" : "plain: loopback behind a proxy",
		cbd_hostkeys_count(t->auth.keys), conf->host_keys);
	return t;
}

int cbd_control_tcp_check_files(const struct cbd_conf *conf, const struct dt_log *log,
				struct dt_err *err)
{
	struct cbd_control_tcp t;
	struct cbd_hostkeys *keys = NULL;
	int rc;

	if (conf->control_listen == NULL)
		return 0;
	memset(&t, 0, sizeof(t));
	rc = read_tls(&t, conf, err) == 0 &&
		     (keys = cbd_hostkeys_open(conf->host_keys, log, err)) != NULL
		 ? 0
		 : -1;
	cbd_hostkeys_free(keys);
	free(t.cert);
	dt_free_secret(t.key);
	return rc;
}

void cbd_control_tcp_stop(struct cbd_control_tcp *t)
{
	if (t == NULL)
		return;
	MHD_stop_daemon(t->mhd); /* closes the listening socket too */
	tcp_free(t);
}
