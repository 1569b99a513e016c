/** Arguments @slack/web-api sends as JSON text inside a form body. */
const JSON_ARGS = new Set(["blocks", "metadata", "view", "attachments"]);

/** A Web API call's arguments, from a form-encoded (the client's default) or JSON body. */
export function parseWebApiArgs(raw: string, contentType: string | undefined): Record<string, unknown> {
  if ((contentType ?? "").includes("application/json")) {
    const parsed: unknown = raw.trim() === "" ? {} : JSON.parse(raw);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  }
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    if (JSON_ARGS.has(key)) {
      try {
        args[key] = JSON.parse(value);
        continue;
      } catch {
        // left as text: the method's validation refuses it as Slack would
      }
    }
    args[key] = value;
  }
  return args;
}
