/**
 * A cascade run in-process that cannot hang a test: past its bound it is
 * interrupted (as Ctrl-C would) and the test fails saying so, with what
 * the interrupted run printed. The suite goes on either way. Also
 * {@linkcode within}: any promise, failed past its bound.
 *
 * ```ts ignore
 * const done = await boundedCascade(["push", "0.2", "--wait"], ENV, {}, 45_000);
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";
import type { MainIo } from "../../cascade.ts";
import { runCascade, type RunResult } from "./fixtures.ts";

/** The default bound: far past any run the tests make, even loaded. */
export const BOUND_MS = 45_000;

/**
 * Runs cascade with `args` (see `runCascade`); fails if it has not ended
 * within `boundMs`, after interrupting it (and giving it 10 s to stop).
 */
export async function boundedCascade(
  args: string[],
  env: Record<string, string>,
  io: Partial<MainIo> = {},
  boundMs: number = BOUND_MS,
): Promise<RunResult> {
  const interrupt = new AbortController();
  const timers: ReturnType<typeof setTimeout>[] = [];
  const after = (ms: number) =>
    new Promise<"late">((resolve) =>
      timers.push(setTimeout(resolve, ms, "late"))
    );
  const running = runCascade(args, env, { ...io, signal: interrupt.signal });
  try {
    const done = await Promise.race([running, after(boundMs)]);
    if (done !== "late") return done;
    interrupt.abort();
    const ended = await Promise.race([running, after(10_000)]);
    const why = ended === "late"
      ? "nor 10 s after an interrupt"
      : `interrupted, it printed: ${ended.stdout}${ended.stderr}`;
    throw new assert.AssertionError({
      message: `cascade ${
        args.join(" ")
      } hung: not ended within ${boundMs} ms (${why})`,
    });
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
}

/** Runs `run`, failing if it takes over `ms` (a hang is a failure). */
export async function within<T>(ms: number, run: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`took over ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([run(), late]);
  } finally {
    clearTimeout(timer);
  }
}
