#include "config.h"

#include "base/elf_rodata.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

/* This machine's byte order, as ELF names it: the program read is the
 * one running (/proc/self/exe), so any other order is not a native one. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

/* Exactly `len` bytes at `off`, or -1. */
static int read_at(int fd, void *buf, size_t len, off_t off)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

int dt_elf_rodata(int fd, size_t size, off_t *off, size_t *len)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh[128], *names, *sec;
	char name[8];
	unsigned i;

	if (read_at(fd, &eh, sizeof(eh), 0) < 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != NATIVE_DATA ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > 128 ||
	    eh.e_shstrndx >= eh.e_shnum || eh.e_shoff > size ||
	    size - eh.e_shoff < eh.e_shnum * sizeof(Elf64_Shdr) ||
	    read_at(fd, sh, eh.e_shnum * sizeof(Elf64_Shdr), (off_t)eh.e_shoff) < 0)
		return -1;
	names = &sh[eh.e_shstrndx];
	for (i = 0; i < eh.e_shnum; i++) {
		sec = &sh[i];
		if (sec->sh_name >= names->sh_size ||
		    names->sh_size - sec->sh_name < sizeof(name) || names->sh_offset > size ||
		    size - names->sh_offset < names->sh_size ||
		    read_at(fd, name, sizeof(name), (off_t)(names->sh_offset + sec->sh_name)) < 0)
			continue;
		if (memcmp(name, ".rodata", sizeof(name)) != 0 || sec->sh_type != SHT_PROGBITS)
			continue;
		if (sec->sh_offset > size || size - sec->sh_offset < sec->sh_size ||
		    sec->sh_size == 0)
			return -1;
		*off = (off_t)sec->sh_offset;
		*len = (size_t)sec->sh_size;
		return 0;
	}
	return -1;
}
