/**
 * Inputs of a run, resolved before anything is touched: the targets (from
 * `--repo`, `--repos-file`, `--retry-failed`, `--org` and `--shard`) and the report
 * paths. Every problem is a {@linkcode UsageError}.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { refuseIrregular } from "../report/report_paths.ts";
import { inActions } from "../report/actions.ts";
import { EXIT, UsageError } from "../errors.ts";
import { forLog } from "../console/neutralise.ts";
import {
  discoverRepos,
  type Discovery,
  discoveryError,
  type Excluded,
} from "../forge/discover.ts";
import type { ForgeAccess } from "../forge/access.ts";
import type { ReportPaths } from "../report/write.ts";
import { redCiLines } from "./red_ci.ts";
import { directoryHolds } from "./report_dir.ts";
import {
  dedupeTargets,
  type EarlierReport,
  parseShard,
  parseTarget,
  reposFileLines,
  type RetryTarget,
  shardTargets,
  type Target,
} from "./target.ts";

/** Where targets come from, in the order given. */
export type TargetSource = { repo: string } | { reposFile: string };

/** What resolving a run's targets reads from its settings. */
export interface SourceSettings {
  /** `--base-url`. */
  baseUrl?: string | undefined;
  /** `--repo` values and `--repos-file` paths, in command-line order. */
  sources: readonly TargetSource[];
  /** The run's version (empty for `targets`). */
  version: string;
  /** `--retry-failed`. */
  retryFailed?: string | undefined;
  /** `--org`. */
  org: readonly string[];
  /** `--match`. */
  match: readonly string[];
  /** `--exclude`. */
  exclude: readonly string[];
  /** `--topic`. */
  topic: readonly string[];
  /** `--shard`. */
  shard?: string | undefined;
  /** `-v`. */
  verbose: boolean;
  /** `--config`, for the hint when there are no targets. */
  config?: string | undefined;
  /** `--trigger` (a red CI's retry dispatches with `dispatch`). */
  trigger?: string | undefined;
  /** The options given on the command line, by name. */
  given?: readonly string[] | undefined;
}

/** Where a resolution says what it decided (a note, or nothing to do). */
export interface Say {
  /** A line for stdout. */
  out(text: string): void;
  /** A line for stderr. */
  err(text: string): void;
}

/** Where a run's targets are resolved from, besides its settings. */
export interface SourceContext {
  /** The report `--retry-failed` names, or null. */
  retry: EarlierReport | null;
  /** The run's access to the API (`--org`). */
  access: ForgeAccess;
  /** Environment lookup (`GITEA_URL`). */
  env: (name: string) => string | undefined;
  /** Directory relative paths resolve against. */
  cwd: string;
  /** Where notes and "nothing to do" are said. */
  say: Say;
}

/** The targets of a run, and the discovered repos left out. */
export interface Resolved {
  /** Deduplicated, sharded, in order: listed first, then discovered. */
  targets: Target[];
  /** Repos `--org` listed that discovery left out, with the reason. */
  excluded: Excluded[];
  /** The targets discovery kept (before sharding), in listing order. */
  discovered: Target[];
}

/**
 * The targets from flags, repos files, an earlier report and the server
 * (`--org`, filtered), deduplicated and sharded; null when there is
 * nothing to do (said on `say`). Verbose runs log each repo left out;
 * discovery that leaves nothing is a usage error (exit 2).
 */
export async function resolveTargets(
  options: SourceSettings,
  from: SourceContext,
): Promise<Target[] | null> {
  const resolved = await resolveSources(options, from);
  const { say } = from;
  if (resolved === null) return null;
  if (options.verbose) {
    for (const { repo, reason } of resolved.excluded) {
      say.err(`cascade: ${forLog(`left out ${repo}: ${reason}`)}\n`);
    }
  }
  if (resolved.targets.length === 0) {
    // A token that may not see an organisation's repos lists none, with no
    // error: a run over nothing must not pass for a cascade.
    throw new UsageError(
      `no targets: --org ${
        options.org.join(", ")
      } gave ${resolved.excluded.length} repositories, all left out (-v says why); check the filters and that the token may read them`,
    );
  }
  return resolved.targets;
}

/**
 * What {@linkcode resolveTargets} resolves, with the repos discovery left
 * out. `allowNone`: no source at all is no error (an empty list).
 */
