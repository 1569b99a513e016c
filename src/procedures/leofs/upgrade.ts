import { z } from "zod";
import type { LeofsCluster } from "../../config";
import type { ProcedureDefinition, StepTemplate } from "../model/procedure-definition";
import type { Expectation, LeofsStatusCondition } from "../model/step";
import { ParamError, PreconditionError, type FieldProblem } from "../procedure-errors";
import { hostPath, sh } from "../sh";
import { checkEpmd, checkEpmdSocket, killEpmd, recoverEpmdSocket } from "./epmd-steps";
import { READY } from "./launch";
import { ERLANG_NODE, host, leofsAdm, slug, WAIT_READY_TIMEOUT_MS } from "./leofs-layout";
import { LEOFS_ADM_OK, statusCheck, waitForStatus } from "./manager-steps";
import { backupConfig, checkCurrentLink, chownNodeDirs, installPackage, migrateNodeFiles, removeLaunchTempDir, type UpgradePlanContext } from "./upgrade-host-steps";
import { rollingOrder, startOrder, upgradeUnits, versionPrefix, type UpgradeNode, type UpgradeUnit } from "./upgrade-units";

const ID = "leofs.upgrade";
const VERSION = /^\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export const upgradeParams = z
  .object({
    /** `all` (rolling, reference §3) or one node name from the inventory. */
    target: z
      .string()
      .max(255)
      .refine((t) => t === "all" || ERLANG_NODE.test(t), "write all, or a node name as name@host, e.g. storage_0@10.0.0.104"),
    version: z.string().regex(VERSION, "write the new version as three numbers, e.g. 1.4.4"),
    /**
     * Package file name in the inventory's `packageDir`. Default:
     * `leofs_<version>-1_ubuntu-18.04_amd64.deb` on deb hosts and
     * `leofs-<version>-1.el7.x86_64.rpm` on rpm hosts (the 1.4 release names).
     */
    package: z
      .string()
      .max(200)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._+~-]*\.(deb|rpm)$/, "write a file name in the inventory's packageDir (no directory), ending in .deb or .rpm")
      .optional(),
  })
  .strict();

export type UpgradeParams = z.infer<typeof upgradeParams>;

const status = (condition: LeofsStatusCondition): Expectation => ({ type: "all", of: [LEOFS_ADM_OK, { type: "leofs-status", condition }] });

/** Seed 002 (package migration) + reference §3 rolling upgrade and §4. */
export const upgrade: ProcedureDefinition<UpgradeParams, LeofsCluster> = {
  id: ID,
  kind: "leofs",
  title: "Upgrade LeoFS (rolling)",
  summary:
    "Host by host in rolling order (slave, master, gateways, storage with suspend/resume): stop, save the configuration, clear epmd, install the package, carry configuration and data into the new tree, chown, start and verify.",
  seed: "seed 002 \"System Migration\"; reference §3 rolling upgrade, §4",
  params: upgradeParams,
  build: ({ cluster, clusterName, params, now }) => {
    const prefix = versionPrefix(cluster);
    const packageDir = cluster.leofs.packageDir;
    const reasons: string[] = [];
    if (prefix === undefined) reasons.push(`installDir ${cluster.leofs.installDir} is not a package layout (<prefix>/current): the upgrade relies on the package's version tree and \`current\` link`);
    if (packageDir === undefined) reasons.push("the inventory sets no leofs.packageDir (where the packages are staged on each host)");
    const tmpDepth = cluster.leofs.paths.launchTempDir.split("/").filter((p) => p !== "" && p !== ".").length;
    if (tmpDepth < 2) reasons.push(`paths.launchTempDir ${cluster.leofs.paths.launchTempDir} is too shallow to remove with rm -rf (seed 002 removes /tmp/usr)`);
    if (prefix === undefined || packageDir === undefined || reasons.length > 0) throw new PreconditionError(ID, clusterName, reasons);

    const target = resolveTarget(cluster, params);
    const units = upgradeUnits(cluster, target);
    const hosts = units.flatMap((u) => u.hosts);
    checkPackage(cluster, params, hosts);

    const ctx: UpgradePlanContext = {
      cluster,
      prefix,
      from: cluster.leofs.version,
      to: params.version,
      now,
      packageFile: (h) => hostPath(host(cluster, h), `${packageDir.replace(/\/+$/, "")}/${params.package ?? defaultPackage(cluster, h, params.version)}`),
    };
    const steps: StepTemplate[] = [...preflight(ctx, hosts)];
    for (const unit of units) steps.push(...unitSteps(ctx, unit, target));
    steps.push(
      waitForStatus(
        cluster,
        "verify-status",
        "Wait until every node runs on one ring",
        {
          type: "all",
          of: [status({ kind: "all-in-state", nodeType: "any", states: ["running"] }), { type: "leofs-status", condition: { kind: "rings-consistent" } }],
        },
        "reference §3 rolling upgrade step 4 (wait for running) and consistency checks",
      ),
      {
        id: "verify-versions",
        title: `Check that every upgraded node reports ${ctx.to}`,
        kind: "check",
        cite: "reference §0 (verify with `leofs-adm version all`, the only output that lists the managers); leo-project/leofs 1.4.4 leo_manager_console.erl version_all/1 asks each node by rpc",
        note: "`current` pointing at the new tree proves the install, not what the running VMs are: each node is asked for its version.",
        targets: [leofsAdm(cluster, "master", "version", "all")],
        expect: { type: "all", of: [LEOFS_ADM_OK, { type: "leofs-versions", nodes: units.flatMap((u) => u.nodes.map((n) => n.node)), version: ctx.to }] },
      },
    );
    return steps;
  },
};

