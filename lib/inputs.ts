/**
 * Inputs of a run, resolved before anything is touched: the targets (from
 * `--repo`, `--repos-file`, `--retry-failed` and `--shard`) and the report
 * paths. Every problem is a {@linkcode UsageError}.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import type { RunOptions } from "./cli/parse.ts";
import { UsageError } from "./errors.ts";
import {
  dedupeTargets,
  type EarlierReport,
  parseReposFile,
  parseShard,
  parseTarget,
  type RetryTarget,
  shardTargets,
  type Target,
} from "./targets.ts";

/** Where a resolution says what it decided (a note, or nothing to do). */
export interface Say {
  /** A line for stdout. */
  out(text: string): void;
  /** A line for stderr. */
  err(text: string): void;
}

/**
 * The targets from flags, repos files and an earlier report, deduplicated
 * and sharded; null when there is nothing to do (said on `say`).
 */
export async function resolveTargets(
  options: RunOptions,
  retry: EarlierReport | null,
  env: (name: string) => string | undefined,
  cwd: string,
  say: Say,
): Promise<Target[] | null> {
  const inputs: string[] = [];
  for (const source of options.sources) {
    if ("repo" in source) inputs.push(source.repo);
    else {
      const text = await readInput(source.reposFile, "--repos-file", cwd);
      inputs.push(...parseReposFile(text));
    }
  }
  const baseUrl = options.baseUrl ?? env("GITEA_URL");
  if (retry !== null) {
    if (retry.version !== null && retry.version !== options.version) {
      say.err(
        `cascade: note: ${options.retryFailed} was a run for ${retry.version}; retrying its failures with ${options.version}\n`,
      );
    }
    inputs.push(...retry.targets.map((t) => retryName(t, baseUrl, cwd)));
    if (retry.targets.length === 0 && inputs.length === 0) {
      say.out(
        `cascade: ${options.retryFailed} has no failed templates: nothing to retry\n`,
      );
      return null;
    }
  }
  if (inputs.length === 0) {
    throw new UsageError(
      "no targets: pass --repo, --repos-file or --retry-failed",
    );
  }
  let targets = dedupeTargets(inputs.map((t) => parseTarget(t, baseUrl, cwd)));
  if (options.shard !== undefined) {
    targets = shardTargets(targets, parseShard(options.shard));
    if (targets.length === 0) {
      say.out(
        `cascade: shard ${options.shard} holds no targets: nothing to do\n`,
      );
      return null;
    }
  }
  return targets;
}

/**
 * The name a retried template is run under: the one the earlier run
 * showed (`owner/name`, a path) when it still names the same repository,
 * so reports and step outputs keep their names; else its URL.
 */
function retryName(
  target: RetryTarget,
  baseUrl: string | undefined,
  cwd: string,
): string {
  try {
    const same = parseTarget(target.repo, baseUrl, cwd).key ===
      parseTarget(target.url, baseUrl, cwd).key;
    return same ? target.repo : target.url;
  } catch {
    return target.url;
  }
}

/** Reads an input file named by `flag`; a missing one is a usage error. */
export async function readInput(
  path: string,
  flag: string,
  cwd: string,
): Promise<string> {
  try {
    return await Deno.readTextFile(resolve(cwd, path));
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "does not exist"
      : error instanceof Deno.errors.PermissionDenied
      ? "cannot be read (permission denied)"
      : "cannot be read";
    throw new UsageError(`${flag} ${path} ${why}`);
  }
}

/** Refuses report paths whose directory does not exist, before any push. */
export async function checkReportPaths(
  options: RunOptions,
  cwd: string,
): Promise<void> {
  const paths = [["--json", options.json], ["--summary", options.summary]];
  for (const [flag, path] of paths) {
    if (path === undefined || path === "-") continue;
    const dir = dirname(resolve(cwd, path));
    try {
      const info = await Deno.stat(dir);
      if (!info.isDirectory) throw new Error();
    } catch {
      throw new UsageError(`${flag} ${path}: directory ${dir} does not exist`);
    }
  }
}