export async function resolveSources(
  options: SourceSettings,
  { retry, access, env, cwd, say }: SourceContext,
  allowNone = false,
): Promise<Resolved | null> {
  const inputs: string[] = [];
  // Where each input came from, for errors: `file:line`, or null.
  const origins: (string | null)[] = [];
  for (const source of options.sources) {
    if ("repo" in source) {
      inputs.push(source.repo);
      origins.push(null);
    } else {
      const text = await readInput(source.reposFile, "--repos-file", cwd);
      for (const { line, text: target } of reposFileLines(text)) {
        inputs.push(target);
        origins.push(`${source.reposFile}:${line}`);
      }
    }
  }
  const baseUrl = options.baseUrl ?? env("GITEA_URL");
  if (retry !== null) {
    if (retry.version !== null && retry.version !== options.version) {
      say.err(
        `cascade: note: ${options.retryFailed} was a run for ${
          forLog(retry.version, 64)
        }; retrying its failures with ${options.version}\n`,
      );
    }
    inputs.push(...retry.targets.map((t) => retryName(t, baseUrl, cwd)));
    inputs.push(
      ...redCiInputs(retry, options, say).map((t) =>
        retryName(t, baseUrl, cwd)
      ),
    );
    if (
      retry.targets.length === 0 && inputs.length === 0 &&
      options.org.length === 0
    ) {
      say.out(
        `cascade: ${options.retryFailed} has no failed templates: nothing to retry\n`,
      );
      return null;
    }
  }
  checkFilters(options);
  if (inputs.length === 0 && options.org.length === 0 && !allowNone) {
    throw new UsageError(
      `no targets: pass --repo, --repos-file, --org or --retry-failed${await configHint(
        options.config,
        cwd,
      )}`,
    );
  }
  const listed = inputs.map((t, i) =>
    atOrigin(origins[i] ?? null, () => parseTarget(t, baseUrl, cwd))
  );
  const found = await discover(options, access);
  const discovered = found.repos.map((r) => parseTarget(r, baseUrl, cwd));
  let targets = dedupeTargets([...listed, ...discovered]);
  if (options.shard !== undefined) {
    targets = shardTargets(targets, parseShard(options.shard));
    if (targets.length === 0) {
      say.out(
        `cascade: shard ${options.shard} holds no targets: nothing to do\n`,
      );
      return null;
    }
  }
  return { targets, excluded: found.excluded, discovered };
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

/** Refuses `--match`, `--exclude` and `--topic` without `--org`. */
function checkFilters(options: SourceSettings): void {
  const filters: [string, readonly string[]][] = [
    ["--match", options.match],
    ["--exclude", options.exclude],
    ["--topic", options.topic],
  ];
  const filter = filters.find(([, values]) => values.length > 0);
  if (filter !== undefined && options.org.length === 0) {
    throw new UsageError(
      `${filter[0]} filters what --org lists: pass --org <owner> too`,
    );
  }
}

/** The repos `--org` lists on the server, filtered; none without it. */
function discover(
  options: SourceSettings,
  access: ForgeAccess,
): Promise<Discovery> {
  if (options.org.length === 0) {
    return Promise.resolve({ repos: [], excluded: [] });
  }
  return discoverRepos(
    access.server("--org"),
    {
      owners: options.org,
      match: options.match,
      exclude: options.exclude,
      topics: options.topic,
    },
    discoveryError,
  );
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

/**
 * Refuses report paths whose directory does not exist, and report and
 * summary paths (`--json`, `--summary`, and with `env`, `GITHUB_STEP_SUMMARY`
 * and `GITHUB_OUTPUT`) that exist and are not regular files, before any
 * push.
 */
export async function checkReportPaths(
  options: ReportPaths,
  cwd: string,
  env?: (name: string) => string | undefined,
): Promise<void> {
  const paths = [["--json", options.json], ["--summary", options.summary]];
  await refuseIrregular([
    ...paths.map(([flag, path]) =>
      [
        flag ?? "",
        path === undefined || path === "-" ? path : resolve(cwd, path),
      ] as const
    ),
    ...(env === undefined || !inActions(env) ? [] : [
      ["GITHUB_STEP_SUMMARY", env("GITHUB_STEP_SUMMARY")] as const,
      ["GITHUB_OUTPUT", env("GITHUB_OUTPUT")] as const,
    ]),
  ]);
  for (const [flag, path] of paths) {
    if (path === undefined || path === "-") continue;
    const file = resolve(cwd, path);
    const dir = dirname(file);
    if (!await directoryHolds(dir, file)) {
      throw new UsageError(`${flag} ${path}: directory ${dir} does not exist`);
    }
  }
}

/** Runs `parse`; a usage error it throws names `origin` (`file:line`). */
function atOrigin<T>(origin: string | null, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (origin === null || !(error instanceof UsageError)) throw error;
    throw new UsageError(`${origin}: ${error.message}`);
  }
}

/**
 * Where the targets were looked for: ` (no cascade.json found in <dir>)`
 * run from a directory without one, else what the config lacked.
 */
async function configHint(
  config: string | undefined,
  cwd: string,
): Promise<string> {
  if (config !== undefined) return ` (${config} names none)`;
  const found = await Deno.stat(resolve(cwd, "cascade.json")).then(
    () => true,
    () => false,
  );
  return found
    ? ` (cascade.json in ${cwd} names none)`
    : ` (no cascade.json found in ${cwd}; run where it is, or pass --config)`;
}

/**
 * The red-CI templates of a retry to run again (see `./red_ci.ts`): all
 * of them with the dispatch trigger (a dispatch re-runs their CI). With
 * the push trigger, none: each is named with how to re-run its CI, and
 * when nothing else needs a retry the run ends with exit 1.
 */
function redCiInputs(
  retry: EarlierReport,
  options: SourceSettings,
  say: Say,
): RetryTarget[] {
  const red = retry.ciRed ?? [];
  if (options.trigger === "dispatch") return red;
  const flag = (["workflow", "input"] as const).find((n) =>
    options.given?.includes(n)
  );
  if (flag !== undefined) {
    throw new UsageError(
      `--${flag} applies with --trigger dispatch only; add --trigger dispatch or drop it`,
    );
  }
  if (red.length === 0) return red;
  const shown = { version: options.version, retryFailed: options.retryFailed };
  for (const line of redCiLines(red, shown)) {
    say.err(`cascade: ${forLog(line)}\n`);
  }
  if (retry.targets.length === 0) {
    throw new UsageError(
      `${options.retryFailed}: ${red.length} template${
        red.length === 1 ? "'s CI is" : "s' CI are"
      } not green and nothing else needs a retry; re-run ${
        red.length === 1 ? "it" : "them"
      } as said above`,
      EXIT.failed,
    );
  }
  return [];
}
