/* The one way the module, the helper and the CLI read a small file they
 * must trust, and the one way they replace one.
 *
 * Reading: the file is opened without following a symbolic link (nor
 * blocking on a FIFO, nor becoming a controlling terminal), and every check
 * is made on the open descriptor, never on the path, so that what is
 * checked is what is read: a regular file, of the expected owner, without
 * the forbidden permission bits, not larger than the limit. Then it is read
 * whole into memory.
 *
 * Writing: the new contents go to a temporary file in the same directory
 * (created exclusively, given its mode on the descriptor so that the
 * caller's umask does not matter, written whole, fsync'd) that is renamed
 * over the file: a reader sees the old file or the new one, never a part.
 * A temporary file is removed on every failure. */
#ifndef DT_FILE_H
#define DT_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/* How a file that grants or configures access must be protected before
 * it is read (configuration, map, recovery codes). Its owner must be a
 * trusted one (dt_file_owner_trusted). */
enum dt_file_protection {
	DT_FILE_PUBLIC, /* trusted owner, not group/world writable */
	DT_FILE_SECRET, /* trusted owner, no group/world access at all (0600 or stricter) */
};

/* Whether a file of `uid` may configure this process: root's always; in a
 * process that is not root, also its own effective uid's (the rule OpenSSH
 * applies to a user's files). Such a process cannot read root's secret
 * files anyway, and its own files give it nothing it does not already
 * have; a root process (sshd, sudo, su, login, the CLI) trusts root alone. */
int dt_file_owner_trusted(uid_t uid);

/* What a file must satisfy before it is read. */
struct dt_file_rules {
	uid_t owner;	       /* the file must belong to this user ... */
	int trusted_owner;     /* ... or, when set, to a trusted owner instead */
	mode_t forbidden;      /* permission bits that refuse it, e.g. S_IWGRP | S_IWOTH */
	const char *mode_rule; /* the mode rule in words, for the refusal (NULL: the bits) */
	size_t max_bytes;      /* a larger file is refused */
	enum dt_err_kind kind; /* of the error a refusal sets */
};

/* Why a file was not read: callers that word a refusal their own way (or
 * treat a missing file as no file) decide from this. */
enum dt_file_fault {
	DT_FILE_READ_OK = 0,
	DT_FILE_CANNOT_OPEN, /* errnum says why: ENOENT, ELOOP (a symbolic link), ... */
	DT_FILE_CANNOT_STAT,
	DT_FILE_NOT_REGULAR, /* a directory, a FIFO, a device */
	DT_FILE_NOT_OWNED,   /* owner is not the one the rules want */
	DT_FILE_TOO_OPEN,    /* a forbidden permission bit is set */
	DT_FILE_TOO_LARGE,
	DT_FILE_NO_MEMORY,
	DT_FILE_CANNOT_READ, /* a read error (errnum), or fewer bytes than fstat said */
};

struct dt_file_refusal {
	enum dt_file_fault fault;
	int errnum;  /* for CANNOT_OPEN, CANNOT_STAT and CANNOT_READ (0: a short read) */
	uid_t owner; /* the file's, for NOT_OWNED */
	mode_t mode; /* the file's permission bits, for TOO_OPEN */
};

/* Reads `path` whole under `rules`. Returns a malloc'd buffer with a NUL
 * after the `*len` bytes read (the text may hold NUL bytes itself: the
 * caller decides), or NULL with `err` set -- "PATH: refused: mode 0644 is
 * too open (want ...)", "PATH: cannot open: ... (symbolic links are
 * refused)" -- of kind rules->kind (DT_ERR_NOMEM when memory runs out).
 * `why`, when not NULL, says what was wrong. Free the buffer with
 * dt_free_secret when it may hold a secret. */
char *dt_file_read(const char *path, const struct dt_file_rules *rules, size_t *len,
		   struct dt_file_refusal *why, struct dt_err *err);

/* Reads a whole small protected file (the map and recovery files too)
 * with dt_file_read's checks: of a trusted owner, protected per `mode`, at most
 * `max_bytes`. Returns a NUL-terminated malloc'd buffer or NULL with err
 * set (kind DT_ERR_CONFIG). */
char *dt_read_protected_file(const char *path, enum dt_file_protection mode, size_t max_bytes,
			     size_t *len_out, struct dt_err *err);

/* The same for `name` in the open directory `dir` (openat): the file comes
 * from the directory that was checked, whatever its path now leads to.
 * `path` names it in errors. */
char *dt_file_read_at(int dir, const char *name, const char *path,
		      const struct dt_file_rules *rules, size_t *len, struct dt_file_refusal *why,
		      struct dt_err *err);

/* How a file is replaced. */
struct dt_file_write {
	const char *path;
	mode_t mode;	   /* of the new file, whatever the umask */
	int trusted_owner; /* as root, give the new file to root:root before it is
			      visible; otherwise it stays the process's own */
	const char *tmp;   /* NULL: a fresh PATH.XXXXXX; else this fixed name,
			      one left over by a killed writer replaced (the
			      caller holds a lock that keeps writers apart) */
	int sync_dir;	   /* fsync the directory after the rename */
};

/* Replaces w->path with the `len` bytes of `data`: dt_file_stage, then
 * dt_file_commit. Returns 0, or -1 with `err` set (DT_ERR_CONFIG) naming
 * the file and the failing step; the old file is then untouched. */
int dt_file_replace(const struct dt_file_write *w, const void *data, size_t len,
		    struct dt_err *err);

/* The two halves, for a caller with something to do in between (keeping
 * the version being replaced): writes the temporary file whole and
 * fsyncs it, its name into `tmp` (at least DT_FILE_TMP_SIZE bytes). */
#define DT_FILE_TMP_SIZE 4200
int dt_file_stage(const struct dt_file_write *w, const void *data, size_t len, char *tmp,
		  struct dt_err *err);

/* Renames the staged `tmp` over w->path (removing it when that fails) and
 * fsyncs the directory when w->sync_dir says so. */
int dt_file_commit(const struct dt_file_write *w, const char *tmp, struct dt_err *err);

#endif
