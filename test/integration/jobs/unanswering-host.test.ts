import fs from "node:fs";
import path from "node:path";
import type { Actor } from "../../../src/jobs";
import { shellQuote } from "../../../src/util/shell-quote";
import { startStallingProxy, type StallingProxy } from "../../../sim/ssh/stalling-proxy";
import { getTestbed } from "../../helpers/testbed";
import { testPlan, waitForRun } from "./helpers/jobs-harness";
import { startSshFaultBed, type SshFaultBed } from "./helpers/ssh-fault-bed";

const requester: Actor = { userId: "UREQ" };
const q = (p: string): string => shellQuote(p);

/**
 * Issue 15, "a host that accepts TCP but never answers", as the operator sees
 * it: a non-idempotent step whose host stops answering mid-command (a
 * loopback proxy that stalls, closing nothing) times out although its kill
 * cannot land; the step says which host and that the command may still be
 * running, the run pauses, and Retry succeeds once the network is back.
 * Real Redis, BullMQ and sshd; the product's default keepalive (15 s x 3).
 */
describe("a host that stops answering mid-step", () => {
  let proxy: StallingProxy;
  let bed: SshFaultBed;

  beforeAll(async () => {
    const backend = getTestbed().hosts[0]!;
    proxy = await startStallingProxy({ address: "127.0.0.72", target: { host: backend.address, port: backend.port } });
    bed = await startSshFaultBed({ name: "unanswering", hosts: { quiet: { address: proxy.address, port: proxy.port, hostPublicKey: backend.hostPublicKey } }, connectTimeout: "500ms" });
  });
  afterAll(async () => {
    await bed.close();
    await proxy.close();
  });

  it("times out naming the host, says the command may still run, pauses, and Retry succeeds after the network heals", async () => {
    const slow = path.join(bed.dir, "slow");
    const started = path.join(bed.dir, "started");
    const lines = path.join(bed.dir, "lines");
    fs.writeFileSync(slow, "");
    const command = `echo "$INTERVENE_STEP_KEY" > ${q(started)}; if [ -f ${q(slow)} ]; then sleep 2; fi; echo "$INTERVENE_STEP_KEY" >> ${q(lines)}`;
    const run = await bed.engine.start(testPlan("c1", [{ id: "append", kind: "exec", timeoutMs: 1000, targets: [{ host: "quiet", command }] }]), requester);
    await waitForRun(bed.engine, run.id, () => fs.existsSync(started) && fs.readFileSync(started, "utf8") !== "");
    proxy.stall();

    const paused = await waitForRun(bed.engine, run.id, (r) => r.state === "paused");
    expect(paused.steps[0]).toMatchObject({
      state: "failed",
      attempt: 1,
      error: "quiet: timed out after 1000 ms; the host did not confirm that the command stopped: it may still be running",
    });
    expect(bed.connected("quiet")).toBe(false);

    fs.rmSync(slow);
    proxy.heal();
    await bed.engine.retry(run.id, 0, requester);
    const done = await waitForRun(bed.engine, run.id, (r) => r.state === "succeeded");
    expect(done.steps[0]).toMatchObject({ state: "succeeded", attempt: 2 });
    expect(fs.readFileSync(lines, "utf8")).toContain(`${run.id}:0:2:quiet\n`);
  });
});
