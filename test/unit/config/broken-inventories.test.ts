import { InventoryError, parseInventory } from "../../../src/config";
import { BASE_INVENTORY, mutate } from "./inventory-fixture";

const FILE = "config/inventory.yaml";
const options = { inventoryFile: FILE, ssh: { privateKeyFile: "/k", knownHostsFile: "/kh" }, homeDir: "/home/op" };

type Edit = readonly [string, string];

/** Each case: what the operator got wrong, the edit to the valid base, and every line the error must say, in order. */
const CASES: readonly (readonly [string, readonly Edit[], readonly string[]])[] = [
  [
    "the manager slave has no host",
    [["slave: { host: m1, node", "slave: { node"]],
    [`${FILE}: clusters.prod.leofs.managers.slave.host: required`],
  ],
  [
    "a key is misspelt",
    [["slave: { host: m1", "slave: { hots: m1"]],
    [
      `${FILE}: clusters.prod.leofs.managers.slave.host: required`,
      `${FILE}:15:18 clusters.prod.leofs.managers.slave.hots: unknown key (did you mean "host"?)`,
    ],
  ],
  [
    "an unknown key has no close match",
    [["10.0.0.5, os: deb", "10.0.0.5, os: deb, zone: a"]],
    [`${FILE}:26:41 clusters.prod.hosts.g0.zone: unknown key (expected one of: address, os, root, ssh, service)`],
  ],
  [
    "under systemd a node's dir has no unit in the packages (issue 11 point 5)",
    [
      ["version: 1.4.3\n", "version: 1.4.3\n      service: systemd\n"],
      ["- { host: s1, node: storage_1@10.0.0.4 }", "- { host: s1, node: storage_1@10.0.0.4, dir: leo_storage_2 }"],
    ],
    [
      `${FILE}:19:54 clusters.prod.leofs.storage[1].dir: "leo_storage_2" has no systemd unit in the LeoFS packages (rel/service/): under service: systemd a node's dir must be one of leo_manager_0, leo_manager_1, leo_storage, leo_gateway, or set service: launch-script on host s1`,
    ],
  ],
  [
    "nobody may start runs (deny by default, issue 12 point 1)",
    [["    requesters: { userGroups: [S0REQUESTERS] }\n", ""]],
    [
      `${FILE}: clusters.prod.approval.requesters: nobody may start runs here: list them (here or in defaults.approval), e.g. requesters: { users: [U0123ABCD], userGroups: [S0123ABCD] }, or write requesters: { channelMembers: true } to allow the members of the cluster's channel C0PROD (deny by default: an empty list no longer means anyone)`,
      `${FILE}: clusters.grid.approval.requesters: nobody may start runs here: list them (here or in defaults.approval), e.g. requesters: { users: [U0123ABCD], userGroups: [S0123ABCD] }, or write requesters: { channelMembers: true } to allow the members of the cluster's channel G0GRID (deny by default: an empty list no longer means anyone)`,
    ],
  ],
  [
    "allowSelfApproval is gone (issue 12 point 12)",
    [["    approvers: { users: [U0AAA1], userGroups: [S0OPS] }\n", "    approvers: { users: [U0AAA1], userGroups: [S0OPS] }\n    allowSelfApproval: false\n"]],
    [
      `${FILE}:6:24 defaults.approval.allowSelfApproval: allowSelfApproval is gone: four-eyes holds everywhere. For emergencies name a break-glass channel, breakGlass: { channel: C0123ABCD }, where a requester may approve their own gate with a reason, announced in the cluster's channel`,
    ],
  ],
  [
    "the service switch is misspelt",
    [["m1: { address: 10.0.0.2, os: deb }", "m1: { address: 10.0.0.2, os: deb, service: systemctl }"]],
    [`${FILE}:23:50 clusters.prod.hosts.m1.service: expected "launch-script" (bin/leo_* start|stop) or "systemd" (systemctl start|stop leofs-*), got "systemctl"`],
  ],
  [
    "a top-level key is misspelt",
    [["clusters:\n", "clustres:\n"]],
    [`${FILE}: clusters: required`, `${FILE}:6:1 clustres: unknown key (did you mean "clusters"?)`],
  ],
  ["the kind is unknown", [["kind: leofs", "kind: ceph"]], [`${FILE}:8:11 clusters.prod.kind: expected "leofs" or "dirac", got "ceph"`]],
  [
    "the kind does not match the topology block",
    [["kind: leofs", "kind: dirac"]],
    [
      `${FILE}: clusters.prod.dirac: required for kind: dirac`,
      `${FILE}:10:5 clusters.prod.leofs: not allowed for kind: dirac (remove it, or set kind: leofs)`,
    ],
  ],
  [
    "a dirac cluster also carries a leofs block",
    [["    hosts:\n      vo1", "    leofs: { version: 1.4.3 }\n    hosts:\n      vo1"]],
    [`${FILE}:36:5 clusters.grid.leofs: not allowed for kind: dirac (remove it, or set kind: leofs)`],
  ],
  [
    "the topology names a host that is not defined",
    [["{ host: s1,", "{ host: storage-9,"]],
    [`${FILE}:18:19 clusters.prod.leofs.storage[1].host: unknown host "storage-9" (not in clusters.prod.hosts)`],
  ],
  [
    "a host name is misspelt",
    [["master: { host: m0,", "master: { host: m00,"]],
    [`${FILE}:14:25 clusters.prod.leofs.managers.master.host: unknown host "m00" (not in clusters.prod.hosts; did you mean "m0"?)`],
  ],
  [
    "the admin host is not defined",
    [["      replicas: 2\n", "      replicas: 2\n      admin: { host: m2 }\n"]],
    [`${FILE}:13:22 clusters.prod.leofs.admin.host: unknown host "m2" (not in clusters.prod.hosts; did you mean "m0"?)`],
  ],
  [
    "an Erlang node name has no host part",
    [["manager_0@10.0.0.1", "manager_0"]],
    [`${FILE}:14:35 clusters.prod.leofs.managers.master.node: expected an Erlang node name like storage_0@10.0.0.104, got "manager_0"`],
  ],
  [
    "two storage nodes share a node name",
    [["storage_1@10.0.0.4", "storage_0@10.0.0.3"]],
    [`${FILE}:18:29 clusters.prod.leofs.storage[1].node: duplicate node "storage_0@10.0.0.3" (also at leofs.storage[0].node)`],
  ],
  [
    "more replicas than storage nodes",
    [["replicas: 2", "replicas: 3"]],
    [`${FILE}:12:17 clusters.prod.leofs.replicas: 3 replicas need at least 3 storage nodes, found 2`],
  ],
  [
    "the LeoFS version is read by YAML as a number",
    [["version: 1.4.3", "version: 1.4"]],
    [`${FILE}:11:16 clusters.prod.leofs.version: expected a version like 1.4.3 (quote it: "1.4"), got 1.4`],
  ],
  [
    "the install dir is relative",
    [["      replicas: 2\n", "      replicas: 2\n      installDir: usr/local/leofs\n"]],
    [`${FILE}:13:19 clusters.prod.leofs.installDir: expected an absolute path, got "usr/local/leofs"`],
  ],
  [
    "an unknown package family",
    [["10.0.0.3, os: rpm", "10.0.0.3, os: rhel"]],
    [`${FILE}:24:36 clusters.prod.hosts.s0.os: expected "deb" or "rpm", got "rhel"`],
  ],
  [
    "a leofs host without os",
    [["10.0.0.5, os: deb", "10.0.0.5"]],
    [`${FILE}: clusters.prod.hosts.g0.os: required for a leofs cluster ("deb" or "rpm")`],
  ],
  [
    "an empty address",
    [["vo3: { address: vo3.example.org }", "vo3: { address: '' }"]],
    [`${FILE}:39:23 clusters.grid.hosts.vo3.address: expected a host name or IP address, got ""`],
  ],
  [
    "an SSH port out of range",
    [["10.0.0.5, os: deb", "10.0.0.5, os: deb, ssh: { port: 70000 }"]],
    [`${FILE}:26:54 clusters.prod.hosts.g0.ssh.port: expected an integer from 1 to 65535, got 70000`],
  ],
  [
    "a duration without a unit the parser knows",
    [["userGroups: [S0OPS] }", "userGroups: [S0OPS] }\n    expiresAfter: 30 minutes"]],
    [`${FILE}:6:19 defaults.approval.expiresAfter: expected a duration like 30s, 30m or 2h, got "30 minutes"`],
  ],
  [
    "a channel name instead of a channel id",
    [["C0PROD", "'#prod'"]],
    [`${FILE}:9:14 clusters.prod.channel: expected a Slack channel id (C… or G…), got "#prod"`],
  ],
  [
    "a user name instead of a user id",
    [["users: [U0AAA1]", "users: [bob]"]],
    [`${FILE}:5:26 defaults.approval.approvers.users[0]: expected a Slack user id (U… or W…), got "bob"`],
  ],
  [
    "a handle instead of a user group id",
    [["userGroups: [S0OPS]", "userGroups: ['@ops']"]],
    [`${FILE}:5:48 defaults.approval.approvers.userGroups[0]: expected a Slack user group id (S…), got "@ops"`],
  ],
  [
    "minApprovals 0",
    [["userGroups: [S0OPS] }", "userGroups: [S0OPS] }\n    minApprovals: 0"]],
    [`${FILE}:6:19 defaults.approval.minApprovals: expected an integer ≥ 1, got 0`],
  ],
  [
    "more approvals required than approvers listed",
    [["approvers: { users: [U0AAA1], userGroups: [S0OPS] }", "approvers: { users: [U0AAA1] }\n    minApprovals: 2"]],
    [
      `${FILE}: clusters.prod.approval.minApprovals: 2 approvals needed but only 1 approver(s) listed; add approvers or a user group`,
      `${FILE}: clusters.grid.approval.minApprovals: 2 approvals needed but only 1 approver(s) listed; add approvers or a user group`,
    ],
  ],
  [
    "nobody may approve",
    [["    approvers: { users: [U0AAA1], userGroups: [S0OPS] }\n", "    mode: per-step\n"]],
    [
      `${FILE}: clusters.prod.approval.approvers: at least one approver user or user group is required (here or in defaults.approval.approvers)`,
      `${FILE}: clusters.grid.approval.approvers: at least one approver user or user group is required (here or in defaults.approval.approvers)`,
    ],
  ],
  [
    "a per-procedure override names no procedure id",
    [["    channel: C0PROD\n", "    channel: C0PROD\n    approval:\n      procedures:\n        Upgrade: { mode: per-run }\n"]],
    [`${FILE}:12:9 clusters.prod.approval.procedures.Upgrade: expected a procedure id like leofs.upgrade, got "Upgrade"`],
  ],
  [
    "a dirac setup without framework server",
    [[", frameworkServer: true", ""]],
    [`${FILE}:33:9 clusters.grid.dirac.boxes: exactly one services box must have frameworkServer: true, found none`],
  ],
  [
    "two framework servers",
    [["{ host: vo2, roles: [agents] }", "{ host: vo2, roles: [services], frameworkServer: true }"]],
    [`${FILE}:34:60 clusters.grid.dirac.boxes[1].frameworkServer: only one box may be the framework server (dirac.boxes[0] already is)`],
  ],
  [
    "the framework server is not a services box",
    [
      ["{ host: vo1, roles: [services], frameworkServer: true }", "{ host: vo1, roles: [agents], frameworkServer: true }\n        - { host: vo4, roles: [services] }"],
      ["      vo3: { address: vo3.example.org }", "      vo3: { address: vo3.example.org }\n      vo4: { address: vo4.example.org }"],
    ],
    [`${FILE}:33:58 clusters.grid.dirac.boxes[0].frameworkServer: the framework server must be a services box (roles: [services])`],
  ],
  [
    "a box moves its InnoDB journal but the journal paths are not set",
    [["{ host: vo3, roles: [databases] }", "{ host: vo3, roles: [databases], innodbJournal: true }"]],
    [`${FILE}:35:59 clusters.grid.dirac.boxes[2].innodbJournal: requires dirac.innodbJournal { from, to }`],
  ],
  [
    "an unsupported format version",
    [["version: 1\n", "version: 2\n"]],
    [`${FILE}:1:10 version: expected 1 (the only inventory format version), got 2`],
  ],
  [
    "no clusters",
    [["clusters:\n", "clusters: {}\nx:\n"]],
    [`${FILE}:6:11 clusters: expected at least one cluster`, `${FILE}:7:1 x: unknown key (expected one of: version, defaults, cli, clusters)`],
  ],
  [
    "a YAML syntax error",
    [["channel: C0PROD", "channel: [C0PROD"]],
    [`${FILE}:10:5 YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`],
  ],
  [
    "a key written twice",
    [["    channel: C0PROD", "    channel: C0PROD\n    channel: C0OTHER"]],
    [`${FILE}:10:5 YAML syntax error: Map keys must be unique`],
  ],
];

