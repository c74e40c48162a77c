/* One INI-style parser for the module, the helper and the CLI.
 *
 *   # comment            key = value           [section]
 *
 * Values are trimmed (pasted spaces are a classic DingTalk setup error).
 * Each program describes its keys with a table; a key that is not in the
 * table is an error naming the file and the line. */
#ifndef DT_CFG_H
#define DT_CFG_H

#include <stddef.h>
#include "base/err.h"
#include "base/file.h"

enum dt_cfg_type {
	DT_CFG_STRING, /* char *, malloc'd, freed by dt_cfg_free */
	DT_CFG_UINT,   /* unsigned, checked against min..max */
	DT_CFG_BOOL,   /* int: yes/no, true/false, on/off, 1/0 */
	DT_CFG_ENUM,   /* int: index into choices */
};

struct dt_cfg_key {
	const char *name;
	enum dt_cfg_type type;
	size_t offset; /* of the field in the target struct */
	unsigned min, max;
	const char *const *choices; /* NULL-terminated, for DT_CFG_ENUM */
	int secret;		    /* never echo the value in an error */
};

/* Table terminator. */
#define DT_CFG_END                                                                                 \
	{                                                                                          \
		NULL, DT_CFG_STRING, 0, 0, 0, NULL, 0                                              \
	}

/* Upper bound on a config file's size: anything larger is refused. */
#define DT_CFG_MAX_BYTES (256 * 1024)

/* Sets one key from text. `where` names the origin for errors
 * ("/etc/x.conf:12" or "module argument"). */
int dt_cfg_set(const struct dt_cfg_key *keys, void *target, const char *key, const char *value,
	       const char *where, struct dt_err *err);

/* Parses text. Lines in a `[section]` other than the top level are passed to
 * `on_section` when given (it decides whether the section applies), else they
 * are an error. Returns 0 or -1 with err set (kind DT_ERR_CONFIG). */
typedef int (*dt_cfg_section_fn)(void *ctx, const char *section, const char *where,
				 struct dt_err *err);
int dt_cfg_parse_text(const char *text, size_t len, const char *file, const struct dt_cfg_key *keys,
		      void *target, dt_cfg_section_fn on_section, void *section_ctx,
		      struct dt_err *err);

/* Where `key` was last set in `text`, among the sections on_section
 * lets apply (as dt_cfg_parse_text chooses them): "FILE:LINE" into
 * `where` (`size` bytes), "" when nowhere. For checks made after parsing
 * that should still name the line. 0, or -1 with err set. */
int dt_cfg_key_origin(const char *text, size_t len, const char *file, const char *key,
		      dt_cfg_section_fn on_section, void *section_ctx, char *where, size_t size,
		      struct dt_err *err);

/* Reads `path` (dt_read_protected_file) and parses it. */
int dt_cfg_load_file(const char *path, enum dt_file_protection mode, const struct dt_cfg_key *keys,
		     void *target, dt_cfg_section_fn on_section, void *section_ctx,
		     struct dt_err *err);

/* Frees (and wipes) every string field named in the table. */
void dt_cfg_free(const struct dt_cfg_key *keys, void *target);

#endif
