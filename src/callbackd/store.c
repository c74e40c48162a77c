/* Store-independent pieces: names, the matching-number choices, wiping. */
#include <openssl/crypto.h>

#include "store.h"
#include "proto/control_api.h"
#include "base/util.h"

const char *cbd_status_name(enum cbd_status status)
{
	switch (status) {
	case CBD_PENDING:
		return DT_CONTROL_PENDING;
	case CBD_APPROVED:
		return DT_CONTROL_APPROVED;
	case CBD_REFUSED:
		return DT_CONTROL_REFUSED;
	case CBD_EXPIRED:
		return DT_CONTROL_EXPIRED;
	}
	return "unknown";
}

const char *cbd_reason_name(enum cbd_reason reason)
{
	switch (reason) {
	case CBD_REASON_NONE:
		return "none";
	case CBD_REASON_DENIED:
		return "denied";
	case CBD_REASON_WRONG_NUMBER:
		return "wrong_number";
	case CBD_REASON_CANCELLED:
		return "cancelled";
	case CBD_REASON_NOT_ME:
		return "not_me";
	}
	return "unknown";
}

void cbd_view_wipe(struct cbd_view *view)
{
	OPENSSL_cleanse(view->token, sizeof(view->token));
}

static int pick_decoy(unsigned number, unsigned other, unsigned *out)
{
	unsigned d;

	do {
		if (dt_random_range(10, 99, &d) != 0)
			return -1;
	} while (d == number || d == other);
	*out = d;
	return 0;
}

int cbd_make_choices(unsigned number, unsigned out[CBD_CHOICES])
{
	unsigned i, j, tmp;

	out[0] = number;
	if (pick_decoy(number, number, &out[1]) != 0 || pick_decoy(number, out[1], &out[2]) != 0)
		return -1;
	/* Fisher-Yates, so the right answer is not always in one place. */
	for (i = CBD_CHOICES - 1; i > 0; i--) {
		if (dt_random_range(0, i, &j) != 0)
			return -1;
		tmp = out[i];
		out[i] = out[j];
		out[j] = tmp;
	}
	return 0;
}
