/**
 * Gitea's pull request API, as cascade's proposing step uses it: find the
 * open pull request of a head branch, open one, edit its title and body,
 * and ask for a merge (at once, or when the required checks succeed),
 * with `head_commit_id` so a head that moved is never merged. Reads go
 * through {@linkcode ForgeClient} (paging, shape checks); writes through
 * the same {@linkcode Transport} rules (token only to allowed origins,
 * bounded time and size, same-origin redirects only).
 *
 * Everything the server sends is data: a title, a body or a URL is kept
 * only in the checked shape, cut to a bound, and neutralised where it is
 * shown.
 *
 * @module
 */

import { ForgeClient, type ForgeClientOptions } from "./client.ts";
import { ForgeError, forgeError } from "./forge_error.ts";
import { Transport } from "./transport.ts";
import type { ShapeCheck } from "./types.ts";
import { Renames } from "./renames.ts";
import type { Deadline } from "../engine/deadline.ts";

/** What cascade keeps of a Gitea `PullRequest`. */
export interface PullRequestInfo {
  /** The number in its repo. */
  number: number;
  /** Its web page (an http(s) URL), or null when the server sent none. */
  url: string | null;
  /** `open` or `closed`. */
  state: string;
  /** Merged (then also closed). */
  merged: boolean;
  /** The title (server text: neutralise before showing). */
  title: string;
  /** The head branch and its commit. */
  head: { ref: string; sha: string };
  /** The base branch. */
  base: { ref: string };
  /** The merge commit, when merged and known. */
  mergeCommit: string | null;
}

/** How to merge (`Do` of `MergePullRequestOption`). */
export type MergeStyle = "merge" | "rebase" | "squash" | "fast-forward-only";

/** Every merge style, in documentation order. */
export const MERGE_STYLES: readonly MergeStyle[] = [
  "merge",
  "rebase",
  "squash",
  "fast-forward-only",
];

/** The shape check of a `PullRequest` (the fields cascade reads). */
const checkPullRequest: ShapeCheck = (value) => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "a pull request is not an object";
  }
  const v = value as Record<string, unknown>;
  if (!Number.isInteger(v.number) || (v.number as number) < 1) {
    return "number is not a positive integer";
  }
  if (typeof v.state !== "string") return "state is not a string";
  if (v.merged !== undefined && typeof v.merged !== "boolean") {
    return "merged is not a boolean";
  }
  for (const side of ["head", "base"]) {
    const branch = v[side] as Record<string, unknown> | null | undefined;
    if (typeof branch !== "object" || branch === null) {
      return `${side} is not an object`;
    }
    if (typeof branch.ref !== "string") return `${side}.ref is not a string`;
    if (side === "head" && typeof branch.sha !== "string") {
      return "head.sha is not a string";
    }
  }
  return null;
};

/** The pull request API of one server, for one run. */
export class PullsApi {
  readonly #client: ForgeClient;
  readonly #transport: Transport;
  readonly #base: string;
  readonly #renames: Renames;
  #writes = 0;

  /**
   * Makes the API's client; sends nothing. A rename a read or a write
   * meets (or `options.renames` already holds) is carried to both.
   */
  constructor(options: ForgeClientOptions) {
    this.#renames = options.renames ?? new Renames();
    this.#client = new ForgeClient({ ...options, renames: this.#renames });
    this.#transport = new Transport(options, () => this.#writes++);
    this.#base = options.apiBase.replace(/\/+$/, "");
  }

  /** Requests sent so far. */
  get requestCount(): number {
    return this.#client.requestCount + this.#writes;
  }

