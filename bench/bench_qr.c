/* The terminal text of a login: dt_qr_render in each style, and
 * dt_prompt_text (title, QR, link, number), which the module builds for
 * every QR it shows (once per login, again for each `r`, `a` or `u`).
 * Microseconds per call, median and p99 of many calls.
 * Usage: bench_qr [--quick] */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "login/prompt.h"
#include "login/qr.h"

/* A short link as the helper makes it: public_url + /l/ + 16 characters. */
#define SHORT_URL "https://dt-login.example.com/l/vxS40VXZm0fTjL2t"

struct style {
	const char *name;
	enum dt_qr_style qr;
};

static const struct style styles[] = {
    {.name = "utf8", .qr = DT_QR_UTF8},
    {.name = "block", .qr = DT_QR_BLOCK},
    {.name = "ascii", .qr = DT_QR_ASCII},
};

static int time_render(enum dt_qr_style qr, double *samples, size_t n)
{
	struct dt_err err = {0};
	size_t i;
	double t0;
	char *text;

	for (i = 0; i < n; i++) {
		t0 = bench_now_us();
		text = dt_qr_render(SHORT_URL, qr, &err);
		samples[i] = bench_now_us() - t0;
		if (text == NULL) {
			fprintf(stderr, "bench_qr: %s\n", err.msg);
			return -1;
		}
		free(text);
	}
	return 0;
}

static int time_prompt(double *samples, size_t n, size_t *bytes)
{
	struct dt_prompt_info info = {
	    .user = "alice",
	    .host = "jump-01",
	    .service = "sshd",
	    .short_url = SHORT_URL,
	    .number = 47,
	    .expires_in = 90,
	    .qr = DT_QR_UTF8,
	    .lang = DT_LANG_EN,
	};
	struct dt_err err = {0};
	size_t i;
	double t0;
	char *text;

	for (i = 0; i < n; i++) {
		t0 = bench_now_us();
		text = dt_prompt_text(&info, &err);
		samples[i] = bench_now_us() - t0;
		if (text == NULL) {
			fprintf(stderr, "bench_qr: %s\n", err.msg);
			return -1;
		}
		*bytes = 0;
		while (text[*bytes] != '\0')
			(*bytes)++;
		free(text);
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = bench_quick(argc, argv) ? 50 : 20000, i, bytes = 0;
	double *samples = calloc(n, sizeof(*samples));
	struct bench_stats s;
	char name[64];

	if (samples == NULL)
		return 1;
	bench_machine();
	for (i = 0; i < sizeof(styles) / sizeof(styles[0]); i++) {
		/* A few untimed calls first: libqrencode's tables, the allocator. */
		if (time_render(styles[i].qr, samples, n < 100 ? n : 100) < 0 ||
		    time_render(styles[i].qr, samples, n) < 0)
			goto fail;
		bench_summarize(samples, n, &s);
		snprintf(name, sizeof(name), "qr.render.%s", styles[i].name);
		bench_result_stats(name, &s, 1, "us");
	}
	if (time_prompt(samples, n, &bytes) < 0)
		goto fail;
	bench_summarize(samples, n, &s);
	bench_result_stats("qr.prompt_text.utf8", &s, 1, "us");
	bench_result("qr.prompt_text.bytes", (double)bytes, "bytes");
	free(samples);
	return 0;
fail:
	free(samples);
	return 1;
}
