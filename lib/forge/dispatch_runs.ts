/**
 * Finding the run a workflow dispatch started. A dispatched run posts no
 * commit status, so it is found in the server's runs list
 * (`GET /repos/{o}/{r}/actions/tasks`, Gitea 1.23+, newest first): before
 * dispatching, note the ids of the `workflow_dispatch` runs of that
 * workflow on that branch ({@linkcode dispatchRunIds}); afterwards, the
 * run is the newest one that was not there
 * ({@linkcode findDispatchedRun}). Ids, not clocks: the list's times have
 * one-second resolution and two dispatches may share a second.
 *
 * @module
 */

import type { ForgeClient } from "./client.ts";
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
    if (query.before.has(task.id)) continue;
    if (newest === null || task.id > newest.id) newest = task;
  }
  return newest;
}

/**
 * The jobs of the run a dispatch started, as the list shows them now: of
 * the matching tasks whose id was not in `before`, those of the newest run
 * (highest `run_number`), the newest task per job name (a re-run lists a
 * job again); empty while no runner has taken any of its jobs. Throws the
 * client's `ForgeError`.
 */
export async function findDispatchedJobs(
  client: TaskLister,
  owner: string,
  repo: string,
  query: DispatchedRunQuery,
): Promise<ActionTask[]> {
  const fresh = (await matchingTasks(client, owner, repo, query))
    .filter((t) => !query.before.has(t.id))
    .sort((a, b) => b.run_number - a.run_number || b.id - a.id);
  const run = fresh[0]?.run_number;
  const jobs = new Map<string, ActionTask>();
  for (const task of fresh) {
    if (task.run_number !== run) break;
    if (!jobs.has(task.name)) jobs.set(task.name, task);
  }
  return [...jobs.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}
