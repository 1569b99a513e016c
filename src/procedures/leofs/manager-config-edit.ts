import { sh, shPart, type ShellFragment } from "../sh";

/**
 * Rewrites `key = value` lines of a LeoFS `.conf` file (reference §2 manager
 * keys): every uncommented line of a key is replaced, a missing key is
 * appended. Keys are compared as text (no regex), so `manager.partner` never
 * matches `managerXpartner`.
 */
const REWRITE_KEYS = [
  'BEGIN { n = split(keys, k, " "); split(vals, v, " ") }',
  '{ line = $0; sub(/^[ \\t]+/, "", line);',
  'for (i = 1; i <= n; i++) if (index(line, k[i]) == 1 && substr(line, length(k[i]) + 1) ~ /^[ \\t]*=/) { print k[i] " = " v[i]; seen[i] = 1; next };',
  "print }",
  'END { for (i = 1; i <= n; i++) if (!seen[i]) print k[i] " = " v[i] }',
].join(" ");

export interface ConfSetting {
  readonly key: string;
  /** One word (validated by the caller: node names have no blanks). */
  readonly value: string;
}

/**
 * A re-runnable in-place edit: the original is copied into the backup dir
 * once (a re-run never overwrites it with an edited file). The copy goes to
 * a `.part` name first and is renamed when whole: a `cp` cut short by a full
 * disk leaves its target created and truncated (coreutils copy.c opens it
 * O_TRUNC before writing), and a Retry that saw that file "present" would
 * then edit the only good copy away (issue 15 point 5). The new text is
 * written through a temporary file and copied over the original with `cat`
 * so owner and mode stay as the package set them, then every new line is
 * proven with `grep -x` and the resulting lines are printed.
 */
export function setConfKeys(conf: string, backupDir: string, backupName: string, settings: readonly ConfSetting[]): string {
  for (const s of settings) {
    if (!/^[A-Za-z0-9_.]+$/.test(s.key) || !/^\S+$/.test(s.value)) throw new TypeError(`setConfKeys: bad setting ${JSON.stringify(s)}`);
  }
  const backup = `${backupDir}/${backupName}`;
  const part = `${backup}.part`;
  const tmp = `${conf}.intervene-tmp`;
  const keys = settings.map((s) => s.key);
  const proofs: ShellFragment[] = settings.map((s) => shPart`grep -qxF ${`${s.key} = ${s.value}`} ${conf}`);
  const show = shPart`grep -nE ${`^[[:space:]]*(${keys.map((k) => k.replace(/\./g, "\\.")).join("|")})[[:space:]]*=`} ${conf}`;
  return (
    sh`mkdir -p ${backupDir} && { [ -e ${backup} ] || { cp -p ${conf} ${part} && mv -f ${part} ${backup}; }; } && ` +
    sh`awk -v keys=${keys.join(" ")} -v vals=${settings.map((s) => s.value).join(" ")} ${REWRITE_KEYS} ${conf} > ${tmp} && cat ${tmp} > ${conf} && rm -f ${tmp}` +
    proofs.map((p) => ` && ${p.text}`).join("") +
    ` && ${show.text}`
  );
}
