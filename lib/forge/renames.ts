/**
 * The renamed repositories one run has learned, shared by every API
 * client of the run (one {@linkcode Renames}, held by the run's
 * `ForgeAccess`): a same-origin redirect of `/repos/{o}/{r}…` that any
 * client followed, or the git layer's redirect that the preflight
 * followed, sends every later API request for that repo straight to the
 * new path. Nothing is learned across origins: a rename is kept per API
 * base, and a redirect elsewhere is never followed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Renames } from "./renames.ts";
 *
 * const renames = new Renames();
 * renames.learn("https://git.test/api/v1", "/repos/org/old", "/repos/org/new");
 * assert.equal(
 *   renames.repoPath("https://git.test/api/v1/", "Org", "OLD"),
 *   "/repos/org/new",
 * );
 * ```
 *
 * @module
 */

import { ForgeError } from "./forge_error.ts";

/** A run's renames, by API base (see the module doc). */
export class Renames {
  /** `<base>\n/repos/{o}/{r}` (lower case) → `/repos/{o2}/{r2}`. */
  readonly #paths = new Map<string, string>();

  /**
   * Records that `from` (`/repos/{o}/{r}`, as sent) below `apiBase` is now
   * `to`. A rename back to the name asked is dropped (no loop is kept).
   */
  learn(apiBase: string, from: string, to: string): void {
    if (from.toLowerCase() === to.toLowerCase()) {
      this.#paths.delete(keyOf(apiBase, from));
      return;
    }
    this.#paths.set(keyOf(apiBase, from), to);
  }

  /**
   * The API path (`/repos/{o}/{r}`, each part encoded) of `owner/repo`
   * below `apiBase`, or of the name it was renamed to in this run.
   */
  repoPath(apiBase: string, owner: string, repo: string): string {
    const asked = repoApiPath(owner, repo);
    return this.#paths.get(keyOf(apiBase, asked)) ?? asked;
  }

  /**
   * Remembers the rename a followed redirect showed: `asked`, a request
   * to `/repos/{o}/{r}…` below `apiBase`, was answered from
   * `/repos/{o2}/{r2}…` on the same origin. Anything else is no rename.
   */
  learnFrom(apiBase: string, asked: URL, answered: URL): void {
    if (asked.origin !== answered.origin) return;
    const from = repoOf(apiBase, asked);
    const to = repoOf(apiBase, answered);
    if (from !== null && to !== null && from !== to) {
      this.learn(apiBase, from, to);
    }
  }

  /**
   * Sends `asked` with `send` and learns the rename a followed redirect
   * showed, whether the request then succeeded (the answer's URL) or
   * failed (a {@linkcode ForgeError}'s path: a 404 at the new name is
   * still a rename).
   */
  async sent<A extends { movedTo: string | null; url: URL }>(
    apiBase: string,
    asked: URL,
    send: () => Promise<A>,
  ): Promise<A> {
    let answer: A;
    try {
      answer = await send();
    } catch (error) {
      if (error instanceof ForgeError && error.status !== null) {
        this.learnFrom(apiBase, asked, new URL(error.path, asked));
      }
      throw error;
    }
    if (answer.movedTo !== null) this.learnFrom(apiBase, asked, answer.url);
    return answer;
  }

  /** Whether `url` is on a repo path below `apiBase` that a rename gave. */
  isRenamed(apiBase: string, url: URL): boolean {
    const base = baseOf(apiBase);
    if (url.origin !== new URL(base).origin) return false;
    for (const [key, to] of this.#paths) {
      if (!key.startsWith(`${base}\n`)) continue;
      const at = `${new URL(base).pathname.replace(/\/+$/, "")}${to}`;
      if (url.pathname === at || url.pathname.startsWith(`${at}/`)) {
        return true;
      }
    }
    return false;
  }
}

/** `/repos/{owner}/{repo}`, each part encoded. */
export function repoApiPath(owner: string, repo: string): string {
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
}

/** The API base without trailing slashes. */
function baseOf(apiBase: string): string {
  return apiBase.replace(/\/+$/, "");
}

function keyOf(apiBase: string, path: string): string {
  return `${baseOf(apiBase)}\n${path.toLowerCase()}`;
}

/** `/repos/{o}/{r}` of a URL below `apiBase`, or null. */
function repoOf(apiBase: string, url: URL): string | null {
  const base = `${new URL(baseOf(apiBase)).pathname.replace(/\/+$/, "")}`;
  if (!url.pathname.startsWith(`${base}/repos/`)) return null;
  const [owner, repo] = url.pathname.slice(base.length + 7).split("/");
  return owner && repo ? `/repos/${owner}/${repo}` : null;
}
