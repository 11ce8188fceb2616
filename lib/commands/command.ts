/**
 * A command that runs over templates, from its command line to its exit
 * code: the layers behind the command line (an earlier report's options,
 * then the config file) are read, the command line is resolved over them
 * once, and the command's own file runs it (`push.ts`, `status.ts`,
 * `targets.ts`).
 *
 * @module
 */

import { statusTriggerNote } from "../cli/dispatch_options.ts";
import { loadLayers } from "../cli/layers.ts";
import { redCiDispatchLayer } from "../targets/red_ci.ts";
import {
  type CommandLine,
  resolveOptions,
  type RunCommandName,
  type RunOptions,
} from "../cli/parse.ts";
import type { Console } from "../console/console.ts";
import type { Redactor } from "../console/redact.ts";
import { runPush } from "./push.ts";
import type { RunContext, RunIo } from "./run.ts";
import { runStatus } from "./status.ts";
import { runTargets } from "./targets.ts";
import { registerTokens } from "../cli/secret_values.ts";

/** How a command over templates runs, given its resolved command line. */
type CommandRun = (options: RunOptions, ctx: RunContext) => Promise<number>;

/** Each command over templates, by name: a new command is a row here. */
const COMMANDS: Readonly<Record<RunCommandName, CommandRun>> = {
  push: runPush,
  status: runStatus,
  targets: runTargets,
};

/**
 * Runs `push`, `status` or `targets` from its command line, read once
 * (`readCommandLine`): the layers it names, then its options over them.
 */
export async function runCommand(
  line: CommandLine,
  io: RunIo,
  out: Console,
  redactor: Redactor,
): Promise<number> {
  const say = {
    out: (t: string) => out.out(t),
    err: (t: string) => out.err(t),
  };
  const { layers, retry } = await loadLayers(line, io.cwd, say);
  // A retry of red CI alone, with a workflow known: a dispatch re-runs it.
  const redCi = redCiDispatchLayer(line, layers, retry);
  if (redCi !== null) {
    layers.unshift(redCi);
    out.err(
      `cascade: ${redCi.source}: the pushes landed but the CI is not green; dispatching the workflow to re-run it (--trigger dispatch)\n`,
    );
  }
  const note = statusTriggerNote(line.command, layers);
  if (note !== null) out.err(note);
  // The config may name the token's variable: known before values are checked.
  registerTokens(
    redactor,
    io.env,
    layers.map((l) => l.values.tokenEnv).filter((n) => typeof n === "string"),
  );
  const options = resolveOptions(line, layers);
  return await COMMANDS[line.command](options, { retry, io, out, redactor });
}
