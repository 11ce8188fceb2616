/**
 * The list-drift gate of `cascade targets --check FILE`: what a checked-in
 * repos file says against what the server has. Each difference is one
 * line that says what to change in the file: add a wired template the
 * server has; remove one that is missing, archived (or otherwise left
 * out) or not wired; replace a renamed one with its new name.
 *
 * @example A file that lacks a template and names a renamed one
 * ```ts
 * import assert from "node:assert/strict";
 * import { listDifferences } from "./check.ts";
 *
 * const lines = listDifferences("templates.txt", [
 *   { name: "org/old", key: "k-old", lookup: { state: "renamed", to: "org/new" } },
 * ], [{ name: "org/new", key: "k-new" }, { name: "org/b", key: "k-b" }],
 *   new Map(), true);
 * assert.deepEqual(lines, [
 *   "replace org/old with org/new in templates.txt: the repository was renamed",
 *   "add org/b to templates.txt: a wired template the server has",
 * ]);
 * ```
 *
 * @module
 */

import type { RepoLookup } from "../forge/discover.ts";
import type { TargetResult } from "./step.ts";

/** One line of the checked file, and what the server said about it. */
export interface CheckEntry {
  /** `owner/name` (or the target as written, for another server). */
  name: string;
  /** The target's key (see `Target.key`). */
  key: string;
  /** The API's answer, when it was asked. */
  lookup?: RepoLookup;
  /** Why discovery left it out, when it did. */
  excluded?: string;
}

/** A repo the server has (discovered), by name and key. */
export interface ServerRepo {
  /** `owner/name`. */
  name: string;
  /** The target's key. */
  key: string;
}

/** The key two targets are compared by (Gitea names ignore case). */
export function compareKey(key: string): string {
  return key.toLowerCase();
}

/** What to change about one entry of the file, or null when it is fine. */
function entryDifference(
  file: string,
  entry: CheckEntry,
  result: TargetResult | undefined,
): string | null {
  const remove = (why: string) => `remove ${entry.name} from ${file}: ${why}`;
  if (entry.excluded !== undefined) return remove(entry.excluded);
  const lookup = entry.lookup;
  if (lookup?.state === "missing") {
    return remove("no such repository on the server");
  }
  if (lookup?.state === "renamed") {
    return `replace ${entry.name} with ${lookup.to} in ${file}: the repository was renamed`;
  }
  if (lookup?.state === "left out") return remove(lookup.reason);
  if (result?.error) {
    if (result.error.kind === "not_found") {
      return remove("no such repository on the server");
    }
    return `check ${entry.name} in ${file}: it could not be read (${result.error.kind}): ${result.error.message}`;
  }
  if (result?.wired === false) return remove(result.reason ?? "not wired");
  return null;
}

/**
 * Every difference between the file's `entries` and the `server`'s
 * repos, file order first, then what the file lacks. `results` holds the
 * probe's answer per compare key; a server repo not wired by the probe
 * (or unreadable) is not one the file lacks. `probed`: whether a probe
 * decided what is wired (the words of an addition say so).
 */
export function listDifferences(
  file: string,
  entries: readonly CheckEntry[],
  server: readonly ServerRepo[],
  results: ReadonlyMap<string, TargetResult>,
  probed: boolean,
): string[] {
  const lines: string[] = [];
  const named = new Set<string>();
  for (const entry of entries) {
    named.add(compareKey(entry.key));
    if (entry.lookup?.state === "renamed") {
      named.add(entry.lookup.to.toLowerCase());
    }
    const line = entryDifference(
      file,
      entry,
      results.get(compareKey(entry.key)),
    );
    if (line !== null) lines.push(line);
  }
  for (const repo of server) {
    if (named.has(compareKey(repo.key)) || named.has(repo.name.toLowerCase())) {
      continue;
    }
    const result = results.get(compareKey(repo.key));
    if (result?.error || result?.wired === false) continue;
    lines.push(
      `add ${repo.name} to ${file}: ${
        probed ? "a wired template" : "a template"
      } the server has`,
    );
  }
  return lines;
}
