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
}

/** The system clock: `Date.now` and a timer. */
export const SYSTEM_CLOCK: Clock = { now: () => Date.now(), sleep };
