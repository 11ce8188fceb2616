/**
 * Durations as flags take them: a whole number with an optional unit,
 * `90` (seconds), `90s`, `5m`, `1h`, or `250ms` (for short waits in tests
 * and demos).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./duration.ts";
 *
 * assert.equal(parseDuration("--wait-timeout", "5m"), 300_000);
 * assert.equal(parseDuration("--wait-timeout", "90"), 90_000);
 * ```
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { quotedValue } from "../console/secret_forms.ts";

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  "": 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Longest duration any flag takes: a week. */
const MAX_MS = 7 * 24 * 3_600_000;

/**
 * A duration in milliseconds; throws {@linkcode UsageError} naming `flag`
 * for anything but a whole number with an optional unit (`ms`, `s`, `m`,
 * `h`), zero, or more than a week.
 */
export function parseDuration(flag: string, text: string): number {
  const match = /^(\d{1,9})(ms|s|m|h)?$/.exec(text.trim());
  const ms = match
    ? Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? 1000)
    : Number.NaN;
  if (!(ms >= 1 && ms <= MAX_MS)) {
    throw new UsageError(
      `${flag} must be a duration like 90, 90s, 5m or 1h, not ${
        quotedValue(text, 20)
      }`,
    );
  }
  return ms;
}
