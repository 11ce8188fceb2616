/**
 * One run over templates, from validated options to an exit code: plan
 * (token, targets, each target's git config), run (the command's mode on
 * the engine, in a temp dir of its own, with interrupts), report (text,
 * JSON, Markdown, Actions) and decide the exit code.
 *
 * @module
 */

import { resolve } from "node:path";
import { forLog } from "../console/neutralise.ts";
import { withWorkDir } from "../engine/workdir.ts";
import { writeReports } from "../report/write.ts";
import { escapeData, inActions } from "../report/actions.ts";
import { rememberedOptions } from "../cli/layers.ts";
import type { RunCommandName, RunOptions } from "../cli/parse.ts";
import { type PermissionNeeds, permissionProblem } from "../cli/permissions.ts";
import {
  authAdvice,
  credentialGitConfig,
  credentialsFor,
  readToken,
  type Token,
  TOKEN_ENV_DEFAULTS,
  tokenOrigins,
} from "../credentials.ts";
import type { Mode, Plan } from "../engine/engine.ts";
import { EXIT, UsageError } from "../errors.ts";
import {
  BASE_GIT_CONFIG,
  createGitRunner,
  type GitRunner,
  hermeticEnv,
  readEnv,
} from "../git/runner.ts";
import { httpRefsFor } from "../git/http_refs.ts";
import { checkReportPaths, resolveTargets } from "../targets/inputs.ts";
import { type CiOutcome, type Report, schemaUrl } from "../model.ts";
import { anyFails } from "../report/summary.ts";
import { exitWithVerdicts, runVerdicts } from "../report/verdict.ts";
import { type Console, type Sinks, textStyle } from "../console/console.ts";
import { PUSH } from "../modes/push/push.ts";
import { DISPATCH } from "../modes/dispatch/dispatch.ts";
import {
  checkApiPermission,
  type CiPolling,
  CiReader,
} from "../forge/ci_reader.ts";
import type { Redactor } from "../console/redact.ts";
import { ciText, renderText } from "../report/render.ts";
import { type Backoff, DEFAULT_BACKOFF } from "../engine/retry.ts";
import { STATUS } from "../modes/status/status.ts";
import type { EarlierReport, Target } from "../targets/target.ts";
import { VERSION } from "../tool_version.ts";

/** The commands whose mode writes a push or status report. */
export type ModeName = Exclude<RunCommandName, "targets">;

/** The commands that run over templates, each a mode of the engine. */
export const MODES: Readonly<Record<ModeName, Mode>> = {
  push: PUSH,
  status: STATUS,
};

