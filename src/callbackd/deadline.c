/* Request deadlines: see deadline.h. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "deadline.h"
#include "base/clock.h"
#include "base/util.h"
#include "mono_cond.h"

/* How often the sweeper looks: a deadline is kept to within this. */
#define SWEEP_MS 250

struct slot {
	int used;
	int shut; /* shut down already: MHD will close it */
	int fd;
	int64_t deadline_ms;
};

struct cbd_deadlines {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t sweeper;
	int stop;
	int64_t span_ms;
	size_t n;
	struct slot *slots;
	const struct dt_log *log;
	const char *name;
	MHD_RequestCompletedCallback completed; /* the listener's own */
	void *completed_cls;
};

static void sweep(struct cbd_deadlines *d, int64_t now)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		struct slot *s = &d->slots[i];

		if (!s->used || s->shut || now < s->deadline_ms)
			continue;
		(void)shutdown(s->fd, SHUT_RDWR);
		s->shut = 1;
		dt_logf(d->log, LOG_DEBUG,
			"%s: closed a connection that did not complete a request in %lld s "
			"(request_timeout)",
			d->name, (long long)(d->span_ms / 1000));
	}
}

static void *sweeper(void *arg)
{
	struct cbd_deadlines *d = arg;
	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		sweep(d, dt_now_ms());
		cbd_mono_wait_until(&d->wake, &d->lock, dt_now_ms() + SWEEP_MS);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

struct cbd_deadlines *cbd_deadlines_new(const char *name, unsigned seconds,
					unsigned max_connections, const struct dt_log *log,
					struct dt_err *err)
{
	struct cbd_deadlines *d = calloc(1, sizeof(*d));

	if (d == NULL || (d->slots = calloc(max_connections, sizeof(*d->slots))) == NULL) {
		free(d);
		dt_err_oom(err);
		return NULL;
	}
	d->n = max_connections;
	d->span_ms = (int64_t)seconds * 1000;
	d->log = log;
	d->name = name;
	if (cbd_mono_init(&d->lock, &d->wake) != 0) {
		free(d->slots);
		free(d);
		dt_err_set(err, DT_ERR_INTERNAL, "request deadlines: cannot set up a lock");
		return NULL;
	}
	if (pthread_create(&d->sweeper, NULL, sweeper, d) != 0) {
		pthread_mutex_destroy(&d->lock);
		pthread_cond_destroy(&d->wake);
		free(d->slots);
		free(d);
		dt_err_set(err, DT_ERR_INTERNAL, "request deadlines: cannot start a thread");
		return NULL;
	}
	return d;
}

void cbd_deadlines_free(struct cbd_deadlines *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = 1;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->sweeper, NULL);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->wake);
	free(d->slots);
	free(d);
}

/* A free slot, or NULL when all are taken (more connections than the
 * limit MHD was given: cannot happen, and is refused if it does). */
static struct slot *take_slot(struct cbd_deadlines *d, int fd)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!d->slots[i].used) {
			d->slots[i].used = 1;
			d->slots[i].shut = 0;
			d->slots[i].fd = fd;
			d->slots[i].deadline_ms = dt_now_ms() + d->span_ms;
			return &d->slots[i];
		}
	return NULL;
}

void cbd_deadlines_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct cbd_deadlines *d = cls;
	const union MHD_ConnectionInfo *info;
	struct slot *s;

	pthread_mutex_lock(&d->lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		s = info != NULL ? take_slot(d, info->connect_fd) : NULL;
		if (s == NULL && info != NULL)
			(void)shutdown(info->connect_fd, SHUT_RDWR); /* no clock: no service */
		*socket_context = s;
	} else if ((s = *socket_context) != NULL) {
		/* MHD closes the fd after this returns: never touch it again. */
		s->used = 0;
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&d->lock);
}

void cbd_deadlines_extend(struct cbd_deadlines *d, struct MHD_Connection *conn, int64_t until_ms)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct slot *s;

	pthread_mutex_lock(&d->lock);
	s = info != NULL ? info->socket_context : NULL;
	if (s != NULL && s->used && !s->shut && s->deadline_ms < until_ms)
		s->deadline_ms = until_ms;
	pthread_mutex_unlock(&d->lock);
}

void cbd_deadlines_wrap_completed(struct cbd_deadlines *d, MHD_RequestCompletedCallback completed,
				  void *cls)
{
	d->completed = completed;
	d->completed_cls = cls;
}

void cbd_deadlines_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
				enum MHD_RequestTerminationCode toe)
{
	struct cbd_deadlines *d = cls;
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct slot *s;

	pthread_mutex_lock(&d->lock);
	s = info != NULL ? info->socket_context : NULL;
	if (s != NULL && s->used && !s->shut)
		s->deadline_ms = dt_now_ms() + d->span_ms;
	pthread_mutex_unlock(&d->lock);
	if (d->completed != NULL)
		d->completed(d->completed_cls, conn, con_cls, toe);
}
