/* The environment guard: while the module runs, the process's environment
 * is a minimal one owned by the module, not the host's.
 *
 * The module runs inside setuid programs (su, sudo), where the environment
 * is the unprivileged caller's until the program resets it, which su and
 * sudo do only after authentication. Libraries linked into the module read
 * variables with plain getenv (libcurl: SSLKEYLOGFILE, which it opens with
 * fopen(path, "a") as root). Rather than removing a list of known names,
 * the guard points `environ` at the module's own array for the whole call,
 * so a variable nobody thought of is not there either.
 *
 * Contract:
 * - pam_dt_env_enter() at the start of an exported entry point and
 *   pam_dt_env_leave() on its every return. Between them, getenv() in this
 *   process sees only what the module put there (nothing, or the proxy
 *   variables with proxy_env). Not inside sudo: sudo exports a getenv of
 *   its own that answers from the environment sudoers built for the
 *   command; pam_dt_env_leak() below finds what gets through there. After the last leave, `environ`
 * is the host's pointer again: the very same array, whatever ran in between.
 * - Every call that may reach the application's conversation function goes
 *   through pam_dt_conv_*() below, which hand the application its own
 *   environment for the length of the call (it may need it to prompt).
 * - What the module takes from the host's environment on purpose (the
 *   locale for the message language, sudo's SUDO_COMMAND for the title:
 *   display choices, never paths or trust) is read with
 *   pam_dt_env_host(), explicitly. The command shown on the phone is not
 *   among them: only sudo's own getenv answers it (pam_dingtalk.c).
 * - Nesting and concurrent calls from several threads are counted: the
 *   host's pointer (and the resource limits) are saved by the first enter
 *   and restored by the last leave. What concurrent logins share: the swap
 *   is process-wide, so in a multi-threaded host other threads see the
 *   minimal environment while a login runs; the proxy variables are copied
 *   once, by the first login that asks (pam_dt_env_allow_proxy), and serve
 *   every login until the last leave; while one thread is in the
 *   application's conversation, the host's environment is back for all
 *   threads, a login in another thread included; and raised limits hold
 *   for every thread until the last leave.
 * - libcurl's global initialisation (where it reads SSLKEYLOGFILE) is
 *   guarded only if the module is the first to trigger it: another module
 *   earlier in the stack, or the host itself, may have initialised libcurl
 *   with the caller's environment before this module ran.
 * - The module's array and its strings are static and never freed: a
 *   thread a library leaves behind (libcurl's resolver after a timeout)
 *   may still walk it after the module returned. */
#ifndef PAM_DT_ENV_GUARD_H
#define PAM_DT_ENV_GUARD_H

#include <security/pam_modules.h>

/* enter, in a privileged process (geteuid() == 0), also raises the
 * resource limits the module's work needs (rlimit_guard.h) for as long as
 * the outermost call lasts; leave puts the caller's exact values back. */
void pam_dt_env_enter(void);

/* Returns 0, or -1 when the module's array was found replaced while it was
 * in place (pam_dt_env_intact): the caller must then refuse the login. */
int pam_dt_env_leave(void);

/* 1 while nothing has replaced the module's array; 0 once something did.
 * glibc's setenv (and putenv) reallocates the array it last built itself,
 * whichever array `environ` points at: a host whose own array was built by
 * setenv (by any host that added a variable before calling PAM) has it
 * reallocated by a setenv inside the module, which then copies the
 * module's entries into it. The host's saved pointer may then be freed or
 * overwritten, so from that moment the guard never hands it out again: the
 * host gets an empty environment back at the last leave, the application
 * an empty one while prompting. Nothing the module's libraries do calls
 * setenv today (SECURITY.md's trace); this makes one fail closed. */
int pam_dt_env_intact(void);

/* In a privileged process between enter and leave: the name of a resource
 * limit the guard could not raise to its floor (rlimit_guard.h), or NULL.
 * Outside, or when the process is not privileged, NULL. */
const char *pam_dt_env_limit_short(void);

/* proxy_env: copies http_proxy, https_proxy, HTTPS_PROXY, all_proxy,
 * ALL_PROXY, no_proxy and NO_PROXY (the names libcurl reads) from the
 * host's environment into the module's, for libcurl to use. Only between
 * enter and leave. A value longer than the guard keeps is left out. */
void pam_dt_env_allow_proxy(void);

/* A host can answer getenv itself, past `environ`: sudo exports a getenv
 * that answers from the environment sudoers keeps for the command, which
 * with `sudo -E` (SETENV), !env_reset or env_keep holds the caller's
 * variables. Between enter and leave, returns the name of the first
 * variable that the module's libraries would read with getenv and that
 * steers what they open (libcurl's SSLKEYLOGFILE, CURL_SSL_BACKEND) if
 * getenv still finds it, or NULL. The module then refuses the login. */
const char *pam_dt_env_leak(void);

/* The host's value of `name` (its environment as it was at enter), or
 * NULL. Outside enter/leave, the process's current environment. */
const char *pam_dt_env_host(const char *name);

/* The application's turns: pam_info, pam_prompt and pam_get_user, run with
 * the host's environment in place and the module's back afterwards. */
int pam_dt_conv_info(pam_handle_t *pamh, const char *text);
int pam_dt_conv_prompt(pam_handle_t *pamh, int style, char **response, const char *text);
int pam_dt_conv_get_user(pam_handle_t *pamh, const char **user);

#endif
