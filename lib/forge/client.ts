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

import { ADVICE, type ErrorKind, InterruptedError } from "../errors.ts";
import { backoffDelay, sleep as realSleep } from "../engine/retry.ts";
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

/** cascade's error kinds plus `moved`: a redirect cascade will not follow. */
export type ForgeErrorKind = ErrorKind | "moved";

/** A failed API call: kind, HTTP status (null without answer), request. */
export class ForgeError extends Error {
  /** The classified kind. */
  readonly kind: ForgeErrorKind;
  /** HTTP status, or null when no answer came. */
  readonly status: number | null;
  /** HTTP method. */
  readonly method: string;
  /** URL path of the request (no query, no credentials). */
  readonly path: string;
  /** Constructs the error. */
  constructor(
    kind: ForgeErrorKind,
    message: string,
    request: { status: number | null; method: string; path: string },
  ) {
    super(message);
    this.name = "ForgeError";
    this.kind = kind;
    this.status = request.status;
    this.method = request.method;
    this.path = request.path;
  }
}

/** Classifies an HTTP error status into a kind. */
export function classifyHttpStatus(status: number): ForgeErrorKind {
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "not_found";
  if (status === 400 || status === 422) return "invalid";
  if (status === 408) return "timeout";
  if (status === 429 || status >= 500) return "network";
  if (status >= 300 && status < 400) return "moved";
  return "unknown";
}

/** Classifies what `fetch` threw (no answer at all) into a kind. */
export function classifyFetchError(error: unknown): ForgeErrorKind {
  if (error instanceof DOMException || error instanceof Error) {
    if (error.name === "TimeoutError" || error.name === "AbortError") {
      return "timeout";
    }
    if (error instanceof TypeError || error.name === "ConnectionRefused") {
      return "network";
    }
  }
  return "unknown";
}

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

/** Retry settings for 429 and 5xx answers. */
export interface ForgeRetry {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Upper bound of the first backoff, in milliseconds. */
  baseMs: number;
  /** Upper bound of any backoff, in milliseconds. */
  maxMs: number;
  /** Uniform random number in [0, 1). */
  random: () => number;
}

/** How to build a {@linkcode ForgeClient}. */
export interface ForgeClientOptions {
  /** E.g. `https://host[/prefix]/api/v1`. */
  apiBase: string;
  /** Full `Authorization` header value (`token abc`), or null. */
  authorization: string | null;
  /** Origins that may receive `authorization`. */
  allowedOrigins: ReadonlySet<string>;
  /** Time budget of one request, its retries and waits included. */
  timeoutMs: number;
  /** Stops every call: it then throws {@linkcode InterruptedError}. */
  signal?: AbortSignal;
  /** Retry settings (default 4 attempts, 500 ms to 8 s). */
  retry?: ForgeRetry;
  /** The fetch to use (tests). */
  fetch?: typeof fetch;
  /** The sleep to use; resolves false when `signal` aborted (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
  /** Clock in ms (for `Retry-After` dates; tests). */
  now?: () => number;
  /** Largest answer read, in bytes (default 4 MiB). */
  maxBytes?: number;
  /** Longest `Retry-After` honoured, in milliseconds (default 60 s). */
  maxRetryAfterMs?: number;
  /** Most pages `getAll` reads (default 200). */
  maxPages?: number;
}

/** A checked answer. */
export interface ForgeResult<T> {
  /** The parsed, shape-checked value. */
  value: T;
  /** Where a same-origin redirect (renamed repo) led, or null. */
  movedTo: string | null;
}

/** A checked list read over all pages. */
export interface ForgeList<T> extends ForgeResult<T[]> {
  /** `X-Total-Count` of the first page, or null when absent. */
  totalCount: number | null;
  /** Pages read. */
  pages: number;
}

const RETRY: ForgeRetry = {
  attempts: 4,
  baseMs: 500,
  maxMs: 8000,
  random: Math.random,
};
const PAGE_LIMIT = 50;
const REDIRECT_HOPS = 3;

interface Answer {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  url: URL;
  movedTo: string | null;
}

/** A Gitea API client; one per server. */
export class ForgeClient {
  /** Requests sent so far (retries and redirects included). */
  requestCount = 0;
  readonly #o: ForgeClientOptions;
  readonly #base: URL;
  readonly #retry: ForgeRetry;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<boolean>;
  readonly #now: () => number;

