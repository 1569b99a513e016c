import path from "node:path";

/**
 * Slack's published references, copied into the repository (test/fixtures/slack)
 * so a clone runs its tests and demo without anything beside it. Resolved from
 * the repository root, so the path holds from the sources and from a
 * transpiled tree alike (bench and the crash tests transpile to a temp dir and
 * set INTERVENE_REPO_ROOT).
 */
export const SLACK_REFERENCE_DIR = path.join(process.env.INTERVENE_REPO_ROOT ?? path.resolve(__dirname, "..", ".."), "test", "fixtures", "slack");

export function slackReferencePath(...parts: string[]): string {
  return path.join(SLACK_REFERENCE_DIR, ...parts);
}
