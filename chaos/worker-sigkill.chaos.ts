import { runCrashTrials, useCrashBed } from "../test/integration/jobs/helpers/crash-trials";
import { recordRow, recoveryFigures, trials } from "./chaos-row";

const TRIALS = trials(50, 12);

jest.setTimeout(1_200_000);

/**
 * Issue 15 points 3 and 4, row "worker SIGKILL": a worker process (the
 * product's own entry) is SIGKILLed at a random point of a ten-step run with
 * four non-idempotent appends over SSH; a fresh worker takes over. Counted:
 * runs lost, lines written twice, and the time from the kill to the run going
 * on (the killed step marked interrupted, or the run past it).
 */
describe("chaos: worker SIGKILL at random points", () => {
  const bed = useCrashBed("intervene-chaos-");

  it(`${TRIALS} SIGKILLs: no run lost, no line written twice`, async () => {
    const f = await runCrashTrials(bed.harness(), bed.dir(), () => bed.spawnWorker(), TRIALS);
    recordRow({
      name: "worker SIGKILL at random points",
      trials: TRIALS,
      faults: TRIALS,
      runsLost: f.lost,
      stepsRunTwice: f.twice,
      duplicateSlackPosts: 0,
      finalMessagesWrong: 0,
      ...recoveryFigures(f.recoveriesMs),
      detail: `${f.killedMidStep} kills landed inside a step, ${f.interrupted} steps interrupted (${f.retried} retried, ${f.skipped} skipped), ${f.rerunIdempotent} idempotent re-runs; recovery = kill to the run moving on (the stalled job re-delivered and the step marked interrupted or re-run); no Slack in this row`,
    });
    expect({ lost: f.lost, twice: f.twice, missing: f.missing, strayLines: f.strayLines, pausedNotInterrupted: f.pausedNotInterrupted, locksLeft: f.locksLeft }).toEqual({ lost: 0, twice: 0, missing: 0, strayLines: 0, pausedNotInterrupted: 0, locksLeft: 0 });
  });
});
