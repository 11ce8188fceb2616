#!/usr/bin/env -S deno run --allow-run=git --allow-read --allow-write --allow-env --allow-net
/**
 * cascade: writes a runtime version into the one-line `.runtime-version`
 * file of every template repo, commits, and pushes straight to each default
 * branch (never forced), so every template's CI rebuilds against it.
 *
 * ```sh
 * deno run --allow-run=git --allow-read --allow-write --allow-env --allow-net \
 *   cascade.ts push 0.1.8 --base-url https://git.example.com \
 *   --repos-file templates.txt --json report.json
 * ```
 *
 * The bot token is read from `CASCADE_TOKEN` (or `DISPATCH_TOKEN`, or
 * `--token-env NAME`) and reaches git only through its environment.
 * `--allow-net` lets cascade read each template's refs itself (the request
 * `git ls-remote` makes, with the same `Authorization` header) instead of
 * starting git for it; without it, git does all the network.
 *
 * @module
 */

import { resolve } from "node:path";
import denoJson from "./deno.json" with { type: "json" };
import { annotations, inActions, outputs } from "./lib/actions.ts";
import { type CommonOptions, parseCommand, usage } from "./lib/cli.ts";
import {
  authorizationFor,
  credentialConfig,
  readToken,
} from "./lib/credentials.ts";
import { runDemo } from "./lib/demo.ts";
import {
  type EngineDeps,
  type Plan,
  runPush,
  runStatus,
} from "./lib/engine.ts";
import { UsageError } from "./lib/errors.ts";
import {
  BASE_CONFIG,
  createGitRunner,
  type GitRunner,
  hermeticEnv,
  readEnv,
} from "./lib/git.ts";
import { httpRefsFor } from "./lib/http_refs.ts";
import { Console, processSinks, type Sinks, textStyle } from "./lib/output.ts";
import { Redactor } from "./lib/redact.ts";
import {
  failedCount,
  renderJson,
  renderMarkdown,
  renderText,
  type Report,
  summarise,
  summariseStatus,
} from "./lib/report.ts";
import { type Backoff, DEFAULT_BACKOFF } from "./lib/retry.ts";
import {
  dedupeTargets,
  failedTargetsOf,
  parseReposFile,
  parseShard,
  parseTarget,
  shardTargets,
  type Target,
} from "./lib/targets.ts";

/** cascade's own version (from deno.json). */
export const VERSION: string = denoJson.version;

/** What `main` runs against; tests replace parts of it. */
export interface MainIo {
  /** Output sinks (default: the process's stdout and stderr). */
  sinks: Sinks;
  /** Environment lookup (default: `Deno.env`, without prompting). */
  env: (name: string) => string | undefined;
  /** Directory relative paths resolve against (default: `Deno.cwd()`). */
  cwd: string;
  /** Install SIGINT/SIGTERM handlers (default: true). */
  handleSignals: boolean;
  /** An external interrupt (tests). */
  signal?: AbortSignal;
  /** Backoff between push attempts. */
  backoff: Backoff;
  /** Wraps the git runner (tests count or record calls). */
  wrapGit?: (git: GitRunner) => GitRunner;
}

/** Exit codes: the contract. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  credentials: 3,
  interrupted: 130,
} as const;

/**
 * Runs cascade with command-line `args` and returns the exit code. Side
 * effects are limited to git, the temp dir it removes, and the report files
 * it was asked to write.
 */
export async function main(
  args: string[],
  io: Partial<MainIo> = {},
): Promise<number> {
  const sinks = io.sinks ?? processSinks();
  const env = io.env ?? readEnv;
  const redactor = new Redactor();
  const actions = inActions(env);
  const console = new Console(sinks, redactor, actions);
  try {
    const command = parseCommand(args);
    switch (command.command) {
      case "help":
        console.out(usage(command.topic));
        return EXIT.ok;
      case "version":
        console.out(`cascade ${VERSION}\n`);
        return EXIT.ok;
      case "demo":
        return await runDemo(
          (demoArgs) => main(demoArgs, { ...io, sinks }),
          (text) => console.out(text),
        );
      case "push":
      case "status":
        return await runCommand(
          command,
          io,
          env,
          console,
          redactor,
          actions,
          sinks,
        );
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.err(`cascade: ${error.message}\nRun cascade --help for usage.\n`);
      return EXIT.usage;
    }
    const text = error instanceof Error ? error.message : String(error);
    console.err(`cascade: internal error: ${text.split("\n")[0]}\n`);
    return EXIT.failed;
  }
}

