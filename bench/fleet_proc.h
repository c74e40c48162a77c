/* What the fleet's processes cost, read from the outside: CPU time and
 * resident memory of a process from /proc, and Redis's own account of its
 * memory (INFO memory's used_memory) over a plain socket, so that the
 * benchmark measures replicas and Redis without changing them. */
#ifndef FLEET_PROC_H
#define FLEET_PROC_H

#include <sys/types.h>

struct fleet_proc_sample {
	double cpu_s;  /* user + system time so far */
	long rss_kib;  /* VmRSS */
	long peak_kib; /* VmHWM: the largest VmRSS since the process started */
};

/* 0, or -1 when the process is gone or /proc does not read. */
int fleet_proc_sample(pid_t pid, struct fleet_proc_sample *out);

/* used_memory of the Redis at host:port (INFO memory), in bytes; -1 when
 * it does not answer within a second. */
long long fleet_redis_used_memory(const char *host, int port);

#endif
