/**
 * The cascade itself: a parallel preflight (`ls-remote` of every target),
 * then per template, with bounded parallelism, a shallow fetch of the tip,
 * a one-file commit and a non-force push, retried exactly when the branch
 * moved. `status` shares the read path.
 *
 * @module
 */

import { configEnv, type GitRunner } from "./git.ts";
import {
  ADVICE,
  type ErrorKind,
  InterruptedError,
  TemplateError,
} from "./errors.ts";
import type { HttpRefs } from "./http_refs.ts";
import { createLimiter, mapPool } from "./pool.ts";
import {
  fetchTip,
  initRepo,
  isAncestor,
  lsRemote,
  promisorConfig,
  push,
  type RemoteContext,
  type RemoteHead,
} from "./remote.ts";
import type { PushResult, ReportError, StatusResult } from "./report.ts";
import { type Backoff, backoffDelay, sleep } from "./retry.ts";
import type { Target } from "./targets.ts";
import { compareVersions } from "./version_order.ts";
import {
  readVersionState,
  type VersionState,
  writeVersionCommit,
} from "./version_state.ts";

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
  };
}

function errorOf(error: unknown, repo: string): ReportError {
  if (error instanceof TemplateError) {
    return { kind: error.kind, message: `${repo}: ${error.message}` };
  }
  const text = error instanceof Error ? error.message : String(error);
  return {
    kind: "unknown",
    message: `${repo}: ${text.split("\n")[0]}; ${ADVICE.unknown}`,
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
      const ctx = contextFor(plan, index, deps, config.timeoutMs);
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
          error: errorOf(error, plan.target.repo),
          interrupted: error instanceof InterruptedError,
        };
      }
    })
  );
}

/**
 * Makes the template's work repo and fetches the tip the preflight saw, with
 * the trees down to `depth` levels. Returns the fetched tip.
 */
async function openTip(
  ctx: RemoteContext,
  flight: Extract<Preflight, { ok: true }>,
  depth: number,
): Promise<string> {
  await initRepo(ctx, flight.tip.length === 64 ? "sha256" : "sha1");
  return await fetchTip(ctx, flight.branch, flight.tip, depth);
}

