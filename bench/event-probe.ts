import { performance } from "node:perf_hooks";
import type { RunEvent, RunRecord } from "../src/jobs";

interface RunTimes {
  readonly stepFinished: Map<number, number>;
  finished?: { readonly at: number; readonly run: RunRecord };
  waiters: Array<() => void>;
}

/**
 * When each run event arrived at a subscriber of the run events channel (the
 * bot's notifier gets the same message from the same publish). Events are
 * kept by run id, since a step may finish before `engine.start` has even
 * returned.
 */
export class EventProbe {
  private readonly runs = new Map<string, RunTimes>();

  see(event: RunEvent): void {
    if (event.type !== "step.finished" && event.type !== "run.finished") return;
    const at = performance.now();
    const times = this.times(event.run.id);
    if (event.type === "step.finished") times.stepFinished.set(event.stepIndex, at);
    else times.finished = { at, run: event.run };
    const waiters = times.waiters;
    times.waiters = [];
    for (const w of waiters) w();
  }

  async stepFinished(runId: string, stepIndex: number, timeoutMs = 60_000): Promise<number> {
    const times = this.times(runId);
    await this.until(times, () => times.stepFinished.has(stepIndex), timeoutMs, `step ${stepIndex} of ${runId}`);
    return times.stepFinished.get(stepIndex)!;
  }

  async runFinished(runId: string, timeoutMs = 120_000): Promise<{ readonly at: number; readonly run: RunRecord }> {
    const times = this.times(runId);
    await this.until(times, () => times.finished !== undefined, timeoutMs, `run ${runId}`);
    return times.finished!;
  }

  /** Arrival times of every step.finished of a run, by step index. */
  stepTimes(runId: string): ReadonlyMap<number, number> {
    return this.times(runId).stepFinished;
  }

  forget(runId: string): void {
    this.runs.delete(runId);
  }

  private times(runId: string): RunTimes {
    let times = this.runs.get(runId);
    if (times === undefined) {
      times = { stepFinished: new Map(), waiters: [] };
      this.runs.set(runId, times);
    }
    return times;
  }

  private async until(times: RunTimes, done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!done()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`bench: ${what} not finished within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        times.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
