#include "config.h"

#include "fleet_proc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* utime and stime: fields 14 and 15 of /proc/PID/stat, counted after the
 * command's closing parenthesis (the command may hold spaces). */
static int cpu_seconds(pid_t pid, double *out)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	*out = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

static long status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			v = strtol(line + flen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

int fleet_proc_sample(pid_t pid, struct fleet_proc_sample *out)
{
	if (cpu_seconds(pid, &out->cpu_s) != 0)
		return -1;
	out->rss_kib = status_kib(pid, "VmRSS");
	out->peak_kib = status_kib(pid, "VmHWM");
	return out->rss_kib < 0 ? -1 : 0;
}

/* Reads until `buf` holds the whole bulk reply ("$LEN\r\n" + LEN bytes). */
static int read_bulk(int fd, char *buf, size_t size)
{
	size_t have = 0;
	long want = -1;
	ssize_t n;
	char *nl;

	while (have + 1 < size) {
		n = read(fd, buf + have, size - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		if (buf[0] != '$')
			return -1;
		if (want < 0 && (nl = strstr(buf, "\r\n")) != NULL)
			want = strtol(buf + 1, NULL, 10) + (long)(nl - buf) + 2;
		if (want >= 0 && (long)have >= want)
			return 0;
	}
	return -1;
}

long long fleet_redis_used_memory(const char *host, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {.tv_sec = 1};
	static const char cmd[] = "*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n";
	char buf[16384], *p;
	long long v = -1;
	int fd;

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    write(fd, cmd, sizeof(cmd) - 1) == (ssize_t)(sizeof(cmd) - 1) &&
	    read_bulk(fd, buf, sizeof(buf)) == 0 && (p = strstr(buf, "\nused_memory:")) != NULL)
		v = strtoll(p + 13, NULL, 10);
	close(fd);
	return v;
}
