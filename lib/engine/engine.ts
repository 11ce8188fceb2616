/**
 * The one engine: runs a step over N templates with bounded concurrency,
 * progress hooks, a per-template log and interrupts. Before any step, a
 * parallel preflight reads every target's refs (its default branch and
 * tip); each template goes on as soon as its own answer is in. What a step
 * does with a template (push a commit, read its status, and later dispatch
 * or follow CI) is the step's business, in a file of its own.
 *
 * @module
 */

import {
  ADVICE,
  InterruptedError,
  reportError,
  TemplateError,
} from "../errors.ts";
import { configEnv, type GitRunner } from "../git/runner.ts";
import type { HttpRefs } from "../git/transport.ts";
import type {
  CiOutcome,
  Report,
  ReportError,
  RunHead,
  TemplateResult,
} from "../model.ts";
import { createLimiter, mapPool } from "./pool.ts";
import {
  authorizationFor,
  MAX_REDIRECT_HOPS,
  type RedirectCheck,
  redirectTarget,
} from "../git/redirect.ts";
import { releaseHeld, type RemoteContext } from "../git/context.ts";
import { lsRemote, promisorConfig } from "../git/remote.ts";
import type { Backoff } from "./retry.ts";
import { removeWorkRepo } from "./workdir.ts";
import type { ForgeAccess } from "../forge/access.ts";
import type { CiReader } from "../forge/ci_reader.ts";
import type { Target } from "../targets/target.ts";

/** One target and how its git processes and reads are set up. */
export interface Plan {
  /** The target. */
  target: Target;
  /** Git config pairs for this target's processes (base + credentials). */
  gitConfig: readonly (readonly [string, string])[];
  /** How to read its refs without git, or null/absent: with git. */
  httpRefs?: HttpRefs | null;
  /**
   * Whether the run may connect to the target's host itself (the run's
   * access decides, `ForgeAccess.netGranted`), to see where a redirect
   * points; absent: it may not.
   */
  netAllowed?: boolean;
  /**
   * What to say when its credentials are refused, when the generic advice
   * would mislead (no token was sent to it); null for the generic advice.
   */
  authAdvice?: string | null;
}

/** What every run reads: the version, the file, the branch, the bounds. */
export interface ReadSettings {
  /** The version. */
  version: string;
  /** Normalised path of the version file. */
  file: string;
  /** `--branch`, else each repo's default branch. */
  branch?: string | undefined;
  /** Templates in flight at once. */
  concurrency: number;
  /** Per network operation, in milliseconds. */
  timeoutMs: number;
}

/** Wiring: git, a temp dir of ours, interrupt and progress hooks. */
export interface EngineDeps {
  /** The git runner. */
  git: GitRunner;
  /** An empty directory this run owns (removed by the caller). */
  workDir: string;
  /** Aborted on interrupt. */
  signal: AbortSignal;
  /** Now, in milliseconds since the epoch (default: the system clock). */
  now?: (() => number) | undefined;
  /** A template started (after its preflight). */
  onStart?: (index: number) => void;
  /** A template finished, with its buffered log lines. */
  onDone?: (index: number, title: string, log: string[]) => void;
  /**
   * A template's preflight followed a same-origin redirect: `from` (its
   * plan's target) is now at `to`. Called before its step runs, so the
   * run's API requests for that repo go to the new name too.
   */
  onMoved?: (from: Target, to: Target) => void;
}

/** A template whose refs were read: ready for the step. */
export interface TemplateTask {
  /** The target. */
  target: Target;
  /** Its git context. */
  ctx: RemoteContext;
  /** The branch to use. */
  branch: string;
  /** Its tip, as the preflight saw it. */
  tip: string;
  /** Log lines, printed as one block when the template finishes. */
  log: string[];
  /** Aborted on interrupt. */
  signal: AbortSignal;
  /** Templates whose preflight refused the credentials (settles later). */
  refused: Promise<number>;
}

/** What a step gets for a template that never reached it. */
export interface Unreached {
  /** The target. */
  target: Target;
  /** The branch, when the preflight learned it. */
  branch: string | null;
  /** Why it was not reached: its preflight's error, if any. */
  error?: ReportError;
  /** True when an interrupt stopped it. */
  interrupted: boolean;
  /** True when it was never started at all (the interrupt came first). */
  notStarted: boolean;
}

