/**
 * Landing one template's commit: the push (never forced), the race rule
 * when the branch moved meanwhile (re-read, re-apply, push again, or leave
 * a newer value alone), and the verification that the branch holds the
 * commit afterwards.
 *
 * @module
 */

import type { ReadSettings, TemplateTask } from "../../engine/engine.ts";
import {
  ADVICE,
  type ErrorKind,
  InterruptedError,
  TemplateError,
} from "../../errors.ts";
import type { PushResult } from "../../model.ts";
import type { createLimiter } from "../../engine/pool.ts";
import {
  fetchTip,
  isAncestor,
  lsRemote,
  push,
  type PushOutcome,
} from "../../git/remote.ts";
import { type Backoff, backoffDelay, sleep } from "../../engine/retry.ts";
import { compareVersions } from "../../version/order.ts";
import {
  readVersionState,
  type VersionState,
  writeVersionCommit,
} from "../../version/state.ts";

/** What `push` needs beyond reading. */
export interface PushSettings extends ReadSettings {
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
  /** Backoff between push attempts. */
  backoff: Backoff;
}

/** A bound on tasks in flight (see {@linkcode createLimiter}). */
export type Limiter = ReturnType<typeof createLimiter>;

/** One template's push: its task, the run's settings and bounds. */
export interface TemplateRun extends TemplateTask {
  /** The run's settings. */
  settings: PushSettings;
  /** Bounds templates reading at once. */
  reading: Limiter;
  /** Bounds templates pushing at once. */
  landing: Limiter;
}

/** The commit read and built for a template, ready to push. */
export interface Prepared {
  /** The tip it was built on. */
  tip: string;
  /** The version file as first read. */
  first: VersionState;
  /** The commit. */
  commit: string;
}

/**
 * Pushes the commit, never forced. After a rejection: if the branch moved
 * (or its ref was locked by a concurrent push), fetch the new tip, re-read,
 * re-apply and push again after a backoff, up to `--attempts`; if it did
 * not move, the server refused. Null when a push landed (`result.commit`
 * set); else the final result.
 */
export async function land(
  run: TemplateRun,
  result: PushResult,
  prepared: Prepared,
  depth: number,
): Promise<PushResult | null> {
  const { ctx, settings, log, branch } = run;
  let { tip, commit } = prepared;
  const fail = (kind: ErrorKind, message: string): PushResult => ({
    ...result,
    status: "failed",
    error: { kind, message: `${run.target.repo}: ${message}` },
  });
  for (let attempt = 1;; attempt++) {
    result.attempts = attempt;
    const outcome = await pushOrFindLanded(run, commit, attempt);
    if (outcome.ok) {
      result.commit = commit;
      return null;
    }
    const { remoteTip } = outcome;
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
    if (attempt >= settings.attempts) {
      return fail(
        "conflict",
        `${branch} kept moving: ${attempt} push attempts rejected; ${ADVICE.conflict}`,
      );
    }
    if (!await sleep(backoffDelay(attempt, settings.backoff), run.signal)) {
      throw new InterruptedError();
    }
    tip = await fetchTip(ctx, branch, remoteTip, depth);
    const state = await readVersionState(
      ctx,
      tip,
      settings.file,
      settings.version,
    );
    const settled = afterRace(run, result, prepared.first, state);
    if (settled !== null) return settled;
    commit = await writeVersionCommit(
      ctx,
      state,
      settings.file,
      settings.version,
      settings.message,
      settings.author,
    );
  }
}

/** A push that did not land: git's reason, the server's words, the tip. */
interface Rejected {
  ok: false;
  reason: string;
  words: string;
  remoteTip: string | undefined;
}

/**
 * Pushes `commit` and says whether it landed. When the push's answer is
 * lost (a dropped connection, a timeout, an unreadable answer after the
 * server may have taken it), or a rejection looked like a lock race, the
 * branch is read: if it holds the commit, the push landed — never
 * "another publisher" about our own commit. Otherwise the push's own error
 * stands, or the rejection with the branch's tip.
 */
async function pushOrFindLanded(
  run: TemplateRun,
  commit: string,
  attempt: number,
): Promise<{ ok: true } | Rejected> {
  const { ctx, branch, log } = run;
  const short = commit.slice(0, 10);
  let outcome: PushOutcome;
  try {
    outcome = await push(ctx, commit, branch);
  } catch (error) {
    const lost = error instanceof TemplateError &&
      ["network", "timeout", "unknown"].includes(error.kind) &&
      !run.signal.aborted;
    if (!lost) throw error;
    let landed = false;
    try {
      const tip = (await lsRemote(ctx, branch)).tips.get(branch);
      landed = tip !== undefined &&
        (tip === commit || await isAncestor(ctx, commit, tip, branch));
    } catch { /* the server is still away: the push's error says why */ }
    if (!landed) throw error;
    log.push(
      `the push's answer was lost (${error.kind}), but ${branch} holds ${short}`,
    );
    return { ok: true };
  }
  if (outcome.ok) {
    log.push(`attempt ${attempt}: pushed ${short} to ${branch}`);
    return outcome;
  }
  const remoteTip = (await lsRemote(ctx, branch)).tips.get(branch);
  if (remoteTip !== undefined && await holds(run, remoteTip, commit)) {
    // Two answers crossed, or another commit landed on top of ours: the
    // server took our commit whatever it answered.
    log.push(
      `attempt ${attempt}: rejected (${outcome.reason}), but ${branch} holds ${short}: it landed`,
    );
    return { ok: true };
  }
  return { ok: false, reason: outcome.reason, words: outcome.words, remoteTip };
}

/**
 * Whether the branch at `tip` holds `commit` (it is the tip or in its
 * history); false when that cannot be read (the rejection then stands).
 */
async function holds(
  run: TemplateRun,
  tip: string,
  commit: string,
): Promise<boolean> {
  if (tip === commit) return true;
  try {
    return await isAncestor(run.ctx, commit, tip, run.branch);
  } catch (error) {
    if (run.signal.aborted) throw new InterruptedError();
    if (error instanceof InterruptedError) throw error;
    return false;
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
  const { settings, log } = run;
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
  const order = now === null ? null : compareVersions(now, settings.version);
  const shown = state.content?.display ?? "(removed)";
  if (order === null || order.order > 0) {
    return {
      ...result,
      status: "superseded",
      current: shown,
      reason: order === null
        ? `another publisher set ${shown}, which cannot be ordered against ${settings.version}; left as is`
        : `another publisher set ${shown}, newer than ${settings.version}; left as is`,
    };
  }
  log.push(`another publisher set ${shown} (older): overwriting`);
  return null;
}

/** Confirms the branch is, or contains, the pushed commit. */
export async function verify(
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
      message: `${run.target.repo}: pushed ${
        commit.slice(0, 10)
      } but ${branch} is now at ${
        remoteTip?.slice(0, 10) ?? "(gone)"
      }, which does not contain it; check the branch history, then re-run`,
    },
  };
}
