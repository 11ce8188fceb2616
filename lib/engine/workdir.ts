/**
 * A run's own temp dir and its interrupts: the dir is made in `TMPDIR`
 * (else `/tmp`) and removed on every path; the first SIGINT/SIGTERM aborts
 * the run, a second one exits at once.
 *
 * @module
 */

import { EXIT, UsageError } from "../errors.ts";
import { killRunningGit, readEnv } from "../git/runner.ts";
import type { Console } from "../console/console.ts";

/** What {@linkcode withWorkDir} listens to. */
export interface Interrupts {
  /** Install SIGINT/SIGTERM handlers. */
  handleSignals: boolean;
  /** An external interrupt (tests). */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `body` in a fresh temp dir with interrupt handling: the first
 * SIGINT/SIGTERM (or `io.signal`) aborts the run's signal, a second one
 * exits at once. The dir is removed on every path.
 */
export async function withWorkDir<T>(
  io: Interrupts,
  out: Console,
  body: (workDir: string, signal: AbortSignal) => Promise<T>,
): Promise<{ value: T; interrupted: boolean }> {
  const workDir = await makeWorkDir();
  const controller = new AbortController();
  const onExternal = () => controller.abort();
  io.signal?.addEventListener("abort", onExternal);
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) {
      // Exit at once, but leave no debris: no git running on, and since a
      // git may still hold files, removal is best effort.
      killRunningGit();
      try {
        Deno.removeSync(workDir, { recursive: true });
      } catch { /* best effort */ }
      Deno.exit(EXIT.interrupted);
    }
    out.err(
      "cascade: interrupted; stopping (Ctrl-C again to quit at once)\n",
    );
    controller.abort();
  };
  const signals: Deno.Signal[] = io.handleSignals ? ["SIGINT", "SIGTERM"] : [];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    const value = await body(workDir, controller.signal);
    return { value, interrupted: controller.signal.aborted };
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    io.signal?.removeEventListener("abort", onExternal);
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
}

/**
 * Makes the run's temp dir (in `TMPDIR`, else `/tmp`). Failing that is an
 * input error that says what to do, not an internal one: Deno refuses
 * `/dev`, `/proc` and `/sys` (a `TMPDIR=/dev/shm`, say) without
 * `--allow-all`, which cascade never needs.
 */
async function makeWorkDir(): Promise<string> {
  try {
    return await Deno.makeTempDir({ prefix: "cascade-" });
  } catch (error) {
    const where = readEnv("TMPDIR") || "/tmp";
    const why = error instanceof Deno.errors.NotCapable
      ? "Deno allows no files under /dev, /proc or /sys without --allow-all"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : error instanceof Deno.errors.NotFound
      ? "it does not exist"
      : (error instanceof Error ? error.message : String(error)).split(
        "\n",
      )[0];
    throw new UsageError(
      `cannot make a work directory in ${where} (${why}); set TMPDIR to a writable directory`,
    );
  }
}

/**
 * Removes one template's work repo (best effort: an interrupted git may
 * still hold a file; the run's dir goes at the end on every path).
 */
export async function removeWorkRepo(gitDir: string): Promise<void> {
  await Deno.remove(gitDir, { recursive: true }).catch(() => {});
}