/** What a command does per template. */
export interface Step<R extends TemplateResult> {
  /** Templates in flight at once. */
  slots: number;
  /** Runs one template whose refs were read. */
  run(task: TemplateTask): Promise<R>;
  /** The result of a template that did not reach `run`. */
  unreached(why: Unreached): R;
  /** The title of the template's log block. */
  title(result: R): string;
}

/** What a mode gets besides the engine's wiring. */
export interface ModeDeps extends EngineDeps {
  /** Backoff between attempts. */
  backoff: Backoff;
  /** The run's access to the forge API (dispatch, CI). */
  access: ForgeAccess;
  /** Reads CI over the forge API (`--wait`, `status --ci`), else absent. */
  ci?: CiReader | undefined;
  /** A template's CI: null when the wait starts, then its outcome. */
  onCi?: (index: number, ci: CiOutcome | null) => void;
}

/**
 * A command that runs over templates (push, status, dispatch): it makes
 * its step from its settings `S`, runs it on the engine, and builds its
 * report.
 */
export interface Mode<S> {
  /** Runs the command over the plans. */
  run(
    plans: readonly Plan[],
    settings: S,
    deps: ModeDeps,
  ): Promise<ModeRun>;
}

/** What a mode's run gives the entry. */
export interface ModeRun {
  /** Templates whose preflight found the credentials refused. */
  refused: number;
  /** The report, given its head (known once the run is over). */
  report(head: RunHead): Report;
  /** Warnings about the run as a whole, one line each. */
  warnings?: string[];
}

/** The outcome of a run. */
export interface EngineRun<R> {
  /** One per plan, in input order. */
  results: R[];
  /** Templates whose preflight found the credentials refused. */
  refused: number;
}

type Preflight =
  | { ok: true; branch: string; tip: string; target: Target; moved: boolean }
  | { ok: false; error: ReportError; interrupted: boolean };

/** The git context of one template, at `target` (its plan's, or moved). */
function contextFor(
  plan: Plan,
  target: Target,
  index: number,
  settings: ReadSettings,
  deps: EngineDeps,
): RemoteContext {
  return {
    git: deps.git,
    url: target.url,
    env: configEnv([...plan.gitConfig, ...promisorConfig(target.url)]),
    timeoutMs: settings.timeoutMs,
    gitDir: `${deps.workDir}/t${index}.git`,
    scratchDir: deps.workDir,
    signal: deps.signal,
    httpRefs: plan.httpRefs ? { ...plan.httpRefs, url: target.url } : null,
    written: new Map(),
    ...(deps.now === undefined ? {} : { now: deps.now }),
    authAdvice: plan.authAdvice ?? null,
  };
}

/**
 * Reads one target's default branch (or `--branch`) and its tip. A
 * redirect is followed within the target's origin (a renamed repository:
 * the template goes on at the new URL); one to another origin fails the
 * template as `moved`, and nothing is sent there.
 */
async function preflightOne(
  plan: Plan,
  ctxAt: (target: Target) => RemoteContext,
  settings: ReadSettings,
  signal: AbortSignal,
): Promise<Preflight> {
  let target = plan.target;
  if (signal.aborted) {
    return {
      ok: false,
      error: { kind: "unknown", message: `${target.repo}: not started` },
      interrupted: true,
    };
  }
  try {
    for (let hop = 0;; hop++) {
      try {
        const { branch, tip } = await readHead(ctxAt(target), settings);
        return { ok: true, branch, tip, target, moved: hop > 0 };
      } catch (error) {
        const moved = error instanceof TemplateError && error.kind === "moved";
        if (!moved || target.origin === null || hop >= MAX_REDIRECT_HOPS) {
          throw error;
        }
        const credentials = authorizationFor(plan.gitConfig, target.origin);
        target = await followRedirect(target, settings, signal, {
          authorization: credentials,
          netAllowed: plan.netAllowed === true,
        });
      }
    }
  } catch (error) {
    return {
      ok: false,
      error: reportError(error, plan.target.repo),
      interrupted: error instanceof InterruptedError,
    };
  }
}

