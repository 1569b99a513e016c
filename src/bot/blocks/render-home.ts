import type { RunRecord } from "../../jobs/run-types";
import { TERMINAL_RUN_STATES } from "../../jobs/run-types";
import { mrkdwn, plain, type Block, type HomeView } from "./block-types";
import { fitBlocks } from "./fit-blocks";
import { runLine } from "./render-run-list";
import { packSections } from "./pack-sections";

/** The App Home tab: approvals waiting for this user, active runs, recent runs. */
export function renderHome(runs: readonly RunRecord[], pendingApprovals: readonly RunRecord[]): HomeView {
  const active = runs.filter((r) => !TERMINAL_RUN_STATES.includes(r.state));
  const recent = runs.filter((r) => TERMINAL_RUN_STATES.includes(r.state)).slice(0, 20);
  const section = (title: string, list: readonly RunRecord[], empty: string): Block[] => [
    { type: "header", text: plain(title) },
    ...(list.length === 0 ? [{ type: "section" as const, text: mrkdwn(empty) }] : packSections(list.map(runLine))),
  ];
  const blocks: Block[] = [
    ...section("Waiting for your approval", pendingApprovals, "Nothing waits for you."),
    { type: "divider" },
    ...section("Active runs", active, "No intervention is running."),
    { type: "divider" },
    ...section("Recent runs", recent, "No finished run yet."),
    { type: "context", elements: [mrkdwn("Approve or reject from the run message in the cluster's channel. `/leofs help`, `/dirac help` list the commands.")] },
  ];
  return { type: "home", blocks: fitBlocks(blocks, "home") };
}
