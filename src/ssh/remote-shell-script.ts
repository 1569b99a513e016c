import type { ExecOptions } from "./exec-types";

/**
 * A long-lived login shell per pool slot, so a command costs a write and three
 * short marker lines instead of an SSH channel (open, confirm, exec request, exit,
 * close: about 1.9 ms of sshd CPU per `true` here, against 0.45 ms this way;
 * issue 13 notes). What keeps one command apart from the next:
 *
 * - The channel's command runs in the user's login shell, as an exec would,
 *   so ~/.bashrc (bash run by sshd sources it: bash shell.c
 *   run_startup_files) has run and its settings carry into every command.
 *   Only bash will do: a login shell that is not bash exits 97 before
 *   anything else is read, and the pool falls back to an exec per command.
 * - `set -m` gives each command its own process group (bash job control
 *   makes every background job a group leader, a tty or not; Debian's dash
 *   refuses job control without a tty), so timeouts and aborts kill the
 *   command's group exactly as for an exec (remote-process-group.ts).
 * - Each command runs in a subshell, so `cd`, variables, traps, umask and
 *   ulimits do not leak into the next one; its stdin is /dev/null, as for an
 *   exec given no input.
 * - The command arrives as a NUL-terminated record read by `read -d ''`,
 *   and runs through one `eval`: it is never spliced into shell text, so an
 *   unbalanced quote is a syntax error of that command alone.
 * - A random token per command marks the end of its stdout and stderr and
 *   reports its group. The shell's own names (the token, this function) are
 *   removed before the command runs, so it cannot print the marker.
 * - The command's own process reports its group (`:p=`) before it runs the
 *   command. A shell that ended without that report had not started the
 *   command, which may then run elsewhere: had the process been forked, it
 *   would hold the channel's stdout and stderr open, and sshd sends the
 *   channel's EOF and close only once both pipes reach end-of-file (OpenSSH
 *   channels.c channel_output_poll_input_open: "delay EOF if EFD still in
 *   use"), so the report, or the process's end, comes first.
 * - Processes left in the command's group after it ends (`daemon &`) could
 *   write into the next command's output: the shell reports them (`:1`) and
 *   the pool retires that shell.
 * - `kill -0` needs the builtin, which a host may disable (the LeoFS
 *   simulator's ~/.bashrc does, so that commands hit its PATH shim): it is
 *   enabled only around that check, and disabled again before the next
 *   command forks.
 */
/** The launch's exit status when the login shell is not bash. */
export const SHELL_NOT_BASH = 97;
const READY_PREFIX = "intervene-shell:";
/** Starts the line the shell writes on stderr once it reads commands (`<marker>ready`). */
export const READY_MARKER = `\u001e${READY_PREFIX}`;

export const SHELL_LAUNCH = [
  `[ -n "\${BASH_VERSION-}" ] || exit ${SHELL_NOT_BASH}`,
  "set -m",
  "__iv_k=0",
  'case "$(enable -n)" in *"enable -n kill"*) __iv_k=1 ;; esac',
  "__iv() {",
  '  ( unset -v __iv_m __iv_c __iv_k; unset -f __iv; printf \'\\036%s:p=%s\\n\' "$1" "$BASHPID" >&2; eval "set --; $2" ) </dev/null &',
  "  local p=$! r d=0",
  '  wait "$p" 2>/dev/null; r=$?',
  '  enable kill; kill -0 -- "-$p" 2>/dev/null && d=1; [ "$__iv_k" = 1 ] && enable -n kill',
  "  printf '\\036%s:e=%s:%s\\n' \"$1\" \"$r\" \"$d\"",
  "  printf '\\036%s:e\\n' \"$1\" >&2",
  "}",
  `printf '\\036${READY_PREFIX}ready\\n' >&2`,
  "while IFS= read -r -d '' __iv_m && IFS= read -r -d '' __iv_c; do __iv \"$__iv_m\" \"$__iv_c\"; done",
].join("\n");

/**
 * bash reads its input one byte at a time from a pipe or socket (so that it
 * never reads past what it needs): a long command costs a syscall a byte,
 * and an exec channel is cheaper past a few KiB.
 */
const MAX_SHELL_COMMAND_BYTES = 8 * 1024;

/**
 * Whether `command` can run in a long-lived shell with the same meaning as in
 * an exec channel. Not when it takes input or streams its output elsewhere
 * (copies), nor when it names `$$`: in a subshell that is the long-lived
 * shell's pid, not the command's own shell, and killing it would end the
 * shell. A NUL cannot cross `read -d ''`.
 */
export function shellEligible(command: string, opts: ExecOptions): boolean {
  return (
    opts.stdin === undefined &&
    opts.stdoutTo === undefined &&
    !command.includes("$$") &&
    !command.includes("\0") &&
    Buffer.byteLength(command) <= MAX_SHELL_COMMAND_BYTES
  );
}
