/**
 * The error of a failed forge API call, {@linkcode ForgeError}, and the one
 * place every failure is classified into one of cascade's error kinds
 * ({@linkcode classifyHttpStatus}, {@linkcode classifyFetchError}) and worded
 * ({@linkcode forgeError}, {@linkcode serverWords}). `./client.ts` re-exports
 * all but {@linkcode forgeError}.
 *
 * @module
 */

import { ADVICE, type ErrorKind } from "../errors.ts";
import {
  cutRedacted,
  redactKnown,
  scrubEdge,
} from "../console/secret_forms.ts";

/** cascade's error kinds plus `moved`: a redirect cascade will not follow. */
export type ForgeErrorKind = ErrorKind | "moved";

/**
 * A failed API call: kind, HTTP status (null without answer), request,
 * what happened and what to do. The message is the one rendering of the
 * two, `answer; advice`; a caller with better advice (a dispatch) renders
 * `answer` with its own instead of cutting the message.
 */
export class ForgeError extends Error {
  /** The classified kind. */
  readonly kind: ForgeErrorKind;
  /** HTTP status, or null when no answer came. */
  readonly status: number | null;
  /** HTTP method. */
  readonly method: string;
  /** URL path of the request (no query, no credentials). */
  readonly path: string;
  /** What happened: the request and the server's answer, without advice. */
  readonly answer: string;
  /** What to do about it (the kind's advice); null when the message has none. */
  readonly advice: string | null;
  /**
   * Constructs the error. Given `{ answer, advice }`, its message is
   * `answer; advice`; given a message alone, that is the answer.
   */
  constructor(
    kind: ForgeErrorKind,
    failure: string | { answer: string; advice: string },
    request: { status: number | null; method: string; path: string },
  ) {
    super(
      typeof failure === "string"
        ? failure
        : `${failure.answer}; ${failure.advice}`,
    );
    this.name = "ForgeError";
    this.kind = kind;
    this.status = request.status;
    this.method = request.method;
    this.path = request.path;
    this.answer = typeof failure === "string" ? failure : failure.answer;
    this.advice = typeof failure === "string" ? null : failure.advice;
  }
}

/** The advice of a kind, `moved` included. */
export function adviceOf(kind: ForgeErrorKind): string {
  return kind === "moved"
    ? "update the repo's address to where it moved, if that is right"
    : ADVICE[kind];
}

/** Classifies an HTTP error status into a kind. */
export function classifyHttpStatus(status: number): ForgeErrorKind {
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "not_found";
  if (status === 400 || status === 422) return "invalid";
  if (status === 408) return "timeout";
  if (status === 429) return "rate-limited";
  if (status >= 500) return "network";
  if (status >= 300 && status < 400) return "moved";
  return "unknown";
}

/** Classifies what `fetch` threw (no answer at all) into a kind. */
export function classifyFetchError(error: unknown): ForgeErrorKind {
  if (error instanceof DOMException || error instanceof Error) {
    if (error.name === "TimeoutError" || error.name === "AbortError") {
      return "timeout";
    }
    if (error instanceof TypeError || error.name === "ConnectionRefused") {
      return "network";
    }
  }
  return "unknown";
}

/** What went wrong, for {@linkcode forgeError}. */
export interface ForgeErrorDetail {
  /** What the server did, e.g. `answered 404`. */
  what: string;
  /** The server's own words, quoted after `what`. */
  server?: string;
  /** `host: what` instead of `METHOD path on host what`. */
  plain?: boolean;
}

/**
 * A {@linkcode ForgeError} for a request to `url`: the request, what went
 * wrong and the advice of its kind.
 */
export function forgeError(
  kind: ForgeErrorKind,
  status: number | null,
  method: string,
  url: URL,
  detail: ForgeErrorDetail,
): ForgeError {
  const words = detail.server ? `: "${detail.server}"` : "";
  const head = detail.plain
    ? `${url.host}: ${detail.what}`
    : `${method} ${url.pathname} on ${url.host} ${detail.what}${words}`;
  return new ForgeError(kind, { answer: head, advice: adviceOf(kind) }, {
    status,
    method,
    path: url.pathname,
  });
}

/**
 * The server's own words from an error body: the `message` of Gitea's JSON
 * error, else the text; at most 200 characters, control characters escaped.
 */
export function serverWords(bytes: Uint8Array): string {
  // Redacted before any cut: the cut at READ_WORDS leaves no piece of a
  // secret at its edge, and the 200-character cut below redacts first.
  const whole = bytes.length <= READ_WORDS;
  const read = redactKnown(
    new TextDecoder().decode(bytes.subarray(0, READ_WORDS)),
  );
  let text = whole ? read : scrubEdge(read, "end");
  try {
    const parsed: unknown = JSON.parse(text);
    const message = (parsed as { message?: unknown } | null)?.message;
    if (typeof message === "string") text = message;
  } catch { /* not JSON: the text itself */ }
  text = text.trim().replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) =>
      c === "\n"
        ? "\\n"
        : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
  return cutRedacted(text, 197);
}

/** Bytes of an error body read for its words. */
const READ_WORDS = 64 * 1024;