async function runCommand(
  command: Extract<
    ReturnType<typeof parseCommand>,
    { command: "push" | "status" }
  >,
  io: Partial<MainIo>,
  env: (name: string) => string | undefined,
  console: Console,
  redactor: Redactor,
  actions: boolean,
  sinks: Sinks,
): Promise<number> {
  const options = command.options;
  const cwd = io.cwd ?? Deno.cwd();
  // The token first: anything printed from here on, a refused target
  // included, is already redacted for it.
  const token = readToken(options, env);
  if (token !== null) redactor.add(token.value, options.authUser);
  const targets = await resolveTargets(options, env, cwd, console);
  if (targets === null) return EXIT.ok;
  await checkReportPaths(options, cwd);
  const gitOnly = new Set<string>();
  const plans: Plan[] = targets.map((target) => {
    const authorization = authorizationFor(target, token, options, redactor);
    return {
      target,
      config: [
        ...BASE_CONFIG,
        // A stalled transfer ends by itself too: a killed git's transport
        // helper (a grandchild cascade cannot signal) does not linger.
        ["http.lowSpeedLimit", "1"],
        ["http.lowSpeedTime", String(options.timeoutSeconds)],
        ...credentialConfig(target, authorization),
      ],
      httpRefs: httpRefsFor(target, authorization, gitOnly),
    };
  });

  const workDir = await makeWorkDir();
  const controller = new AbortController();
  const onExternal = () => controller.abort();
  io.signal?.addEventListener("abort", onExternal);
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) {
      // Exit at once, but leave no debris: git may still hold files, so
      // removal is best effort.
      try {
        Deno.removeSync(workDir, { recursive: true });
      } catch { /* best effort */ }
      Deno.exit(EXIT.interrupted);
    }
    console.err(
      "cascade: interrupted; stopping (Ctrl-C again to quit at once)\n",
    );
    controller.abort();
  };
  const signals: Deno.Signal[] = io.handleSignals === false
    ? []
    : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);

  const startedAt = new Date();
  const t0 = performance.now();
  try {
    await Deno.mkdir(`${workDir}/home`);
    let git = createGitRunner(hermeticEnv(`${workDir}/home`));
    if (io.wrapGit) git = io.wrapGit(git);
    const inFlight = new Set<number>();
    let done = 0;
    const progress = () =>
      console.progress(
        inFlight.size === 0 && done === targets.length
          ? ""
          : `cascade: ${done}/${targets.length} done; in flight: ${
            [...inFlight].map((i) => targets[i]?.repo).join(", ")
          }`,
      );
    const deps: EngineDeps = {
      git,
      workDir,
      signal: controller.signal,
      backoff: io.backoff ?? DEFAULT_BACKOFF,
      onStart: (i) => {
        inFlight.add(i);
        progress();
      },
      onDone: (i, title, log) => {
        inFlight.delete(i);
        done++;
        // Logs are for CI logs; a terminal has the live progress line.
        if (!sinks.isTerminal || options.verbose) console.block(title, log);
        progress();
      },
    };
    let report: Report;
    let refused: boolean;
    let failed: boolean;
    if (command.command === "push") {
      const o = command.options;
      const run = await runPush(plans, {
        ...o,
        timeoutMs: o.timeoutSeconds * 1000,
      }, deps);
      report = {
        tool: VERSION,
        command: "push",
        version: o.version,
        file: o.file,
        dryRun: o.dryRun,
        startedAt: startedAt.toISOString(),
        durationMs: Math.round(performance.now() - t0),
        results: run.results,
        summary: summarise(run.results),
      };
      refused = run.authAborted;
      failed = failedCount(report) > 0;
    } else {
      const run = await runStatus(plans, {
        ...options,
        timeoutMs: options.timeoutSeconds * 1000,
      }, deps);
      report = {
        tool: VERSION,
        command: "status",
        version: options.version,
        file: options.file,
        startedAt: startedAt.toISOString(),
        durationMs: Math.round(performance.now() - t0),
        results: run.results,
        summary: summariseStatus(run.results),
      };
      refused = run.authFailed;
      failed = report.summary.current !== run.results.length;
    }
    console.progress("");
    // With `--json -` stdout carries the JSON alone; the text goes to stderr.
    const text = renderText(report, textStyle(sinks, env));
    if (options.json === "-") console.err(text);
    else console.out(text);
    await writeReports(report, options, env, console, actions, cwd);
    return refused
      ? EXIT.credentials
      : controller.signal.aborted
      ? EXIT.interrupted
      : failed
      ? EXIT.failed
      : EXIT.ok;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    io.signal?.removeEventListener("abort", onExternal);
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
}

