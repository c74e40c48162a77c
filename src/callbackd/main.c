/* dingtalk-callbackd: command line, configuration, start, tell the
 * service manager it is ready, wait for a signal, stop. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "control.h"
#include "control_tcp.h"
#include "notify.h"
#include "base/log.h"
#include "public.h"
#include "store.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.0.0"
#endif

#define PROG "dingtalk-callbackd"

struct app {
	struct cbd_conf conf;
	struct dt_log log;
	struct cbd_store *store;
	struct cbd_control *control;
	struct cbd_public *pub;
	char prefix[sizeof(PROG)];
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: " PROG " [-c CONFIG] [-d] [--check-config]\n"
		     "The DingTalk login callback helper for pam_dingtalk.\n\n"
		     "  -c, --config FILE  configuration (default " CBD_DEFAULT_CONFIG ")\n"
		     "  -d, --debug        log debug messages\n"
		     "      --check-config check the configuration and the files it names,\n"
		     "                     start nothing; exit 0 when the helper would start\n"
		     "      --version      print the version and exit\n"
		     "      --help         print this help and exit\n");
}

struct args {
	int debug;
	int check_only; /* --check-config */
};

/* Returns the config path, or NULL after printing (exit code in *code). */
static const char *parse_args(int argc, char **argv, struct args *a, int *code)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"debug", no_argument, NULL, 'd'},
	    {"check-config", no_argument, NULL, 'C'}, {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	const char *path = CBD_DEFAULT_CONFIG;
	int c;

	while ((c = getopt_long(argc, argv, "c:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			a->debug = 1;
			break;
		case 'C':
			a->check_only = 1;
			break;
		case 'V':
			printf(PROG " " PACKAGE_VERSION "\n");
			*code = 0;
			return NULL;
		case 'h':
			usage(stdout);
			*code = 0;
			return NULL;
		default:
			usage(stderr);
			*code = 1;
			return NULL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		*code = 1;
		return NULL;
	}
	return path;
}

static int load_conf(struct app *app, const char *path, struct dt_err *err)
{
	cbd_conf_init(&app->conf);
	if (dt_cfg_load_file(path, DT_FILE_PUBLIC, cbd_conf_keys, &app->conf, NULL, NULL, err) != 0)
		return -1;
	return cbd_conf_finish(&app->conf, path, err);
}

/* --check-config: what load_conf checked, and the files that are read
 * only when the listeners start. Redis is not contacted: a store that is
 * down is an outage the running helper rides out (503, /healthz), not a
 * configuration error, and must not keep the unit from starting. */
static int check_config(struct app *app, const char *path, struct dt_err *err)
{
	if (load_conf(app, path, err) != 0 ||
	    cbd_control_tcp_check_files(&app->conf, &app->log, err) != 0)
		return -1;
	/* Not an error: a helper that never serves flow C needs no hash. */
	if (app->conf.inapp_jsapi_integrity == NULL)
		fprintf(stderr,
			PROG ": warning: %s: inapp_jsapi_integrity is not set: sign-in inside "
			     "DingTalk (flow = inapp) is refused until it is. On a machine that "
			     "reaches the file: curl -fsS '%s' | openssl dgst -sha384 -binary | "
			     "openssl base64 -A, then set inapp_jsapi_integrity = sha384-<that>\n",
			path, app->conf.inapp_jsapi_url);
	printf("%s: configuration OK (store %s%s)\n", path,
	       app->conf.store == CBD_STORE_REDIS ? "redis, not contacted" : "memory",
	       app->conf.control_listen != NULL ? "; TLS files and host_keys read" : "");
	return 0;
}

static int start(struct app *app, struct dt_err *err)
{
	struct cbd_store_limits limits = {
	    .max_pending = app->conf.max_pending,
	    .max_pending_per_requester = app->conf.max_pending_per_requester,
	    .max_pending_per_address = app->conf.max_pending_per_address,
	    .max_pending_per_host = app->conf.max_pending_per_host,
	    .linger_ms = app->conf.linger * 1000u};

	if (app->conf.store == CBD_STORE_REDIS)
		app->store = cbd_store_redis_new(&app->conf, &limits, &app->log, err);
	else
		app->store = cbd_store_memory_new(&limits, &app->log, err);
	if (app->store == NULL)
		return -1;
	app->control = cbd_control_start(&app->conf, app->store, &app->log, err);
	if (app->control == NULL)
		return -1;
	app->pub = cbd_public_start(&app->conf, app->store, &app->log, err);
	return app->pub != NULL ? 0 : -1;
}

static void stop(struct app *app)
{
	cbd_public_stop(app->pub);
	cbd_control_stop(app->control);
	cbd_store_destroy(app->store);
	cbd_conf_free(&app->conf);
}

static void wait_for_shutdown(struct app *app, const sigset_t *set)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			dt_logf(&app->log, LOG_NOTICE,
				"SIGHUP: nothing to reload; restart to read the configuration");
			continue;
		}
		dt_logf(&app->log, LOG_INFO, "%s: shutting down", strsignal(sig));
		return;
	}
}

int main(int argc, char **argv)
{
	struct app app;
	struct dt_err err;
	sigset_t set;
	const char *path;
	struct args args = {.debug = 0, .check_only = 0};
	int code = 1;

	memset(&app, 0, sizeof(app));
	memset(&err, 0, sizeof(err));
	memcpy(app.prefix, PROG, sizeof(PROG));
	path = parse_args(argc, argv, &args, &code);
	if (path == NULL)
		return code;
	app.log.fn = dt_log_stderr;
	app.log.ctx = app.prefix;
	/* Every thread inherits this mask; only sigwait sees these signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (args.check_only) {
		code = check_config(&app, path, &err) == 0 ? 0 : 1;
		if (code != 0)
			fprintf(stderr, PROG ": %s\n", err.msg);
		cbd_conf_free(&app.conf);
		return code;
	}
	if (load_conf(&app, path, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		cbd_conf_free(&app.conf);
		return 1;
	}
	app.log.debug = args.debug || app.conf.debug;
	if (start(&app, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		stop(&app);
		return 1;
	}
	dt_logf(&app.log, LOG_INFO, "listening on %s (public_url %s), control socket %s, store %s",
		app.conf.listen, app.conf.public_url, app.conf.control,
		app.conf.store == CBD_STORE_REDIS ? "redis" : "memory");
	/* Ready only now: both listeners and the control socket accept. */
	if (cbd_notify("READY=1", &err) != 0)
		dt_logf(&app.log, LOG_WARNING, "%s (the service manager may stop the helper)",
			err.msg);
	wait_for_shutdown(&app, &set);
	if (cbd_notify("STOPPING=1", &err) != 0)
		dt_logf(&app.log, LOG_WARNING, "%s", err.msg);
	stop(&app);
	return 0;
}
