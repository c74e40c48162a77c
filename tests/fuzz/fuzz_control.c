/* libFuzzer target: the control API's register request, from the raw body
 * to the checked fields (dt_json_parse_object, cbd_register_parse,
 * cbd_register_sanitize) and the address key (cbd_address_key), as
 * control.c runs them. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "address.h"
#include "base/json.h"
#include "inapp_url.h"
#include "register.h"
#include "store.h"
#include "base/util.h"
#include "proto/command_text.h"
#include "proto/control_api.h"

#define MAX_TTL 600

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_shown(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			__builtin_trap();
}

static void check_accepted(const struct cbd_reg *r)
{
	char key[CBD_ADDRESS_KEY_MAX + 1];
	struct cbd_inapp inapp;
	size_t at;
	int i;

	if (!dt_is_token(r->state, CBD_STATE_MIN, CBD_STATE_MAX) || r->number < 10 ||
	    r->number > 99 || r->ttl < 10 || r->ttl > MAX_TTL)
		__builtin_trap();
	for (i = 0; i < 5; i++) {
		if (strlen(r->shown[i]) > (i < 4 ? DT_CONTROL_FIELD_MAX : DT_CONTROL_REQUESTER_MAX))
			__builtin_trap();
		check_shown(r->shown[i]);
	}
	if (r->requester == NULL || r->requester[0] == '\0' ||
	    strlen(r->requester) > DT_CONTROL_REQUESTER_MAX)
		__builtin_trap();
	/* Present or stood in for by the requester; its key always fits. */
	if (r->requester_address == NULL || r->requester_address[0] == '\0' ||
	    strlen(r->requester_address) > DT_CONTROL_REQUESTER_MAX)
		__builtin_trap();
	cbd_address_key(r->requester_address, key, sizeof(key));
	if (strlen(key) > CBD_ADDRESS_KEY_MAX || key[0] == '\0')
		__builtin_trap();
	if (strlen(r->authorize_url) > DT_CONTROL_URL_MAX)
		__builtin_trap();
	/* sudo's command reaches the page only as safe text (command_text.h). */
	if (r->command == NULL || strlen(r->command) > DT_CONTROL_COMMAND_MAX ||
	    dt_command_check(r->command, strlen(r->command), &at) != DT_COMMAND_OK)
		__builtin_trap();
	/* Either flow C's pseudo-URL, well formed, or an http(s) URL without
	 * redirect_uri (docs/control-api.md). */
	if (cbd_inapp_parse(r->authorize_url, &inapp) == 0)
		return;
	if ((strncmp(r->authorize_url, "https://", 8) != 0 &&
	     strncmp(r->authorize_url, "http://", 7) != 0) ||
	    strstr(r->authorize_url, "&redirect_uri=") != NULL ||
	    strstr(r->authorize_url, "?redirect_uri=") != NULL)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *root = dt_json_parse_object((const char *)data, size);
	struct cbd_reg r;
	char msg[160];

	if (root == NULL)
		return 0;
	memset(&r, 0, sizeof(r));
	msg[0] = '\0';
	if (cbd_register_parse(root, MAX_TTL, &r, msg, sizeof(msg)) != 0) {
		if (msg[0] == '\0')
			__builtin_trap(); /* a refusal names the field */
	} else if (cbd_register_sanitize(&r) == 0) {
		check_accepted(&r);
	}
	cbd_register_free(&r);
	dt_json_wipe_put(root);
	return 0;
}
