/**
 * A command that runs over targets, from its first parse to its exit code:
 * the layers behind the command line (an earlier report's options, then
 * the config file) are read once, the command line is read again with
 * them, and the command runs.
 *
 * @module
 */

import { statusTriggerNote } from "../cli/dispatch_options.ts";
import { loadLayers } from "../cli/layers.ts";
import { parseCommand, type RunOptions } from "../cli/parse.ts";
import { EXIT } from "../errors.ts";
import { redCiDispatchLayer } from "../targets/red_ci.ts";
import type { Console } from "../console/console.ts";
import type { Redactor } from "../console/redact.ts";
import { type RunIo, runTemplatesCommand } from "./templates.ts";
import { runTargetsCommand } from "./targets.ts";

/**
 * Runs `push`, `status` or `targets`: `first` is the command line parsed
 * alone; `args` are read again over the layers it names.
 */
export async function runCommand(
  args: readonly string[],
  first: RunOptions,
  io: RunIo,
  out: Console,
  redactor: Redactor,
): Promise<number> {
  const say = {
    out: (t: string) => out.out(t),
    err: (t: string) => out.err(t),
  };
  const { layers, retry } = await loadLayers(first, io.cwd, say);
  // A retry of red CI alone, with a workflow known: a dispatch re-runs it.
  const redCi = redCiDispatchLayer(first, layers, retry);
  if (redCi !== null) {
    layers.unshift(redCi);
    out.err(
      `cascade: ${first.retryFailed}: the pushes landed but the CI is not green; dispatching the workflow to re-run it (--trigger dispatch)\n`,
    );
  }
  const note = statusTriggerNote(first.command, layers);
  if (note !== null) out.err(note);
  const layered = layers.length === 0
    ? { command: first.command, options: first }
    : parseCommand(args, layers);
  if (!("options" in layered)) return EXIT.usage;
  const run = layered.options.command === "targets"
    ? runTargetsCommand
    : runTemplatesCommand;
  return await run(layered.options, retry, io, out, redactor);
}