/** Runs `cascade push` over the plans. */
export async function runPush(
  plans: readonly Plan[],
  config: PushConfig,
  deps: EngineDeps,
): Promise<PushRun> {
  const started = plans.map(() => performance.now());
  const flights = preflight(plans, config, deps);
  // Read-only work starts as soon as a template's own preflight answers;
  // pushes wait for every preflight: refused credentials anywhere stop all.
  const authFailures = Promise.all(flights).then((all) =>
    all.filter((f) => !f.ok && f.error.kind === "auth").length
  );
  const results = await mapPool<Plan, PushResult>(
    plans,
    config.concurrency,
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
          ? interrupted(base)
          : { ...base, error: flight.error };
      } else {
        deps.onStart?.(index);
        started[index] = performance.now();
        result = await pushOne(
          plan,
          index,
          flight,
          base,
          config,
          { ...deps, authFailures },
          log,
        );
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

function interrupted(base: PushResult): PushResult {
  return {
    ...base,
    status: "interrupted",
    reason: "interrupted before it finished; re-run to finish (it is safe)",
  };
}

async function pushOne(
  plan: Plan,
  index: number,
  flight: Extract<Preflight, { ok: true }>,
  base: PushResult,
  config: PushConfig,
  deps: EngineDeps & { authFailures: Promise<number> },
  log: string[],
): Promise<PushResult> {
  const ctx = contextFor(plan, index, deps, config.timeoutMs);
  const branch = flight.branch;
  const result: PushResult = { ...base };
  const fail = (kind: ErrorKind, message: string): PushResult => ({
    ...result,
    status: "failed",
    error: { kind, message: `${plan.target.repo}: ${message}` },
  });
  try {
    // Trees down to the deepest path read, so that nothing is fetched lazily.
    const depth = Math.max(
      ...[config.file, ...config.probes].map((p) => p.split("/").length),
    );
    let tip = await openTip(ctx, flight, depth);
    log.push(`${branch} at ${tip.slice(0, 10)}`);
    let first: VersionState | null = null;
    for (let attempt = 1;; attempt++) {
      const state = await readVersionState(
        ctx,
        tip,
        config.file,
        config.version,
        first === null ? config.probes : [],
      );
      if (first === null) {
        first = state;
        result.previous = state.content?.display ?? null;
        log.push(`${config.file}: ${result.previous ?? "(none)"}`);
        if (config.probes.length > 0 && state.wiredBy.length === 0) {
          return {
            ...result,
            status: "skipped",
            reason: `not wired: none of ${config.probes.join(", ")} mentions ${
              config.file.split("/").pop()
            }`,
          };
        }
        const prev = state.content?.value;
        const order = prev ? compareVersions(prev, config.version) : null;
        if (order !== null && order.order > 0) {
          result.downgrade = true;
          if (config.noDowngrade) {
            return {
              ...result,
              status: "skipped",
              reason:
                `holds ${prev}, newer than ${config.version}; --no-downgrade refuses to lower it`,
            };
          }
          log.push(`downgrade: ${prev} -> ${config.version}`);
        }
      } else {
        const now = state.content?.value ?? null;
        const before = first.content?.value ?? null;
        if (!state.current && now !== before) {
          // Someone else changed the file since this run first read it.
          const order = now === null
            ? null
            : compareVersions(now, config.version);
          const shown = state.content?.display ?? "(removed)";
          if (order === null || order.order > 0) {
            return {
              ...result,
              status: "superseded",
              current: shown,
              reason: order === null
                ? `another publisher set ${shown}, which cannot be ordered against ${config.version}; left as is`
                : `another publisher set ${shown}, newer than ${config.version}; left as is`,
            };
          }
          log.push(`another publisher set ${shown} (older): overwriting`);
        }
      }
      if (state.current) {
        log.push(
          attempt === 1
            ? "already at the version"
            : "another publisher already set the version",
        );
        return {
          ...result,
          status: "unchanged",
          ...(attempt > 1
            ? { reason: "set by another publisher meanwhile" }
            : {}),
        };
      }
      const commit = await writeVersionCommit(
        ctx,
        state,
        config.file,
        config.version,
        config.message,
        config.author,
      );
      const refused = await deps.authFailures;
      if (refused > 0) {
        return {
          ...result,
          status: "skipped",
          reason:
            `not attempted: credentials were refused for ${refused} template(s), so nothing was pushed`,
        };
      }
      if (config.dryRun) {
        log.push(`dry run: built ${commit.slice(0, 10)}, not pushed`);
        return { ...result, status: "updated", reason: "dry run: not pushed" };
      }
      result.attempts = attempt;
      const outcome = await push(ctx, commit, branch);
      if (outcome.ok) {
        log.push(
          `attempt ${attempt}: pushed ${commit.slice(0, 10)} to ${branch}`,
        );
        result.commit = commit;
        return await verify(ctx, result, commit, branch, log, fail);
      }
      const head = await lsRemote(ctx, branch);
      const remoteTip = head.tips.get(branch);
      const moved = remoteTip !== tip;
      const lock = /lock|failed to update ref|incorrect old value/i.test(
        `${outcome.reason} ${outcome.words}`,
      );
      if (!moved && !lock) {
        const words = outcome.words ? `: ${outcome.words}` : "";
        return fail(
          "rejected",
          `push to ${branch} refused (${outcome.reason})${words}; ${ADVICE.rejected}`,
        );
      }
      log.push(
        `attempt ${attempt} rejected (${outcome.reason}): ${
          moved
            ? `${branch} moved to ${remoteTip?.slice(0, 10) ?? "(gone)"}`
            : "ref locked"
        }`,
      );
      if (attempt >= config.attempts) {
        return fail(
          "conflict",
          `${branch} kept moving: ${attempt} push attempts rejected; ${ADVICE.conflict}`,
        );
      }
      const wait = backoffDelay(attempt, deps.backoff);
      if (!await sleep(wait, deps.signal)) throw new InterruptedError();
      tip = await fetchTip(ctx, branch, remoteTip, depth);
    }
  } catch (error) {
    if (error instanceof InterruptedError || deps.signal.aborted) {
      return interrupted(result);
    }
    const e = errorOf(error, plan.target.repo);
    return { ...result, status: "failed", error: e };
  }
}

async function verify(
  ctx: RemoteContext,
  result: PushResult,
  commit: string,
  branch: string,
  log: string[],
  fail: (kind: ErrorKind, message: string) => PushResult,
): Promise<PushResult> {
  const head = await lsRemote(ctx, branch);
  const remoteTip = head.tips.get(branch);
  if (
    remoteTip !== undefined &&
    (remoteTip === commit || await isAncestor(ctx, commit, remoteTip, branch))
  ) {
    log.push(`verified: ${branch} at ${remoteTip.slice(0, 10)}`);
    return { ...result, status: "updated", verified: true };
  }
  return {
    ...fail(
      "conflict",
      `pushed ${commit.slice(0, 10)} but ${branch} is now at ${
        remoteTip?.slice(0, 10) ?? "(gone)"
      }, which does not contain it; check the branch history, then re-run`,
    ),
    verified: false,
  };
}

/** Runs `cascade status` over the plans: read only. */
export async function runStatus(
  plans: readonly Plan[],
  config: ReadConfig,
  deps: EngineDeps,
): Promise<{ results: StatusResult[]; authFailed: boolean }> {
  const flights = preflight(plans, config, deps);
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
        const ctx = contextFor(plan, index, deps, config.timeoutMs);
        try {
          const tip = await openTip(ctx, flight, config.file.split("/").length);
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
          result = { ...base, error: errorOf(error, plan.target.repo) };
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
