/**
 * A request's deadline that lets go when the request is done: unlike
 * `AbortSignal.timeout`, whose timer (and everything its signal's
 * listeners hold) lives for the whole timeout however soon the request
 * ended, {@linkcode deadline}'s timer is cleared and its link to the run's
 * interrupt removed on dispose. A fleet of short requests so holds memory
 * for the requests in flight, not for every request of the last timeout.
 *
 * @module
 */

/** A deadline: its signal, whether it expired, and its release. */
export interface Deadline extends Disposable {
  /** Aborts when the time is up or `signal` (the interrupt) aborts. */
  signal: AbortSignal;
  /** True once the time was up (not for an interrupt). */
  readonly timedOut: boolean;
}

/** A deadline `ms` from now, also ended by `signal`; dispose when done. */
export function deadline(ms: number, signal?: AbortSignal): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("timed out", "TimeoutError"));
  }, ms);
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    [Symbol.dispose]() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}
