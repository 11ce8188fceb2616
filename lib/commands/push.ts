/**
 * `cascade push`: makes every template rebuild with the version, the way
 * `--trigger` says (a row of the trigger table, `modes/triggers.ts`:
 * commit and push it, or run each template's workflow with it); with
 * `--wait`, follows each CI to its result.
 *
 * @module
 */

import type { RunOptions } from "../cli/parse.ts";
import { checkProposeFlags } from "../cli/propose_options.ts";
import { TRIGGERS } from "../modes/triggers.ts";
import { type ModeCommand, runMode } from "./mode_run.ts";
import type { RunContext } from "./run.ts";
import { ciSettings, commonSettings, readSettings } from "./settings.ts";

/**
 * The settings of a `push` run, from its command line and its trigger;
 * pull-request flags that would do nothing are refused first.
 */
function pushCommand(options: RunOptions): ModeCommand {
  checkProposeFlags(options);
  return {
    mode: TRIGGERS[options.trigger].bind(options, readSettings(options)),
    common: commonSettings(options),
    ci: ciSettings(options, options.wait ? "--wait" : null),
  };
}

/** Runs `cascade push` with its trigger and returns the exit code. */
export async function runPush(
  options: RunOptions,
  ctx: RunContext,
): Promise<number> {
  return await runMode(pushCommand(options), ctx);
}
