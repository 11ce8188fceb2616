/**
 * What cascade keeps of a git process's output: a head and a tail of fixed
 * size, the middle dropped and counted. A git that writes without end (a
 * server's endless side-band progress) costs a bounded amount of memory.
 *
 * @module
 */

import { scrubEdge } from "../console/secret_forms.ts";
import { GrowingBytes } from "../read_capped.ts";

/**
 * A head of `headBytes` and a tail of `tailBytes`: bytes past the head go
 * to the tail, whose oldest bytes are dropped (and counted) as new ones
 * come.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HeadTail } from "./bounded_output.ts";
 * const kept = new HeadTail(2, 3);
 * kept.append(new TextEncoder().encode("abcdefgh"));
 * assert.equal(kept.droppedBytes(), 3);
 * assert.equal(new TextDecoder().decode(kept.head()), "ab");
 * assert.equal(new TextDecoder().decode(kept.tail()), "fgh");
 * ```
 */
export class HeadTail {
  readonly #head: GrowingBytes;
  readonly #headBytes: number;
  /** Twice the tail's size (made on first use): new bytes go at the end,
   * then slide down. */
  #tail: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  readonly #tailBytes: number;
  #tailLength = 0;
  #dropped = 0;

  /** An empty head and tail of the given sizes. */
  constructor(headBytes: number, tailBytes: number) {
    this.#head = new GrowingBytes(headBytes, 4096);
    this.#headBytes = headBytes;
    this.#tailBytes = tailBytes;
  }

  /** Takes in one chunk (copied; the chunk is not kept). */
  append(chunk: Uint8Array): void {
    let rest = chunk;
    const room = this.#headBytes - this.#head.length;
    if (room > 0) {
      const part = rest.subarray(0, room);
      this.#head.append(part);
      rest = rest.subarray(part.length);
    }
    if (rest.length === 0) return;
    if (this.#tailBytes === 0) {
      this.#dropped += rest.length;
      return;
    }
    if (this.#tail.length === 0) {
      this.#tail = new Uint8Array(this.#tailBytes * 2);
    }
    if (rest.length >= this.#tailBytes) {
      this.#dropped += this.#tailLength + rest.length - this.#tailBytes;
      this.#tail.set(rest.subarray(rest.length - this.#tailBytes), 0);
      this.#tailLength = this.#tailBytes;
      return;
    }
    if (this.#tailLength + rest.length > this.#tail.length) {
      // Slide the newest tailBytes - rest.length bytes down to the start.
      const keep = this.#tailBytes - rest.length;
      const from = this.#tailLength - keep;
      this.#dropped += from;
      this.#tail.copyWithin(0, from, this.#tailLength);
      this.#tailLength = keep;
    }
    this.#tail.set(rest, this.#tailLength);
    this.#tailLength += rest.length;
  }

  /** The head: the first bytes seen. */
  head(): Uint8Array<ArrayBuffer> {
    return this.#head.bytes().slice();
  }

  /** The tail: the last bytes seen after the head (at most its size). */
  tail(): Uint8Array<ArrayBuffer> {
    const start = Math.max(0, this.#tailLength - this.#tailBytes);
    return this.#tail.slice(start, this.#tailLength);
  }

  /** Bytes held in the tail beyond its size (dropped when read). */
  #surplus(): number {
    return Math.max(0, this.#tailLength - this.#tailBytes);
  }

  /** Bytes seen and not kept, the tail's surplus included. */
  droppedBytes(): number {
    return this.#dropped + this.#surplus();
  }

  /** Head and tail joined, as the bytes a parser gets. */
  bytes(): Uint8Array<ArrayBuffer> {
    const head = this.head();
    const tail = this.tail();
    const out = new Uint8Array(head.length + tail.length);
    out.set(head, 0);
    out.set(tail, head.length);
    return out;
  }

  /**
   * Head and tail as text; when bytes were dropped, a line says how many,
   * and a piece of a secret next to the cut is scrubbed.
   */
  text(): string {
    const decoder = new TextDecoder();
    const dropped = this.droppedBytes();
    if (dropped === 0) return decoder.decode(this.bytes());
    const head = scrubEdge(decoder.decode(this.head()), "end");
    const tail = scrubEdge(decoder.decode(this.tail()), "start");
    return `${head}\n[cascade: ${dropped} bytes of git's output dropped here]\n${tail}`;
  }
}
