/* Draws a QR code as terminal text.
 *
 * Terminals are assumed light-on-dark (the usual SSH client), so the ink is
 * the LIGHT module: the code and its quiet zone are drawn, dark modules are
 * left as background. Every rendering carries a quiet zone of
 * DT_QR_QUIET_ZONE modules. */
#ifndef DT_QR_H
#define DT_QR_H

#include "base/err.h"
#include "conf/types.h"

#define DT_QR_QUIET_ZONE 2

/* Renders `text` in `style` (not DT_QR_AUTO or DT_QR_OFF): lines separated
 * by '\n', no trailing newline. malloc'd, NULL with err set. */
char *dt_qr_render(const char *text, enum dt_qr_style style, struct dt_err *err);

/* Picks a rendering for DT_QR_AUTO: full blocks on a Linux virtual console
 * (/dev/ttyN, whose font has no half blocks), UTF-8 half blocks elsewhere. */
enum dt_qr_style dt_qr_auto_style(const char *tty);

#endif
