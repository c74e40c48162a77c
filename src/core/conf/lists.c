#include "config.h"

#include "conf/lists.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SEPARATORS     " \t,"
#define GROUP_NAME_MAX 256
/* RFC 1035's longest name; also keeps an error message short. */
#define DOMAIN_MAX 253

/* The number of entries in `text`: an upper bound for the arrays. */
static size_t count_words(const char *text)
{
	const char *p = text;
	size_t n = 0;

	while (*(p += strspn(p, SEPARATORS)) != '\0') {
		n++;
		p += strcspn(p, SEPARATORS);
	}
	return n;
}

static int valid_group_name(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len >= GROUP_NAME_MAX || name[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == ':' || name[i] == '/' ||
		    (unsigned char)name[i] == 0x7f || name[i] == '!')
			return 0;
	return 1;
}

void dt_group_list_free(struct dt_group_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		free(list->group[i].name);
	free(list->group);
	memset(list, 0, sizeof(*list));
}

int dt_group_list_parse(const char *key, const char *text, struct dt_group_list *out,
			struct dt_err *err)
{
	const char *p = text;
	size_t len;

	dt_group_list_free(out);
	out->group = calloc(count_words(text) + 1, sizeof(*out->group));
	if (out->group == NULL)
		return dt_err_oom(err);
	out->set = 1;
	while (*(p += strspn(p, SEPARATORS)) != '\0') {
		int negated = p[0] == '!';
		len = strcspn(p, SEPARATORS);
		if (!valid_group_name(p + negated, len - (size_t)negated)) {
			dt_group_list_free(out);
			return dt_err_set(err, DT_ERR_CONFIG, "%s: '%.*s' is not a group name", key,
					  (int)(len > 64 ? 64 : len), p);
		}
		out->group[out->n].negated = negated;
		out->group[out->n].name = strndup(p + negated, len - (size_t)negated);
		if (out->group[out->n++].name == NULL) {
			dt_group_list_free(out);
			return dt_err_oom(err);
		}
		p += len;
	}
	return 0;
}

void dt_dept_list_free(struct dt_dept_list *list)
{
	free(list->id);
	memset(list, 0, sizeof(*list));
}

/* 1 with the next id, 0 at the end, -1 (p at the bad entry) otherwise. */
static int next_dept(const char **p, long long *id)
{
	char *end;

	*p += strspn(*p, SEPARATORS);
	if (**p == '\0')
		return 0;
	errno = 0;
	*id = strtoll(*p, &end, 10);
	if (errno != 0 || end == *p || *id <= 0 || (*end != '\0' && !strchr(SEPARATORS, *end)))
		return -1;
	*p = end;
	return 1;
}

int dt_dept_list_parse(const char *text, struct dt_dept_list *out, struct dt_err *err)
{
	const char *p = text;
	long long id;
	int rc;

	dt_dept_list_free(out);
	out->id = calloc(count_words(text) + 1, sizeof(*out->id));
	if (out->id == NULL)
		return dt_err_oom(err);
	out->set = 1;
	while ((rc = next_dept(&p, &id)) > 0)
		out->id[out->n++] = id;
	if (rc < 0) {
		dt_dept_list_free(out);
		return dt_err_set(err, DT_ERR_CONFIG,
				  "allowed_depts: '%.32s' is not a department id (a whole number)",
				  p);
	}
	return 0;
}

static int valid_domain(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > DOMAIN_MAX || p[0] == '.' || p[0] == '-' || p[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '.' && p[i] != '-')
			return 0;
	return 1;
}

void dt_domain_list_free(struct dt_domain_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		free(list->name[i]);
	free(list->name);
	memset(list, 0, sizeof(*list));
}

int dt_domain_list_parse(const char *text, struct dt_domain_list *out, struct dt_err *err)
{
	const char *p = text;
	size_t len;

	dt_domain_list_free(out);
	out->name = calloc(count_words(text) + 1, sizeof(*out->name));
	if (out->name == NULL)
		return dt_err_oom(err);
	while (*(p += strspn(p, SEPARATORS)) != '\0') {
		len = strcspn(p, SEPARATORS);
		if (!valid_domain(p, len)) {
			dt_domain_list_free(out);
			return dt_err_set(err, DT_ERR_CONFIG,
					  "email_domain: '%.64s' is not a domain name (want e.g. "
					  "example.com, without '@')",
					  p);
		}
		out->name[out->n] = strndup(p, len);
		if (out->name[out->n++] == NULL) {
			dt_domain_list_free(out);
			return dt_err_oom(err);
		}
		p += len;
	}
	if (out->n == 0) {
		dt_domain_list_free(out);
		return dt_err_set(err, DT_ERR_CONFIG, "email_domain: names no domain");
	}
	return 0;
}
