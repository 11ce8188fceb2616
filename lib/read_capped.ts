/**
 * Reading an untrusted answer's body: bounded in the bytes held (not only
 * the payload counted), and stopped at once by an interrupt or a timeout,
 * whoever sent it (a git server, the forge API).
 *
 * A server may answer in tiny chunks (a few bytes each): every chunk is
 * copied at once into one growing buffer and then let go, so what is held
 * is the buffer (at most twice the payload, never more than twice the cap),
 * never a list of chunk objects with their own overhead.
 *
 * @module
 */

/**
 * Bytes appended into one buffer that doubles as it fills, up to `cap`
 * bytes of payload: {@linkcode GrowingBytes.append} answers false (and
 * keeps nothing more) once the cap would be passed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GrowingBytes } from "./read_capped.ts";
 * const buffer = new GrowingBytes(4);
 * assert.equal(buffer.append(new Uint8Array([1, 2])), true);
 * assert.equal(buffer.append(new Uint8Array([3, 4, 5])), false);
 * assert.deepEqual([...buffer.bytes()], [1, 2]);
 * ```
 */
export class GrowingBytes {
  readonly #cap: number;
  #buffer: Uint8Array<ArrayBuffer>;
  #length = 0;

  /** An empty buffer that holds at most `cap` bytes. */
  constructor(cap: number, initial = 16 * 1024) {
    this.#cap = cap;
    this.#buffer = new Uint8Array(Math.max(0, Math.min(initial, cap)));
  }

  /** Bytes held so far. */
  get length(): number {
    return this.#length;
  }

  /** Copies `chunk` in; false (nothing copied) when it would pass the cap. */
  append(chunk: Uint8Array): boolean {
    const need = this.#length + chunk.length;
    if (need > this.#cap) return false;
    if (need > this.#buffer.length) {
      let size = Math.max(this.#buffer.length, 1024);
      while (size < need) size *= 2;
      const grown = new Uint8Array(Math.min(size, this.#cap));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length = need;
    return true;
  }

  /** The bytes held (a view of the buffer, not a copy). */
  bytes(): Uint8Array<ArrayBuffer> {
    return this.#buffer.subarray(0, this.#length);
  }
}

/**
 * Reads a stream to its end into one growing buffer: `too-large` (and the
 * stream cancelled) once more than `cap` bytes came; throws the abort
 * reason as soon as `abort` aborts, even while a read is pending (the
 * stream is cancelled, which ends the pending read; no promise is raced
 * per chunk, so a long answer in tiny chunks leaves nothing behind).
 */
export async function readCapped(
  body: ReadableStream<Uint8Array>,
  cap: number,
  abort: AbortSignal,
): Promise<Uint8Array | "too-large"> {
  const reader = body.getReader();
  const onAbort = () => {
    reader.cancel(abort.reason).catch(() => {});
  };
  abort.addEventListener("abort", onAbort, { once: true });
  const buffer = new GrowingBytes(cap);
  try {
    abort.throwIfAborted();
    while (true) {
      const { done, value } = await reader.read();
      abort.throwIfAborted();
      if (done) break;
      if (!buffer.append(value)) {
        await reader.cancel().catch(() => {});
        return "too-large";
      }
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    if (abort.aborted) throw abort.reason;
    throw error;
  } finally {
    abort.removeEventListener("abort", onAbort);
  }
  return buffer.bytes();
}
