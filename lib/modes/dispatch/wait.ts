/**
 * `cascade push --trigger dispatch --wait`: each dispatched template's run
 * followed to its result from the moment it is dispatched, every template
 * at once, the way `push --wait` follows pushed commits (the same gate for
 * `--canary`, the same bounds, pacing and `ci` shape). A dispatched run
 * posts no commit status, so the follow reads the server's runs list
 * (`/actions/tasks`, Gitea 1.23+, Forgejo 8+) and finds the run by the ids
 * the list held just before the dispatch, the branch tip (the preflight's,
 * or the one re-read just after the dispatch, should the branch have
 * moved in between) and the server's clock at the dispatch (the
 * template's {@linkcode DispatchMark}).
 * A server without that list (Gitea 1.22, Forgejo before 8) gives `none` with a
 * note saying so; a list that could not be read before the dispatch
 * gives `pending` with the reason.
 *
 * @module
 */

import { type CiOutcome, interruptedWait } from "../../engine/ci_outcome.ts";
import type {
  EngineRun,
  ModeDeps,
  Plan,
  ReadSettings,
  Step,
} from "../../engine/engine.ts";
import { InterruptedError } from "../../errors.ts";
import type { ForgeClient } from "../../forge/client.ts";
import { ForgeError } from "../../forge/forge_error.ts";
import {
  followDispatchedRun,
  runOutcome,
} from "../../forge/dispatch_follow.ts";
import type { ActionTask } from "../../forge/types.ts";
import type { PushResult } from "../../model.ts";
import type { CiReader } from "../../forge/ci_reader.ts";
import { runWithCi } from "../../engine/ci_gate.ts";

/**
 * What a follower (`--wait`) needs to find the run a dispatch started:
 * pass it to `findDispatchedRun` (`lib/forge/dispatch_runs.ts`) or
 * {@linkcode followDispatch}.
 */
export interface DispatchMark {
  /** A client for the template's server. */
  client: ForgeClient;
  /** Owner in the API. */
  owner: string;
  /** Repo name in the API. */
  repo: string;
  /** The workflow's file name. */
  workflow: string;
  /** The branch dispatched on. */
  branch: string;
  /**
   * Ids of that workflow's dispatched runs on that branch listed before
   * the dispatch; null when the server has no runs list or it could not
   * be read.
   */
  before: ReadonlySet<number> | null;
  /** Whether the server has the runs list (Gitea 1.23+, Forgejo 8+). */
  runsListed: boolean;
  /** The branch tip the preflight saw: a commit the run may be of. */
  tip: string;
  /**
   * The branch tip re-read right after the dispatch (the branch may have
   * moved since the preflight): the other commit the run may be of; null
   * or absent when not read.
   */
  tipAfter?: string | null;
  /**
   * Server time (ms) a run must be created at or after to be the
   * dispatch's (see `dispatchRunsBefore`); null with `before`.
   */
  notBefore: number | null;
}

/**
 * Runs the dispatch step over `plans` in one engine run, following each
 * dispatched template's run from the moment it is dispatched (`marks` is
 * filled by the step). With a canary, the templates past the first n are
 * dispatched only when every canary's run is green; else they are skipped
 * (`aborted`), nothing dispatched to them.
 */
export function dispatchAndWait(
  plans: readonly Plan[],
  settings: ReadSettings & { dryRun: boolean },
  step: Step<PushResult>,
  marks: ReadonlyMap<string, DispatchMark>,
  deps: ModeDeps,
  reader: CiReader,
  canary: number | undefined,
): Promise<EngineRun<PushResult>> {
  return runWithCi(plans, settings, step, deps, {
    follows: (r) => r.status === "dispatched" && !settings.dryRun,
    follow: async (task, result) => {
      const mark = marks.get(task.target.key);
      if (mark !== undefined) result.ci = await followDispatch(mark, reader);
    },
    done: "dispatched",
  }, canary);
}

/**
 * Follows the run of one dispatch to its result (see the module). Never
 * throws: an interrupt returns the CI seen so far with a note, an API
 * failure a `pending` outcome that says why.
 */
export async function followDispatch(
  mark: DispatchMark,
  reader: CiReader,
): Promise<CiOutcome> {
  const where = `${mark.owner}/${mark.repo}`;
  if (mark.before === null) return unlisted(mark, where);
  const { polling, signal, waitStartMs, waitTimeoutMs, clock } =
    reader.followSettings;
  const started = clock.now();
  const deadline = reader.waitDeadline();
  const client = mark.client.within(deadline);
  let seen: ActionTask[] = [];
  try {
    // A run dispatched a moment ago is not listed yet: skip that request.
    const first = Math.min(polling.minIntervalMs, deadline.left());
    if (!await clock.sleep(first, signal)) throw new InterruptedError();
    const lister = {
      listActionTasks: (owner: string, repo: string) =>
        reader.limited(() => client.listActionTasks(owner, repo), deadline),
    };
    const result = await followDispatchedRun(lister, {
      owner: mark.owner,
      repo: mark.repo,
      workflow: mark.workflow,
      branch: mark.branch,
      before: mark.before,
      tips: new Set([mark.tip, ...(mark.tipAfter ? [mark.tipAfter] : [])]),
      ...(mark.notBefore === null ? {} : { notBefore: mark.notBefore }),
    }, {
      waitTimeoutMs,
      waitStartMs,
      signal,
      minIntervalMs: polling.minIntervalMs,
      maxIntervalMs: polling.maxIntervalMs,
      ...(polling.growth ? { growth: polling.growth } : {}),
      ...(polling.jitter ? { jitter: polling.jitter } : {}),
      now: clock.now,
      sleep: clock.sleep,
      deadline,
    }, (jobs) => (seen = jobs));
    return { ...result, waitedMs: clock.now() - started };
  } catch (error) {
    const sofar = runOutcome(seen, mark.workflow);
    const waitedMs = clock.now() - started;
    if (error instanceof InterruptedError || signal.aborted) {
      return interruptedWait(sofar, waitedMs);
    }
    const why = error instanceof ForgeError
      ? `${error.kind}: ${error.message}`
      : error instanceof Error
      ? error.message.split("\n")[0]
      : String(error);
    return {
      ...sofar,
      state: sofar.state === "failure" ? "failure" : "pending",
      waitedMs,
      note: `${where}: could not read the runs list over the API (${why})`,
    };
  }
}

/** The outcome when the run cannot be told from the list. */
function unlisted(mark: DispatchMark, where: string): CiOutcome {
  const base = { contexts: [], url: null, waitedMs: 0 };
  if (!mark.runsListed) {
    return {
      ...base,
      state: "none",
      note:
        `${where}: the server does not list workflow runs (GET /actions/tasks needs Gitea 1.23 or later, or Forgejo 8 or later), so the dispatched run cannot be followed; check its Actions page`,
    };
  }
  return {
    ...base,
    state: "pending",
    note:
      `${where}: the runs list could not be read before the dispatch, so the dispatched run cannot be told from earlier ones; check its Actions page`,
  };
}
