import type { Expectation, PlannedStep } from "../model/step";
import { placeholdersIn } from "../expectations/captures";

const STEP_ID = /^[a-z0-9][a-z0-9-]*$/;
const CAPTURE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * The rules every plan obeys, whatever procedure built it. Returns the
 * problems found (empty when the plan is sound).
 */
export function validatePlanSteps(steps: readonly PlannedStep[], hostNames: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const captured = new Set<string>();

  for (const step of steps) {
    const at = `step ${step.index + 1} (${step.id})`;
    if (!STEP_ID.test(step.id)) problems.push(`${at}: id must be a lowercase slug`);
    if (ids.has(step.id)) problems.push(`${at}: duplicate step id`);
    ids.add(step.id);
    if (step.title.trim() === "") problems.push(`${at}: empty title`);
    if (step.cite.trim() === "") problems.push(`${at}: every step cites the seed section or reference fact it implements`);

    for (const t of step.targets) {
      if (!hostNames.has(t.host)) problems.push(`${at}: target host ${t.host} is not in the cluster's inventory`);
      if (t.command !== undefined && t.command.includes("\0")) problems.push(`${at}: command for ${t.host} contains a NUL byte`);
    }

    switch (step.kind) {
      case "exec":
      case "check":
        if (step.targets.length === 0) problems.push(`${at}: ${step.kind} step without targets`);
        for (const t of step.targets) if (t.command === undefined || t.command.trim() === "") problems.push(`${at}: no command for ${t.host}`);
        break;
      case "copy":
        for (const h of [step.copy.fromHost, step.copy.toHost]) {
          if (!hostNames.has(h)) problems.push(`${at}: copy host ${h} is not in the cluster's inventory`);
        }
        for (const p of [step.copy.fromPath, step.copy.toPath]) if (!p.startsWith("/")) problems.push(`${at}: copy path ${p} is not absolute`);
        if (step.copy.fromHost === step.copy.toHost && step.copy.fromPath === step.copy.toPath) problems.push(`${at}: copy onto itself`);
        break;
      case "wait":
        if (step.wait.poll !== undefined) {
          if (step.targets.length === 0) problems.push(`${at}: polling wait without targets`);
          for (const t of step.targets) if (t.command === undefined) problems.push(`${at}: polling wait without a command for ${t.host}`);
          if (step.wait.poll.intervalMs <= 0) problems.push(`${at}: poll interval must be positive`);
          problems.push(...expectationProblems(step.wait.poll.expect, at));
        }
        break;
      case "confirm":
        if (step.prompt.trim() === "") problems.push(`${at}: confirm step without a prompt`);
        break;
    }

    if (step.destructive && step.kind !== "exec" && step.kind !== "copy") {
      problems.push(`${at}: a ${step.kind} step is read-only and cannot be destructive`);
    }
    if (step.expect !== undefined) problems.push(...expectationProblems(step.expect, at));
    if (!(step.timeoutMs > 0)) problems.push(`${at}: timeout must be positive`);
    if (!Number.isInteger(step.retries.max) || step.retries.max < 0 || step.retries.backoffMs < 0) problems.push(`${at}: invalid retries`);
    if (step.parallel !== null && (!Number.isInteger(step.parallel.limit) || step.parallel.limit < 1)) problems.push(`${at}: parallel limit must be ≥ 1`);

    // Placeholders may only name values captured by an earlier step.
    for (const t of step.targets) {
      for (const name of placeholdersIn(t.command ?? "")) {
        if (!captured.has(name)) problems.push(`${at}: {{${name}}} is not captured by an earlier step`);
      }
    }
    for (const name of step.runIf?.anyCapture ?? []) {
      if (!captured.has(name)) problems.push(`${at}: runIf names ${name}, which no earlier step captures`);
    }
    if (step.runIf !== undefined && step.runIf.anyCapture.length === 0) problems.push(`${at}: runIf names no capture`);
    for (const capture of step.captures ?? []) {
      if (!CAPTURE_NAME.test(capture.name)) problems.push(`${at}: capture name ${capture.name} is not an identifier`);
      if (captured.has(capture.name)) problems.push(`${at}: capture ${capture.name} is already defined`);
      captured.add(capture.name);
      problems.push(...regexProblems(capture.pattern, "gm", `${at}: capture ${capture.name} pattern`));
      problems.push(...regexProblems(capture.valuePattern, "", `${at}: capture ${capture.name} valuePattern`));
      if (!/\((?!\?)/.test(capture.pattern)) problems.push(`${at}: capture ${capture.name} pattern has no group 1`);
    }
  }
  return problems;
}

function expectationProblems(expect: Expectation, at: string): string[] {
  switch (expect.type) {
    case "stdout-matches":
      return regexProblems(expect.pattern, expect.flags ?? "", `${at}: expectation pattern`);
    case "exit-code":
      return expect.codes.length === 0 ? [`${at}: exit-code expectation lists no codes`] : [];
    case "all":
      return expect.of.flatMap((e) => expectationProblems(e, at));
    case "leofs-status":
      if (expect.condition.kind === "nodes-in-state" && expect.condition.nodes.length === 0) return [`${at}: nodes-in-state lists no nodes`];
      return [];
    default:
      return [];
  }
}

function regexProblems(pattern: string, flags: string, what: string): string[] {
  try {
    new RegExp(pattern, flags);
    return [];
  } catch (error) {
    return [`${what} /${pattern}/ is invalid: ${(error as Error).message}`];
  }
}
