/**
 * The link of a commit status: Gitea stores and returns the `target_url`
 * of Actions' statuses as a path (`/{o}/{r}/actions/runs/N/jobs/I`), which
 * a client resolves against the server's origin (the API's) to show.
 *
 * @module
 */

/**
 * A status's `target_url` as a link: an absolute http(s) URL as it is, a
 * path (`/org/app/actions/runs/3/jobs/0`) resolved against `origin` (the
 * API's), anything else null.
 *
 * @example A relative link from Gitea Actions
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveTargetUrl } from "./target_url.ts";
 *
 * assert.equal(
 *   resolveTargetUrl("/org/app/actions/runs/3/jobs/0", "https://git.example.com"),
 *   "https://git.example.com/org/app/actions/runs/3/jobs/0",
 * );
 * assert.equal(resolveTargetUrl("//evil.example/x", "https://git.example.com"), null);
 * ```
 */
export function resolveTargetUrl(
  raw: string,
  origin: string | undefined,
): string | null {
  if (/^https?:\/\//i.test(raw) && URL.canParse(raw)) return raw;
  if (origin === undefined || !/^\/(?![\/\\])/.test(raw)) return null;
  if (!URL.canParse(raw, origin)) return null;
  const url = new URL(raw, origin);
  return url.origin === new URL(origin).origin ? url.href : null;
}