function errorLines(text: string): string[] {
  try {
    parseInventory(text, options);
  } catch (error) {
    if (error instanceof InventoryError) return error.message.split("\n");
    throw error;
  }
  throw new Error("expected the inventory to be refused");
}

describe("broken inventories are refused with the file, the place, what was expected and what was found", () => {
  it("the base used by every case is valid", () => {
    expect(Object.keys(parseInventory(BASE_INVENTORY, options).clusters)).toEqual(["prod", "grid"]);
  });

  it.each(CASES)("%s", (_story, edits, expected) => {
    expect(errorLines(mutate(BASE_INVENTORY, edits))).toEqual(expected);
  });

  it.each([
    ["an empty file", "", `${FILE}: the file is empty (expected \`version: 1\` and \`clusters:\`)`],
    ["a file of comments only", "# clusters: later\n", `${FILE}: the file is empty (expected \`version: 1\` and \`clusters:\`)`],
    ["a list at the top", "- prod\n", `${FILE}:1:1 expected a mapping, got a list`],
  ])("%s", (_story, text, expected) => {
    expect(errorLines(text)).toEqual([expected]);
  });

  it("collects the problems of every cluster, not just the first", () => {
    const lines = errorLines(
      mutate(BASE_INVENTORY, [
        ["kind: leofs", "kind: ceph"],
        [", frameworkServer: true", ""],
        ["userGroups: [S0OPS] }", "userGroups: [S0OPS] }\n    minApprovals: 0"],
      ]),
    );
    expect(lines).toEqual([
      `${FILE}:6:19 defaults.approval.minApprovals: expected an integer ≥ 1, got 0`,
      `${FILE}:9:11 clusters.prod.kind: expected "leofs" or "dirac", got "ceph"`,
      `${FILE}:34:9 clusters.grid.dirac.boxes: exactly one services box must have frameworkServer: true, found none`,
    ]);
  });

  it("exposes the issues with their YAML path and position", () => {
    let caught: unknown;
    try {
      parseInventory(mutate(BASE_INVENTORY, [["slave: { host: m1", "slave: { hots: m1"]]), options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InventoryError);
    const error = caught as InventoryError;
    expect(error).toMatchObject({ file: FILE, code: "INVENTORY_INVALID", retryable: false });
    expect(error.issues).toEqual([
      { path: "clusters.prod.leofs.managers.slave.host", message: "required" },
      { path: "clusters.prod.leofs.managers.slave.hots", message: 'unknown key (did you mean "host"?)', line: 15, col: 18 },
    ]);
  });
});
