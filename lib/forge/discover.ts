/**
 * Targets from the forge: every repository of the organisations and users
 * named by `--org`, all pages, with archived, mirror, fork and empty ones
 * left out, then `--match`/`--exclude` name globs and `--topic`. Each repo
 * left out is kept with the reason, for verbose logs and the `targets`
 * report. Names come from a server cascade does not trust: a name Gitea
 * would not allow is left out (shown escaped), never printed raw.
 *
 * @example Name checks
 * ```ts
 * import assert from "node:assert/strict";
 * import { nameProblem } from "./discover.ts";
 *
 * assert.equal(nameProblem("templates/node-lts"), null);
 * assert.match(nameProblem("templates/\u001b[2J") ?? "", /not allow/);
 * ```
 *
 * @module
 */

import { createLimiter } from "../engine/pool.ts";
import { type ForgeClient, ForgeError } from "./client.ts";
import { EXIT, UsageError } from "../errors.ts";
import type { Repository } from "./types.ts";
import { cutRedacted } from "../console/secret_forms.ts";

/** What `--org`, `--match`, `--exclude` and `--topic` ask for. */
export interface DiscoveryFilters {
  /** Organisations or users, in order. */
  owners: readonly string[];
  /** Keep names matching any of these (none: keep all). */
  match: readonly string[];
  /** Drop names matching any of these. */
  exclude: readonly string[];
  /** Keep repos with any of these topics (none: keep all). */
  topics: readonly string[];
}

/** A repository left out, and why. */
export interface Excluded {
  /** `owner/name` (escaped when the server sent a name Gitea forbids). */
  repo: string;
  /** Why it was left out, e.g. `archived`. */
  reason: string;
}

/** What discovery found. */
export interface Discovery {
  /** `owner/name` of each repo kept, in listing order. */
  repos: string[];
  /** Each repo left out, with the reason. */
  excluded: Excluded[];
}

const OWNER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,39}$/;
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;

/**
 * Why `fullName` is not an `owner/name` Gitea allows (letters, digits,
 * `-`, `_`, `.`; owner at most 40, name at most 100 characters; not `.git`
 * at the end), or null when it is one.
 */
export function nameProblem(fullName: string): string | null {
  const [owner = "", name = "", ...rest] = fullName.split("/");
  const ok = rest.length === 0 && OWNER.test(owner) && NAME.test(name) &&
    !/\.(git|wiki|rss|atom)$/i.test(name) && !name.includes("..");
  return ok
    ? null
    : "the server sent a name Gitea does not allow (only letters, digits, '-', '_' and '.'); left out";
}

/**
 * A name from the server, safe for a terminal, a log or a Markdown cell:
 * anything outside Gitea's name characters becomes `?`, at most 100
 * characters.
 */
function shownName(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9_.\/-]/g, "?");
  return cutRedacted(safe, 97);
}

/**
 * Whether a name glob matches `owner/name`, ignoring case. `*` is any run
 * of characters but `/`, `?` one of them. A glob with a `/` is matched
 * against `owner/name`, one without against the name alone.
 */
function globMatches(glob: string, fullName: string): boolean {
  const subject = glob.includes("/")
    ? fullName
    : fullName.slice(fullName.indexOf("/") + 1);
  const source = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replaceAll("*", "[^/]*").replaceAll("?", "[^/]");
  return new RegExp(`^${source}$`, "i").test(subject);
}

/** Why the listing leaves `repo` out before any filter, or null. */
function flagReason(repo: Repository, owner: string): string | null {
  const problem = nameProblem(repo.full_name);
  if (problem !== null) return problem;
  const [listedOwner] = repo.full_name.split("/");
  if (
    repo.full_name.toLowerCase() !==
      `${repo.owner.login}/${repo.name}`.toLowerCase() ||
    listedOwner?.toLowerCase() !== owner.toLowerCase()
  ) {
    return `listed under --org ${owner} but named for another owner; left out`;
  }
  if (repo.archived) return "archived";
  if (repo.mirror) return "mirror (read-only)";
  if (repo.fork) return "fork";
  if (repo.empty) return "empty (no commits yet)";
  return null;
}

/** Why `--match`/`--exclude` leave `fullName` out, or null. */
function globReason(
  fullName: string,
  filters: DiscoveryFilters,
): string | null {
  if (
    filters.match.length > 0 &&
    !filters.match.some((g) => globMatches(g, fullName))
  ) {
    return `matches no --match (${filters.match.join(", ")})`;
  }
  const dropped = filters.exclude.find((g) => globMatches(g, fullName));
  return dropped === undefined ? null : `matches --exclude ${dropped}`;
}

/**
 * The repo's topics: the listing's `topics` (Gitea 1.23+; `null` on
 * 1.23.0–1.23.3 means none), else `GET /repos/{o}/{r}/topics` (1.22).
 */
async function topicsOf(
  client: ForgeClient,
  repo: Repository,
): Promise<string[]> {
  if (repo.topics !== undefined) return repo.topics ?? [];
  const { value } = await client.repoTopics(repo.owner.login, repo.name);
  return value.topics ?? [];
}

