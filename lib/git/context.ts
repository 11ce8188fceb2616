/**
 * One template's git context and the calls every git step shares: the
 * context (runner, URL, environment, timeout, work repo, interrupt), the
 * network call that gets the timeout, and the one place a failed git step
 * becomes a {@linkcode TemplateError} that says what broke and what to do.
 *
 * @module
 */

import type { GitOutput, GitRunner } from "./runner.ts";
import type { HttpRefs } from "./_http_refs.ts";
import { networkProblem } from "./net_reason.ts";
import { notGitServer } from "./not_git.ts";
import {
  ADVICE,
  classifyGitFailure,
  type ErrorKind,
  firstErrorLine,
  InterruptedError,
  remoteWords,
  TemplateError,
} from "../errors.ts";

/** Everything a git call for one template needs. */
export interface RemoteContext {
  /** The git runner. */
  git: GitRunner;
  /** The target's URL or absolute path, without credentials. */
  url: string;
  /** Per-template environment: config (credentials), author. */
  env: Record<string, string>;
  /** Timeout per network operation, in milliseconds. */
  timeoutMs: number;
  /** The throwaway bare repository of this template. */
  gitDir: string;
  /** A directory to run commands that need no repository in. */
  scratchDir: string;
  /** Aborts in-flight git on interrupt. */
  signal?: AbortSignal;
  /** How to read refs without git, where that is allowed. */
  httpRefs?: HttpRefs | null;
  /**
   * Packs of the commits this template wrote in-process, by commit id:
   * what the in-process push sends, instead of running `git pack-objects`.
   */
  written?: Map<string, Uint8Array>;
  /** Now, in milliseconds since the epoch: dates the commits written. */
  now?: () => number;
  /**
   * What in-process fetches brought and git has not been given yet: read
   * from here first (see {@linkcode handOver}).
   */
  fetched?: Fetched;
  /**
   * What a refused-credentials error advises for this target, when the
   * generic advice would mislead (no token was sent to it); null or
   * absent: the generic advice.
   */
  authAdvice?: string | null;
}

/**
 * `ctx` for another work repo at `gitDir` (a read after the template's
 * own repo went): nothing fetched or written there yet, `signal` if given.
 */
export function inAnotherRepo(
  ctx: RemoteContext,
  gitDir: string,
  signal?: AbortSignal,
): RemoteContext {
  const { fetched: _fetched, written: _written, ...rest } = ctx;
  return {
    ...rest,
    gitDir,
    written: new Map(),
    ...(signal === undefined ? {} : { signal }),
  };
}

/**
 * Drops what `ctx` holds in memory (the objects fetched in-process and the
 * packs it wrote) once its template is over: a context kept for a later CI
 * follow keeps none of it, so memory follows the concurrency, not the fleet.
 */
export function releaseHeld(ctx: RemoteContext): void {
  delete ctx.fetched;
  ctx.written?.clear();
}

/** Objects fetched in-process, and the packs they came in. */
export interface Fetched {
  /** Every object of the packs, by id. */
  objects: Map<string, { type: string; body: Uint8Array }>;
  /** Packs not yet handed to git, with their shallow boundaries. */
  pending: { pack: Uint8Array; shallow: string[] }[];
}

/**
 * Hands git the packs fetched in-process and not yet indexed (`git
 * index-pack --stdin --promisor` in the work repo) and records their
 * shallow boundaries as `git fetch --depth=1` does: called before any git
 * run that reads the work repo (a network call in it does so itself).
 * Throws `unknown` when git does not take a pack.
 */
export async function handOver(ctx: RemoteContext): Promise<void> {
  const pending = ctx.fetched?.pending ?? [];
  while (pending.length > 0) {
    const next = pending[0];
    if (next === undefined) break;
    if (!await indexPack(ctx, next)) {
      throw new TemplateError(
        "unknown",
        `reading the fetched files: git did not take the pack the server sent; ${ADVICE.unknown}`,
      );
    }
    pending.shift();
  }
}

/**
 * `git index-pack --stdin --promisor` of `pack` in the work repo, and its
 * shallow boundary recorded. False when git does not take the pack.
 */
