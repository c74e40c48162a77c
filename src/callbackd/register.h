/* The control API's register request (docs/control-api.md): every field
 * of the hostile JSON body checked before the store sees it. Kept apart
 * from the HTTP plumbing so that tests/fuzz/fuzz_control.c can reach it. */
#ifndef CBD_REGISTER_H
#define CBD_REGISTER_H

#include <stddef.h>
#include <json-c/json.h>

struct cbd_reg {
	const char *state, *user, *service, *host, *rhost, *authorize_url;
	const char *requester; /* who asks: the key of max_pending_per_requester */
	/* the requester without the account (max_pending_per_address);
	 * the requester itself when the module did not send one */
	const char *requester_address;
	/* sudo's command (proto/command_text.h: already safe text), or "" */
	const char *command;
	unsigned number, ttl;
	/* Set when parsing failed on a fault that has an error_code
	 * (proto/control_api.h), NULL for the others. */
	const char *error_code;
	/* Sanitized copies of user, service, host, rhost and requester. */
	char *shown[5];
};

/* Reads and checks the fields of `root` into `r` (which points into root;
 * zero it first). `max_ttl` is the helper's session_ttl. Returns 0, or -1
 * with a message for the client (it names the field) in msg, and
 * r->error_code set where the fault has one (`command`). */
int cbd_register_parse(json_object *root, unsigned max_ttl, struct cbd_reg *r, char *msg,
		       size_t msg_size);

/* Makes the sanitized copies shown on the page and in the log. -1 when out
 * of memory. */
int cbd_register_sanitize(struct cbd_reg *r);

void cbd_register_free(struct cbd_reg *r);

#endif
