/* Errors travel as values: a kind that the PAM layer maps to a PAM code in
 * one place, and a message a person can act on. */
#ifndef DT_ERR_H
#define DT_ERR_H

#include <stddef.h>

enum dt_err_kind {
	DT_OK = 0,
	DT_ERR_CONFIG,	    /* broken or unsafe configuration */
	DT_ERR_UNAVAIL,	    /* helper or DingTalk unreachable or failing */
	DT_ERR_DENIED,	    /* an explicit refusal: wrong person, number, phone said no */
	DT_ERR_TIMEOUT,	    /* the login's deadline passed */
	DT_ERR_NOUSER,	    /* the local user does not exist */
	DT_ERR_NOMEM,	    /* out of memory */
	DT_ERR_CONV,	    /* the PAM conversation failed */
	DT_ERR_MAXTRIES,    /* the person used up the prompts */
	DT_ERR_INTERRUPTED, /* Ctrl-C at the terminal while waiting */
	DT_ERR_INTERNAL,    /* a bug or an impossible state */
};

struct dt_err {
	enum dt_err_kind kind;
	char msg[512];
};

/* Sets kind and a printf-style message; returns -1 so callers can
 * `return dt_err_set(...)`. A NULL err is allowed and ignored. */
int dt_err_set(struct dt_err *err, enum dt_err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Running out of memory, said the same way everywhere. */
#define DT_OOM_TEXT "out of memory"

/* Sets DT_ERR_NOMEM and "out of memory"; returns -1. */
int dt_err_oom(struct dt_err *err);

/* The same, naming what was being read or parsed: "WHERE: out of memory". */
int dt_err_oom_in(struct dt_err *err, const char *where);

/* Prefixes the existing message with more context ("helper: " ...). */
int dt_err_prefix(struct dt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void dt_err_clear(struct dt_err *err);

const char *dt_err_kind_name(enum dt_err_kind kind);

#endif
