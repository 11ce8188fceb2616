/**
 * How cascade reaches a template through the forge API: the API base and
 * `owner/repo` from the target's URL, and who may receive the token. The
 * token goes as `Authorization: token <t>`, and only to the target's own
 * origin when the run's token may go there: that decision is made here,
 * once ({@linkcode apiCredentials}).
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

/** A template's API credentials, and where they may go. */
export interface ApiCredentials {
  /** `token <secret>`, or null when there is none for this target. */
  authorization: string | null;
  /** The origins the client may send it to: the target's own, only. */
  allowedOrigins: ReadonlySet<string>;
  /** Why there is none: no token set, or not for this origin. */
  missing: "none" | "withheld" | null;
}

/**
 * The one decision where the API token goes: a password embedded in the
 * target's URL stays with that URL; the run's token goes to the target
 * only when its origin is one the token may go to (`allowed`: the
 * `--base-url` server and `--token-origin`), and then to that origin only
 * (the client follows no redirect elsewhere).
 */
export function apiCredentials(
  target: {
    origin: string | null;
    embedded: { user: string; password: string } | null;
  },
  token: string | null,
  allowed: ReadonlySet<string>,
): ApiCredentials {
  const origin = target.origin ?? "";
  const mayHaveToken = allowed.has(origin);
  const secret = target.embedded?.password ||
    (mayHaveToken ? token ?? "" : "");
  return {
    authorization: secret === "" ? null : `token ${secret}`,
    allowedOrigins: new Set(origin === "" ? [] : [origin]),
    missing: secret !== ""
      ? null
      : token !== null && !mayHaveToken
      ? "withheld"
      : "none",
  };
}
