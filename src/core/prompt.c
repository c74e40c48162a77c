#include "config.h"

#include "prompt.h"

#include <stdlib.h>

#include "qr.h"
#include "util.h"

char *dt_prompt_text(const struct dt_prompt_info *info, struct dt_err *err)
{
	char *qr = NULL, *text;

	if (info->qr != DT_QR_OFF) {
		qr = dt_qr_render(info->short_url, info->qr, err);
		if (qr == NULL)
			return NULL;
	}
	text = dt_asprintf("DingTalk login for %s on %s (%s)\n"
			   "%s%s"
			   "Scan the QR code with DingTalk, or open this link on your phone:\n"
			   "  %s\n"
			   "Then choose the number %02u. This login expires in %u seconds.",
			   info->user, info->host, info->service, qr != NULL ? qr : "",
			   qr != NULL ? "\n" : "", info->short_url, info->number, info->expires_in);
	free(qr);
	if (text == NULL)
		dt_err_set(err, DT_ERR_NOMEM, "out of memory");
	return text;
}
