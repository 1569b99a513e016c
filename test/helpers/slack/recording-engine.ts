import type { AuditEntry } from "../../../src/jobs/store/audit-entry";
import type { AbortRequest, Actor, Engine, GateRef, PlanRequest } from "../../../src/jobs/engine";
import type { ClusterStatusResult } from "../../../src/jobs/query/cluster-status-result";
import type { RunEvent, RunRecord } from "../../../src/jobs/run-types";
import type { Plan } from "../../../src/procedures/model/plan";
import { makePlan, makeRun } from "./run-fixtures";

export interface EngineCall {
  readonly method: keyof Engine;
  readonly args: readonly unknown[];
}

/** An error shaped like the engine's refusals (name EngineError, string code). */
export function engineRefusal(code: string, message: string): Error {
  return Object.assign(new Error(message), { name: "EngineError", code });
}

/**
 * A stand-in for the `Engine` interface where the real engine is not the
 * subject (bot transport tests): records every call with its arguments,
 * answers with hand-built plans and runs, can refuse or hang per method, and
 * lets the test emit run events to subscribers. Not a model of the engine's
 * rules: it checks nothing.
 */
export class RecordingEngine implements Engine {
  readonly calls: EngineCall[] = [];
  readonly runs = new Map<string, RunRecord>();
  private readonly listeners = new Set<(event: RunEvent) => void>();
  private readonly refusals = new Map<keyof Engine, Error>();
  private readonly hanging = new Set<keyof Engine>();
  private counter = 0;
  /** How `plan()` answers; by default a 4-step plan for the request. */
  planFor: (request: PlanRequest) => Plan = (r) => makePlan(4, { procedureId: r.procedureId, cluster: r.cluster, params: r.params });
  /** How `queryStatus()` answers; by default an `ok: false` result saying nothing was set. */
  statusFor: (cluster: string) => ClusterStatusResult = (cluster) => ({
    ok: false,
    cluster,
    code: "not_configured",
    message: `RecordingEngine has no status for ${cluster}`,
    attempts: [],
    queriedAt: "2026-01-01T10:00:00.000Z",
    durationMs: 0,
  });

  refuse(method: keyof Engine, error: Error): void {
    this.refusals.set(method, error);
  }

  /** Calls to `method` never settle (as when Redis is down and ioredis keeps reconnecting). */
  hang(method: keyof Engine): void {
    this.hanging.add(method);
  }

  callsOf(method: keyof Engine): EngineCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  emit(event: RunEvent): void {
    for (const l of this.listeners) l(event);
  }

  private enter(method: keyof Engine, args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    if (this.hanging.has(method)) return new Promise<void>(() => undefined);
    const refusal = this.refusals.get(method);
    return refusal === undefined ? Promise.resolve() : Promise.reject(refusal);
  }

  private current(runId: string): RunRecord {
    const run = this.runs.get(runId);
    if (run === undefined) throw engineRefusal("run_not_found", `no run ${runId}`);
    return run;
  }

  async plan(request: PlanRequest, actor?: Actor): Promise<Plan> {
    await this.enter("plan", actor === undefined ? [request] : [request, actor]);
    return this.planFor(request);
  }

  async start(plan: Plan, actor: Actor): Promise<RunRecord> {
    await this.enter("start", [plan, actor]);
    const run = makeRun(plan, { id: `run-${++this.counter}`, requestedBy: actor.userId });
    this.runs.set(run.id, run);
    this.emit({ type: "run.created", run });
    return run;
  }

  async approve(gate: GateRef, actor: Actor): Promise<RunRecord> {
    await this.enter("approve", [gate, actor]);
    return this.current(gate.runId);
  }

  async reject(gate: GateRef, actor: Actor, reason: string): Promise<RunRecord> {
    await this.enter("reject", [gate, actor, reason]);
    return this.current(gate.runId);
  }

  async confirm(runId: string, stepIndex: number, actor: Actor): Promise<RunRecord> {
    await this.enter("confirm", [runId, stepIndex, actor]);
    return this.current(runId);
  }

  async retry(runId: string, stepIndex: number, actor: Actor): Promise<RunRecord> {
    await this.enter("retry", [runId, stepIndex, actor]);
    return this.current(runId);
  }

  async skip(runId: string, stepIndex: number, actor: Actor, reason: string): Promise<RunRecord> {
    await this.enter("skip", [runId, stepIndex, actor, reason]);
    return this.current(runId);
  }

  async abort(runId: string, actor: Actor, mode: "after-step" | "now", request?: AbortRequest): Promise<RunRecord> {
    await this.enter("abort", [runId, actor, mode, request]);
    return this.current(runId);
  }

  async checkOperator(runId: string, actor: Actor): Promise<RunRecord> {
    await this.enter("checkOperator", [runId, actor]);
    return this.current(runId);
  }

  async audit(runId: string): Promise<AuditEntry[]> {
    await this.enter("audit", [runId]);
    return [];
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    await this.enter("get", [runId]);
    return this.runs.get(runId);
  }

  async list(filter?: { readonly cluster?: string; readonly active?: boolean; readonly limit?: number }): Promise<readonly RunRecord[]> {
    await this.enter("list", [filter]);
    return [...this.runs.values()].filter((r) => filter?.cluster === undefined || r.plan.cluster === filter.cluster);
  }

  async queryStatus(cluster: string, actor: Actor): Promise<ClusterStatusResult> {
    await this.enter("queryStatus", [cluster, actor]);
    return this.statusFor(cluster);
  }

  async subscribe(listener: (event: RunEvent) => void): Promise<() => Promise<void>> {
    await this.enter("subscribe", [listener]);
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      return Promise.resolve();
    };
  }

  async close(): Promise<void> {
    await this.enter("close", []);
  }
}
