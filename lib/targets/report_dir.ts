/**
 * Whether a report's directory exists, asked before anything runs, also
 * when reads are narrowed away from it (`--allow-write=report.json` with
 * `--allow-read=` elsewhere): then the write permission the report needs
 * tells, without leaving a file behind.
 *
 * @module
 */

/**
 * Whether `dir`, the directory of report `file`, exists. With reads
 * narrowed away from it, the report path itself tells, by the write
 * permission the report needs: opened with `createNew`, it already exists
 * (the directory does), is created and removed again at once (the
 * directory does), or is not found (the directory does not). Neither
 * permission granted: true, left to the permission check.
 */
export async function directoryHolds(
  dir: string,
  file: string,
): Promise<boolean> {
  const granted = (name: "read" | "write", path: string) =>
    Deno.permissions.querySync({ name, path }).state === "granted";
  if (granted("read", dir)) {
    try {
      return (await Deno.stat(dir)).isDirectory;
    } catch {
      return false;
    }
  }
  if (!granted("write", file)) return true;
  try {
    const made = await Deno.open(file, { write: true, createNew: true });
    made.close();
    await Deno.remove(file);
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.NotADirectory);
  }
}
