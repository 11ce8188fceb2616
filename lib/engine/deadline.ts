/**
 * One deadline for a whole wait (`--wait-timeout`): every request, page
 * and retry sleep of the wait is cut to the time it leaves, read on the
 * run's {@linkcode Clock} (a fake one in tests). A request the deadline
 * cuts ends with {@linkcode DeadlineError}; the follow that set the
 * deadline turns it into its "still pending" outcome.
 *
 * @example Time left
 * ```ts
 * import assert from "node:assert/strict";
 * import { Deadline } from "./deadline.ts";
 *
 * let now = 1000;
 * const clock = { now: () => now, sleep: () => Promise.resolve(true) };
 * const deadline = Deadline.after(clock, 5000, "--wait-timeout");
 * now += 4000;
 * assert.equal(deadline.left(), 1000);
 * now += 2000;
 * assert.equal(deadline.passed(), true);
 * ```
 *
 * @module
 */

import type { Clock } from "./clock.ts";

/** A point in time on a clock that a whole wait must end by. */
export class Deadline {
  /** The clock it is read on. */
  readonly clock: Clock;
  /** When it passes, in the clock's milliseconds. */
  readonly at: number;
  /** What set it, for messages (`--wait-timeout`). */
  readonly what: string;

  /** A deadline at `at` on `clock`. */
  constructor(clock: Clock, at: number, what: string) {
    this.clock = clock;
    this.at = at;
    this.what = what;
  }

  /** The deadline `ms` from now on `clock`. */
  static after(clock: Clock, ms: number, what: string): Deadline {
    return new Deadline(clock, clock.now() + ms, what);
  }

  /** Milliseconds left, never below 0. */
  left(): number {
    return Math.max(0, this.at - this.clock.now());
  }

  /** Whether no time is left. */
  passed(): boolean {
    return this.left() <= 0;
  }
}

/** A request or sleep that a {@linkcode Deadline} cut short. */
export class DeadlineError extends Error {
  /** The deadline that passed. */
  readonly deadline: Deadline;
  /** Constructs the error. */
  constructor(deadline: Deadline) {
    super(`${deadline.what} reached`);
    this.name = "DeadlineError";
    this.deadline = deadline;
  }
}
