import { shellJoin, shellQuote } from "../util/shell-quote";

/**
 * Shell text we wrote ourselves, safe to splice into another `sh` template
 * unquoted. Only `shPart` makes one, so its text is always our literals plus
 * quoted values.
 */
export class ShellFragment {
  /** @internal use `shPart` */
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type ShellValue = string | number | readonly string[] | ShellFragment;

function render(strings: TemplateStringsArray, values: readonly ShellValue[]): string {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += renderValue(value) + (strings[i + 1] ?? "");
  });
  return out;
}

function renderValue(value: ShellValue): string {
  if (value instanceof ShellFragment) return value.text;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`cannot put ${value} in a shell command`);
    return shellQuote(String(value));
  }
  if (typeof value === "string") return shellQuote(value);
  return shellJoin(value);
}

/**
 * Tagged template for commands: the literal parts are shell syntax written by
 * us, every interpolated value becomes quoted words (an array becomes one word
 * per element). `sh\`mv ${dir}/* ${backup}/\`` keeps the glob live and the
 * paths literal.
 */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): string {
  return render(strings, values);
}

/** Like `sh`, but the result may be spliced into another `sh` template as shell syntax. */
export function shPart(strings: TemplateStringsArray, ...values: ShellValue[]): ShellFragment {
  return new ShellFragment(render(strings, values));
}

/**
 * Where an absolute path of a host really lives: every path on a host sits
 * under its inventory `root` (chrooted installs, simulators); root "/" leaves
 * paths unchanged.
 */
export function hostPath(host: { readonly root?: string | undefined }, absPath: string): string {
  if (!absPath.startsWith("/")) throw new TypeError(`hostPath needs an absolute path, got ${JSON.stringify(absPath)}`);
  const root = (host.root ?? "/").replace(/\/+$/, "");
  return root === "" ? absPath : `${root}${absPath}`;
}
