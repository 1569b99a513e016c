import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readLua } from "../../../src/jobs/store/redis-scripts";

describe("readLua", () => {
  it("replaces --#include lines with the named file, recursively, and leaves other comments alone", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-lua-"));
    try {
      fs.writeFileSync(path.join(dir, "a.lua"), "-- a\n--#include b.lua\nreturn f(1)\n");
      fs.writeFileSync(path.join(dir, "b.lua"), "--#include c.lua\nlocal function f(x) return g(x) end\n");
      fs.writeFileSync(path.join(dir, "c.lua"), "local function g(x) return x end\n");
      expect(readLua("a.lua", dir)).toBe("-- a\nlocal function g(x) return x end\nlocal function f(x) return g(x) end\nreturn f(1)\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("loads every script of src/jobs/store/lua with its includes expanded", () => {
    const dir = path.join(__dirname, "../../../src/jobs/store/lua");
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".lua"))) {
      const text = readLua(file);
      expect(text).not.toMatch(/^--#include/m);
      expect(text).toMatch(/redis\.call|local function/);
    }
    expect(readLua("cas-run.lua")).toContain("local function add_audit");
    expect(readLua("start-run.lua")).toContain("local function terminal");
  });
});
