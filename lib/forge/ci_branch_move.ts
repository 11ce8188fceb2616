/**
 * What a newer push to the branch means for a commit's CI follow
 * (`followCommit` in `./ci.ts`): our run was cancelled by it (a red
 * result whose failing contexts all say "Has been cancelled"), or
 * superseded by it (pending for ever, on a server that never finishes a
 * queued run a newer push cancelled: Gitea up to 1.23.5). The follow moves
 * to the newer tip when it still holds the version, else stops. Within a
 * wait, each of these reads (the server's version, the branch's tip,
 * whether it holds the version) is held to the wait's deadline: cut by it
 * ({@linkcode DeadlineError}), the follow ends as timed out.
 *
 * @module
 */

import { beforeDeadline, type Deadline } from "../engine/deadline.ts";

/**
 * Lets the follower move on to a newer tip after a cancel. Each read
 * takes a signal that aborts it (the wait's deadline, or the run's
 * interrupt).
 */
export interface BranchMoved {
  /** The branch's tip now, or null when unknown. */
  tipOf(signal?: AbortSignal): Promise<string | null>;
  /** Whether `newSha` still holds what cascade pushed. */
  followable(newSha: string, signal?: AbortSignal): Promise<boolean>;
}

/** What a newer tip of the branch means for the follow. */
export type BranchMove<R> =
  | { tip: string; note: string; stop?: undefined }
  | {
    tip: string;
    /** The follow ends with this result (`superseded`, or as it was). */
    stop: { result: R; note: string };
  };

/** The part of a CI result the decision reads. */
interface Seen {
  /** The outcome so far. */
  state: string;
  /** Each context's state and description. */
  contexts: readonly { state: string; description: string }[];
}

/** The part of the follow's options the decision reads. */
export interface MoveOptions {
  /** The branch's newer tip and whether it holds the version. */
  branchMoved?: BranchMoved | undefined;
  /** Whether the server keeps a superseded run pending for ever. */
  keepsSupersededPending?: (() => Promise<boolean>) | undefined;
  /** The wait's deadline, which every read here is held to. */
  deadline?: Deadline | undefined;
  /** The run's interrupt. */
  signal?: AbortSignal | undefined;
}

/**
 * Whether a newer push to the branch ends or moves the follow: our run was
 * cancelled by it (a red result, every failing context cancelled) or
 * superseded by it (pending for ever on this server). The follow moves to
 * the newer tip when it still holds the version, else stops (the result,
 * or `superseded`); null when the branch did not move on. Throws
 * `DeadlineError` when `options.deadline` cuts a read.
 */
export async function branchMove<R extends Seen>(
  result: R,
  sha: string,
  branch: string,
  options: MoveOptions,
): Promise<BranchMove<R> | null> {
  const short = (id: string) => id.slice(0, 10);
  const superseded = await supersededBy(result, sha, options);
  if (superseded !== null) {
    // The newer push cancelled our queued run; this server says nothing.
    if (superseded.followable) {
      return {
        tip: superseded.tip,
        note: followed(sha, superseded.tip, branch),
      };
    }
    return {
      tip: superseded.tip,
      stop: {
        result: { ...result, state: "superseded" },
        note: `the run for ${
          short(sha)
        } stays pending: a newer push to ${branch} (${
          short(superseded.tip)
        }) superseded it, and this server never finishes such a run; the newer push no longer holds the version`,
      },
    };
  }
  const moved = await newerTip(result, sha, options);
  if (moved === null) return null;
  return moved.followable
    ? { tip: moved.tip, note: followed(sha, moved.tip, branch) }
    : {
      tip: moved.tip,
      stop: {
        result,
        note: `cancelled by a newer push to ${branch} (${
          short(moved.tip)
        }) that no longer holds the version`,
      },
    };
}

/** The note of a follow that moved to a newer tip holding the version. */
function followed(sha: string, tip: string, branch: string): string {
  return `the run for ${
    sha.slice(0, 10)
  } was cancelled by a newer push to ${branch}; followed ${
    tip.slice(0, 10)
  }, which still holds the version`;
}

/**
 * When a pending result's run can never finish (the server keeps a
 * superseded run pending) and the branch has a newer tip: that tip and
 * whether it still holds the version; else null.
 */
async function supersededBy(
  result: Pick<Seen, "state">,
  sha: string,
  options: MoveOptions,
): Promise<{ tip: string; followable: boolean } | null> {
  const { branchMoved, keepsSupersededPending } = options;
  if (result.state !== "pending" || branchMoved === undefined) return null;
  if (keepsSupersededPending === undefined) return null;
  if (!await within(options, () => keepsSupersededPending())) return null;
  return await newer(sha, branchMoved, options);
}

/** `read` held to the wait's deadline and the run's interrupt. */
function within<T>(
  options: MoveOptions,
  read: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  return beforeDeadline(options.deadline, read, options.signal);
}

/**
 * The branch's tip when it moved past `sha`, and whether it still holds
 * the version; null when it did not move (or cannot be read).
 */
async function newer(
  sha: string,
  branchMoved: BranchMoved,
  options: MoveOptions,
): Promise<{ tip: string; followable: boolean } | null> {
  const tip = await within(options, (signal) => branchMoved.tipOf(signal));
  if (tip === null || tip === sha) return null;
  const followable = await within(
    options,
    (signal) => branchMoved.followable(tip, signal),
  );
  return { tip, followable };
}

/**
 * When every failing context of a red result was cancelled and the branch
 * has a newer tip: that tip and whether it still holds the version; else
 * null.
 */
async function newerTip(
  result: Seen,
  sha: string,
  options: MoveOptions,
): Promise<{ tip: string; followable: boolean } | null> {
  const branchMoved = options.branchMoved;
  if (result.state !== "failure" || branchMoved === undefined) return null;
  const failing = result.contexts.filter((c) =>
    c.state === "failure" || c.state === "error"
  );
  if (!failing.every((c) => /has been cancelled/i.test(c.description))) {
    return null;
  }
  return await newer(sha, branchMoved, options);
}
