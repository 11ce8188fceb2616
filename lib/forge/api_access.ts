/**
 * How cascade reaches a template through the forge API: the API base and
 * `owner/repo` from the target's URL, and who may receive the token. The
 * token goes as `Authorization: token <t>`, and only to the target's own
 * origin (plus any `--token-origin`): that decision is made here, once.
 *
 * @example The API address of a target
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiRepoOf } from "./api_access.ts";
 *
 * assert.deepEqual(apiRepoOf("https://git.example.com/gitea/org/app.git"), {
 *   apiBase: "https://git.example.com/gitea/api/v1",
 *   owner: "org",
 *   repo: "app",
 * });
 * ```
 *
 * @module
 */

import { apiBaseFor } from "./client.ts";

/** Where a template sits in the API. */
export interface ApiRepo {
  /** `https://host[/prefix]/api/v1`. */
  apiBase: string;
  /** Owner (user or organisation). */
  owner: string;
  /** Repository name, without `.git`. */
  repo: string;
}

/**
 * The API base and `owner/repo` of an http(s) repo URL: the last two path
 * segments (after any prefix the server lives under), `.git` stripped.
 * Null when the path does not end in two segments.
 */
export function apiRepoOf(url: string): ApiRepo | null {
  const parsed = new URL(url);
  const parts = parsed.pathname.split("/").filter(Boolean);
  if (parts.length < 2) return null;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const owner = decode(parts[parts.length - 2] ?? "");
  const repo = decode((parts[parts.length - 1] ?? "").replace(/\.git$/, ""));
  if (owner === "" || repo === "") return null;
  return { apiBase: apiBaseFor(url), owner, repo };
}

/**
 * Who may receive the token on API calls for a target: its own origin and
 * the `--token-origin` ones, nothing else (a redirect elsewhere gets no
 * token).
 */
export function tokenOriginsFor(
  targetOrigin: string,
  extraOrigins: readonly string[],
): ReadonlySet<string> {
  return new Set([targetOrigin, ...extraOrigins]);
}

/**
 * The API's `Authorization` value for a secret (a token from the
 * environment, or a password embedded in the target URL), or null.
 */
export function apiAuthorization(secret: string | null): string | null {
  return secret === null || secret === "" ? null : `token ${secret}`;
}
