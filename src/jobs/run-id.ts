import { randomBytes } from "node:crypto";

/** Short, sortable, and free of `:` (BullMQ job ids are `${runId}:${step}:${attempt}`). */
export function newRunId(now: Date = new Date()): string {
  return `r${now.getTime().toString(36)}${randomBytes(3).toString("hex")}`;
}
