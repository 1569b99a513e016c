import { stringify } from "yaml";
import type { DiracBoxSpec } from "./dirac-sim-spec";

export interface DiracInventoryHost {
  readonly spec: DiracBoxSpec;
  readonly address: string;
  readonly port: number;
  /** The box's host root: every absolute path of the host lives under it. */
  readonly root: string;
}

export interface DiracInventoryOptions {
  readonly cluster: string;
  readonly channel: string;
  readonly setup: string;
  readonly waitBeforeAgents: string;
  /** dirac.agentPollingTime; unset: the inventory default (120 s, DIRAC's PollingTime). */
  readonly agentPollingTime?: string;
  readonly sshUser: string;
  readonly privateKeyPath: string;
  readonly knownHostsPath: string;
  readonly hosts: readonly DiracInventoryHost[];
  /** Slack user ids of the approval policy. @defaultValue anyone requests, U0SIMAPPROVER approves */
  readonly approval?: { readonly requesters?: readonly string[]; readonly approvers?: readonly string[] };
}

/**
 * An inventory in the project's format (config/inventory.example.yaml) with
 * one `kind: dirac` cluster whose hosts are the simulated boxes. Paths are
 * the production ones; each host's `root` maps them into the simulator.
 */
export function renderDiracInventory(options: DiracInventoryOptions): { readonly yaml: string; readonly document: unknown } {
  const boxes = options.hosts.map(({ spec }) => ({
    host: spec.name,
    roles: [...spec.roles],
    ...(spec.frameworkServer === true ? { frameworkServer: true } : {}),
    ...(spec.innodbJournal === true ? { innodbJournal: true } : {}),
  }));
  const document = {
    version: 1,
    defaults: {
      approval: {
        // Deny by default: without named requesters, the sim channel's members may request.
        requesters: options.approval?.requesters !== undefined ? { users: [...options.approval.requesters], userGroups: [] } : { channelMembers: true },
        approvers: { users: [...(options.approval?.approvers ?? ["U0SIMAPPROVER"])], userGroups: [] },
        minApprovals: 1,
        expiresAfter: "30m",
        mode: "per-step",
      },
      ssh: {
        user: options.sshUser,
        port: 22,
        privateKeyFile: options.privateKeyPath,
        knownHostsFile: options.knownHostsPath,
        connectTimeout: "10s",
      },
    },
    clusters: {
      [options.cluster]: {
        kind: "dirac",
        description: `Simulated DIRAC VOBOXes (${options.setup})`,
        channel: options.channel,
        dirac: {
          setup: options.setup,
          instanceRoot: "/opt/dirac",
          maintenance: { command: "sms", reason: "power stop" },
          mysqlServer: "/opt/dirac/pro/mysql/share/mysql/mysql.server",
          ...(options.hosts.some((h) => h.spec.innodbJournal === true)
            ? { innodbJournal: { from: "/opt/dirac/mysql/log", to: "/home/dirac/mysql-log" } }
            : {}),
          waitBeforeAgents: options.waitBeforeAgents,
          ...(options.agentPollingTime !== undefined ? { agentPollingTime: options.agentPollingTime } : {}),
          boxes,
        },
        hosts: Object.fromEntries(
          options.hosts.map((h) => [h.spec.name, { address: h.address, root: h.root, ssh: { port: h.port } }]),
        ),
      },
    },
  };
  return { yaml: stringify(document), document };
}
