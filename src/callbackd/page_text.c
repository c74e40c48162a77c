/* The phone's pages in English and Simplified Chinese (page_text.h). The
 * words are plain: what a person sees in the terminal ("SSH login",
 * "sudo"), what happened, and what to do next. */
#include <stddef.h>

#include "page_text.h"

#define NEW_LOGIN_EN "To log in, start a new login in your terminal."
#define NEW_LOGIN_ZH "如需登录，请在终端重新发起登录。"

static const struct cbd_page_text pages[CBD_PAGE_COUNT][2] = {
    [CBD_PAGE_APPROVED] = {{"approved", "Login approved",
			    "You approved this login. Go back to your terminal."},
			   {"approved", "登录已批准", "你已批准本次登录，请回到终端继续。"}},
    [CBD_PAGE_NOT_ME] =
	{{"not-me", "Login stopped",
	  "You said this login was not you, so it was refused at once and the terminal "
	  "was told. If you did not start it, someone else may know your password: tell "
	  "your administrator now."},
	 {"not-me", "登录已阻止",
	  "你确认这不是你本人发起的登录，登录已立即被拒绝，终端也已收到通知。"
	  "如果不是你发起的，可能有人知道了你的密码，请立即告知管理员。"}},
    [CBD_PAGE_WRONG_NUMBER] =
	{{"wrong-number", "Wrong number",
	  "That was not the number shown in your terminal, so the login was refused. "
	  "To try again, start a new login in your terminal."},
	 {"wrong-number", "数字不正确",
	  "输入的数字与终端上显示的不一致，登录已被拒绝。如需重试，请在终端重新发起登录。"}},
    [CBD_PAGE_DENIED] =
	{{"denied", "Refused in DingTalk",
	  "DingTalk did not allow this login: it was declined in the app, or DingTalk "
	  "refused it. " NEW_LOGIN_EN},
	 {"denied", "钉钉已拒绝",
	  "钉钉没有同意本次登录：在钉钉中被拒绝，或钉钉拒绝了授权。" NEW_LOGIN_ZH}},
    [CBD_PAGE_NOT_IN_DINGTALK] =
	{{"not-in-dingtalk", "Not opened in DingTalk",
	  "This login link works only inside the DingTalk app, so the login was stopped. "
	  "Start a new login in your terminal and scan the new code with DingTalk."},
	 {"not-in-dingtalk", "未在钉钉中打开",
	  "此登录链接只能在钉钉 App "
	  "中使用，本次登录已停止。请在终端重新发起登录，并用钉钉扫描新的二维码。"}},
    [CBD_PAGE_INAPP_NOT_SET_UP] =
	{{"inapp-not-set-up", "Sign-in inside DingTalk is not set up",
	  "This login service is not set up for signing in inside the DingTalk app, so this "
	  "login cannot go on here. Ask your administrator to finish setting it up; until "
	  "then, log in another way."},
	 {"inapp-not-set-up", "尚未配置钉钉内登录",
	  "此登录服务尚未配置为可在钉钉 App 内登录，本次登录无法在此继续。"
	  "请联系管理员完成配置；在此之前，请使用其他方式登录。"}},
    [CBD_PAGE_CANCELLED] =
	{{"cancelled", "Login cancelled in the terminal",
	  "The login was cancelled in the terminal (it was closed or interrupted) before it "
	  "was confirmed. " NEW_LOGIN_EN},
	 {"cancelled", "登录已在终端取消",
	  "登录在确认前已在终端取消（终端被关闭或中断）。" NEW_LOGIN_ZH}},
    [CBD_PAGE_EXPIRED] =
	{{"expired", "Login timed out",
	  "The time for this login ran out before it was confirmed. Start a new login in "
	  "your terminal."},
	 {"expired", "登录已超时", "本次登录在确认前已超时。请在终端重新发起登录。"}},
    [CBD_PAGE_UNKNOWN_LINK] =
	{{"unknown-link", "Unknown or expired link",
	  "This link is not known, or its login ended a while ago. Start a new login in "
	  "your terminal and scan the new code."},
	 {"unknown-link", "链接无效或已过期",
	  "此链接无效，或对应的登录早已结束。请在终端重新发起登录，并扫描新的二维码。"}},
    [CBD_PAGE_LINK_USED] =
	{{"link-used", "Link already used",
	  "Each login link opens only once, and this one was opened before. If that was "
	  "not you, tell your administrator. " NEW_LOGIN_EN},
	 {"link-used", "链接已被使用",
	  "每个登录链接只能打开一次，这个链接之前已被打开过。如果不是你打开的，请告知管理员"
	  "。" NEW_LOGIN_ZH}},
    [CBD_PAGE_ANSWERED] =
	{{"answered", "Login already answered",
	  "DingTalk's answer for this login already arrived once and is not taken twice. "
	  "Look at your terminal; " NEW_LOGIN_EN},
	 {"answered", "登录已应答",
	  "钉钉对本次登录的应答已收到过，不会重复接受。请查看终端；" NEW_LOGIN_ZH}},
    [CBD_PAGE_ENDED] = {{"ended", "Login already ended",
			 "This login has already ended. Look at your terminal; " NEW_LOGIN_EN},
			{"ended", "登录已结束", "本次登录已经结束。请查看终端；" NEW_LOGIN_ZH}},
    [CBD_PAGE_INCOMPLETE] =
	{{"incomplete", "Incomplete answer from DingTalk",
	  "The answer from DingTalk is missing a part or is malformed, so this login "
	  "cannot go on. Start a new login in your terminal."},
	 {"incomplete", "钉钉的应答不完整",
	  "钉钉返回的信息缺少内容或格式不正确，本次登录无法继续。请在终端重新发起登录。"}},
    [CBD_PAGE_FORM_INVALID] =
	{{"form-invalid", "Form not valid",
	  "This form was not accepted: it is incomplete, or it does not belong to this "
	  "login's page. Reload the page and try again, or start a new login in your "
	  "terminal."},
	 {"form-invalid", "表单无效",
	  "表单未被接受：内容不完整，或不属于本次登录的页面。请刷新页面后重试，或在终端重新发起登录"
	  "。"}},
    [CBD_PAGE_OTHER_BROWSER] =
	{{"other-browser", "Open in the same browser",
	  "This page is shown only in the browser that opened the login link, with "
	  "cookies allowed. Go back to that browser, or start a new login in your "
	  "terminal."},
	 {"other-browser", "请在同一浏览器中打开",
	  "此页面只在打开登录链接的浏览器中显示（需允许 "
	  "Cookie）。请回到那个浏览器，或在终端重新发起登录。"}},
    [CBD_PAGE_UNAVAILABLE] =
	{{"unavailable", "Service unavailable",
	  "The login service cannot answer right now. Reload this page in a few seconds to "
	  "carry on with this login. If it still fails, start a new login in your terminal."},
	 {"unavailable", "服务暂时不可用",
	  "登录服务暂时无法响应。请过几秒刷新本页面以继续本次登录；如果仍然失败，请在终端重新发起登"
	  "录。"}},
    [CBD_PAGE_NOT_FOUND] = {{"not-found", "Page not found", "There is nothing at this address."},
			    {"not-found", "页面不存在", "此地址没有内容。"}},
    [CBD_PAGE_NOT_ALLOWED] = {{"not-allowed", "Request not allowed",
			       "This address does not accept that kind of request."},
			      {"not-allowed", "不支持此请求", "此地址不接受这种请求。"}},
    [CBD_PAGE_TOO_LARGE] = {{"too-large", "Request too large", "The request is too large."},
			    {"too-large", "请求过大", "请求内容过大。"}},
};

