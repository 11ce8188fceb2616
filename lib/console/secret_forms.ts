/**
 * The forms a secret takes in text a server or git may echo, and cutting
 * text so that no secret survives the cut: redact first, then cut, then
 * scrub what is left of a secret at the edge of the cut.
 *
 * A secret is known here once {@linkcode registerSecret} saw it (the
 * redactor registers every secret it is given), so that any cut, wherever
 * it happens, redacts first: a secret cut in half would no longer match
 * the redactor at the output.
 *
 * @module
 */

/** Shortest piece of a secret that is scrubbed at the edge of a cut. */
export const MIN_FRAGMENT = 8;

const known: string[] = [];

/** Every {@linkcode MIN_FRAGMENT}-character piece of a known form; lazily. */
let pieces: Set<string> | null = null;

/**
 * The forms of `secret` that text may carry: raw, URL-encoded, base64 of
 * the secret and of `user:secret` (HTTP Basic), each base64 form at the
 * three byte alignments it can take inside a longer base64 text. Only
 * forms of at least {@linkcode MIN_FRAGMENT} characters are listed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { secretForms } from "./secret_forms.ts";
 * const forms = secretForms("tok_abc123/xyz", "cascade");
 * assert.ok(forms.includes("tok_abc123/xyz"));
 * assert.ok(forms.includes("tok_abc123%2Fxyz"));
 * assert.ok(forms.includes(btoa("cascade:tok_abc123/xyz")));
 * ```
 */
export function secretForms(secret: string, user?: string): string[] {
  const forms = new Set<string>([secret, encodeURIComponent(secret)]);
  const texts = user === undefined ? [secret] : [secret, `${user}:${secret}`];
  for (const text of texts) {
    const bytes = new TextEncoder().encode(text);
    forms.add(base64(bytes));
    for (let shift = 0; shift < 3; shift++) forms.add(aligned(bytes, shift));
  }
  return [...forms].filter((f) => f.length >= MIN_FRAGMENT);
}

/**
 * Registers the forms of a secret for every cut in this process (see the
 * module doc).
 */
export function registerSecret(secret: string, user?: string): void {
  for (const form of secretForms(secret, user)) {
    if (!known.includes(form)) known.push(form);
  }
  known.sort((a, b) => b.length - a.length);
  pieces = null;
}

/** `text` with every registered form of every secret replaced by `***`. */
export function redactKnown(text: string): string {
  let out = text;
  for (const form of known) {
    if (out.includes(form)) out = out.replaceAll(form, "***");
  }
  return out;
}

/**
 * `text` redacted, then cut to `max` UTF-16 code units (never inside a
 * surrogate pair) with `marker` appended when it was longer; a piece of a
 * secret of {@linkcode MIN_FRAGMENT} or more characters left at the end of
 * the kept text becomes `***`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cutRedacted, registerSecret } from "./secret_forms.ts";
 * registerSecret("sekret-0123456789abcdef");
 * assert.equal(cutRedacted("say sekret-0123456789abcdef now", 7), "say ***...");
 * assert.equal(cutRedacted("x sekret-0123456789", 60), "x sekret-0123456789");
 * assert.equal(cutRedacted("x sekret-0123456789abc", 19), "x ***...");
 * ```
 */
export function cutRedacted(text: string, max: number, marker = "..."): string {
  const clean = redactKnown(text);
  if (clean.length <= max) return clean;
  const kept = clean.slice(0, Math.max(0, max)).replace(/[\ud800-\udbff]$/, "");
  return `${scrubEdge(kept, "end")}${marker}`;
}

/**
 * A value given to cascade as a message shows it (a bad flag value in a
 * usage error): at most `max` UTF-16 code units of it, with every
 * registered form of a secret, and any piece of one of
 * {@linkcode MIN_FRAGMENT} or more characters anywhere in what is shown,
 * replaced by `***` before the cut. Linear in `max`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { registerSecret, shownValue } from "./secret_forms.ts";
 * registerSecret("sekret-0123456789abcdef");
 * assert.equal(shownValue("x0123456789abcy", 40), "x***y");
 * assert.equal(shownValue("90 minutes", 5), "90 mi");
 * ```
 */
export function shownValue(text: string, max: number): string {
  // What can reach the shown part: a form starting before `max`.
  const window = redactKnown(text.slice(0, max + (known[0]?.length ?? 0)));
  return scrubPieces(window).slice(0, Math.max(0, max))
    .replace(/[\ud800-\udbff]$/, "");
}

/** {@linkcode shownValue}, JSON-quoted: how a usage error quotes a value. */
export function quotedValue(text: string, max: number): string {
  return JSON.stringify(shownValue(text, max));
}

/**
 * `text` with every run of characters that holds a piece of a registered
 * form of {@linkcode MIN_FRAGMENT} or more characters replaced by `***`:
 * each such piece is covered by its {@linkcode MIN_FRAGMENT}-character
 * windows, all of which are pieces too.
 */
function scrubPieces(text: string): string {
  if (known.length === 0 || text.length < MIN_FRAGMENT) return text;
  if (pieces === null) {
    pieces = new Set();
    for (const form of known) {
      for (let i = 0; i + MIN_FRAGMENT <= form.length; i++) {
        pieces.add(form.slice(i, i + MIN_FRAGMENT));
      }
    }
  }
  let out = "";
  let coveredTo = 0;
  let from = 0;
  for (let i = 0; i + MIN_FRAGMENT <= text.length; i++) {
    if (!pieces.has(text.slice(i, i + MIN_FRAGMENT))) continue;
    if (i > coveredTo || coveredTo === 0) {
      out += `${text.slice(from, i)}***`;
    }
    coveredTo = i + MIN_FRAGMENT;
    from = coveredTo;
  }
  return `${out}${text.slice(from)}`;
}

/**
 * `text` with a piece of a registered secret form (at least
 * {@linkcode MIN_FRAGMENT} characters) at its `end` or `start` replaced by
 * `***`: what is left next to a cut.
 */
export function scrubEdge(text: string, side: "end" | "start"): string {
  let best = 0;
  for (const form of known) {
    const edge = side === "end"
      ? text.slice(-form.length)
      : text.slice(0, form.length);
    for (let len = edge.length; len >= MIN_FRAGMENT && len > best; len--) {
      const piece = side === "end" ? edge.slice(-len) : edge.slice(0, len);
      if (form.includes(piece)) {
        best = len;
        break;
      }
    }
  }
  if (best === 0) return text;
  return side === "end"
    ? `${text.slice(0, text.length - best)}***`
    : `***${text.slice(best)}`;
}

/**
 * The base64 characters that `bytes` alone decide when they start `shift`
 * bytes into a longer base64 text (the edges, shared with the neighbouring
 * bytes, are left out).
 */
function aligned(bytes: Uint8Array, shift: number): string {
  const padded = new Uint8Array(shift + bytes.length);
  padded.set(bytes, shift);
  const text = base64(padded).replace(/=+$/, "");
  const first = Math.ceil((shift * 8) / 6);
  const last = Math.floor(((shift + bytes.length) * 8) / 6);
  return text.slice(first, last);
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
