/**
 * What the API says about the targets a list names, for `cascade
 * targets`: a listed repo that was renamed is replaced by its new name
 * (Gitea's same-origin 307, followed), one archived (or a mirror, fork,
 * empty) is left out with the reason; and the entries of a `--check`
 * file, each with the server's word. Each name is asked once.
 *
 * @module
 */

import { createLimiter } from "../engine/pool.ts";
import type { ForgeClient } from "../forge/client.ts";
import {
  discoveryError,
  type Excluded,
  lookUpRepo,
  nameProblem,
  type RepoLookup,
} from "../forge/discover.ts";
import { readInput, type Resolved } from "./inputs.ts";
import { ownerNameOf } from "./step.ts";
import { type CheckEntry, compareKey } from "./check.ts";
import {
  dedupeTargets,
  parseReposFile,
  parseTarget,
  type Target,
} from "./target.ts";

/** Looks names up through one client, each name once. */
export class Lookups {
  readonly #forgeOf: () => ForgeClient | null;
  readonly #seen = new Map<string, Promise<RepoLookup | null>>();

  /** `forgeOf` gives the client (opened on first use), or null: none. */
  constructor(forgeOf: () => ForgeClient | null) {
    this.#forgeOf = forgeOf;
  }

  /**
   * Asks about `names` up to 8 at a time, so the reads that follow find
   * their answers waiting (a failure stays for the read to meet).
   */
  async prefetch(names: readonly (string | null)[]): Promise<void> {
    const limit = createLimiter(8);
    await Promise.allSettled(
      names.filter((n): n is string => n !== null).map((n) =>
        limit(() => this.get(n))
      ),
    );
  }

  /** The server's word on `owner/name`, or null without a client. */
  get(name: string): Promise<RepoLookup | null> {
    const key = name.toLowerCase();
    let answer = this.#seen.get(key);
    if (answer === undefined) {
      const forge = this.#forgeOf();
      answer = forge === null ? Promise.resolve(null) : lookUpRepo(forge, name);
      this.#seen.set(key, answer);
    }
    return answer;
  }
}

/** `owner/name` of a target on the `baseUrl` server, else null. */
function serverName(
  target: Target,
  baseUrl: string | undefined,
): string | null {
  if (baseUrl === undefined || target.scheme !== "http") return null;
  if (!target.url.startsWith(`${baseUrl.replace(/\/+$/, "")}/`)) return null;
  const name = ownerNameOf(target, baseUrl);
  return nameProblem(name) === null ? name : null;
}

/** The targets after the lookups of the listed ones. */
export interface Placed {
  /** In order; a renamed repo under its new name. */
  targets: Target[];
  /** Old `owner/name` by the compare key of the new target. */
  renamedFrom: Map<string, string>;
  /** Discovery's left-out repos, and listed ones left out here. */
  excluded: Excluded[];
}

/**
 * Looks up each listed (not discovered) target on the server: a renamed
 * one is replaced by its new name, an archived (mirror, fork, empty) one
 * is left out with the reason; a missing one stays (the preflight says
 * not found). A refused token ends the run (exit 3); any other failed
 * lookup leaves the target as it is.
 */
export async function placeListed(
  resolved: Resolved,
  baseUrl: string | undefined,
  cwd: string,
  lookups: Lookups,
): Promise<Placed> {
  const discovered = new Set(resolved.discovered.map((t) => t.key));
  const renamedFrom = new Map<string, string>();
  const excluded = [...resolved.excluded];
  const targets: Target[] = [];
  await lookups.prefetch(
    resolved.targets.map((t) =>
      discovered.has(t.key) ? null : serverName(t, baseUrl)
    ),
  );
  for (const target of resolved.targets) {
    const name = discovered.has(target.key)
      ? null
      : serverName(target, baseUrl);
    let lookup: RepoLookup | null = null;
    try {
      lookup = name === null ? null : await lookups.get(name);
    } catch (error) {
      if ((error as { kind?: unknown }).kind === "auth") {
        throw discoveryError(error, name ?? "", "--repo");
      }
    }
    if (lookup?.state === "renamed") {
      const moved = parseTarget(lookup.to, baseUrl, cwd);
      renamedFrom.set(compareKey(moved.key), name ?? "");
      targets.push(moved);
    } else if (lookup?.state === "left out") {
      excluded.push({ repo: name ?? target.repo, reason: lookup.reason });
    } else targets.push(target);
  }
  return { targets: dedupeTargets(targets), renamedFrom, excluded };
}

/** The checked file's entries, with the server's word on each. */
export interface Checked {
  /** One per line of the file, in order. */
  entries: CheckEntry[];
  /** Entries that still need the probe (live, not among the targets). */
  probe: Target[];
}

/**
 * Reads `--check FILE` and asks the API about each entry on the server
 * that discovery did not already vouch for: missing, renamed, archived.
 */
export async function checkEntries(
  file: string,
  baseUrl: string | undefined,
  cwd: string,
  resolved: Resolved,
  lookups: Lookups,
): Promise<Checked> {
  const lines = parseReposFile(await readInput(file, "--check", cwd));
  const known = new Set(resolved.targets.map((t) => compareKey(t.key)));
  const discovered = new Set(
    resolved.discovered.map((t) => compareKey(t.key)),
  );
  const excluded = new Map(
    resolved.excluded.map((e) => [e.repo.toLowerCase(), e.reason]),
  );
  const entries: CheckEntry[] = [];
  const probe: Target[] = [];
  const listed = dedupeTargets(lines.map((l) => parseTarget(l, baseUrl, cwd)));
  await lookups.prefetch(listed.map((t) => {
    const name = serverName(t, baseUrl);
    const vouched = discovered.has(compareKey(t.key)) ||
      excluded.has(name?.toLowerCase() ?? "");
    return vouched ? null : name;
  }));
  for (const target of listed) {
    const name = ownerNameOf(target, baseUrl);
    const entry: CheckEntry = { name, key: target.key };
    entries.push(entry);
    const key = compareKey(target.key);
    const reason = excluded.get(name.toLowerCase());
    const onServer = serverName(target, baseUrl) !== null;
    if (discovered.has(key)) continue;
    if (reason !== undefined) {
      entry.excluded = reason;
      continue;
    }
    if (onServer) {
      try {
        const found = await lookups.get(name);
        if (found !== null) entry.lookup = found;
      } catch (error) {
        throw discoveryError(error, file, "--check");
      }
      if (entry.lookup !== undefined && entry.lookup.state !== "live") {
        continue;
      }
    }
    if (!known.has(key)) probe.push(target);
  }
  return { entries, probe };
}
