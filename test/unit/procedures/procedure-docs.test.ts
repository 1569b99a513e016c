import fs from "node:fs";
import path from "node:path";
import { DOCS_DIR, renderProcedureDocs } from "../../../tools/write-procedure-docs";

/**
 * Issue 16 point 3: docs/procedures/<id>.md is rendered from the same
 * definitions the planner uses; the committed files must be what
 * `npm run docs` writes now, and writing twice gives the same bytes.
 */
describe("docs/procedures", () => {
  it("is up to date with the procedures (run `npm run docs` after changing one)", () => {
    const files = renderProcedureDocs();
    for (const [name, text] of files) {
      const file = path.join(DOCS_DIR, name);
      expect([name, fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "(missing)"]).toEqual([name, text]);
    }
    expect(fs.readdirSync(DOCS_DIR).sort()).toEqual([...files.keys()].sort());
  });

  it("is deterministic and names, for each procedure, its parameters, every step's cite, and the approvals", () => {
    const once = renderProcedureDocs();
    const twice = renderProcedureDocs();
    expect([...twice]).toEqual([...once]);
    const takeover = once.get("leofs.takeover-manager.md") ?? "";
    expect(takeover).toContain("| `replace` | one of `manager-master`, `manager-slave` | yes |");
    expect(takeover).toContain("APPROVAL required before this step");
    expect(takeover).toContain("if the run stops from here on:");
    expect(once.get("README.md")).toContain("[`dirac.intervention`](dirac.intervention.md)");
  });
});
