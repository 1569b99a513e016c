import fs from "node:fs";
import path from "node:path";
import Redis from "ioredis";
import YAML from "yaml";
import { ACTION } from "../../../src/bot/blocks/action-ids";
import type { Block } from "../../../src/bot/blocks/block-types";
import { redisKeys, RunStore } from "../../../src/jobs";
import { getTestbed } from "../../helpers/testbed";
import type { LeofsSim } from "../../../sim/leofs/start-leofs-sim";
import { startE2eLeofsSim } from "./leofs-slack-flow";
import { postEvent } from "../../../sim/slack/slack-signer";
import { isTerminal, SECRET, startSlackE2e, textOf, U_APPROVER, U_REQUESTER, type SlackE2e } from "./slack-e2e";

jest.setTimeout(120_000);

const U_STRANGER = "U0STRANGER";
const MEMBERS = ["U0MEMBERA", "U0MEMBERB", "U0MEMBERC"];

/**
 * Issue 12 points 1 and 2 through the real product: signed slash commands to
 * POST /slack/events, the real engine on Redis, the LeoFS simulator. Only the
 * listed requesters and, with `requesters.channelMembers: true`, the cluster
 * channel's members (conversations.members, every page) may preview, start
 * or read a cluster; everybody else gets an ephemeral "not allowed" that names
 * what is missing and no host, path or command, nothing is enqueued, and the
 * refusal is audited with the cluster.
 */
describe("deny by default: who may preview, start and read a cluster", () => {
  let sim: LeofsSim;
  let e2e: SlackE2e;
  let redis: Redis;
  let channel: string;

  beforeAll(async () => {
    sim = await startE2eLeofsSim();
    const doc = YAML.parse(fs.readFileSync(sim.inventoryPath, "utf8")) as { defaults: { approval: { requesters: unknown } }; clusters: Record<string, { channel: string }> };
    doc.defaults.approval.requesters = { users: [U_REQUESTER], channelMembers: true };
    channel = Object.values(doc.clusters)[0]!.channel;
    const inventoryFile = path.join(path.dirname(sim.inventoryPath), "inventory-channel-members.yaml");
    fs.writeFileSync(inventoryFile, YAML.stringify(doc));
    e2e = await startSlackE2e({ inventoryFile, privateKeyFile: sim.privateKeyPath, knownHostsFile: sim.knownHostsPath, redisUrl: getTestbed().redisUrl });
    e2e.fake.channelMembers.set(channel, MEMBERS);
    redis = new Redis(getTestbed().redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
    await e2e?.close();
    await sim?.stop();
  });

  const hasStart = (blocks: unknown): boolean => JSON.stringify(blocks ?? []).includes(`"action_id":"${ACTION.start}"`);
  const leaks = (text: string): string[] => [sim.simRoot, "/usr/local/leofs", "leofs-adm", ...sim.hosts.map((h) => h.name)].filter((s) => text.includes(s));

  it("a workspace member who is neither listed nor in the channel is refused the preview, the status and the start, with what is missing and nothing else", async () => {
    const preview = await e2e.command("launch", { user: U_STRANGER });
    expect(preview.body).toMatchObject({ response_type: "ephemeral" });
    const text = textOf(preview.body);
    expect(text).toContain("not allowed");
    expect(text).toContain("you are not one of its requesters");
    expect(text).toContain(`nor a member of its channel ${channel}`);
    expect(leaks(text)).toEqual([]);
    expect(hasStart(preview.body.blocks)).toBe(false);

    const status = await e2e.command("status", { user: U_STRANGER });
    expect(textOf(status.body)).toContain("not allowed");
    expect(leaks(textOf(status.body))).toEqual([]);

    expect(await e2e.engine.list()).toEqual([]);
    const refused = (await new RunStore(redis, redisKeys(e2e.prefix)).globalAudit()).filter((e) => e.type === "refused" && e.actor === U_STRANGER);
    expect(refused.map((e) => (e.data as { cluster?: string; code?: string }).code)).toEqual(expect.arrayContaining(["NOT_ALLOWED"]));
    expect(refused.every((e) => (e.data as { cluster?: string }).cluster === sim.clusterName)).toBe(true);
  });

  it("a member of the cluster's channel (found on the second page of conversations.members) may preview and start", async () => {
    const member = MEMBERS[2]!;
    const preview = await e2e.command("launch", { user: member });
    expect(hasStart(preview.body.blocks)).toBe(true);
    const click = await e2e.click({ blocks: preview.body.blocks as Block[] }, ACTION.start, member, { ephemeral: true });
    expect(textOf(click.responses)).not.toContain("not allowed");
    const run = (await e2e.engine.list()).find((r) => r.requestedBy === member);
    expect(run?.plan.procedureId).toBe("leofs.launch");
    await e2e.engine.abort(run!.id, { userId: member }, "now");
    await e2e.waitForRun(run!.id, isTerminal);
    // Membership was read page by page (the fake pages by 2).
    expect(e2e.fake.callsOf("conversations.members").some((c) => c.args.cursor === "2")).toBe(true);
  });

  it("an approver may read the plan but not start it (reading is not requesting)", async () => {
    const preview = await e2e.command("launch", { user: U_APPROVER });
    expect(hasStart(preview.body.blocks)).toBe(true);
    const before = (await e2e.engine.list()).length;
    const click = await e2e.click({ blocks: preview.body.blocks as Block[] }, ACTION.start, U_APPROVER, { ephemeral: true });
    expect(textOf(click.responses)).toContain("you may not start leofs.launch on sim: you are not one of its requesters");
    expect((await e2e.engine.list()).length).toBe(before);
  });

  it("runs, show and App Home list only the clusters the user may read", async () => {
    const [run] = await e2e.engine.list();
    expect(run).toBeDefined();
    const strangerRuns = await e2e.command("runs", { user: U_STRANGER });
    expect(textOf(strangerRuns.body)).not.toContain(run!.id);
    const shown = await e2e.command(`show ${run!.id}`, { user: U_STRANGER });
    expect(textOf(shown.body)).toContain("not allowed: you may not see runs of sim");
    expect(leaks(textOf(shown.body))).toEqual([]);
    expect(textOf((await e2e.command("runs", { user: U_REQUESTER })).body)).toContain(run!.id);

    const published = e2e.fake.views.length;
    await postEvent(e2e.eventsUrl, SECRET, { type: "app_home_opened", user: U_STRANGER, channel: "D1", tab: "home" });
    await e2e.fake.waitFor(() => e2e.fake.views.length > published);
    expect(JSON.stringify(e2e.fake.views.at(-1)?.view)).not.toContain(run!.id);
    await postEvent(e2e.eventsUrl, SECRET, { type: "app_home_opened", user: U_REQUESTER, channel: "D1", tab: "home" });
    await e2e.fake.waitFor(() => e2e.fake.views.length > published + 1);
    expect(JSON.stringify(e2e.fake.views.at(-1)?.view)).toContain(run!.id);
  });

  it("a listed requester needs no channel membership", async () => {
    const preview = await e2e.command("launch", { user: U_REQUESTER });
    expect(hasStart(preview.body.blocks)).toBe(true);
  });
});
