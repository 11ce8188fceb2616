/**
 * One forge API request over `fetch`, for a server cascade does not trust:
 * same-origin redirects only, retries (429 always, 5xx and no answer for
 * GET) with `Retry-After`, one time budget for the request, its retries and
 * its waits, a cap on the size of the answer, and the `Authorization` header
 * only for allowed origins. Every failure is a {@linkcode ForgeError}; a
 * 429 is `rate-limited`, never `network`. Within a wait, the wait's one
 * deadline also bounds the request, in flight and between retries: past
 * it, {@linkcode DeadlineError}; a `Retry-After` past it ends the request
 * at once as `rate-limited`, saying so. `ForgeClient` in `./client.ts`
 * sends its calls through it.
 *
 * @module
 */

import { InterruptedError } from "../errors.ts";
import { type Deadline, DeadlineError } from "../engine/deadline.ts";
import { readCapped } from "../read_capped.ts";
import {
  backoffDelay,
  rateLimitedWords,
  retryAfterMs,
  sleep as realSleep,
} from "../engine/retry.ts";
import {
  classifyFetchError,
  classifyHttpStatus,
  ForgeError,
  forgeError,
  serverWords,
} from "./forge_error.ts";

/** Retry settings for 429 and 5xx answers. */
export interface ForgeRetry {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Upper bound of the first backoff, in milliseconds. */
  baseMs: number;
  /** Upper bound of any backoff, in milliseconds. */
  maxMs: number;
  /** Uniform random number in [0, 1). */
  random: () => number;
}

/** How to build a {@linkcode Transport}. */
export interface TransportOptions {
  /** Full `Authorization` header value (`token abc`), or null. */
  authorization: string | null;
  /** Origins that may receive `authorization`. */
  allowedOrigins: ReadonlySet<string>;
  /** Time budget of one request, its retries and waits included. */
  timeoutMs: number;
  /** Stops every call: it then throws {@linkcode InterruptedError}. */
  signal?: AbortSignal;
  /** Retry settings (default 4 attempts, 500 ms to 8 s). */
  retry?: ForgeRetry;
  /** The fetch to use (tests). */
  fetch?: typeof fetch;
  /** The sleep to use; resolves false when `signal` aborted (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
  /** Clock in ms (for `Retry-After` dates; tests). */
  now?: () => number;
  /** Largest answer read, in bytes (default 4 MiB). */
  maxBytes?: number;
  /** Longest `Retry-After` honoured, in milliseconds (default 60 s). */
  maxRetryAfterMs?: number;
}

/** A 2xx answer, its body read in full. */
export interface Answer {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** The body. */
  bytes: Uint8Array;
  /** The URL that answered (after redirects). */
  url: URL;
  /** Where a same-origin redirect (renamed repo) led, or null. */
  movedTo: string | null;
}

const RETRY: ForgeRetry = {
  attempts: 4,
  baseMs: 500,
  maxMs: 8000,
  random: Math.random,
};
const REDIRECT_HOPS = 3;

/** Sends requests to one server; see the module doc. */
export class Transport {
  readonly #o: TransportOptions;
  readonly #retry: ForgeRetry;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<boolean>;
  readonly #now: () => number;
  readonly #onSend: () => void;

  /** Makes a transport; `onSend` is called before every fetch. */
  constructor(options: TransportOptions, onSend: () => void = () => {}) {
    this.#o = options;
    this.#retry = options.retry ?? RETRY;
    this.#fetch = options.fetch ?? fetch;
    this.#sleep = options.sleep ?? realSleep;
    this.#now = options.now ?? Date.now;
    this.#onSend = onSend;
  }

