/** Handles passed from globalSetup to globalTeardown (same process, separate modules). */
export interface GlobalHandles {
  dir: string;
  stops: Array<() => Promise<void>>;
}

const KEY = "__interveneTestbedHandles";

export function setGlobalHandles(handles: GlobalHandles): void {
  (globalThis as Record<string, unknown>)[KEY] = handles;
}

export function hasGlobalHandles(): boolean {
  return (globalThis as Record<string, unknown>)[KEY] !== undefined;
}

export function takeGlobalHandles(): GlobalHandles | undefined {
  const handles = (globalThis as Record<string, unknown>)[KEY] as GlobalHandles | undefined;
  delete (globalThis as Record<string, unknown>)[KEY];
  return handles;
}
