/**
 * The `v` prefix: `v0.1.16` against templates that hold `0.1.15` (or the
 * reverse) is almost always a tag name passed where a version was meant.
 * Every trigger refuses it per template by the one rule,
 * {@linkcode prefixSkip}, before anything is pushed, proposed or
 * dispatched (unless `--allow-prefix-change`); status gives the same hint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prefixFix } from "./prefix.ts";
 *
 * assert.equal(prefixFix("v0.1.16", "0.1.15"), "0.1.16");
 * assert.equal(prefixFix("0.1.16", "v0.1.15"), "v0.1.16");
 * assert.equal(prefixFix("0.1.16", "0.1.15"), null);
 * assert.equal(prefixFix("v0.1.16", null), null);
 * ```
 *
 * @module
 */

const VERSION_LIKE = /^v?\d/;

/**
 * The version as the template spells versions, when `version` and the
 * value it `held` differ only in a leading `v` convention; else null
 * (same convention, nothing held, or not version-like).
 */
export function prefixFix(version: string, held: string | null): string | null {
  if (held === null) return null;
  if (!VERSION_LIKE.test(version) || !VERSION_LIKE.test(held)) return null;
  const hasV = version.startsWith("v");
  if (hasV === held.startsWith("v")) return null;
  return hasV ? version.slice(1) : `v${version}`;
}

/** The skip reason of a template refused for its prefix. */
function prefixRefusal(
  version: string,
  held: string,
  fix: string,
  act = "writes",
): string {
  const which = held.startsWith("v") ? "with" : "without";
  return `holds ${held}, ${which} a leading "v": did you mean ${fix}? (--allow-prefix-change ${act} ${version} as given)`;
}

/**
 * Whether the prefix rule can refuse `version` at all: not with
 * `--allow-prefix-change`, nor for a version that is not version-like.
 * A trigger that reads no version file otherwise reads it only then.
 */
export function prefixMatters(version: string, allowed: boolean): boolean {
  return !allowed && VERSION_LIKE.test(version);
}

/**
 * The one prefix rule of every trigger (push, pull request, dispatch):
 * the skip reason when `version` and the value the template `held`
 * differ only in a leading `v` and `--allow-prefix-change` was not given,
 * else null. `act` is what the flag does instead (`writes`, `dispatches`).
 */
export function prefixSkip(
  version: string,
  held: string | null,
  allowed: boolean,
  act = "writes",
): string | null {
  if (!prefixMatters(version, allowed) || !held) return null;
  const fix = prefixFix(version, held);
  return fix === null ? null : prefixRefusal(version, held, fix, act);
}
