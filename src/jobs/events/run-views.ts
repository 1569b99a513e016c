import { applyRunDelta, type RunDelta } from "./run-delta";
import type { RunEvent, RunRecord } from "../run-types";

/** One message off the events channel, decoded: the events of one transition and how their run travels. */
export type EventMessage =
  | { readonly kind: "run"; readonly run: RunRecord; readonly events: readonly Record<string, unknown>[] }
  | { readonly kind: "delta"; readonly delta: RunDelta; readonly events: readonly Record<string, unknown>[] }
  /** Events that carry their run (or none: live output), as processes of an earlier version publish them. */
  | { readonly kind: "plain"; readonly events: readonly RunEvent[] };

export interface RunViewsOptions {
  /** Reads a run whose view is missing or behind (a missed message, a bot that started mid-run). */
  readonly fetchRun: (runId: string) => Promise<RunRecord | undefined>;
  /** Views kept, least recently used dropped first. @defaultValue 1000 */
  readonly limit?: number;
  readonly onFetchError?: (runId: string, err: unknown) => void;
}

const CARRIES_RUN = new Set(["run.created", "run.updated", "approval.requested", "step.finished", "run.finished"]);

/**
 * A subscriber's view of each recent run (issue 13 point 3): a delta is
 * applied to the view it was computed from, so listeners still get whole
 * records while only the changes travel and are parsed. A delta that finds
 * no view, or a view of another version, reads the run once; the run's later
 * messages wait for that read, so each run's events keep their order.
 */
export class RunViews {
  private readonly views = new Map<string, RunRecord>();
  private readonly waiting = new Map<string, Promise<void>>();
  private readonly limit: number;

  constructor(private readonly options: RunViewsOptions) {
    this.limit = options.limit ?? 1000;
  }

  receive(message: EventMessage, deliver: (event: RunEvent) => void): void {
    const runId = runIdOf(message);
    const before = runId === undefined ? undefined : this.waiting.get(runId);
    if (before === undefined) {
      const reading = this.process(message, deliver);
      if (reading !== undefined && runId !== undefined) this.wait(runId, reading);
      return;
    }
    this.wait(runId!, before.then(() => this.process(message, deliver)));
  }

  /** Forgets every view: the next change of each run reads it (after a reconnect). */
  reset(): void {
    this.views.clear();
  }

  /** Resolves once every read under way has delivered its events. */
  async idle(): Promise<void> {
    while (this.waiting.size > 0) await Promise.all([...this.waiting.values()]);
  }

  private wait(runId: string, work: Promise<void>): void {
    const tracked = work.catch((err: unknown) => this.options.onFetchError?.(runId, err));
    this.waiting.set(runId, tracked);
    void tracked.finally(() => {
      if (this.waiting.get(runId) === tracked) this.waiting.delete(runId);
    });
  }

  private process(message: EventMessage, deliver: (event: RunEvent) => void): Promise<void> | undefined {
    switch (message.kind) {
      case "plain":
        for (const event of message.events) {
          if ("run" in event) this.remember(event.run);
          deliver(event);
        }
        return undefined;
      case "run":
        emit(message.events, this.remember(message.run), deliver);
        return undefined;
      case "delta": {
        const { delta } = message;
        const view = this.views.get(delta.id);
        // Already past it (a read overtook this message): the view is the newer truth.
        if (view !== undefined && view.version >= delta.version) return void emit(message.events, this.remember(view), deliver);
        const next = view === undefined ? undefined : applyRunDelta(view, delta);
        if (next !== undefined) return void emit(message.events, this.remember(next), deliver);
        // A change nobody listens for (bookkeeping) is not worth a read: the next delta reads the run.
        if (message.events.length === 0) return void this.views.delete(delta.id);
        return this.options.fetchRun(delta.id).then((run) => {
          if (run !== undefined) emit(message.events, this.remember(run), deliver);
        });
      }
    }
  }

  /** Keeps the newer of `run` and the view (unless finished); returns the newer. */
  private remember(run: RunRecord): RunRecord {
    const known = this.views.get(run.id);
    const kept = known !== undefined && known.version > run.version ? known : run;
    this.views.delete(run.id);
    // A finished run changes little more (its end snapshot, once): not worth keeping; a later delta reads it.
    if (kept.finishedAt !== undefined) return kept;
    this.views.set(run.id, kept);
    if (this.views.size > this.limit) this.views.delete(this.views.keys().next().value!);
    return kept;
  }
}

function runIdOf(message: EventMessage): string | undefined {
  if (message.kind === "run") return message.run.id;
  if (message.kind === "delta") return message.delta.id;
  const first = message.events[0];
  return first === undefined ? undefined : first.type === "step.output" ? first.runId : first.run.id;
}

function emit(events: readonly Record<string, unknown>[], run: RunRecord, deliver: (event: RunEvent) => void): void {
  for (const event of events) deliver((CARRIES_RUN.has(String(event.type)) && event.run === undefined ? { ...event, run } : event) as RunEvent);
}
