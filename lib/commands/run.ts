/**
 * What every command over templates shares, before and after its own
 * work: the permission check, the token (registered with the redactor
 * before anything is printed), the origins it may go to, each target's
 * plan, the work dir with its hermetic git and progress hooks, where the
 * report text goes, and the exit code. Each command (`push.ts`,
 * `status.ts`, `targets.ts`) calls these in the same order.
 *
 * @module
 */

import { resolve } from "node:path";
import { type PermissionNeeds, permissionProblem } from "../cli/permissions.ts";
import { refuseReportRouting } from "../cli/report_routing.ts";
import { refuseSecretInValues } from "../cli/secret_values.ts";
import type { Raw } from "../cli/options.ts";
import {
  authAdvice,
  credentialGitConfig,
  type CredentialOptions,
  credentialsFor,
  type Token,
  TOKEN_ENV_DEFAULTS,
} from "../credentials.ts";
import { ForgeAccess } from "../forge/access.ts";
import type { EngineDeps, Plan } from "../engine/engine.ts";
import { EXIT, UsageError } from "../errors.ts";
import { inActions } from "../report/actions.ts";
import {
  BASE_GIT_CONFIG,
  createGitRunner,
  type GitRunner,
  hermeticEnv,
  readEnv,
} from "../git/runner.ts";
import { Transport, type TransportMode } from "../git/transport.ts";
import type { SourceSettings } from "../targets/inputs.ts";
import type { CiOutcome } from "../model.ts";
import type { Console, Sinks } from "../console/console.ts";
import type { CiPolling } from "../forge/polling.ts";
import type { Redactor } from "../console/redact.ts";
import { ciText } from "../report/render.ts";
import type { Backoff } from "../engine/retry.ts";
import { withWorkDir } from "../engine/workdir.ts";
import type { ReportPaths } from "../report/write.ts";
import type { EarlierReport, Target } from "../targets/target.ts";

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
  ciPolling?: Partial<CiPolling> | undefined;
  /** Dates the commits cascade writes (default: the system clock; tests). */
  now?: (() => number) | undefined;
}

/** What a command's run is handed besides its own settings. */
export interface RunContext {
  /** The report `--retry-failed` names, read and checked; else null. */
  retry: EarlierReport | null;
  /** What the run is wired to. */
  io: RunIo;
  /** The console (redacted, neutralised). */
  out: Console;
  /** The run's redactor; the token is added to it first. */
  redactor: Redactor;
}

/** What every command over templates is run with, whatever the command. */
export interface CommonSettings
  extends SourceSettings, ReportPaths, CredentialOptions {
  /** Per network operation, in seconds. */
  timeout: number;
  /** `--transport`: in-process smart HTTP where allowed, or always git. */
  transport: TransportMode;
  /** The options the report records (see `rememberedOptions`). */
  remembered: Record<string, string | string[] | boolean>;
  /**
   * Every value the run may commit or send (each option's raw value, and
   * derived ones such as the commit message): none may hold the token.
   */
  values: {
    raw: Partial<Record<string, Raw>>;
    derived: readonly (readonly [string, string])[];
  };
}

/** A run after {@linkcode prepareRun}: its access and where it says things. */
export interface PreparedRun {
  /** What the run is run with. */
  settings: CommonSettings;
  /** The run's one access to the forge API; its token is redacted. */
  access: ForgeAccess;
  /** The token, registered with the redactor; null without one. */
  token: Token | null;
  /** Lines for stdout and stderr (notes, nothing to do). */
  say: { out(text: string): void; err(text: string): void };
  /** Where the report text goes: stderr with `--json -`, else stdout. */
  print(text: string): void;
}

/**
 * The first step of every command: the permissions it needs (exit 2
 * without them), then the token, registered with the redactor before
 * anything is printed: a refused target is already redacted for it.
 */
export function prepareRun(
  settings: CommonSettings,
  { io, out, redactor }: RunContext,
): PreparedRun {
  const permission = permissionProblem(
    permissionNeeds(settings, io.cwd, io.env),
  );
  if (permission !== null) throw new UsageError(permission);
  const access = ForgeAccess.fromEnv(settings, io.env);
  const token = access.token;
  if (token !== null) {
    redactor.add(token.value, settings.authUser);
    const { raw, derived } = settings.values;
    refuseSecretInValues(raw, token.value, derived);
  }
  return {
    settings,
    access,
    token,
    say: { out: (t) => out.out(t), err: (t) => out.err(t) },
    print: (text) => settings.json === "-" ? out.err(text) : out.out(text),
  };
}

/**
 * What a run needs from Deno, checked before anything runs: git, the temp
 * dir and the report files, and the variables the token and server are
 * read from. (API features check `--allow-net` where they start.)
 */