/** The mode that runs `options`: push's `--trigger` picks commit or dispatch. */
export function modeOf(options: RunOptions): Mode {
  return options.command === "push" && options.trigger === "dispatch"
    ? DISPATCH
    : MODES[options.command as ModeName];
}

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
  retry: EarlierReport | null,
  io: RunIo,
  out: Console,
  redactor: Redactor,
): Promise<number> {
  const permission = permissionProblem(
    permissionNeeds(options, io.cwd, io.env),
  );
  if (permission !== null) throw new UsageError(permission);
  const token = readToken(options, io.env);
  if (token !== null) redactor.add(token.value, options.authUser);
  const targets = await resolveTargets(options, retry, io.env, io.cwd, {
    out: (t) => out.out(t),
    err: (t) => out.err(t),
  });
  if (targets === null) return EXIT.ok;
  await checkReportPaths(options, io.cwd);
  const ciFlag = options.wait ? "--wait" : options.ci ? "--ci" : null;
  if (ciFlag !== null) checkApiPermission(targets, options, ciFlag);
  // Where the token may go: one decision for git, the API and dispatches.
  const allowed = token === null
    ? new Set<string>()
    : tokenOrigins(targets, options, io.env);
  const plans = planTargets(targets, token, options, allowed, redactor);
  const startedAt = new Date();
  const t0 = performance.now();
  const ran = await withWorkDir(io, out, async (workDir, signal) => {
    const home = `${workDir}/home`;
    await Deno.mkdir(home);
    const git = redactingGit(home, redactor);
    const deps = {
      git: io.wrapGit ? io.wrapGit(git) : git,
      workDir,
      signal,
      backoff: io.backoff ?? DEFAULT_BACKOFF,
      token,
      tokenOrigins: allowed,
      ...progressHooks(targets, options, io.sinks, out),
      ci: ciFlag === null ? undefined : new CiReader({
        token: token?.value ?? null,
        allowedOrigins: allowed,
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
    return await modeOf(options).run(plans, options, deps);
  });
  const built = ran.value.report({
    tool: VERSION,
    version: options.version,
    file: options.file,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    options: rememberedOptions(options.raw),
  });
  const report = {
    $schema: schemaUrl(built.command, VERSION),
    ...built,
  } as Report;
  out.progress("");
  // With `--json -` stdout carries the JSON alone; the text goes to stderr.
  const text = renderText(report, textStyle(io.sinks, io.env));
  if (options.json === "-") out.err(text);
  else out.out(text);
  for (const warning of ran.value.warnings ?? []) {
    // A warning may quote a template's old value: neutralised.
    const shown = forLog(warning);
    out.err(`cascade: warning: ${shown}\n`);
    if (inActions(io.env)) {
      out.out(`::warning title=cascade::${escapeData(shown)}\n`);
    }
  }
  const verdicts = runVerdicts(report);
  for (const verdict of verdicts) {
    const shown = forLog(verdict.headline);
    out.err(`cascade: ${shown}\n`);
    if (inActions(io.env)) {
      out.out(`::error title=cascade::${escapeData(shown)}\n`);
    }
  }
  const written = await writeReports(report, options, io, out);
  const code = exitWithVerdicts(
    exitCodeOf(report, ran.value.refused, ran.interrupted),
    verdicts,
  );
  return code === EXIT.ok && !written ? EXIT.failed : code;
}

/**
 * What a run needs from Deno, checked before anything runs: git, the temp
 * dir and the report files, and the variables the token and server are
 * read from. (API features check `--allow-net` where they start.)
 */
export function permissionNeeds(
  options: RunOptions,
  cwd: string,
  env: (name: string) => string | undefined = readEnv,
): PermissionNeeds {
  const tmp = readEnv("TMPDIR") || "/tmp";
  const reports = [options.json, options.summary]
    .filter((p): p is string => p !== undefined && p !== "-")
    .map((p) => resolve(cwd, p));
  // In Actions, the step summary and outputs are written too.
  const actions = inActions(env)
    ? [env("GITHUB_STEP_SUMMARY"), env("GITHUB_OUTPUT")]
      .filter((p): p is string => p !== undefined && p !== "")
    : [];
  return {
    read: [tmp],
    write: [tmp, ...reports, ...actions],
    env: options.tokenEnv !== undefined
      ? [options.tokenEnv]
      : [...TOKEN_ENV_DEFAULTS, "GITEA_URL"],
  };
}

/**
 * The run's hermetic git, `home` its HOME. What git says is redacted
 * before anything parses or cuts it: a secret cut in half would no longer
 * match.
 */
export function redactingGit(home: string, redactor: Redactor): GitRunner {
  const real = createGitRunner(hermeticEnv(home));
  return async (args, runOptions) => {
    const output = await real(args, runOptions);
    return { ...output, stderr: redactor.redact(output.stderr) };
  };
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
export function planTargets(
  targets: readonly Target[],
  token: Token | null,
  options: RunOptions,
  allowed: ReadonlySet<string>,
  redactor: Redactor,
): Plan[] {
  const gitOnly = new Set<string>();
  return targets.map((target) => {
    const { authorization, choice } = credentialsFor(
      target,
      token,
      options,
      allowed,
      redactor,
    );
    return {
      target,
      authAdvice: authAdvice(choice, target, options),
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
export function progressHooks(
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
