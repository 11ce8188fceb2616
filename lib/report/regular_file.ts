/**
 * Writing a report file that must be a regular file, with no window for a
 * FIFO or a device swapped in after the path was checked: the file is
 * opened without blocking (`O_NONBLOCK`: a FIFO with no reader fails at
 * once instead of hanging the run for ever), and what was opened is
 * checked before a byte is written: a regular file, the one the path names
 * (not through a symbolic link: Deno's permission check resolves links,
 * so `O_NOFOLLOW` alone does not hold). `Deno.open` has no such flags;
 * `node:fs` has.
 *
 * @module
 */

import { constants } from "node:fs";
import { open } from "node:fs/promises";

/** Why a path cannot be written as a regular file, for the error. */
const NOT_REGULAR =
  "it is not a regular file (a FIFO, a device or a directory); cascade writes only to regular files";

/**
 * Writes `text` to `path` (`append`: at its end; else replacing it),
 * creating it when absent. Refuses at once, never blocking, a FIFO (with
 * or without a reader), a device, a directory or a symbolic link.
 */
export async function writeRegular(
  path: string,
  text: string,
  append: boolean,
): Promise<void> {
  const { O_WRONLY, O_CREAT, O_NONBLOCK, O_NOFOLLOW, O_APPEND } = constants;
  const flags = O_WRONLY | O_CREAT | O_NONBLOCK | O_NOFOLLOW |
    (append ? O_APPEND : 0);
  let file;
  try {
    file = await open(path, flags, 0o666);
  } catch (error) {
    throw refusal(error) ?? error;
  }
  try {
    const opened = await file.stat();
    if (!opened.isFile()) throw new Error(NOT_REGULAR);
    const named = await Deno.lstat(path).catch(() => null);
    if (named?.isSymlink) throw refusal({ code: "ELOOP" });
    if (
      named !== null && (named.ino !== opened.ino || named.dev !== opened.dev)
    ) {
      throw new Error(
        "it was replaced while cascade opened it; cascade writes only to regular files",
      );
    }
    if (!append) await file.truncate(0);
    await file.writeFile(text);
  } finally {
    await file.close();
  }
}

/** The refusal an open failed with, when it says what the path is. */
function refusal(error: unknown): Error | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENXIO") {
    return new Error(
      "it is a FIFO with no reader; cascade writes only to regular files",
    );
  }
  if (code === "ELOOP") {
    return new Error(
      "it is a symbolic link; cascade does not write through one",
    );
  }
  if (code === "EISDIR") return new Error(NOT_REGULAR);
  // The kinds `writeProblem` words, as `Deno.writeTextFile` throws them.
  if (code === "ENOENT") return new Deno.errors.NotFound("no such file");
  if (code === "EACCES" || code === "EPERM") {
    return new Deno.errors.PermissionDenied("permission denied");
  }
  return null;
}