/**
 * Makes the run's temp dir (in `TMPDIR`, else `/tmp`). Failing that is an
 * input error that says what to do, not an internal one: Deno refuses
 * `/dev`, `/proc` and `/sys` (a `TMPDIR=/dev/shm`, say) without
 * `--allow-all`, which cascade never needs.
 */
async function makeWorkDir(): Promise<string> {
  try {
    return await Deno.makeTempDir({ prefix: "cascade-" });
  } catch (error) {
    const where = readEnv("TMPDIR") || "/tmp";
    const why = error instanceof Deno.errors.NotCapable
      ? "Deno allows no files under /dev, /proc or /sys without --allow-all"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : error instanceof Deno.errors.NotFound
      ? "it does not exist"
      : (error instanceof Error ? error.message : String(error)).split(
        "\n",
      )[0];
    throw new UsageError(
      `cannot make a work directory in ${where} (${why}); set TMPDIR to a writable directory`,
    );
  }
}

/** Targets from flags, repos files and an earlier report; null: nothing to do. */
async function resolveTargets(
  options: CommonOptions,
  env: (name: string) => string | undefined,
  cwd: string,
  console: Console,
): Promise<Target[] | null> {
  const inputs: string[] = [];
  for (const source of options.sources) {
    if ("repo" in source) inputs.push(source.repo);
    else {
      const text = await readInput(source.reposFile, "--repos-file", cwd);
      inputs.push(...parseReposFile(text));
    }
  }
  let fromReport = 0;
  if (options.retryFailed !== undefined) {
    const text = await readInput(options.retryFailed, "--retry-failed", cwd);
    const failed = failedTargetsOf(text, options.retryFailed);
    if (failed.version !== null && failed.version !== options.version) {
      console.err(
        `cascade: note: ${options.retryFailed} was a run for ${failed.version}; retrying its failures with ${options.version}\n`,
      );
    }
    inputs.push(...failed.targets);
    fromReport = failed.targets.length;
    if (fromReport === 0 && inputs.length === 0) {
      console.out(
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
  const baseUrl = options.baseUrl ?? env("GITEA_URL");
  let targets = dedupeTargets(inputs.map((t) => parseTarget(t, baseUrl, cwd)));
  if (options.shard !== undefined) {
    targets = shardTargets(targets, parseShard(options.shard));
    if (targets.length === 0) {
      console.out(
        `cascade: shard ${options.shard} holds no targets: nothing to do\n`,
      );
      return null;
    }
  }
  return targets;
}

async function readInput(
  path: string,
  flag: string,
  cwd: string,
): Promise<string> {
  try {
    return await Deno.readTextFile(
      resolve(cwd, path),
    );
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
async function checkReportPaths(
  options: CommonOptions,
  cwd: string,
): Promise<void> {
  for (
    const [flag, path] of [["--json", options.json], [
      "--summary",
      options.summary,
    ]] as const
  ) {
    if (path === undefined || path === "-") continue;
    const full = resolve(cwd, path);
    const dir = full.slice(0, full.lastIndexOf("/")) || "/";
    try {
      const info = await Deno.stat(dir);
      if (!info.isDirectory) throw new Error();
    } catch {
      throw new UsageError(`${flag} ${path}: directory ${dir} does not exist`);
    }
  }
}

async function writeReports(
  report: Report,
  options: CommonOptions,
  env: (name: string) => string | undefined,
  console: Console,
  actions: boolean,
  cwd: string,
): Promise<void> {
  const abs = (p: string) => (p === "-" ? p : resolve(cwd, p));
  const markdown = renderMarkdown(report);
  if (options.json !== undefined) {
    await console.writeFile(abs(options.json), renderJson(report));
  }
  if (options.summary !== undefined) {
    await console.writeFile(abs(options.summary), markdown, true);
  }
  if (!actions) return;
  for (const line of annotations(report)) {
    // Runners read workflow commands from stdout and stderr alike.
    if (options.json === "-") console.err(`${line}\n`);
    else console.out(`${line}\n`);
  }
  const summaryFile = env("GITHUB_STEP_SUMMARY");
  if (summaryFile) await console.writeFile(summaryFile, markdown, true);
  const outputFile = env("GITHUB_OUTPUT");
  if (outputFile) await console.writeFile(outputFile, outputs(report), true);
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
