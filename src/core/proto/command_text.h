/* sudo's command as the control API carries it (registration field
 * `command`, docs/control-api.md): what the module makes of SUDO_COMMAND
 * before it shows or sends it, and what the helper accepts. One
 * definition for both ends, so that whatever the module sends passes the
 * helper's check, and whatever the helper stores is safe on a page and in
 * a log line.
 *
 * Safe text means: valid UTF-8 (no overlong forms, no surrogates, nothing
 * above U+10FFFF), no C0 or C1 control character, no DEL, and none of the
 * invisible characters that reorder or hide text (bidirectional embeddings,
 * overrides and isolates, U+202A..U+202E and U+2066..U+2069, the marks
 * U+200E, U+200F and U+061C): a right-to-left override could make the
 * phone show `rm -rf /` as something else. At most
 * DT_CONTROL_COMMAND_MAX bytes. */
#ifndef DT_COMMAND_TEXT_H
#define DT_COMMAND_TEXT_H

#include <stddef.h>

#include "proto/control_api.h"

/* What the module appends to a command it had to cut: an ellipsis
 * (U+2026), so the person sees that the command goes on. */
#define DT_COMMAND_CUT_MARK "\xe2\x80\xa6"

/* `in` made safe into `out` (the terminal's title and the registration
 * show the same text): every byte of an invalid sequence, and every
 * character above, becomes one '?'; then, when longer than
 * DT_CONTROL_COMMAND_MAX bytes, it is cut at a character boundary and
 * DT_COMMAND_CUT_MARK appended, the whole within the limit. Returns 1 when
 * it was cut, 0 otherwise. */
int dt_command_shown(const char *in, char out[DT_CONTROL_COMMAND_MAX + 1]);

/* Why `s` (len bytes, as received) is not a command the helper accepts:
 * DT_COMMAND_OK, or which rule it breaks; `*at` is the offending byte's
 * offset (0 for the length). */
enum dt_command_fault {
	DT_COMMAND_OK,
	DT_COMMAND_TOO_LONG, /* more than DT_CONTROL_COMMAND_MAX bytes */
	DT_COMMAND_NOT_TEXT, /* a NUL, a control or hiding character, invalid UTF-8 */
};
enum dt_command_fault dt_command_check(const char *s, size_t len, size_t *at);

#endif
