/**
 * One deadline for a whole wait (`--wait-timeout`): every request, page
 * and retry sleep of the wait is cut to the time it leaves, read on the
 * run's {@linkcode Clock} (a fake one in tests). A request the deadline
 * cuts ends with {@linkcode DeadlineError}; the follow that set the
 * deadline turns it into its "still pending" outcome. Work that is no
 * request of the API client (a git read of the branch, a shared read) is
 * held to it by {@linkcode beforeDeadline}.
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

/**
 * Runs `work` within `deadline`: with a signal that aborts at the deadline
 * (on its clock's timer) or with `signal` (the run's interrupt), and ends
 * with {@linkcode DeadlineError} as soon as the deadline passes, whatever
 * `work` does then (what it settles to later is dropped). A deadline
 * already passed runs nothing. Without a deadline, `work` runs as it is; a
 * clock without a timer cuts nothing in flight.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { beforeDeadline, Deadline, DeadlineError } from "./deadline.ts";
 *
 * const fires: (() => void)[] = [];
 * const clock = {
 *   now: () => 0,
 *   sleep: () => Promise.resolve(true),
 *   timer: (_ms: number, fire: () => void) => (fires.push(fire), () => {}),
 * };
 * const deadline = Deadline.after(clock, 5000, "--wait-timeout");
 * const stalled = beforeDeadline(deadline, () => new Promise<string>(() => {}));
 * fires.forEach((fire) => fire());
 * await assert.rejects(stalled, DeadlineError);
 * ```
 */
export async function beforeDeadline<T>(
  deadline: Deadline | undefined,
  work: (signal: AbortSignal | undefined) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (deadline === undefined) return await work(signal);
  if (deadline.passed()) throw new DeadlineError(deadline);
  const cut = new AbortController();
  let reach = () => {};
  const reached = new Promise<never>((_, reject) => {
    reach = () => {
      cut.abort(new DeadlineError(deadline));
      reject(new DeadlineError(deadline));
    };
  });
  const cancel = deadline.clock.timer?.(deadline.left(), reach) ?? (() => {});
  const running = work(
    signal === undefined ? cut.signal : AbortSignal.any([signal, cut.signal]),
  );
  // Settled after the deadline, it is nobody's: never an unhandled error.
  running.catch(() => {});
  reached.catch(() => {});
  try {
    return await Promise.race([running, reached]);
  } finally {
    cancel();
  }
}
