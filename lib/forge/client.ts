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
import { lastPage, nextLink } from "./paging.ts";
import type { Deadline } from "../engine/deadline.ts";
import { Renames } from "./renames.ts";

export { ForgeError } from "./forge_error.ts";
export type { ForgeRetry } from "./transport.ts";
export { apiBaseFor } from "./api_base.ts";

/**
 * How to build a {@linkcode ForgeClient}: the server and the transport
 * settings (token, allowed origins, time budget, retries, size cap).
 */
export interface ForgeClientOptions extends TransportOptions {
  /** E.g. `https://host[/prefix]/api/v1`. */
  apiBase: string;
  /** Most pages `getAll` reads (default 200). */
  maxPages?: number;
  /**
   * Most answer bytes one listing holds over all its pages (default
   * {@linkcode MAX_LIST_BYTES}): the bound on memory, not only on pages.
   */
  maxListBytes?: number;
  /** The run's renames, shared with its other clients (default: own). */
  renames?: Renames;
}

/** Most answer bytes one listing (all its pages) holds: 32 MiB. */
const MAX_LIST_BYTES = 32 * 1024 * 1024;

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
  /** Renames learnt in the run (redirects, the git layer's). */
  readonly #renames: Renames;
  readonly #bound: Deadline | undefined;

  /** Makes a client; sends nothing (`within`: a view sharing the rest). */
  constructor(options: ForgeClientOptions, within?: [ForgeClient, Deadline]) {
    this.#o = options;
    this.#base = new URL(options.apiBase.replace(/\/+$/, ""));
    const [parent, bound] = within ?? [];
    this.#transport = parent
      ? parent.#transport
      : new Transport(options, () => {
        this.requestCount++;
      });
    this.#renames = parent ? parent.#renames : options.renames ?? new Renames();
    this.#bound = bound;
  }

  /** This client, each request, page and retry sleep cut to `deadline`. */
  within(deadline: Deadline): ForgeClient {
    return new ForgeClient(this.#o, [this, deadline]);
  }

  /** `GET /version`. */
  version(): Promise<ForgeResult<ServerVersion>> {
    return this.getJson("/version", checkServerVersion);
  }

  /** `GET /repos/{o}/{r}`. */
  getRepo(owner: string, repo: string): Promise<ForgeResult<Repository>> {
    return this.getJson(this.#repo(owner, repo), checkRepository);
  }

  /** `GET /repos/{o}/{r}/topics`. */
  repoTopics(owner: string, repo: string): Promise<ForgeResult<TopicName>> {
    return this.getJson(`${this.#repo(owner, repo)}/topics`, checkTopicName);
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
    const path = `${this.#repo(owner, repo)}/commits/${
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
      `${this.#repo(owner, repo)}/actions/tasks?limit=${PAGE_LIMIT}`,
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
    const path = `${this.#repo(owner, repo)}/actions/workflows/${
      encodeURIComponent(workflow)
    }/dispatches`;
    const answer = await this.#send(
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
    const answer = await this.#send("GET", this.#url(path), null);
    return {
      value: this.#parse<T>(answer, "GET", check),
      movedTo: answer.movedTo,
      ...dateOf(answer),
    };
  }

  /**
   * GET of a list over every page (see `#pages`), at most `maxPages`.
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

  /**
   * Reads pages from `path` on, handing each checked value to `take`. Every
   * page is asked by number (`page=1, 2, …`, `limit=50`) on this client's
   * own base URL: a `Link` header only says how many pages there are (its
   * `rel="last"` page, or whether there is a `rel="next"`), never where
   * they are (Gitea builds it from its ROOT_URL, which may be another
   * origin than the one asked). Without `rel="last"`, `X-Total-Count`
   * gives the count (the combined status sends no `Link`). A short or empty
   * page in the middle does not end the list (Gitea drops the repos the
   * token cannot see after paging); with neither header, the first page
   * without `rel="next"` (or an empty one) does.
   */
  async #pages(
    path: string,
    check: ShapeCheck,
    take: (value: unknown, answer: Answer) => number,
  ): Promise<void> {
    const first = this.#url(path);
    if (!first.searchParams.has("limit")) {
      first.searchParams.set("limit", String(PAGE_LIMIT));
    }
    const limit = Number(first.searchParams.get("limit")) || PAGE_LIMIT;
    const maxPages = this.#o.maxPages ?? 200;
    const maxBytes = this.#o.maxListBytes ?? MAX_LIST_BYTES;
    let held = 0;
    let last: number | null = null;
    for (let page = 1;; page++) {
      const url = new URL(first);
      if (page > 1) url.searchParams.set("page", String(page));
      if (page > maxPages) {
        throw forgeError("invalid", null, "GET", url, {
          what: `listed more than ${maxPages} pages; stopped reading`,
        });
      }
      const answer = await this.#send("GET", url, null);
      held += answer.bytes.length;
      if (held > maxBytes) {
        throw forgeError("invalid", null, "GET", url, {
          what: `listed more than ${
            Math.round(maxBytes / 1024 / 1024)
          } MiB over ${page} pages; stopped reading`,
        });
      }
      const value = this.#parse<unknown>(answer, "GET", check);
      const count = take(value, answer);
      if (page === 1) last = lastPage(answer, count, limit);
      const more = last !== null ? page < last : count > 0 &&
        nextLink(answer.headers.get("link"), answer.url) !== null;
      if (!more) return;
    }
  }

  /**
   * The API path of `owner/repo`, or of the name it was renamed to, when a
   * same-origin redirect in this run said so (every later request goes
   * there directly).
   */
  #repo(owner: string, repo: string): string {
    return this.#renames.repoPath(this.#base.href, owner, repo);
  }

  /** One request; a same-origin rename it meets is carried to later ones. */
  async #send(method: string, url: URL, body: string | null): Promise<Answer> {
    const base = this.#base.href;
    const answer = await this.#renames.sent(
      base,
      url,
      () => this.#transport.request(method, url, body, this.#bound),
    );
    const carried = answer.movedTo ??
      (this.#renames.isRenamed(base, url) ? url.href : null);
    return { ...answer, movedTo: carried };
  }

  #url(path: string): URL {
    return new URL(
      // `new URL("http://h").href` ends in `/`: joined without `//`.
      `${this.#base.href.replace(/\/+$/, "")}${
        path.startsWith("/") ? "" : "/"
      }${path}`,
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