function resolveTarget(cluster: LeofsCluster, params: UpgradeParams): UpgradeNode | "all" {
  const problems: FieldProblem[] = [];
  const from = cluster.leofs.version;
  if (compareVersions(params.version, from) <= 0) {
    problems.push({ field: "version", message: `${params.version} is not newer than ${from}, the version the inventory says ${cluster.name} runs; upgrades only go forward` });
  }
  let target: UpgradeNode | "all" = "all";
  if (params.target !== "all") {
    const nodes = rollingOrder(cluster);
    const found = nodes.find((n) => n.node === params.target);
    if (found === undefined) problems.push({ field: "target", message: `${params.target} is not a node of ${cluster.name}; write all or one of: ${nodes.map((n) => n.node).join(", ")}` });
    else target = found;
  }
  if (problems.length > 0) throw new ParamError(ID, problems);
  return target;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function defaultPackage(cluster: LeofsCluster, hostName: string, version: string): string {
  return host(cluster, hostName).os === "rpm" ? `leofs-${version}-1.el7.x86_64.rpm` : `leofs_${version}-1_ubuntu-18.04_amd64.deb`;
}

/** An explicit package must fit every host it is installed on, and name the version asked for. */
function checkPackage(cluster: LeofsCluster, params: UpgradeParams, hosts: readonly string[]): void {
  const pkg = params.package;
  if (pkg === undefined) return;
  const families = [...new Set(hosts.map((h) => host(cluster, h).os ?? "deb"))];
  const problems: FieldProblem[] = [];
  if (families.length > 1) {
    problems.push({ field: "package", message: `the hosts to upgrade use both deb and rpm (${hosts.join(", ")}); leave package out to use each family's default name, or upgrade node by node` });
  } else {
    const family = families[0] ?? "deb";
    const expected = family === "rpm" ? `leofs-${params.version}-` : `leofs_${params.version}-`;
    if (!pkg.endsWith(`.${family}`) || !pkg.startsWith(expected)) {
      problems.push({ field: "package", message: `${pkg} does not fit ${family} hosts and version ${params.version}: write a name like ${expected}<release>….${family}` });
    }
  }
  if (problems.length > 0) throw new ParamError(ID, problems);
}

function preflight(ctx: UpgradePlanContext, hosts: readonly string[]): StepTemplate[] {
  const rpmHosts = hosts.filter((h) => host(ctx.cluster, h).os === "rpm");
  const steps: StepTemplate[] = [
    statusCheck(ctx.cluster, "master", "preflight-status", "Cluster status before the upgrade", LEOFS_ADM_OK, "reference §3 consistency checks; §1 (`[ERROR]` with exit 0)", "Kept in the run record as the before picture."),
    checkCurrentLink(ctx, hosts, ctx.from, "check-installed-version", `Check that ${ctx.prefix}/current points to ${ctx.from} on every host to upgrade`, "reference §2 layout (`current -> <ver>` since 1.3.8); seed 002 (1.3.8+ packages)"),
    {
      id: "check-packages",
      title: "Check that the package is staged on every host to upgrade",
      kind: "check",
      cite: "seed 002 (\"Upgrade to new package version\")",
      note: "Checked before any node stops, so a missing package never leaves a node down.",
      targets: hosts.map((h) => ({ host: h, command: sh`test -s ${ctx.packageFile(h)} && ls -l ${ctx.packageFile(h)}` })),
    },
  ];
  if (rpmHosts.length > 0) {
    steps.push({
      id: "check-rpm-single-version",
      title: "Check that at most one leofs package version is installed on the rpm hosts",
      kind: "check",
      cite: "seed 002 (\"For EL7, execute rpm -q leofs and make sure that no more than single version of package is installed\")",
      note: "Seed order puts it right before the install; it is read-only, so it runs before any node stops.",
      targets: rpmHosts.map((h) => ({ host: h, command: "out=$(rpm -q leofs); printf '%s\\n' \"$out\"; test \"$(printf '%s\\n' \"$out\" | grep -c '^leofs-')\" -le 1" })),
    });
  }
  return steps;
}

function unitSteps(ctx: UpgradePlanContext, unit: UpgradeUnit, target: UpgradeNode | "all"): StepTemplate[] {
  const { cluster } = ctx;
  const steps: StepTemplate[] = [];
  const storage = unit.nodes.filter((n) => n.kind === "storage");
  const together =
    unit.nodes.length > 1
      ? `The package is per host: ${unit.nodes.map((n) => n.node).join(", ")} on ${unit.hosts.join(", ")} go down and come back together.`
      : undefined;

  for (const n of storage) {
    steps.push(
      statusCheck(cluster, "master", `check-suspend-allowed-${slug(n.node)}`, `Check that ${n.node} can be suspended`, status({ kind: "operation-allowed", operation: "suspend", node: n.node }), "reference §1 node states (only a running node can be suspended)"),
      {
        id: `suspend-${slug(n.node)}`,
        title: `Suspend ${n.node}`,
        kind: "exec",
        cite: "reference §3 rolling upgrade step 4 (storage: `suspend` → stop → start the new one → `resume`)",
        destructive: true,
        targets: [leofsAdm(cluster, "master", "suspend", n.node)],
        expect: LEOFS_ADM_OK,
        approvalDetail: `${n.node} stops serving requests until it is resumed on ${ctx.to}; the other replicas serve its data.`,
      },
      waitForStatus(cluster, `wait-suspended-${slug(n.node)}`, `Wait until ${n.node} is suspended`, status({ kind: "nodes-in-state", nodes: [n.node], states: ["suspend"] }), "reference §1 node states"),
    );
  }
  for (const n of unit.nodes) {
    steps.push({
      id: `stop-${slug(n.node)}`,
      title: `Stop ${n.node} (${n.kind}) on ${n.host}`,
      kind: "exec",
      cite: `reference §3 rolling upgrade step ${n.kind.startsWith("manager") ? "2 (stop manager_1 (slave), then manager_0 (master))" : n.kind === "gateway" ? "3 (gateways one at a time: stop)" : "4 (storage: suspend → stop)"}; seed 002 ("Stop currently running LeoFS node")`,
      ...(together !== undefined && n === unit.nodes[0] ? { note: together } : {}),
      destructive: true,
      targets: [{ host: n.host, command: n.control.stop }],
      approvalDetail: stopDetail(n, ctx, target),
    });
  }
  steps.push({
    id: `check-stopped-${slug(unit.hosts[0] ?? "unit")}`,
    title: `Check that ${unit.nodes.map((n) => n.node).join(", ")} ${unit.nodes.length > 1 ? "are" : "is"} down`,
    kind: "check",
    cite: "reference §2 `ping` (exit 1 when down); seed 002 (never touch epmd while a LeoFS node runs)",
    targets: unit.hosts.map((h) => ({
      host: h,
      command: unit.nodes
        .filter((n) => n.host === h)
        // Exit 1 exactly (nodetool's `Cannot connect Node`): a missing script
        // (127) or, under systemd, a unit still up or restarting (2) fails.
        .map((n) => `{ ${n.control.downProbe}; [ $? -eq 1 ]; }`)
        .join(" && "),
    })),
    expect: { type: "all", of: [{ type: "exit-zero" }, { type: "stdout-excludes", text: "pong" }] },
  });
  for (const h of unit.hosts) {
    const onHost = unit.nodes.filter((n) => n.host === h);
    steps.push(
      backupConfig(ctx, h, onHost),
      checkEpmd(h),
      killEpmd(h, onHost),
      installPackage(ctx, h, onHost),
      checkCurrentLink(ctx, [h], ctx.to, `check-new-version-${slug(h)}`, `Check that ${ctx.prefix}/current points to ${ctx.to} on ${h}`, "reference §2 layout (the package flips `current`)"),
      migrateNodeFiles(ctx, h, onHost),
      chownNodeDirs(ctx, h, onHost),
      removeLaunchTempDir(ctx, h),
      checkEpmdSocket(h),
      recoverEpmdSocket(h, onHost),
    );
  }
  for (const n of startOrder(unit.nodes)) {
    steps.push(
      {
        id: `start-${slug(n.node)}`,
        title: `Start ${n.node} on ${ctx.to}`,
        kind: "exec",
        cite: "reference §3 rolling upgrade (start the new one; managers: master, then slave); seed 002 \"Re-launch the System\"",
        note: "`ping || start`: a Retry after a partial failure must not trip over a node already up (`Node is already running!`, exit 1; reference §2).",
        idempotent: true,
        targets: [{ host: n.host, command: n.control.start }],
      },
      {
        id: `wait-ready-${slug(n.node)}`,
        title: `Wait until ${n.node} is ready, starting it again if it is down`,
        kind: "exec",
        cite: "reference §2 `wait_ready` (official packaging runs `start` then `wait_ready`; `start` exits 0 even if the VM dies while booting)",
        note: "Starts the node again when it is down, so a Retry after it died while booting restarts it.",
        idempotent: true,
        targets: [{ host: n.host, command: n.control.startAndWaitReady }],
        timeoutMs: WAIT_READY_TIMEOUT_MS,
        expect: READY,
      },
    );
  }
  steps.push(...verifyUnit(ctx, unit));
  return steps;
}

function stopDetail(n: UpgradeNode, ctx: UpgradePlanContext, target: UpgradeNode | "all"): string {
  const extra = target !== "all" && target.node !== n.node ? ` It shares ${n.host} with ${target.node}, whose package upgrade replaces its version tree too.` : "";
  if (n.kind.startsWith("manager")) return `Stops ${n.node} on ${n.host} until it starts again on ${ctx.to}.${extra}`;
  return `Stops ${n.node} on ${n.host}; it starts again on ${ctx.to} in this run.${extra}`;
}

function verifyUnit(ctx: UpgradePlanContext, unit: UpgradeUnit): StepTemplate[] {
  const { cluster } = ctx;
  const steps: StepTemplate[] = [];
  if (unit.nodes.some((n) => n.kind.startsWith("manager"))) {
    steps.push(statusCheck(cluster, "master", `check-status-${slug(unit.hosts[0] ?? "unit")}`, "Check that the managers answer without error", LEOFS_ADM_OK, "reference §3 rolling upgrade step 2 (new managers started); §1 (`[ERROR]` with exit 0)"));
  }
  for (const n of unit.nodes) {
    if (n.kind === "storage") {
      steps.push({
        id: `resume-${slug(n.node)}`,
        title: `Resume ${n.node}`,
        kind: "exec",
        cite: "reference §3 rolling upgrade step 4 (`resume` → wait for `running`); §1 (resume accepts suspend and restarted)",
        targets: [leofsAdm(cluster, "master", "resume", n.node)],
        expect: LEOFS_ADM_OK,
      });
    }
    if (n.kind === "storage" || n.kind === "gateway") {
      steps.push(
        waitForStatus(cluster, `wait-running-${slug(n.node)}`, `Wait until ${n.node} is running`, status({ kind: "nodes-in-state", nodes: [n.node], states: ["running"] }), `reference §3 rolling upgrade step ${n.kind === "gateway" ? "3 (→ running)" : "4 (wait for running)"}`),
      );
    }
  }
  return steps;
}

