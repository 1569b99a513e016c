import { CliUsageError, parseCliArgs } from "../../../src/cli/parse-cli-args";

describe("intervene command line", () => {
  it("parses a run with params, user, groups and dry run", () => {
    expect(parseCliArgs(["run", "leofs.recover-manager", "--cluster", "prod", "--param", "node=slave", "--param=force=yes", "--as", "U1", "--groups", "S1,S2", "--dry-run"])).toEqual({
      prefix: undefined,
      command: { kind: "run", procedureId: "leofs.recover-manager", cluster: "prod", params: { node: "slave", force: "yes" }, actor: { userId: "U1", userGroups: ["S1", "S2"] }, dryRun: true, follow: false },
    });
  });

  it("approve takes a step number, `run` for the per-run gate, or nothing (the open gate)", () => {
    expect(parseCliArgs(["approve", "r1", "--step", "3", "--as", "U1"]).command).toMatchObject({ kind: "approve", stepIndex: 3 });
    expect(parseCliArgs(["approve", "r1", "--step", "run", "--as", "U1"]).command).toMatchObject({ stepIndex: null });
    expect(parseCliArgs(["approve", "r1", "--as", "U1"]).command).toMatchObject({ stepIndex: undefined });
  });

  it("refuses what it cannot understand, saying what is missing", () => {
    expect(() => parseCliArgs(["approve", "r1"])).toThrow("--as <user> is required");
    expect(() => parseCliArgs(["skip", "r1", "--step", "1", "--as", "U1"])).toThrow("--reason <text> is required");
    expect(() => parseCliArgs(["retry", "r1", "--step", "x", "--as", "U1"])).toThrow(CliUsageError);
    expect(() => parseCliArgs(["run", "p", "--cluster", "c", "--as", "U", "--param", "novalue"])).toThrow("key=value");
    expect(() => parseCliArgs(["frobnicate"])).toThrow("unknown command");
    expect(() => parseCliArgs(["runs", "--bogus"])).toThrow("unknown option --bogus");
  });

  it("abort defaults to after-step; --now kills the running command", () => {
    expect(parseCliArgs(["abort", "r1", "--as", "U1"]).command).toMatchObject({ mode: "after-step" });
    expect(parseCliArgs(["abort", "r1", "--as", "U1", "--now", "--prefix", "p2"])).toMatchObject({ prefix: "p2", command: { mode: "now" } });
  });
});
