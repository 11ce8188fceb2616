/**
 * Finding the run a workflow dispatch started. A dispatched run posts no
 * commit status, so it is found in the server's runs list
 * (`GET /repos/{o}/{r}/actions/tasks`, Gitea 1.23+, newest first): before
 * dispatching, note the ids of the `workflow_dispatch` runs of that
 * workflow on that branch ({@linkcode dispatchRunIds}); afterwards, the
 * run is the newest one that was not there
 * ({@linkcode findDispatchedRun}). Ids, not clocks: the list's times have
 * one-second resolution and two dispatches may share a second. Ids alone
 * do not make a run ours, though: where the query says so, a run counts
 * only if its `head_sha` is the branch tip at the dispatch (the
 * preflight's, or the one re-read right after the dispatch) and it was
 * created after the dispatch (see `evidence.ts`); a run that cannot be
 * told from ours (two that pass) leaves the outcome `ambiguous`.
 *
 * @module
 */

import type { ForgeClient } from "./client.ts";
import { clockSkew, serverNotBefore, timeOf } from "./evidence.ts";
import type { ActionTask } from "./types.ts";

/** The part of the client this needs (tests pass a fake). */
export type TaskLister = Pick<ForgeClient, "listActionTasks">;

/** Which runs count: one workflow on one branch. */
export interface DispatchRunScope {
  /** The workflow's file name (the list's `workflow_id`). */
  workflow: string;
  /** The branch dispatched on. */
  branch: string;
}

/** What to look for after a dispatch. */
export interface DispatchedRunQuery extends DispatchRunScope {
  /** Ids of the matching runs listed before the dispatch. */
  before: ReadonlySet<number>;
  /**
   * Commits the run may be of: the branch tip the preflight saw and the
   * one re-read right after the dispatch.
   */
  tips?: ReadonlySet<string>;
  /** Server time (ms) the run must be created at or after. */
  notBefore?: number;
}

/**
 * Whether a new run of the scope can be the one the dispatch started: of
 * one of `query.tips`, created at or after `query.notBefore` (a run
 * without a readable `created_at` cannot be told: not ours), where the
 * query gives them.
 */
function isOurs(task: ActionTask, query: DispatchedRunQuery): boolean {
  if (query.tips !== undefined && !query.tips.has(task.head_sha)) return false;
  if (query.notBefore === undefined) return true;
  const at = timeOf(task.created_at);
  return at !== null && at >= query.notBefore;
}

function matches(task: ActionTask, scope: DispatchRunScope): boolean {
  return task.event === "workflow_dispatch" &&
    task.workflow_id === scope.workflow &&
    task.head_branch.replace(/^refs\/heads\//, "") === scope.branch;
}

async function matchingTasks(
  client: TaskLister,
  owner: string,
  repo: string,
  scope: DispatchRunScope,
): Promise<ActionTask[]> {
  const { value } = await client.listActionTasks(owner, repo);
  return (value.workflow_runs ?? []).filter((t) => matches(t, scope));
}

/**
 * The ids of the `workflow_dispatch` runs of `scope.workflow` on
 * `scope.branch` the list holds now (its newest page): take it before
 * dispatching. Throws the client's `ForgeError` (`not_found` on a server
 * without the list).
 */
export async function dispatchRunIds(
  client: TaskLister,
  owner: string,
  repo: string,
  scope: DispatchRunScope,
): Promise<Set<number>> {
  const tasks = await matchingTasks(client, owner, repo, scope);
  return new Set(tasks.map((t) => t.id));
}

/**
 * {@linkcode dispatchRunIds}, and the server time from which a run can be
 * the dispatch's (`notBefore`): the moment the list was asked for, on the
 * server's clock (its `Date` header), less the slack of `evidence.ts`.
 * Take it just before dispatching. Throws the client's `ForgeError`.
 */
export async function dispatchRunsBefore(
  client: TaskLister,
  owner: string,
  repo: string,
  scope: DispatchRunScope,
  now: () => number = Date.now,
): Promise<{ ids: Set<number>; notBefore: number }> {
  const asked = now();
  const { value, date } = await client.listActionTasks(owner, repo);
  const skew = clockSkew(date, now());
  const ids = (value.workflow_runs ?? [])
    .filter((t) => matches(t, scope))
    .map((t) => t.id);
  return { ids: new Set(ids), notBefore: serverNotBefore(asked, skew) };
}

/**
 * The run a dispatch started: the newest `workflow_dispatch` run of the
 * workflow on the branch whose id was not in `before`; null while the
 * server has not listed it yet (poll again). Throws the client's
 * `ForgeError`.
 */
export async function findDispatchedRun(
  client: TaskLister,
  owner: string,
  repo: string,
  query: DispatchedRunQuery,
): Promise<ActionTask | null> {
  const tasks = await matchingTasks(client, owner, repo, query);
  let newest: ActionTask | null = null;
  for (const task of tasks) {
    if (query.before.has(task.id) || !isOurs(task, query)) continue;
    if (newest === null || task.id > newest.id) newest = task;
  }
  return newest;
}

/**
 * The jobs of the run a dispatch started, as the list shows them now: of
 * the matching tasks whose id was not in `before` and that can be ours
 * (see {@linkcode DispatchedRunQuery}), those of the newest run (highest
 * `run_number`), the newest task per job name (a re-run lists a job
 * again); empty while no runner has taken any of its jobs. Throws the
 * client's `ForgeError`.
 */
export async function findDispatchedJobs(
  client: TaskLister,
  owner: string,
  repo: string,
  query: DispatchedRunQuery,
): Promise<ActionTask[]> {
  return (await dispatchedJobs(client, owner, repo, query)).jobs;
}

/**
 * {@linkcode findDispatchedJobs}, and how many other runs could be ours
 * too (`others`: new, of the tip, created after the dispatch): more than
 * one such run cannot be told apart.
 */
export async function dispatchedJobs(
  client: TaskLister,
  owner: string,
  repo: string,
  query: DispatchedRunQuery,
): Promise<{ jobs: ActionTask[]; others: number }> {
  const fresh = (await matchingTasks(client, owner, repo, query))
    .filter((t) => !query.before.has(t.id) && isOurs(t, query))
    .sort((a, b) => b.run_number - a.run_number || b.id - a.id);
  const run = fresh[0]?.run_number;
  const jobs = new Map<string, ActionTask>();
  for (const task of fresh) {
    if (task.run_number !== run) continue;
    if (!jobs.has(task.name)) jobs.set(task.name, task);
  }
  const others = new Set(fresh.map((t) => t.run_number)).size -
    (run === undefined ? 0 : 1);
  return {
    jobs: [...jobs.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    others,
  };
}
