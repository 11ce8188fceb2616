/**
 * How a listing's pages are counted from its answers' headers. cascade asks
 * every page by number on its own base URL: `Link` (which Gitea builds from
 * its ROOT_URL, maybe another origin) only says how many pages there are,
 * never where they are, and `X-Total-Count` says it where `Link` is absent
 * (the combined status).
 *
 * @module
 */

import { forgeError } from "./forge_error.ts";

/**
 * How many pages a list has, from its first page's answer: the page
 * number of `Link`'s `rel="last"` (its query only; the origin is Gitea's
 * ROOT_URL), else `X-Total-Count` over the page size (the first page's
 * length when the server gave fewer than `limit` of more), else 1 without
 * a `rel="next"`; null when only `rel="next"` says there is more.
 */
export function lastPage(
  answer: { headers: Headers; url: URL },
  firstCount: number,
  limit: number,
): number | null {
  const link = answer.headers.get("link");
  const last = relTarget(link, "last", answer.url);
  const page = last === null
    ? undefined
    : /[?&]page=(\d{1,6})(?:&|#|$)/.exec(last)?.[1];
  if (page !== undefined) return Math.max(1, Number(page));
  const total = answer.headers.get("x-total-count")?.trim() ?? null;
  if (total === null || !/^\d{1,9}$/.test(total)) {
    return nextLink(link, answer.url) === null ? 1 : null;
  }
  const many = Number(total);
  const size = firstCount > 0 && firstCount < limit && many > firstCount
    ? firstCount
    : limit;
  return Math.max(1, Math.ceil(many / size));
}

/** Longest `Link` header read. */
const MAX_LINK_HEADER = 16 * 1024;

/**
 * The `rel="next"` target of a `Link` header, resolved against `base`, or
 * null. Paging reads only whether there is one, never where it points.
 */
export function nextLink(header: string | null, base: URL): URL | null {
  const target = relTarget(header, "next", base);
  if (target === null) return null;
  try {
    return new URL(target, base);
  } catch {
    return null;
  }
}

/**
 * The target (as written) of the `Link` entry with relation `rel`; a
 * header longer than {@linkcode MAX_LINK_HEADER} is refused.
 */
function relTarget(
  header: string | null,
  rel: string,
  base: URL,
): string | null {
  if (header === null) return null;
  if (header.length > MAX_LINK_HEADER) {
    throw forgeError("invalid", null, "GET", base, {
      what: `sent a Link header longer than ${MAX_LINK_HEADER} characters`,
    });
  }
  for (const part of header.split(",")) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match === null) continue;
    const rels = /rel\s*=\s*"?([^";]*)"?/i.exec(match[2] ?? "")?.[1] ?? "";
    if (rels.split(/\s+/).includes(rel)) return match[1] ?? "";
  }
  return null;
}