/**
 * Lists every repo of each owner (organisation, else user), every page,
 * and sorts them into kept and left out. Throws what `wrap` makes of the
 * client's error for the first owner that cannot be listed.
 */
export async function discoverRepos(
  client: ForgeClient,
  filters: DiscoveryFilters,
  wrap: (error: unknown, owner: string) => unknown = (error) => error,
): Promise<Discovery> {
  const repos: string[] = [];
  const excluded: Excluded[] = [];
  const seen = new Map<string, string>();
  for (const owner of new Set(filters.owners)) {
    try {
      await discoverOwner(client, owner, filters, { repos, excluded, seen });
    } catch (error) {
      throw wrap(error, owner);
    }
  }
  return { repos, excluded };
}

/** Topic lookups in flight at once (Gitea 1.22 asks one per repo). */
const TOPIC_LOOKUPS = 8;

async function discoverOwner(
  client: ForgeClient,
  owner: string,
  filters: DiscoveryFilters,
  into: Discovery & { seen: Map<string, string> },
): Promise<void> {
  const listed = await client.listOrgRepos(owner);
  const candidates: Repository[] = [];
  for (const repo of listed.value) {
    const key = repo.full_name.toLowerCase();
    const twin = into.seen.get(key);
    // The same name listed again (a page overlap) is one repo; a name that
    // differs only in case is another repo Gitea cannot tell apart here.
    if (twin === repo.full_name) continue;
    if (twin === undefined) into.seen.set(key, repo.full_name);
    const reason = (twin === undefined
      ? null
      : `name differs only in case from ${shownName(twin)}`) ??
      flagReason(repo, owner) ?? globReason(repo.full_name, filters);
    if (reason === null) {
      candidates.push(repo);
    } else into.excluded.push({ repo: shownName(repo.full_name), reason });
  }
  const limit = createLimiter(TOPIC_LOOKUPS);
  const topics = await Promise.all(
    candidates.map((repo) =>
      filters.topics.length === 0
        ? Promise.resolve(null)
        : limit(() => topicsOf(client, repo))
    ),
  );
  candidates.forEach((repo, i) => {
    const has = topics[i]?.map((t) => t.toLowerCase());
    if (has !== undefined && !filters.topics.some((t) => has.includes(t))) {
      into.excluded.push({
        repo: repo.full_name,
        reason: `has no --topic (${filters.topics.join(", ")})`,
      });
    } else into.repos.push(repo.full_name);
  });
}

/** What the server says about one `owner/name` a list names. */
export type RepoLookup =
  | { state: "live"; fullName: string }
  | { state: "missing" }
  | { state: "renamed"; to: string }
  | { state: "left out"; reason: string };

/**
 * Looks one listed repo up (`GET /repos/{o}/{r}`, a same-origin 307 of a
 * renamed repo followed): live, missing, renamed (to the name the server
 * answers for after its redirect), or left out (archived, mirror, fork,
 * empty, or an answer for another repo without a redirect).
 */
export async function lookUpRepo(
  client: ForgeClient,
  fullName: string,
): Promise<RepoLookup> {
  const [owner = "", name = ""] = fullName.split("/");
  let answer;
  try {
    answer = await client.getRepo(owner, name);
  } catch (error) {
    if ((error as { kind?: unknown }).kind === "not_found") {
      return { state: "missing" };
    }
    throw error;
  }
  const repo = answer.value;
  const reason = flagReason(repo, repo.owner.login);
  if (reason !== null && nameProblem(repo.full_name) !== null) {
    return { state: "left out", reason };
  }
  if (repo.full_name.toLowerCase() !== fullName.toLowerCase()) {
    // Only Gitea's redirect says a repo moved; another name without one
    // is an answer cascade cannot place.
    return answer.movedTo === null
      ? {
        state: "left out",
        reason: "the server answered for another repository; left out",
      }
      : { state: "renamed", to: repo.full_name };
  }
  return reason === null
    ? { state: "live", fullName: repo.full_name }
    : { state: "left out", reason };
}

/**
 * A failed API call during discovery as the error that ends the run: an
 * unknown owner is a usage error naming it (exit 2), a refused token exit
 * 3, anything else exit 1. Anything that is no {@linkcode ForgeError} is
 * thrown on.
 */
export function discoveryError(
  error: unknown,
  owner: string,
  flag = "--org",
): Error {
  if (!(error instanceof ForgeError)) return error as Error;
  if (error.kind === "not_found" && /\/(orgs|users)\//.test(error.path)) {
    return new UsageError(
      `${flag} ${owner}: no organisation or user of that name on the server (or the token may not see it); check the name`,
    );
  }
  if (error.kind === "auth") {
    return new UsageError(
      `${flag} ${owner}: the server refused the token: ${error.message}`,
      EXIT.credentials,
    );
  }
  return new UsageError(`${flag} ${owner}: ${error.message}`, EXIT.failed);
}
