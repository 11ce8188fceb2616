/**
 * `cascade push --via pr|auto --wait`: each pull request's head followed
 * to its CI result, as a push is (same state table, timeouts and canary
 * rules, through the engine's CI gate); with `--auto-merge`, a green head
 * is then waited on until Gitea merges it, and the default branch is read
 * to see whether it holds the version (`merged`). A pull request closed
 * without merging is a failure with its reason; a red CI fails the run
 * through its CI state and leaves the pull request unmerged.
 *
 * @module
 */

import type {
  EngineRun,
  ModeDeps,
  Plan,
  Step,
  TemplateTask,
} from "../../engine/engine.ts";
import { runWithCi } from "../../engine/ci_gate.ts";
import {
  InterruptedError,
  type ReportError,
  reportError,
} from "../../errors.ts";
import { ForgeError } from "../../forge/client.ts";
import type { CiReader } from "../../forge/ci_reader.ts";
import { currentTip, lsRemote, openTip } from "../../git/remote.ts";
import { inAnotherRepo } from "../../git/context.ts";
import { removeWorkRepo } from "../../engine/workdir.ts";
import type { PushResult } from "../../model.ts";
import {
  beforeDeadline,
  type Deadline,
  DeadlineError,
} from "../../engine/deadline.ts";
import { readVersionState, treeDepth } from "../../version/state.ts";
import type { ProposeAccess } from "./access.ts";
import type { ProposeSettings } from "./types.ts";

/** Where a template is, to read its default branch. */
type Where = Pick<TemplateTask, "ctx" | "branch" | "log" | "target">;

/**
 * Whether the default branch now holds the version: `merged` when it does,
 * else a failure that says so. `signal` stops its reads.
 */
export async function defaultHolds(
  where: Where & { settings: { file: string; version: string } },
  result: PushResult,
  signal?: AbortSignal,
): Promise<PushResult> {
  const { branch, settings } = where;
  // A work repo of its own: the template's went when its step ended; its
  // reads stopped by `signal` when given (a wait's deadline, the interrupt).
  const ctx = inAnotherRepo(where.ctx, `${where.ctx.gitDir}-merged`, signal);
  const tip = (await lsRemote(ctx, branch)).tips.get(branch);
  if (tip !== undefined) {
    let current = false;
    let fetched = tip;
    try {
      fetched = await openTip(
        ctx,
        tip,
        branch,
        treeDepth(settings.file, []),
      );
      const state = await readVersionState(
        ctx,
        fetched,
        settings.file,
        settings.version,
      );
      current = state.current;
    } finally {
      await removeWorkRepo(ctx.gitDir);
    }
    if (current) {
      where.log.push(
        `merged: ${branch} at ${
          fetched.slice(0, 10)
        } holds ${settings.version}`,
      );
      return { ...result, status: "merged" };
    }
  }
  return {
    ...result,
    status: "failed",
    error: {
      kind: "conflict",
      message: `${where.target.repo}: pull request #${
        result.pr?.number ?? "?"
      } was merged, but ${branch} does not hold ${settings.version}; check the branch, then re-run`,
    },
  };
}

/**
 * Runs the proposing step with each result's CI followed (see the module
 * doc): one engine run, so refused credentials anywhere stop every push.
 */
export function proposeAndWait(
  plans: readonly Plan[],
  settings: ProposeSettings,
  step: Step<PushResult>,
  access: ReadonlyMap<string, ProposeAccess>,
  deps: ModeDeps,
  reader: CiReader,
  canary?: number,
): Promise<EngineRun<PushResult>> {
  return runWithCi(plans, settings, step, deps, {
    follows: (r) =>
      r.status === "updated" ||
      (r.pr !== undefined &&
        ["proposed", "unchanged", "merged"].includes(r.status)),
    follow: (task, result, startedAt) =>
      followProposal(task, result, settings, access, reader, startedAt),
    done: "pushed or proposed",
  }, canary);
}

/**
 * Follows one result's CI: the pull request's head (then, with
 * `--auto-merge` and a green head, the merge), or a direct push's commit.
 * A commit this run pushed counts only statuses created after
 * `startedAt`; a head pushed by an earlier run, all of them.
 */
