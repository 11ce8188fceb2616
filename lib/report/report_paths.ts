/**
 * Report and summary paths are regular files or absent: a FIFO with no
 * reader, a device or a directory would hang or break the run at its end,
 * after the pushes. They are refused at once, before the run.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/**
 * What the path is when it exists and is not a regular file (following
 * symbolic links): `a directory`, `a FIFO`, `a device`, `a socket`, `not a
 * regular file`; null when it is a regular file or does not exist.
 */
async function irregularKind(path: string): Promise<string | null> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    // A dangling symlink, a path through a file: what it is cannot be told.
    if (error instanceof Deno.errors.NotADirectory) return "not a regular file";
    return null;
  }
  if (info.isFile) return null;
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO";
  if (info.isCharDevice || info.isBlockDevice) return "a device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/**
 * Refuses (exit 2) any of `paths` (`[what, path]`, `what` naming the flag
 * or variable) that exists and is not a regular file.
 */
export async function refuseIrregular(
  paths: readonly (readonly [string, string | undefined])[],
): Promise<void> {
  for (const [what, path] of paths) {
    if (path === undefined || path === "" || path === "-") continue;
    const kind = await irregularKind(path);
    if (kind === null) continue;
    throw new UsageError(
      `${what} ${path} is ${
        kind.startsWith("not") ? kind : `${kind}, not a regular file`
      }: cascade writes reports only to regular files; name a regular file or a new path`,
    );
  }
}
