/* Rate-limited logging of repeated refusals. */
#include <stdio.h>
#include <string.h>

#include "burst.h"

void cbd_burst_init(struct cbd_burst *b)
{
	pthread_mutex_init(&b->lock, NULL);
	b->window_ms = 0;
	b->named = 0;
	b->held = 0;
	b->keys = 0;
}

void cbd_burst_destroy(struct cbd_burst *b)
{
	pthread_mutex_destroy(&b->lock);
}

/* FNV-1a: the keys are told apart, not kept secret. */
static uint64_t key_hash(const char *key)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return h;
}

/* Records the key in the window; 1 when it had not been seen in it. A key
 * past the table's end counts as new (the count then says "more than"). */
static int first_sight(struct cbd_burst *b, uint64_t h)
{
	unsigned i, n = b->keys < CBD_BURST_TRACK ? b->keys : CBD_BURST_TRACK;

	for (i = 0; i < n; i++)
		if (b->seen[i] == h)
			return 0;
	if (b->keys < CBD_BURST_TRACK)
		b->seen[b->keys++] = h;
	else
		b->keys = CBD_BURST_TRACK + 1;
	return 1;
}

int cbd_burst_hit(struct cbd_burst *b, int64_t now_ms, const char *key, struct cbd_burst_note *note)
{
	int log;

	memset(note, 0, sizeof(*note));
	pthread_mutex_lock(&b->lock);
	if (b->window_ms == 0 || now_ms - b->window_ms >= CBD_BURST_QUIET_MS) {
		if (b->window_ms != 0) {
			note->held = b->held;
			note->keys = b->keys;
		}
		b->window_ms = now_ms;
		b->named = 0;
		b->held = 0;
		b->keys = 0;
	}
	log = first_sight(b, key_hash(key)) && b->named < CBD_BURST_NAMED;
	if (log)
		b->named++;
	else
		b->held++;
	pthread_mutex_unlock(&b->lock);
	return log;
}

void cbd_burst_note_text(const struct cbd_burst_note *note, char *out, size_t size)
{
	if (note->held > 0 && note->keys > CBD_BURST_TRACK)
		snprintf(out, size,
			 "; the previous window refused %u more without a line, from more than "
			 "%d distinct keys in all",
			 note->held, CBD_BURST_TRACK);
	else if (note->held > 0)
		snprintf(out, size,
			 "; the previous window refused %u more without a line, from %u "
			 "distinct keys in all",
			 note->held, note->keys);
	else if (size > 0)
		out[0] = '\0';
}