async function followProposal(
  task: TemplateTask,
  result: PushResult,
  settings: ProposeSettings,
  access: ReadonlyMap<string, ProposeAccess>,
  reader: CiReader,
  startedAt: number,
): Promise<void> {
  const pr = result.pr;
  const pushedAt = result.attempts > 0 ? startedAt : undefined;
  // One deadline for the whole wait: the CI, then the merge.
  const deadline = reader.waitDeadline();
  if (pr === undefined) {
    if (result.commit === null) return;
    result.ci = await reader.follow(
      task.target,
      result.commit,
      task.branch,
      true,
      undefined,
      pushedAt,
      deadline,
    );
    return;
  }
  result.ci = await reader.follow(
    task.target,
    pr.head,
    pr.branch,
    result.status === "proposed",
    {
      tipOf: (signal) =>
        currentTip(signal ? { ...task.ctx, signal } : task.ctx, pr.branch),
      followable: () => Promise.resolve(false),
    },
    pushedAt,
    deadline,
  );
  if (
    settings.autoMerge && result.ci.state === "success" &&
    result.status !== "merged"
  ) {
    const api = access.get(task.target.key) as ProposeAccess;
    let after: PushResult;
    try {
      after = await waitForMerge(
        { ...task, settings },
        result,
        api,
        reader,
        deadline,
      );
    } catch (error) {
      after = error instanceof InterruptedError
        ? {
          ...result,
          status: "interrupted",
          reason: "interrupted while waiting for the merge; re-run to finish",
        }
        : {
          ...result,
          status: "failed",
          error: proposeFailure(error, task.target.repo),
        };
    }
    Object.assign(result, after);
  }
}

/**
 * Polls the pull request until it is merged or closed, within the wait's
 * `deadline` (every request, sleep and read of the default branch held to
 * it, on the run's clock): merged, the default branch is read (`merged`);
 * closed, a failure; still open at the deadline, or a read it cut, a
 * `timeout` failure.
 */
async function waitForMerge(
  where: Where & { settings: ProposeSettings },
  result: PushResult,
  access: ProposeAccess,
  reader: CiReader,
  deadline: Deadline,
): Promise<PushResult> {
  const pr = result.pr;
  if (pr === undefined) return result;
  const follow = reader.followSettings;
  const interval = follow.polling.minIntervalMs;
  const late = (what: string): PushResult => ({
    ...result,
    status: "failed",
    error: {
      kind: "timeout",
      message: `${where.target.repo}: pull request #${pr.number} ${what}`,
    },
  });
  try {
    for (let polls = 0; polls < 100_000; polls++) {
      const now = await access.api.get(
        access.owner,
        access.repo,
        pr.number,
        deadline,
      );
      if (now.merged) {
        try {
          return await beforeDeadline(
            deadline,
            (signal) => defaultHolds(where, result, signal),
            follow.signal,
          );
        } catch (error) {
          if (!(error instanceof DeadlineError)) throw error;
          return late(
            `was merged, but reading ${where.branch} did not finish within --wait-timeout; check that ${where.branch} holds ${where.settings.version}, or raise --wait-timeout`,
          );
        }
      }
      if (now.state !== "open") {
        return {
          ...result,
          status: "failed",
          error: {
            kind: "rejected",
            message:
              `${where.target.repo}: pull request #${pr.number} was closed without merging; re-open it or re-run cascade to propose again`,
          },
        };
      }
      if (deadline.left() < interval) break;
      if (!await deadline.clock.sleep(interval, follow.signal)) {
        throw new InterruptedError();
      }
    }
  } catch (error) {
    if (!(error instanceof DeadlineError)) throw error;
  }
  return late(
    `is green but was not merged within --wait-timeout; check its required reviews, or raise --wait-timeout`,
  );
}

/** The report error of a failed proposing: the API's kind, else git's. */
export function proposeFailure(error: unknown, repo: string): ReportError {
  return error instanceof ForgeError
    ? { kind: error.kind, message: `${repo}: ${error.message}` }
    : reportError(error, repo);
}
