import pino from "pino";
import { EngineTimeoutError } from "../../../src/bot/bot-errors";
import { UserGroupResolver } from "../../../src/bot/user-group-resolver";
import { withTimeout } from "../../../src/bot/with-timeout";

function api(members: Record<string, string[]>) {
  const calls: string[] = [];
  let down = false;
  return {
    calls,
    setDown: (d: boolean) => (down = d),
    apiCall: (_method: string, args: Record<string, unknown> = {}) => {
      const group = String(args.usergroup);
      calls.push(group);
      if (down) return Promise.reject(Object.assign(new Error("socket hang up"), { code: "slack_webapi_request_error" }));
      return Promise.resolve({ ok: true, users: members[group] ?? [] });
    },
  };
}

describe("user group membership", () => {
  it("is resolved from usergroups.users.list, cached for the TTL, and the stale answer is used while Slack is down", async () => {
    let now = 0;
    const fake = api({ S0SRE: ["U1", "U2"], S0DBA: ["U3"] });
    const resolver = new UserGroupResolver(fake, ["S0SRE", "S0DBA"], pino({ level: "silent" }), 60_000, () => now);
    expect(await resolver.groupsOf("U1")).toEqual(["S0SRE"]);
    expect(await resolver.groupsOf("U3")).toEqual(["S0DBA"]);
    expect(fake.calls).toEqual(["S0SRE", "S0DBA"]);
    now = 61_000;
    fake.setDown(true);
    expect(await resolver.groupsOf("U2")).toEqual(["S0SRE"]);
    expect(fake.calls).toHaveLength(4);
  });

  it("fails closed: a last known list older than 10 minutes that cannot be refreshed counts nobody as a member (issue 12 point 10)", async () => {
    let now = 0;
    const fake = api({ S0SRE: ["U1"] });
    const resolver = new UserGroupResolver(fake, ["S0SRE"], pino({ level: "silent" }), 60_000, () => now);
    expect(await resolver.groupsOf("U1")).toEqual(["S0SRE"]);
    fake.setDown(true);
    now = 9 * 60_000;
    expect(await resolver.groupsOf("U1")).toEqual(["S0SRE"]);
    now = 10 * 60_000 + 1;
    expect(await resolver.groupsOf("U1")).toEqual([]);
    fake.setDown(false);
    expect(await resolver.groupsOf("U1")).toEqual(["S0SRE"]);
  });

  it("with no answer ever, the user is in no group", async () => {
    const fake = api({});
    fake.setDown(true);
    const resolver = new UserGroupResolver(fake, ["S0SRE"], pino({ level: "silent" }));
    expect(await resolver.groupsOf("U1")).toEqual([]);
  });
});

describe("engine calls from listeners", () => {
  it("time out with an EngineTimeoutError naming the operation", async () => {
    await expect(withTimeout("approve", 20, () => new Promise(() => undefined))).rejects.toEqual(new EngineTimeoutError("approve", 20));
    await expect(withTimeout("get", 1000, () => Promise.resolve(42))).resolves.toBe(42);
  });
});
