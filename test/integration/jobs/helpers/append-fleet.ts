import fs from "node:fs";
import path from "node:path";
import { isEngineError, type Actor, type RunRecord } from "../../../../src/jobs";
import { shellQuote } from "../../../../src/util/shell-quote";
import { eventually } from "../../../helpers/eventually";
import { HOSTS, testPlan, waitForRun, type Harness } from "./jobs-harness";

const requester: Actor = { userId: "UREQ" };
const approver: Actor = { userId: "UAPP1" };
/** Skipping a destructive step takes an approver who is not the requester. */
const operator: Actor = { userId: "UAPP2" };

/** Steps per run; the one at GATE_AT is destructive, so it waits for an approval. */
export const FLEET_STEPS = 8;
export const GATE_AT = 4;

/** What a fleet of runs went through; every "wrong" figure must be 0. */
export interface FleetFigures {
  runs: number;
  succeeded: number;
  /** Runs that did not end succeeded (records gone included). */
  lost: number;
  /** Runs acknowledged by `engine.start` whose record is not there at all (a write a failover threw away). */
  recordsGone: number;
  /** Appends found more than once: a non-idempotent step run twice. */
  twice: number;
  /** Appends whose line is missing at the end. */
  missing: number;
  /** Lines no append wrote. */
  strayLines: number;
  /** Steps a fault left `interrupted` (the operator then skipped or retried them). */
  interrupted: number;
  retried: number;
  skipped: number;
  /** Gates whose record does not hold one approval, or whose audit does not hold every acknowledged one. */
  gatesBroken: number;
  /** Approvals acknowledged to the approver that the run did not keep (it asked again). */
  approvalsLost: number;
  /** Cluster locks still held after their run ended. */
  locksLeft: number;
}

export const emptyFleetFigures = (): FleetFigures => ({ runs: 0, succeeded: 0, lost: 0, recordsGone: 0, twice: 0, missing: 0, strayLines: 0, interrupted: 0, retried: 0, skipped: 0, gatesBroken: 0, approvalsLost: 0, locksLeft: 0 });

/** What changes when a run goes on: its state, its cursor, a step's state. */
export const progressOf = (r: RunRecord): string => `${r.state}:${r.cursor}:${r.steps.map((s) => `${s.state}${s.attempt}`).join(",")}`;

interface FleetRun {
  readonly id: string;
  readonly cluster: string;
  readonly file: string;
  readonly tag: string;
  approvalsAcked: number;
  /** The approval being sent now: after a failover its answer can come after the run has moved on. */
  approving?: Promise<void>;
}

/**
 * Runs on several clusters at once, each FLEET_STEPS non-idempotent appends
 * over SSH (one line per step, in a file per run) with an approval gate at
 * GATE_AT; an approver approves every open gate, as often as it is asked.
 * `settle` drives each run to its end the way an operator would after a
 * fault (an interrupted append: skip it when its line is there, retry it
 * otherwise) and counts what was lost or doubled. Shared by the Redis chaos
 * rows (restart, failover, out of memory).
 */
export class AppendFleet {
  private runs: FleetRun[] = [];
  private approving = false;
  private approver: Promise<void> | undefined;

  constructor(
    private readonly h: Harness,
    private readonly dir: string,
    readonly clusters: readonly string[],
    private readonly stepSleepSeconds = 0.2,
  ) {}

  /** Starts one run per cluster; `round` names their files. */
  async start(round: number): Promise<void> {
    for (const cluster of this.clusters) {
      const tag = `r${round}-${cluster}`;
      const file = path.join(this.dir, `${tag}.log`);
      const steps = Array.from({ length: FLEET_STEPS }, (_, i) => ({
        id: `append-${i}`,
        kind: "exec" as const,
        idempotent: false,
        destructive: i === GATE_AT,
        targets: [{ host: HOSTS[i % HOSTS.length]!, command: `sleep ${this.stepSleepSeconds}; echo ${shellQuote(`${tag}-${i}`)} >> ${shellQuote(file)}` }],
      }));
      const run = await this.h.engine.start(testPlan(cluster, steps), requester);
      this.runs.push({ id: run.id, cluster, file, tag, approvalsAcked: 0 });
    }
    this.startApproving();
  }

