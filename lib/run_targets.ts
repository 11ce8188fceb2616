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
import type { RunOptions } from "./cli/parse.ts";
import { readToken } from "./credentials.ts";
import { readSettings, runTemplates } from "./engine/engine.ts";
import { EXIT } from "./errors.ts";
import type { ForgeClient } from "./forge/client.ts";
import { lookUpRepo, nameProblem } from "./forge/discover.ts";
import { discoveryError, openForge } from "./forge/session.ts";
import { createGitRunner, hermeticEnv } from "./git/runner.ts";
import {
  checkReportPaths,
  readInput,
  type Resolved,
  resolveSources,
} from "./inputs.ts";
import {
  ownerNameOf,
  renderTargets,
  type TargetResult,
  targetsReport,
  targetsStep,
} from "./modes/targets.ts";
import {
  type CheckEntry,
  compareKey,
  listDifferences,
} from "./modes/targets_check.ts";
import type { Console } from "./output.ts";
import type { Redactor } from "./redact.ts";
import { planTargets, progressHooks, type RunIo, withWorkDir } from "./run.ts";
import {
  dedupeTargets,
  parseReposFile,
  parseTarget,
  type Target,
} from "./targets.ts";

/** The checked file's entries, with the server's word on each. */
interface Checked {
  /** One per line of the file, in order. */
  entries: CheckEntry[];
  /** Entries that still need the probe (live, not among the targets). */
  probe: Target[];
}

/**
 * Reads `--check FILE` and asks the API about each entry on the server
 * that discovery did not already vouch for: missing, renamed, archived.
 */
async function checkEntries(
  options: RunOptions,
  io: RunIo,
  resolved: Resolved,
  forgeOf: () => ForgeClient,
): Promise<Checked> {
  const file = options.check as string;
  const baseUrl = options.baseUrl ?? io.env("GITEA_URL");
  const lines = parseReposFile(await readInput(file, "--check", io.cwd));
  const known = new Set(resolved.targets.map((t) => compareKey(t.key)));
  const discovered = new Set(
    resolved.discovered.map((t) => compareKey(t.key)),
  );
  const excluded = new Map(
    resolved.excluded.map((e) => [e.repo.toLowerCase(), e.reason]),
  );
  const entries: CheckEntry[] = [];
  const probe: Target[] = [];
  for (
    const target of dedupeTargets(
      lines.map((l) => parseTarget(l, baseUrl, io.cwd)),
    )
  ) {
    const name = ownerNameOf(target, baseUrl);
    const entry: CheckEntry = { name, key: target.key };
    entries.push(entry);
    const key = compareKey(target.key);
    const reason = excluded.get(name.toLowerCase());
    const onServer = baseUrl !== undefined && target.scheme === "http" &&
      target.url.startsWith(`${baseUrl.replace(/\/+$/, "")}/`) &&
      nameProblem(name) === null;
    if (discovered.has(key)) continue;
    if (reason !== undefined) {
      entry.excluded = reason;
      continue;
    }
    if (onServer) {
      try {
        entry.lookup = await lookUpRepo(forgeOf(), name);
      } catch (error) {
        throw discoveryError(error, file, "--check");
      }
      if (entry.lookup.state !== "live") continue;
    }
    if (!known.has(key)) probe.push(target);
  }
  return { entries, probe };
}

/** Runs `cascade targets` and returns the exit code. */
export async function runTargetsCommand(
  options: RunOptions,
  io: RunIo,
  out: Console,
  redactor: Redactor,
): Promise<number> {
  const token = readToken(options, io.env);
  if (token !== null) redactor.add(token.value, options.authUser);
  const say = {
    out: (t: string) => out.out(t),
    err: (t: string) => out.err(t),
  };
  const resolved = await resolveSources(
    options,
    io.env,
    io.cwd,
    say,
    options.check !== undefined,
  );
  if (resolved === null) return EXIT.ok;
  await checkReportPaths(options, io.cwd);
  let forge: ForgeClient | null = null;
  const forgeOf = () => forge ??= openForge(options, io.env, "--check");
  const checked = options.check === undefined
    ? null
    : await checkEntries(options, io, resolved, forgeOf);
  const targets = dedupeTargets([...resolved.targets, ...checked?.probe ?? []]);
  const plans = planTargets(targets, token, options, redactor);
  const settings = readSettings(options);
  const ran = await withWorkDir(io, out, async (workDir, signal) => {
    const home = `${workDir}/home`;
    await Deno.mkdir(home);
    const git = createGitRunner(hermeticEnv(home));
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
  const baseUrl = options.baseUrl ?? io.env("GITEA_URL");
  const results = ran.value.results;
  const report = targetsReport(results, targets, resolved.excluded, baseUrl);
  const print = (text: string) =>
    options.json === "-" ? out.err(text) : out.out(text);
  if (options.verbose) {
    for (const e of resolved.excluded) {
      print(`left out ${e.repo}: ${e.reason}\n`);
    }
  }
  print(renderTargets(report, results));
  if (options.json !== undefined) {
    const path = options.json === "-" ? "-" : resolve(io.cwd, options.json);
    await out.writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  }
  const differences = checked === null ? 0 : printDifferences(
    options.check as string,
    baseUrl,
    options.probe.length > 0,
    { checked, resolved, results, targets },
    print,
  );
  if (ran.value.refused > 0) return EXIT.credentials;
  if (ran.interrupted) return EXIT.interrupted;
  const unread = results.some((r) => r.error !== undefined);
  return differences > 0 || unread ? EXIT.failed : EXIT.ok;
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
  for (const line of lines) print(`${line}\n`);
  print(
    lines.length === 0
      ? `cascade targets --check ${file}: the file agrees with the server (${checked.entries.length} templates)\n`
      : `cascade targets --check ${file}: ${lines.length} difference${
        lines.length === 1 ? "" : "s"
      }; change the file as each line says\n`,
  );
  return lines.length;
}
