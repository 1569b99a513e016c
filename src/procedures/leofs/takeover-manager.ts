import { z } from "zod";
import type { LeofsCluster } from "../../config";
import type { ProcedureDefinition, StepTemplate } from "../model/procedure-definition";
import type { PlannedTarget } from "../model/step";
import { ParamError } from "../procedure-errors";
import { sh } from "../sh";
import { moveIntoBackup } from "./move-into-backup";
import { backupPath, ERLANG_NODE, installPath, leofsAdmAt, manager, otherRole, roleLabel, slug, WAIT_READY_TIMEOUT_MS, type ManagerRole } from "./leofs-layout";
import { READY, startManagerPair } from "./launch";
import { setConfKeys } from "./manager-config-edit";
import { DOWN, LEOFS_ADM_OK, PONG } from "./manager-steps";
import { nodeControl, type NodeControl } from "./node-control";

const ID = "leofs.takeover-manager";
/** How long the new manager's console is given to show the tables before it is restarted. */
const NEW_TABLES_WAIT_S = 20;
const NO_TABLES = "new_manager_without_tables";
/** After a restart the tables are loaded before wait_ready passes; this only allows for a slow console. */
const NEW_TABLES_VERIFY_MS = 30_000;

export const takeoverManagerParams = z
  .object({
    /** The collapsed manager, replaced by a new node on another host. */
    replace: z.enum(["manager-master", "manager-slave"]),
    /** Inventory host name where the new manager runs (LeoFS already installed there). */
    newHost: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "write an inventory host name, e.g. leofs-m2"),
    /** Erlang node name of the new manager, e.g. `manager_2@10.0.0.107`. */
    newNode: z.string().max(255).regex(ERLANG_NODE, "write an Erlang node name as name@host, e.g. manager_2@10.0.0.107"),
  })
  .strict();

export type TakeoverManagerParams = z.infer<typeof takeoverManagerParams>;

const DUMP_NOTE =
  "Seed 000 Case 2 says `leofs-adm dump-mnesia-data`; in 1.4 that is a subcommand of the `leo_manager` launch script, not of leofs-adm (rel/common/launch.sh: " +
  "`nodetool rpc mnesia dump_to_textfile <path>`). It is used here, not `leofs-adm backup-mnesia`, because backup-mnesia checkpoints 11 tables and leaves out " +
  "leo_ring_cur/prv and leo_members_cur/prv (leo_manager_mnesia.erl backup/1, reference §0): a pair restored from it has no ring and no members. " +
  "OTP mnesia_text.erl dump_to_textfile/1 writes every local table but schema. nodetool is silent and exits 0 on success.";

const LOAD_NOTE =
  "Seed 000 Case 2 says `leofs-adm load-mnesia-data`; it is the launch script's `load-mnesia-data` (`nodetool rpc mnesia load_textfile <path>`). " +
  "OTP mnesia_text.erl load_textfile/1 prints `** Table <t> already exists on <node>, just entering data` per table and writes the records; nodetool exits 1 " +
  "on its {atomic,ok} answer as on a failure, so the step judges the per-table lines, and the next step compares the ring hash with the one read at the start of this run. " +
  "Run on the surviving manager's host, where the dump file is; Mnesia replicates the records to the new partner.";

interface ManagerAt {
  readonly role: ManagerRole;
  readonly host: string;
  readonly node: string;
  readonly dir: string;
  readonly consolePort: number;
}

