/**
 * The cascade itself: a parallel preflight (the refs of every target), then
 * per template, with bounded parallelism, a shallow fetch of the tip, a
 * one-file commit and a non-force push, retried exactly when the branch
 * moved (see `template_push.ts`). `status` shares the read path.
 *
 * @module
 */

import { configEnv, type GitRunner } from "./git.ts";
import { InterruptedError, reportError, TemplateError } from "./errors.ts";
import type { HttpRefs } from "./http_refs.ts";
import { createLimiter, mapPool } from "./pool.ts";
import {
  lsRemote,
  openTip,
  promisorConfig,
  type RemoteContext,
  type Skeletons,
} from "./remote.ts";
import type { RemoteHead } from "./refs.ts";
import type { PushResult, ReportError, StatusResult } from "./report.ts";
import type { Backoff } from "./retry.ts";
import type { Target } from "./targets.ts";
import { interruptedResult, pushTemplate } from "./template_push.ts";
import { readVersionState } from "./version_state.ts";

/** One target and the git config (credentials) its processes get. */
export interface Plan {
  /** The target. */
  target: Target;
  /** Config pairs for this target's git processes (base + credentials). */
  config: readonly (readonly [string, string])[];
  /** How to read its refs without git, or null/absent: with git. */
  httpRefs?: HttpRefs | null;
}

/** What both commands read. */
export interface ReadConfig {
  /** The version. */
  version: string;
  /** Normalised path of the version file. */
  file: string;
  /** `--branch`, else each repo's default branch. */
  branch?: string | undefined;
  /** Templates in flight at once. */
  concurrency: number;
  /** Per network operation. */
  timeoutMs: number;
}

/** What `push` needs beyond reading. */
export interface PushConfig extends ReadConfig {
  /** Total push attempts per template. */
  attempts: number;
  /** Commit author and committer. */
  author: { name: string; email: string };
  /** The full commit message (trailers included). */
  message: string;
  /** `--probe` paths. */
  probes: string[];
  /** `--dry-run`. */
  dryRun: boolean;
  /** `--no-downgrade`. */
  noDowngrade: boolean;
}

/** Wiring: git, a temp dir of ours, timing, interrupt and progress hooks. */
export interface EngineDeps {
  /** The git runner. */
  git: GitRunner;
  /** An empty directory this run owns (removed by the caller). */
  workDir: string;
  /** Aborted on interrupt. */
  signal: AbortSignal;
  /** Backoff between push attempts. */
  backoff: Backoff;
  /** A template started (after preflight). */
  onStart?: (index: number) => void;
  /** A template finished, with its buffered log lines. */
  onDone?: (index: number, title: string, log: string[]) => void;
}

/** The outcome of a push run. */
export interface PushRun {
  /** One per plan, in input order. */
  results: PushResult[];
  /** True when the preflight found refused credentials: nothing pushed. */
  authAborted: boolean;
}

type Preflight =
  | { ok: true; head: RemoteHead; branch: string; tip: string }
  | { ok: false; error: ReportError; interrupted: boolean };

function contextFor(
  plan: Plan,
  index: number,
  deps: EngineDeps,
  timeoutMs: number,
  skeletons: Skeletons,
): RemoteContext {
  return {
    git: deps.git,
    url: plan.target.url,
    env: configEnv([...plan.config, ...promisorConfig(plan.target.url)]),
    timeoutMs,
    gitDir: `${deps.workDir}/t${index}.git`,
    scratchDir: deps.workDir,
    signal: deps.signal,
    httpRefs: plan.httpRefs ?? null,
    skeletons,
  };
}

/**
 * Starts the preflight of every target at once (bounded): one promise per
 * target, so each template can go on as soon as its own answer is in.
 */
function preflight(
  plans: readonly Plan[],
  config: ReadConfig,
  deps: EngineDeps,
  skeletons: Skeletons,
): Promise<Preflight>[] {
  const limit = createLimiter(Math.max(config.concurrency, 8));
  return plans.map((plan, index) =>
    limit(async (): Promise<Preflight> => {
      if (deps.signal.aborted) {
        return {
          ok: false,
          error: {
            kind: "unknown",
            message: `${plan.target.repo}: not started`,
          },
          interrupted: true,
        };
      }
      const ctx = contextFor(plan, index, deps, config.timeoutMs, skeletons);
      try {
        const head = await lsRemote(ctx, config.branch);
        const branch = config.branch ?? head.defaultBranch;
        if (branch === null) {
          throw new TemplateError(
            "invalid",
            head.tips.size === 0 && config.branch === undefined
              ? "the repository is empty or has no default branch; push a first commit by hand"
              : "HEAD is detached on the server; pass --branch",
          );
        }
        const tip = head.tips.get(branch);
        if (tip === undefined) {
          throw new TemplateError(
            "invalid",
            `branch ${branch} does not exist (cascade never creates branches); check --branch`,
          );
        }
        return { ok: true, head, branch, tip };
      } catch (error) {
        return {
          ok: false,
          error: reportError(error, plan.target.repo),
          interrupted: error instanceof InterruptedError,
        };
      }
    })
  );
}

