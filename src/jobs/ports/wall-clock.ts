/**
 * The time the engine stamps on records and audits, injectable so tests fix
 * it. Not the notifier's `Clock` (src/bot/notifier/clock.ts), which also sets
 * timers: this one only tells the time.
 */
export interface WallClock {
  now(): Date;
}

export const systemWallClock: WallClock = { now: () => new Date() };