/** Seed 000 Case 2: launch a new manager on another host instead of a collapsed one. */
export const takeoverManager: ProcedureDefinition<TakeoverManagerParams, LeofsCluster> = {
  id: ID,
  kind: "leofs",
  title: "Take over a collapsed LeoFS manager with a new node",
  summary:
    "Dump every Mnesia table (ring and members included) from the surviving manager, stop both managers, move their Mnesia aside, point manager.partner at each other, start both, load the dump and compare the ring hashes, then tell storage and gateways (update-managers) and write the pair into their confs.",
  seed: "seed 000 \"LeoManager's Maintenance\", Case 2 (takeover)",
  params: takeoverManagerParams,
  build: ({ cluster, params, now }) => {
    const replacedRole: ManagerRole = params.replace === "manager-master" ? "master" : "slave";
    const survivorRole = otherRole(replacedRole);
    const old = manager(cluster, replacedRole);
    const s: ManagerAt = { role: survivorRole, ...manager(cluster, survivorRole) };
    checkParams(cluster, params, s);
    const n: ManagerAt = { role: replacedRole, host: params.newHost, node: params.newNode, dir: old.dir, consolePort: old.consolePort };
    const master = replacedRole === "master" ? n : s;
    const slave = replacedRole === "slave" ? n : s;
    // The collapsed manager's host counts too: an admin host there must not be used (it may be gone).
    const managerHosts = [s.host, n.host, old.host];
    const adm = (m: ManagerAt, ...args: string[]): PlannedTarget => leofsAdmAt(cluster, m, managerHosts, ...args);
    const control = (m: ManagerAt): NodeControl => nodeControl(cluster, m.host, m.dir, m.node);
    const script = (m: ManagerAt): string => control(m).script;
    const oldControl = nodeControl(cluster, old.host, old.dir, old.node);
    const conf = (m: ManagerAt): string => installPath(cluster, m.host, `${m.dir}/etc/leo_manager.conf`);
    const mnesia = (m: ManagerAt): string => installPath(cluster, m.host, `${m.dir}/${cluster.leofs.paths.mnesiaSubdir.replace(/^\/+|\/+$/g, "")}`);
    const ping = (m: ManagerAt): PlannedTarget => ({ host: m.host, command: control(m).ping });
    const backupDir = (m: ManagerAt): string => backupPath(cluster, m.host, now, "takeover");
    const dumpDir = `${backupDir(s)}/mnesia-dump`;
    const dumpFile = `${dumpDir}/leo_manager.mnesia.txt`;
    const RING_HASH = "[0-9a-f]{8}";
    const survivorMnesiaBackup = `${backupDir(s)}/${roleLabel(s.role)}-mnesia`;
    const survivorConfBackup = `${backupDir(s)}/${roleLabel(s.role)}-etc/leo_manager.conf`;
    const sameHost = old.host === n.host;
    // Exits 0 only when m's console shows the ring hashes captured at the start of this run.
    const ringHashesAsBefore = (m: ManagerAt): PlannedTarget => ({
      host: adm(m, "status").host,
      command:
        `out=$(${adm(m, "status").command}); printf '%s\\n' "$out"; ` +
        `printf '%s\\n' "$out" | tr -d '\\r' | grep -Eq "^ *current ring-hash \\| "{{ring_cur_before}}" *$" && ` +
        `printf '%s\\n' "$out" | tr -d '\\r' | grep -Eq "^ *previous ring-hash \\| "{{ring_prev_before}}" *$"`,
    });
    const storage = cluster.leofs.storage.map((x) => x.node);
    const gateways = cluster.leofs.gateways;

    const steps: StepTemplate[] = [
      {
        id: "preflight-status",
        title: `Cluster status through ${roleLabel(survivorRole)}'s console`,
        kind: "check",
        cite: "seed 000 Case 2 (before the takeover); reference §1 transport (options before the command)",
        note: `Asked of the surviving ${roleLabel(survivorRole)}; kept in the run record as the before picture. Its ring hashes are compared with the ones after the load (issue 11 point 1).`,
        targets: [adm(s, "status")],
        expect: LEOFS_ADM_OK,
        captures: [
          { name: "ring_cur_before", pattern: `^\\s*current ring-hash \\| (${RING_HASH})\\s*$`, valuePattern: RING_HASH },
          { name: "ring_prev_before", pattern: `^\\s*previous ring-hash \\| (${RING_HASH})\\s*$`, valuePattern: RING_HASH },
        ],
      },
      {
        id: "check-gateways-running",
        title: "Check that every registered gateway runs (update-managers needs each one to answer)",
        kind: "check",
        cite:
          "reference §0 (`update-managers` errors on any unreachable gateway); leo-project/leofs 1.4.4 apps/leo_manager/src/leo_manager_api.erl update_manager_nodes/2: RPC to every gateway of leo_manager_mnesia:get_gateway_nodes_all(), stopped ones included; " +
          "a gateway that does not answer makes the console crash with no reply (leo_manager_formatter_text.erl error/1 gets a node list)",
        note:
          "Checked before anything stops, so a stopped gateway refuses the run instead of failing it after both managers were replaced. " +
          "Start the gateway, or remove it with `leofs-adm remove-gateway <node>` if it is gone for good, then start the run again.",
        targets: [adm(s, "status")],
        expect: { type: "all", of: [LEOFS_ADM_OK, { type: "leofs-status", condition: { kind: "all-in-state", nodeType: "G", states: ["running"] } }] },
      },
      {
        id: `ping-${roleLabel(survivorRole)}`,
        title: `Check that ${roleLabel(survivorRole)} (${s.node}) answers`,
        kind: "check",
        cite: "seed 000 Case 2 (the backup is taken from the surviving manager); reference §2 `ping`",
        targets: [ping(s)],
        expect: PONG,
      },
      {
        id: "check-new-host-install",
        title: `Check that LeoFS is installed for ${roleLabel(replacedRole)} on ${n.host}`,
        kind: "check",
        cite: "seed 000 Case 2 (\"Launch a new manager-master/slave\"); reference §2 layout (`<node>/etc/leo_manager.conf`, `bin/leo_manager`)",
        note: `Assumes the new host has the same LeoFS package (installDir ${cluster.leofs.installDir}) with ${n.dir}'s configuration; this run only sets nodename and manager.partner. With GLOBAL_CONFIG=yes (/etc/leofs) the files edited here are not the ones read: stop the run if so.`,
        targets: [{ host: n.host, command: sh`test -x ${script(n)} && test -f ${conf(n)} && ls -l ${conf(n)}` }],
      },
      {
        id: "prepare-mnesia-backup-dir",
        title: `Create ${dumpDir} on ${s.host}, writable by leofs`,
        kind: "exec",
        cite: "reference §1 (the manager writes the dump as the leofs user, so the directory must be writable by leofs; I#1156)",
        idempotent: true,
        targets: [{ host: s.host, command: sh`mkdir -p ${dumpDir} && chown leofs:leofs ${dumpDir}` }],
      },
      {
        id: "dump-mnesia",
        title: `Dump every Mnesia table of ${roleLabel(survivorRole)} (${s.node}), ring and members included, to a text file`,
        kind: "exec",
        cite: "seed 000 Case 2 (\"export the mnesia data at the surviving node\", `dump-mnesia-data`); reference §0 (backup-mnesia omits ring and members); rel/common/launch.sh `dump-mnesia-data`",
        note: DUMP_NOTE,
        targets: [{ host: s.host, command: sh`${script(s)} dump-mnesia-data ${dumpFile}` }],
        expect: { type: "exit-zero" },
        backups: [{ host: s.host, path: dumpFile, what: `every Mnesia table of ${s.node} (ring and members included), the source of the load` }],
      },
      {
        id: "verify-mnesia-dump",
        title: "Check that the dump file is not empty",
        kind: "check",
        cite: "seed 000 Case 2 (the dump is the only copy of the tables once Mnesia is moved aside)",
        targets: [{ host: s.host, command: sh`test -s ${dumpFile} && ls -l ${dumpFile}` }],
      },
      {
        id: `stop-old-${roleLabel(replacedRole)}`,
        title: `Stop the collapsed ${roleLabel(replacedRole)} (${old.node}) on ${old.host} if it still runs`,
        kind: "exec",
        cite: "seed 000 Case 2 (\"Stop both the manager-master and the manager-slave\"); reference §2 `stop`",
        note: `Exit 1 is accepted: the collapsed node is usually down. If ${old.host} is unreachable, skip this step${sameHost ? "" : `; ${old.node} must never start again with its old configuration (it would claim to be ${roleLabel(replacedRole)})`}.`,
        destructive: true,
        targets: [{ host: old.host, command: oldControl.stop }],
        expect: { type: "exit-code", codes: [...oldControl.stopCodesWhenMaybeDown] },
        approvalDetail: `Stops ${old.node} on ${old.host} (if it runs at all).`,
      },
      {
        id: `stop-${roleLabel(survivorRole)}`,
        title: `Stop ${roleLabel(survivorRole)} (${s.node})`,
        kind: "exec",
        cite: "seed 000 Case 2 (\"Stop both the manager-master and the manager-slave\"); reference §2 `stop`, §3 Case 2 step 2",
        destructive: true,
        targets: [{ host: s.host, command: control(s).stop }],
        approvalDetail: `Stops ${s.node} on ${s.host}: the LeoFS system has no manager until both are started again in this run; storage and gateways keep serving.`,
      },
      {
        id: "check-managers-stopped",
        title: `Check that ${s.node} and the node on ${n.host} are down`,
        kind: "check",
        cite: "seed 000 Case 2 (stop both); reference §2 `ping` (exit 1 when down)",
        note: "Nothing touches Mnesia or configuration while a manager runs.",
        targets: [s, n].map((m) => ({ host: m.host, command: control(m).downProbe })),
        expect: DOWN,
      },
      {
        ...moveMnesiaAside(s, mnesia(s), survivorMnesiaBackup, false),
        rollback:
          `No manager runs: ${s.node} is stopped and its Mnesia files are in ${survivorMnesiaBackup} on ${s.host}; the dump is ${s.host}:${dumpFile}. ` +
          `Way back: move the files back into ${mnesia(s)} and start ${s.node} alone (${control(s).manualStart}); nothing else has changed yet.`,
      },
      moveMnesiaAside(n, mnesia(n), `${backupDir(n)}/${roleLabel(n.role)}-mnesia`, true),
      {
        id: "show-manager-config",
        title: "Show the current nodename and manager.partner lines of both managers",
        kind: "check",
        cite: "seed 000 Case 2 (update `manager.partner`); reference §2 manager keys",
        note: "The lines printed here are the before side of the next two approvals.",
        targets: [s, n].map((m) => ({ host: m.host, command: sh`grep -nE ${"^[[:space:]]*(nodename|manager\\.partner)[[:space:]]*="} ${conf(m)}` })),
      },
      {
        id: `set-partner-${roleLabel(survivorRole)}`,
        title: `Point ${roleLabel(survivorRole)}'s manager.partner at ${n.node}`,
        kind: "exec",
        cite: "seed 000 Case 2 (\"Update the configuration of `manager.partner`\"); reference §2 manager keys, §3 Case 2 step 4",
        note: "`sed -i` is not used: the original goes to the run's backup dir once, the new file is written through a temporary file and checked with grep.",
        destructive: true,
        idempotent: true,
        targets: [{ host: s.host, command: setConfKeys(conf(s), `${backupDir(s)}/${roleLabel(s.role)}-etc`, "leo_manager.conf", [{ key: "manager.partner", value: n.node }]) }],
        approvalDetail: confDiff(s.host, conf(s), [["manager.partner", old.node, n.node]]),
        backups: [{ host: s.host, path: survivorConfBackup, what: `${s.node}'s leo_manager.conf before manager.partner changed` }],
        rollback:
          `${s.node}'s Mnesia files are in ${survivorMnesiaBackup} and its ${conf(s)} names ${n.node} as partner (original: ${survivorConfBackup}), both on ${s.host}; the managers may have been started since, on empty Mnesia. ` +
          `Way back: stop ${s.node} and ${n.node} if they run, copy ${survivorConfBackup} over ${conf(s)}, empty ${mnesia(s)} and move the files from ${survivorMnesiaBackup} back into it, and start ${s.node} alone.`,
      },
      {
        id: `set-config-new-${roleLabel(replacedRole)}`,
        title: `Set nodename ${n.node} and manager.partner ${s.node} on ${n.host}`,
        kind: "exec",
        cite: "seed 000 Case 2 (update `manager.partner` on both); reference §2 manager keys (`nodename`, `manager.partner`)",
        note: "The new node's own name is set too: the package default is manager_N@127.0.0.1.",
        destructive: true,
        idempotent: true,
        targets: [
          {
            host: n.host,
            command: setConfKeys(conf(n), `${backupDir(n)}/${roleLabel(n.role)}-etc`, "leo_manager.conf", [
              { key: "nodename", value: n.node },
              { key: "manager.partner", value: s.node },
            ]),
          },
        ],
        approvalDetail: confDiff(n.host, conf(n), [
          ["nodename", "(package value)", n.node],
          ["manager.partner", "(package value)", s.node],
        ]),
        backups: [{ host: n.host, path: `${backupDir(n)}/${roleLabel(n.role)}-etc/leo_manager.conf`, what: `the package's leo_manager.conf on ${n.host}, before nodename and manager.partner were set` }],
      },
      ...startManagerPair(
        { role: master.role, host: master.host, node: master.node, control: control(master) },
        { role: slave.role, host: slave.host, node: slave.node, control: control(slave) },
        "seed 000 Case 2 (\"Restart both manager-master and manager-slave\")",
      ),
      {
        id: "wait-manager-tables",
        title: `Wait until ${roleLabel(survivorRole)}'s console answers status without error (its tables exist)`,
        kind: "wait",
        cite:
          "reference §0 (on empty Mnesia the tables come after `ready`); leo-project/leofs 1.4.4 apps/leo_manager/src/leo_manager_sup.erl init/1 and create_mnesia_tables/2 " +
          "(no *.DCD: tables created on a 3 s timer once the partner answers ping; until then `[ERROR] Mnesia is not available`, leo_redundant_manager leo_cluster_tbl_conf:get/0)",
        note: "Both managers started on empty Mnesia, and `wait_ready` passes before their tables exist: a load in that window would meet no tables.",
        targets: [adm(s, "status")],
        wait: { delayMs: 120_000, poll: { intervalMs: 1_000, expect: LEOFS_ADM_OK } },
      },
      {
        id: "load-mnesia",
        title: `Load the dump into the new pair through ${roleLabel(survivorRole)} (${s.node})`,
        kind: "exec",
        cite: "seed 000 Case 2 (\"Import the mnesia-data from the back-up file\", `load-mnesia-data`); reference §3 Case 2 step 6; rel/common/launch.sh `load-mnesia-data`",
        note: LOAD_NOTE,
        destructive: true,
        targets: [{ host: s.host, command: `echo ring hashes at the start of this run: {{ring_cur_before}} {{ring_prev_before}}; ${sh`${script(s)} load-mnesia-data ${dumpFile}`}` }],
        expect: {
          type: "all",
          of: [
            { type: "exit-code", codes: [0, 1] },
            { type: "stdout-matches", pattern: "^\\*\\* Table leo_ring_cur already exists on .*, just entering data\\r?$", flags: "m" },
            { type: "stdout-matches", pattern: "^\\*\\* Table leo_members_cur already exists on .*, just entering data\\r?$", flags: "m" },
            { type: "stdout-excludes", text: "Failed to create table" },
          ],
        },
        approvalDetail:
          `Enters every table of ${s.host}:${dumpFile} (taken at the start of this run, ring and members included) into ${master.node} and ${slave.node}. ` +
          "The next step compares the ring hashes in status with the ones read at the start (shown in the command).",
        rollback:
          `${master.node} and ${slave.node} run as the new pair with the dump loaded; storage nodes and gateways still use the old pair. ` +
          `Way back: stop both, copy ${survivorConfBackup} over ${conf(s)} on ${s.host}, empty ${mnesia(s)} and move ${survivorMnesiaBackup} back into it, stop ${n.node} for good, and start ${s.node} alone.`,
      },
      {
        id: "compare-ring-hashes",
        title: "Check that the ring hashes are the ones read at the start of this run",
        kind: "check",
        cite: "issue 11 point 1; reference §3 consistency checks (status ring hashes); the takeover must not change the ring",
        note: "A different or empty hash means the ring did not come over: storage nodes would be told another ring. Stop here and load the dump again by hand.",
        targets: [ringHashesAsBefore(s)],
        expect: { type: "all", of: [LEOFS_ADM_OK] },
      },
      {
        id: `wait-new-${roleLabel(replacedRole)}-tables`,
        title: `Wait up to ${NEW_TABLES_WAIT_S} s until the new ${roleLabel(replacedRole)}'s console (${n.node}) shows the same ring hashes`,
        kind: "exec",
        cite:
          "seed 000 Case 2 (the new node must hold the tables); leo-project/leofs 1.4.4 apps/leo_manager/src/leo_manager_sup.erl create_mnesia_tables/2 and create_mnesia_tables_2/1 " +
          "(the master creates the schema and the tables on both nodes once its partner answers ping; the slave, on its 3 s timer, lists the tables and waits for them 180 s, then init:stop()); " +
          "leo_redundant_manager leo_cluster_tbl_conf:get/0 (a console whose node has no tables answers `[ERROR] Mnesia is not available`)",
        note:
          `The steps before read the tables through ${s.node}'s console only, and a new node that holds none still answers ping and wait_ready, so this asks its own console. ` +
          "Never fails on time: when the ring hashes are not there, it says so and the next step restarts the new node. " +
          "Seen with OTP mnesia 4.21 (erlang/otp lib/mnesia/src/mnesia_controller.erl wait_for_tables_init/3, handle_sync_tabs/2): when the slave's timer fires while the master is still creating the tables, " +
          "mnesia:wait_for_tables/2 waits for a table that is then created and loaded, but is never told, and the slave sits without its tables until the 180 s timeout stops its VM.",
        idempotent: true,
        timeoutMs: (NEW_TABLES_WAIT_S + 60) * 1000,
        targets: [
          {
            host: ringHashesAsBefore(n).host,
            command:
              `seen() { ${ringHashesAsBefore(n).command} ; }; i=0; while [ $i -lt ${NEW_TABLES_WAIT_S} ]; do out=$(seen) && { printf '%s\\n' "$out"; exit 0; }; i=$((i + 1)); sleep 1; done; ` +
              `printf '%s\\n' "$out"; echo ${sh`tables not loaded on ${n.node} after ${String(NEW_TABLES_WAIT_S)} s`}`,
          },
        ],
        expect: { type: "exit-zero" },
        captures: [{ name: NO_TABLES, pattern: `^tables not loaded on (\\S+) after ${NEW_TABLES_WAIT_S} s$`, valuePattern: ERLANG_NODE.source.replace(/^\^|\$$/g, "") }],
      },
      {
        id: `restart-new-${roleLabel(replacedRole)}`,
        title: `Restart the new ${roleLabel(replacedRole)} (${n.node}) on ${n.host}, which did not load its tables`,
        kind: "exec",
        cite:
          "leo-project/leofs 1.4.4 apps/leo_manager/src/leo_manager_sup.erl start_link/0 (with *.DCD files in its Mnesia directory a manager loads its tables before it is ready: create_mnesia_tables_2/2 at boot); rel/common/launch.sh `stop` (returns once the beam process is gone); reference §2 `stop`, `start`, `wait_ready`",
        note:
          "Skipped when the new node showed the ring hashes. Nothing uses the new node yet (storage nodes and gateways are told in update-managers, after this), and its partner holds every table: " +
          "after the master created the schema and the tables on both nodes, the new node's Mnesia directory holds them, so at its next boot it loads them from its partner before it answers wait_ready.",
        destructive: true,
        idempotent: true,
        runIf: { anyCapture: [NO_TABLES], reason: `${n.node} showed the ring hashes` },
        timeoutMs: WAIT_READY_TIMEOUT_MS,
        targets: [{ host: n.host, command: `${control(n).stop}; ${control(n).startAndWaitReady}` }],
        expect: READY,
        approvalDetail: `Stops and starts ${n.node} on ${n.host}: it runs, answers ping, but its console shows no tables. Nothing uses it yet; ${s.node} keeps serving.`,
      },
      {
        id: `verify-new-${roleLabel(replacedRole)}-tables`,
        title: `Check that the new ${roleLabel(replacedRole)}'s console (${n.node}) shows the same ring hashes`,
        kind: "wait",
        cite: "seed 000 Case 2 (the new node must hold the tables); leo_redundant_manager leo_cluster_tbl_conf:get/0 (`[ERROR] Mnesia is not available` without tables)",
        note:
          `Fails when even a fresh boot gave ${n.node} no tables: it runs on a schema of its own (its Mnesia directory was emptied after the master created the schema), and the master creates one only at its own first boot. ` +
          `Way forward: stop ${n.node}, move its Mnesia aside and start a new takeover run, which starts both managers on empty Mnesia again; storage nodes and gateways were not told about the new pair yet.`,
        targets: [ringHashesAsBefore(n)],
        wait: { delayMs: NEW_TABLES_VERIFY_MS, poll: { intervalMs: 1_000, expect: LEOFS_ADM_OK } },
      },
      {
        id: "update-managers",
        title: `Tell storage nodes and gateways the new manager pair (${master.node}, ${slave.node})`,
        kind: "exec",
        cite: "seed 000 Case 2 (`leofs-adm update-managers <master> <slave>` → OK); reference §1 (RPC to every running storage node and gateway), §3 Case 2 step 7",
        note:
          "Sent to the master's console, the seed's default port. leo_manager_api.erl update_manager_nodes/1,2: running storage nodes first; if one fails the answer is `[ERROR] Could not update manager(s)` and the gateways are skipped; " +
          "then every registered gateway; no gateway at all answers `[ERROR] not_found` after the storage nodes were updated" +
          (gateways.length === 0 ? " (this cluster has none, so that answer is the success)" : "") +
          "; an unreachable gateway leaves no answer at all. It changes only the running nodes: the next step rewrites their conf files. " +
          `Update the inventory (managers.${replacedRole}) after this run.`,
        destructive: true,
        targets: [adm(master, "update-managers", master.node, slave.node)],
        expect:
          gateways.length === 0
            ? { type: "stdout-matches", pattern: "^\\[ERROR\\] not_found\\r?$", flags: "m" }
            : { type: "all", of: [LEOFS_ADM_OK, { type: "stdout-matches", pattern: "^OK\\r?$", flags: "m" }] },
        approvalDetail: `Every running storage node and gateway drops ${old.node} and uses ${master.node} (master) and ${slave.node} (slave).`,
        rollback:
          `Storage nodes and gateways now talk to ${master.node} and ${slave.node}; their conf files still name the old pair until the next step. ` +
          `Going back now means re-pointing them too: finish forward (fix, then Retry) unless the old pair can run again, then \`leofs-adm update-managers\` with the old pair.`,
      },
      setManagersLines(cluster, now, [master.node, slave.node], [manager(cluster, "master").node, manager(cluster, "slave").node]),
      {
        id: "verify-managers-answer",
        title: "Check that both managers answer",
        kind: "check",
        cite: "seed 000 Case 2 (restart both); reference §2 `ping`",
        targets: [ping(master), ping(slave)],
        expect: PONG,
      },
      {
        id: "verify-status",
        title: "Wait until the status shows no error and every storage node running",
        kind: "wait",
        cite: "reference §1 (`[ERROR]` with exit 0; status node table); §3 consistency checks",
        targets: [adm(master, "status")],
        wait: {
          delayMs: 180_000,
          poll: {
            intervalMs: 5_000,
            expect: {
              type: "all",
              of: [
                LEOFS_ADM_OK,
                { type: "leofs-status", condition: { kind: "nodes-in-state", nodes: storage, states: ["running"] } },
                { type: "leofs-status", condition: { kind: "rings-consistent" } },
              ],
            },
          },
        },
      },
    ];
    return steps;
  },
};

