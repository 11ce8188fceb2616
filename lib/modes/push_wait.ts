/**
 * `cascade push --wait`: the push phase, then each pushed (or already
 * current) template's CI followed to its result, every template at once
 * (the API requests bounded by `--concurrency`). With `--canary <n>` the
 * first n templates are pushed and followed first; the rest are pushed
 * only when every canary is green, else they are skipped (`aborted`, so a
 * retry takes them) with the canary's name and run link.
 *
 * When a newer push cancels the run on our commit, the follow moves to the
 * branch's new tip if that tip still holds the version. Whether it does is
 * read with git, through the template's own work repo (fetch the tip,
 * read the file), the very code that decided `unchanged`: no second
 * definition of "holds the version" and no API endpoint more to trust.
 *
 * @module
 */

import {
  type EngineDeps,
  type EngineRun,
  type Plan,
  runTemplates,
  type Step,
  type TemplateTask,
} from "../engine/engine.ts";
import type { BranchMoved } from "../forge/ci.ts";
import { fetchTip, lsRemote } from "../git/remote.ts";
import type { PushResult } from "../model.ts";
import { readVersionState } from "../version/state.ts";
import type { Target } from "../targets.ts";
import type { CiReader } from "./ci_reader.ts";
import type { PushSettings } from "./push_land.ts";

/** Runs the push step over `plans`, following each pushed template's CI. */
export async function pushAndWait(
  plans: readonly Plan[],
  settings: PushSettings,
  step: (settings: PushSettings) => Step<PushResult>,
  deps: EngineDeps,
  reader: CiReader,
  canary: number | undefined,
): Promise<EngineRun<PushResult>> {
  const n = canary === undefined
    ? plans.length
    : Math.min(canary, plans.length);
  const first = await pushThenFollow(
    plans.slice(0, n),
    settings,
    step,
    deps,
    reader,
  );
  if (n === plans.length) return first;
  const rest = plans.slice(n);
  const red = canaryVerdict(first.results);
  if (red !== null || deps.signal.aborted) {
    const skipped = rest.map((plan) =>
      deps.signal.aborted
        ? step(settings).unreached({
          target: plan.target,
          branch: null,
          interrupted: true,
          notStarted: true,
        })
        : canarySkipped(plan.target, red ?? "")
    );
    return { results: [...first.results, ...skipped], refused: first.refused };
  }
  // The rest get work repos of their own (the engine names them by index).
  const workDir = `${deps.workDir}/rest`;
  await Deno.mkdir(workDir);
  const second = await pushThenFollow(rest, settings, step, {
    ...deps,
    workDir,
    onStart: (i) => deps.onStart?.(i + n),
    onDone: (i, title, log) => deps.onDone?.(i + n, title, log),
  }, reader);
  return {
    results: [...first.results, ...second.results],
    refused: first.refused + second.refused,
  };
}

async function pushThenFollow(
  plans: readonly Plan[],
  settings: PushSettings,
  step: (settings: PushSettings) => Step<PushResult>,
  deps: EngineDeps,
  reader: CiReader,
): Promise<EngineRun<PushResult>> {
  const follows: Promise<void>[] = [];
  const inner = step(settings);
  const run = await runTemplates(plans, settings, {
    ...inner,
    run: async (task: TemplateTask) => {
      const result = await inner.run(task);
      // Each template's CI is followed from the moment it is pushed, out
      // of the step's slots, so the next templates push meanwhile.
      follows.push(follow(task, result, settings, deps.signal, reader));
      return result;
    },
  }, deps);
  await Promise.all(follows);
  return run;
}

/** Follows one template's CI; sets `result.ci` (pushed or current only). */
async function follow(
  task: TemplateTask,
  result: PushResult,
  settings: PushSettings,
  signal: AbortSignal,
  reader: CiReader,
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
  return {
    tipOf: async () => {
      try {
        return (await lsRemote(where.ctx, where.branch)).tips.get(
          where.branch,
        ) ?? null;
      } catch {
        return null;
      }
    },
    followable: async (sha) => {
      try {
        const tip = await fetchTip(where.ctx, where.branch, sha, depth);
        const state = await readVersionState(
          where.ctx,
          tip,
          settings.file,
          settings.version,
          [],
        );
        return state.current;
      } catch {
        return false;
      }
    },
  };
}

/**
 * Null when the canaries let the rest through: none failed or was
 * interrupted, and every one that was pushed (or was current) is green,
 * at least one of them. Else why not, naming the canary and its run.
 */
function canaryVerdict(results: readonly PushResult[]): string | null {
  for (const r of results) {
    if (r.status === "failed" || r.status === "interrupted") {
      return `canary ${r.repo} ${r.status}`;
    }
    if (r.ci !== undefined && r.ci.state !== "success") {
      return `canary ${r.repo}: CI ${r.ci.state}${
        r.ci.url ? ` (${r.ci.url})` : ""
      }`;
    }
  }
  if (!results.some((r) => r.ci?.state === "success")) {
    return "no canary reached a green CI";
  }
  return null;
}

function canarySkipped(target: Target, why: string): PushResult {
  return {
    repo: target.repo,
    url: target.url,
    branch: null,
    status: "skipped",
    skip: "aborted",
    previous: null,
    commit: null,
    attempts: 0,
    durationMs: 0,
    reason: `not attempted: ${why}; nothing pushed (a retry takes it)`,
  };
}
