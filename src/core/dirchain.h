/* Whether the directories leading to a file that grants access can be
 * trusted: if someone else can write one of them, they can swap the file
 * (or a directory on the way) for their own, whatever the file's own mode
 * says. The rule is OpenSSH's StrictModes, extended above the home:
 *
 * - every directory from `dir` up to / (after resolving symbolic links)
 *   must be owned by root or by `owner`;
 * - none may be writable by group or others, except an ancestor of `dir`
 *   that is owned by root and has the sticky bit (/tmp): there nobody
 *   but an entry's owner can rename or remove it. `dir` itself gets no
 *   such exception. */
#ifndef DT_DIRCHAIN_H
#define DT_DIRCHAIN_H

#include <stddef.h>
#include <sys/types.h>

/* Returns 0 when the chain is safe; -1 with `why` set (naming the first
 * unsafe directory, its owner or mode) otherwise, also when `dir` cannot
 * be resolved. */
int dt_dir_chain_check(const char *dir, uid_t owner, char *why, size_t size);

#endif
