/**
 * A client for the Gitea REST API over `fetch`, for a server cascade does
 * not trust: every request is bounded in time and size, every answer is
 * shape-checked, the token goes only to allowed origins, a redirect to
 * another origin is never followed, and every failure is classified into
 * one of cascade's error kinds in one place ({@linkcode classifyHttpStatus},
 * {@linkcode classifyFetchError}).
 *
 * ```ts ignore
 * const client = new ForgeClient({
 *   apiBase: apiBaseFor("https://git.example.com/templates/node.git"),
 *   authorization: `token ${token}`,
 *   allowedOrigins: new Set(["https://git.example.com"]),
 *   timeoutMs: 30_000,
 * });
 * const { value } = await client.version();
 * ```
 *
 * Permissions: `--allow-net` for the server's host.
 *
 * @module
 */

import {
  type ActionTaskResponse,
  checkActionTaskResponse,
  checkCombinedStatus,
  checkRepository,
  checkServerVersion,
  checkTopicName,
  type CombinedStatus,
  type CommitStatus,
  type Repository,
  type ServerVersion,
  type ShapeCheck,
  type TopicName,
} from "./types.ts";
import { ForgeError, forgeError } from "./forge_error.ts";
import { type Answer, Transport, type TransportOptions } from "./transport.ts";

export {
  classifyFetchError,
  classifyHttpStatus,
  ForgeError,
  type ForgeErrorKind,
  serverWords,
} from "./forge_error.ts";
export type { ForgeRetry } from "./transport.ts";

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

/**
 * How to build a {@linkcode ForgeClient}: the server and the transport
 * settings (token, allowed origins, time budget, retries, size cap).
 */
export interface ForgeClientOptions extends TransportOptions {
  /** E.g. `https://host[/prefix]/api/v1`. */
  apiBase: string;
  /** Most pages `getAll` reads (default 200). */
  maxPages?: number;
}

/** A checked answer. */
export interface ForgeResult<T> {
  /** The parsed, shape-checked value. */
  value: T;
  /** Where a same-origin redirect (renamed repo) led, or null. */
  movedTo: string | null;
  /** The answer's `Date` header (the server's clock), when it sent one. */
  date?: string;
}

/** The `Date` header of an answer, as a {@linkcode ForgeResult} holds it. */
function dateOf(answer: Answer): { date?: string } {
  const date = answer.headers.get("date");
  return date === null ? {} : { date };
}

/** A checked list read over all pages. */
export interface ForgeList<T> extends ForgeResult<T[]> {
  /** `X-Total-Count` of the first page, or null when absent. */
  totalCount: number | null;
  /** Pages read. */
  pages: number;
}

const PAGE_LIMIT = 50;

/** A Gitea API client; one per server. */
export class ForgeClient {
  /** Requests sent so far (retries and redirects included). */
  requestCount = 0;
  readonly #o: ForgeClientOptions;
  readonly #base: URL;
  readonly #transport: Transport;

