import { uniqueIds } from "../../../src/util/unique-ids";

describe("uniqueIds", () => {
  it("never repeats an id, within a source or across sources", () => {
    const a = uniqueIds();
    const b = uniqueIds();
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      seen.add(a());
      seen.add(b());
    }
    expect(seen.size).toBe(10_000);
  });

  it("gives each source its own random prefix and counts after it", () => {
    const a = uniqueIds();
    const b = uniqueIds();
    const [first, second] = [a(), a()];
    const prefix = (id: string): string => id.slice(0, id.lastIndexOf("."));
    expect(prefix(first)).toBe(prefix(second));
    expect(prefix(first)).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(prefix(b())).not.toBe(prefix(first));
    expect(first.endsWith(".0")).toBe(true);
    expect(second.endsWith(".1")).toBe(true);
  });
});
