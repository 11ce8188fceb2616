/**
 * One run over templates, from validated options to an exit code: plan
 * (token, targets, each target's git config), run (the command's mode on
 * the engine, in a temp dir of its own, with interrupts), report (text,
 * JSON, Markdown, Actions) and decide the exit code.
 *
 * @module
 */

import { resolve } from "node:path";
import { annotations, inActions, outputs } from "./report/actions.ts";
import type { RunCommandName, RunOptions } from "./cli/parse.ts";
import {
  authorizationFor,
  credentialGitConfig,
  readToken,
  type Token,
} from "./credentials.ts";
import type { Mode, Plan } from "./engine/engine.ts";
import { EXIT, UsageError } from "./errors.ts";
import {
  BASE_GIT_CONFIG,
  createGitRunner,
  type GitRunner,
  hermeticEnv,
  readEnv,
} from "./git/runner.ts";
import { httpRefsFor } from "./git/http_refs.ts";
import { checkReportPaths, resolveTargets } from "./inputs.ts";
import { anyFails, type CiOutcome, type Report } from "./model.ts";
import { type Console, type Sinks, textStyle } from "./output.ts";
import { PUSH } from "./modes/push.ts";
import {
  apiTokenOrigins,
  checkApiPermission,
  type CiPolling,
  CiReader,
} from "./modes/ci_reader.ts";
import type { Redactor } from "./redact.ts";
import {
  ciText,
  renderJson,
  renderMarkdown,
  renderText,
} from "./report/render.ts";
import { type Backoff, DEFAULT_BACKOFF } from "./engine/retry.ts";
import { STATUS } from "./modes/status.ts";
import type { Target } from "./targets.ts";
import { VERSION } from "./tool_version.ts";

/** The commands that run over templates, each a mode of the engine. */
export const MODES: Readonly<Record<RunCommandName, Mode>> = {
  push: PUSH,
  status: STATUS,
};

/** What a run is wired to; tests replace parts of it through `main`. */
export interface RunIo {
  /** Output sinks. */
  sinks: Sinks;
  /** Environment lookup. */
  env: (name: string) => string | undefined;
  /** Directory relative paths resolve against. */
  cwd: string;
  /** Install SIGINT/SIGTERM handlers. */
  handleSignals: boolean;
  /** An external interrupt (tests). */
  signal?: AbortSignal | undefined;
  /** Backoff between push attempts. */
  backoff?: Backoff | undefined;
  /** Wraps the git runner (tests count or record calls). */
  wrapGit?: ((git: GitRunner) => GitRunner) | undefined;
  /** CI poll intervals and API retries (tests shorten them). */
  ciPolling?: CiPolling | undefined;
}

/**
 * Runs `options.command` over its targets and returns the exit code. The
 * token is registered with the redactor first: anything printed from then
 * on, a refused target included, is already redacted for it.
 */
export async function runTemplatesCommand(
  options: RunOptions,
  io: RunIo,
  out: Console,
  redactor: Redactor,
): Promise<number> {
  const token = readToken(options, io.env);
  if (token !== null) redactor.add(token.value, options.authUser);
  const targets = await resolveTargets(options, io.env, io.cwd, {
    out: (t) => out.out(t),
    err: (t) => out.err(t),
  });
  if (targets === null) return EXIT.ok;
  await checkReportPaths(options, io.cwd);
  const ciFlag = options.wait ? "--wait" : options.ci ? "--ci" : null;
  if (ciFlag !== null) checkApiPermission(targets, options, ciFlag);
  const plans = planTargets(targets, token, options, redactor);
  const startedAt = new Date();
  const t0 = performance.now();
  const ran = await withWorkDir(io, out, async (workDir, signal) => {
    const home = `${workDir}/home`;
    await Deno.mkdir(home);
    const git = createGitRunner(hermeticEnv(home));
    const deps = {
      git: io.wrapGit ? io.wrapGit(git) : git,
      workDir,
      signal,
      backoff: io.backoff ?? DEFAULT_BACKOFF,
      ...progressHooks(targets, options, io.sinks, out),
      ci: ciFlag === null ? undefined : new CiReader({
        token: token?.value ?? null,
        allowedOrigins: apiTokenOrigins(targets, options),
        apiUrl: options.apiUrl,
        contexts: options.ciContext,
        waitTimeoutMs: options.waitTimeout,
        waitStartMs: options.waitStart,
        timeoutMs: options.timeout * 1000,
        concurrency: options.concurrency,
        signal,
        polling: io.ciPolling,
      }),
    };
    return await MODES[options.command].run(plans, options, deps);
  });
  const report = ran.value.report({
    tool: VERSION,
    version: options.version,
    file: options.file,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
  });
  out.progress("");
  // With `--json -` stdout carries the JSON alone; the text goes to stderr.
  const text = renderText(report, textStyle(io.sinks, io.env));
  if (options.json === "-") out.err(text);
  else out.out(text);
  await writeReports(report, options, io, out);
  return exitCodeOf(report, ran.value.refused, ran.interrupted);
}

