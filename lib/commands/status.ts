/**
 * `cascade status`: reads the version file on every template's branch
 * (and with `--ci` its CI at the tip) and reports drift; pushes nothing.
 *
 * @module
 */

import type { RunOptions } from "../cli/parse.ts";
import { STATUS, type StatusModeSettings } from "../modes/status/status.ts";
import { bindMode } from "../modes/triggers.ts";
import { type ModeCommand, runMode } from "./mode_run.ts";
import type { RunContext } from "./run.ts";
import { ciSettings, commonSettings, readSettings } from "./settings.ts";

/** The settings of a `status` run, from its command line. */
function statusCommand(options: RunOptions): ModeCommand {
  const settings: StatusModeSettings = {
    ...readSettings(options),
    probes: options.probe,
    ci: options.ci,
    via: options.via,
  };
  return {
    mode: bindMode(STATUS, settings),
    common: commonSettings(options),
    ci: ciSettings(options, options.ci ? "--ci" : null),
  };
}

/** Runs `cascade status` and returns the exit code. */
export async function runStatus(
  options: RunOptions,
  ctx: RunContext,
): Promise<number> {
  return await runMode(statusCommand(options), ctx);
}
