import type { ClusterKind } from "../../procedures/model/plan";
import { formsOf } from "../commands/command-usage";
import { mrkdwn, plain, type Block, type MessagePayload } from "./block-types";
import { fitBlocks } from "./fit-blocks";
import { escapeMrkdwn } from "./fit-text";

/** The command grammar, one usage line per form (both kinds unless one is asked for). */
export function renderHelp(kind?: ClusterKind): MessagePayload {
  const kinds: ClusterKind[] = kind === undefined ? ["leofs", "dirac"] : [kind];
  const blocks: Block[] = [{ type: "header", text: plain("intervene commands") }];
  for (const k of kinds) {
    const lines = formsOf(k).map((f) => `\`/${k} ${escapeMrkdwn(f.usage)}\`\n    ${escapeMrkdwn(f.summary)}`);
    blocks.push({ type: "section", text: mrkdwn(`*/${k}*\n${lines.join("\n")}`) });
  }
  blocks.push({
    type: "context",
    elements: [
      mrkdwn(
        "Every procedure first shows its plan (hosts and exact commands); nothing runs until you press Start, and each destructive step waits for an approver. " +
          "`--dry-run` only shows the plan. Missing parameters are asked for in a form. Quote values with spaces: `package=\"my file.deb\"`.",
      ),
    ],
  });
  return { text: "intervene commands", blocks: fitBlocks(blocks, "message") };
}
