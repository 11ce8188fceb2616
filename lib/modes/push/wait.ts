/**
 * `cascade push --wait`: each pushed (or already current) template's CI
 * followed to its result through the engine's CI gate
 * (`engine/ci_gate.ts`), which also holds `--canary`.
 *
 * When a newer push cancels the run on our commit, the follow moves to the
 * branch's new tip if that tip still holds the version. Whether it does is
 * read with git, through a work repo of its own (fetch the tip, read the
 * file; the template's work repo went when its push ended), the very code
 * that decided `unchanged`: no second definition of "holds the version"
 * and no API endpoint more to trust.
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
import type { BranchMoved } from "../../forge/ci.ts";
import type { CiReader } from "../../forge/ci_reader.ts";
import { currentTip, openTip } from "../../git/remote.ts";
import { inAnotherRepo } from "../../git/context.ts";
import { removeWorkRepo } from "../../engine/workdir.ts";
import type { PushResult } from "../../model.ts";
import { readVersionState } from "../../version/state.ts";
import type { PushSettings } from "./land.ts";

/**
 * Runs the push step over `plans` in one engine run (one preflight over
 * every target, so credentials refused anywhere still stop every push),
 * following each pushed template's CI from the moment it is pushed. With a
 * canary, templates past the first n wait at a gate, holding nothing but
 * their slot, until every canary's CI is known: green lets them push; else
 * they are skipped without pushing.
 */
export function pushAndWait(
  plans: readonly Plan[],
  settings: PushSettings,
  step: (settings: PushSettings) => Step<PushResult>,
  deps: ModeDeps,
  reader: CiReader,
  canary: number | undefined,
): Promise<EngineRun<PushResult>> {
  return runWithCi(plans, settings, step(settings), deps, {
    follows: (r) => r.status === "updated" || r.status === "unchanged",
    follow: (task, result, startedAt) =>
      follow(task, result, settings, deps.signal, reader, startedAt),
    done: "pushed",
  }, canary);
}

/**
 * Follows one template's CI; sets `result.ci` (pushed or current only). A
 * pushed commit's statuses count only when created after `startedAt`.
 */
async function follow(
  task: TemplateTask,
  result: PushResult,
  settings: PushSettings,
  signal: AbortSignal,
  reader: CiReader,
  startedAt: number,
): Promise<void> {
  const sha = result.status === "updated"
    ? result.commit
    : result.status === "unchanged"
    ? task.tip
    : null;
  if (sha === null || signal.aborted) return;
  result.ci = await reader.follow(
    task.target,
    sha,
    task.branch,
    result.status === "updated",
    branchMoved(task, settings),
    result.status === "updated" ? startedAt : undefined,
  );
}

/** How the follow learns a newer tip and whether it holds the version. */
function branchMoved(
  where: Pick<TemplateTask, "ctx" | "branch">,
  settings: PushSettings,
): BranchMoved {
  const depth = Math.max(
    ...[settings.file, ...settings.probes].map((p) => p.split("/").length),
  );
  // Each read is stopped by `signal` (the wait's deadline or the interrupt).
  const at = (signal: AbortSignal | undefined) =>
    signal === undefined ? where.ctx : { ...where.ctx, signal };
  return {
    tipOf: (signal) => currentTip(at(signal), where.branch),
    followable: async (sha, signal) => {
      // A work repo of its own: the template's went when its push ended.
      const ctx = inAnotherRepo(where.ctx, `${where.ctx.gitDir}-ci`, signal);
      try {
        const tip = await openTip(ctx, sha, where.branch, depth);
        const state = await readVersionState(
          ctx,
          tip,
          settings.file,
          settings.version,
          [],
        );
        return state.current;
      } catch {
        return false;
      } finally {
        await removeWorkRepo(ctx.gitDir);
      }
    },
  };
}
