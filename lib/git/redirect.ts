/**
 * Where a redirect points, found without following it: git is told never
 * to follow one (`http.followRedirects=false`), since it would take the
 * token along. cascade asks the server itself, sending no credentials
 * (Gitea answers a renamed repository's redirect before authentication),
 * and follows only within the origin the target was on. A server that
 * asks everyone to sign in (`REQUIRE_SIGNIN_VIEW` on Gitea 1.22/1.23)
 * answers 401 first: then the question is asked once more, with the
 * target's own credentials, of the same URL.
 *
 * Permissions: `--allow-net` for the target's host. Whether the run has it
 * is the run's access's one decision (`ForgeAccess.netGranted`), asked by
 * the caller before it asks here: this module queries no permission.
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
 * not follow redirects (after a 401, once more with `authorization`, the
 * header the target's own origin gets, if any). Returns the repository
 * URL the answer points at (its `/info/refs` and query removed,
 * credentials dropped), or why that cannot be known.
 */
export async function redirectTarget(
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
  authorization: string | null = null,
): Promise<RedirectCheck> {
  const { host } = new URL(url);
  const timeout = AbortSignal.timeout(timeoutMs);
  const abort = signal === undefined
    ? timeout
    : AbortSignal.any([signal, timeout]);
  const asked = `${url.replace(/\/+$/, "")}/info/refs?service=git-upload-pack`;
  let response: Response;
  try {
    response = await fetch(asked, { redirect: "manual", signal: abort });
    await response.body?.cancel().catch(() => {});
    if (response.status === 401 && authorization !== null) {
      response = await fetch(asked, {
        redirect: "manual",
        signal: abort,
        headers: { Authorization: authorization },
      });
      await response.body?.cancel().catch(() => {});
    }
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

/**
 * The `Authorization` header git config pairs hand to `origin`
 * (`http.<origin>/.extraHeader`), or null.
 */
export function authorizationFor(
  gitConfig: readonly (readonly [string, string])[],
  origin: string | null,
): string | null {
  if (origin === null) return null;
  const pair = gitConfig.find(([key]) => key === `http.${origin}/.extraHeader`);
  const value = pair?.[1] ?? "";
  return /^Authorization: /i.test(value)
    ? value.slice("Authorization: ".length)
    : null;
}
