import { expandTilde, parseDuration } from "../../../src/config";
import { closestName } from "../../../src/config/closest-name";
import { formatYamlPath } from "../../../src/config/format-yaml-path";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["30m", 1_800_000],
    ["2h", 7_200_000],
    ["0s", 0],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["30", "30 m", "1.5h", "-1s", "2d", "m", ""])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe("expandTilde", () => {
  it("expands ~ and ~/ only", () => {
    expect(expandTilde("~", "/home/op")).toBe("/home/op");
    expect(expandTilde("~/.ssh/id_ed25519", "/home/op")).toBe("/home/op/.ssh/id_ed25519");
    expect(expandTilde("~other/.ssh/key", "/home/op")).toBe("~other/.ssh/key");
    expect(expandTilde("/etc/key", "/home/op")).toBe("/etc/key");
  });
});

describe("closestName", () => {
  it("suggests a key one swap or edit away, ignoring case", () => {
    expect(closestName("hots", ["host", "node", "dir"])).toBe("host");
    expect(closestName("MinApprovals", ["minApprovals", "mode"])).toBe("minApprovals");
    expect(closestName("consolPort", ["host", "consolePort"])).toBe("consolePort");
  });

  it("suggests nothing when nothing is close", () => {
    expect(closestName("zone", ["address", "os", "root", "ssh"])).toBeUndefined();
  });
});

describe("formatYamlPath", () => {
  it("writes dotted keys, indexes and quoted odd keys", () => {
    expect(formatYamlPath(["clusters", "prod", "leofs", "storage", 1, "node"])).toBe("clusters.prod.leofs.storage[1].node");
    expect(formatYamlPath(["clusters", "prod", "approval", "procedures", "leofs.upgrade", "mode"])).toBe(
      'clusters.prod.approval.procedures["leofs.upgrade"].mode',
    );
  });
});
