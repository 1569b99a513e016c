import { SlotPrefetch, type SlotRelease } from "../../../src/jobs/worker/slot-prefetch";

const noRelease: SlotRelease = () => Promise.resolve();

/** A semaphore stand-in that records asks and releases, each ask answered when the test says. */
function recorder() {
  const events: string[] = [];
  const pending = new Map<string, { resolve: (r: SlotRelease) => void; reject: (e: Error) => void }>();
  let n = 0;
  const ask = (host: string): Promise<SlotRelease> => {
    const id = `${host}#${n++}`;
    events.push(`ask ${host}`);
    return new Promise<SlotRelease>((resolve, reject) => pending.set(id, { resolve, reject })).then(() => () => {
      events.push(`release ${host}`);
      return Promise.resolve();
    });
  };
  const grantAll = (): void => {
    for (const [id, p] of pending) {
      pending.delete(id);
      p.resolve(noRelease);
    }
  };
  return { events, ask, grantAll, pending };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Issue 13: a step's SSH slots are asked for ahead of their turn, so a lane
 * does not wait a Redis round trip before each command; hosts repeated
 * close together wait their turn, and what the step did not take goes back.
 */
describe("SlotPrefetch", () => {
  it("asks for the first lanes' slots and as many ahead at once, then one more ahead per target taken", () => {
    const r = recorder();
    const slots = new SlotPrefetch(["a", "b", "c", "d", "e", "f"], 2, r.ask);
    expect(r.events).toEqual(["ask a", "ask b", "ask c", "ask d"]);
    void slots.take(0);
    expect(r.events).toEqual(["ask a", "ask b", "ask c", "ask d"]);
    void slots.take(1);
    void slots.take(2);
    expect(r.events).toEqual(["ask a", "ask b", "ask c", "ask d", "ask e"]);
    void slots.take(3);
    void slots.take(4);
    void slots.take(5);
    expect(r.events.filter((e) => e.startsWith("ask"))).toHaveLength(6);
    slots.releaseUnused();
  });

  it("hands each target the slot asked for its own host", async () => {
    const hosts = ["a", "b", "c"];
    const asked: string[] = [];
    const slots = new SlotPrefetch(hosts, 1, (host) => {
      asked.push(host);
      return Promise.resolve(noRelease);
    });
    for (const [i] of hosts.entries()) await slots.take(i);
    expect(asked).toEqual(["a", "b", "c"]);
  });

  it("asks at its turn, not ahead, for a host that an earlier target in the window also uses", () => {
    const r = recorder();
    // Sequential (1 lane): "a" again at index 1 and 2 is not asked ahead, so its ask follows the release of the one before.
    const slots = new SlotPrefetch(["a", "a", "b", "a"], 1, r.ask);
    expect(r.events).toEqual(["ask a"]);
    void slots.take(0);
    expect(r.events).toEqual(["ask a"]);
    void slots.take(1);
    // Index 2 ("b") is asked ahead now; index 3 ("a") would be, but "a" is in the window before it.
    expect(r.events).toEqual(["ask a", "ask a", "ask b"]);
    void slots.take(2);
    expect(r.events).toEqual(["ask a", "ask a", "ask b"]);
    void slots.take(3);
    expect(r.events).toEqual(["ask a", "ask a", "ask b", "ask a"]);
    slots.releaseUnused();
  });

  it("gives back the slots asked for and not taken, once granted, and refuses later takes", async () => {
    const r = recorder();
    const slots = new SlotPrefetch(["a", "b", "c", "d"], 1, r.ask);
    const first = slots.take(0);
    // A failure stops the step here: b was asked ahead and is given back once Redis grants it.
    slots.releaseUnused();
    r.grantAll();
    await first;
    await settle();
    // a was taken: its target gives it back itself; only b went back here.
    expect(r.events).toEqual(["ask a", "ask b", "release b"]);
    expect(() => slots.take(1)).toThrow(/already given back/);
  });

  it("lets a failed ask reach only its own target, with no unhandled rejection", async () => {
    const slots = new SlotPrefetch(["a", "b"], 1, (host) => (host === "b" ? Promise.reject(new Error("Redis refused")) : Promise.resolve(noRelease)));
    await expect(slots.take(0)).resolves.toBeInstanceOf(Function);
    await expect(slots.take(1)).rejects.toThrow("Redis refused");
    slots.releaseUnused();
  });

  it("refuses a target taken twice or out of range", () => {
    const slots = new SlotPrefetch(["a"], 4, () => Promise.resolve(noRelease));
    void slots.take(0);
    expect(() => slots.take(0)).toThrow(/taken twice/);
    expect(() => slots.take(1)).toThrow(RangeError);
  });
});
