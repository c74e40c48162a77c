#include "config.h"

#include "callgrind_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double callgrind_ir(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	double ir = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "summary: %lf", &ir) == 1 || sscanf(line, "totals: %lf", &ir) == 1)
			break;
	fclose(f);
	return ir;
}

/* Whether a "fn=" or "cfn=" specification (what follows the '=') names
 * `fn`, learning the id that compressed lines give it: "(ID) NAME" defines
 * ID, "(ID)" refers to it, "NAME" is uncompressed. */
static int names_fn(const char *spec, const char *fn, long *id)
{
	char *end;
	long n;

	if (spec[0] != '(')
		return strcmp(spec, fn) == 0;
	n = strtol(spec + 1, &end, 10);
	if (end == spec + 1 || *end != ')')
		return 0;
	if (end[1] == ' ' && strcmp(end + 2, fn) == 0)
		*id = n;
	return *id >= 0 && n == *id;
}

long callgrind_calls(const char *path, const char *fn)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long id = -1, total = 0, n;
	int pending = 0, is_callgrind = 0;

	if (f == NULL)
		return -1;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (strncmp(line, "events:", 7) == 0)
			is_callgrind = 1;
		if (strncmp(line, "cfn=", 4) == 0)
			pending = names_fn(line + 4, fn, &id);
		else if (strncmp(line, "fn=", 3) == 0)
			names_fn(line + 3, fn, &id); /* a definition only */
		else if (pending && sscanf(line, "calls=%ld", &n) == 1) {
			total += n;
			pending = 0;
		}
	}
	free(line);
	fclose(f);
	return is_callgrind ? total : -1;
}
