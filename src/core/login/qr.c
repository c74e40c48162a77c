#include "config.h"

#include "login/qr.h"

#include <errno.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#define UPPER_HALF "\xe2\x96\x80" /* U+2580 */
#define LOWER_HALF "\xe2\x96\x84" /* U+2584 */
#define FULL_BLOCK "\xe2\x96\x88" /* U+2588 */

struct grid {
	const QRcode *code;
	int size; /* with the quiet zone */
};

/* Light means ink. Outside the grid lies the terminal's (dark) background. */
static int is_light(const struct grid *g, int x, int y)
{
	int w = g->code->width, cx = x - DT_QR_QUIET_ZONE, cy = y - DT_QR_QUIET_ZONE;

	if (x < 0 || y < 0 || x >= g->size || y >= g->size)
		return 0;
	if (cx < 0 || cy < 0 || cx >= w || cy >= w)
		return 1;
	return !(g->code->data[cy * w + cx] & 1);
}

static char *append(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static const char *half_block(int top, int bottom)
{
	if (top && bottom)
		return FULL_BLOCK;
	if (top)
		return UPPER_HALF;
	if (bottom)
		return LOWER_HALF;
	return " ";
}

static char *render_half_blocks(const struct grid *g, char *p)
{
	int x, y;

	for (y = 0; y < g->size; y += 2) {
		if (y > 0)
			*p++ = '\n';
		for (x = 0; x < g->size; x++)
			p = append(p, half_block(is_light(g, x, y), is_light(g, x, y + 1)));
	}
	return p;
}

/* Two cells per module keep the modules square on a terminal's tall cells. */
static char *render_two_cells(const struct grid *g, char *p, const char *ink)
{
	int x, y;

	for (y = 0; y < g->size; y++) {
		if (y > 0)
			*p++ = '\n';
		for (x = 0; x < g->size; x++)
			p = append(p, is_light(g, x, y) ? ink : "  ");
	}
	return p;
}

char *dt_qr_render(const char *text, enum dt_qr_style style, struct dt_err *err)
{
	QRcode *code = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	struct grid g;
	char *out, *end;
	size_t cells;

	if (code == NULL) {
		dt_err_set(err, errno == ENOMEM ? DT_ERR_NOMEM : DT_ERR_INTERNAL,
			   "cannot encode a QR code for a %zu-byte link", strlen(text));
		return NULL;
	}
	g.code = code;
	g.size = code->width + 2 * DT_QR_QUIET_ZONE;
	/* Up to 2 cells of up to 3 bytes per module, plus newlines. */
	cells = (size_t)g.size * (size_t)(g.size + 1);
	out = malloc(cells * 6 + 1);
	if (out == NULL) {
		QRcode_free(code);
		dt_err_oom(err);
		return NULL;
	}
	if (style == DT_QR_BLOCK)
		end = render_two_cells(&g, out, FULL_BLOCK FULL_BLOCK);
	else if (style == DT_QR_ASCII)
		end = render_two_cells(&g, out, "##");
	else
		end = render_half_blocks(&g, out);
	*end = '\0';
	QRcode_free(code);
	return out;
}

enum dt_qr_style dt_qr_auto_style(const char *tty)
{
	const char *name = tty;

	if (name == NULL)
		return DT_QR_UTF8;
	if (strncmp(name, "/dev/", 5) == 0)
		name += 5;
	if (strncmp(name, "tty", 3) == 0 && name[3] >= '0' && name[3] <= '9')
		return DT_QR_BLOCK;
	return DT_QR_UTF8;
}
