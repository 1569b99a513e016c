import fs from "node:fs";
import path from "node:path";

/**
 * runsv's 20-byte `supervise/status` record (runit 2.x `runsv.c`
 * update_status): TAI64N stamp of the last change (12 bytes, big-endian),
 * pid (4 bytes, little-endian), paused flag, want (`u`/`d`), got-TERM flag,
 * state (0 down, 1 run, 2 finish).
 */
export interface RunitStatus {
  readonly state: "down" | "run" | "finish";
  readonly pid: number | null;
  /** Unix seconds of the last state change. */
  readonly since: number;
  readonly paused: boolean;
  readonly want: "up" | "down";
  readonly gotTerm: boolean;
}

/** The TAI64 label of the Unix epoch: 2^62 + 10. */
const TAI_UNIX_EPOCH = 4611686018427387914n;

export function decodeRunitStatus(record: Buffer): RunitStatus {
  if (record.length !== 20) throw new Error(`supervise/status must be 20 bytes, got ${record.length}`);
  const pid = record.readUInt32LE(12);
  const stateByte = record[19];
  return {
    state: stateByte === 1 ? "run" : stateByte === 2 ? "finish" : "down",
    pid: pid === 0 ? null : pid,
    since: Number(record.readBigUInt64BE(0) - TAI_UNIX_EPOCH),
    paused: record[16] !== 0,
    want: record[17] === 0x64 ? "down" : "up",
    gotTerm: record[18] !== 0,
  };
}

/** Whether a runsv serves `serviceDir`: its `supervise/ok` fifo has a reader (runsvstat's own test). */
export function runsvRunning(serviceDir: string): boolean {
  try {
    const fd = fs.openSync(path.join(serviceDir, "supervise", "ok"), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    fs.closeSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** The status record of `serviceDir`, or null when runsv never ran there. */
export function readRunitStatus(serviceDir: string): RunitStatus | null {
  try {
    return decodeRunitStatus(fs.readFileSync(path.join(serviceDir, "supervise", "status")));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
