import { catalogStepAuthority } from "../../../src/jobs/adapters/catalog-step-authority";
import type { Inventory } from "../../../src/config";
import type { RunRecord } from "../../../src/jobs/run-types";
import { policy, started, step } from "./run-fixtures";

/**
 * The worker hashes a plan object once (a job carrying steps checks each
 * from the record it committed, the same object): a copy with other content
 * under the same hash, as a record read again from Redis would be, is
 * hashed and refused all the same.
 */
describe("catalogStepAuthority's plan-hash check", () => {
  const authority = catalogStepAuthority({
    inventory: { clusters: {} } as unknown as Inventory,
    policy: { approvalPolicyFor: () => policy },
    approvalKey: Buffer.alloc(32, 1),
  });
  const run = started([step(0, {}), step(1, {})]);

  it("refuses a plan whose content is not what its hash says, even after the same run's plan object passed", () => {
    // The honest plan passes the hash check and stops at the next one (this worker knows no cluster c).
    expect(authority.refusal(run, 0)).toBe("cluster c is not in this worker's inventory");
    expect(authority.refusal(run, 1)).toBe("cluster c is not in this worker's inventory");
    const forged: RunRecord = { ...run, plan: { ...run.plan, steps: run.plan.steps.map((s) => ({ ...s, targets: [{ host: "h1", command: "rm -rf /srv" }] })) } };
    expect(authority.refusal(forged, 0)).toMatch(/does not match its own plan hash/);
    expect(authority.refusal(forged, 1)).toMatch(/does not match its own plan hash/);
  });
});
