/**
 * Reading a template's refs over smart HTTP without starting git, in one
 * request: protocol v2's `ls-refs` (`POST <url>/git-upload-pack` with
 * `Git-Protocol: version=2`, asking only for HEAD and the branch), or for a
 * server that does not speak v2 the request `git ls-remote --symref` makes
 * on protocol v0 (`GET <url>/info/refs?service=git-upload-pack`). Each
 * `git ls-remote` over HTTP starts git and its libcurl transport helper and
 * opens a new connection (a new TLS handshake on https); cascade asks twice
 * per template (preflight and verification), so this is most of what a
 * template costs besides the fetch and the push.
 *
 * It is used only where it behaves as git would: an http(s) target, net
 * permission for its host, no proxy settings, and for https no TLS settings
 * in the environment that git would honour differently. A 429 fails the
 * read as `rate-limited` (git would be refused the same). Anything else
 * but a smart-HTTP answer (an HTTP error, a redirect, a dumb server, a connection or TLS failure) returns
 * `use-git`, and the caller asks `git ls-remote`, whose failure the one
 * classifier names; a connection-level failure also sends the rest of the
 * run's reads of that origin to git.
 *
 * What a server sends is read strictly and within bounds: pkt-line lengths
 * are exactly four hex digits, the whole answer may not pass
 * {@linkcode MAX_ANSWER_BYTES} (beyond it the read stops and git answers
 * instead: a legitimate server with that many refs works with git, and a
 * hostile endless answer costs git no more than the timeout), the timeout
 * and the abort signal stop the read at any point, body included, and a
 * branch or symref name that `git check-ref-format` would refuse fails the
 * template (kind `invalid`) instead of being used.
 *
 * @module
 */

import { deadline } from "./_deadline.ts";
import { lsRefsRequest, parseAdvertisement, parseLsRefs } from "./pkt_line.ts";
import { readCapped } from "../read_capped.ts";
import { InterruptedError, TemplateError } from "../errors.ts";
import { branchNameProblem, checkedHead, type RemoteHead } from "./refs.ts";
import { refuseRateLimit } from "./_rate_limited.ts";

/**
 * What one run learned about origins, shared by all its targets (held by
 * the run's `Transport`, never by a module).
 */
export interface HttpRun {
  /**
   * Origins whose in-process reads failed below HTTP in this run: they are
   * read with git from then on.
   */
  gitOnly: Set<string>;
  /** Origins whose answer showed they do not speak protocol v2. */
  v0Only: Set<string>;
  /**
   * Per origin, whether its upload-pack takes a fetch filter: settled by
   * the origin's first in-process fetch (see `_http_fetch.ts`).
   */
  filters: Map<string, Promise<boolean>>;
}

/** A fresh {@linkcode HttpRun}: nothing learned yet. */
export function newHttpRun(): HttpRun {
  return { gitOnly: new Set(), v0Only: new Set(), filters: new Map() };
}

/** How to read and write one target in-process. */
export interface HttpRefs {
  /** The target's credential-free http(s) URL. */
  url: string;
  /** The `Authorization` header value, or null to send none. */
  authorization: string | null;
  /** The run's memory of origins. */
  run: HttpRun;
}

/** What an in-process read gave. */
export type HttpRefsResult =
  | { ok: true; head: RemoteHead }
  | { ok: false; reason: "use-git" | "timeout" };

/** The step a failed read names (as `lsRemote` does). */
const STEP = "reading the branches";
const ADVERTISEMENT = "application/x-git-upload-pack-advertisement";
const RESULT = "application/x-git-upload-pack-result";

/**
 * The most bytes of one answer read (4 MiB: a v0 advertisement of 20,000
 * tags is 1.3 MB; a v2 `ls-refs` answer for HEAD and one branch is under
 * 200 bytes). Beyond it the read stops and resolves `use-git`.
 */
export const MAX_ANSWER_BYTES: number = 4 * 1024 * 1024;

