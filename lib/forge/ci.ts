/**
 * Following a commit's CI to its result over Gitea's commit statuses. The
 * result is computed here from the newest status per context, never taken
 * from the server's combined `state` (whose rules differ between 1.22 and
 * 1.25), and "no status yet" is its own outcome, never pending or green.
 * The clock and the sleep are injectable, so tests never really wait.
 *
 * @module
 */

import { InterruptedError } from "../errors.ts";
import { sleep as realSleep } from "../engine/retry.ts";
import type { ForgeClient } from "./client.ts";
import type { CommitStatus, CommitStatusState } from "./types.ts";

/** Outcome of a commit's CI as cascade reports it. */
export type CiState = "success" | "failure" | "pending" | "none";

/** One context's newest status. */
export interface CiContext {
  /** E.g. `publish-image / build (push)`. */
  context: string;
  /** Its newest state. */
  state: CommitStatusState;
  /** Link to the run, or null. */
  targetUrl: string | null;
  /** The server's description, e.g. "Has been cancelled". */
  description: string;
}

/** What following (or reading) a commit's CI found. */
export interface CiResult {
  /** The outcome. */
  state: CiState;
  /** Every counted context, sorted by name. */
  contexts: CiContext[];
  /** Target URL of the first failing context, or null. */
  url: string | null;
  /** Time spent waiting, in milliseconds. */
  waitedMs: number;
  /** The commit whose statuses decided (differs after a cancel-follow). */
  sha: string;
  /** Why `none`, why still pending, or that a newer tip was followed. */
  note?: string;
}

/** The commit to follow. */
export interface CiTarget {
  /** Repo owner. */
  owner: string;
  /** Repo name. */
  repo: string;
  /** The commit cascade pushed. */
  sha: string;
  /** The branch it was pushed to. */
  branch: string;
}

/** The one client call the follower needs. */
export type StatusReader = Pick<ForgeClient, "combinedStatus">;

/** Lets the follower move on to a newer tip after a cancel. */
export interface BranchMoved {
  /** The branch's tip now, or null when unknown. */
  tipOf(): Promise<string | null>;
  /** Whether `newSha` still holds what cascade pushed. */
  followable(newSha: string): Promise<boolean>;
}

/** How to read or follow. */
export interface CiOptions {
  /** Only contexts matching one of these globs (`*` = any run) count. */
  contexts?: readonly string[];
}

