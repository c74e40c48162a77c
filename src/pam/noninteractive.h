/* Whether anybody can scan the QR code: callers that cannot show it to a
 * person, or whose person cannot answer, are refused before any session
 * is registered, at once, instead of waiting for a phone nobody holds.
 *
 * sudo (1.9.13, plugins/sudoers/auth/pam.c) always calls pam_authenticate
 * with PAM_SILENT, and sets PAM_TTY only when the caller has a terminal:
 * - no terminal (a script, Ansible's `become` without a pty): PAM_TTY is
 *   unset, and the QR would go to a log or a pipe;
 * - `sudo -n` reaches PAM at all only with `Defaults noninteractive_auth`;
 *   its conversation then refuses every prompt but passes info messages,
 *   and neither the flags nor PAM_TTY tell it apart, so the module reads
 *   sudo's own arguments (/proc/self/cmdline).
 * Both are the caller's to choose, and they can only make the module
 * refuse sooner: nothing here can let anybody in or turn a refusal into
 * "unavailable". ssh -o BatchMode=yes never reaches the module: the client
 * disables keyboard-interactive itself (OpenSSH sshconnect2.c). */
#ifndef PAM_DT_NONINTERACTIVE_H
#define PAM_DT_NONINTERACTIVE_H

/* NULL when someone may be there to scan; otherwise the reason, for the
 * log ("sudo without a terminal", "sudo -n"). Only sudo's services (a
 * name starting with "sudo") are judged; every other caller gets NULL. */
const char *pam_dt_nobody_to_scan(const char *service, const char *tty);

/* sudo's arguments as getopt_long reads them (parse_args.c: options end at
 * the first non-option or "--"; "-n", "-kn", "--non-interactive" and its
 * unambiguous abbreviations set it; an option's argument is skipped):
 * 1 when they ask for -n. argv[0] must be sudo or sudoedit. */
int pam_dt_sudo_args_noninteractive(int argc, const char *const *argv);

#endif
