/**
 * The newest run for a tip, a dispatched one included: a run started by a
 * workflow dispatch posts no commit status, so the commit's statuses still
 * show the push's run after a dispatch re-ran the CI. Where the server
 * lists runs (`/actions/tasks`, Gitea 1.23+), the newest run on the tip
 * decides when it was dispatched.
 *
 * @module
 */

import type { CiOutcome } from "../engine/ci_outcome.ts";
import { runOutcome } from "./dispatch_follow.ts";
import type { ActionTask } from "./types.ts";

/**
 * The outcome of the newest run on `sha` when that run was dispatched
 * (`workflow_dispatch`), with a note saying so; null when the list has no
 * run on `sha` or its newest one came from a push (its statuses decide).
 */
export function newestDispatchedRun(
  tasks: readonly ActionTask[],
  sha: string,
): Pick<CiOutcome, "state" | "contexts" | "url" | "note"> | null {
  const onTip = tasks.filter((t) => t.head_sha === sha);
  const newest = onTip.reduce<ActionTask | null>(
    (best, t) =>
      best === null || t.run_number > best.run_number ||
        (t.run_number === best.run_number && t.id > best.id)
        ? t
        : best,
    null,
  );
  if (newest === null || newest.event !== "workflow_dispatch") return null;
  const jobs = onTip.filter((t) =>
    t.run_number === newest.run_number && t.workflow_id === newest.workflow_id
  );
  return {
    ...runOutcome(jobs, newest.workflow_id),
    note:
      `the newest run on this commit was dispatched (run #${newest.run_number}); it decides, not the push's statuses`,
  };
}