export async function indexPack(
  ctx: RemoteContext,
  fetched: { pack: Uint8Array; shallow: string[] },
): Promise<boolean> {
  const out = await ctx.git(["index-pack", "--stdin", "--promisor"], {
    cwd: ctx.gitDir,
    env: ctx.env,
    stdin: fetched.pack,
    ...signalOf(ctx),
  });
  if (out.aborted) throw new InterruptedError();
  if (out.code !== 0) return false;
  if (fetched.shallow.length > 0) {
    const path = `${ctx.gitDir}/shallow`;
    const old = await Deno.readTextFile(path).catch(() => "");
    const lines = new Set([...old.split("\n"), ...fetched.shallow]);
    lines.delete("");
    await Deno.writeTextFile(path, `${[...lines].join("\n")}\n`);
  }
  return true;
}

/** How a push ended. */
export type PushOutcome =
  | { ok: true }
  | { ok: false; reason: string; words: string; output: GitOutput };

/**
 * Throws the classified error for a failed git step, or interruption;
 * `ctx` gives the target's own auth advice, if it has one.
 */
export function gitFailure(
  out: GitOutput,
  step: string,
  ctx?: Pick<RemoteContext, "authAdvice">,
): never {
  if (out.aborted) throw new InterruptedError();
  const kind = classifyGitFailure(out);
  const url = out.args.find((a) => /^[a-z][a-z0-9+.-]*:\/\//i.test(a));
  const notGit = url === undefined ? null : notGitServer(out.stderr, url);
  if (notGit !== null) {
    throw new TemplateError("not_found", `${step}: ${notGit}`);
  }
  let detail: string;
  if (kind === "rejected") {
    detail = remoteWords(out.stderr) || "hook declined";
  } else if (kind === "network" && url !== undefined) {
    const problem = networkProblem(out.stderr, url);
    detail = `${problem.host}: ${problem.reason}`;
  } else detail = firstErrorLine(out.stderr) || `exit ${out.code}`;
  throw stepFailure(kind, step, detail, ctx?.authAdvice);
}

/**
 * The one-line error of a failed step: the step, what broke, what to do.
 * `detail` is quoted for refusals (the server's words) and unknown errors.
 */
export function stepFailure(
  kind: ErrorKind,
  step: string,
  detail = "",
  authAdvice?: string | null,
): TemplateError {
  if (kind === "auth" && authAdvice) {
    return new TemplateError(kind, `${step}: ${authAdvice}`, authAdvice);
  }
  let what: string;
  switch (kind) {
    case "auth":
      what = "the server refused the credentials";
      break;
    case "not_found":
      what = "the repository was not found";
      break;
    case "network":
      what = `the server could not be reached${detail ? ` (${detail})` : ""}`;
      break;
    case "moved":
      what = "the server answered with a redirect";
      break;
    case "timeout":
      what = "timed out";
      break;
    case "rejected":
      what = `the server refused: ${detail}`;
      break;
    default:
      what = `git failed (${detail})`;
  }
  return new TemplateError(
    kind,
    `${step}: ${what}; ${ADVICE[kind]}`,
    ADVICE[kind],
  );
}

/** The run's signal, as git's options take it. */
export function signalOf(ctx: RemoteContext): { signal?: AbortSignal } {
  return ctx.signal === undefined ? {} : { signal: ctx.signal };
}

/**
 * A git call that may talk to the server: it gets the timeout. Run in the
 * work repo, it first hands git what was fetched in-process.
 */
export async function network(
  ctx: RemoteContext,
  args: string[],
  cwd: string,
  stdin?: string,
  env?: Readonly<Record<string, string>>,
): Promise<GitOutput> {
  if (cwd === ctx.gitDir) await handOver(ctx);
  return await ctx.git(args, {
    cwd,
    env: env === undefined ? ctx.env : { ...ctx.env, ...env },
    timeoutMs: ctx.timeoutMs,
    // A local repo is read through pipes that close with git; a server,
    // through helpers that outlive it unless killed with it.
    helpers: !/^file:/i.test(ctx.url),
    ...signalOf(ctx),
    ...(stdin === undefined ? {} : { stdin }),
  });
}
