import type { SlackApi } from "../../../src/bot/notifier/slack-api";
import { SlackTimeZones } from "../../../src/report/slack-time-zones";

/** A users.info that answers from `zones` (a missing user fails), counting its calls. */
function usersInfo(zones: Record<string, string>): { api: SlackApi; calls: string[] } {
  const calls: string[] = [];
  const api = {
    apiCall: (method: string, args: Record<string, unknown>) => {
      calls.push(`${method} ${String(args.user)}`);
      const tz = zones[String(args.user)];
      return tz === undefined ? Promise.reject(new Error("user_not_found")) : Promise.resolve({ ok: true, user: { tz } });
    },
  } as unknown as SlackApi;
  return { api, calls };
}

describe("requesters' time zones for incident reports", () => {
  it("asks Slack once per user while the answer is young, and once for concurrent reports", async () => {
    let now = 0;
    const { api, calls } = usersInfo({ U1: "Europe/Paris", U2: "Asia/Tokyo" });
    const zones = new SlackTimeZones(api, { ttlMs: 1000, now: () => now });
    expect(await Promise.all([zones.of("U1"), zones.of("U1")])).toEqual(["Europe/Paris", "Europe/Paris"]);
    expect(await zones.of("U2")).toBe("Asia/Tokyo");
    now = 999;
    expect(await zones.of("U1")).toBe("Europe/Paris");
    expect(calls).toEqual(["users.info U1", "users.info U2"]);
    now = 1000;
    expect(await zones.of("U1")).toBe("Europe/Paris");
    expect(calls).toEqual(["users.info U1", "users.info U2", "users.info U1"]);
  });

  it("does not remember a failure or an empty zone (the report is then in UTC, and the next one asks again)", async () => {
    const { api, calls } = usersInfo({ U3: "" });
    const zones = new SlackTimeZones(api);
    expect(await zones.of("U3")).toBeUndefined();
    expect(await zones.of("U3")).toBeUndefined();
    expect(await zones.of("U404")).toBeUndefined();
    expect(await zones.of("U404")).toBeUndefined();
    expect(calls).toHaveLength(4);
  });

  it("remembers at most maxUsers, forgetting the one asked longest ago", async () => {
    const { api, calls } = usersInfo({ U1: "UTC", U2: "UTC", U3: "UTC" });
    const zones = new SlackTimeZones(api, { maxUsers: 2 });
    for (const u of ["U1", "U2", "U3", "U3", "U2", "U1"]) await zones.of(u);
    expect(calls).toEqual(["users.info U1", "users.info U2", "users.info U3", "users.info U1"]);
  });
});