/** The branch to use and its tip, from the server's refs. */
async function readHead(
  ctx: RemoteContext,
  settings: ReadSettings,
): Promise<{ branch: string; tip: string }> {
  const head = await lsRemote(ctx, settings.branch);
  const branch = settings.branch ?? head.defaultBranch;
  if (branch === null) {
    throw new TemplateError(
      "invalid",
      head.tips.size === 0 && settings.branch === undefined
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
  return { branch, tip };
}

/**
 * The target a redirect points at, when it stays on the target's origin;
 * else a `moved` failure that says where the server pointed (or that the
 * run may not ask: no `--allow-net` for the host).
 */
async function followRedirect(
  target: Target,
  settings: ReadSettings,
  signal: AbortSignal,
  ask: { authorization: string | null; netAllowed: boolean },
): Promise<Target> {
  const step = "reading the branches";
  const check: RedirectCheck = ask.netAllowed
    ? await redirectTarget(
      target.url,
      settings.timeoutMs,
      signal,
      ask.authorization,
    )
    : {
      kind: "unknown",
      why: `cascade needs --allow-net to see where ${
        new URL(target.url).host
      } redirects`,
    };
  if (check.kind === "unknown") {
    throw new TemplateError(
      "moved",
      `${step}: the server answered with a redirect (${check.why}); check the target's URL`,
    );
  }
  const origin = new URL(check.url).origin;
  if (origin !== target.origin) {
    throw new TemplateError(
      "moved",
      `${step}: the server redirects to ${check.url}, on another server; ${ADVICE.moved}`,
    );
  }
  return { ...target, url: check.url };
}

/**
 * Runs `step` over the plans: every target's preflight starts at once
 * (bounded), and at most `step.slots` templates are in the step at once.
 * Results keep the input order. After an interrupt no template starts:
 * those not started get the step's `unreached` result.
 */
export async function runTemplates<R extends TemplateResult>(
  plans: readonly Plan[],
  settings: ReadSettings,
  step: Step<R>,
  deps: EngineDeps,
): Promise<EngineRun<R>> {
  const ctxAt = (plan: Plan, index: number) => (target: Target) =>
    contextFor(plan, target, index, settings, deps);
  const limit = createLimiter(Math.max(settings.concurrency, 8));
  const flights = plans.map((plan, index) =>
    limit(() => preflightOne(plan, ctxAt(plan, index), settings, deps.signal))
  );
  const refused = Promise.all(flights).then((all) =>
    all.filter((f) => !f.ok && f.error.kind === "auth").length
  );
  const results = await mapPool<Plan, R>(
    plans,
    step.slots,
    async (plan, index): Promise<R> => {
      const flight = await (flights[index] as Promise<Preflight>);
      const log: string[] = [];
      let result: R;
      if (!flight.ok) {
        result = step.unreached({
          target: plan.target,
          branch: null,
          error: flight.error,
          interrupted: flight.interrupted,
          notStarted: false,
        });
      } else {
        if (flight.moved) deps.onMoved?.(plan.target, flight.target);
        deps.onStart?.(index);
        const ctx = ctxAt(plan, index)(flight.target);
        try {
          result = await step.run({
            target: flight.target,
            ctx,
            branch: flight.branch,
            tip: flight.tip,
            log,
            signal: deps.signal,
            refused,
          });
        } finally {
          // Temp space and memory follow the concurrency: the work repo
          // and the objects held go when the template ends.
          await removeWorkRepo(ctx.gitDir);
          releaseHeld(ctx);
        }
      }
      if (flight.ok && flight.moved) result.movedTo = flight.target.url;
      if (result.error) {
        log.push(`${result.error.kind}: ${result.error.message}`);
      } else if (result.reason) log.push(result.reason);
      deps.onDone?.(index, step.title(result), log);
      return result;
    },
    (plan) =>
      step.unreached({
        target: plan.target,
        branch: null,
        interrupted: true,
        notStarted: true,
      }),
    deps.signal,
  );
  return { results, refused: await refused };
}
