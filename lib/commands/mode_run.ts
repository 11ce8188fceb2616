/**
 * The run of a command whose mode writes a push or status report (`push`,
 * with either trigger, and `status`): the shared prepare, the mode over
 * the targets in a work dir, then the report (text, warnings, `--json`,
 * `--summary`, Actions) and the exit code.
 *
 * @module
 */

import type { BoundMode } from "../modes/triggers.ts";
import { EXIT } from "../errors.ts";
import { checkReportPaths, resolveTargets } from "../targets/inputs.ts";
import type { Report } from "../model.ts";
import { textStyle } from "../console/console.ts";
import { checkApiPermission, CiReader } from "../forge/ci_reader.ts";
import { renderText } from "../report/render.ts";
import { DEFAULT_BACKOFF } from "../engine/retry.ts";
import { writeReports } from "../report/write.ts";
import { exitWithVerdicts, runVerdicts } from "../report/verdict.ts";
import { escapeData, inActions } from "../report/actions.ts";
import { forLog } from "../console/neutralise.ts";
import { anyFails } from "../report/summary.ts";
import { VERSION } from "../tool_version.ts";
import {
  type CommonSettings,
  exitCodeOf,
  prepareRun,
  type RunContext,
  runPlans,
} from "./run.ts";

/** How a command reads CI over the forge API (`--wait`, `status --ci`). */
export interface CiSettings {
  /** The flag that asked for it, named in refusals. */
  flag: "--wait" | "--ci";
  /** `--api-url`. */
  apiUrl: string | undefined;
  /** `--ci-context` globs. */
  contexts: readonly string[];
  /** `--wait-timeout`, in milliseconds. */
  waitTimeoutMs: number;
  /** `--wait-start`, in milliseconds. */
  waitStartMs: number;
}

/** A command that runs a mode over templates and writes its report. */
export interface ModeCommand {
  /** The mode, bound to its settings. */
  mode: BoundMode;
  /** What every command is run with. */
  common: CommonSettings;
  /** How CI is read, or null when it is not. */
  ci: CiSettings | null;
}

/**
 * Runs a mode over its targets and returns the exit code: prepare,
 * resolve the targets, run the mode in a work dir, then report (text,
 * warnings, `--json`, `--summary`, Actions) and decide the exit code.
 */
export async function runMode(
  command: ModeCommand,
  ctx: RunContext,
): Promise<number> {
  const { common, ci } = command;
  const { io, out } = ctx;
  const settings = command.mode.read;
  const run = prepareRun(common, ctx);
  const { access } = run;
  // Report paths first: a FIFO or a directory is refused before the run.
  await checkReportPaths(common, io.cwd, io.env);
  const targets = await resolveTargets(common, {
    retry: ctx.retry,
    access,
    env: io.env,
    cwd: io.cwd,
    say: run.say,
  });
  if (targets === null) return EXIT.ok;
  if (ci !== null) checkApiPermission(targets, ci, ci.flag, access);
  const startedAt = new Date();
  const t0 = performance.now();
  const ran = await runPlans(
    targets,
    run,
    ctx,
    (plans, wiring) =>
      command.mode.run(plans, {
        ...wiring,
        backoff: io.backoff ?? DEFAULT_BACKOFF,
        access,
        onMoved: (from, to) => access.moved(from, to, ci?.apiUrl),
        ci: ci === null ? undefined : new CiReader({
          access,
          apiUrl: ci.apiUrl,
          contexts: ci.contexts,
          waitTimeoutMs: ci.waitTimeoutMs,
          waitStartMs: ci.waitStartMs,
          concurrency: settings.concurrency,
          signal: wiring.signal,
          polling: io.ciPolling,
        }),
      }),
  );
  const report: Report = ran.value.report({
    tool: VERSION,
    version: settings.version,
    file: settings.file,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    options: common.remembered,
  });
  out.progress("");
  run.print(renderText(report, textStyle(io.sinks, io.env)));
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
  const written = await writeReports(report, common, io, out);
  return exitWithVerdicts(
    exitCodeOf(
      ran.value.refused,
      ran.interrupted,
      anyFails(report) || !written,
    ),
    verdicts,
  );
}
