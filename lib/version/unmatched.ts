/**
 * A name given on the command line that a template does not have: the
 * `--probe` file, the `--file` or the `--workflow`. The skip reason ends
 * with a note naming the flag and the closest name the template does
 * have, and the run's verdict reads the notes back to say "nothing
 * matched --probe Dockerfil in any of 6 templates; did you mean
 * Dockerfile?".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { missNote, missOf } from "./unmatched.ts";
 *
 * const note = missNote("--probe", "Dockerfil", ["Dockerfile", "README.md"]);
 * assert.equal(note, " (--probe Dockerfil: not found; did you mean Dockerfile?)");
 * assert.deepEqual(missOf(`not wired${note}`), {
 *   flag: "--probe",
 *   name: "Dockerfil",
 *   suggestion: "Dockerfile",
 * });
 * ```
 *
 * @module
 */

/** The flag that named what was not found. */
export type MissFlag = "--probe" | "--file" | "--workflow";

/** A name a template does not have, and the closest one it has. */
export interface Miss {
  /** The flag that gave the name. */
  flag: MissFlag;
  /** The name as given. */
  name: string;
  /** The closest name the template has, or null. */
  suggestion: string | null;
}

/** Names compared at most (a tree may be large and is the server's). */
const MAX_NAMES = 1000;
/** Longest name compared. */
const MAX_NAME = 255;

/** The closest of `names` (a tree listing) to `name`, bounded, or null. */
function closestName(
  name: string,
  names: readonly string[],
): string | null {
  if (name.length > MAX_NAME) return null;
  const candidates = names.slice(0, MAX_NAMES).filter((n) =>
    n.length <= MAX_NAME && n !== name
  );
  const word = name.toLowerCase();
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const d = distance(word, candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Levenshtein distance, two rows (names are at most 255 characters). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The note a skip reason ends with: ` (<flag> <name>: not found; did you
 * mean <closest>?)`, the question only when a name is close. With
 * `onlyNear`, no note at all unless a name is close.
 */
export function missNote(
  flag: MissFlag,
  name: string,
  names: readonly string[],
  onlyNear = false,
): string {
  const near = closestName(name, names);
  if (near === null && onlyNear) return "";
  return ` (${flag} ${name}: not found${
    near === null ? "" : `; did you mean ${near}?`
  })`;
}

const NOTE =
  / \((--probe|--file|--workflow) (.+?): not found(?:; did you mean (.+)\?)?\)$/s;

/** The miss a skip reason notes, or null. */
export function missOf(reason: string): Miss | null {
  const match = NOTE.exec(reason);
  if (match === null) return null;
  return {
    flag: match[1] as MissFlag,
    name: match[2] ?? "",
    suggestion: match[3] ?? null,
  };
}
