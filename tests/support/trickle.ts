/**
 * Hostile answers for memory tests: a body sent in tiny chunks (17 to 64
 * bytes each, a hostile server's choice) without end, or up to a byte
 * budget, so that a reader that counts payload instead of the bytes it
 * holds would grow without bound.
 *
 * @module
 */

/**
 * A stream of `head`, then `unit` again and again in chunks of 17 to 64
 * bytes for the first `tinyBytes` (default 256 KiB), then in 16 KiB chunks
 * (so that a test stays within seconds), up to `budget` bytes in all,
 * then `tail` (none by default), then it ends. A `budget` of whole units
 * ends on a unit's boundary.
 */
export function trickle(
  head: Uint8Array,
  unit: Uint8Array,
  budget: number,
  tinyBytes = 256 * 1024,
  tail: Uint8Array = new Uint8Array(),
): ReadableStream<Uint8Array> {
  // `unit` repeated past the largest chunk from any offset in it: each
  // chunk is one copy out of it, not a loop over its bytes.
  const tape = new Uint8Array(unit.length + 16 * 1024).fill(32);
  for (let at = 0; unit.length > 0 && at < tape.length; at += unit.length) {
    tape.set(unit.subarray(0, Math.min(unit.length, tape.length - at)), at);
  }
  let sent = 0;
  let headSent = false;
  let n = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!headSent) {
        headSent = true;
        sent += head.length;
        controller.enqueue(head);
        return;
      }
      if (sent >= budget) {
        if (tail.length > 0) controller.enqueue(tail);
        controller.close();
        return;
      }
      const size = Math.min(
        sent < tinyBytes ? 17 + (n++ % 48) : 16 * 1024,
        budget - sent,
      );
      const from = unit.length === 0 ? 0 : sent % unit.length;
      const chunk = tape.slice(from, from + size);
      sent += size;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
}

/** Bytes of `text`. */
export function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
