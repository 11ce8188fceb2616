/**
 * Recognising an HTTP server that answers, but not as a git server: a web
 * page, a login redirect, a file server. Such a server makes git fall back
 * to the "dumb" HTTP protocol, and git 2.39 then says almost nothing:
 * `git ls-remote` exits 0 with no output and no error (as for an empty
 * repo), `git clone` makes an empty repo; only a shallow fetch
 * (`dumb http transport does not support shallow capabilities`) or a push
 * (`no DAV locking support`, `git-http-push failed`) fails. So:
 *
 * - {@linkcode notGitServer} reads what git printed: those failures, a
 *   redirect git would not follow, a body that is not git's protocol, and
 *   the headers of a run with {@linkcode HTTP_TRACE_ENV}, which show the
 *   status and content type; or it takes an {@linkcode HttpAnswer} from an
 *   in-process read;
 * - {@linkcode silentOverHttp} says when a successful `ls-remote` may have
 *   been such a fallback, worth one traced re-run (or an in-process read)
 *   before calling a template empty.
 *
 * A 404 (`repository '…' not found`) is left to the not-found classifier:
 * Gitea answers a missing repo that way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { notGitServer } from "./not_git.ts";
 *
 * assert.equal(
 *   notGitServer(
 *     { status: 200, contentType: "text/html; charset=utf-8" },
 *     "https://git.example.com/a/b.git",
 *   ),
 *   "https://git.example.com/a/b.git is not a git server (it answered 200 text/html); check that the URL is the repository's clone URL",
 * );
 * ```
 *
 * @module
 */

/** Status and media type of an answer to `info/refs`. */
export interface HttpAnswer {
  /** HTTP status code. */
  status: number;
  /** The `Content-Type` header, or null when absent. */
  contentType: string | null;
}

/**
 * Environment for one diagnostic git run that prints the HTTP headers to
 * standard error (no bodies). git redacts `Authorization` and cookie
 * values in the trace (`GIT_TRACE_REDACT`, on by default, set here too);
 * the output still goes through the redactor like any other.
 */
export const HTTP_TRACE_ENV: Readonly<Record<string, string>> = {
  GIT_TRACE_CURL: "1",
  GIT_TRACE_CURL_NO_DATA: "1",
  GIT_TRACE_REDACT: "1",
};

/** The content types of git's smart HTTP advertisements. */
const GIT_TYPES = /^application\/x-git-(?:upload|receive)-pack-advertisement$/;

/** What git prints when it fell back to dumb HTTP on a server. */
const DUMB = [
  /dumb http transport does not support shallow capabilities/,
  /no DAV locking support on/,
  /git-http-push failed/,
  /did you run git update-server-info on the server\?/,
  /not valid: is this a git repository\?/,
];

/**
 * The message for a server that is not a git server, or null when the
 * evidence does not say so. `evidence` is git's standard error (`LC_ALL=C`,
 * optionally from a run with {@linkcode HTTP_TRACE_ENV}) or the answer an
 * in-process read got. Only a 200 answer can be "not git": other statuses
 * are auth, not-found or server errors, classified elsewhere.
 */
export function notGitServer(
  evidence: string | HttpAnswer,
  url: string,
): string | null {
  const answer = typeof evidence === "string"
    ? answerFromTrace(evidence)
    : evidence;
  const shown = displayUrl(url);
  const message = (how: string) =>
    `${shown} is not a git server (${how}); check that the URL is the repository's clone URL`;
  if (answer !== null && answer.status === 200) {
    const type = mediaType(answer.contentType);
    if (type === null) return message("it answered 200 without a content type");
    if (!GIT_TYPES.test(type)) return message(`it answered 200 ${type}`);
  }
  if (typeof evidence !== "string") return null;
  const redirect =
    /unable to update url base from redirection:\s*asked for: \S+\s*redirect: (\S+)/
      .exec(evidence);
  if (redirect !== null) {
    return message(`it redirected to ${displayUrl(redirect[1] ?? "")}`);
  }
  if (
    isHttp(url) && /protocol error: bad line length character/.test(evidence)
  ) {
    return message("it answered with a body that is not git's protocol");
  }
  if (DUMB.some((pattern) => pattern.test(evidence))) {
    return message("it answered without git's smart HTTP protocol");
  }
  return null;
}

/**
 * The final answer to git's first `info/refs` request, read from a
 * `GIT_TRACE_CURL` trace (redirects followed), or null when the trace
 * holds none.
 */
function answerFromTrace(stderr: string): HttpAnswer | null {
  let inChain = false;
  let answer: HttpAnswer | null = null;
  for (const line of stderr.split("\n")) {
    const sent = /=> Send header: ([A-Z]+) (\S+) HTTP\/[\d.]+\s*$/.exec(line);
    if (sent !== null) {
      if (sent[1] === "CONNECT") continue;
      // The first info/refs request starts the chain; a request after a
      // redirect continues it.
      if (!inChain && /\/info\/refs(?:\?|$)/.test(sent[2] ?? "")) {
        inChain = true;
      }
      continue;
    }
    if (!inChain) continue;
    const status = /<= Recv header: HTTP\/[\d.]+ (\d{3})\b/.exec(line);
    if (status !== null) {
      answer = { status: Number(status[1]), contentType: null };
      continue;
    }
    const type = headerValue(line, "content-type");
    if (type !== null && answer !== null) {
      answer.contentType = type;
      continue;
    }
    if (/<= Recv header:\s*$/.test(line) && answer !== null) {
      // End of one response's headers: a redirect continues the chain.
      if (answer.status < 300 || answer.status >= 400) return answer;
    }
  }
  return null;
}

/**
 * True when a successful `git ls-remote` over http(s) printed no ref at
 * all: an empty repo, or a server that is not git (see the module doc).
 * Worth one re-run with {@linkcode HTTP_TRACE_ENV}, or an in-process read,
 * to tell them apart.
 */
export function silentOverHttp(
  url: string,
  code: number,
  stdout: string,
): boolean {
  return isHttp(url) && code === 0 && !/^[0-9a-f]{40,64}\t/m.test(stdout) &&
    !/^ref: /m.test(stdout);
}

/** Longest header value kept from a trace; the rest is cut before parsing. */
const MAX_HEADER_VALUE = 1024;

/**
 * The value of header `name` on a trace line `<= Recv header: name: value`
 * (blanks trimmed, at most {@linkcode MAX_HEADER_VALUE} characters), or
 * null; linear in the line, however long the server made it.
 */
function headerValue(line: string, name: string): string | null {
  const prefix = "<= Recv header: ";
  const at = line.indexOf(prefix);
  if (at < 0) return null;
  const rest = line.slice(
    at + prefix.length,
    at + prefix.length + name.length + 1 + MAX_HEADER_VALUE,
  );
  if (rest.slice(0, name.length + 1).toLowerCase() !== `${name}:`) return null;
  return rest.slice(name.length + 1).trim();
}

function isHttp(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/** `type/subtype`, lowercased, without parameters; null when empty. */
function mediaType(contentType: string | null): string | null {
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "" ? null : type;
}

/** The URL without credentials, query or fragment. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    parsed.hash = "";
    return parsed.href;
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, "//");
  }
}
