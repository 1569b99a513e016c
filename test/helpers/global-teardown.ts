import fs from "node:fs";
import { takeGlobalHandles } from "./global-handles";
import { killRegisteredChildren } from "../../sim/process/child-process-registry";

export default async function globalTeardown(): Promise<void> {
  const handles = takeGlobalHandles();
  if (handles !== undefined) {
    await Promise.allSettled(handles.stops.map((stop) => stop()));
    if (process.env.KEEP_TESTBED !== "1") fs.rmSync(handles.dir, { recursive: true, force: true });
  }
  killRegisteredChildren();
}
