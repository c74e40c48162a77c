/* How long a login over sshd waits without a prompt before it turns into
 * the prompt (`prompt_after`, docs/ssh-wait.md), as a login uses it: the
 * fallback prompt is there for a person who saw nothing (an OpenSSH client
 * before 10.3 with -q), so it must come while there is still time to use
 * it. A configured value that leaves less is cut, never refused: the key's
 * own range (DT_PROMPT_AFTER_MIN..600) does not know the timeout, which a
 * [service NAME] section may set apart. */
#ifndef DT_CONF_PROMPT_AFTER_H
#define DT_CONF_PROMPT_AFTER_H

#include "conf/modcfg.h"

/* What the prompt leaves the person at least: time to read the link, open
 * it, choose the number and press Enter. */
#define DT_PROMPT_AFTER_RESERVE_S 15

/* cfg->prompt_after, at most cfg->timeout - DT_PROMPT_AFTER_RESERVE_S, and
 * never below DT_PROMPT_AFTER_MIN (with a short timeout the prompt then
 * comes after DT_PROMPT_AFTER_MIN seconds, the earliest it ever comes). */
unsigned dt_prompt_after_effective(const struct dt_modcfg *cfg);

#endif
