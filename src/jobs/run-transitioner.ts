import type { EffectSink } from "./effect-sink";
import { EngineError } from "./engine-error";
import type { EventBus } from "./event-bus";
import type { Clock } from "./ports/clock";
import type { EngineLogger } from "./ports/engine-logger";
import type { PolicyResolver } from "./ports/approval-policy";
import type { StepSemantics } from "./ports/step-semantics";
import { RunDraft, type Notice } from "./run-machine/run-draft";
import type { RunStore } from "./run-store";
import type { RunEvent, RunRecord } from "./run-types";

export interface TransitionerDeps {
  readonly store: RunStore;
  readonly effects: EffectSink;
  readonly bus: EventBus;
  readonly policy: PolicyResolver;
  readonly semantics: StepSemantics;
  readonly clock: Clock;
  readonly logger: EngineLogger;
  readonly approvalKey?: Buffer;
}

export interface ApplyOptions {
  /** @defaultValue 100 */
  readonly maxTries?: number;
  /** The actor's `via`, added to the audit entries it writes. */
  readonly via?: Readonly<Record<string, string>>;
  /** The record as this process last committed it: the first try computes from it without reading. */
  readonly known?: RunRecord;
}

export interface Applied {
  readonly run: RunRecord;
  readonly draft: RunDraft;
  readonly committed: boolean;
}

export function noticeToEvent(run: RunRecord, notice: Notice): RunEvent {
  switch (notice.type) {
    case "run.created":
      return { type: "run.created", run };
    case "approval.requested":
      return { type: "approval.requested", run, stepIndex: notice.stepIndex, approvers: notice.approvers };
    case "step.finished":
      return { type: "step.finished", run, stepIndex: notice.stepIndex };
    case "run.finished":
      return { type: "run.finished", run };
  }
}

/**
 * Read, compute, compare-and-set, repeat on conflict: the one way a run
 * changes. Effects and events follow only a committed write.
 */
export class RunTransitioner {
  constructor(private readonly deps: TransitionerDeps) {}

  /**
   * `options.known`: the record as this process last committed it (a worker finishing
   * the step it began). The first try computes from it without reading; the
   * compare-and-set still checks its version, and a run changed meanwhile is
   * read and recomputed as usual.
   */
  async apply(runId: string, actor: string, mutate: (draft: RunDraft) => void, options: ApplyOptions = {}): Promise<Applied> {
    const { maxTries = 100, via, known } = options;
    const { store, clock, policy, semantics } = this.deps;
    for (let tries = 0; tries < maxTries; tries++) {
      const run = tries === 0 && known !== undefined ? known : await store.get(runId);
      if (run === undefined) throw new EngineError("NOT_FOUND", `no run ${runId}`, { runId });
      const now = clock.now();
      const draft = new RunDraft(run, {
        now,
        actor,
        semantics,
        policy: policy.approvalPolicyFor(run.plan.cluster, run.plan.procedureId),
        ...(this.deps.approvalKey !== undefined ? { approvalKey: this.deps.approvalKey } : {}),
        ...(via !== undefined ? { via } : {}),
      });
      mutate(draft);
      if (!draft.changed) {
        if (draft.refusal !== undefined) throw draft.refusal;
        return { run, draft, committed: false };
      }
      const next: RunRecord = { ...draft.run, version: run.version + 1 };
      const result = await store.compareAndSet(run, next, draft.audit, now.toISOString());
      if (result === "missing") throw new EngineError("NOT_FOUND", `no run ${runId}`, { runId });
      if (result === "conflict") {
        // Someone else moved the run first: recompute against their result (which may now refuse).
        if (tries > 3) await new Promise((r) => setTimeout(r, Math.random() * 5 * Math.min(tries, 20)));
        continue;
      }
      await this.afterCommit(next, draft);
      if (draft.refusal !== undefined) throw draft.refusal;
      return { run: next, draft, committed: true };
    }
    throw new EngineError("CONFLICT", `run ${runId} is changing too fast; try again`, { runId });
  }

  /** Effects and events of a committed transition; failures are left to the reconciler (effects are idempotent). */
  async afterCommit(run: RunRecord, draft: RunDraft): Promise<void> {
    for (const effect of draft.effects) {
      try {
        await this.deps.effects.apply(run.id, effect);
      } catch (error) {
        this.deps.logger.warn({ runId: run.id, effect, err: error }, "effect not applied; the reconciler will retry it");
      }
    }
    // A new run goes out whole; a transition as its change to the record it was computed from.
    const created = draft.notices.some((n) => n.type === "run.created");
    // Not awaited: the message is queued on this connection now, so it still goes out before
    // anything the caller sends next; waiting for Redis's answer only delayed the step (issue 13).
    void this.publish(run, draft.notices, created ? undefined : draft.original);
  }

  async publish(run: RunRecord, notices: readonly Notice[], base?: RunRecord): Promise<void> {
    const events: RunEvent[] = [{ type: "run.updated", run }, ...notices.map((n) => noticeToEvent(run, n))];
    try {
      await this.deps.bus.publishAll(events, base);
    } catch (error) {
      this.deps.logger.warn({ runId: run.id, events: events.map((e) => e.type), err: error }, "events not published");
    }
  }
}
