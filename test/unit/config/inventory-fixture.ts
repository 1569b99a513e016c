/**
 * A minimal valid inventory (one leofs and one dirac cluster) that the
 * broken-inventory table mutates, one small edit per case.
 */
export const BASE_INVENTORY = `version: 1
defaults:
  approval:
    requesters: { userGroups: [S0REQUESTERS] }
    approvers: { users: [U0AAA1], userGroups: [S0OPS] }
clusters:
  prod:
    kind: leofs
    channel: C0PROD
    leofs:
      version: 1.4.3
      replicas: 2
      managers:
        master: { host: m0, node: manager_0@10.0.0.1 }
        slave: { host: m1, node: manager_1@10.0.0.2 }
      storage:
        - { host: s0, node: storage_0@10.0.0.3 }
        - { host: s1, node: storage_1@10.0.0.4 }
      gateways:
        - { host: g0, node: gateway_0@10.0.0.5 }
    hosts:
      m0: { address: 10.0.0.1, os: deb }
      m1: { address: 10.0.0.2, os: deb }
      s0: { address: 10.0.0.3, os: rpm }
      s1: { address: 10.0.0.4, os: rpm }
      g0: { address: 10.0.0.5, os: deb }
  grid:
    kind: dirac
    channel: G0GRID
    dirac:
      setup: LHCb-Production
      boxes:
        - { host: vo1, roles: [services], frameworkServer: true }
        - { host: vo2, roles: [agents] }
        - { host: vo3, roles: [databases] }
    hosts:
      vo1: { address: vo1.example.org }
      vo2: { address: vo2.example.org }
      vo3: { address: vo3.example.org }
`;

/** Applies `[from, to]` edits, each of which must match exactly once so a change to the base cannot silently void a case. */
export function mutate(base: string, edits: readonly (readonly [string, string])[]): string {
  return edits.reduce((text, [from, to]) => {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`edit ${JSON.stringify(from)} matches ${count} times in the base inventory`);
    return text.replace(from, to);
  }, base);
}
