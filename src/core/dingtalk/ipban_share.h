/* DingTalk's IP ban shared by every process of the module on this host.
 * Each login is a process of its own (sshd, sudo, su), so the memory of
 * dingtalk/ipban.h alone would let every new login call DingTalk once
 * more during a ban. The ban is kept in a small file beside the app token
 * cache, token_cache.ban (same directory rule, mode 0600, root's): the
 * logins that follow give up at once, without calling DingTalk, until the
 * ban ends. A file that is missing, unsafe or unreadable is ignored: the
 * next call then finds out from DingTalk itself. */
#ifndef DT_IPBAN_SHARE_H
#define DT_IPBAN_SHARE_H

#include "conf/modcfg.h"

/* The file's largest size; larger is not read. */
#define DT_IPBAN_SHARE_MAX_FILE 4096

/* Takes the bans the file records for api_base's and oapi_base's origins
 * into this process (dt_ipban_note), each for what is left of it, at most
 * DT_IPBAN_MAX_MS. */
void dt_ipban_share_load(const struct dt_modcfg *cfg);

/* Records this process's bans of api_base's and oapi_base's origins in
 * the file, keeping the bans it already holds that have not ended (other
 * processes', of other base URLs too; the later end of an origin wins);
 * does nothing when this process knows no ban. */
void dt_ipban_share_save(const struct dt_modcfg *cfg);

#endif
