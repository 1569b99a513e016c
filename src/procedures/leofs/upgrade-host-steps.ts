import type { LeofsCluster } from "../../config";
import type { StepTemplate } from "../model/procedure-definition";
import { hostPath, sh, shPart, type ShellFragment } from "../sh";
import { backupPath, host, slug } from "./leofs-layout";
import { versionPath, type UpgradeNode } from "./upgrade-units";

/** What every per-host upgrade step needs. */
export interface UpgradePlanContext {
  readonly cluster: LeofsCluster;
  /** `/usr/local/leofs` (installDir without `/current`). */
  readonly prefix: string;
  /** Installed version (inventory `leofs.version`). */
  readonly from: string;
  readonly to: string;
  readonly now: Date;
  /** Absolute package path on a host (root applied). */
  readonly packageFile: (hostName: string) => string;
}

const SEED_MIGRATE = "seed 002 \"Migrate Files and Directories\"";

export const upgradeBackupDir = (ctx: UpgradePlanContext, hostName: string): string => backupPath(ctx.cluster, hostName, ctx.now, `upgrade-${ctx.to}`);

const join = (parts: readonly ShellFragment[]): string => parts.map((p) => p.text).join(" && ");

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `readlink <current>` names `<version>`: what the package flips (reference §2 layout). */
export function checkCurrentLink(ctx: UpgradePlanContext, hosts: readonly string[], version: string, id: string, title: string, cite: string): StepTemplate {
  return {
    id,
    title,
    kind: "check",
    cite,
    targets: hosts.map((h) => ({ host: h, command: sh`readlink ${hostPath(host(ctx.cluster, h), ctx.cluster.leofs.installDir.replace(/\/+$/, ""))}` })),
    expect: { type: "all", of: [{ type: "exit-zero" }, { type: "stdout-matches", pattern: `(^|/)${escapeRegex(version)}/?$`, flags: "m" }] },
  };
}

/** Seed 002: "Backup current config files for that node": a copy of each node's `etc/` made once (a re-run keeps the first copy). */
export function backupConfig(ctx: UpgradePlanContext, hostName: string, nodes: readonly UpgradeNode[]): StepTemplate {
  const bk = upgradeBackupDir(ctx, hostName);
  const copies = nodes.map((n) => {
    const to = `${bk}/${n.dir}-etc`;
    return shPart`{ [ -e ${to} ] || cp -a ${versionPath(ctx.cluster, hostName, ctx.prefix, ctx.from, `${n.dir}/etc`)} ${to}; }`;
  });
  return {
    id: `backup-config-${slug(hostName)}`,
    title: `Copy the configuration of ${nodes.map((n) => n.node).join(", ")} to ${bk}`,
    kind: "exec",
    cite: "seed 002 (\"Stop currently running LeoFS node. Backup current config files for that node\"); reference §3 rolling upgrade step 1",
    note: "Taken before the install: the package manager may remove or rename the old version's files, so the new tree gets its configuration from this copy.",
    idempotent: true,
    targets: [{ host: hostName, command: join([shPart`mkdir -p ${bk}`, ...copies]) }],
    backups: nodes.map((n) => ({ host: hostName, path: `${bk}/${n.dir}-etc`, what: `${n.node}'s etc/ of LeoFS ${ctx.from}, before the install` })),
  };
}

/** `dpkg -i` / `rpm -U`, letting through exactly the leofs-epmd.socket failure that `recoverEpmdSocket` handles. */
export function installPackage(ctx: UpgradePlanContext, hostName: string, nodes: readonly UpgradeNode[]): StepTemplate {
  const os = host(ctx.cluster, hostName).os;
  const pkg = ctx.packageFile(hostName);
  const tool = os === "rpm" ? shPart`rpm -Uvh ${pkg}` : shPart`dpkg -i ${pkg}`;
  return {
    id: `install-${slug(hostName)}`,
    title: `Install LeoFS ${ctx.to} on ${hostName} (${os === "rpm" ? "rpm -U" : "dpkg -i"})`,
    kind: "exec",
    cite: "seed 002 (\"Upgrade to new package version (dpkg -i for Ubuntu 16.04, rpm -U for EL7)\"); reference §2 layout (`/usr/local/leofs/<ver>`, `current` link)",
    note:
      "The package creates the new version tree and flips `current` to it. If its output says `Job for leofs-epmd.socket failed`, the step still succeeds " +
      "(printing why) and the epmd-socket steps below recover it as seed 002 says; any other failure stops the run.",
    destructive: true,
    timeoutMs: 15 * 60_000,
    targets: [
      {
        host: hostName,
        command:
          `out=$(${tool.text} 2>&1); rc=$?; printf '%s\\n' "$out"; ` +
          `if [ "$rc" -ne 0 ]; then case "$out" in *'Job for leofs-epmd.socket failed'*) echo 'intervene: leofs-epmd.socket failed during the install; the epmd-socket steps of this run recover it'; exit 0;; esac; fi; exit "$rc"`,
      },
    ],
    approvalDetail: `Installs ${pkg} on ${hostName}: ${ctx.prefix}/${ctx.to} is created and ${ctx.cluster.leofs.installDir} then points to it.`,
    rollback:
      `${hostName} has LeoFS ${ctx.to} installed and ${ctx.cluster.leofs.installDir} points to ${ctx.prefix}/${ctx.to}; ${nodes.map((n) => n.node).join(", ")} ` +
      `${nodes.length === 1 ? "is" : "are"} stopped, with data and configuration still in ${ctx.prefix}/${ctx.from}. Way back: reinstall the LeoFS ${ctx.from} package on ${hostName} ` +
      `(${host(ctx.cluster, hostName).os === "rpm" ? "rpm -U --oldpackage" : "dpkg -i"}), check that ${ctx.cluster.leofs.installDir} points to ${ctx.prefix}/${ctx.from}, start ${nodes.map((n) => n.control.manualStart).join(", then ")}, and resume a suspended storage node.`,
  };
}