/** How to follow. */
export interface FollowOptions extends CiOptions {
  /** Give up (still pending) after this long (default 30 min). */
  waitTimeoutMs?: number;
  /** No status at all by then means `none` (default 2 min). */
  waitStartMs?: number;
  /** First poll interval (default 1 s); it grows to `maxIntervalMs`. */
  minIntervalMs?: number;
  /** Longest poll interval (default 15 s). */
  maxIntervalMs?: number;
  /** Each interval is the previous one times this (default 1.5). */
  growth?: number;
  /** Each wait is the interval ± this fraction, at random (default 0.2). */
  jitter?: number;
  /** Stops the follow: it then throws {@linkcode InterruptedError}. */
  signal?: AbortSignal;
  /** A newer push cancelled our run: maybe follow the new tip. */
  branchMoved?: BranchMoved;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Sleep that resolves false when `signal` aborts (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
  /** Uniform random in [0, 1) for jitter (tests). */
  random?: () => number;
}

/** Why a commit may never get a status: the tail of a `none` note. */
const NO_STATUS_CAUSES =
  "no workflow runs on a push to this branch, Actions are off for the repo, " +
  "the push was made with a workflow's own token, or the commit message " +
  "holds a skip-ci marker such as [skip ci]";

/** Whether `text` matches `glob`, where `*` matches any run of characters. */
export function globMatch(glob: string, text: string): boolean {
  const pattern = glob.split("*").map((part) =>
    part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")
  ).join(".*");
  return new RegExp(`^${pattern}$`, "s").test(text);
}

/**
 * The outcome of a set of statuses: the newest per context (by id), only
 * contexts matching `globs`; error/failure → failure, any pending →
 * pending, else success (warning and skipped pass); none without any.
 */
export function evaluateStatuses(
  statuses: readonly CommitStatus[],
  globs?: readonly string[],
): Pick<CiResult, "state" | "contexts" | "url"> {
  const newest = new Map<string, CommitStatus>();
  for (const status of [...statuses].sort((a, b) => b.id - a.id)) {
    if (newest.has(status.context)) continue;
    if (globs && !globs.some((g) => globMatch(g, status.context))) continue;
    newest.set(status.context, status);
  }
  const contexts: CiContext[] = [...newest.values()]
    .sort((a, b) => (a.context < b.context ? -1 : 1))
    .map((s) => ({
      context: s.context,
      state: s.status,
      targetUrl: s.target_url === "" ? null : s.target_url,
      description: s.description,
    }));
  const failing = contexts.filter((c) =>
    c.state === "failure" || c.state === "error"
  );
  if (contexts.length === 0) return { state: "none", contexts, url: null };
  if (failing.length > 0) {
    const url = failing.find((c) => c.targetUrl !== null)?.targetUrl ?? null;
    return { state: "failure", contexts, url };
  }
  if (contexts.some((c) => c.state === "pending")) {
    return { state: "pending", contexts, url: null };
  }
  return { state: "success", contexts, url: null };
}

/** One read of a commit's CI, without waiting (`status --ci`). */
export async function readCommitCi(
  client: StatusReader,
  target: CiTarget,
  options: CiOptions = {},
): Promise<CiResult> {
  const { value } = await client.combinedStatus(
    target.owner,
    target.repo,
    target.sha,
  );
  const result = evaluateStatuses(value.statuses, options.contexts);
  return {
    ...result,
    waitedMs: 0,
    sha: target.sha,
    ...(result.state === "none"
      ? { note: `no status yet; possible causes: ${NO_STATUS_CAUSES}` }
      : {}),
  };
}

/**
 * Follows a commit's CI until it is final, `none` (no status by
 * `waitStartMs`), or still pending at `waitTimeoutMs`. Polls at intervals
 * growing from `minIntervalMs` to `maxIntervalMs`, with jitter: about one
 * request per interval. When every failing context says "Has been
 * cancelled" and `branchMoved` shows a newer tip it deems followable, the
 * follow moves to that tip and says so in `note`.
 */
export async function followCommit(
  client: StatusReader,
  target: CiTarget,
  options: FollowOptions = {},
): Promise<CiResult> {
  const now = options.now ?? Date.now;
  const pause = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const waitTimeoutMs = options.waitTimeoutMs ?? 30 * 60_000;
  const waitStartMs = options.waitStartMs ?? 2 * 60_000;
  const maxIntervalMs = options.maxIntervalMs ?? 15_000;
  let interval = options.minIntervalMs ?? 1000;
  const start = now();
  let sha = target.sha;
  let shaSince = start;
  const notes: string[] = [];
  const done = (
    result: Pick<CiResult, "state" | "contexts" | "url">,
    note?: string,
  ): CiResult => {
    if (note) notes.push(note);
    return {
      ...result,
      waitedMs: now() - start,
      sha,
      ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
    };
  };
  for (;;) {
    if (options.signal?.aborted) throw new InterruptedError();
    const { value } = await client.combinedStatus(
      target.owner,
      target.repo,
      sha,
    );
    const result = evaluateStatuses(value.statuses, options.contexts);
    const elapsed = now() - start;
    const moved = await newerTip(result, sha, options.branchMoved);
    if (moved !== null) {
      const note = cancelledNote(sha, moved, target.branch);
      if (!moved.followable) return done(result, note);
      notes.push(note);
      sha = moved.tip;
      shaSince = now();
      continue;
    }
    if (result.state === "success" || result.state === "failure") {
      return done(result);
    }
    if (result.state === "none" && now() - shaSince >= waitStartMs) {
      return done(result, noStatusNote(value.statuses, waitStartMs));
    }
    if (elapsed >= waitTimeoutMs) {
      return done(
        result,
        `still ${result.state} after ${shownSeconds(waitTimeoutMs)} s`,
      );
    }
    const next = result.state === "none"
      ? Math.min(shaSince + waitStartMs, start + waitTimeoutMs)
      : start + waitTimeoutMs;
    const wait = pollPause(interval, next - now(), options.jitter, random);
    if (!await pause(wait, options.signal)) throw new InterruptedError();
    interval = Math.min(
      maxIntervalMs,
      Math.round(interval * (options.growth ?? 1.5)),
    );
  }
}

/** The note of a follow whose run a newer push to `branch` cancelled. */
function cancelledNote(
  sha: string,
  moved: { tip: string; followable: boolean },
  branch: string,
): string {
  const tip = moved.tip.slice(0, 10);
  return moved.followable
    ? `the run for ${
      sha.slice(0, 10)
    } was cancelled by a newer push to ${branch}; followed ${tip}, which still holds the version`
    : `cancelled by a newer push to ${branch} (${tip}) that no longer holds the version`;
}

/** The note of a follow that saw no (matching) status by `waitStartMs`. */
function noStatusNote(
  statuses: readonly { context: string }[],
  waitStartMs: number,
): string {
  const seconds = shownSeconds(waitStartMs);
  const others = new Set(statuses.map((s) => s.context)).size;
  return others > 0
    ? `no status matching the contexts asked for after ${seconds} s (${others} other contexts reported)`
    : `no status after ${seconds} s; possible causes: ${NO_STATUS_CAUSES}`;
}

/**
 * The pause before a follow's next poll: `interval` ± `jitter` (a
 * fraction, default 0.2) at random, never past `untilMs` from now, at
 * least 1 ms. The follows of commits and of dispatched runs pace alike.
 */
export function pollPause(
  interval: number,
  untilMs: number,
  jitter = 0.2,
  random: () => number = Math.random,
): number {
  const jittered = interval * (1 - jitter + 2 * jitter * random());
  return Math.max(1, Math.round(Math.min(jittered, untilMs)));
}

/** Seconds as a note says them: `0.3`, `90`. */
export function shownSeconds(ms: number): string {
  return ms < 10_000
    ? String(Math.round(ms / 100) / 10)
    : String(Math.round(ms / 1000));
}

/**
 * When every failing context of a red result was cancelled and the branch
 * has a newer tip: that tip and whether it still holds the version; else
 * null.
 */
async function newerTip(
  result: Pick<CiResult, "state" | "contexts">,
  sha: string,
  branchMoved: BranchMoved | undefined,
): Promise<{ tip: string; followable: boolean } | null> {
  if (result.state !== "failure" || branchMoved === undefined) return null;
  const failing = result.contexts.filter((c) =>
    c.state === "failure" || c.state === "error"
  );
  if (!failing.every((c) => /has been cancelled/i.test(c.description))) {
    return null;
  }
  const tip = await branchMoved.tipOf();
  if (tip === null || tip === sha) return null;
  return { tip, followable: await branchMoved.followable(tip) };
}
