/* Whom DingTalk named: the person a login is about. Its own header so that
 * access/ and login/ can name a person without the HTTP client. */
#ifndef DT_IDENTITY_H
#define DT_IDENTITY_H

#include <stddef.h>

/* Every string was checked and sanitized (no control characters) on the
 * way in. */
struct dt_identity {
	char *union_id; /* the stable identity used for mapping */
	char *nick;	/* display name, sanitized for terminals and logs */
	char *corp_id;	/* the organisation chosen on the phone (flow oauth2 with corp_id) */
	/* From the organisation's directory (directory = yes, or flow inapp). */
	char *user_id;
	char *name;
	char *email;
	char *org_email;
	char *job_number;
	char *title;
	long long *dept_ids; /* dept_id_list */
	size_t n_dept_ids;
	int contact_type; /* 0 employee, 1 external contact, -1 not looked up */
	int active;	  /* 1 activated, 0 not, -1 not looked up */
};

void dt_identity_free(struct dt_identity *id);

#endif
