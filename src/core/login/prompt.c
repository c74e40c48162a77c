#include "config.h"

#include "login/prompt.h"

#include <stdlib.h>

#include "login/messages.h"
#include "login/qr.h"
#include "base/util.h"

char *dt_prompt_text(const struct dt_prompt_info *info, struct dt_err *err)
{
	char *title =
	    dt_msg_title(info->lang, info->user, info->host, info->service, info->command);
	char *number = dt_msg_number(info->lang, info->number, info->expires_in);
	char *qr = NULL, *text = NULL;

	if (info->qr != DT_QR_OFF)
		qr = dt_qr_render(info->short_url, info->qr, err);
	if (title != NULL && number != NULL && (qr != NULL || info->qr == DT_QR_OFF))
		text = dt_asprintf("%s\n%s%s%s\n  %s\n%s", title, qr != NULL ? qr : "",
				   qr != NULL ? "\n" : "", dt_msg(info->lang, DT_MSG_SCAN),
				   info->short_url, number);
	if (text == NULL && (qr != NULL || info->qr == DT_QR_OFF))
		dt_err_oom(err);
	free(qr);
	free(title);
	free(number);
	return text;
}
