import { CommandError } from "../../../src/bot/bot-errors";
import { parseCommand, type ParsedCommand } from "../../../src/bot/commands/parse-command";
import type { BotCluster } from "../../../src/bot/commands/resolve-cluster";
import { tokenizeCommand, unescapeSlackText } from "../../../src/bot/commands/tokenize-command";

const prod: BotCluster = { name: "prod", kind: "leofs", channel: "C0LEOFSPROD" };
const staging: BotCluster = { name: "staging", kind: "leofs", channel: "C0STAGING" };
const lhcb: BotCluster = { name: "lhcb", kind: "dirac", channel: "C0DIRACOPS", diracSetup: "LHCb-Production" };
const one = { clusters: [prod, lhcb] };
const two = { clusters: [prod, staging, lhcb] };

function leofs(text: string, ctx = one, channelId = "C0ELSEWHERE"): ParsedCommand {
  return parseCommand({ command: "/leofs", text, channelId }, ctx);
}

function failure(run: () => unknown): CommandError {
  try {
    run();
  } catch (err) {
    if (err instanceof CommandError) return err;
    throw err;
  }
  throw new Error("expected a CommandError");
}

describe("tokenizing what the operator typed", () => {
  it("splits on whitespace and keeps quoted tokens whole", () => {
    expect(tokenizeCommand(`upgrade all to 1.4.3 package="leofs 1.4.3.deb"  'x y'`)).toEqual(["upgrade", "all", "to", "1.4.3", "package=leofs 1.4.3.deb", "x y"]);
  });
  it("accepts the curly quotes Slack clients substitute", () => {
    expect(tokenizeCommand("a \u201cb c\u201d")).toEqual(["a", "b c"]);
  });
  it("refuses an unclosed quote", () => {
    expect(failure(() => tokenizeCommand('a "b')).code).toBe("command_invalid");
  });
  it("undoes Slack's escaping and mailto wrapping", () => {
    expect(unescapeSlackText("new-node=<mailto:manager_1@10.0.0.7|manager_1@10.0.0.7> &lt;x&gt; &amp;")).toBe("new-node=manager_1@10.0.0.7 <x> &");
  });
});

describe("/leofs commands", () => {
  it("empty text and help show help", () => {
    expect(leofs("")).toEqual({ type: "help", kind: "leofs" });
    expect(leofs("help")).toEqual({ type: "help", kind: "leofs" });
  });

  it("recover manager-slave plans leofs.recover-manager on the only leofs cluster", () => {
    expect(leofs("recover manager-slave")).toEqual({
      type: "procedure", kind: "leofs", procedureId: "leofs.recover-manager", params: { target: "manager-slave" }, cluster: "prod", dryRun: false,
    });
  });

  it("--dry-run (also as the em dash clients type) and cluster= are accepted anywhere", () => {
    expect(leofs("--dry-run recover manager-master cluster=prod")).toMatchObject({ type: "procedure", dryRun: true, cluster: "prod", params: { target: "manager-master" } });
    expect(leofs("recover manager-master \u2014dry-run")).toMatchObject({ dryRun: true });
  });

  it("takeover carries the new host and node", () => {
    expect(leofs("takeover manager-master new-host=leofs-m2 new-node=manager_0@10.0.0.107")).toMatchObject({
      type: "procedure", procedureId: "leofs.takeover-manager", params: { replace: "manager-master", newHost: "leofs-m2", newNode: "manager_0@10.0.0.107" },
    });
  });

  it("takeover without new-node needs input for it (the app opens a modal)", () => {
    expect(leofs("takeover manager-slave new-host=leofs-m2")).toEqual({
      type: "needs-input", kind: "leofs", procedureId: "leofs.takeover-manager", params: { replace: "manager-slave", newHost: "leofs-m2" }, missing: ["newNode"], cluster: "prod", dryRun: false,
    });
  });

  it("recover without a target needs input", () => {
    expect(leofs("recover")).toMatchObject({ type: "needs-input", missing: ["target"] });
  });

  it("launch with and without force", () => {
    expect(leofs("launch")).toMatchObject({ procedureId: "leofs.launch", params: {} });
    expect(leofs("launch force=slave")).toMatchObject({ procedureId: "leofs.launch", params: { forceStart: "slave" } });
    expect(failure(() => leofs("launch force=both")).message).toContain("`both` is not one of `master`, `slave`");
  });

  it.each(["attach", "detach", "suspend", "resume"])("%s storage <node> maps to leofs.storage", (operation) => {
    expect(leofs(`${operation} storage storage_0@10.0.0.104`)).toMatchObject({ procedureId: "leofs.storage", params: { operation, node: "storage_0@10.0.0.104" } });
  });

  it("storage without a node needs input; a bad node name is refused", () => {
    expect(leofs("detach storage")).toMatchObject({ type: "needs-input", params: { operation: "detach" }, missing: ["node"] });
    const err = failure(() => leofs("detach storage storage_0"));
    expect(err.code).toBe("command_invalid");
    expect(err.usage).toBe("/leofs detach storage <node> [cluster=<name>] [--dry-run]");
  });

  it("upgrade <node|all> to <version> [package=]", () => {
    expect(leofs('upgrade all to 1.4.3 package="leofs_1.4.3-1_amd64.deb"')).toMatchObject({
      procedureId: "leofs.upgrade", params: { target: "all", version: "1.4.3", package: "leofs_1.4.3-1_amd64.deb" },
    });
    expect(leofs("upgrade storage_1@10.0.0.105 to v1.4.3")).toMatchObject({ params: { target: "storage_1@10.0.0.105", version: "1.4.3" } });
    expect(leofs("upgrade all")).toMatchObject({ type: "needs-input", missing: ["version"] });
    expect(leofs("upgrade")).toMatchObject({ type: "needs-input", missing: ["target", "version"] });
  });

  it("upgrade without `to` says how to write it", () => {
    const err = failure(() => leofs("upgrade all 1.4.3"));
    expect(err.suggestions).toEqual(["/leofs upgrade all to 1.4.3"]);
    expect(err.usage).toContain("upgrade <node|all> to <version>");
  });

  it("a package path with directories is refused (it names a file in the package dir)", () => {
    expect(failure(() => leofs("upgrade all to 1.4.3 package=../../etc/passwd")).code).toBe("command_invalid");
  });

  it("status, runs, show and abort", () => {
    expect(leofs("status")).toEqual({ type: "status", kind: "leofs", cluster: "prod" });
    expect(leofs("runs staging", two)).toEqual({ type: "runs", kind: "leofs", cluster: "staging" });
    expect(leofs("runs", two)).toEqual({ type: "runs", kind: "leofs" });
    expect(leofs("show r-123")).toEqual({ type: "show", kind: "leofs", runId: "r-123" });
    expect(leofs("abort r-123")).toEqual({ type: "abort", kind: "leofs", runId: "r-123", mode: "after-step" });
    expect(leofs("abort r-123 now")).toEqual({ type: "abort", kind: "leofs", runId: "r-123", mode: "now" });
    expect(failure(() => leofs("abort r-123 later")).code).toBe("command_invalid");
    expect(failure(() => leofs("show")).message).toContain("needs a run id");
  });
});

