import type { YamlPath } from "./yaml-source";

/** An inventory problem before it is placed in the file: `at: "key"` points at the key naming the value (unknown or bad keys). */
export interface PathIssue {
  readonly path: YamlPath;
  readonly message: string;
  readonly at?: "key" | "value";
}
