import type { Actor, RunEvent } from "../../../src/jobs";
import { createHarness, isSettled, testPlan, waitForRun, type Harness } from "./helpers/jobs-harness";

const requester: Actor = { userId: "UREQ" };
// Built at run time so that no secret-looking literal sits in the repository.
const SLACK_TOKEN = ["xoxb", "123456789012", "abcdefABCDEF123456"].join("-");
const AWS_KEY = ["AKIA", "IOSFODNN7EXAMPLE"].join("");
const SECRETS = ["hunter2", "s3cr3t!", "abc.def.ghi", SLACK_TOKEN, AWS_KEY, "wJalrXUtnFEMI", "b3BlbnNzaC1rZXktdjEAAAAA"];

/**
 * Issue 12 point 8, through the real worker, BullMQ, Redis and sshd: a step
 * prints one secret of each kind, some cut across SSH writes, on stdout and
 * stderr. Neither the run record, nor the full output kept in Redis, nor the
 * live chunks published to the bot (and so to Slack) hold any of them.
 */
describe("step output is redacted before Redis and Slack see it", () => {
  let h: Harness;
  beforeAll(async () => {
    h = createHarness("redact", { c1: "{}" });
    await h.startWorker({});
  });
  afterAll(async () => {
    await h.close();
  });

  it("redacts password=, PASSWORD:, Authorization:, Slack tokens, AWS keys and PEM private key blocks, also when cut across writes", async () => {
    const events: RunEvent[] = [];
    const unsubscribe = await h.engine.subscribe((e) => events.push(e));
    try {
      const command = [
        "printf 'pass'; sleep 0.2; printf 'word=hunter2\\n'",
        "echo 'DB PASSWORD: s3cr3t!' >&2",
        "echo 'Authorization: Bearer abc.def.ghi'",
        `echo "token ${SLACK_TOKEN}"`,
        `echo "aws ${AWS_KEY} aws_secret_access_key=wJalrXUtnFEMI/K7MDENG"`,
        "printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1r'; sleep 0.2; printf 'ZXktdjEAAAAA\\n-----END OPENSSH PRIVATE KEY-----\\n'",
        "echo done",
      ].join("; ");
      const plan = testPlan("c1", [
        { id: "leaky", kind: "exec", targets: [{ host: "h2", command }] },
        { id: "leaky-check", kind: "check", targets: [{ host: "h2", command: "echo password=hunter2" }], expect: { type: "stdout-excludes", text: "password" } },
      ]);
      const run = await h.engine.start(plan, requester);
      const done = await waitForRun(h.engine, run.id, isSettled);
      expect(done.steps[0]!.state).toBe("succeeded");
      const output = done.steps[0]!.outputs[0]!;
      const full = (await h.engine.store.fullOutput(output)) ?? "";
      const live = events.filter((e) => e.type === "step.output" && e.runId === run.id).map((e) => (e as { chunk: string }).chunk).join("");
      expect(full).toContain("password=[redacted]");
      expect(full).toContain("PASSWORD: [redacted]");
      expect(full).toContain("[redacted] (private key)");
      expect(live).toContain("Authorization: [redacted]");
      expect(live).toContain("done");
      // The failed check's reason quotes the line: redacted too.
      expect(done.steps[1]!.error).toContain("password=[redacted]");
      // What the steps produced (the commands themselves are the plan's, shown to approvers as written).
      const produced = done.steps.flatMap((s) => [s.error, ...s.outputs.flatMap((o) => [o.tail, o.head, o.error])]);
      const stored = JSON.stringify(produced) + full + live + JSON.stringify(await h.engine.store.fullOutput(done.steps[1]!.outputs[0]!));
      for (const secret of SECRETS) expect([secret, stored.includes(secret)]).toEqual([secret, false]);
      await h.engine.abort(run.id, requester, "now");
    } finally {
      await unsubscribe();
    }
  });
});
