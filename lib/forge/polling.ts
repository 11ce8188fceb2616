/**
 * How often a CI follow polls: the intervals, and the default ones.
 *
 * @module
 */

import type { Clock } from "../engine/clock.ts";
import type { ForgeRetry } from "./client.ts";

/** Polling intervals (tests shorten them). */
export interface CiPolling {
  /** First interval, in milliseconds. */
  minIntervalMs: number;
  /** Longest interval, in milliseconds. */
  maxIntervalMs: number;
  /** Each interval is the previous one times this (default 1.5). */
  growth?: number;
  /** Each wait is the interval ± this fraction (default 0.2). */
  jitter?: number;
  /** Retries of the API client for 429/5xx (default: the client's). */
  retry?: ForgeRetry;
  /** The clock waits read and sleep by (default: the system's; tests). */
  clock?: Clock;
}

/**
 * The default intervals: 1.7 s (the first poll of a commit just pushed
 * comes after one, since its CI has not started), then 1.15 times the
 * last, up to 15 s (after about 95 s), each with ±10% jitter. A run
 * that ends within seconds is seen within 2 s, at about one request per
 * template per 2 s; a long one costs one request per 15 s.
 */
const DEFAULT_POLLING: CiPolling = {
  minIntervalMs: 1700,
  maxIntervalMs: 15_000,
  growth: 1.15,
  jitter: 0.1,
};

/**
 * The intervals given, or the default intervals when `given` lacks either
 * (keeping its clock and retries): tests pass `{ clock }` to follow at the
 * default pace on a fake clock.
 */
export function pollingOf(given: Partial<CiPolling> | undefined): CiPolling {
  const { minIntervalMs, maxIntervalMs } = given ?? {};
  return minIntervalMs !== undefined && maxIntervalMs !== undefined
    ? { ...given, minIntervalMs, maxIntervalMs }
    : { ...DEFAULT_POLLING, ...given } as CiPolling;
}
