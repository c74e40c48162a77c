/* Bounds on a fleet host's long-polls (wait_claims.h). A list walk per
 * wait: the list holds at most control_max_connections claims. */
#include <string.h>

#include "wait_claims.h"

int cbd_wait_claims_init(struct cbd_wait_claims *c, unsigned max_per_host)
{
	c->head = NULL;
	c->max_per_host = max_per_host;
	return pthread_mutex_init(&c->lock, NULL) == 0 ? 0 : -1;
}

void cbd_wait_claims_destroy(struct cbd_wait_claims *c)
{
	pthread_mutex_destroy(&c->lock);
}

enum cbd_claim_rc cbd_wait_claims_take(struct cbd_wait_claims *c, struct cbd_wait_claim *claim,
				       const char *host, const char *id, int *took_over)
{
	struct cbd_wait_claim *k, *older = NULL;
	unsigned n = 0;

	*took_over = 0;
	pthread_mutex_lock(&c->lock);
	for (k = c->head; k != NULL; k = k->next) {
		if (strcmp(k->host, host) != 0)
			continue;
		if (!k->taken_over && strcmp(k->id, id) == 0)
			older = k;
		else if (!k->taken_over)
			n++;
	}
	/* The wait taken over ends now: it does not count. */
	if (n >= c->max_per_host) {
		pthread_mutex_unlock(&c->lock);
		return CBD_CLAIM_HOST_FULL;
	}
	if (older != NULL) {
		older->taken_over = 1;
		*took_over = 1;
	}
	claim->host = host;
	memcpy(claim->id, id, CBD_ID_LEN);
	claim->id[CBD_ID_LEN] = '\0';
	claim->taken_over = 0;
	claim->prev = NULL;
	claim->next = c->head;
	if (c->head != NULL)
		c->head->prev = claim;
	c->head = claim;
	claim->linked = 1;
	pthread_mutex_unlock(&c->lock);
	return CBD_CLAIM_OK;
}

void cbd_wait_claims_drop(struct cbd_wait_claims *c, struct cbd_wait_claim *claim)
{
	pthread_mutex_lock(&c->lock);
	if (claim->linked) {
		if (claim->prev != NULL)
			claim->prev->next = claim->next;
		else
			c->head = claim->next;
		if (claim->next != NULL)
			claim->next->prev = claim->prev;
		claim->prev = claim->next = NULL;
		claim->linked = 0;
	}
	pthread_mutex_unlock(&c->lock);
}

int cbd_wait_claims_taken_over(struct cbd_wait_claims *c, const struct cbd_wait_claim *claim)
{
	int taken;

	pthread_mutex_lock(&c->lock);
	taken = claim->linked && claim->taken_over;
	pthread_mutex_unlock(&c->lock);
	return taken;
}
