#include "config.h"

#include "terminal.h"

#include <stdlib.h>
#include <string.h>

#define NUMBER_CUE "choose the number "

int bench_terminal_read(const char *text, char *link, size_t size, unsigned *number)
{
	const char *p = strstr(text, "/l/"), *start, *num;
	size_t n;

	if (p != NULL && link[0] == '\0') {
		for (start = p; start > text && start[-1] != ' ' && start[-1] != '\n'; start--)
			;
		n = strcspn(start, " \n");
		if (n < size) {
			memcpy(link, start, n);
			link[n] = '\0';
		}
	}
	num = strstr(text, NUMBER_CUE);
	if (num != NULL)
		*number = (unsigned)atoi(num + strlen(NUMBER_CUE));
	return link[0] != '\0' && *number != 0;
}