function checkParams(cluster: LeofsCluster, params: TakeoverManagerParams, survivor: ManagerAt): void {
  const problems: { field: string; message: string }[] = [];
  const hosts = Object.keys(cluster.hosts);
  if (cluster.hosts[params.newHost] === undefined) {
    problems.push({ field: "newHost", message: `${params.newHost} is not a host of ${cluster.name}; add it to the inventory first, or write one of: ${hosts.join(", ")}` });
  } else if (params.newHost === survivor.host) {
    problems.push({ field: "newHost", message: `${params.newHost} runs the surviving ${roleLabel(survivor.role)}; the new manager needs another host` });
  }
  if (params.newNode === survivor.node) {
    problems.push({ field: "newNode", message: `${params.newNode} is the surviving ${roleLabel(survivor.role)}; write the new manager's own node name` });
  }
  const taken = [...cluster.leofs.storage, ...cluster.leofs.gateways].find((x) => x.node === params.newNode);
  if (taken !== undefined) problems.push({ field: "newNode", message: `${params.newNode} is already a storage node or gateway of ${cluster.name}` });
  if (problems.length > 0) throw new ParamError(ID, problems);
}

function moveMnesiaAside(m: ManagerAt, dir: string, backup: string, mayBeEmpty: boolean): StepTemplate {
  return {
    id: `move-aside-${mayBeEmpty ? "new-" : ""}${roleLabel(m.role)}-mnesia`,
    title: `Move ${mayBeEmpty ? "the new " : ""}${roleLabel(m.role)}'s Mnesia files aside to ${backup}`,
    kind: "exec",
    cite: "seed 000 Case 2 (\"Move mnesia-files … to another directory (backup)\"); reference §3 Case 2 step 3",
    note:
      (mayBeEmpty
        ? "A fresh install may have no Mnesia files yet; anything there would hold a schema naming other nodes, so it goes aside too."
        : "The old schema names the collapsed partner; the tables come back from the Mnesia dump after the restart. An empty directory is refused: there would be nothing to fall back to.") +
      " A Retry finds the set already moved and says so (issue 11 point 12).",
    destructive: true,
    idempotent: true,
    targets: [{ host: m.host, command: moveIntoBackup(dir, backup, mayBeEmpty ? "record-empty" : "refuse") }],
    approvalDetail: `Moves every file of ${dir} on ${m.host} into ${backup}; the tables come back from the Mnesia dump after the restart.`,
    backups: [{ host: m.host, path: backup, what: `${m.node}'s Mnesia files as they were (${mayBeEmpty ? "the new manager's, if any" : "the survivor's"})` }],
  };
}