/**
 * Reads HEAD's branch and the tips, as `git ls-remote --symref URL HEAD
 * [refs/heads/BRANCH]` would: first with one v2 `ls-refs` request, then,
 * when the server does not answer it as a v2 server (a v0 advertisement, an
 * error, an HTTP error), with the v0 advertisement; an origin whose answer
 * shows it does not speak v2 goes straight to v0 for the rest of the run
 * (remembered in the run's `HttpRun`). Both requests share
 * one `timeoutMs`. A repo in SHA-256 makes git's upload-pack refuse the
 * request (cascade does not name an object format): it is read on v0, and
 * so is the rest of its origin in that run.
 *
 * Resolves `use-git` for anything git should answer instead, `timeout`
 * when no complete answer came in `timeoutMs`; throws
 * {@linkcode InterruptedError} when `signal` aborts, a
 * {@linkcode TemplateError} of kind `invalid` when HEAD's branch is a name
 * git would refuse (see {@linkcode checkedHead}), and one of kind
 * `rate-limited` when the server answered 429.
 */
export async function readHttpRefs(
  refs: HttpRefs,
  timeoutMs: number,
  signal?: AbortSignal,
  branch?: string,
): Promise<HttpRefsResult> {
  const origin = new URL(refs.url).origin;
  if (refs.run.gitOnly.has(origin)) return { ok: false, reason: "use-git" };
  if (branch !== undefined && branchNameProblem(branch) !== null) {
    return { ok: false, reason: "use-git" };
  }
  using limit = deadline(timeoutMs, signal);
  const abort = limit.signal;
  const base = refs.url.replace(/\/+$/, "");
  const headers: Record<string, string> = {
    "Cache-Control": "no-cache",
    Pragma: "no-cache",
  };
  if (refs.authorization !== null) {
    headers["Authorization"] = refs.authorization;
  }
  const v0Only = refs.run.v0Only;
  try {
    if (!v0Only.has(origin)) {
      const response = await fetch(`${base}/git-upload-pack`, {
        method: "POST",
        headers: {
          ...headers,
          "Git-Protocol": "version=2",
          "Content-Type": "application/x-git-upload-pack-request",
          Accept: RESULT,
        },
        body: lsRefsRequest(branch),
        redirect: "manual",
        signal: abort,
      });
      await refuseRateLimit(response, STEP, refs.url);
      const answer = await answerOf(response, RESULT, abort);
      if (answer === "too-large") return { ok: false, reason: "use-git" };
      const head = answer === null ? null : parseLsRefs(answer);
      if (head !== null) return { ok: true, head: checkedHead(head, branch) };
      if (speaksNoV2(response.status)) v0Only.add(origin);
    }
    const response = await fetch(
      `${base}/info/refs?service=git-upload-pack`,
      { headers, redirect: "manual", signal: abort },
    );
    await refuseRateLimit(response, STEP, refs.url);
    const answer = await answerOf(response, ADVERTISEMENT, abort);
    const head = answer === null || answer === "too-large"
      ? null
      : parseAdvertisement(answer);
    return head === null
      ? { ok: false, reason: "use-git" }
      : { ok: true, head: checkedHead(head, branch) };
  } catch (error) {
    if (signal?.aborted) throw new InterruptedError();
    if (limit.timedOut) return { ok: false, reason: "timeout" };
    if (error instanceof TemplateError) throw error;
    if (!(error instanceof Deno.errors.NotCapable)) {
      refs.run.gitOnly.add(origin);
    }
    return { ok: false, reason: "use-git" };
  }
}

/**
 * Whether a status that came with an answer other than a v2 `ls-refs`
 * answer shows the server does not speak v2: a 200 (a v0 advertisement, an
 * empty or `ERR` answer, another content type) or a 4xx that is about the
 * request (400, 405, 415, ...), not about the repo or the moment (401, 403,
 * 404, 408, 429), nor a redirect or a server error.
 */
function speaksNoV2(status: number): boolean {
  if (status === 200) return true;
  return status >= 400 && status < 500 &&
    ![401, 403, 404, 408, 429].includes(status);
}

/**
 * The body of a 200 answer of content type `type`, read within
 * {@linkcode MAX_ANSWER_BYTES} (`too-large` beyond it) and stopped by
 * `abort` at any point; null for any other answer (its body cancelled).
 */
async function answerOf(
  response: Response,
  type: string,
  abort: AbortSignal,
): Promise<Uint8Array | "too-large" | null> {
  const got = response.headers.get("content-type")?.split(";")[0]?.trim();
  if (response.status !== 200 || got !== type || response.body === null) {
    await response.body?.cancel().catch(() => {});
    return null;
  }
  return await readCapped(response.body, MAX_ANSWER_BYTES, abort);
}
