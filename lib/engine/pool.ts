/**
 * Bounded parallelism with results in input order.
 *
 * @module
 */

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
 * flight, in call order, each call resolving with its task's result.
 */
export function createLimiter(
  limit: number,
): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    active--;
    queue.shift()?.();
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}
