/**
 * Reading an untrusted answer's body: bounded in size and stopped at once
 * by an interrupt or a timeout, whoever sent it (a git server, the forge
 * API).
 *
 * @module
 */

import { concatBytes } from "./git/runner.ts";

/**
 * Reads a stream to its end with a running count: `too-large` (and the
 * stream cancelled) once more than `cap` bytes came; throws the abort
 * reason as soon as `abort` aborts, even while a read is pending.
 */
export async function readCapped(
  body: ReadableStream<Uint8Array>,
  cap: number,
  abort: AbortSignal,
): Promise<Uint8Array | "too-large"> {
  const reader = body.getReader();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abort.reason);
    abort.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => {});
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    abort.throwIfAborted();
    while (true) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done) break;
      total += value.length;
      if (total > cap) {
        await reader.cancel().catch(() => {});
        return "too-large";
      }
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    abort.removeEventListener("abort", onAbort);
  }
  return concatBytes(chunks);
}
