import { hostPath, sh, shPart } from "../../../src/procedures/sh";
import { UnquotableError } from "../../../src/util/shell-quote";

describe("sh: commands from our literals and quoted values", () => {
  it("quotes every interpolated value and leaves the literal syntax alone", () => {
    const dir = "/var/backups/my intervene";
    expect(sh`mv ${"/usr/local/leofs/current/leo_manager_1/work/mnesia/127.0.0.1"}/* ${dir}/`).toBe(
      "mv /usr/local/leofs/current/leo_manager_1/work/mnesia/127.0.0.1/* '/var/backups/my intervene'/",
    );
  });

  it("turns chat text that looks like shell into one inert word", () => {
    const hostile = "storage_0@10.0.0.1; rm -rf / #";
    expect(sh`leofs-adm detach ${hostile}`).toBe("leofs-adm detach 'storage_0@10.0.0.1; rm -rf / #'");
    expect(sh`echo ${"$(id)`id`'x'"}`).toBe(`echo '$(id)\`id\`'\\''x'\\'''`);
  });

  it("renders arrays as one word per element and numbers as words", () => {
    expect(sh`kill ${["123", "4 5"]}`).toBe("kill 123 '4 5'");
    expect(sh`leofs-adm -p ${10011} status`).toBe("leofs-adm -p 10011 status");
    expect(() => sh`sleep ${Number.NaN}`).toThrow(TypeError);
  });

  it("splices fragments built with shPart without quoting them again", () => {
    const digest = shPart`cd ${"/a b"} && sha256sum *`;
    expect(sh`x=$(${digest}) && echo ${"done"}`).toBe("x=$(cd '/a b' && sha256sum *) && echo done");
  });

  it("refuses values a shell word cannot carry", () => {
    expect(() => sh`echo ${"a\0b"}`).toThrow(UnquotableError);
  });
});

describe("hostPath: every absolute path of a host lives under its root", () => {
  it("leaves paths unchanged on root /", () => {
    expect(hostPath({ root: "/" }, "/usr/local/leofs/current")).toBe("/usr/local/leofs/current");
    expect(hostPath({}, "/x")).toBe("/x");
  });
  it("prefixes the root, with or without a trailing slash", () => {
    expect(hostPath({ root: "/srv/sim/m0" }, "/usr/local/leofs")).toBe("/srv/sim/m0/usr/local/leofs");
    expect(hostPath({ root: "/srv/sim/m1/" }, "/tmp/usr")).toBe("/srv/sim/m1/tmp/usr");
  });
  it("refuses relative paths", () => {
    expect(() => hostPath({ root: "/srv" }, "work/mnesia")).toThrow(TypeError);
  });
});
