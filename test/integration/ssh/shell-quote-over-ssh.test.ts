import fc from "fast-check";
import { SshPool } from "../../../src/ssh";
import { shellJoin, shellQuote } from "../../../src/util/shell-quote";
import { testbedTargets } from "./targets";

jest.setTimeout(60_000);

/** Text an operator could type into Slack, biased towards what shells care about. NUL is excluded: it cannot be an argv string. */
const hostileText = fc
  .array(
    fc.oneof(
      fc.constantFrom("'", '"', "\n", "\r", "$(", ")", "`", "\\", "*", "?", "[", "]", "~", "!", "$HOME", "${x}", " ", "\t", "-", "--", "&&", ";", "|", ">", "<", "#", "{a,b}", "é", "😀", "中"),
      fc.string({ unit: "grapheme", maxLength: 6 }),
      fc.string({ unit: "binary-ascii", maxLength: 6 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join("").replace(/\0/g, ""));

describe("shellQuote over a real SSH login shell", () => {
  const [host2] = testbedTargets();
  const pool = new SshPool();
  afterAll(async () => {
    await pool.close();
  });

  it("printf %s of each quoted string prints it back byte for byte (500 generated strings)", async () => {
    let checked = 0;
    await fc.assert(
      // 25 strings per exec, NUL-delimited: 20 execs on one pooled connection.
      fc.asyncProperty(fc.array(hostileText, { minLength: 25, maxLength: 25 }), async (values) => {
        const command = `printf '%s\\0' ${values.map(shellQuote).join(" ")}`;
        const result = await pool.exec(host2!, command, { timeoutMs: 20_000 });
        expect(result.code).toBe(0);
        expect(result.stderr).toBe("");
        expect(result.stdout.split("\0").slice(0, -1)).toEqual(values);
        checked += values.length;
      }),
      { numRuns: 20 },
    );
    expect(checked).toBeGreaterThanOrEqual(500);
  });

  it("keeps each argv word a single word, even empty ones", async () => {
    const argv = ["", "a b", "*", "$(id)", "'"];
    const result = await pool.exec(host2!, `sh -c 'echo $#' sh ${shellJoin(argv)}`, { timeoutMs: 10_000 });
    expect(result.stdout).toBe("5\n");
  });
});