/**
 * `update-managers` changes what the running nodes use, never their conf
 * (leo_storage_api / leo_gateway_api update_manager_nodes set the running
 * value only), so a restart would bring the collapsed manager back. The
 * `managers` key is parsed with string:tokens(Value, "[ , ]")
 * (apps/leo_storage/priv/leo_storage.schema, translation
 * "leo_storage.managers"), so `[a,b]` is read as `[a, b]`.
 */
function setManagersLines(cluster: LeofsCluster, now: Date, pair: readonly [string, string], before: readonly [string, string]): StepTemplate {
  const nodes = [
    ...cluster.leofs.storage.map((x) => ({ ...x, confName: "leo_storage.conf" })),
    ...cluster.leofs.gateways.map((x) => ({ ...x, confName: "leo_gateway.conf" })),
  ];
  const value = `[${pair.join(",")}]`;
  const confOf = (x: { host: string; dir: string; confName: string }): string => installPath(cluster, x.host, `${x.dir}/etc/${x.confName}`);
  return {
    id: "set-managers-lines",
    title: `Write the new manager pair into the managers line of every storage node's and gateway's conf`,
    kind: "exec",
    cite: "seed 000 Case 2 (the new pair must outlive a restart); reference §0 (`update-managers` never rewrites the `managers = [...]` line); leo_storage.schema translation \"leo_storage.managers\" (string:tokens on \"[ , ]\")",
    note: "Each original goes to the run's backup dir once; the new file is written through a temporary file and proven with grep. The running nodes already use the new pair (update-managers); this makes their next start agree.",
    destructive: true,
    idempotent: true,
    targets: nodes.map((x) => ({ host: x.host, command: setConfKeys(confOf(x), `${backupPath(cluster, x.host, now, "takeover")}/${slug(x.node)}-etc`, x.confName, [{ key: "managers", value }]) })),
    approvalDetail: nodes.map((x) => confDiff(x.host, confOf(x), [["managers", `[${before.join(", ")}]`, value]])).join("\n"),
    backups: nodes.map((x) => ({ host: x.host, path: `${backupPath(cluster, x.host, now, "takeover")}/${slug(x.node)}-etc/${x.confName}`, what: `${x.node}'s ${x.confName} before its managers line changed` })),
  };
}

function confDiff(hostName: string, conf: string, lines: readonly (readonly [string, string, string])[]): string {
  return [`${hostName}:${conf}`, ...lines.flatMap(([key, before, after]) => [`- ${key} = ${before}`, `+ ${key} = ${after}`])].join("\n");
}
