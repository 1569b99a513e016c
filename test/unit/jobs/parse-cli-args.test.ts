import { CliUsageError, parseCliArgs } from "../../../src/cli/parse-cli-args";

describe("intervene command line", () => {
  it("parses a run with params and dry run; nobody is named on it", () => {
    expect(parseCliArgs(["run", "leofs.recover-manager", "--cluster", "prod", "--param", "node=slave", "--param=force=yes", "--dry-run"])).toEqual({
      prefix: undefined,
      command: { kind: "run", procedureId: "leofs.recover-manager", cluster: "prod", params: { node: "slave", force: "yes" }, dryRun: true, follow: false },
    });
  });

  it("approve and reject name the gate exactly: a step number or `run`, and its attempt (issue 12 point 5)", () => {
    expect(parseCliArgs(["approve", "r1", "--step", "3", "--attempt", "2"]).command).toEqual({ kind: "approve", runId: "r1", stepIndex: 3, attempt: 2, yes: false });
    expect(parseCliArgs(["approve", "r1", "--step", "run", "--attempt", "1", "--yes"]).command).toMatchObject({ stepIndex: null, attempt: 1, yes: true });
    expect(parseCliArgs(["reject", "r1", "--step", "0", "--attempt", "1", "--reason", "no"]).command).toMatchObject({ kind: "reject", stepIndex: 0, attempt: 1, reason: "no" });
    expect(() => parseCliArgs(["approve", "r1", "--attempt", "1"])).toThrow("--step <n>|run is required");
    expect(() => parseCliArgs(["approve", "r1", "--step", "1"])).toThrow("--attempt <n> is required");
    expect(() => parseCliArgs(["approve", "r1", "--step", "1", "--attempt", "0"])).toThrow("--attempt must be a number from 1");
  });

  it("--as and --groups are gone, with the reason", () => {
    expect(() => parseCliArgs(["approve", "r1", "--step", "1", "--attempt", "1", "--as", "U1"])).toThrow(/--as is gone: the CLI acts only as the Slack user the inventory maps to your OS user \(cli\.users\)/);
    expect(() => parseCliArgs(["run", "p", "--cluster", "c", "--groups=S1"])).toThrow(/--groups is gone/);
  });

  it("refuses what it cannot understand, saying what is missing", () => {
    expect(() => parseCliArgs(["skip", "r1", "--step", "1"])).toThrow("--reason <text> is required");
    expect(() => parseCliArgs(["retry", "r1", "--step", "x"])).toThrow(CliUsageError);
    expect(() => parseCliArgs(["run", "p", "--cluster", "c", "--param", "novalue"])).toThrow("key=value");
    expect(() => parseCliArgs(["frobnicate"])).toThrow("unknown command");
    expect(() => parseCliArgs(["runs", "--bogus"])).toThrow("unknown option --bogus");
    // node:util parseArgs (strict) underneath; its errors are reworded to name the option.
    expect(() => parseCliArgs(["runs", "--limit"])).toThrow("--limit needs a value");
    expect(() => parseCliArgs(["approve", "r1", "--step", "1", "--attempt", "1", "--yes=1"])).toThrow("--yes takes no value");
    expect(() => parseCliArgs(["runs", "--cluster=a", "--cluster", "b"])).toThrow("--cluster given more than once");
  });

  it("abort defaults to after-step; --now kills the running command", () => {
    expect(parseCliArgs(["abort", "r1"]).command).toMatchObject({ mode: "after-step" });
    expect(parseCliArgs(["abort", "r1", "--now", "--prefix", "p2"])).toMatchObject({ prefix: "p2", command: { mode: "now" } });
  });
});