/** Relative data paths of a node to carry into the new tree (reference §3 step 1: `work`/`avs`). */
function carriedPaths(cluster: LeofsCluster, n: UpgradeNode): string[] {
  const rel = (dirs: readonly string[]) => dirs.filter((d) => !d.startsWith("/")).map((d) => d.replace(/^(\.\/)+/, "").replace(/\/+$/, ""));
  const { workDirs, avsDirs } = cluster.leofs.paths;
  const work = workDirs.length === 0 ? ["work"] : rel(workDirs);
  const avs = n.kind !== "storage" ? [] : avsDirs.length === 0 ? ["avs"] : rel(avsDirs);
  return [...work, ...avs].filter((d) => d !== "");
}

/**
 * The saved configuration into the package's new `etc/`, file by file:
 * `*.conf`, `*.environment` and the `<type>.d/` override directories always
 * (the package's own versions go to the backup dir first); files the
 * package does not ship (certificates, say) too; `*.schema` never, since
 * cuttlefish reads the new release's schema from `etc/` (reference §0;
 * leo-project/leofs 1.4.4 rel/leo_storage/reltool.config.in copies
 * `leo_storage.schema` into `etc/`, and
 * docs/admin/system_admin/persistent_configuration.md: carry-over "does not
 * apply to .schema files"). Every file is named in the output. Running it
 * again copies the same files again.
 */
export function carryConfiguration(saved: string, etc: string, pkgCopy: string, confName: string): ShellFragment {
  const perFile = shPart`for f in "$o"/*; do b=\${f##*/}; [ -e "$f" ] || continue; case $b in *.schema) echo "kept the package's $b" ;; *.conf|*.environment|*.d) if [ -e "$n/$b" ] && [ ! -e "$p/$b" ]; then cp -pR "$n/$b" "$p/$b" || exit 1; fi; rm -rf "$n/$b.carry" && cp -pR "$f" "$n/$b.carry" && rm -rf "$n/$b" && mv "$n/$b.carry" "$n/$b" || exit 1; echo "carried $b" ;; *) if [ -e "$n/$b" ]; then echo "kept the package's $b"; else cp -pR "$f" "$n/$b" || exit 1; echo "carried $b (not in the package)"; fi ;; esac; done`;
  // Braced: the parts of a migrate command are joined with &&, which the assignments' `;` must not break.
  return shPart`{ o=${saved}; n=${etc}; p=${pkgCopy}; mkdir -p "$p" && test -d "$o" && test -d "$n" && { ${perFile}; } && test -f "$n"/${confName}; }`;
}

/**
 * Into the new tree: the configuration from the backup copy
 * (`carryConfiguration`), and `work`/`avs` MOVED from the old tree: same
 * file system, instant, and no second copy of Mnesia or objects to confuse
 * a rollback. The package's fresh empty dirs go to the backup dir.
 */
