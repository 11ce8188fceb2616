/**
 * Which CI is cascade's own. A commit status counts only if it was created
 * after the push of the commit it is about (`created_at` against the push
 * time on the server's clock), or if the Actions run it links to started
 * after the push on that commit (`run_evidence.ts`); a dispatched run only
 * if it is a `workflow_dispatch` run of the branch tip at the dispatch,
 * created after the dispatch and not listed before it. What cannot be told apart is not
 * believed: the outcome is then `ambiguous` (or `none`), never `success`.
 *
 * The server's clock is read from the `Date` header of its answers (one
 * second resolution): an event after a moment `t` of ours carries a
 * server time of at least `t + skew - DATE_SLACK_MS`. Without a readable
 * `Date` header, clocks are assumed to differ by at most
 * {@linkcode SKEW_ALLOWANCE_MS}.
 *
 * @example A status posted before the push is not believed
 * ```ts
 * import assert from "node:assert/strict";
 * import { clockSkew, serverNotBefore, statusesSince } from "./evidence.ts";
 *
 * const pushedAt = Date.parse("2026-06-01T12:00:00Z"); // our clock
 * const skew = clockSkew("Mon, 01 Jun 2026 12:00:05 GMT", pushedAt + 1000);
 * const notBefore = serverNotBefore(pushedAt, skew);
 * const { kept, dropped } = statusesSince([
 *   { created_at: "2026-06-01T11:59:00Z" },
 *   { created_at: "2026-06-01T12:00:06Z" },
 * ], notBefore);
 * assert.equal(kept.length, 1);
 * assert.equal(dropped, 1);
 * ```
 *
 * @module
 */

import type { CiState } from "../engine/ci_outcome.ts";

/**
 * Slack on the server's clock when a `Date` header gave it: that header's
 * and `created_at`'s one-second resolution, and a second for the network.
 */
export const DATE_SLACK_MS = 3_000;

/**
 * How far the server's clock may be from ours when no `Date` header said
 * (two minutes): an event of the server stamped more than this before our
 * push is not believed to follow it.
 */
export const SKEW_ALLOWANCE_MS = 120_000;

/** Longest `Date` header or timestamp parsed (longer: unreadable). */
const MAX_TIME_TEXT = 64;

/**
 * The server's clock minus ours, in ms, from the `Date` header of an
 * answer received at `localMs` (our clock); null when there is no
 * readable one.
 */
export function clockSkew(
  date: string | null | undefined,
  localMs: number,
): number | null {
  const server = timeOf(date);
  return server === null ? null : server - localMs;
}

/**
 * A time text (RFC 3339 or an HTTP date) in ms, or null when unreadable
 * (anything but such a text, from a server, included).
 */
export function timeOf(text: unknown): number | null {
  if (typeof text !== "string" || text === "") return null;
  if (text.length > MAX_TIME_TEXT) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * The earliest server time an event that followed our moment `localMs`
 * can carry: `localMs` on the server's clock (`skewMs`, see
 * {@linkcode clockSkew}) less {@linkcode DATE_SLACK_MS}, or less
 * {@linkcode SKEW_ALLOWANCE_MS} when the skew is unknown.
 */
export function serverNotBefore(
  localMs: number,
  skewMs: number | null,
): number {
  return skewMs === null
    ? localMs - SKEW_ALLOWANCE_MS
    : localMs + skewMs - DATE_SLACK_MS;
}

/**
 * The statuses created at or after `notBefore` (server time), and how many
 * were not: created earlier, or with a `created_at` that cannot be read.
 */
export function statusesSince<T extends { created_at: string }>(
  statuses: readonly T[],
  notBefore: number,
): { kept: T[]; dropped: number } {
  const kept = statuses.filter((s) => {
    const at = timeOf(s.created_at);
    return at !== null && at >= notBefore;
  });
  return { kept, dropped: statuses.length - kept.length };
}

/** The part of a CI outcome {@linkcode unbelieved} looks at and sets. */
export interface Judged {
  /** The outcome. */
  state: CiState;
  /** Why, when it is not plain. */
  note?: string;
}

/**
 * The outcome once `dropped` statuses or runs were not believed: a
 * `success` or `none` becomes `ambiguous` (what was seen cannot be told to
 * be ours), with `why` in the note; `failure` and `pending` stand (no
 * green is claimed). Unchanged when nothing was dropped.
 */
export function unbelieved<T extends Judged>(
  outcome: T,
  dropped: number,
  why: string,
): T {
  if (dropped === 0) return outcome;
  const note = [outcome.note, why].filter((n) => n !== undefined).join("; ");
  if (outcome.state !== "success" && outcome.state !== "none") {
    return { ...outcome, note };
  }
  return { ...outcome, state: "ambiguous", note };
}

/**
 * What a follow's reader saw in its last answer: the statuses it counted
 * (null before any answer), how many it did not, and the server time they
 * were held to.
 */
export interface Seen<T> {
  /** The statuses counted. */
  statuses: T[] | null;
  /** How many were not: created before the push. */
  dropped: number;
  /** The server time (ms) they had to be created at or after. */
  notBefore?: number;
}

/**
 * The statuses of an answer received at `receivedMs` (our clock) that
 * count: with `pushedAt` (our clock, a moment before the push) those
 * created after it on the server's clock (the answer's `Date` header),
 * else all. Records them, and the rest, in `seen`.
 */
export function keepOurs<T extends { created_at: string }>(
  seen: Seen<T>,
  answer: { value: { statuses: T[] }; date?: string },
  receivedMs: number,
  pushedAt: number | undefined,
): T[] {
  const all = answer.value.statuses;
  if (pushedAt === undefined) {
    seen.statuses = all;
    return all;
  }
  const notBefore = serverNotBefore(
    pushedAt,
    clockSkew(answer.date, receivedMs),
  );
  const { kept, dropped } = statusesSince(all, notBefore);
  Object.assign(seen, { statuses: kept, dropped, notBefore });
  return kept;
}

/** The note on statuses {@linkcode keepOurs} did not count. */
export function predatedNote(seen: Seen<unknown>): string {
  const when = seen.notBefore === undefined
    ? "the push"
    : new Date(seen.notBefore).toISOString();
  return `${seen.dropped} status(es) on the commit were created before the push (before ${when} on the server's clock) and link to no run of the commit started after it: they cannot be told from statuses posted in advance for a guessed commit id, so none was counted`;
}