  /** Makes a client; sends nothing. */
  constructor(options: ForgeClientOptions) {
    this.#o = options;
    this.#base = new URL(options.apiBase.replace(/\/+$/, ""));
    this.#retry = options.retry ?? RETRY;
    this.#fetch = options.fetch ?? fetch;
    this.#sleep = options.sleep ?? realSleep;
    this.#now = options.now ?? Date.now;
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
    const statuses: CommitStatus[] = [];
    await this.#pages(path, checkCombinedStatus, (value, answer) => {
      const combined = value as CombinedStatus;
      first ??= combined;
      movedTo ??= answer.movedTo;
      statuses.push(...(combined.statuses ?? []));
      return (combined.statuses ?? []).length;
    });
    const head = first as CombinedStatus | null;
    if (head === null) throw new Error("unreachable: no page read");
    return { value: { ...head, statuses }, movedTo };
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
    const answer = await this.#request(
      "POST",
      this.#url(path),
      JSON.stringify({ ref, inputs }),
    );
    if (answer.status !== 204) {
      throw this.#error("unknown", answer.status, "POST", answer.url, {
        what: `answered ${answer.status} where Gitea answers 204`,
      });
    }
    return { movedTo: answer.movedTo };
  }

  /** GET of one JSON object, shape-checked. `path` is below the API base. */
  async getJson<T>(path: string, check: ShapeCheck): Promise<ForgeResult<T>> {
    const answer = await this.#request("GET", this.#url(path), null);
    return {
      value: this.#parse<T>(answer, "GET", check),
      movedTo: answer.movedTo,
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
        throw this.#error("invalid", null, "GET", url, {
          what: `listed more than ${maxPages} pages; stopped reading`,
        });
      }
      const answer = await this.#request("GET", url, null);
      const value = this.#parse<unknown>(answer, "GET", check);
      // An empty page ends the list, whatever its Link says.
      const next = take(value, answer) === 0
        ? null
        : nextLink(answer.headers.get("link"), answer.url);
      if (next !== null && next.origin !== answer.url.origin) {
        throw this.#error("moved", null, "GET", answer.url, {
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
      this.#error("invalid", answer.status, method, answer.url, {
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

  /**
   * One request with redirects (same origin only), retries (429 always,
   * 5xx and no answer for GET), the time budget and the size cap. Returns
   * a 2xx answer; throws a {@linkcode ForgeError} for anything else.
   */
  async #request(
    method: string,
    start: URL,
    body: string | null,
  ): Promise<Answer> {
    const signal = this.#o.signal;
    const deadline = this.#now() + this.#o.timeoutMs;
    let url = start;
    let movedTo: string | null = null;
    let hops = 0;
    for (let attempt = 1;; attempt++) {
      if (signal?.aborted) throw new InterruptedError();
      let answer: Answer;
      try {
        answer = await this.#once(method, url, body, deadline);
      } catch (error) {
        if (signal?.aborted) throw new InterruptedError();
        if (error instanceof ForgeError) throw error;
        const kind = classifyFetchError(error);
        const canRetry = kind === "network" && method === "GET";
        const wait = backoffDelay(attempt, this.#retry);
        if (
          canRetry && attempt < this.#retry.attempts &&
          this.#now() + wait < deadline
        ) {
          await this.#pause(wait);
          continue;
        }
        throw this.#error(kind, null, method, url, {
          what: kind === "timeout"
            ? `did not answer within ${this.#o.timeoutMs} ms`
            : `could not be reached (${errorName(error)})`,
        });
      }
      const { status, headers } = answer;
      if (status >= 200 && status < 300) return { ...answer, movedTo };
      if ([301, 302, 303, 307, 308].includes(status)) {
        const location = headers.get("location");
        let target: URL | null = null;
        try {
          target = location === null ? null : new URL(location, url);
        } catch { /* an unparsable Location is refused below */ }
        const where = target === null
          ? "nowhere usable"
          : target.origin === url.origin
          ? target.pathname
          : `${target.protocol}//${target.host}${target.pathname}`;
        const keepsMethod = status === 307 || status === 308 ||
          method === "GET";
        if (
          target === null || target.origin !== url.origin || !keepsMethod ||
          ++hops > REDIRECT_HOPS
        ) {
          throw this.#error("moved", status, method, url, {
            what: `redirected to ${where}; not followed`,
          });
        }
        url = target;
        movedTo = target.href;
        attempt--;
        continue;
      }
      const retryable = status === 429 || (status >= 500 && method === "GET");
      if (retryable && attempt < this.#retry.attempts) {
        const wait = this.#retryWait(attempt, headers.get("retry-after"));
        if (wait !== null && this.#now() + wait < deadline) {
          await this.#pause(wait);
          continue;
        }
      }
      throw this.#error(classifyHttpStatus(status), status, method, url, {
        what: `answered ${status}`,
        server: serverWords(answer.bytes),
      });
    }
  }

  async #pause(ms: number): Promise<void> {
    const done = await this.#sleep(ms, this.#o.signal);
    if (!done || this.#o.signal?.aborted) throw new InterruptedError();
  }

  /** The wait before a retry, or null when the server asks too long. */
  #retryWait(attempt: number, retryAfter: string | null): number | null {
    const cap = this.#o.maxRetryAfterMs ?? 60_000;
    if (retryAfter !== null) {
      const text = retryAfter.trim();
      const asked = /^\d+$/.test(text)
        ? Number(text) * 1000
        : Date.parse(text) - this.#now();
      if (Number.isFinite(asked)) {
        return asked > cap ? null : Math.max(0, asked);
      }
    }
    return backoffDelay(attempt, this.#retry);
  }

  /** One fetch, bounded by the deadline, the signal and the size cap. */
  async #once(
    method: string,
    url: URL,
    body: string | null,
    deadline: number,
  ): Promise<Answer> {
    const timeout = new AbortController();
    const remaining = Math.max(0, deadline - this.#now());
    const timer = setTimeout(
      () => timeout.abort(new DOMException("timed out", "TimeoutError")),
      remaining,
    );
    const signals = [timeout.signal];
    if (this.#o.signal) signals.push(this.#o.signal);
    const signal = AbortSignal.any(signals);
    const headers = new Headers({ Accept: "application/json" });
    if (
      this.#o.authorization !== null && this.#o.allowedOrigins.has(url.origin)
    ) {
      headers.set("Authorization", this.#o.authorization);
    }
    if (body !== null) headers.set("Content-Type", "application/json");
    try {
      this.requestCount++;
      const response = await this.#fetch(url, {
        method,
        headers,
        body,
        redirect: "manual",
        signal,
      });
      const bytes = await this.#read(response, method, url);
      return {
        status: response.status,
        headers: response.headers,
        bytes,
        url,
        movedTo: null,
      };
    } catch (error) {
      if (timeout.signal.aborted && !(error instanceof ForgeError)) {
        throw new DOMException("timed out", "TimeoutError");
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads a body up to the size cap; beyond it, an `invalid` error. */
  async #read(
    response: Response,
    method: string,
    url: URL,
  ): Promise<Uint8Array> {
    const max = this.#o.maxBytes ?? 4 * 1024 * 1024;
    const tooBig = () =>
      this.#error("invalid", response.status, method, url, {
        what: `sent an answer larger than ${max} bytes; not read`,
      });
    const length = Number(response.headers.get("content-length"));
    if (Number.isFinite(length) && length > max) {
      await response.body?.cancel().catch(() => {});
      throw tooBig();
    }
    if (response.body === null) return new Uint8Array();
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > max) {
        await reader.cancel().catch(() => {});
        throw tooBig();
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return bytes;
  }

  #error(
    kind: ForgeErrorKind,
    status: number | null,
    method: string,
    url: URL,
    detail: { what: string; server?: string; plain?: boolean },
  ): ForgeError {
    const words = detail.server ? `: "${detail.server}"` : "";
    const head = detail.plain
      ? `${url.host}: ${detail.what}`
      : `${method} ${url.pathname} on ${url.host} ${detail.what}${words}`;
    const advice = kind === "moved"
      ? "update the repo's address to where it moved, if that is right"
      : ADVICE[kind];
    return new ForgeError(kind, `${head}; ${advice}`, {
      status,
      method,
      path: url.pathname,
    });
  }
}

function repoPath(owner: string, repo: string): string {
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "error";
}

/**
 * The server's own words from an error body: the `message` of Gitea's JSON
 * error, else the text; at most 200 characters, control characters escaped.
 */
export function serverWords(bytes: Uint8Array): string {
  let text = new TextDecoder().decode(bytes.subarray(0, 4096));
  try {
    const parsed: unknown = JSON.parse(text);
    const message = (parsed as { message?: unknown } | null)?.message;
    if (typeof message === "string") text = message;
  } catch { /* not JSON: the text itself */ }
  text = text.trim().replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) =>
      c === "\n"
        ? "\\n"
        : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
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
