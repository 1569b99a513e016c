import fs from "node:fs";
import path from "node:path";
import { ALICE, BOB, LEOFS_CHANNEL, startDemo, type Demo } from "../../../demo/start-demo";
import { getTestbed } from "../../helpers/testbed";
import { actAs, channelMessages, clickButton, ephemeralMessages, eventually, launchChromium, type Browser } from "./console-page";

jest.setTimeout(240_000);

const SCREENSHOT = path.resolve(__dirname, "../../../test-artifacts/console-recover.png");

// The demo as a person uses it: Alice asks for the recovery in the page, Bob approves, the run message changes in place.
describe("npm run demo: recovering manager-slave from the local console in a browser", () => {
  let demo: Demo;
  let browser: Browser;
  const logLines: string[] = [];

  beforeAll(async () => {
    // Chromium first: without it the test fails at once, with the install command.
    browser = await launchChromium();
    demo = await startDemo({ port: 0, redisUrl: getTestbed().redisUrl, dirac: false, logLevel: "info", logDestination: { write: (line: string) => void logLines.push(line) } });
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it("Alice requests /leofs recover manager-slave, Bob approves each destructive step, the run succeeds and the slave has the master's Mnesia", async () => {
    const { page } = browser;
    // The demo's managers run real Mnesia where Erlang is installed (CI installs it): the garbled slave never comes up.
    const broken = await demo.leofs.state.mnesiaOf(1);
    expect(broken.files).toBe("corrupt");
    expect(broken.mnesia).not.toBe("ok");
    await page.goto(`${demo.consoleUrl}?user=${ALICE.id}&channel=${LEOFS_CHANNEL.id}`);
    await page.getByTestId("command").fill("/leofs recover manager-slave");
    await page.getByTestId("command").press("Enter");

    // The preview is Alice's alone. The planned backup path carries the current second, so a Start
    // clicked in a later second gets "the plan changed" and a fresh preview: Start that one.
    const previews = ephemeralMessages(page, "Plan: Recover a LeoFS manager");
    await previews.first().waitFor();
    expect(await previews.first().innerText()).toContain("manager-slave");
    for (let attempt = 0; (await channelMessages(page).count()) === 0; attempt++) {
      if (attempt === 3) throw new Error("Start never took: the plan changed on every click");
      const seen = await previews.count();
      await clickButton(page, previews.last(), "intervene.start");
      await eventually("the run message or a new preview", async () => ((await channelMessages(page).count()) > 0 || (await previews.count()) > seen ? true : undefined));
    }
    await ephemeralMessages(page, /Run \S+ started by @Alice/).waitFor();

    await actAs(page, BOB.id);
    // Bob does not see Alice's ephemeral preview, only the channel.
    expect(await ephemeralMessages(page, "Plan: Recover").count()).toBe(0);
    const runMessage = channelMessages(page).first();
    await runMessage.waitFor();
    const runTs = await runMessage.getAttribute("data-ts");
    let approvals = 0;
    const finalText = await eventually(
      "the run to finish",
      async () => {
        const text = (await runMessage.getAttribute("data-text")) ?? "";
        if (/: (succeeded|failed|aborted)$/.test(text)) return text;
        const approve = runMessage.locator('button[data-action-id="intervene.approve"]');
        if ((await approve.count()) > 0) {
          const edits = await runMessage.getAttribute("data-edits");
          await clickButton(page, runMessage, "intervene.approve");
          approvals++;
          await eventually("the run message to change after the approval", async () => ((await runMessage.getAttribute("data-edits")) !== edits ? true : undefined));
        }
        return undefined;
      },
      150_000,
    );
    expect(finalText).toMatch(/: succeeded$/);
    expect(approvals).toBe(3);
    // Updated in place: still the one top-level message, edited many times.
    expect(await channelMessages(page).count()).toBe(1);
    expect(await runMessage.getAttribute("data-ts")).toBe(runTs);
    expect(Number(await runMessage.getAttribute("data-edits"))).toBeGreaterThan(approvals);
    expect(await runMessage.innerText()).toContain("succeeded");

    // The thread: one reply per step, the approval requests, and the final summary.
    const run = (await demo.intervene.engine!.list({ cluster: "leofs-demo" }))[0]!;
    await runMessage.getByTestId("replies").click();
    const thread = page.getByTestId("thread");
    await thread.locator('[data-testid="message"]').filter({ hasText: /on leofs-demo succeeded/ }).waitFor({ timeout: 60_000 });
    const replies = thread.locator('[data-testid="message"]');
    expect(await replies.count()).toBeGreaterThanOrEqual(1 + run.plan.steps.length);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    // The engine and the simulated cluster agree with the page.
    expect(run.state).toBe("succeeded");
    expect(run.requestedBy).toBe(ALICE.id);
    expect(run.steps.flatMap((s) => s.approvals.map((d) => `${d.decision}:${d.userId}`))).toEqual(["approved:U0BOB", "approved:U0BOB", "approved:U0BOB"]);
    const [master, slave] = [await demo.leofs.state.mnesiaOf(0), await demo.leofs.state.mnesiaOf(1)];
    expect(slave).toMatchObject({ files: "ok", running: true, mnesia: "ok" });
    expect(slave.fingerprint).toBe(master.fingerprint);
    expect(slave.cookie).toBe(master.cookie);
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    // Nothing the console sent was refused: every request was signed as Slack signs. A refusal is logged by
    // Bolt ("Failed to parse and verify the request data: ...signature...") or carries a 401 status; a
    // number 401 elsewhere is not one (CI met a step whose `durationMs` was 401).
    expect(logLines.filter((l) => /signature|verify the request/i.test(l) || refusedStatus(l))).toEqual([]);
  });
});

/** A JSON log line whose HTTP status field says 401. */
function refusedStatus(line: string): boolean {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return /\b401 Unauthorized\b/i.test(line);
  }
  const fields = entry as { status?: unknown; statusCode?: unknown; res?: { statusCode?: unknown } };
  return fields.status === 401 || fields.statusCode === 401 || fields.res?.statusCode === 401;
}
