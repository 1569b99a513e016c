/**
 * How a timed-out or aborted command is stopped for real. sshd runs each
 * session's shell as a session and process-group leader (setsid in
 * session.c), so the shell's `$$` is the group of everything the command
 * starts that does not deliberately detach. The wrapped command reports that
 * group on stderr before anything else runs; on timeout or abort a second
 * channel TERMs the group, waits, then KILLs it. Closing the channel alone
 * would leave the processes running.
 */
const HEADER_RE = /\u001eintervene-pgid=(\d+)\n/;
/** Startup noise (a chatty ~/.bashrc) may precede the header; past this much stderr, stop looking. */
const HEADER_SEARCH_LIMIT = 64 * 1024;

/**
 * The header line comes first so a syntax error later in `command` cannot
 * skip it: the login shell parses and runs line by line.
 *
 * A command given no input reads it from /dev/null, set by the shell
 * (`exec </dev/null`): the client then never has to send the channel's EOF,
 * one packet less per command (issue 13), and the command reads end-of-file
 * at once, as it did once that EOF arrived. sshd closes the channel when the
 * command exits all the same (OpenSSH session.c `session_exit_message`
 * closes the channel's input side itself).
 */
export function wrapCommand(command: string, options: { readonly stdin?: boolean } = {}): string {
  const input = options.stdin === true ? "" : "exec </dev/null\n";
  return `printf '\\036intervene-pgid=%s\\n' "$$" >&2\n${input}${command}`;
}

export type HeaderParse =
  | { state: "need-more" }
  | { state: "found"; pgid: number; rest: Buffer }
  | { state: "absent"; rest: Buffer };

/** Finds and removes the header line from the start of stderr; what surrounds it is the command's own stderr. */
export function parseHeader(stderrStart: Buffer): HeaderParse {
  const m = HEADER_RE.exec(stderrStart.toString("latin1"));
  if (m !== null) {
    const rest = Buffer.concat([stderrStart.subarray(0, m.index), stderrStart.subarray(m.index + m[0].length)]);
    return { state: "found", pgid: Number(m[1]), rest };
  }
  return stderrStart.length < HEADER_SEARCH_LIMIT ? { state: "need-more" } : { state: "absent", rest: stderrStart };
}

/**
 * Exits 0 once no live (non-zombie) process is left in the group, 1 if some
 * survived KILL. Liveness reads /proc because `kill -0` also succeeds on
 * zombies, which an init that does not reap (as in some containers) keeps
 * forever. Only shell builtins signal, so PATH shims for `kill` on simulated
 * hosts do not interfere.
 */
export function killGroupScript(pgid: number, graceMs: number): string {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) throw new Error(`refusing to signal process group ${pgid}`);
  const polls = Math.max(1, Math.ceil(graceMs / 100));
  return [
    `g=${pgid}`,
    "alive() {",
    "  if [ -r /proc/self/stat ]; then",
    "    for f in /proc/[0-9]*/stat; do",
    "      { read -r l < \"$f\"; } 2>/dev/null || continue",
    "      set -- ${l##*) }",
    "      [ \"$3\" = \"$g\" ] && [ \"$1\" != Z ] && [ \"$1\" != X ] && return 0",
    "    done",
    "    return 1",
    "  fi",
    "  kill -0 -$g 2>/dev/null",
    "}",
    "kill -TERM -$g 2>/dev/null",
    // A stopped process would hold TERM pending forever.
    "kill -CONT -$g 2>/dev/null",
    "i=0",
    "while alive; do",
    `  if [ $i -ge ${polls} ]; then kill -KILL -$g 2>/dev/null; sleep 0.2; if alive; then exit 1; fi; exit 0; fi`,
    "  sleep 0.1; i=$((i+1))",
    "done",
    "exit 0",
  ].join("\n");
}