  /**
   * The open pull request from `head` into `base`, or null: the open pull
   * requests are listed (every page) and matched on both branch names.
   */
  async openFor(
    owner: string,
    repo: string,
    base: string,
    head: string,
  ): Promise<PullRequestInfo | null> {
    const list = await this.#client.getAll<Record<string, unknown>>(
      `${this.#repo(owner, repo)}/pulls?state=open`,
      checkPullRequest,
    );
    const found = list.value.map(pullInfo).find((p) =>
      p.state === "open" && p.head.ref === head && p.base.ref === base
    );
    return found ?? null;
  }

  /**
   * `GET /repos/{o}/{r}/pulls/{n}`; within a wait's `deadline` (cut by
   * it: `DeadlineError`), when given.
   */
  async get(
    owner: string,
    repo: string,
    number: number,
    deadline?: Deadline,
  ): Promise<PullRequestInfo> {
    const client = deadline ? this.#client.within(deadline) : this.#client;
    const answer = await client.getJson<Record<string, unknown>>(
      `${this.#repo(owner, repo)}/pulls/${number}`,
      checkPullRequest,
    );
    return pullInfo(answer.value);
  }

  /** `POST /repos/{o}/{r}/pulls` (`CreatePullRequestOption`); 201. */
  async create(
    owner: string,
    repo: string,
    option: { head: string; base: string; title: string; body: string },
  ): Promise<PullRequestInfo> {
    const path = `${this.#repo(owner, repo)}/pulls`;
    return pullInfo(await this.#send("POST", path, option, checkPullRequest));
  }

  /** `PATCH /repos/{o}/{r}/pulls/{n}` with a new title and body. */
  async edit(
    owner: string,
    repo: string,
    number: number,
    option: { title: string; body: string },
  ): Promise<PullRequestInfo> {
    const path = `${this.#repo(owner, repo)}/pulls/${number}`;
    return pullInfo(await this.#send("PATCH", path, option, checkPullRequest));
  }

  /**
   * `POST /repos/{o}/{r}/pulls/{n}/merge` (`MergePullRequestOption`):
   * merge with `style` once the required checks succeed, only while the
   * head is `head`, deleting the branch after. A 409 (the head moved, or a
   * conflict) and a 405 (not mergeable) throw a {@linkcode ForgeError}.
   */
  async merge(
    owner: string,
    repo: string,
    number: number,
    option: { style: MergeStyle; head: string; whenChecksSucceed: boolean },
  ): Promise<void> {
    const path = `${this.#repo(owner, repo)}/pulls/${number}/merge`;
    await this.#send("POST", path, {
      Do: option.style,
      head_commit_id: option.head,
      merge_when_checks_succeed: option.whenChecksSucceed,
      delete_branch_after_merge: true,
    }, null);
  }

  /**
   * `DELETE /repos/{o}/{r}/pulls/{n}/merge`: cancels a scheduled
   * auto-merge; false when none was scheduled (404).
   */
  async cancelMerge(
    owner: string,
    repo: string,
    number: number,
  ): Promise<boolean> {
    const path = `${this.#repo(owner, repo)}/pulls/${number}/merge`;
    try {
      await this.#send("DELETE", path, null, null);
      return true;
    } catch (error) {
      if (error instanceof ForgeError && error.status === 404) return false;
      throw error;
    }
  }

  /** `/repos/{o}/{r}`, or where the run learned it was renamed to. */
  #repo(owner: string, repo: string): string {
    return this.#renames.repoPath(this.#base, owner, repo);
  }

  /** One write; the checked JSON answer, or nothing when `check` is null. */
  async #send(
    method: string,
    path: string,
    body: unknown,
    check: ShapeCheck | null,
  ): Promise<Record<string, unknown>> {
    const url = new URL(`${this.#base}${path}`);
    const answer = await this.#renames.sent(
      this.#base,
      url,
      () =>
        this.#transport.request(
          method,
          url,
          body === null ? null : JSON.stringify(body),
        ),
    );
    if (check === null) return {};
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(answer.bytes));
    } catch {
      value = undefined;
    }
    const reason = check(value);
    if (reason !== null) {
      throw forgeError("invalid", answer.status, method, answer.url, {
        what:
          `the server's answer to ${method} ${answer.url.pathname} is not what Gitea sends (${reason})`,
        plain: true,
      });
    }
    return value as Record<string, unknown>;
  }
}

/** A checked `PullRequest` as cascade keeps it (text bounded). */
function pullInfo(value: Record<string, unknown>): PullRequestInfo {
  const head = value.head as Record<string, unknown>;
  const base = value.base as Record<string, unknown>;
  const cut = (text: unknown, max: number) =>
    typeof text === "string" ? text.slice(0, max) : "";
  const sha = cut(head.sha, 64);
  const merge = cut(value.merge_commit_sha, 64);
  return {
    number: value.number as number,
    url: webUrl(value.html_url),
    state: cut(value.state, 20),
    merged: value.merged === true,
    title: cut(value.title, 300),
    head: {
      ref: cut(head.ref, 255),
      sha: /^[0-9a-f]{40,64}$/.test(sha) ? sha : "",
    },
    base: { ref: cut(base.ref, 255) },
    mergeCommit: /^[0-9a-f]{40,64}$/.test(merge) ? merge : null,
  };
}

/** An http(s) URL of at most 2000 characters, else null. */
function webUrl(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 2000) return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:"
      ? url.href
      : null;
  } catch {
    return null;
  }
}
