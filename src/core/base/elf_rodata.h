/* Where a native ELF64 program keeps its constant strings: the .rodata
 * section. The module reads OpenSSH's version string there
 * (login/sshd_version.c), a sixth of sshd's bytes (Debian 12's sshd:
 * 213 KiB of 1.2 MiB), on every login over sshd.
 *
 * The headers are read with pread from `fd` (a file of `size` bytes) and
 * checked before use: at most 128 sections, every offset and size within
 * the file, no arithmetic that can wrap. The file is the caller's to
 * trust; nothing here executes or maps it. */
#ifndef DT_ELF_RODATA_H
#define DT_ELF_RODATA_H

#include <stddef.h>
#include <sys/types.h>

/* 0 with the section's offset and length, or -1 when the file is no
 * native ELF64 program or its headers do not add up (the caller then
 * reads the whole file). */
int dt_elf_rodata(int fd, size_t size, off_t *off, size_t *len);

#endif