/**
 * Runs `cascade push` over the plans: at most `concurrency` templates read
 * (fetch, read, build the commit) at once and at most `concurrency` push at
 * once, so the next templates are read while the current ones push, at
 * most one push-load ahead. With a concurrency of 1 nothing is read ahead:
 * templates run one after another.
 */
export async function runPush(
  plans: readonly Plan[],
  config: PushConfig,
  deps: EngineDeps,
): Promise<PushRun> {
  const started = plans.map(() => performance.now());
  const skeletons: Skeletons = new Map();
  const flights = preflight(plans, config, deps, skeletons);
  // Read-only work starts as soon as a template's own preflight answers;
  // pushes wait for every preflight: refused credentials anywhere stop all.
  const authFailures = Promise.all(flights).then((all) =>
    all.filter((f) => !f.ok && f.error.kind === "auth").length
  );
  const reading = createLimiter(config.concurrency);
  const landing = createLimiter(config.concurrency);
  // Up to `concurrency` templates are read ahead of the pushes; one at a
  // time means one template at a time, start to finish.
  const ahead = config.concurrency > 1 ? config.concurrency : 0;
  const results = await mapPool<Plan, PushResult>(
    plans,
    config.concurrency + ahead,
    async (plan, index): Promise<PushResult> => {
      const flight = await (flights[index] as Promise<Preflight>);
      const base: PushResult = {
        repo: plan.target.repo,
        url: plan.target.url,
        branch: flight.ok ? flight.branch : null,
        status: "failed",
        previous: null,
        commit: null,
        attempts: 0,
        durationMs: 0,
      };
      const log: string[] = [];
      let result: PushResult;
      if (!flight.ok) {
        result = flight.interrupted
          ? interruptedResult(base)
          : { ...base, error: flight.error };
      } else {
        deps.onStart?.(index);
        started[index] = performance.now();
        result = await pushTemplate({
          ctx: contextFor(plan, index, deps, config.timeoutMs, skeletons),
          repo: plan.target.repo,
          branch: flight.branch,
          tip: flight.tip,
          config,
          reading,
          landing,
          authFailures,
          backoff: deps.backoff,
          signal: deps.signal,
          log,
        }, base);
      }
      if (result.error) {
        log.push(`${result.error.kind}: ${result.error.message}`);
      } else if (result.reason) log.push(result.reason);
      result.durationMs = Math.round(performance.now() - (started[index] ?? 0));
      deps.onDone?.(index, `${plan.target.repo} (${result.status})`, log);
      return result;
    },
    (plan) => ({
      repo: plan.target.repo,
      url: plan.target.url,
      branch: null,
      status: "interrupted",
      previous: null,
      commit: null,
      attempts: 0,
      durationMs: 0,
      reason: "not started before the interrupt; re-run to finish",
    }),
    deps.signal,
  );
  return { results, authAborted: (await authFailures) > 0 };
}

/** Runs `cascade status` over the plans: read only. */
export async function runStatus(
  plans: readonly Plan[],
  config: ReadConfig,
  deps: EngineDeps,
): Promise<{ results: StatusResult[]; authFailed: boolean }> {
  const skeletons: Skeletons = new Map();
  const flights = preflight(plans, config, deps, skeletons);
  const results = await mapPool<Plan, StatusResult>(
    plans,
    config.concurrency,
    async (plan, index): Promise<StatusResult> => {
      const flight = await (flights[index] as Promise<Preflight>);
      const base: StatusResult = {
        repo: plan.target.repo,
        url: plan.target.url,
        branch: flight.ok ? flight.branch : null,
        current: null,
        drift: true,
      };
      let result: StatusResult;
      if (!flight.ok) result = { ...base, error: flight.error };
      else {
        deps.onStart?.(index);
        const ctx = contextFor(plan, index, deps, config.timeoutMs, skeletons);
        try {
          const tip = await openTip(
            ctx,
            flight.tip,
            flight.branch,
            config.file.split("/").length,
          );
          const state = await readVersionState(
            ctx,
            tip,
            config.file,
            config.version,
          );
          result = {
            ...base,
            current: state.content?.display ?? null,
            drift: !state.current,
          };
        } catch (error) {
          result = { ...base, error: reportError(error, plan.target.repo) };
        }
      }
      deps.onDone?.(index, plan.target.repo, []);
      return result;
    },
    (plan) => ({
      repo: plan.target.repo,
      url: plan.target.url,
      branch: null,
      current: null,
      drift: true,
      error: {
        kind: "unknown",
        message: `${plan.target.repo}: not read before the interrupt`,
      },
    }),
    deps.signal,
  );
  const authFailed = results.some((r) => r.error?.kind === "auth");
  return { results, authFailed };
}
