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
import { resolveTargetUrl } from "./target_url.ts";
import {
  type BranchMove,
  branchMove,
  type BranchMoved,
} from "./ci_branch_move.ts";
import { type Deadline, DeadlineError } from "../engine/deadline.ts";

export type { BranchMoved } from "./ci_branch_move.ts";

export { resolveTargetUrl } from "./target_url.ts";

/**
 * Outcome of a commit's CI as cascade reports it; `superseded`: still
 * pending on a commit a newer push replaced, on a server that never
 * finishes such a run (Gitea up to 1.23.5).
 */
export type CiState = "success" | "failure" | "pending" | "none" | "superseded";

/** One context's newest status. */
export interface CiContext {
  /** E.g. `publish-image / build (push)`. */
  context: string;
  /** Its newest state. */
  state: CommitStatusState;
  /** Link to the run (a relative one resolved), or null. */
  targetUrl: string | null;
  /** The server's `target_url` when it differs from `targetUrl`. */
  rawUrl?: string;
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
  /** That context's `target_url` as the server sent it, when not `url`. */
  rawUrl?: string;
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

/** What one read of a commit's statuses gives. */
type CommitStatusesRead = Awaited<
  ReturnType<StatusReader["combinedStatus"]>
>["value"];

/** The one client call the follower needs. */
export type StatusReader = Pick<ForgeClient, "combinedStatus">;

/** How to read or follow. */
export interface CiOptions {
  /** Only contexts matching one of these globs (`*` = any run) count. */
  contexts?: readonly string[];
  /**
   * The API's origin: a relative `target_url` (Gitea stores Actions' as
   * `/{o}/{r}/actions/runs/N/jobs/I`) is resolved against it.
   */
  origin?: string;
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
  /**
   * Whether the server leaves a run that a newer push superseded pending
   * for ever (Gitea up to 1.23.5); asked only while pending, with
   * `branchMoved`. Absent: it does not.
   */
  keepsSupersededPending?: () => Promise<boolean>;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Sleep that resolves false when `signal` aborts (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
  /** Uniform random in [0, 1) for jitter (tests). */
  random?: () => number;
  /**
   * The wait's one deadline (default: `waitTimeoutMs` from the start): a
   * read it cuts (a status read, or one of `branchMoved`'s or
   * `keepsSupersededPending`'s) ends the follow as at `waitTimeoutMs`,
   * with the CI seen.
   */
  deadline?: Deadline;
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
 * Relative target URLs are resolved against `origin`.
 */
export function evaluateStatuses(
  statuses: readonly CommitStatus[],
  globs?: readonly string[],
  origin?: string,
): Pick<CiResult, "state" | "contexts" | "url" | "rawUrl"> {
  const newest = new Map<string, CommitStatus>();
  for (const status of [...statuses].sort((a, b) => b.id - a.id)) {
    if (newest.has(status.context)) continue;
    if (globs && !globs.some((g) => globMatch(g, status.context))) continue;
    newest.set(status.context, status);
  }
  const contexts: CiContext[] = [...newest.values()]
    .sort((a, b) => (a.context < b.context ? -1 : 1))
    .map((s) => {
      const targetUrl = s.target_url === ""
        ? null
        : resolveTargetUrl(s.target_url, origin);
      return {
        context: s.context,
        state: s.status,
        targetUrl,
        ...(s.target_url !== "" && targetUrl !== s.target_url
          ? { rawUrl: s.target_url }
          : {}),
        description: s.description,
      };
    });
  const failing = contexts.filter((c) =>
    c.state === "failure" || c.state === "error"
  );
  if (contexts.length === 0) return { state: "none", contexts, url: null };
  if (failing.length > 0) {
    const linked = failing.find((c) => c.targetUrl !== null) ??
      failing.find((c) => c.rawUrl !== undefined);
    const raw = linked?.rawUrl;
    return {
      state: "failure",
      contexts,
      url: linked?.targetUrl ?? null,
      ...(raw === undefined ? {} : { rawUrl: raw }),
    };
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
  const result = evaluateStatuses(
    value.statuses,
    options.contexts,
    options.origin,
  );
  const unmatched = unmatchedNote(value.statuses, options.contexts);
  return {
    ...result,
    waitedMs: 0,
    sha: target.sha,
    ...(result.state === "none"
      ? {
        note: unmatched ??
          `no status yet; possible causes: ${NO_STATUS_CAUSES}`,
      }
      : {}),
  };
}

/**
 * When statuses exist but none matches `--ci-context`: a note naming the
 * patterns and the contexts seen (at most 10, each cut), else null.
 */
export function unmatchedNote(
  statuses: readonly CommitStatus[],
  globs: readonly string[] | undefined,
): string | null {
  const seen = [...new Set(statuses.map((s) => s.context))].sort();
  if (globs === undefined || globs.length === 0 || seen.length === 0) {
    return null;
  }
  const shown = seen.slice(0, 10).map((c) =>
    c.length > 100 ? `${c.slice(0, 99)}…` : c
  );
  const more = seen.length > shown.length
    ? ` and ${seen.length - shown.length} more`
    : "";
  return `no context matches --ci-context ${
    globs.map((g) => `'${g}'`).join(", ")
  }; contexts seen: ${shown.join(", ")}${more}`;
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
    result: Pick<CiResult, "state" | "contexts" | "url" | "rawUrl">,
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
  const end = options.deadline?.at ?? start + waitTimeoutMs;
  const late = (state: CiState) =>
    `still ${state} after ${shownSeconds(waitTimeoutMs)} s`;
  let last: ReturnType<typeof evaluateStatuses> | null = null;
  for (;;) {
    if (options.signal?.aborted) throw new InterruptedError();
    let value: CommitStatusesRead;
    try {
      ({ value } = await client.combinedStatus(target.owner, target.repo, sha));
    } catch (error) {
      if (!(error instanceof DeadlineError)) throw error;
      const seen = last ?? { state: "pending", contexts: [], url: null };
      return done(seen, late(seen.state));
    }
    const result = evaluateStatuses(
      value.statuses,
      options.contexts,
      options.origin,
    );
    last = result;
    const move = await movedOrCut(result, sha, target.branch, options);
    if (move === "cut") return done(result, late(result.state));
    if (move !== null) {
      if (move.stop) return done(move.stop.result, move.stop.note);
      notes.push(move.note);
      sha = move.tip;
      shaSince = now();
      continue;
    }
    if (result.state === "success" || result.state === "failure") {
      return done(result);
    }
    if (result.state === "none" && now() - shaSince >= waitStartMs) {
      return done(
        result,
        noStatusNote(value.statuses, waitStartMs, options.contexts),
      );
    }
    if (now() >= end) return done(result, late(result.state));
    const next = result.state === "none"
      ? Math.min(shaSince + waitStartMs, end)
      : end;
    const wait = pollPause(interval, next - now(), options.jitter, random);
    if (!await pause(wait, options.signal)) throw new InterruptedError();
    interval = Math.min(
      maxIntervalMs,
      Math.round(interval * (options.growth ?? 1.5)),
    );
  }
}

/**
 * {@linkcode branchMove}, or `cut` when the wait's deadline cut one of its
 * reads (the server's version, the branch's tip, whether it holds the
 * version).
 */
async function movedOrCut<R extends ReturnType<typeof evaluateStatuses>>(
  result: R,
  sha: string,
  branch: string,
  options: FollowOptions,
): Promise<BranchMove<R> | null | "cut"> {
  try {
    return await branchMove(result, sha, branch, options);
  } catch (error) {
    if (!(error instanceof DeadlineError)) throw error;
    return "cut";
  }
}

/** The note of a follow that saw no (matching) status by `waitStartMs`. */
function noStatusNote(
  statuses: readonly CommitStatus[],
  waitStartMs: number,
  globs: readonly string[] | undefined,
): string {
  const seconds = shownSeconds(waitStartMs);
  const unmatched = unmatchedNote(statuses, globs);
  return unmatched !== null
    ? `${unmatched} (after ${seconds} s)`
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