function permissionNeeds(
  settings: ReportPaths & Pick<CredentialOptions, "tokenEnv">,
  cwd: string,
  env: (name: string) => string | undefined,
): PermissionNeeds {
  const tmp = readEnv("TMPDIR") || "/tmp";
  const reports = [settings.json, settings.summary]
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
    env: settings.tokenEnv !== undefined
      ? [settings.tokenEnv]
      : [...TOKEN_ENV_DEFAULTS, "GITEA_URL"],
  };
}

/**
 * Plans every target (the origins the token may go to fixed first), then
 * runs `work` over the plans in a work dir of its own
 * ({@linkcode inWorkDir}).
 */
export async function runPlans<T>(
  targets: readonly Target[],
  run: PreparedRun,
  ctx: RunContext,
  work: (plans: Plan[], wiring: RunWiring) => Promise<T>,
): Promise<{ value: T; interrupted: boolean }> {
  const { io, out, redactor } = ctx;
  const { settings } = run;
  if (run.token !== null) {
    refuseReportRouting(ctx.retry, targets, settings, io.env);
  }
  const allowed = run.access.bind(targets);
  // One transport per run: what it learns of the origins is the run's.
  // Whether a host may be reached is the access's one decision.
  const transport = new Transport(settings.transport, {
    netAllowed: (host) => run.access.netGranted(host),
  });
  const plans = planTargets(
    targets,
    run,
    allowed,
    redactor,
    transport,
  );
  return await inWorkDir(
    targets,
    settings,
    io,
    out,
    redactor,
    (wiring) => work(plans, wiring),
  );
}

/** What {@linkcode inWorkDir} hands the command's work. */
interface RunWiring extends EngineDeps {
  /** The progress line's CI hook. */
  onCi: (index: number, ci: CiOutcome | null) => void;
}

/**
 * Runs `work` in a temp dir of its own (removed on every path), with the
 * run's hermetic, redacting git, its interrupt signal and the progress
 * hooks; says whether an interrupt came.
 */
async function inWorkDir<T>(
  targets: readonly Target[],
  settings: { verbose: boolean },
  io: RunIo,
  out: Console,
  redactor: Redactor,
  work: (wiring: RunWiring) => Promise<T>,
): Promise<{ value: T; interrupted: boolean }> {
  return await withWorkDir(io, out, async (workDir, signal) => {
    const home = `${workDir}/home`;
    await Deno.mkdir(home);
    const git = redactingGit(home, redactor);
    return await work({
      git: io.wrapGit ? io.wrapGit(git) : git,
      workDir,
      signal,
      now: io.now,
      ...progressHooks(targets, settings.verbose, io.sinks, out),
    });
  });
}

/**
 * The run's hermetic git, `home` its HOME. What git says is redacted
 * before anything parses or cuts it: a secret cut in half would no longer
 * match.
 */
function redactingGit(home: string, redactor: Redactor): GitRunner {
  const real = createGitRunner(hermeticEnv(home));
  return async (args, runOptions) => {
    const output = await real(args, runOptions);
    return { ...output, stderr: redactor.redact(output.stderr) };
  };
}

/**
 * The exit code of a finished run: credentials refused in the preflight
 * (3) over an interrupt (130) over anything failed or unwritten (1).
 */
export function exitCodeOf(
  refused: number,
  interrupted: boolean,
  failed: boolean,
): number {
  if (refused > 0) return EXIT.credentials;
  if (interrupted) return EXIT.interrupted;
  return failed ? EXIT.failed : EXIT.ok;
}

/**
 * Each target with its credentials as git config and, where `transport`
 * allows, for in-process reads and pushes.
 */
function planTargets(
  targets: readonly Target[],
  { token, settings, access }: PreparedRun,
  allowed: ReadonlySet<string>,
  redactor: Redactor,
  transport: Transport,
): Plan[] {
  return targets.map((target) => {
    const { authorization, choice } = credentialsFor(
      target,
      token,
      settings,
      allowed,
      redactor,
    );
    return {
      target,
      authAdvice: authAdvice(choice, target, settings),
      gitConfig: [
        ...BASE_GIT_CONFIG,
        // A stalled transfer ends by itself too: a killed git's transport
        // helper (a grandchild cascade cannot signal) does not linger.
        ["http.lowSpeedLimit", "1"],
        ["http.lowSpeedTime", String(settings.timeout)],
        ...credentialGitConfig(target, authorization),
      ],
      httpRefs: transport.for(target, authorization),
      netAllowed: target.scheme === "http" &&
        access.netGranted(new URL(target.url).host),
    };
  });
}

/** The live progress line and per-template log blocks. */
function progressHooks(
  targets: readonly Target[],
  verbose: boolean,
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
      if (!sinks.isTerminal || verbose) out.block(title, log);
      progress();
    },
    onCi: (i: number, ci: CiOutcome | null) => {
      if (ci === null) waiting.add(i);
      else {
        waiting.delete(i);
        if (!sinks.isTerminal || verbose) {
          out.block(`${targets[i]?.repo} (ci ${ci.state})`, [ciText(ci)]);
        }
      }
      progress();
    },
  };
}
