import type { RunBackbone } from "../run-backbone";
import { expireGate } from "../run-machine/gate-decisions";
import type { RunRecord } from "../run-types";
import { TERMINAL_RUN_STATES } from "../run-types";
import { expiryJobId, stepJobId } from "../step-job";
import { releaseCarriedStep } from "../run-machine/carry-next-step";

/**
 * Re-applies what a crash between a commit and its effects may have lost:
 * the cursor step's job, a gate's expiry job (or the expiry itself when
 * overdue), and a running step whose job vanished or failed for good.
 * Safe to run anywhere, any time: every action is idempotent.
 */
export class RunReconciler {
  constructor(private readonly backbone: RunBackbone) {}

  async reconcileAll(): Promise<void> {
    await this.backbone.store.renewLocks();
    for (const runId of await this.backbone.store.activeRunIds()) {
      try {
        await this.reconcile(runId);
      } catch (err) {
        this.backbone.logger.warn({ runId, err }, "reconcile failed");
      }
    }
  }

  async reconcile(runId: string, known?: RunRecord): Promise<void> {
    const run = known ?? (await this.backbone.store.get(runId));
    if (run === undefined || TERMINAL_RUN_STATES.includes(run.state)) return;
    const now = this.backbone.clock.now().getTime();
    const gate = run.gate;
    if (gate?.status === "open" && (run.state === "awaiting_approval")) {
      if (now > Date.parse(gate.expiresAt)) {
        await this.backbone.transitioner.apply(run.id, "engine", (d) => expireGate(d, gate.stepIndex, gate.attempt));
      } else {
        const data = { runId: run.id, stepIndex: gate.stepIndex, attempt: gate.attempt };
        if ((await this.backbone.controlQueue.getJob(expiryJobId(data))) === undefined) {
          await this.backbone.effects.scheduleExpiry(data, Date.parse(gate.expiresAt) - now);
        }
      }
      return;
    }
    const record = run.steps[run.cursor];
    if (record === undefined || run.state !== "running") return;
    const data = { runId: run.id, stepIndex: run.cursor, attempt: record.attempt };
    if (record.carrier !== undefined && record.carrier.attempt === record.attempt && (record.state === "queued" || record.state === "running")) {
      // A job carries this step after the one before it (carry-next-step.ts). While that job is
      // live, or waiting to be redelivered after its worker died, it is the step's to run or to
      // mark interrupted; only when it has ended without doing so does the step get its own job.
      const carrierId = record.carrier.jobId;
      const carrier = await this.backbone.stepQueue.getJob(carrierId);
      const state = carrier === undefined ? undefined : await carrier.getState();
      if (state !== undefined && state !== "completed" && state !== "failed" && state !== "unknown") return;
      // The carrier ended without the step: take its claim away first, in a compare-and-set, so
      // that a late revival of that job (a reconciler acting on an older read retries failed
      // jobs) finds nothing to take from the step's own job.
      await this.backbone.transitioner.apply(run.id, "engine", (d) => void releaseCarriedStep(d, carrierId, false));
    }
    if (record.state === "queued") {
      const job = await this.backbone.stepQueue.getJob(stepJobId(data));
      if (job === undefined) {
        const notBefore = record.notBefore !== undefined ? Date.parse(record.notBefore) : now;
        await this.backbone.effects.enqueueStep(data, notBefore - now);
      } else {
        // A job that failed for good before its step began (its start could not be written while
        // Redis was failing over or restarting) would leave the run queued forever: deliver it again.
        // The step never began, so this cannot run anything twice; beginStep decides afresh.
        const state = await job.getState();
        if (state === "failed" || state === "completed") await job.retry(state);
      }
      return;
    }
    if (record.state === "running") {
      const job = await this.backbone.stepQueue.getJob(stepJobId(data));
      if (job === undefined) {
        // The job is gone (e.g. Redis lost it): a new delivery finds the step running and decides (interrupt or re-run).
        await this.backbone.effects.enqueueStep(data, 0);
      } else if ((await job.getState()) === "failed" || (await job.getState()) === "completed") {
        await job.retry((await job.getState()) as "failed" | "completed");
      }
    }
  }
}