export function migrateNodeFiles(ctx: UpgradePlanContext, hostName: string, nodes: readonly UpgradeNode[]): StepTemplate {
  const bk = upgradeBackupDir(ctx, hostName);
  const parts: ShellFragment[] = [];
  const moves: string[] = [];
  for (const n of nodes) {
    const oldDir = versionPath(ctx.cluster, hostName, ctx.prefix, ctx.from, n.dir);
    const newDir = versionPath(ctx.cluster, hostName, ctx.prefix, ctx.to, n.dir);
    parts.push(carryConfiguration(`${bk}/${n.dir}-etc`, `${newDir}/etc`, `${bk}/${n.dir}-pkg-etc`, n.confName));
    for (const rel of carriedPaths(ctx.cluster, n)) {
      const from = `${oldDir}/${rel}`;
      const to = `${newDir}/${rel}`;
      const aside = `${bk}/${n.dir}-pkg-${slug(rel)}`;
      const parent = to.replace(/\/[^/]+$/, "");
      parts.push(shPart`if [ -e ${from} ]; then mkdir -p ${parent} && { [ ! -e ${to} ] || mv ${to} ${aside}; } && mv ${from} ${to}; fi`, shPart`test -e ${to}`);
      moves.push(`${n.dir}/${rel}`);
    }
  }
  return {
    id: `migrate-${slug(hostName)}`,
    title: `Carry configuration${moves.length > 0 ? ` and ${moves.join(", ")}` : ""} into ${ctx.prefix}/${ctx.to} on ${hostName}`,
    kind: "exec",
    cite: `reference §3 rolling upgrade step 1 ("Copy the configuration and the work/avs directories from the old version to the new one"); reference §0 (carry \`.conf\` and \`.environment\`, never \`*.schema\`); ${SEED_MIGRATE} ("copying or moving every files")`,
    note:
      "Done after the install because the package creates the new version tree. From the configuration saved before the install, `*.conf`, `*.environment` and `<type>.d/` replace the package's (whose copies go to the backup dir); " +
      "files the package does not ship are copied; `*.schema` stays the package's, since the new release's cuttlefish schema must match it (the seed's \"copying every files\" would carry the old schema). " +
      "work/avs are moved, not copied (an avs copy doubles the disk use and can take hours; the seed allows moving). Customized absolute paths stay where they are.",
    destructive: true,
    targets: [{ host: hostName, command: join(parts) }],
    approvalDetail:
      `On ${hostName}: the saved *.conf and *.environment files replace the package's in the new etc/ (the package's *.schema stays); ${moves.length > 0 ? `${moves.join(", ")} move from ${ctx.prefix}/${ctx.from} to ${ctx.prefix}/${ctx.to}` : "no data directory moves"}. ` +
      `The package's own config files and empty dirs go to ${bk}.`,
    rollback:
      `${hostName} has LeoFS ${ctx.to} installed${moves.length > 0 ? `, and ${moves.join(", ")} now live in ${ctx.prefix}/${ctx.to}` : ""}; the ${ctx.from} configuration is saved in ${bk}. ` +
      `Way back: with the node(s) stopped, move ${moves.length > 0 ? moves.join(", ") : "nothing"} back to ${ctx.prefix}/${ctx.from}, reinstall the LeoFS ${ctx.from} package, check that ${ctx.cluster.leofs.installDir} points to ${ctx.prefix}/${ctx.from}, then start and resume.`,
    backups: nodes.map((n) => ({ host: hostName, path: `${bk}/${n.dir}-pkg-etc`, what: `the ${ctx.to} package's own config files of ${n.dir}, replaced by the saved ones` })),
  };
}

/** Seed 002: `chown -R leofs:leofs` of avs, cache, log, work, and the customized paths, before the new version starts. */
export function chownNodeDirs(ctx: UpgradePlanContext, hostName: string, nodes: readonly UpgradeNode[]): StepTemplate {
  const { paths } = ctx.cluster.leofs;
  const h = host(ctx.cluster, hostName);
  const defaults: string[] = [];
  const custom = new Set<string>();
  const place = (newDir: string, d: string) => (d.startsWith("/") ? hostPath(h, d) : `${newDir}/${d.replace(/^(\.\/)+/, "")}`);
  for (const n of nodes) {
    const newDir = versionPath(ctx.cluster, hostName, ctx.prefix, ctx.to, n.dir);
    const own = ["log", "work", ...(n.kind === "storage" ? ["avs"] : []), ...(n.kind === "gateway" ? ["cache"] : [])];
    defaults.push(...own.map((d) => `${newDir}/${d}`));
    const customs = [...paths.logDirs, ...paths.workDirs, ...(n.kind === "storage" ? paths.avsDirs : []), ...(n.kind === "gateway" ? paths.cacheDirs : [])];
    for (const d of customs) custom.add(place(newDir, d));
  }
  const strict = [...custom];
  const command =
    sh`for d in ${defaults}; do if [ -e "$d" ]; then chown -R leofs:leofs "$d" || exit 1; fi; done` + (strict.length > 0 ? sh` && chown -R leofs:leofs ${strict}` : "");
  return {
    id: `chown-${slug(hostName)}`,
    title: `Give the node directories on ${hostName} to the leofs user`,
    kind: "exec",
    cite: `${SEED_MIGRATE} (chown -R leofs:leofs …/avs, …/cache, …/log, …/work); seed 002 "Running LeoFS with customized paths"`,
    note: "The package's default directories are changed where they exist; customized paths from the inventory must exist (a missing one stops the run).",
    idempotent: true,
    targets: [{ host: hostName, command }],
  };
}

/** Seed 002 "Remove Unnecessary Directories": the launch scripts' old pipe dir, which a root-run earlier version left unusable for leofs. */
export function removeLaunchTempDir(ctx: UpgradePlanContext, hostName: string): StepTemplate {
  const dir = hostPath(host(ctx.cluster, hostName), ctx.cluster.leofs.paths.launchTempDir);
  return {
    id: `remove-launch-temp-${slug(hostName)}`,
    title: `Remove the launch scripts' temporary directory ${dir} on ${hostName}`,
    kind: "exec",
    cite: "seed 002 \"Remove Unnecessary Directories\" (`rm -rf /tmp/usr`)",
    destructive: true,
    idempotent: true,
    targets: [{ host: hostName, command: sh`rm -rf ${dir}` }],
    approvalDetail: `Deletes ${dir} on ${hostName} (pipes of stopped nodes only: every LeoFS node on this host is down).`,
  };
}
