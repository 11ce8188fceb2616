/**
 * Following the run a workflow dispatch started to its result. A
 * dispatched run posts no commit status, so the follow reads the server's
 * runs list (`GET /repos/{o}/{r}/actions/tasks`, Gitea 1.23+) instead: the
 * run is the newest `workflow_dispatch` run of the workflow on the branch
 * that the list did not hold before the dispatch, of the branch tip at the
 * dispatch and created after it (`dispatchedJobs`); two such runs
 * cannot be told apart: `ambiguous`, never `success`.
 * The outcome has the shape of a commit's CI (`CiOutcome`), one context
 * per job. The clock is injectable, so tests never really wait.
 *
 * @module
 */

import type {
  CiContextResult,
  CiOutcome,
  CiState,
} from "../engine/ci_outcome.ts";
import { InterruptedError } from "../errors.ts";
import { DeadlineError } from "../engine/deadline.ts";
import { SYSTEM_CLOCK } from "../engine/clock.ts";
import { type FollowOptions, pollPause, shownSeconds } from "./ci.ts";
import {
  dispatchedJobs,
  type DispatchedRunQuery,
  type TaskLister,
} from "./dispatch_runs.ts";
import { unbelieved } from "./evidence.ts";
import type { ActionTask } from "./types.ts";
import { cutRedacted } from "../console/secret_forms.ts";

/** The dispatched run to follow. */
export interface DispatchedRunTarget extends DispatchedRunQuery {
  /** Repo owner. */
  owner: string;
  /** Repo name. */
  repo: string;
}

/** How to follow: the commit follow's bounds and pacing. */
export type RunFollowOptions = Omit<FollowOptions, "contexts" | "branchMoved">;

/** Why a dispatched run may never be listed: the tail of a `none` note. */
const NO_RUN_CAUSES =
  "the workflow has no workflow_dispatch trigger or is disabled, Actions " +
  "are off for the repo, or no runner has taken its jobs yet (the runner " +
  "queue)";

/** How each task status the list gives counts; others count as pending. */
const TASK_STATES: Readonly<Record<string, CiState>> = {
  success: "success",
  failure: "failure",
  cancelled: "failure",
  skipped: "success",
  waiting: "pending",
  running: "pending",
  blocked: "pending",
};

/** The outcome one task status counts as (unknown statuses: pending). */
function taskState(status: string): CiState {
  return Object.hasOwn(TASK_STATES, status)
    ? TASK_STATES[status] as CiState
    : "pending";
}

/** `url` if it is an absolute http(s) URL, else null. */
function httpUrl(url: string): string | null {
  if (!URL.canParse(url)) return null;
  return /^https?:$/.test(new URL(url).protocol) ? url : null;
}

/** The text a job's context shows, bounded. */
function cut(text: string, max: number): string {
  return cutRedacted(text, max - 1, "…");
}

/**
 * A run's jobs as a CI outcome: any failed or cancelled → failure (with
 * the run's link), any not final → pending, else success (skipped jobs
 * pass and stay visible); none without jobs. Each job is a context
 * `<workflow> / <job> (workflow_dispatch)`.
 */
export function runOutcome(
  jobs: readonly ActionTask[],
  workflow: string,
): Pick<CiOutcome, "state" | "contexts" | "url"> {
  const contexts: CiContextResult[] = jobs.slice(0, 50).map((job) => ({
    context: cut(`${workflow} / ${job.name} (workflow_dispatch)`, 256),
    state: cut(job.status, 32),
    targetUrl: httpUrl(job.url) === null ? null : cut(job.url, 2048),
    description: `run #${job.run_number}`,
  }));
  const states = jobs.map((j) => taskState(j.status));
  if (contexts.length === 0) return { state: "none", contexts, url: null };
  if (states.includes("failure")) {
    const failed = contexts.find((c, i) =>
      states[i] === "failure" && c.targetUrl !== null
    );
    return {
      state: "failure",
      contexts,
      url: failed?.targetUrl ?? contexts.find((c) => c.targetUrl)?.targetUrl ??
        null,
    };
  }
  if (states.includes("pending")) {
    return { state: "pending", contexts, url: null };
  }
  return { state: "success", contexts, url: null };
}

/**
 * Follows a dispatched run until it is final, `none` (not listed by
 * `waitStartMs`), or still pending at `waitTimeoutMs`, polling the runs
 * list at intervals growing from `minIntervalMs` to `maxIntervalMs`, with
 * jitter: one request per poll. `onJobs` sees each list read (the CI seen
 * so far, for an interrupt). Throws {@linkcode InterruptedError} on
 * abort and the client's `ForgeError`.
 */
export async function followDispatchedRun(
  client: TaskLister,
  target: DispatchedRunTarget,
  options: RunFollowOptions = {},
  onJobs: (jobs: ActionTask[]) => void = () => {},
): Promise<CiOutcome> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const now = () => clock.now();
  const waitTimeoutMs = options.waitTimeoutMs ?? 30 * 60_000;
  const waitStartMs = options.waitStartMs ?? 2 * 60_000;
  let interval = options.minIntervalMs ?? 1000;
  const start = now();
  const end = options.deadline?.at ?? start + waitTimeoutMs;
  const late = `still pending after ${shownSeconds(waitTimeoutMs)} s`;
  let last: Pick<CiOutcome, "state" | "contexts" | "url"> | null = null;
  for (;;) {
    if (options.signal?.aborted) throw new InterruptedError();
    let listed: Awaited<ReturnType<typeof dispatchedJobs>>;
    try {
      listed = await dispatchedJobs(client, target.owner, target.repo, target);
    } catch (error) {
      if (!(error instanceof DeadlineError)) throw error;
      const seen = last ?? { state: "pending", contexts: [], url: null };
      const state = seen.state === "none" ? "pending" : seen.state;
      return {
        ...seen,
        state,
        waitedMs: Math.round(now() - start),
        note: late,
      };
    }
    const { jobs, others } = listed;
    onJobs(jobs);
    const result = unbelieved(
      runOutcome(jobs, target.workflow),
      others,
      `${
        others + 1
      } new ${target.workflow} runs of the dispatched commit on ${target.branch}: which one this dispatch started cannot be told`,
    );
    last = result;
    const elapsed = now() - start;
    const done = (note?: string): CiOutcome => ({
      ...result,
      waitedMs: Math.max(0, Math.round(now() - start)),
      ...(note ? { note } : {}),
    });
    if (["success", "failure", "ambiguous"].includes(result.state)) {
      return done();
    }
    if (result.state === "none" && elapsed >= waitStartMs) {
      return done(
        `no ${target.workflow} run on ${target.branch} listed after ${
          shownSeconds(waitStartMs)
        } s; possible causes: ${NO_RUN_CAUSES}`,
      );
    }
    if (now() >= end) return done(late);
    const until = result.state === "none"
      ? Math.min(start + waitStartMs, end)
      : end;
    const wait = pollPause(
      interval,
      until - now(),
      options.jitter,
      options.random,
    );
    if (!await clock.sleep(wait, options.signal)) {
      throw new InterruptedError();
    }
    interval = Math.min(
      options.maxIntervalMs ?? 15_000,
      Math.round(interval * (options.growth ?? 1.5)),
    );
  }
}
