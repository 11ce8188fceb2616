/**
 * Reaching each template's CI over the forge API: where its API is (the
 * target's origin and path prefix, or `--api-url`), who may get the token,
 * the `--allow-net` check made before anything is pushed, and one
 * {@linkcode CiReader} per run that follows (`--wait`) or reads
 * (`status --ci`) a commit's CI with every request counted and at most
 * `--concurrency` requests in flight.
 *
 * @module
 */

import { InterruptedError, UsageError } from "../errors.ts";
import type { CiOutcome } from "../model.ts";
import { interruptedWait } from "../engine/ci_outcome.ts";
import { createLimiter, type Limiter } from "../engine/pool.ts";
import { type Clock, SYSTEM_CLOCK } from "../engine/clock.ts";
import { Deadline } from "../engine/deadline.ts";
import type { ForgeClient } from "./client.ts";
import { failedRead, unreachable } from "./ci_read_error.ts";
import { newestDispatchedRun } from "./ci_newest.ts";
import {
  type BranchMoved,
  type CiResult,
  evaluateStatuses,
  followCommit,
  readCommitCi,
  type StatusReader,
} from "./ci.ts";
import type { CommitStatus } from "./types.ts";
import { SupersededMemo } from "./server_version.ts";
import { keepOurs, predatedNote, type Seen, unbelieved } from "./evidence.ts";
import { RunJudge, type RunsList, withVouched } from "./run_evidence.ts";
import { apiTargetOf, type ForgeAccess } from "./access.ts";
import type { Target } from "../targets/target.ts";
import { cutRedacted } from "../console/secret_forms.ts";
import { type CiPolling, pollingOf } from "./polling.ts";

/**
 * Refuses CI flags for a target whose API is unknown (not http(s), no
 * `--api-url`) and without `--allow-net` for every API host (never a
 * prompt): a {@linkcode UsageError} naming the flag, raised before
 * anything is pushed.
 */
export function checkApiPermission(
  targets: readonly Target[],
  options: { apiUrl: string | undefined },
  flag: string,
  access: ForgeAccess,
): void {
  const hosts = new Set<string>();
  for (const target of targets) {
    const api = apiTargetOf(target, options.apiUrl);
    if (api === null) {
      throw new UsageError(
        `${flag} reads CI over the forge API, and ${target.repo} is not an http(s) target with owner/name: pass --api-url (e.g. https://git.example.com/api/v1)`,
      );
    }
    hosts.add(new URL(api.base).host);
  }
  access.requireNet(
    hosts,
    (missing) =>
      `${flag} reads CI over the forge API and needs --allow-net${
        missing.length === 1 ? `=${missing[0]}` : ""
      } (not granted for ${
        missing.slice(0, 3).join(", ")
      }); add it to the deno run command, or drop ${flag}`,
  );
}

/** What a CI reader needs from a run. */
interface CiReaderOptions {
  /** The run's access to the API (the token, where it may go). */
  access: ForgeAccess;
  /** `--api-url`. */
  apiUrl: string | undefined;
  /** `--ci-context` globs (empty: every context). */
  contexts: readonly string[];
  /** `--wait-timeout` in ms. */
  waitTimeoutMs: number;
  /** `--wait-start` in ms. */
  waitStartMs: number;
  /** API requests in flight at once. */
  concurrency: number;
  /** Stops every follow. */
  signal: AbortSignal;
  /**
   * Poll intervals (tests). Without both intervals, the default intervals
   * (on the given clock and retries, if any).
   */
  polling?: Partial<CiPolling> | undefined;
}

/** What every follow of a run shares (see `CiReader.followSettings`). */
interface FollowSettings {
  /** `--wait-timeout` in ms. */
  waitTimeoutMs: number;
  /** `--wait-start` in ms. */
  waitStartMs: number;
  /** Poll intervals. */
  polling: CiPolling;
  /** Stops every follow. */
  signal: AbortSignal;
  /** The clock deadlines, waited times and sleeps come from. */
  clock: Clock;
}

