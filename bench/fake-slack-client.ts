import { spawn } from "node:child_process";
import path from "node:path";
import { registerChild } from "../sim/process/child-process-registry";
import type { FakeCall, FakeMessage, ResponseUrlPost } from "../sim/slack/fake-slack-server";

export interface FakeSlackDump {
  readonly calls: readonly FakeCall[];
  readonly messages: ReadonlyMap<string, FakeMessage>;
}

export interface FakeSlack {
  readonly pid: number;
  readonly apiUrl: string;
  responseUrl(id: string): string;
  /** Calls recorded so far (an index to dump from). */
  callCount(): Promise<number>;
  dump(fromCall?: number): Promise<FakeSlackDump>;
  responses(prefix: string): Promise<ResponseUrlPost[]>;
  /** Resolves once `ids` have all been posted to their response_url. */
  waitForResponses(ids: ReadonlySet<string>, prefix: string, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`fake slack control: ${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** Starts `fake-slack-process` (next to this file, as compiled JavaScript) and talks to it. */
export async function startFakeSlack(): Promise<FakeSlack> {
  const child = spawn(process.execPath, [path.join(__dirname, "fake-slack-process.js")], { stdio: ["ignore", "pipe", "inherit"] });
  registerChild(child);
  const urls = await new Promise<{ url: string; apiUrl: string; control: string }>((resolve, reject) => {
    let text = "";
    child.once("exit", (code) => reject(new Error(`fake slack exited with ${code}`)));
    child.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      const line = text.split("\n")[0];
      if (text.includes("\n") && line !== undefined) resolve(JSON.parse(line) as { url: string; apiUrl: string; control: string });
    });
  });
  const responses = (prefix: string): Promise<ResponseUrlPost[]> => getJson(`${urls.control}/responses?prefix=${encodeURIComponent(prefix)}`);
  return {
    pid: child.pid!,
    apiUrl: urls.apiUrl,
    responseUrl: (id) => `${urls.url}/response/${id}`,
    callCount: async () => (await getJson<{ calls: number }>(`${urls.control}/count`)).calls,
    async dump(fromCall = 0) {
      const d = await getJson<{ calls: FakeCall[]; messages: FakeMessage[] }>(`${urls.control}/dump?from=${fromCall}`);
      return { calls: d.calls, messages: new Map(d.messages.map((m) => [m.ts, m])) };
    },
    responses,
    async waitForResponses(ids, prefix, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const seen = new Set((await responses(prefix)).map((r) => r.id));
        if ([...ids].every((id) => seen.has(id))) return;
        if (Date.now() > deadline) throw new Error(`fake slack: ${ids.size} answers not all posted within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      process.kill(child.pid, "SIGTERM");
      await gone;
    },
  };
}
