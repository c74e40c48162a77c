/* Rate-limited logging of repeated refusals. The limits' refusals are what
 * a flood of logins produces, and a line for each would flood the log as
 * well; but a single line a minute would name whichever key the flood
 * chose to put first. So each minute names up to CBD_BURST_NAMED distinct
 * keys (a requester, an address key) and counts the rest, and the next
 * minute's first line says how many refusals and distinct keys went
 * unnamed. The memory is fixed: no table grows with the flood. */
#ifndef CBD_BURST_H
#define CBD_BURST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* A burst's window: this long from its first line. */
#define CBD_BURST_QUIET_MS 60000
/* Distinct keys named (one line each) per window. */
#define CBD_BURST_NAMED 4
/* Distinct keys counted per window; more are reported as "more than". */
#define CBD_BURST_TRACK 32

struct cbd_burst {
	pthread_mutex_t lock;
	int64_t window_ms;		/* when the window began; 0: never */
	unsigned named;			/* keys logged in this window */
	unsigned held;			/* refusals in this window that were not logged */
	unsigned keys;			/* distinct keys in this window, up to TRACK + 1 */
	uint64_t seen[CBD_BURST_TRACK]; /* hashes of the first TRACK of them */
};

/* What the previous window left unlogged, given with its first line. */
struct cbd_burst_note {
	unsigned held; /* refusals not logged in it */
	unsigned keys; /* its distinct keys; CBD_BURST_TRACK + 1: more */
};

/* A burst limiter with nothing logged yet. */
void cbd_burst_init(struct cbd_burst *b);
void cbd_burst_destroy(struct cbd_burst *b);

/* Counts one refusal of `key` at now_ms. Returns 1 when it is to be logged
 * (the first refusal of one of the window's first CBD_BURST_NAMED distinct
 * keys), 0 otherwise. On the first line of a window, *note describes the
 * previous window; on any other line both its counts are 0. Keys are told
 * apart by a 64-bit hash: a collision can only make two keys count as one. */
int cbd_burst_hit(struct cbd_burst *b, int64_t now_ms, const char *key,
		  struct cbd_burst_note *note);

/* What a note says, for the end of a log line: "" when the previous
 * window left nothing unlogged, else "; the previous window refused N
 * more without a line, from M distinct keys in all". */
void cbd_burst_note_text(const struct cbd_burst_note *note, char *out, size_t size);

#endif