describe("typos and ambiguity", () => {
  it("a misspelt verb suggests the nearest command, keeping the rest", () => {
    const err = failure(() => leofs("recovr manager-slave"));
    expect(err.code).toBe("command_unknown");
    expect(err.message).toContain("did you mean `/leofs recover manager-slave`?");
    expect(err.usage).toBe("/leofs recover manager-slave [cluster=<name>] [--dry-run]");
  });

  it("a misspelt target suggests the nearest target", () => {
    expect(failure(() => leofs("recover manager-slav")).suggestions).toEqual(["/leofs recover manager-slave"]);
    expect(failure(() => leofs("atach storage storage_0@h --dry-run")).suggestions).toEqual(["/leofs attach storage storage_0@h --dry-run"]);
  });

  it("a target equally near to two is ambiguous and lists both", () => {
    const err = failure(() => leofs("recover manager"));
    expect(err.code).toBe("command_ambiguous");
    expect(err.suggestions).toEqual(["/leofs recover manager-slave", "/leofs recover manager-master"]);
  });

  it("something far from every command points to help", () => {
    const err = failure(() => leofs("make me a sandwich"));
    expect(err.code).toBe("command_unknown");
    expect(err.suggestions).toEqual([]);
    expect(err.message).toContain("/leofs help");
  });

  it("unknown options and flags are refused with the nearest valid one", () => {
    expect(failure(() => leofs("takeover manager-master new-hots=x")).message).toContain("did you mean `new-host=`?");
    expect(failure(() => leofs("launch --dryrun")).message).toContain("`--dry-run`");
    expect(failure(() => leofs("launch cluster=prod cluster=prod")).message).toContain("twice");
  });

  it("an unknown slash command is refused", () => {
    expect(failure(() => parseCommand({ command: "/hdfs", text: "help" }, one)).code).toBe("command_unknown");
  });
});

describe("choosing the cluster", () => {
  it("with several leofs clusters, the channel's cluster is the default", () => {
    expect(leofs("launch", two, "C0STAGING")).toMatchObject({ cluster: "staging" });
  });

  it("with several and no channel match, the error lists them", () => {
    const err = failure(() => leofs("launch", two));
    expect(err.code).toBe("cluster_ambiguous");
    expect(err.message).toContain("`prod`, `staging`");
  });

  it("cluster= must name a cluster of the command's kind, with a suggestion for typos", () => {
    expect(failure(() => leofs("launch cluster=lhcb", two)).message).toContain("`lhcb` is a dirac cluster");
    expect(failure(() => leofs("launch cluster=prdo", two)).suggestions).toEqual(["prod"]);
  });

  it("/dirac intervention [setup] picks the cluster by setup", () => {
    const ctx = { clusters: [lhcb, { name: "lhcb-cert", kind: "dirac" as const, diracSetup: "LHCb-Certification" }] };
    expect(parseCommand({ command: "/dirac", text: "intervention LHCb-Certification" }, ctx)).toEqual({
      type: "procedure", kind: "dirac", procedureId: "dirac.intervention", params: {}, cluster: "lhcb-cert", dryRun: false,
    });
    expect(failure(() => parseCommand({ command: "/dirac", text: "intervention LHCb-Certificaton" }, ctx)).suggestions).toEqual(["/dirac intervention LHCb-Certification"]);
    expect(parseCommand({ command: "/dirac", text: "intervention --dry-run", channelId: "C0DIRACOPS" }, ctx)).toMatchObject({ cluster: "lhcb", params: {}, dryRun: true });
    expect(failure(() => parseCommand({ command: "/dirac", text: "intervenion" }, ctx)).suggestions).toEqual(["/dirac intervention"]);
  });
});
