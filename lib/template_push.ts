/**
 * One template's push, in three phases: read (fetch the tip the preflight
 * saw, read the version file, build the one-file commit), land (push it,
 * and when the branch moved meanwhile, re-read, re-apply and push again),
 * then verify that the branch holds the commit. Reading and landing each
 * run under their own bound, so a run reads the next templates while it
 * pushes the current ones.
 *
 * @module
 */

import type { PushConfig } from "./engine.ts";
import {
  ADVICE,
  type ErrorKind,
  InterruptedError,
  reportError,
} from "./errors.ts";
import type { createLimiter } from "./pool.ts";
import {
  fetchTip,
  isAncestor,
  lsRemote,
  openTip,
  push,
  type RemoteContext,
} from "./remote.ts";
import type { PushResult } from "./report.ts";
import { type Backoff, backoffDelay, sleep } from "./retry.ts";
import { compareVersions } from "./version_order.ts";
import {
  readVersionState,
  type VersionState,
  writeVersionCommit,
} from "./version_state.ts";

/** A bound on tasks in flight (see {@linkcode createLimiter}). */
export type Limiter = ReturnType<typeof createLimiter>;

/** Everything one template's push needs from its run. */
export interface TemplateRun {
  /** The template's git context. */
  ctx: RemoteContext;
  /** The name shown in messages. */
  repo: string;
  /** The branch to push to. */
  branch: string;
  /** Its tip, as the preflight saw it. */
  tip: string;
  /** The run's settings. */
  config: PushConfig;
  /** Bounds templates reading at once. */
  reading: Limiter;
  /** Bounds templates pushing at once. */
  landing: Limiter;
  /** Templates whose preflight refused the credentials (0: push). */
  authFailures: Promise<number>;
  /** Backoff between push attempts. */
  backoff: Backoff;
  /** Aborted on interrupt. */
  signal: AbortSignal;
  /** The template's log lines, printed as one block when it finishes. */
  log: string[];
}

/** The commit read and built for a template, ready to push. */
interface Prepared {
  tip: string;
  first: VersionState;
  commit: string;
}

/** Pushes one template; every outcome, failures included, is a result. */
export async function pushTemplate(
  run: TemplateRun,
  base: PushResult,
): Promise<PushResult> {
  const result: PushResult = { ...base };
  const { config, log } = run;
  try {
    // Trees down to the deepest path read, so that nothing is fetched lazily.
    const depth = Math.max(
      ...[config.file, ...config.probes].map((p) => p.split("/").length),
    );
    const read = await run.reading(() => prepare(run, result, depth));
    if ("status" in read) return read;
    const refused = await run.authFailures;
    if (refused > 0) {
      return {
        ...result,
        status: "skipped",
        reason:
          `not attempted: credentials were refused for ${refused} template(s), so nothing was pushed`,
      };
    }
    if (config.dryRun) {
      log.push(`dry run: built ${read.commit.slice(0, 10)}, not pushed`);
      return { ...result, status: "updated", reason: "dry run: not pushed" };
    }
    const landed = await run.landing(() => land(run, result, read, depth));
    if (landed !== null) return landed;
    return await verify(run, result);
  } catch (error) {
    if (error instanceof InterruptedError || run.signal.aborted) {
      return interruptedResult(result);
    }
    return {
      ...result,
      status: "failed",
      error: reportError(error, run.repo),
    };
  }
}

/** The result of a template an interrupt stopped. */
export function interruptedResult(base: PushResult): PushResult {
  return {
    ...base,
    status: "interrupted",
    reason: "interrupted before it finished; re-run to finish (it is safe)",
  };
}

/**
 * Fetches the tip, reads the file (and the probes), decides, and builds the
 * commit. Returns a final result when there is nothing to push.
 */
async function prepare(
  run: TemplateRun,
  result: PushResult,
  depth: number,
): Promise<Prepared | PushResult> {
  const { ctx, config, log } = run;
  const tip = await openTip(ctx, run.tip, run.branch, depth);
  log.push(`${run.branch} at ${tip.slice(0, 10)}`);
  const first = await readVersionState(
    ctx,
    tip,
    config.file,
    config.version,
    config.probes,
  );
  result.previous = first.content?.display ?? null;
  log.push(`${config.file}: ${result.previous ?? "(none)"}`);
  if (config.probes.length > 0 && first.wiredBy.length === 0) {
    return {
      ...result,
      status: "skipped",
      reason: `not wired: none of ${config.probes.join(", ")} mentions ${
        config.file.split("/").pop()
      }`,
    };
  }
  const prev = first.content?.value;
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
  if (first.current) {
    log.push("already at the version");
    return { ...result, status: "unchanged" };
  }
  const commit = await writeVersionCommit(
    ctx,
    first,
    config.file,
    config.version,
    config.message,
    config.author,
  );
  return { tip, first, commit };
}

/**
 * Pushes the commit, never forced. After a rejection: if the branch moved
 * (or its ref was locked by a concurrent push), fetch the new tip, re-read,
 * re-apply and push again after a backoff, up to `--attempts`; if it did
 * not move, the server refused. Null when a push landed (`result.commit`
 * set); else the final result.
 */
async function land(
  run: TemplateRun,
  result: PushResult,
  prepared: Prepared,
  depth: number,
): Promise<PushResult | null> {
  const { ctx, config, log, branch } = run;
  let { tip, commit } = prepared;
  const fail = (kind: ErrorKind, message: string): PushResult => ({
    ...result,
    status: "failed",
    error: { kind, message: `${run.repo}: ${message}` },
  });
  for (let attempt = 1;; attempt++) {
    result.attempts = attempt;
    const outcome = await push(ctx, commit, branch);
    if (outcome.ok) {
      log.push(
        `attempt ${attempt}: pushed ${commit.slice(0, 10)} to ${branch}`,
      );
      result.commit = commit;
      return null;
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
    if (!await sleep(backoffDelay(attempt, run.backoff), run.signal)) {
      throw new InterruptedError();
    }
    tip = await fetchTip(ctx, branch, remoteTip, depth);
    const state = await readVersionState(ctx, tip, config.file, config.version);
    const settled = afterRace(run, result, prepared.first, state);
    if (settled !== null) return settled;
    commit = await writeVersionCommit(
      ctx,
      state,
      config.file,
      config.version,
      config.message,
      config.author,
    );
  }
}

/**
 * The race rule, on the file as it is after the branch moved: someone else
 * set a newer (or unorderable) value since this run first read it: leave
 * it (`superseded`); set ours: nothing to do; an older value: overwrite
 * (null: push again).
 */
function afterRace(
  run: TemplateRun,
  result: PushResult,
  first: VersionState,
  state: VersionState,
): PushResult | null {
  const { config, log } = run;
  if (state.current) {
    log.push("another publisher already set the version");
    return {
      ...result,
      status: "unchanged",
      reason: "set by another publisher meanwhile",
    };
  }
  const now = state.content?.value ?? null;
  if (now === (first.content?.value ?? null)) return null;
  const order = now === null ? null : compareVersions(now, config.version);
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
  return null;
}

/** Confirms the branch is, or contains, the pushed commit. */
async function verify(
  run: TemplateRun,
  result: PushResult,
): Promise<PushResult> {
  const { ctx, branch, log } = run;
  const commit = result.commit ?? "";
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
    ...result,
    status: "failed",
    verified: false,
    error: {
      kind: "conflict",
      message: `${run.repo}: pushed ${
        commit.slice(0, 10)
      } but ${branch} is now at ${
        remoteTip?.slice(0, 10) ?? "(gone)"
      }, which does not contain it; check the branch history, then re-run`,
    },
  };
}
