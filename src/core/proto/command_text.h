/* sudo's command as the control API carries it (registration field
 * `command`, docs/control-api.md): what the module makes of SUDO_COMMAND
 * before it shows or sends it, and what the helper accepts. One
 * definition for both ends, so that whatever the module sends passes the
 * helper's check, and whatever the helper stores is safe on a page and in
 * a log line.
 *
 * Safe text means: valid UTF-8 (no overlong forms, no surrogates, nothing
 * above U+10FFFF); no C0 or C1 control character, no DEL; none of the
 * invisible characters that reorder, join or hide text (every format
 * character, Unicode general category Cf: bidirectional marks, embeddings,
 * overrides and isolates, zero-width spaces and joiners, the soft hyphen,
 * the byte order mark, tag characters ...; the line and paragraph
 * separators U+2028, U+2029; the Hangul fillers and the other default
 * ignorables): a right-to-left override could make the phone show
 * `rm -rf /` as something else; no run of spaces, and no space but U+0020
 * (padding could push the dangerous part of a command out of sight). At
 * most DT_CONTROL_COMMAND_MAX bytes. */
#ifndef DT_COMMAND_TEXT_H
#define DT_COMMAND_TEXT_H

#include <stddef.h>

#include "proto/control_api.h"

/* What stands for the middle of a command too long to show whole, with
 * the number of bytes left out: the head and the tail stay visible, so
 * padding the arguments cannot hide what the command ends with
 * (`apt-get update -o X=<padding> -o APT::Update::Pre-Invoke::=/tmp/x`). */
#define DT_COMMAND_CUT_FORMAT " \xe2\x80\xa6 [%zu bytes not shown] \xe2\x80\xa6 "

/* `in` made safe into `out` (the terminal's title and the registration
 * show the same text): every byte of an invalid sequence, and every
 * character above, becomes one '?', and every run of space separators one
 * U+0020. When that is longer than DT_CONTROL_COMMAND_MAX bytes, its head
 * and its tail (about 110 bytes each, whole characters) are kept around
 * DT_COMMAND_CUT_FORMAT, the whole within the limit. Returns 1 when it
 * was cut, 0 otherwise. The whole input is read (the tail matters). */
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