  /** Makes a client; sends nothing. */
  constructor(options: ForgeClientOptions) {
    this.#o = options;
    this.#base = new URL(options.apiBase.replace(/\/+$/, ""));
    this.#transport = new Transport(options, () => {
      this.requestCount++;
    });
  }

  /** `GET /version`. */
  version(): Promise<ForgeResult<ServerVersion>> {
    return this.getJson("/version", checkServerVersion);
  }

  /** `GET /repos/{o}/{r}`. */
  getRepo(owner: string, repo: string): Promise<ForgeResult<Repository>> {
    return this.getJson(repoPath(owner, repo), checkRepository);
  }

  /** `GET /repos/{o}/{r}/topics`. */
  repoTopics(owner: string, repo: string): Promise<ForgeResult<TopicName>> {
    return this.getJson(`${repoPath(owner, repo)}/topics`, checkTopicName);
  }

  /** Every repo of an organisation, or of a user when no such org. */
  async listOrgRepos(owner: string): Promise<ForgeList<Repository>> {
    const name = encodeURIComponent(owner);
    try {
      return await this.getAll(`/orgs/${name}/repos`, checkRepository);
    } catch (error) {
      if (!(error instanceof ForgeError) || error.kind !== "not_found") {
        throw error;
      }
      return await this.getAll(`/users/${name}/repos`, checkRepository);
    }
  }

  /**
   * `GET /repos/{o}/{r}/commits/{ref}/status`, with the statuses of every
   * page; `statuses` is always a list in the result.
   */
  async combinedStatus(
    owner: string,
    repo: string,
    ref: string,
  ): Promise<ForgeResult<CombinedStatus & { statuses: CommitStatus[] }>> {
    const path = `${repoPath(owner, repo)}/commits/${
      encodeURIComponent(ref)
    }/status`;
    let movedTo: string | null = null;
    let first: CombinedStatus | null = null;
    let date: { date?: string } = {};
    const statuses: CommitStatus[] = [];
    await this.#pages(path, checkCombinedStatus, (value, answer) => {
      const combined = value as CombinedStatus;
      if (first === null) date = dateOf(answer);
      first ??= combined;
      movedTo ??= answer.movedTo;
      statuses.push(...(combined.statuses ?? []));
      return (combined.statuses ?? []).length;
    });
    const head = first as CombinedStatus | null;
    if (head === null) throw new Error("unreachable: no page read");
    return { value: { ...head, statuses }, movedTo, ...date };
  }

  /** `GET /repos/{o}/{r}/actions/tasks` (Gitea 1.23+), first page. */
  listActionTasks(
    owner: string,
    repo: string,
  ): Promise<ForgeResult<ActionTaskResponse>> {
    return this.getJson(
      `${repoPath(owner, repo)}/actions/tasks?limit=${PAGE_LIMIT}`,
      checkActionTaskResponse,
    );
  }

  /**
   * `POST /repos/{o}/{r}/actions/workflows/{workflow}/dispatches` (Gitea
   * 1.24+, Forgejo 8+); expects 204.
   */
  async dispatchWorkflow(
    owner: string,
    repo: string,
    workflow: string,
    ref: string,
    inputs: Record<string, string> = {},
  ): Promise<{ movedTo: string | null }> {
    const path = `${repoPath(owner, repo)}/actions/workflows/${
      encodeURIComponent(workflow)
    }/dispatches`;
    const answer = await this.#transport.request(
      "POST",
      this.#url(path),
      JSON.stringify({ ref, inputs }),
    );
    if (answer.status !== 204) {
      throw forgeError("unknown", answer.status, "POST", answer.url, {
        what: `answered ${answer.status} where Gitea answers 204`,
      });
    }
    return { movedTo: answer.movedTo };
  }

  /** GET of one JSON object, shape-checked. `path` is below the API base. */
  async getJson<T>(path: string, check: ShapeCheck): Promise<ForgeResult<T>> {
    const answer = await this.#transport.request("GET", this.#url(path), null);
    return {
      value: this.#parse<T>(answer, "GET", check),
      movedTo: answer.movedTo,
      ...dateOf(answer),
    };
  }

  /**
   * GET of a list over every page: `limit=50`, then `Link: rel="next"`
   * (same origin only), at most `maxPages` pages.
   */
  async getAll<T>(path: string, checkItem: ShapeCheck): Promise<ForgeList<T>> {
    const items: T[] = [];
    let movedTo: string | null = null;
    let totalCount: number | null = null;
    let pages = 0;
    const checkList: ShapeCheck = (value) => {
      if (!Array.isArray(value)) return "expected a list";
      for (const [i, item] of value.entries()) {
        const reason = checkItem(item);
        if (reason !== null) return `item ${i}: ${reason}`;
      }
      return null;
    };
    await this.#pages(path, checkList, (value, answer) => {
      const list = value as T[];
      if (pages++ === 0) {
        movedTo = answer.movedTo;
        const total = answer.headers.get("x-total-count");
        totalCount = total !== null && /^\d+$/.test(total)
          ? Number(total)
          : null;
      }
      items.push(...list);
      return list.length;
    });
    return { value: items, movedTo, totalCount, pages };
  }

  /** Reads pages from `path` on, handing each checked value to `take`. */
  async #pages(
    path: string,
    check: ShapeCheck,
    take: (value: unknown, answer: Answer) => number,
  ): Promise<void> {
    let url: URL | null = this.#url(path);
    if (!url.searchParams.has("limit")) {
      url.searchParams.set("limit", String(PAGE_LIMIT));
    }
    const maxPages = this.#o.maxPages ?? 200;
    for (let page = 1; url !== null; page++) {
      if (page > maxPages) {
        throw forgeError("invalid", null, "GET", url, {
          what: `listed more than ${maxPages} pages; stopped reading`,
        });
      }
      const answer = await this.#transport.request("GET", url, null);
      const value = this.#parse<unknown>(answer, "GET", check);
      // An empty page ends the list, whatever its Link says.
      const next = take(value, answer) === 0
        ? null
        : nextLink(answer.headers.get("link"), answer.url);
      if (next !== null && next.origin !== answer.url.origin) {
        throw forgeError("moved", null, "GET", answer.url, {
          what: `pointed its next page to ${next.host}, another server`,
        });
      }
      url = next;
    }
  }

  #url(path: string): URL {
    return new URL(
      `${this.#base.href}${path.startsWith("/") ? "" : "/"}${path}`,
    );
  }

  #parse<T>(answer: Answer, method: string, check: ShapeCheck): T {
    const bad = (why: string) =>
      forgeError("invalid", answer.status, method, answer.url, {
        what:
          `the server's answer to ${method} ${answer.url.pathname} is not what Gitea sends (${why})`,
        plain: true,
      });
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(answer.bytes));
    } catch {
      throw bad("not JSON");
    }
    const reason = check(value);
    if (reason !== null) throw bad(reason);
    return value as T;
  }
}

function repoPath(owner: string, repo: string): string {
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
}

/** The `rel="next"` target of a `Link` header, resolved against `base`. */
export function nextLink(header: string | null, base: URL): URL | null {
  if (header === null) return null;
  for (const part of header.split(",")) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match === null) continue;
    const rels = /rel\s*=\s*"?([^";]*)"?/i.exec(match[2] ?? "")?.[1] ?? "";
    if (!rels.split(/\s+/).includes("next")) continue;
    try {
      return new URL(match[1] ?? "", base);
    } catch {
      return null;
    }
  }
  return null;
}
