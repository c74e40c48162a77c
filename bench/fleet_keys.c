#include "config.h"

#include "fleet_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int fleet_keys_write(const char *path, unsigned n)
{
	unsigned char secret[DT_SIGN_SECRET_BYTES];
	char text[44], date[16];
	time_t now = time(NULL);
	struct tm tm;
	unsigned i;
	FILE *f;
	int fd;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "bench_fleet: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "# written by bench_fleet: one key per benchmark host\n");
	for (i = 0; i < n; i++) {
		if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret)) {
			fclose(f);
			return -1;
		}
		dt_reqsign_secret_encode(secret, text);
		fprintf(f, "bench-k%05u bench-%05u.example %s created=%s\n", i, i, text, date);
	}
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(text, sizeof(text));
	if (fclose(f) != 0) {
		fprintf(stderr, "bench_fleet: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int parse_line(char *line, struct fleet_host *h)
{
	char *save = NULL, *id, *host, *secret;

	id = strtok_r(line, " \t\n", &save);
	host = strtok_r(NULL, " \t\n", &save);
	secret = strtok_r(NULL, " \t\n", &save);
	if (id == NULL || id[0] == '#')
		return 0;
	if (host == NULL || secret == NULL || strlen(id) > DT_SIGN_KEY_ID_MAX ||
	    strlen(host) >= sizeof(h->name) || dt_reqsign_secret_decode(secret, h->key.secret) != 0)
		return -1;
	strcpy(h->key.id, id);
	strcpy(h->name, host);
	return 1;
}

int fleet_keys_read(const char *path, struct fleet_host **out)
{
	struct fleet_host *hosts = NULL, *grown;
	unsigned n = 0, cap = 0, lineno = 0;
	char line[512];
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		fprintf(stderr, "bench_fleet: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			grown = realloc(hosts, cap * sizeof(*hosts));
			if (grown == NULL)
				break;
			hosts = grown;
		}
		rc = parse_line(line, &hosts[n]);
		if (rc < 0) {
			fprintf(stderr, "bench_fleet: %s:%u: not KEY_ID HOST SECRET\n", path,
				lineno);
			break;
		}
		n += (unsigned)rc;
	}
	explicit_bzero(line, sizeof(line));
	rc = ferror(f) || !feof(f) || n == 0;
	fclose(f);
	if (rc) {
		if (n == 0)
			fprintf(stderr, "bench_fleet: %s: no host keys\n", path);
		fleet_keys_free(hosts, n);
		return -1;
	}
	*out = hosts;
	return (int)n;
}

void fleet_keys_free(struct fleet_host *hosts, unsigned n)
{
	if (hosts == NULL)
		return;
	explicit_bzero(hosts, n * sizeof(*hosts));
	free(hosts);
}
