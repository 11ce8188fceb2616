/**
 * The second way a commit status counts as ours (see `evidence.ts` for
 * the first): a status created before the push, beyond the skew
 * allowance, still counts when its `target_url` links to an Actions run
 * on the same server (`/{owner}/{repo}/actions/runs/N…`, resolved as
 * `target_url.ts` does) that the runs list (`GET …/actions/tasks`, Gitea
 * 1.23+, Forgejo 8+) shows on our commit and started after the push. A
 * run the list does not show, or shows on another commit or started
 * earlier, vouches for nothing: the status stays uncounted, as before.
 *
 * In the links of Gitea's released versions, N is the run's number in the
 * repo (`run_number`; newer versions may give the run's id there, which
 * then matches no run of ours, or one on another commit: not believed).
 *
 * Bounded: a status context is judged at most once per follow, on its
 * first final (not pending) status (a run still queued may not be listed
 * yet), and one read of the list judges every context that needs it at
 * that poll; that read goes through the follow's request slots and its
 * deadline. A server without the list is asked once.
 *
 * @example A relative Actions link on the API's server
 * ```ts
 * import assert from "node:assert/strict";
 * import { runNumberOf } from "./run_evidence.ts";
 *
 * const api = { apiBase: "https://git.example.com/api/v1", owner: "org", repo: "app" };
 * assert.equal(runNumberOf("/org/app/actions/runs/7/jobs/0", api), 7);
 * assert.equal(runNumberOf("https://evil.example/org/app/actions/runs/7", api), null);
 * assert.equal(runNumberOf("/org/other/actions/runs/7", api), null);
 * ```
 *
 * @module
 */

import { resolveTargetUrl } from "./target_url.ts";
import { ForgeError } from "./forge_error.ts";
import { timeOf } from "./evidence.ts";
import type { ActionTask, ActionTaskResponse, CommitStatus } from "./types.ts";

/** Where the followed commit is: its API and its repo there. */
export interface RunPlace {
  /** The API base, e.g. `https://host[/prefix]/api/v1`. */
  apiBase: string;
  /** Owner in the API. */
  owner: string;
  /** Repo name in the API. */
  repo: string;
}

/** The one read the judge makes (bounded by the caller: slot, deadline). */
export type RunsList = (
  owner: string,
  repo: string,
) => Promise<{ value: ActionTaskResponse }>;

/** The fields of a status the judge reads. */
type Linked = Pick<CommitStatus, "status" | "context" | "target_url">;

/**
 * The run number a status's `target_url` links to, when it is an Actions
 * run of `place`'s repo on `place`'s server (same origin, below the
 * server's root, owner and name alike but for case); else null.
 */
export function runNumberOf(targetUrl: string, place: RunPlace): number | null {
  if (targetUrl === "" || targetUrl.length > 2048) return null;
  const api = new URL(place.apiBase);
  const resolved = resolveTargetUrl(targetUrl, api.origin);
  if (resolved === null) return null;
  const url = new URL(resolved);
  const root = `${api.pathname.replace(/\/+$/, "").replace(/\/api\/v1$/, "")}/`;
  if (url.origin !== api.origin || !url.pathname.startsWith(root)) return null;
  const link = /^([^/]+)\/([^/]+)\/actions\/runs\/(\d{1,15})(?:\/|$)/.exec(
    url.pathname.slice(root.length),
  );
  if (link === null) return null;
  const same = (a: string, b: string) => {
    try {
      return decodeURIComponent(a).toLowerCase() === b.toLowerCase();
    } catch {
      return false;
    }
  };
  if (!same(link[1] ?? "", place.owner) || !same(link[2] ?? "", place.repo)) {
    return null;
  }
  return Number(link[3]);
}

/**
 * Whether the list shows run `run` on commit `sha`, started at or after
 * `notBefore` (server time): every task of it of that commit, each with a
 * readable start (`run_started_at`, else the task's `created_at`) no
 * earlier.
 */
export function runIsOurs(
  tasks: readonly ActionTask[],
  run: number,
  sha: string,
  notBefore: number,
): boolean {
  const jobs = tasks.filter((t) => t.run_number === run);
  return jobs.length > 0 && jobs.every((t) => {
    const started = timeOf(t.run_started_at) ?? timeOf(t.created_at);
    return t.head_sha === sha && started !== null && started >= notBefore;
  });
}

/** Judges one follow's predated statuses by their runs; see the module. */
export class RunJudge {
  readonly #list: RunsList;
  readonly #place: RunPlace;
  /** By context: the run judged and whether it is ours. */
  readonly #judged = new Map<string, { run: number; ours: boolean }>();
  #listed = true;

  /** A judge reading `list` for the runs of `place`; sends nothing yet. */
  constructor(list: RunsList, place: RunPlace) {
    this.#list = list;
    this.#place = place;
  }

  /**
   * Of `predated` (statuses on `sha` created before the push), those whose
   * linked run the list shows on `sha`, started at or after `notBefore`.
   * Throws what the list read throws but a `ForgeError` (a deadline cut,
   * an interrupt); after a `ForgeError`, the contexts it was read for are
   * judged not ours.
   */
  async vouched<T extends Linked>(
    predated: readonly T[],
    sha: string,
    notBefore: number,
  ): Promise<T[]> {
    const asked = new Map<string, number>();
    for (const status of predated) {
      const run = runNumberOf(status.target_url, this.#place);
      if (run === null || this.#judged.has(status.context)) continue;
      if (status.status !== "pending") asked.set(status.context, run);
    }
    if (asked.size > 0) {
      const tasks = await this.#tasks();
      for (const [context, run] of asked) {
        const ours = tasks !== null && runIsOurs(tasks, run, sha, notBefore);
        this.#judged.set(context, { run, ours });
      }
    }
    return predated.filter((status) => {
      const judged = this.#judged.get(status.context);
      return judged?.ours === true &&
        judged.run === runNumberOf(status.target_url, this.#place);
    });
  }

  /** The list's runs, or null when it cannot be read (a server without it). */
  async #tasks(): Promise<ActionTask[] | null> {
    if (!this.#listed) return null;
    try {
      const { value } = await this.#list(this.#place.owner, this.#place.repo);
      return value.workflow_runs ?? [];
    } catch (error) {
      if (!(error instanceof ForgeError)) throw error;
      if (error.kind === "not_found") this.#listed = false;
      return null;
    }
  }
}

/** What a follow's reader saw (`Seen` of `evidence.ts`), as updated here. */
interface Counted<T> {
  /** The statuses counted. */
  statuses: T[] | null;
  /** How many were not. */
  dropped: number;
  /** The server time they had to be created at or after. */
  notBefore?: number;
}

/**
 * `kept` (the statuses created after the push), plus those of `all` it
 * left out whose runs `judge` finds ours; `seen` then counts them as kept.
 * Without a judge, or with nothing left out, `kept` as it is.
 */
export async function withVouched<T extends Linked>(
  judge: RunJudge | null,
  seen: Counted<T>,
  all: readonly T[],
  kept: T[],
  sha: string,
): Promise<T[]> {
  if (judge === null || seen.dropped === 0 || seen.notBefore === undefined) {
    return kept;
  }
  const counted = new Set(kept);
  const predated = all.filter((status) => !counted.has(status));
  const vouched = await judge.vouched(predated, sha, seen.notBefore);
  if (vouched.length === 0) return kept;
  const statuses = [...kept, ...vouched];
  Object.assign(seen, { statuses, dropped: seen.dropped - vouched.length });
  return statuses;
}
