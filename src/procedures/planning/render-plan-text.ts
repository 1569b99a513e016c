import type { Plan } from "../model/plan";
import type { Expectation, LeofsStatusCondition, PlannedStep } from "../model/step";

/**
 * The dry run as plain text: what the operator reads before asking for a run.
 * Every command is shown exactly as it will be sent (placeholders filled by
 * earlier steps' captures are shown as `{{name}}`).
 */
export function renderPlanText(plan: Plan): string {
  const paramText = Object.entries(plan.params)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  const destructive = plan.steps.filter((s) => s.destructive).length;
  const lines = [
    `${plan.procedureTitle} (${plan.procedureId}) on ${plan.cluster}${paramText !== "" ? ` — ${paramText}` : ""}`,
    `${plan.steps.length} steps, ${destructive} destructive (⚠ = needs approval). Plan ${plan.planHash.slice(0, 12)}`,
    "",
  ];
  for (const step of plan.steps) lines.push(...renderStep(step), "");
  return lines.join("\n").replace(/\n+$/, "\n");
}

function renderStep(step: PlannedStep): string[] {
  const mark = step.destructive ? "⚠ " : "";
  const flags = [step.kind, step.destructive ? "destructive" : undefined, step.idempotent ? undefined : "not re-runnable"].filter(Boolean).join(", ");
  const out = [`${step.index + 1}. ${mark}${step.title} [${flags}]`];
  if (step.destructive) out.push(`   APPROVAL required before this step${step.approvalDetail !== undefined ? `: ${step.approvalDetail}` : ""}`);
  else if (step.approvalDetail !== undefined) out.push(`   ${step.approvalDetail}`);
  if (step.kind === "copy" && step.copy !== undefined) {
    out.push(`   copy ${step.copy.fromHost}:${step.copy.fromPath} -> ${step.copy.toHost}:${step.copy.toPath} (checksums verified)`);
  }
  if (step.kind === "wait" && step.wait !== undefined) {
    out.push(
      step.wait.poll !== undefined
        ? `   poll every ${seconds(step.wait.poll.intervalMs)} for up to ${seconds(step.wait.delayMs)} until ${describeExpectation(step.wait.poll.expect)}`
        : `   wait ${seconds(step.wait.delayMs)}`,
    );
  }
  const many = step.targets.length > 1;
  if (many) out.push(`   on ${step.targets.map((t) => t.host).join(", ")}${step.parallel !== null ? ` (parallel, ${step.parallel.limit} at a time)` : " (one after the other)"}`);
  for (const t of step.targets) {
    if (t.command !== undefined) out.push(`   ${t.host}$ ${t.command}`);
    else if (!many && step.kind !== "copy") out.push(`   on ${t.host}`);
  }
  if (step.kind === "confirm") out.push(`   CONFIRM: ${step.prompt}`);
  if (step.expect !== undefined && !(step.expect.type === "exit-zero" && step.kind === "exec")) out.push(`   expect: ${describeExpectation(step.expect)}`);
  for (const c of step.captures ?? []) out.push(`   captures {{${c.name}}} from /${c.pattern}/ (values must match /^(?:${c.valuePattern})$/)`);
  if (step.onFailure === "abort") out.push("   on failure: abort the run");
  if (step.retries.max > 0) out.push(`   retries: ${step.retries.max} (every ${seconds(step.retries.backoffMs)})`);
  if (step.runIf !== undefined) out.push(`   only if {{${step.runIf.anyCapture.join("}} or {{")}}} captured something; else skipped: ${step.runIf.reason}`);
  for (const b of step.backups ?? []) out.push(`   backup: ${b.host}:${b.path} (${b.what})`);
  out.push(`   cite: ${step.cite}`);
  if (step.note !== undefined) out.push(`   note: ${step.note}`);
  if (step.rollback !== undefined) out.push(`   if the run stops from here on: ${step.rollback}`);
  return out;
}

function seconds(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000} min`;
  return `${Math.round(ms / 100) / 10} s`;
}

/** One line, operator language. */
export function describeExpectation(expect: Expectation): string {
  switch (expect.type) {
    case "exit-zero":
      return "exit code 0";
    case "exit-code":
      return `exit code ${expect.codes.join(" or ")}`;
    case "stdout-includes":
      return `output includes ${JSON.stringify(expect.text)}`;
    case "stdout-excludes":
      return `output does not include ${JSON.stringify(expect.text)}`;
    case "stdout-matches":
      return `output matches /${expect.pattern}/${expect.flags ?? ""}`;
    case "stdout-empty":
      return "no output";
    case "no-leofs-error":
      return "no [ERROR] line from leofs-adm";
    case "no-leofs-node-errors":
      return "no node reported ERROR or PENDING";
    case "leofs-versions":
      return `version all lists ${expect.nodes.join(", ")} at ${expect.version}`;
    case "leofs-status":
      return describeCondition(expect.condition);
    case "all":
      return expect.of.map(describeExpectation).join(" and ");
  }
}

function describeCondition(c: LeofsStatusCondition): string {
  switch (c.kind) {
    case "nodes-in-state":
      return `status shows ${c.nodes.join(", ")} ${c.states.join("|")}`;
    case "all-in-state":
      return `status shows every ${c.nodeType === "S" ? "storage node" : c.nodeType === "G" ? "gateway" : "node"} ${c.states.join("|")}`;
    case "node-absent":
      return `status no longer lists ${c.node}`;
    case "rings-consistent":
      return "every node's ring hashes equal the manager's";
    case "operation-allowed":
      return `the manager would accept ${c.operation}${c.node !== undefined ? ` ${c.node}` : ""}`;
  }
}
