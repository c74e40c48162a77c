#include "config.h"

#include "login/messages.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static const char *const english[DT_MSG_COUNT] = {
    [DT_MSG_SCAN] = "Scan the QR code with DingTalk, or open this link on your phone:",
    [DT_MSG_PRESS_ENTER] = ("Press Enter after approving in DingTalk "
			    "(r = new QR, a = ASCII QR, u = UTF-8 QR): "),
    [DT_MSG_NOT_YET] = "Not approved yet.",
    [DT_MSG_UNKNOWN_KEY] = "Type nothing, r, a or u.",
    [DT_MSG_RECOVERY] = ("DingTalk cannot be reached.\n"
			 "Recovery code (or Enter to give up): "),
    [DT_MSG_TOO_MANY_PENDING] = ("Too many DingTalk logins are pending for you. Finish or "
				 "cancel them, then try again."),
    [DT_MSG_TOO_MANY_FROM_ADDRESS] = ("Too many DingTalk logins are pending from your address. "
				      "Finish or cancel them, then try again."),
    [DT_MSG_HELPER_FULL] = ("Too many DingTalk logins are pending on this server. Login "
			    "refused; try again later."),
    [DT_MSG_NEW_CODE_FAILED] = "A new QR code cannot be made now. The one above is still valid.",
    [DT_MSG_NEW_CODE_TOO_LATE] = ("Too little time is left for a new QR code. The one above is "
				  "still valid."),
    [DT_MSG_PROMPT_FALLBACK] = ("Not approved yet. If you see no QR code, open this link on "
				"your phone:"),
    [DT_MSG_NONINTERACTIVE] = ("DingTalk login needs a person at a terminal to scan a QR code; "
			       "this one runs without (sudo -n, or no terminal). Refused: run it "
			       "from an interactive terminal."),
    [DT_MSG_REFUSED_NOT_ME] = ("Login refused on the phone by the person (\"Not me\"): they "
			       "did not start this login."),
    [DT_MSG_REFUSED_WRONG] = "Login refused: the wrong number was chosen on the phone.",
    [DT_MSG_REFUSED_ON_PHONE] = ("Login not approved: DingTalk on the phone refused it or could "
				 "not complete it."),
    [DT_MSG_TIMED_OUT] = "Login timed out: no approval arrived in time.",
};

/* The number and the link stay ASCII in every language; the English words
 * in brackets help a client whose locale cannot show the Chinese. */
static const char *const chinese[DT_MSG_COUNT] = {
    [DT_MSG_SCAN] = "请用钉钉扫描二维码，或在手机上打开链接：",
    [DT_MSG_PRESS_ENTER] = "在钉钉中批准后按回车 (Enter)（r = 新二维码，a = ASCII，u = UTF-8）：",
    [DT_MSG_NOT_YET] = "尚未批准。",
    [DT_MSG_UNKNOWN_KEY] = "请直接按回车，或输入 r、a 或 u。",
    [DT_MSG_RECOVERY] = "暂时无法连接钉钉。\n请输入恢复码 (recovery code)，或直接按回车放弃：",
    [DT_MSG_TOO_MANY_PENDING] =
	"你有太多待批准的钉钉登录 (too many pending logins)。请先完成或取消它们，再重试。",
    [DT_MSG_TOO_MANY_FROM_ADDRESS] = "你的地址有太多待批准的钉钉登录 (too many pending logins "
				     "from your address)。请先完成或取消它们，再重试。",
    [DT_MSG_HELPER_FULL] = "本服务器待批准的钉钉登录过多 (too many pending logins on this "
			   "server)，登录被拒绝。请稍后再试。",
    [DT_MSG_NEW_CODE_FAILED] =
	"现在无法生成新的二维码 (no new QR code now)。上面的二维码仍然有效。",
    [DT_MSG_NEW_CODE_TOO_LATE] =
	"剩余时间太短，无法生成新的二维码 (too little time left)。上面的二维码仍然有效。",
    [DT_MSG_PROMPT_FALLBACK] =
	"尚未批准 (not approved yet)。如果看不到二维码，请在手机上打开链接 (open this link)：",
    [DT_MSG_NONINTERACTIVE] = "钉钉登录需要有人在终端前扫描二维码 (DingTalk login needs a "
			      "terminal)；此次调用没有终端 (sudo -n 或无终端)，已拒绝。请在交互式"
			      "终端中运行。",
    [DT_MSG_REFUSED_NOT_ME] = "登录已被本人在手机上拒绝（“不是我”）(refused on the phone: not "
			      "me)：此登录不是其本人发起的。",
    [DT_MSG_REFUSED_WRONG] = "登录被拒绝：手机上选择的数字不正确 (wrong number)。",
    [DT_MSG_REFUSED_ON_PHONE] =
	"登录未获批准：手机上的钉钉拒绝了它或无法完成 (refused in DingTalk)。",
    [DT_MSG_TIMED_OUT] = "登录超时 (timed out)：未在规定时间内收到批准。",
};