/**
 * The exit code of a finished run: credentials refused in the preflight
 * (3) over an interrupt (130) over any failing template (1).
 */
export function exitCodeOf(
  report: Report,
  refused: number,
  interrupted: boolean,
): number {
  if (refused > 0) return EXIT.credentials;
  if (interrupted) return EXIT.interrupted;
  return anyFails(report) ? EXIT.failed : EXIT.ok;
}

/** Each target with its credentials as git config and for in-process reads. */
function planTargets(
  targets: readonly Target[],
  token: Token | null,
  options: RunOptions,
  redactor: Redactor,
): Plan[] {
  const gitOnly = new Set<string>();
  return targets.map((target) => {
    const authorization = authorizationFor(target, token, options, redactor);
    return {
      target,
      gitConfig: [
        ...BASE_GIT_CONFIG,
        // A stalled transfer ends by itself too: a killed git's transport
        // helper (a grandchild cascade cannot signal) does not linger.
        ["http.lowSpeedLimit", "1"],
        ["http.lowSpeedTime", String(options.timeout)],
        ...credentialGitConfig(target, authorization),
      ],
      httpRefs: httpRefsFor(target, authorization, gitOnly),
    };
  });
}

/** The live progress line and per-template log blocks. */
function progressHooks(
  targets: readonly Target[],
  options: RunOptions,
  sinks: Sinks,
  out: Console,
) {
  const inFlight = new Set<number>();
  const waiting = new Set<number>();
  let done = 0;
  const names = (set: Set<number>) =>
    [...set].map((i) => targets[i]?.repo).join(", ");
  const progress = () =>
    out.progress(
      inFlight.size === 0 && done === targets.length
        ? waiting.size === 0 ? "" : `cascade: waiting for CI: ${names(waiting)}`
        : `cascade: ${done}/${targets.length} done; in flight: ${
          names(inFlight)
        }`,
    );
  return {
    onStart: (i: number) => {
      inFlight.add(i);
      progress();
    },
    onDone: (i: number, title: string, log: string[]) => {
      inFlight.delete(i);
      done++;
      // Logs are for CI logs; a terminal has the live progress line.
      if (!sinks.isTerminal || options.verbose) out.block(title, log);
      progress();
    },
    onCi: (i: number, ci: CiOutcome | null) => {
      if (ci === null) waiting.add(i);
      else {
        waiting.delete(i);
        if (!sinks.isTerminal || options.verbose) {
          out.block(`${targets[i]?.repo} (ci ${ci.state})`, [ciText(ci)]);
        }
      }
      progress();
    },
  };
}

/**
 * Runs `body` in a fresh temp dir with interrupt handling: the first
 * SIGINT/SIGTERM (or `io.signal`) aborts the run's signal, a second one
 * exits at once. The dir is removed on every path.
 */
async function withWorkDir<T>(
  io: RunIo,
  out: Console,
  body: (workDir: string, signal: AbortSignal) => Promise<T>,
): Promise<{ value: T; interrupted: boolean }> {
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
    out.err(
      "cascade: interrupted; stopping (Ctrl-C again to quit at once)\n",
    );
    controller.abort();
  };
  const signals: Deno.Signal[] = io.handleSignals ? ["SIGINT", "SIGTERM"] : [];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    const value = await body(workDir, controller.signal);
    return { value, interrupted: controller.signal.aborted };
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

/** Writes `--json`, `--summary` and, in Actions, annotations and files. */
async function writeReports(
  report: Report,
  options: RunOptions,
  io: RunIo,
  out: Console,
): Promise<void> {
  const abs = (p: string) => (p === "-" ? p : resolve(io.cwd, p));
  const markdown = renderMarkdown(report);
  if (options.json !== undefined) {
    await out.writeFile(abs(options.json), renderJson(report));
  }
  if (options.summary !== undefined) {
    await out.writeFile(abs(options.summary), markdown, true);
  }
  if (!inActions(io.env)) return;
  for (const line of annotations(report)) {
    // Runners read workflow commands from stdout and stderr alike.
    if (options.json === "-") out.err(`${line}\n`);
    else out.out(`${line}\n`);
  }
  const summaryFile = io.env("GITHUB_STEP_SUMMARY");
  if (summaryFile) await out.writeFile(summaryFile, markdown, true);
  const outputFile = io.env("GITHUB_OUTPUT");
  if (outputFile) await out.writeFile(outputFile, outputs(report), true);
}
