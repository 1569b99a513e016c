import { OutputBatcher } from "../../../src/jobs/worker/output-batcher";

describe("a step's live output is published in batches, not one message per SSH chunk", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("sends the chunks of an interval as one, in order, and nothing when idle", () => {
    const sent: string[] = [];
    const batcher = new OutputBatcher((c) => sent.push(c), 100, 1000);
    batcher.push("a");
    batcher.push("b\n");
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(100);
    expect(sent).toEqual(["ab\n"]);
    jest.advanceTimersByTime(1000);
    expect(sent).toEqual(["ab\n"]);
  });

  it("sends at once when the batch is large, and the rest on flush", () => {
    const sent: string[] = [];
    const batcher = new OutputBatcher((c) => sent.push(c), 100, 4);
    batcher.push("12");
    batcher.push("345");
    batcher.push("6");
    expect(sent).toEqual(["12345"]);
    batcher.flush();
    batcher.flush();
    expect(sent).toEqual(["12345", "6"]);
    expect(sent.join("")).toBe("123456");
  });
});
