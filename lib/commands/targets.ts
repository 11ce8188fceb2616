/**
 * `cascade targets`: resolves the sources (`--repo`, `--repos-file`,
 * `--org` with its filters), reads each target's default branch with the
 * engine's preflight and, with `--probe`, whether it is wired; prints a
 * line per target and a summary, writes `--json`, and with `--check FILE`
 * compares a checked-in repos file with what the server has.
 *
 * @module
 */

import { retryTokenOrigins } from "../cli/report_routing.ts";
import { resolve } from "node:path";
import type { RunOptions } from "../cli/parse.ts";
import { readToken } from "../credentials.ts";
import { readSettings, runTemplates } from "../engine/engine.ts";
import { EXIT, UsageError } from "../errors.ts";
import { escapeData, inActions } from "../report/actions.ts";
import { forLog } from "../console/neutralise.ts";
import { schemaUrl } from "../model.ts";
import { VERSION } from "../tool_version.ts";
import type { ForgeClient } from "../forge/client.ts";
import { forgeIfReachable, openForge } from "../forge/session.ts";
import { withWorkDir } from "../engine/workdir.ts";
import { permissionProblem } from "../cli/permissions.ts";
import {
  checkReportPaths,
  type Resolved,
  resolveSources,
} from "../targets/inputs.ts";
import {
  ownerNameOf,
  renderTargets,
  type TargetResult,
  type TargetsReport,
  targetsReport,
  targetsStep,
} from "../targets/step.ts";
import { compareKey, listDifferences } from "../targets/check.ts";
import type { Console } from "../console/console.ts";
import type { Redactor } from "../console/redact.ts";
import {
  permissionNeeds,
  planTargets,
  progressHooks,
  redactingGit,
  type RunIo,
} from "./templates.ts";
import { writeProblem } from "../report/write.ts";
import {
  dedupeTargets,
  type EarlierReport,
  type Target,
} from "../targets/target.ts";
import {
  type Checked,
  checkEntries,
  Lookups,
  type Placed,
  placeListed,
} from "../targets/lookup.ts";

/**
 * One memo of API lookups: with `--org` or `--check` the API is required
 * (no `--allow-net` is an error), otherwise used only when reachable.
 */
function lookupsFor(options: RunOptions, io: RunIo): Lookups {
  let forge: ForgeClient | null | undefined;
  const required = options.org.length > 0 || options.check !== undefined;
  return new Lookups(() =>
    forge ??= required
      ? openForge(options, io.env, "--check")
      : forgeIfReachable(options, io.env, "--repo")
  );
}

/** What a `targets` run resolved before it reads any template. */
interface Prepared {
  /** The sources as resolved (discovery's kept and left-out repos). */
  resolved: Resolved;
  /** The listed targets after their lookups. */
  placed: Placed;
  /** The `--check` file's entries, or null without `--check`. */
  checked: Checked | null;
  /** Every target to read, in order. */
  targets: Target[];
}

/**
 * Resolves the sources, looks the listed ones up and reads the `--check`
 * file; null when there is nothing to do.
 */
async function prepare(
  options: RunOptions,
  retry: EarlierReport | null,
  io: RunIo,
  out: Console,
): Promise<Prepared | null> {
  const say = {
    out: (t: string) => out.out(t),
    err: (t: string) => out.err(t),
  };
  const resolved = await resolveSources(
    options,
    retry,
    io.env,
    io.cwd,
    say,
    options.check !== undefined,
  );
  if (resolved === null) return null;
  await checkReportPaths(options, io.cwd);
  const baseUrl = options.baseUrl ?? io.env("GITEA_URL");
  const lookups = lookupsFor(options, io);
  const placed = await placeListed(resolved, baseUrl, io.cwd, lookups);
  const checked = options.check === undefined ? null : await checkEntries(
    options,
    baseUrl,
    io.cwd,
    { ...resolved, targets: placed.targets },
    lookups,
  );
  const targets = dedupeTargets([...placed.targets, ...checked?.probe ?? []]);
  return { resolved, placed, checked, targets };
}

