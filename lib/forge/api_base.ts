/**
 * Where a repo's forge API is, from its URL (`ForgeClient`'s base;
 * re-exported by `./client.ts`).
 *
 * @module
 */

/**
 * The API base for a repo URL: its origin, any path prefix before
 * `owner/name(.git)`, then `/api/v1`. Credentials in the URL are dropped.
 */
export function apiBaseFor(targetUrl: string): string {
  const url = new URL(targetUrl);
  const parts = url.pathname.replace(/\/+$/, "").split("/").filter(Boolean);
  const prefix = parts.slice(0, Math.max(0, parts.length - 2));
  return `${url.origin}${prefix.map((p) => `/${p}`).join("")}/api/v1`;
}