  /**
   * One request with redirects (same origin only), retries (429 always,
   * 5xx and no answer for GET), the time budget and the size cap, and
   * within `bound` (a wait's deadline, on its clock) when given. Returns
   * a 2xx answer; throws a {@linkcode ForgeError} for anything else, or
   * {@linkcode DeadlineError} when `bound` passes.
   */
  async request(
    method: string,
    start: URL,
    body: string | null,
    bound?: Deadline,
  ): Promise<Answer> {
    const signal = this.#o.signal;
    // Within a wait, its clock is the time source and its deadline a bound.
    const now = bound ? bound.clock.now : this.#now;
    const end = now() + this.#o.timeoutMs;
    const fits = (wait: number) =>
      now() + wait < end && (bound === undefined || now() + wait < bound.at);
    let url = start;
    let movedTo: string | null = null;
    let hops = 0;
    for (let attempt = 1;; attempt++) {
      if (signal?.aborted) throw new InterruptedError();
      if (bound?.passed()) throw new DeadlineError(bound);
      let answer: Answer;
      try {
        answer = await this.#once(method, url, body, end - now(), bound);
      } catch (error) {
        if (signal?.aborted) throw new InterruptedError();
        if (error instanceof ForgeError) throw error;
        const kind = classifyFetchError(error);
        if (error instanceof DeadlineError) throw error;
        const canRetry = kind === "network" && method === "GET";
        const wait = backoffDelay(attempt, this.#retry);
        if (
          canRetry && attempt < this.#retry.attempts && fits(wait)
        ) {
          await this.#pause(wait, bound);
          continue;
        }
        throw forgeError(kind, null, method, url, {
          what: kind === "timeout"
            ? `did not answer within ${this.#o.timeoutMs} ms`
            : `could not be reached (${errorName(error)})`,
        });
      }
      const { status, headers } = answer;
      if (status >= 200 && status < 300) return { ...answer, movedTo };
      if ([301, 302, 303, 307, 308].includes(status)) {
        const target = redirectTarget(method, url, status, headers, ++hops);
        url = target;
        movedTo = target.href;
        attempt--;
        continue;
      }
      const retryable = status === 429 || (status >= 500 && method === "GET");
      const asked = retryAfterMs(headers.get("retry-after"), now());
      const wait = asked ?? backoffDelay(attempt, this.#retry);
      const cap = this.#o.maxRetryAfterMs ?? 60_000;
      if (
        retryable && attempt < this.#retry.attempts && wait <= cap &&
        fits(wait)
      ) {
        await this.#pause(wait, bound);
        continue;
      }
      const limited = status === 429
        ? rateLimitWords(asked, {
          cap,
          attempts: attempt >= this.#retry.attempts ? attempt : null,
          left: bound && now() + wait >= bound.at
            ? { what: bound.what, ms: bound.left() }
            : null,
          timeoutMs: this.#o.timeoutMs,
        })
        : "";
      throw forgeError(classifyHttpStatus(status), status, method, url, {
        what: `answered ${status}${limited}`,
        server: serverWords(answer.bytes),
      });
    }
  }

  /** Sleeps `ms` on the bound's clock (or the transport's). */
  async #pause(ms: number, bound: Deadline | undefined): Promise<void> {
    const sleep = bound ? bound.clock.sleep : this.#sleep;
    const done = await sleep(ms, this.#o.signal);
    if (!done || this.#o.signal?.aborted) throw new InterruptedError();
  }

  /**
   * One fetch, bounded by the time budget left, the wait's deadline (cut
   * in flight on its clock: {@linkcode DeadlineError}), the signal and the
   * size cap.
   */
  async #once(
    method: string,
    url: URL,
    body: string | null,
    remainingMs: number,
    bound: Deadline | undefined,
  ): Promise<Answer> {
    const timeout = new AbortController();
    const remaining = Math.max(0, remainingMs);
    const timer = setTimeout(
      () => timeout.abort(new DOMException("timed out", "TimeoutError")),
      remaining,
    );
    const cut = new AbortController();
    const uncut = bound?.clock.timer?.(bound.left(), () => cut.abort()) ??
      (() => {});
    const signals = [timeout.signal, cut.signal];
    if (this.#o.signal) signals.push(this.#o.signal);
    const signal = AbortSignal.any(signals);
    const headers = new Headers({ Accept: "application/json" });
    if (
      this.#o.authorization !== null && this.#o.allowedOrigins.has(url.origin)
    ) {
      headers.set("Authorization", this.#o.authorization);
    }
    if (body !== null) headers.set("Content-Type", "application/json");
    try {
      this.#onSend();
      const response = await this.#fetch(url, {
        method,
        headers,
        body,
        redirect: "manual",
        signal,
      });
      const bytes = await this.#read(response, method, url, signal);
      return {
        status: response.status,
        headers: response.headers,
        bytes,
        url,
        movedTo: null,
      };
    } catch (error) {
      if (cut.signal.aborted && bound && !(error instanceof ForgeError)) {
        throw new DeadlineError(bound);
      }
      if (timeout.signal.aborted && !(error instanceof ForgeError)) {
        throw new DOMException("timed out", "TimeoutError");
      }
      throw error;
    } finally {
      clearTimeout(timer);
      uncut();
    }
  }

  /** Reads a body up to the size cap; beyond it, an `invalid` error. */
  async #read(
    response: Response,
    method: string,
    url: URL,
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    const max = this.#o.maxBytes ?? 4 * 1024 * 1024;
    const tooBig = () =>
      forgeError("invalid", response.status, method, url, {
        what: `sent an answer larger than ${max} bytes; not read`,
      });
    const length = Number(response.headers.get("content-length"));
    if (Number.isFinite(length) && length > max) {
      await response.body?.cancel().catch(() => {});
      throw tooBig();
    }
    if (response.body === null) return new Uint8Array();
    const bytes = await readCapped(response.body, max, signal);
    if (bytes === "too-large") throw tooBig();
    return bytes;
  }
}

/**
 * Where a redirect answer to `method url` leads, when cascade follows it:
 * a parsable `Location` on the same origin, at most `REDIRECT_HOPS` hops
 * (`hops` counts this one). A GET follows any redirect; any other method
 * is re-sent, once, after a 301, 307 or 308 (Gitea answers a renamed
 * repo's POST with 301 from 1.24, 307 before). Anything else is a `moved`
 * {@linkcode ForgeError}.
 */
function redirectTarget(
  method: string,
  url: URL,
  status: number,
  headers: Headers,
  hops: number,
): URL {
  const location = headers.get("location");
  let target: URL | null = null;
  try {
    target = location === null ? null : new URL(location, url);
  } catch { /* an unparsable Location is refused below */ }
  const where = target === null
    ? "nowhere usable"
    : target.origin === url.origin
    ? target.pathname
    : `${target.protocol}//${target.host}${target.pathname}`;
  const keepsMethod = method === "GET" ||
    ([301, 307, 308].includes(status) && hops === 1);
  if (
    target === null || target.origin !== url.origin || !keepsMethod ||
    hops > REDIRECT_HOPS
  ) {
    throw forgeError("moved", status, method, url, {
      what: `redirected to ${where}; not followed`,
    });
  }
  return target;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "error";
}

/** Why a 429 ends the request, after `answered 429`. */
function rateLimitWords(
  asked: number | null,
  why: {
    cap: number;
    attempts: number | null;
    left: { what: string; ms: number } | null;
    timeoutMs: number;
  },
): string {
  const head = ` ${rateLimitedWords(asked)}`;
  if (why.attempts !== null) return `${head}, ${why.attempts} times`;
  if (why.left !== null) {
    return `${head}, past the end of the wait (${why.left.what}, ${
      Math.ceil(why.left.ms / 1000)
    } s left)`;
  }
  if (asked !== null && asked > why.cap) {
    return `${head}, longer than cascade waits (${why.cap / 1000} s)`;
  }
  return `${head}, past --timeout (${why.timeoutMs / 1000} s)`;
}