static const char *const words[CBD_W_COUNT][2] = {
    [CBD_W_CONFIRM_TITLE] = {"Confirm DingTalk login", "确认钉钉登录"},
    [CBD_W_CONFIRM_HEADING] = {"Is this you logging in?", "是你本人在登录吗？"},
    [CBD_W_CONFIRM_INTRO] =
	{"Someone is logging in with your DingTalk account. Go on only "
	 "if you started this login yourself, just now.",
	 "有人正在使用你的钉钉账号登录。只有当这是你本人刚刚发起的登录时才继续。"},
    [CBD_W_ACCOUNT] = {"Account", "登录账号"},
    [CBD_W_COMPUTER] = {"Computer", "服务器"},
    [CBD_W_FROM] = {"From", "来自"},
    [CBD_W_FROM_LOCAL] = {"this computer itself (no network address)", "本机（无网络地址）"},
    [CBD_W_ACCESS] = {"Access", "访问方式"},
    [CBD_W_COMMAND] = {"Command", "命令"},
    [CBD_W_TIME_LEFT] = {"Time left", "剩余时间"},
    [CBD_W_UNTIL] = {"{} (until {})", "{}（截止 {}）"},
    [CBD_W_MIN_SEC] = {"{} min {} s", "{} 分 {} 秒"},
    [CBD_W_SEC] = {"{} s", "{} 秒"},
    [CBD_W_SSH] = {"SSH login", "SSH 登录"},
    [CBD_W_SUDO] = {"sudo: run a command as root", "sudo：以 root 身份运行命令"},
    [CBD_W_SU] = {"su: switch to another user", "su：切换到其他用户"},
    [CBD_W_CONSOLE] = {"Console login", "控制台登录"},
    [CBD_W_OTHER_SERVICE] = {"Login through {}", "通过 {} 登录"},
    [CBD_W_TYPE_PROMPT] = {"Type the two-digit number shown in your terminal:",
			   "请输入终端上显示的两位数字："},
    [CBD_W_PICK_PROMPT] = {"Tap the number shown in your terminal:", "请点击终端上显示的数字："},
    [CBD_W_CONFIRM_BUTTON] = {"Confirm", "确认"},
    [CBD_W_NOT_ME_PROMPT] = {"Did you not start this login?", "不是你发起的登录？"},
    [CBD_W_NOT_ME_BUTTON] = {"Not me", "不是我"},
    [CBD_W_NOT_ME_HINT] = {"This refuses the login at once and tells the terminal.",
			   "点击后将立即拒绝本次登录，并通知终端。"},
};

const struct cbd_page_text *cbd_page_text(enum cbd_page page, enum cbd_lang lang)
{
	if ((unsigned)page >= CBD_PAGE_COUNT)
		page = CBD_PAGE_NOT_FOUND;
	return &pages[page][lang == CBD_LANG_ZH ? 1 : 0];
}

const char *cbd_word(enum cbd_word word, enum cbd_lang lang)
{
	if ((unsigned)word >= CBD_W_COUNT)
		return "";
	return words[word][lang == CBD_LANG_ZH ? 1 : 0];
}
