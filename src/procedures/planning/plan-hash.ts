import { createHash } from "node:crypto";
import type { Plan } from "../model/plan";
import { canonicalJson } from "./canonical-json";

/** sha256 (hex) of the canonical JSON of the plan without its hash: what approvals bind to. */
export function computePlanHash(plan: Omit<Plan, "planHash"> | Plan): string {
  const { planHash: _ignored, ...rest } = plan as Plan;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex");
}
