/**
 * "Did you mean …?" for unknown flags and config keys: the closest known
 * name by Damerau–Levenshtein distance (optimal string alignment),
 * case-insensitive, also compared with `-` and `_` removed so that
 * `--dryrun` finds `--dry-run` and `base_url` finds `baseUrl`.
 *
 * @example Suggest a flag
 * ```ts
 * import assert from "node:assert/strict";
 * import { closest } from "./suggest.ts";
 *
 * assert.equal(closest("--dryrun", ["--dry-run", "--json"]), "--dry-run");
 * assert.equal(closest("basUrl", ["baseUrl", "branch"]), "baseUrl");
 * assert.equal(closest("--zzz", ["--dry-run", "--json"]), null);
 * ```
 *
 * @module
 */

/**
 * The optimal string alignment distance: insertions, deletions,
 * substitutions and transpositions of two adjacent characters each cost 1
 * (a substring is never edited twice). Compares UTF-16 code units exactly;
 * callers fold case.
 */
function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  const width = b.length + 1;
  // Three rows: the one before the previous (for transpositions), the
  // previous and the current.
  let before = new Array<number>(width).fill(0);
  let previous = Array.from({ length: width }, (_, j) => j);
  let current = new Array<number>(width).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      if (
        i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]
      ) {
        best = Math.min(best, (before[j - 2] ?? 0) + 1);
      }
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate closest to `input`, or null when none is close enough.
 * Case is ignored; each pair is compared as written and with `-` and `_`
 * removed, and the smaller distance counts. A candidate is close enough
 * when its distance is at most `max(2, floor(n / 3))`, n being the length of
 * `input` without leading dashes. Ties go to the earlier candidate.
 */
export function closest(
  input: string,
  candidates: readonly string[],
): string | null {
  const word = input.toLowerCase();
  const bare = word.replace(/[-_]/g, "");
  if (bare === "") return null;
  const limit = Math.max(2, Math.floor(word.replace(/^-+/, "").length / 3));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    const distance = Math.min(
      editDistance(word, lower),
      editDistance(bare, lower.replace(/[-_]/g, "")),
    );
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
