/**
 * `cascade push`: writes the version into every template and pushes it
 * (`--trigger push`), or runs each template's workflow with it
 * (`--trigger dispatch`); with `--wait`, follows each CI to its result.
 *
 * @module
 */

import type { RunOptions } from "../cli/parse.ts";
import type { Console } from "../console/console.ts";
import type { Redactor } from "../console/redact.ts";
import {
  DISPATCH,
  type DispatchModeSettings,
} from "../modes/dispatch/dispatch.ts";
import { PUSH, type PushModeSettings } from "../modes/push/push.ts";
import type { EarlierReport } from "../targets/target.ts";
import { type ModeCommand, runMode } from "./mode_run.ts";
import type { RunIo } from "./run.ts";
import { ciSettings, commonSettings, readSettings } from "./settings.ts";

/** The settings of a `push --trigger push` run, from its command line. */
export function commitCommand(
  options: RunOptions,
): ModeCommand<PushModeSettings> {
  return {
    mode: PUSH,
    settings: {
      ...readSettings(options),
      attempts: options.attempts,
      author: options.author,
      message: options.commitMessage,
      probes: options.probe,
      dryRun: options.dryRun,
      noDowngrade: options.noDowngrade,
      wait: options.wait,
      canary: options.canary,
    },
    common: commonSettings(options),
    ci: ciSettings(options, options.wait ? "--wait" : null),
  };
}

/** The settings of a `push --trigger dispatch` run. */
export function dispatchCommand(
  options: RunOptions,
): ModeCommand<DispatchModeSettings> {
  return {
    mode: DISPATCH,
    settings: {
      ...readSettings(options),
      workflow: options.workflow,
      inputs: Object.fromEntries(
        options.input.map((i) => [
          i.name,
          i.value.replaceAll("{version}", options.version),
        ]),
      ),
      probes: options.probe,
      dryRun: options.dryRun,
      wait: options.wait,
      canary: options.canary,
    },
    common: commonSettings(options),
    ci: ciSettings(options, options.wait ? "--wait" : null),
  };
}

/** Runs `cascade push` with its trigger and returns the exit code. */
export async function runPush(
  options: RunOptions,
  retry: EarlierReport | null,
  io: RunIo,
  out: Console,
  redactor: Redactor,
): Promise<number> {
  return options.trigger === "dispatch"
    ? await runMode(dispatchCommand(options), retry, io, out, redactor)
    : await runMode(commitCommand(options), retry, io, out, redactor);
}