/** Follows or reads templates' CI; one per run. */
export class CiReader {
  readonly #o: CiReaderOptions;
  readonly #clients = new Map<string, ForgeClient>();
  readonly #counted = new Set<ForgeClient>();
  readonly #superseded = new SupersededMemo((task, deadline) =>
    this.#limit(task, deadline)
  );
  readonly #limit: Limiter;

  /** Makes a reader; sends nothing. */
  constructor(options: CiReaderOptions) {
    this.#o = options;
    this.#limit = createLimiter(Math.max(1, options.concurrency));
  }

  /** API requests sent so far, retries included. */
  get requests(): number {
    let sum = 0;
    for (const client of this.#clients.values()) sum += client.requestCount;
    for (const client of this.#counted) sum += client.requestCount;
    return sum;
  }

  /** Counts `client`'s requests (one made elsewhere) into `requests`. */
  count(client: ForgeClient): void {
    this.#counted.add(client);
  }

  /**
   * Runs an API request within the `--concurrency` bound of the reader;
   * with a wait's `deadline`, the time queued for a slot counts against it
   * (still queued when it passes: `DeadlineError`, nothing sent).
   */
  limited<T>(request: () => Promise<T>, deadline?: Deadline): Promise<T> {
    return this.#limit(request, deadline);
  }

  /** The deadline of a wait starting now: `--wait-timeout` on the clock. */
  waitDeadline(): Deadline {
    const { clock, waitTimeoutMs } = this.followSettings;
    return Deadline.after(clock, waitTimeoutMs, "--wait-timeout");
  }

  /** The wait bounds, poll intervals and interrupt every follow uses. */
  get followSettings(): FollowSettings {
    return {
      waitTimeoutMs: this.#o.waitTimeoutMs,
      waitStartMs: this.#o.waitStartMs,
      polling: pollingOf(this.#o.polling),
      signal: this.#o.signal,
      clock: this.#o.polling?.clock ?? SYSTEM_CLOCK,
    };
  }

  /**
   * Follows `sha`'s CI on `branch` to its result (see `followCommit`).
   * With `pushedAt` (our clock, before the push), only statuses created
   * after it count; others make a `success` or `none` `ambiguous` (see
   * `evidence.ts`). Every request, slot, read and sleep of the follow is
   * held to `deadline` (default: {@linkcode waitDeadline} from now). Never
   * throws but on interrupt, where it returns the CI seen so far with a
   * note: an API failure is a `pending` outcome.
   */
  async follow(
    target: Target,
    sha: string,
    branch: string,
    fresh: boolean,
    moved?: BranchMoved,
    pushedAt?: number,
    within?: Deadline,
  ): Promise<CiOutcome> {
    const api = apiTargetOf(target, this.#o.apiUrl);
    if (api === null) return unreachable(target);
    const clock = this.followSettings.clock;
    const started = clock.now();
    const deadline = within ?? this.waitDeadline();
    const seen: Seen<CommitStatus> = { statuses: null, dropped: 0 };
    const reader = this.#reader(api.base, seen, pushedAt, deadline);
    const polling = pollingOf(this.#o.polling);
    const globs = this.#globs();
    const origin = new URL(api.base).origin;
    try {
      // A commit pushed a moment ago has no status yet: skip that request.
      const first = Math.min(polling.minIntervalMs, deadline.left());
      if (fresh && !await clock.sleep(first, this.#o.signal)) {
        throw new InterruptedError();
      }
      const result = await followCommit(reader, { ...api, sha, branch }, {
        ...(globs ? { contexts: globs } : {}),
        waitTimeoutMs: this.#o.waitTimeoutMs,
        waitStartMs: this.#o.waitStartMs,
        signal: this.#o.signal,
        minIntervalMs: polling.minIntervalMs,
        maxIntervalMs: polling.maxIntervalMs,
        ...(polling.growth ? { growth: polling.growth } : {}),
        ...(polling.jitter ? { jitter: polling.jitter } : {}),
        ...(moved ? { branchMoved: moved } : {}),
        origin,
        keepsSupersededPending: () =>
          this.#superseded.ask(
            api.base,
            this.#clients.get(api.base),
            deadline,
          ),
        clock,
        deadline,
      });
      return unbelieved(
        { ...outcomeOf(result), waitedMs: clock.now() - started },
        seen.dropped,
        predatedNote(seen),
      );
    } catch (error) {
      const waitedMs = clock.now() - started;
      const sofar = seen.statuses === null
        ? { state: "none" as const, contexts: [], url: null }
        : evaluateStatuses(seen.statuses, this.#globs(), origin);
      if (error instanceof InterruptedError || this.#o.signal.aborted) {
        return interruptedWait(sofar, waitedMs);
      }
      return failedRead(target, error, waitedMs, sofar, this.#o.apiUrl);
    }
  }

  /** Reads `sha`'s CI once, without waiting (`status --ci`). */
  async read(target: Target, sha: string): Promise<CiOutcome> {
    const api = apiTargetOf(target, this.#o.apiUrl);
    if (api === null) return unreachable(target);
    const reader = this.#reader(api.base, { statuses: null, dropped: 0 });
    try {
      const read = outcomeOf(
        await readCommitCi(reader, { ...api, sha, branch: "" }, {
          ...(this.#o.contexts.length > 0
            ? { contexts: this.#o.contexts }
            : {}),
          origin: new URL(api.base).origin,
        }),
      );
      return read.state === "success"
        ? read
        : await this.#newerDispatch(api, sha, read);
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      return failedRead(target, error, 0, {
        state: "none",
        contexts: [],
        url: null,
      }, this.#o.apiUrl);
    }
  }

  /**
   * `read`, unless the runs list shows a newer, dispatched run on `sha`
   * (which posts no statuses): then that run's outcome. A server without
   * the list (older than 1.23, Forgejo) leaves `read` as it is.
   */
  async #newerDispatch(
    api: { base: string; owner: string; repo: string },
    sha: string,
    read: CiOutcome,
  ): Promise<CiOutcome> {
    const client = this.#clients.get(api.base);
    if (client === undefined || this.#o.contexts.length > 0) return read;
    const tasks = await this.#limit(() =>
      client.listActionTasks(api.owner, api.repo)
    ).catch(() => null);
    if (tasks === null) return read;
    const newest = newestDispatchedRun(tasks.value.workflow_runs, sha);
    return newest === null ? read : { ...newest, waitedMs: 0 };
  }

  #globs(): readonly string[] | undefined {
    return this.#o.contexts.length > 0 ? this.#o.contexts : undefined;
  }

  /**
   * A limited status reader over the base's client (see `keepOurs`); with
   * `pushedAt`, a status created before it may still count by its run
   * (see `run_evidence.ts`).
   */
  #reader(
    base: string,
    seen: Seen<CommitStatus>,
    pushedAt?: number,
    deadline?: Deadline,
  ): StatusReader {
    let client = this.#clients.get(base);
    if (client === undefined) {
      client = this.#o.access.client(base, {
        signal: this.#o.signal,
        retry: this.#o.polling?.retry,
      });
      this.#clients.set(base, client);
    }
    const forge = deadline ? client.within(deadline) : client;
    const runs: RunsList = (owner, repo) =>
      this.#limit(() => forge.listActionTasks(owner, repo), deadline);
    let judge: RunJudge | null = null;
    return {
      combinedStatus: async (owner, repo, ref) => {
        const answer = await this.#limit(
          () => forge.combinedStatus(owner, repo, ref),
          deadline,
        );
        const all = answer.value.statuses;
        const now = this.followSettings.clock.now();
        const kept = keepOurs(seen, answer, now, pushedAt);
        if (pushedAt !== undefined) {
          judge ??= new RunJudge(runs, { apiBase: base, owner, repo });
        }
        const statuses = await withVouched(judge, seen, all, kept, ref);
        return { ...answer, value: { ...answer.value, statuses } };
      },
    };
  }
}

/** The report's form of a follow's result (the commit id left out). */
function outcomeOf(result: CiResult): CiOutcome {
  // The server's text stays exact but bounded: at most MAX_CONTEXTS
  // contexts (failing ones first), each string cut.
  const failing = (c: { state: string }) =>
    c.state === "failure" || c.state === "error";
  const kept = [
    ...result.contexts.filter(failing),
    ...result.contexts.filter((c) => !failing(c)),
  ].slice(0, MAX_CONTEXTS).sort((a, b) => (a.context < b.context ? -1 : 1));
  const left = result.contexts.length - kept.length;
  const notes = [
    result.note,
    left > 0 ? `${left} more contexts not listed` : undefined,
  ].filter((n) => n !== undefined);
  return {
    state: result.state,
    contexts: kept.map((c) => ({
      context: cut(c.context, 256),
      state: cut(c.state, 32),
      targetUrl: c.targetUrl === null ? null : cut(c.targetUrl, 2048),
      ...(c.rawUrl === undefined ? {} : { rawUrl: cut(c.rawUrl, 2048) }),
      description: cut(c.description, 1024),
    })),
    url: result.url === null ? null : cut(result.url, 2048),
    ...(result.rawUrl === undefined
      ? {}
      : { rawUrl: cut(result.rawUrl, 2048) }),
    waitedMs: Math.max(0, Math.round(result.waitedMs)),
    ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
  };
}

/** Contexts a result lists at most. */
const MAX_CONTEXTS = 50;

function cut(text: string, max: number): string {
  return cutRedacted(text, max - 1, "…");
}
