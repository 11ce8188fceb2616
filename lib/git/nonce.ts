/**
 * The random part of cascade's commits: a `Cascade-Nonce` trailer of 128
 * random bits, so that a commit's id cannot be known before it is pushed.
 * Without it, a one-file commit is a function of the tip, the file, the
 * author, the message and a whole-second timestamp: anyone could post
 * statuses in advance for the ids of the next minute's possible commits,
 * and a template with no CI would read as green.
 *
 * @example A message gets the trailer in its trailer block
 * ```ts
 * import assert from "node:assert/strict";
 * import { withNonce } from "./nonce.ts";
 *
 * assert.equal(
 *   withNonce("chore: pin 0.1.8\n\nCo-Authored-By: Ada <a@x>\n", "ab12"),
 *   "chore: pin 0.1.8\n\nCo-Authored-By: Ada <a@x>\nCascade-Nonce: ab12\n",
 * );
 * assert.equal(
 *   withNonce("chore: pin 0.1.8\n", "ab12"),
 *   "chore: pin 0.1.8\n\nCascade-Nonce: ab12\n",
 * );
 * ```
 *
 * @module
 */

import { hexOf } from "./object_write.ts";

/** The trailer's key. */
const NONCE_TRAILER = "Cascade-Nonce";

/** 128 random bits from `crypto.getRandomValues`, as 32 hex digits. */
export function commitNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return hexOf(bytes);
}

/**
 * `message` with a `Cascade-Nonce: <nonce>` trailer: appended to its last
 * paragraph when that is already a trailer block (`Key: value` lines, such
 * as `Co-Authored-By:`), else as a paragraph of its own. The message ends
 * with one line break.
 */
export function withNonce(message: string, nonce: string): string {
  const body = message.replace(/\n+$/, "");
  const last = body.slice(body.lastIndexOf("\n\n") + 2);
  const isTrailers = body.includes("\n\n") &&
    last.split("\n").every((line) => /^[A-Za-z0-9-]+: \S/.test(line));
  return `${body}${isTrailers ? "\n" : "\n\n"}${NONCE_TRAILER}: ${nonce}\n`;
}
