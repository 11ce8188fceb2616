/**
 * `cascade targets`: resolves the sources (`--repo`, `--repos-file`,
 * `--org` with its filters), reads each target's default branch with the
 * engine's preflight and, with `--probe`, whether it is wired; prints a
 * line per target and a summary, writes `--json`, and with `--check FILE`
 * compares a checked-in repos file with what the server has.
 *
 * @module
 */

import { resolve } from "node:path";
import type { RunOptions } from "../cli/parse.ts";
import { type ReadSettings, runTemplates } from "../engine/engine.ts";
import { EXIT, UsageError } from "../errors.ts";
import { escapeData, inActions } from "../report/actions.ts";
import { forLog } from "../console/neutralise.ts";
import { schemaUrl } from "../model.ts";
import { VERSION } from "../tool_version.ts";
import type { ForgeClient } from "../forge/client.ts";
import type { ForgeAccess } from "../forge/access.ts";
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
import {
  type CommonSettings,
  exitCodeOf,
  type PreparedRun,
  prepareRun,
  type RunContext,
  type RunIo,
  runPlans,
} from "./run.ts";
import { commonSettings, readSettings } from "./settings.ts";
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

/** What a `targets` run is run with. */
interface TargetsSettings {
  /** What every command is run with. */
  common: CommonSettings;
  /** What the engine reads for each target. */
  read: ReadSettings;
  /** `--probe` paths. */
  probes: readonly string[];
  /** `--check FILE`, or undefined. */
  check: string | undefined;
}

/** The settings of a `targets` run, from its command line. */
function targetsSettings(options: RunOptions): TargetsSettings {
  if (options.summary !== undefined) {
    throw new UsageError(
      "targets writes no Markdown summary: drop --summary (use --json)",
    );
  }
  return {
    common: commonSettings(options),
    read: readSettings(options),
    probes: options.probe,
    check: options.check,
  };
}

/**
 * One memo of API lookups: with `--org` or `--check` the API is required
 * (no `--allow-net` is an error), otherwise used only when reachable.
 */
function lookupsFor(settings: TargetsSettings, access: ForgeAccess): Lookups {
  let forge: ForgeClient | null | undefined;
  const required = settings.common.org.length > 0 ||
    settings.check !== undefined;
  return new Lookups(() =>
    forge ??= required
      ? access.server("--check")
      : access.serverIfReachable("--repo")
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
async function resolveAll(
  settings: TargetsSettings,
  retry: EarlierReport | null,
  io: RunIo,
  { access, say }: PreparedRun,
): Promise<Prepared | null> {
  const { common } = settings;
  const resolved = await resolveSources(
    common,
    { retry, access, env: io.env, cwd: io.cwd, say },
    settings.check !== undefined,
  );
  if (resolved === null) return null;
  await checkReportPaths(common, io.cwd, io.env);
  const baseUrl = common.baseUrl ?? io.env("GITEA_URL");
  const lookups = lookupsFor(settings, access);
  const placed = await placeListed(resolved, baseUrl, io.cwd, lookups);
  const checked = settings.check === undefined ? null : await checkEntries(
    settings.check,
    baseUrl,
    io.cwd,
    { ...resolved, targets: placed.targets },
    lookups,
  );
  const targets = dedupeTargets([...placed.targets, ...checked?.probe ?? []]);
  return { resolved, placed, checked, targets };
}

/** Runs `cascade targets` and returns the exit code. */
export async function runTargets(
  options: RunOptions,
  ctx: RunContext,
): Promise<number> {
  const { io, out } = ctx;
  const settings = targetsSettings(options);
  const { common } = settings;
  const run = prepareRun(common, ctx);
  const { print } = run;
  const prepared = await resolveAll(settings, ctx.retry, io, run);
  if (prepared === null) return EXIT.ok;
  const { resolved, placed, checked, targets } = prepared;
  const ran = await runPlans(targets, run, ctx, (plans, wiring) =>
    runTemplates(
      plans,
      settings.read,
      targetsStep(settings.read, settings.probes),
      wiring,
    ));
  out.progress("");
  const results = ran.value.results;
  const baseUrl = common.baseUrl ?? io.env("GITEA_URL");
  const written = await reportTargets(common, io, out, print, {
    report: {
      $schema: schemaUrl("targets", VERSION),
      ...targetsReport(results, targets, placed.excluded, baseUrl),
    },
    results,
    renamedFrom: targets.map((t) => placed.renamedFrom.get(compareKey(t.key))),
  });
  const differences = checked === null || settings.check === undefined
    ? 0
    : printDifferences(
      settings.check,
      baseUrl,
      settings.probes.length > 0,
      { checked, resolved, results, targets },
      print,
      inActions(io.env),
    );
  const unread = results.some((r) => r.error !== undefined);
  return exitCodeOf(
    ran.value.refused,
    ran.interrupted,
    differences > 0 || unread || !written,
  );
}

/**
 * Prints the left-out repos (verbose), the line per target and the
 * summary, and writes `--json`; false when the report file could not be
 * written (said on stderr).
 */
async function reportTargets(
  options: CommonSettings,
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
  // Output lost to a closed pipe is noted where it cannot be lost.
  const lost = out.lost();
  const report = lost.length === 0
    ? run.report
    : { ...run.report, lostOutput: [...lost] };
  if (lost.length > 0 && path !== "-") {
    out.err(
      `cascade: ${
        lost.join(" and ")
      } was closed before the run ended; ${path} holds every target\n`,
    );
  }
  try {
    await out.writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
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