  private startApproving(): void {
    if (this.approving) return;
    this.approving = true;
    this.approver = (async () => {
      while (this.approving) {
        for (const r of this.runs) {
          const run = await this.h.engine.get(r.id).catch(() => undefined);
          if (run?.state !== "awaiting_approval" || run.gate?.status !== "open") continue;
          const gate = { runId: r.id, stepIndex: run.gate.stepIndex, attempt: run.gate.attempt, planHash: run.plan.planHash };
          r.approving = (async () => {
            try {
              await this.h.engine.approve(gate, approver);
              r.approvalsAcked++;
            } catch (error) {
              // Someone else's click won, or the gate moved on: not an approval that was acknowledged.
              if (!isEngineError(error)) throw error;
            }
          })();
          await r.approving;
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
  }

  /** Every run's progress, in one string: a fault's recovery ends when it changes. */
  async progress(): Promise<string> {
    const runs = await Promise.all(this.runs.map((r) => this.h.engine.get(r.id)));
    return runs.map((r) => (r === undefined ? "?" : progressOf(r))).join("|");
  }

  /** Whether some run is executing a step now (a fault then lands mid-step). */
  async busy(): Promise<boolean> {
    const runs = await Promise.all(this.runs.map((r) => this.h.engine.get(r.id)));
    return runs.some((r) => r?.state === "running" && r.steps[r.cursor]?.state === "running");
  }

  async active(): Promise<boolean> {
    const runs = await Promise.all(this.runs.map((r) => this.h.engine.get(r.id)));
    return runs.some((r) => r !== undefined && ["running", "awaiting_approval"].includes(r.state));
  }

  /** Drives every run started so far to its end, counts into `f`, and forgets them. */
  async settle(f: FleetFigures, timeoutMs = 90_000): Promise<void> {
    for (const r of this.runs) {
      // A record that is gone for good is a lost run to count, not a run to wait 90 s for.
      const exists = await eventually(`run ${r.id}'s record`, async () => ((await this.h.engine.get(r.id)) !== undefined ? true : undefined), 15_000).catch(() => false);
      if (!exists) {
        f.runs++;
        f.lost++;
        f.recordsGone++;
        continue;
      }
      let final: RunRecord;
      for (;;) {
        final = await waitForRun(this.h.engine, r.id, (run) => ["succeeded", "paused", "failed", "aborted"].includes(run.state), timeoutMs);
        if (final.state !== "paused") break;
        const step = final.steps[final.cursor];
        if (step?.state === "interrupted") f.interrupted++;
        const line = `${r.tag}-${final.cursor}`;
        if (fs.existsSync(r.file) && fs.readFileSync(r.file, "utf8").split("\n").includes(line)) {
          f.skipped++;
          await this.h.engine.skip(r.id, final.cursor, operator, "the line is already in the file");
        } else {
          f.retried++;
          await this.h.engine.retry(r.id, final.cursor, operator);
        }
      }
      f.runs++;
      if (final.state === "succeeded") f.succeeded++;
      else f.lost++;
      const lines = fs.existsSync(r.file) ? fs.readFileSync(r.file, "utf8").split("\n").filter((l) => l !== "") : [];
      for (let i = 0; i < FLEET_STEPS; i++) {
        const n = lines.filter((l) => l === `${r.tag}-${i}`).length;
        if (n > 1) f.twice++;
        if (n === 0) f.missing++;
      }
      f.strayLines += lines.filter((l) => !Array.from({ length: FLEET_STEPS }, (_, i) => `${r.tag}-${i}`).includes(l)).length;
      // An approval whose write landed but whose answer waits out a failover's WAIT (up to its 1 s
      // timeout on a primary without a replica yet) is counted once answered, not as unacknowledged.
      await r.approving;
      const approved = (await this.h.engine.audit(r.id)).filter((e) => e.type === "approved" && e.stepIndex === GATE_AT).length;
      const kept = final.steps[GATE_AT]?.approvals.filter((d) => d.decision === "approved").length ?? 0;
      f.approvalsLost += Math.max(0, r.approvalsAcked - approved);
      if (kept !== 1 || approved !== r.approvalsAcked) f.gatesBroken++;
      if ((await this.h.engine.store.lockHolder(r.cluster)) !== undefined) f.locksLeft++;
    }
    this.runs = [];
  }

  async stop(): Promise<void> {
    this.approving = false;
    await this.approver;
  }
}
