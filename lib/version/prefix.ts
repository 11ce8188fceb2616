/**
 * The `v` prefix: `v0.1.16` against templates that hold `0.1.15` (or the
 * reverse) is almost always a tag name passed where a version was meant.
 * Push refuses it per template before anything is pushed (unless
 * `--allow-prefix-change`); status gives the same hint.
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
export function prefixRefusal(
  version: string,
  held: string,
  fix: string,
): string {
  const which = held.startsWith("v") ? "with" : "without";
  return `holds ${held}, ${which} a leading "v": did you mean ${fix}? (--allow-prefix-change writes ${version} as given)`;
}
