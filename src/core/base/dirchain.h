/* Whether the directories leading to a file that grants access can be
 * trusted: if someone else can write one of them, they can swap the file
 * (or a directory on the way) for their own, whatever the file's own mode
 * says. The rule is OpenSSH's StrictModes, extended above the home:
 *
 * - every directory from / down to `dir` must be owned by root or by
 *   `owner`;
 * - none may be writable by group or others, except one that `dir` lies
 *   below and that is owned by root and has the sticky bit (/tmp): there
 *   nobody but an entry's owner can rename or remove it. `dir` itself gets
 *   no such exception.
 *
 * The directories are checked by descriptor while they are walked, and the
 * caller gets the last one back, so the file it then opens (openat) comes
 * from the very chain that was checked: nothing is resolved by name twice,
 * and a rename in between cannot slip another directory in.
 *
 * Symbolic links on the way (/home/alice -> /data/alice) are followed, not
 * refused, because homes on a symlinked /home or volume are common; the
 * link itself is judged like a directory entry: the directory holding it
 * was checked on the way in, and the link must be owned by root or
 * `owner` (in a sticky directory its owner could replace it). The target
 * is then walked and checked like the rest, so both the chain holding the
 * link and the chain it points to must be safe. More than
 * DT_DIR_CHAIN_MAX_LINKS links, a loop among them, is refused. */
#ifndef DT_DIRCHAIN_H
#define DT_DIRCHAIN_H

#include <stddef.h>
#include <sys/types.h>

#define DT_DIR_CHAIN_MAX_LINKS 40

/* Walks the absolute path `dir` from / and returns a descriptor of it
 * (O_PATH: for openat and fstat only; the caller closes it) when the whole
 * chain is safe. Otherwise returns -1 with `why` set (naming the first
 * unsafe directory or link, its owner or mode) and errno ENOENT when a
 * directory on the way does not exist, another errno value for every
 * other refusal. */
int dt_dir_chain_open(const char *dir, uid_t owner, char *why, size_t size);

#endif
