/* libFuzzer target: the ELF section lookup the module runs on sshd's own
 * program before every QR over sshd (base/elf_rodata.c). The input is the
 * file, in a memfd; any section found must lie inside it. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/elf_rodata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_elf_rodata", MFD_CLOEXEC);
	off_t off = 0;
	size_t len = 0;

	if (fd < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	if (dt_elf_rodata(fd, size, &off, &len) == 0 &&
	    (off < 0 || len == 0 || (size_t)off > size || size - (size_t)off < len))
		__builtin_trap();
	close(fd);
	return 0;
}
