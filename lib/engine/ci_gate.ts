/**
 * `cascade push --wait`: each pushed (or already current) template's CI
 * followed to its result from the moment it is pushed, every template at
 * once (the API requests bounded by `--concurrency`). With `--canary <n>`
 * the first n templates are pushed and followed first; the rest are pushed
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
  type EngineRun,
  type ModeDeps,
  type Plan,
  type ReadSettings,
  runTemplates,
  type Step,
  type TemplateTask,
} from "./engine.ts";
import type { BranchMoved } from "../forge/ci.ts";
import { lsRemote, openTip } from "../git/remote.ts";
import { removeWorkRepo } from "./workdir.ts";
import type { CiOutcome, PushResult } from "../model.ts";
import { readVersionState } from "../version/state.ts";
import type { Target } from "../targets/target.ts";
import type { CiReader } from "../forge/ci_reader.ts";
import type { PushSettings } from "../modes/push/land.ts";

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
    follow: (task, result) =>
      follow(task, result, settings, deps.signal, reader),
    done: "pushed",
  }, canary);
}

/** How a run follows a template's CI once its step is done. */
export interface CiFollower {
  /** Whether the step's result has a CI to follow. */
  follows(result: PushResult): boolean;
  /** Follows it to its result and sets `result.ci`. */
  follow(task: TemplateTask, result: PushResult): Promise<void>;
  /** What the step does, as a skip says it: "nothing pushed". */
  done: string;
}

/**
 * Runs `inner` over `plans` in one engine run, following each template's
 * CI (with `follower`) from the moment its step is done; with a canary,
 * templates past the first n wait at a gate until every canary's CI is
 * known, and are skipped (`aborted`) unless all of them are green.
 */
export async function runWithCi(
  plans: readonly Plan[],
  settings: ReadSettings,
  inner: Step<PushResult>,
  deps: ModeDeps,
  follower: CiFollower,
  canary: number | undefined,
): Promise<EngineRun<PushResult>> {
  const indexOf = new Map(plans.map((p, i) => [p.target, i]));
  const onCi = (task: TemplateTask, ci: CiOutcome | null) =>
    deps.onCi?.(indexOf.get(task.target) ?? 0, ci);
  const n = Math.min(canary ?? plans.length, plans.length);
  const canaries = new Set(plans.slice(0, n).map((p) => p.target));
  const follows: Promise<void>[] = [];
  const gate = canaryGate(n, deps.signal);
  const run = await runTemplates(plans, settings, {
    ...inner,
    run: async (task: TemplateTask) => {
      const isCanary = canaries.has(task.target);
      if (!isCanary) {
        const verdict = await gate.verdict;
        if (deps.signal.aborted) {
          return inner.unreached({
            target: task.target,
            branch: task.branch,
            interrupted: true,
            notStarted: true,
          });
        }
        if (verdict !== null) {
          return canarySkipped(task.target, task.branch, verdict, follower);
        }
      }
      const result = await inner.run(task);
      const following = follower.follows(result) && !deps.signal.aborted
        ? follower.follow(task, result).then(() =>
          result.ci && onCi(task, result.ci)
        )
        : Promise.resolve();
      if (follower.follows(result)) onCi(task, null);
      follows.push(following);
      if (isCanary) gate.settled(result, following);
      return result;
    },
    unreached: (why) => {
      const result = inner.unreached(why);
      if (canaries.has(why.target)) gate.settled(result, Promise.resolve());
      return result;
    },
  }, deps);
  await Promise.all(follows);
  gate.close();
  return run;
}

/**
 * The canaries' verdict: resolves once all `n` have settled (pushed and
 * followed, or not reached), or at once on interrupt.
 */
function canaryGate(n: number, signal: AbortSignal) {
  const results: PushResult[] = [];
  const follows: Promise<void>[] = [];
  let open: (verdict: string | null) => void = () => {};
  const verdict = new Promise<string | null>((resolve) => (open = resolve));
  const onAbort = () => open("interrupted");
  signal.addEventListener("abort", onAbort);
  return {
    verdict,
    settled(result: PushResult, following: Promise<void>) {
      results.push(result);
      follows.push(following);
      if (results.length === n) {
        void Promise.all(follows).then(() => open(canaryVerdict(results)));
      }
    },
    close: () => signal.removeEventListener("abort", onAbort),
  };
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
      // A work repo of its own: the template's went when its push ended.
      const ctx = { ...where.ctx, gitDir: `${where.ctx.gitDir}-ci` };
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

function canarySkipped(
  target: Target,
  branch: string,
  why: string,
  follower: CiFollower,
): PushResult {
  return {
    repo: target.repo,
    url: target.url,
    branch,
    status: "skipped",
    skip: "aborted",
    previous: null,
    commit: null,
    attempts: 0,
    durationMs: 0,
    reason:
      `not attempted: ${why}; nothing ${follower.done} (a retry takes it)`,
  };
}
