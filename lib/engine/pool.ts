/**
 * Bounded parallelism with results in input order.
 *
 * @module
 */

import { type Deadline, DeadlineError } from "./deadline.ts";

/**
 * Runs a task with at most the limiter's number in flight; with a
 * `deadline`, the time queued for a slot counts against it: still queued
 * when it passes, the task never runs ({@linkcode DeadlineError}).
 */
export type Limiter = <T>(
  task: () => Promise<T>,
  deadline?: Deadline,
) => Promise<T>;

/**
 * Runs `task` over `items` with at most `limit` in flight. Results keep the
 * input order whatever order tasks finish in. Once `signal` aborts, no new
 * task starts: those items get `notStarted(item, index)` instead.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
  notStarted: (item: T, index: number) => R,
  signal?: AbortSignal,
): Promise<R[]> {
  const run = createLimiter(Math.max(1, limit));
  return await Promise.all(
    items.map((item, index) =>
      run(() =>
        signal?.aborted
          ? Promise.resolve(notStarted(item, index))
          : task(item, index)
      )
    ),
  );
}

/**
 * A limiter: the returned function runs tasks with at most `limit` in
 * flight, in call order, each call resolving with its task's result; a
 * call with a deadline leaves the queue when the deadline passes (on its
 * clock's timer) and rejects with {@linkcode DeadlineError}.
 */
export function createLimiter(limit: number): Limiter {
  let active = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    active--;
    queue.shift()?.();
  };
  const queued = (deadline: Deadline | undefined) =>
    new Promise<void>((resolve, reject) => {
      let cancel = () => {};
      const turn = () => {
        cancel();
        resolve();
      };
      queue.push(turn);
      if (deadline === undefined) return;
      cancel = deadline.clock.timer?.(deadline.left(), () => {
        const at = queue.indexOf(turn);
        if (at < 0) return;
        queue.splice(at, 1);
        reject(new DeadlineError(deadline));
      }) ?? (() => {});
    });
  return async <T>(task: () => Promise<T>, deadline?: Deadline) => {
    if (deadline?.passed()) throw new DeadlineError(deadline);
    if (active >= limit) await queued(deadline);
    active++;
    try {
      // A clock without a timer: the deadline is checked once a slot is ours.
      if (deadline?.passed()) throw new DeadlineError(deadline);
      return await task();
    } finally {
      release();
    }
  };
}
