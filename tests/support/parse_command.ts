/**
 * The command line as cascade reads it, in one call for tests: read once
 * (`readCommandLine`), then its options checked over `layers`
 * (`resolveOptions`), the two steps `cascade.ts` and the command layer
 * take.
 *
 * @module
 */

import {
  type Command,
  type OptionLayer,
  readCommandLine,
  resolveOptions,
} from "../../lib/cli/parse.ts";

/** Parses `args` over `layers`; throws what cascade throws (`UsageError`). */
export function parseCommand(
  args: readonly string[],
  layers: readonly OptionLayer[] = [],
): Command {
  const read = readCommandLine(args);
  if (!("line" in read)) return read;
  return { command: read.command, options: resolveOptions(read.line, layers) };
}
