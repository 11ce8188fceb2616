/**
 * The CI-and-canary gate of every trigger (`push --wait`, `push --trigger
 * dispatch --wait`): each template's CI followed to its result from the
 * moment its step is done, every template at once. With `--canary <n>`
 * the first n templates go first; the rest go only when every canary is
 * green, else they are skipped (`aborted`, so a retry takes them) with the
 * canary's name and run link. How a trigger follows its own CI (a pushed
 * commit's statuses, a dispatched run) is its {@linkcode CiFollower}, in
 * its mode's folder (`modes/push/wait.ts`, `modes/dispatch/wait.ts`).
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
import type { CiOutcome, PushResult } from "../model.ts";
import { SYSTEM_CLOCK } from "./clock.ts";
import type { Target } from "../targets/target.ts";

/** How a run follows a template's CI once its step is done. */
interface CiFollower {
  /** Whether the step's result has a CI to follow. */
  follows(result: PushResult): boolean;
  /**
   * Follows it to its result and sets `result.ci`; `startedAt` (our
   * clock) is when the step began, before any push or dispatch.
   */
  follow(
    task: TemplateTask,
    result: PushResult,
    startedAt: number,
  ): Promise<void>;
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
  // By key: a renamed repo's task carries its new target (same key).
  const indexOf = new Map(plans.map((p, i) => [p.target.key, i]));
  const onCi = (task: TemplateTask, ci: CiOutcome | null) =>
    deps.onCi?.(indexOf.get(task.target.key) ?? 0, ci);
  const n = Math.min(canary ?? plans.length, plans.length);
  const canaries = new Set(plans.slice(0, n).map((p) => p.target.key));
  const follows: Promise<void>[] = [];
  const gate = canaryGate(n, deps.signal);
  const run = await runTemplates(plans, settings, {
    ...inner,
    run: async (task: TemplateTask) => {
      const isCanary = canaries.has(task.target.key);
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
      const startedAt = (deps.ci?.followSettings.clock ?? SYSTEM_CLOCK).now();
      const result = await inner.run(task);
      const following = follower.follows(result) && !deps.signal.aborted
        ? follower.follow(task, result, startedAt).then(() =>
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
      if (canaries.has(why.target.key)) gate.settled(result, Promise.resolve());
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
