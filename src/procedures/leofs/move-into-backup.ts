import { sh } from "../sh";

/** What to do when the directory holds nothing and no earlier move left a backup. */
export type WhenNothingToMove = "refuse" | "record-empty";

/**
 * Moves every entry of `dir` into `backup` so that running it again is safe
 * and says what it found (issue 11 point 12). The seed's `mkdir <backup> &&
 * mv <dir>/* <backup>/` failed on Retry once the directory existed, and
 * failed without a word on an empty directory.
 * - files in `dir`, `backup` empty or absent: move them, print the count;
 * - `dir` empty, `backup` holds files: a Retry after the move; nothing to do,
 *   said on stdout;
 * - files in both: a move cut short, or files written since; refuse, since
 *   merging the two sets could mix two Mnesia generations;
 * - both empty: `refuse` (there is no set to back up: a wrong path, or the
 *   files went elsewhere) or `record-empty` (a fresh install's manager).
 */
export function moveIntoBackup(dir: string, backup: string, whenNothing: WhenNothingToMove): string {
  const nothing =
    whenNothing === "refuse"
      ? `echo "intervene: refusing: no files in $d nor in $b: no set to back up; check the Mnesia path" >&2; exit 1`
      : `mkdir -p "$b" && echo "intervene: $d holds no files: nothing to move aside"`;
  // One line with the paths named once: plans, approvals and the audit show it as the approver reads it.
  return [
    sh`d=${dir}; b=${backup};`,
    `mkdir -p "\${b%/*}" || exit 1;`,
    `if [ -n "$(ls -A "$d" 2>/dev/null)" ]; then`,
    `if [ -n "$(ls -A "$b" 2>/dev/null)" ]; then echo "intervene: refusing: both $d and $b hold files (a move cut short?); compare them by hand, then Retry" >&2; exit 1; fi;`,
    `mkdir -p "$b" && mv "$d"/* "$b"/ && echo "moved $(ls -A "$b" | wc -l) entries to $b";`,
    `elif [ -n "$(ls -A "$b" 2>/dev/null)" ]; then echo "intervene: $b already holds the set, moved by an earlier attempt: nothing to do";`,
    `else ${nothing}; fi`,
  ].join(" ");
}
