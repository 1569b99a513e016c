import { ConfigError } from "./config-error";

export interface EnvIssue {
  /** The environment variable, e.g. `PORT`. */
  readonly variable: string;
  readonly message: string;
}

/** Every problem found in the environment at once, one per line of the message. */
export class EnvConfigError extends ConfigError {
  readonly code = "ENV_INVALID";

  constructor(readonly issues: readonly EnvIssue[]) {
    super(["invalid environment:", ...issues.map((i) => `  ${i.variable}: ${i.message}`)].join("\n"));
    this.name = "EnvConfigError";
  }
}
