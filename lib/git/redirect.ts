/**
 * Where a redirect points, found without following it: git is told never
 * to follow one (`http.followRedirects=false`), since it would take the
 * token along. cascade asks the server itself, sending no credentials
 * (Gitea answers a renamed repository's 307 before authentication), and
 * follows only within the origin the target was on.
 *
 * Permissions: `--allow-net` for the target's host; without it the
 * redirect cannot be read and the template fails saying so.
 *
 * @module
 */

import { InterruptedError } from "../errors.ts";

/** What a redirect check found. */
export type RedirectCheck =
  | { kind: "moved"; url: string }
  | { kind: "unknown"; why: string };

/** Hops followed within the origin before giving up. */
export const MAX_REDIRECT_HOPS = 3;

/**
 * Asks `url` (a repository's http(s) URL) where it redirects, with one
 * credential-free `GET <url>/info/refs?service=git-upload-pack` that does
 * not follow redirects. Returns the repository URL the answer points at
 * (its `/info/refs` and query removed, credentials dropped), or why that
 * cannot be known.
 */
export async function redirectTarget(
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<RedirectCheck> {
  const { host } = new URL(url);
  if (Deno.permissions.querySync({ name: "net", host }).state !== "granted") {
    return {
      kind: "unknown",
      why: `cascade needs --allow-net to see where ${host} redirects`,
    };
  }
  const timeout = AbortSignal.timeout(timeoutMs);
  const abort = signal === undefined
    ? timeout
    : AbortSignal.any([signal, timeout]);
  const asked = `${url.replace(/\/+$/, "")}/info/refs?service=git-upload-pack`;
  let response: Response;
  try {
    response = await fetch(asked, { redirect: "manual", signal: abort });
    await response.body?.cancel().catch(() => {});
  } catch {
    if (signal?.aborted) throw new InterruptedError();
    return { kind: "unknown", why: `${host} did not answer the check` };
  }
  const location = response.headers.get("location");
  if (response.status < 300 || response.status > 399 || location === null) {
    return {
      kind: "unknown",
      why: `${host} answered ${response.status} without a redirect`,
    };
  }
  let next: URL;
  try {
    next = new URL(location, asked);
  } catch {
    return { kind: "unknown", why: `${host} redirected to an invalid URL` };
  }
  if (!/^https?:$/.test(next.protocol)) {
    return { kind: "unknown", why: `${host} redirected to ${next.protocol}` };
  }
  next.username = "";
  next.password = "";
  next.search = "";
  next.hash = "";
  next.pathname = next.pathname.replace(/\/info\/refs$/, "");
  return { kind: "moved", url: next.href };
}