const char *dt_msg(enum dt_lang lang, enum dt_msg id)
{
	if ((unsigned)id >= DT_MSG_COUNT)
		return "";
	return lang == DT_LANG_ZH_CN ? chinese[id] : english[id];
}

/* set_user: nobody typed a name, so the title says whose account it will
 * be instead of naming one. */
static char *title_without_user(enum dt_lang lang, const char *host, const char *service)
{
	return lang == DT_LANG_ZH_CN
		   ? dt_asprintf("钉钉登录 (DingTalk login) @ %s (%s)：登录与您钉钉身份绑定的账号",
				 host, service)
		   : dt_asprintf("DingTalk login on %s (%s) to the account bound to your DingTalk "
				 "identity",
				 host, service);
}

char *dt_msg_title(enum dt_lang lang, const char *user, const char *host, const char *service,
		   const char *command)
{
	if (user == NULL)
		return title_without_user(lang, host, service);
	if (command != NULL)
		return lang == DT_LANG_ZH_CN
			   ? dt_asprintf("钉钉审批 (DingTalk approval) %s @ %s: %s", user, host,
					 command)
			   : dt_asprintf("DingTalk approval for %s on %s to run: %s", user, host,
					 command);
	return lang == DT_LANG_ZH_CN
		   ? dt_asprintf("钉钉登录 (DingTalk login) %s @ %s (%s)", user, host, service)
		   : dt_asprintf("DingTalk login for %s on %s (%s)", user, host, service);
}

/* Printable ASCII or '?': for a line that must stay ASCII. */
static char *ascii_copy(const char *s)
{
	char *copy = strdup(s != NULL ? s : "");
	unsigned char *p;

	if (copy == NULL)
		return NULL;
	for (p = (unsigned char *)copy; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f)
			*p = '?';
	return copy;
}

char *dt_msg_ascii_link(const char *user, const char *host, const char *short_url, unsigned number)
{
	char *u = ascii_copy(user != NULL ? user : "your account"), *h = ascii_copy(host);
	char *url = ascii_copy(short_url), *text = NULL;

	if (u != NULL && h != NULL && url != NULL)
		text = dt_asprintf("DingTalk login for %s on %s: open %s on your phone, then "
				   "choose the number %02u.",
				   u, h, url, number);
	/* Long names must not push the link past what an old client shows:
	 * then the link and the number alone. */
	if (text != NULL && strlen(text) > DT_MSG_ASCII_LINE_MAX) {
		free(text);
		text = dt_asprintf("DingTalk: open %s on your phone, then choose the number %02u.",
				   url, number);
	}
	free(u);
	free(h);
	free(url);
	return text;
}

char *dt_msg_number(enum dt_lang lang, unsigned number, unsigned seconds)
{
	return lang == DT_LANG_ZH_CN
		   ? dt_asprintf("然后选择数字 (choose the number) %02u。%u 秒内有效。", number,
				 seconds)
		   : dt_asprintf("Then choose the number %02u. This login expires in %u seconds.",
				 number, seconds);
}

char *dt_msg_approved(enum dt_lang lang, const char *nick)
{
	return lang == DT_LANG_ZH_CN ? dt_asprintf("已由 %s 在钉钉中批准。", nick)
				     : dt_asprintf("Approved in DingTalk by %s.", nick);
}

const char *dt_locale_of(const char *lc_all, const char *lc_messages, const char *lang)
{
	const char *const v[] = {lc_all, lc_messages, lang};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] != NULL && v[i][0] != '\0')
			return v[i];
	return NULL;
}

enum dt_lang dt_lang_from_locale(const char *locale)
{
	if (locale == NULL)
		return DT_LANG_EN;
	if (strncmp(locale, "zh_CN", 5) == 0 || strncmp(locale, "zh_SG", 5) == 0 ||
	    strcmp(locale, "zh") == 0 || strncmp(locale, "zh.", 3) == 0)
		return DT_LANG_ZH_CN;
	return DT_LANG_EN;
}
