/**
 * The retry loop's timing: jittered exponential backoff, so racing
 * publishers desynchronise, and a sleep that an interrupt cuts short.
 *
 * @module
 */

/** Backoff settings; the random source is injectable for tests. */
export interface Backoff {
  /** Upper bound of the first wait, in milliseconds. */
  baseMs: number;
  /** Upper bound of any wait, in milliseconds. */
  maxMs: number;
  /** Uniform random number in [0, 1). */
  random: () => number;
}

/** Default backoff: up to 250 ms, doubling, at most 4 s. */
export const DEFAULT_BACKOFF: Backoff = {
  baseMs: 250,
  maxMs: 4000,
  random: Math.random,
};

/**
 * The wait before retry number `retry` (1 for the first retry): "full
 * jitter", uniform in [base/2, min(max, base * 2^(retry-1))).
 */
export function backoffDelay(retry: number, backoff: Backoff): number {
  const cap = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (retry - 1));
  const floor = Math.min(cap, backoff.baseMs / 2);
  return Math.round(floor + (cap - floor) * backoff.random());
}

/** Sleeps `ms`, resolving early (false) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The wait a `Retry-After` header asks for, in ms (seconds or an HTTP
 * date, read against `now`), or null when there is none or it is neither
 * (a header over 64 characters is neither).
 */
export function retryAfterMs(
  header: string | null,
  now: number,
): number | null {
  if (header === null || header.length > 64) return null;
  const text = header.trim();
  const asked = /^\d+$/.test(text)
    ? Number(text) * 1000
    : Date.parse(text) - now;
  return Number.isFinite(asked) ? Math.max(0, asked) : null;
}

/**
 * How a 429 is told after "answered 429": "(rate-limited)", and the wait
 * it asked for when it asked for one. One wording for the API and git.
 */
export function rateLimitedWords(askedMs: number | null): string {
  return askedMs === null
    ? "(rate-limited)"
    : `(rate-limited) and asked to wait ${
      Math.ceil(askedMs / 1000)
    } s (Retry-After)`;
}
