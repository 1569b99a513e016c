import type { Plan } from "../../procedures/model/plan";
import type { PlanRequest } from "../engine";

/** Turns a request into a Plan (procedures + inventory); throws on bad params or topology. */
export interface Planner {
  plan(request: PlanRequest): Promise<Plan> | Plan;
}
