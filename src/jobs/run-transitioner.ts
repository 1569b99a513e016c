import type { EffectSink } from "./effect-sink";
import { EngineError } from "./engine-error";
import type { EventBus } from "./events/event-bus";
import type { WallClock } from "./ports/wall-clock";
import type { EngineLogger } from "./ports/engine-logger";
import type { PolicyResolver } from "./ports/run-policy";
import { RunDraft, type Effect, type Notice } from "./run-machine/run-draft";
import type { Announcement, HeldClaim, RunStore } from "./store/run-store";
import type { RunEvent, RunRecord } from "./run-types";
import type { CarriedRecord } from "./step-job";

export interface TransitionerDeps {
  readonly store: RunStore;
  readonly effects: EffectSink;
  readonly bus: EventBus;
  readonly policy: PolicyResolver;
  readonly clock: WallClock;
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
  /** Given up by the write that commits, in the same script (a finished step's lease); kept when nothing is written. */
  readonly releaseOnCommit?: HeldClaim;
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

/** A committed record's events: its update, then what the transition announced. */
function eventsOf(run: RunRecord, notices: readonly Notice[]): RunEvent[] {
  return [{ type: "run.updated", run }, ...notices.map((n) => noticeToEvent(run, n))];
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
    const { maxTries = 100, via, known, releaseOnCommit } = options;
    const { store, clock, policy } = this.deps;
    for (let tries = 0; tries < maxTries; tries++) {
      const run = tries === 0 && known !== undefined ? known : await store.get(runId);
      if (run === undefined) throw new EngineError("NOT_FOUND", `no run ${runId}`, { runId });
      const now = clock.now();
      const draft = new RunDraft(run, {
        now,
        actor,
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
      // The events go out with the write itself (one command per transition), as the change to `run`.
      const announce = this.deps.bus.announcement(this.deps.bus.encode(eventsOf(next, draft.notices), run));
      const result = await store.compareAndSet(run, next, draft.audit, now.toISOString(), announce, releaseOnCommit);
      if (result === "missing") throw new EngineError("NOT_FOUND", `no run ${runId}`, { runId });
      if (result === "conflict") {
        // Someone else moved the run first: recompute against their result (which may now refuse).
        if (tries > 3) await new Promise((r) => setTimeout(r, Math.random() * 5 * Math.min(tries, 20)));
        continue;
      }
      await this.applyEffects(next, draft);
      if (draft.refusal !== undefined) throw draft.refusal;
      return { run: next, draft, committed: true };
    }
    throw new EngineError("CONFLICT", `run ${runId} is changing too fast; try again`, { runId });
  }

  /** The events of a new run, for the create that publishes them in its own write (`RunStore.create`). */
  announcementOf(run: RunRecord, draft: RunDraft): Announcement | undefined {
    return this.deps.bus.announcement(this.deps.bus.encode(eventsOf(run, draft.notices)));
  }

  /**
   * The effects of a new run's create, which published its events itself
   * (`announcementOf`). `enqueued`: the effect already sent behind the
   * create. A first step's job carries the record (`CarriedRecord`): the
   * worker need not read what was just written.
   */
  async afterCreate(run: RunRecord, draft: RunDraft, enqueued?: Effect): Promise<void> {
    await this.applyEffects(run, draft, this.carried(run), enqueued);
  }

  /** The record as a step job carries it, when this process knows its write id. */
  carried(run: RunRecord): CarriedRecord | undefined {
    const writeId = this.deps.store.writeIdOf(run);
    return writeId !== undefined ? { run, writeId } : undefined;
  }

  /** Effects of a committed transition; failures are left to the reconciler (effects are idempotent). */
  private async applyEffects(run: RunRecord, draft: RunDraft, record?: CarriedRecord, done?: Effect): Promise<void> {
    for (const effect of draft.effects) {
      if (effect === done) continue;
      try {
        await this.deps.effects.apply(run.id, effect, record);
      } catch (error) {
        this.deps.logger.warn({ runId: run.id, effect, err: error }, "effect not applied; the reconciler will retry it");
      }
    }
  }
}
