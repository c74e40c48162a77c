#include "config.h"

#include "inapp_url.h"

#include <string.h>

#include "base/util.h"
#include "proto/control_api.h"

/* Copies a [A-Za-z0-9_-] run of min..size-1 characters ending at `end`
 * (or the string's end) into out. */
static int copy_token(const char *s, const char *end, size_t min, char *out, size_t size)
{
	size_t n = end != NULL ? (size_t)(end - s) : strlen(s);

	if (n < min || n >= size)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return dt_is_token(out, min, size - 1) ? 0 : -1;
}

int cbd_inapp_parse(const char *url, struct cbd_inapp *out)
{
	const char *corp, *amp, *state, *client;

	if (strncmp(url, DT_CONTROL_INAPP_SCHEME, strlen(DT_CONTROL_INAPP_SCHEME)) != 0)
		return 1;
	if (strncmp(url, DT_CONTROL_INAPP_PREFIX, strlen(DT_CONTROL_INAPP_PREFIX)) != 0)
		return -1;
	corp = url + strlen(DT_CONTROL_INAPP_PREFIX);
	amp = strchr(corp, '&');
	if (amp == NULL ||
	    strncmp(amp, DT_CONTROL_INAPP_STATE_PARAM, strlen(DT_CONTROL_INAPP_STATE_PARAM)) != 0 ||
	    copy_token(corp, amp, 1, out->corp_id, sizeof(out->corp_id)) != 0)
		return -1;
	state = amp + strlen(DT_CONTROL_INAPP_STATE_PARAM);
	amp = strchr(state, '&');
	if (copy_token(state, amp, 22, out->state, sizeof(out->state)) != 0)
		return -1;
	out->client_id[0] = '\0';
	if (amp == NULL)
		return 0;
	/* Nothing but the clientId may follow the state. */
	if (strncmp(amp, DT_CONTROL_INAPP_CLIENT_PARAM, strlen(DT_CONTROL_INAPP_CLIENT_PARAM)) != 0)
		return -1;
	client = amp + strlen(DT_CONTROL_INAPP_CLIENT_PARAM);
	return copy_token(client, NULL, 1, out->client_id, sizeof(out->client_id));
}