/** Runs `cascade targets` and returns the exit code. */
export async function runTargetsCommand(
  options: RunOptions,
  retry: EarlierReport | null,
  io: RunIo,
  out: Console,
  redactor: Redactor,
): Promise<number> {
  if (options.summary !== undefined) {
    throw new UsageError(
      "targets writes no Markdown summary: drop --summary (use --json)",
    );
  }
  const permission = permissionProblem(permissionNeeds(options, io.cwd));
  if (permission !== null) throw new UsageError(permission);
  const token = readToken(options, io.env);
  if (token !== null) redactor.add(token.value, options.authUser);
  const prepared = await prepare(options, retry, io, out);
  if (prepared === null) return EXIT.ok;
  const { resolved, placed, checked, targets } = prepared;
  const allowed = token === null
    ? new Set<string>()
    : retryTokenOrigins(retry, targets, options, io.env);
  const plans = planTargets(targets, token, options, allowed, redactor);
  const settings = readSettings(options);
  const ran = await withWorkDir(io, out, async (workDir, signal) => {
    const home = `${workDir}/home`;
    await Deno.mkdir(home);
    const git = redactingGit(home, redactor);
    return await runTemplates(
      plans,
      settings,
      targetsStep(settings, options.probe),
      {
        git: io.wrapGit ? io.wrapGit(git) : git,
        workDir,
        signal,
        ...progressHooks(targets, options, io.sinks, out),
      },
    );
  });
  out.progress("");
  const results = ran.value.results;
  const baseUrl = options.baseUrl ?? io.env("GITEA_URL");
  const print = (text: string) =>
    options.json === "-" ? out.err(text) : out.out(text);
  const written = await reportTargets(options, io, out, print, {
    report: {
      $schema: schemaUrl("targets", VERSION),
      ...targetsReport(results, targets, placed.excluded, baseUrl),
    },
    results,
    renamedFrom: targets.map((t) => placed.renamedFrom.get(compareKey(t.key))),
  });
  const differences = checked === null ? 0 : printDifferences(
    options.check as string,
    baseUrl,
    options.probe.length > 0,
    { checked, resolved, results, targets },
    print,
    inActions(io.env),
  );
  if (ran.value.refused > 0) return EXIT.credentials;
  if (ran.interrupted) return EXIT.interrupted;
  const unread = results.some((r) => r.error !== undefined);
  return differences > 0 || unread || !written ? EXIT.failed : EXIT.ok;
}

/**
 * Prints the left-out repos (verbose), the line per target and the
 * summary, and writes `--json`; false when the report file could not be
 * written (said on stderr).
 */
async function reportTargets(
  options: RunOptions,
  io: RunIo,
  out: Console,
  print: (text: string) => void,
  run: {
    report: TargetsReport;
    results: readonly TargetResult[];
    renamedFrom: readonly (string | undefined)[];
  },
): Promise<boolean> {
  if (options.verbose) {
    for (const e of run.report.excluded) {
      print(`${forLog(`left out ${e.repo}: ${e.reason}`)}\n`);
    }
  }
  print(renderTargets(run.report, run.results, run.renamedFrom));
  if (options.json === undefined) return true;
  const path = options.json === "-" ? "-" : resolve(io.cwd, options.json);
  try {
    await out.writeFile(path, `${JSON.stringify(run.report, null, 2)}\n`);
    return true;
  } catch (error) {
    out.err(`cascade: cannot write ${path}: ${writeProblem(error)}\n`);
    return false;
  }
}

/** Prints the gate's differences and its verdict; returns their number. */
function printDifferences(
  file: string,
  baseUrl: string | undefined,
  probed: boolean,
  run: {
    checked: Checked;
    resolved: Resolved;
    results: readonly TargetResult[];
    targets: readonly Target[];
  },
  print: (text: string) => void,
  annotate = false,
): number {
  const { checked, resolved, results, targets } = run;
  const byKey = new Map<string, TargetResult>();
  targets.forEach((t, i) => {
    const result = results[i];
    if (result !== undefined) byKey.set(compareKey(t.key), result);
  });
  const lines = listDifferences(
    file,
    checked.entries,
    resolved.discovered.map((t) => ({
      name: ownerNameOf(t, baseUrl),
      key: t.key,
    })),
    byKey,
    probed,
  );
  for (const line of lines) {
    const safe = forLog(line);
    print(annotate ? `::error::${escapeData(safe)}\n` : `${safe}\n`);
  }
  print(
    lines.length === 0
      ? `cascade targets --check ${file}: the file agrees with the server (${checked.entries.length} templates)\n`
      : `cascade targets --check ${file}: ${lines.length} difference${
        lines.length === 1 ? "" : "s"
      }; change the file as each line says\n`,
  );
  return lines.length;
}
