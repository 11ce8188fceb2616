/**
 * The clock CI waits read and sleep by: the system's in a run, a fake one
 * in tests, so no test depends on wall time. Deadlines (`--wait-start`,
 * `--wait-timeout`), waited times and the "pushed at" a status is
 * compared with all come from one clock.
 *
 * @module
 */

import { sleep } from "./retry.ts";

/** Now and an abortable sleep. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Sleeps `ms`; resolves false at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
  /**
   * Calls `fire` once `ms` have passed on this clock; returns the cancel.
   * A clock without it cuts nothing in flight (a request takes no time on
   * a fake clock unless the fake says so).
   */
  timer?(ms: number, fire: () => void): () => void;
}

/** The system clock: `Date.now` and a timer. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep,
  timer: (ms, fire) => {
    const id = setTimeout(fire, Math.max(0, ms));
    return () => clearTimeout(id);
  },
};
