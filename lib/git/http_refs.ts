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
 * in the environment that git would honour differently. Anything but a smart-HTTP answer (an
 * HTTP error, a redirect, a dumb server, a connection or TLS failure) returns
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

import { readEnv } from "./runner.ts";
import { VERSION } from "../tool_version.ts";
import { InterruptedError, TemplateError } from "../errors.ts";
import { branchNameProblem, checkedHead, type RemoteHead } from "./refs.ts";
import type { Target } from "../targets.ts";

/** How to read one target's refs in-process. */
export interface HttpRefs {
  /** The target's credential-free http(s) URL. */
  url: string;
  /** The `Authorization` header value, or null to send none. */
  authorization: string | null;
  /**
   * Origins whose in-process reads failed below HTTP in this run, shared by
   * all its targets: they are read with git from then on. The same set
   * keys the run's memory of origins that do not speak protocol v2.
   */
  gitOnly: Set<string>;
}

/** What an in-process read gave. */
export type HttpRefsResult =
  | { ok: true; head: RemoteHead }
  | { ok: false; reason: "use-git" | "timeout" };

/** Proxy settings git honours its own way: with any set, reads use git. */
export const PROXY_ENV: readonly string[] = [
  "HTTP_PROXY",
  "http_proxy",
  "HTTPS_PROXY",
  "https_proxy",
  "ALL_PROXY",
  "all_proxy",
];

/**
 * TLS settings (trust stores, verification, client certificates) git
 * honours and `fetch` does not: with any set, https reads use git, so a
 * token only goes where git itself would send it.
 */
export const TLS_ENV: readonly string[] = [
  "GIT_SSL_NO_VERIFY",
  "GIT_SSL_CAINFO",
  "GIT_SSL_CAPATH",
  "GIT_SSL_CERT",
  "GIT_SSL_KEY",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
];

const ADVERTISEMENT = "application/x-git-upload-pack-advertisement";
const RESULT = "application/x-git-upload-pack-result";

/**
 * The most bytes of one answer read (4 MiB: a v0 advertisement of 20,000
 * tags is 1.3 MB; a v2 `ls-refs` answer for HEAD and one branch is under
 * 200 bytes). Beyond it the read stops and resolves `use-git`.
 */
export const MAX_ANSWER_BYTES: number = 4 * 1024 * 1024;

/** The longest pkt-line git sends or accepts (`LARGE_PACKET_MAX`). */
export const MAX_PKT_LENGTH = 65520;

/** The `agent=` capability cascade sends. */
const AGENT = `cascade/${VERSION}`;

/**
 * Per run (keyed by its shared `gitOnly` set): origins whose answer to the
 * v2 request showed they do not speak v2; their reads go straight to v0.
 */
const V0_ONLY = new WeakMap<Set<string>, Set<string>>();

function v0OnlyOf(gitOnly: Set<string>): Set<string> {
  let set = V0_ONLY.get(gitOnly);
  if (set === undefined) V0_ONLY.set(gitOnly, set = new Set());
  return set;
}

/**
 * The in-process recipe for `target`, or null when its refs must be read
 * with git: not http(s), no net permission for its host (never prompts), a
 * proxy setting, or for https a TLS setting, in `env` (default: the process
 * environment).
 */
export function httpRefsFor(
  target: Target,
  authorization: string | null,
  gitOnly: Set<string>,
  env: (name: string) => string | undefined = readEnv,
): HttpRefs | null {
  if (target.scheme !== "http") return null;
  const { host, protocol } = new URL(target.url);
  const settings = protocol === "https:"
    ? [...PROXY_ENV, ...TLS_ENV]
    : PROXY_ENV;
  if (settings.some((name) => env(name))) return null;
  const state = Deno.permissions.querySync({ name: "net", host }).state;
  if (state !== "granted") return null;
  return { url: target.url, authorization, gitOnly };
}

/**
 * Reads HEAD's branch and the tips, as `git ls-remote --symref URL HEAD
 * [refs/heads/BRANCH]` would: first with one v2 `ls-refs` request, then,
 * when the server does not answer it as a v2 server (a v0 advertisement, an
 * error, an HTTP error), with the v0 advertisement; an origin whose answer
 * shows it does not speak v2 goes straight to v0 for the rest of the run
 * (remembered per origin with the run's `gitOnly` set). Both requests share
 * one `timeoutMs`. A repo in SHA-256 makes git's upload-pack refuse the
 * request (cascade does not name an object format): it is read on v0, and
 * so is the rest of its origin in that run.
 *
 * Resolves `use-git` for anything git should answer instead, `timeout`
 * when no complete answer came in `timeoutMs`; throws
 * {@linkcode InterruptedError} when `signal` aborts, and a
 * {@linkcode TemplateError} of kind `invalid` when HEAD's branch is a name
 * git would refuse (see {@linkcode checkedHead}).
 */
export async function readHttpRefs(
  refs: HttpRefs,
  timeoutMs: number,
  signal?: AbortSignal,
  branch?: string,
): Promise<HttpRefsResult> {
  const origin = new URL(refs.url).origin;
  if (refs.gitOnly.has(origin)) return { ok: false, reason: "use-git" };
  if (branch !== undefined && branchNameProblem(branch) !== null) {
    return { ok: false, reason: "use-git" };
  }
  const timeout = AbortSignal.timeout(timeoutMs);
  const abort = signal === undefined
    ? timeout
    : AbortSignal.any([signal, timeout]);
  const base = refs.url.replace(/\/+$/, "");
  const headers: Record<string, string> = {
    "Cache-Control": "no-cache",
    Pragma: "no-cache",
  };
  if (refs.authorization !== null) {
    headers["Authorization"] = refs.authorization;
  }
  const v0Only = v0OnlyOf(refs.gitOnly);
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
    const answer = await answerOf(response, ADVERTISEMENT, abort);
    const head = answer === null || answer === "too-large"
      ? null
      : parseAdvertisement(answer);
    return head === null
      ? { ok: false, reason: "use-git" }
      : { ok: true, head: checkedHead(head, branch) };
  } catch (error) {
    if (signal?.aborted) throw new InterruptedError();
    if (timeout.aborted) return { ok: false, reason: "timeout" };
    if (error instanceof TemplateError) throw error;
    if (!(error instanceof Deno.errors.NotCapable)) refs.gitOnly.add(origin);
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

/** The v2 `ls-refs` request body for HEAD and, if given, one branch. */
export function lsRefsRequest(branch?: string): Uint8Array<ArrayBuffer> {
  const prefixes = branch === undefined
    ? ["HEAD"]
    : ["HEAD", `refs/heads/${branch}`];
  const text = [
    pkt("command=ls-refs\n"),
    pkt(`agent=${AGENT}\n`),
    "0001",
    pkt("symrefs\n"),
    ...prefixes.map((prefix) => pkt(`ref-prefix ${prefix}\n`)),
    "0000",
  ].join("");
  return new TextEncoder().encode(text);
}

function pkt(payload: string): string {
  const length = new TextEncoder().encode(payload).length + 4;
  return `${length.toString(16).padStart(4, "0")}${payload}`;
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
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** One pkt-line: a special packet, or a data line and its payload. */
export type Pkt =
  | { type: "flush" | "delim" | "response-end" }
  | { type: "data"; bytes: Uint8Array };

/**
 * Splits `bytes` into pkt-lines, strictly: a length is exactly four hex
 * digits (no sign, no space), `0000` is a flush, `0001` a delimiter and
 * `0002` a response end (these two only when `v2`), any other length below
 * 4 or above {@linkcode MAX_PKT_LENGTH} is invalid, and the last line ends
 * where the bytes end. Null when they are not such a sequence.
 */
export function parsePktLines(bytes: Uint8Array, v2: boolean): Pkt[] | null {
  const lines: Pkt[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (pos + 4 > bytes.length) return null;
    let length = 0;
    for (let i = pos; i < pos + 4; i++) {
      const digit = hexDigit(bytes[i] ?? 0);
      if (digit < 0) return null;
      length = length * 16 + digit;
    }
    if (length === 0) lines.push({ type: "flush" });
    else if (length === 1 && v2) lines.push({ type: "delim" });
    else if (length === 2 && v2) lines.push({ type: "response-end" });
    else if (length < 4 || length > MAX_PKT_LENGTH) return null;
    else if (pos + length > bytes.length) return null;
    else {lines.push({
        type: "data",
        bytes: bytes.subarray(pos + 4, pos + length),
      });}
    pos += length < 4 ? 4 : length;
  }
  return lines;
}

/** The value of an ASCII hex digit (either case), or -1. */
function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  return -1;
}

/** A data line as text, without its one trailing newline; null if not UTF-8. */
function text(bytes: Uint8Array): string | null {
  try {
    const line = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return line.endsWith("\n") ? line.slice(0, -1) : line;
  } catch {
    return null;
  }
}

const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Parses a protocol v2 `ls-refs` answer (`<oid> <name>[ symref-target:<t>]
 * [ peeled:<oid>]` lines, a flush, and optionally a response end) into
 * HEAD's branch and the branch tips. Null when it is not one (an `ERR`
 * line, a v0 advertisement, broken framing, a line that does not parse,
 * an attribute other than `symref-target:` and `peeled:`). Names are not
 * checked here: see {@linkcode checkedHead}.
 */
export function parseLsRefs(bytes: Uint8Array): RemoteHead | null {
  const pkts = parsePktLines(bytes, true);
  if (pkts === null) return null;
  const end = pkts.findIndex((p) => p.type !== "data");
  const rest = pkts.slice(end).map((p) => p.type);
  if (
    end < 0 || rest[0] !== "flush" ||
    !(rest.length === 1 || (rest.length === 2 && rest[1] === "response-end"))
  ) {
    return null;
  }
  const head: RemoteHead = { defaultBranch: null, tips: new Map() };
  let headTip: string | null = null;
  let symref: string | null = null;
  for (const pkt of pkts.slice(0, end)) {
    const line = pkt.type === "data" ? text(pkt.bytes) : null;
    if (line === null) return null;
    const [oid = "", name = "", ...attributes] = line.split(" ");
    if (!OID.test(oid) || name === "") return null;
    if (!attributes.every((a) => /^(symref-target|peeled):./.test(a))) {
      return null;
    }
    if (name === "HEAD") {
      headTip = oid;
      for (const attribute of attributes) {
        if (attribute.startsWith("symref-target:")) {
          symref = attribute.slice("symref-target:".length);
        }
      }
    } else if (name.startsWith("refs/heads/")) {
      head.tips.set(name.slice("refs/heads/".length), oid);
    }
  }
  if (headTip !== null && symref?.startsWith("refs/heads/")) {
    head.defaultBranch = symref.slice("refs/heads/".length);
    head.tips.set(head.defaultBranch, headTip);
  }
  return head;
}

/**
 * Parses a protocol v0 upload-pack advertisement (pkt-lines, optionally
 * after a `# service=` line and a flush) into what `git ls-remote --symref`
 * prints: HEAD's branch (only when HEAD is advertised, as git reports it)
 * and the tip of every branch. Null when it is not one. Names are not
 * checked here: see {@linkcode checkedHead}.
 */
export function parseAdvertisement(bytes: Uint8Array): RemoteHead | null {
  const pkts = parsePktLines(bytes, false);
  if (pkts === null) return null;
  const lines: string[] = [];
  let flushes = 0;
  for (const pkt of pkts) {
    if (pkt.type === "flush") {
      flushes++;
      continue;
    }
    if (pkt.type !== "data" || flushes > 1) return null;
    const line = text(pkt.bytes);
    if (line === null) return null;
    lines.push(line);
  }
  if (lines[0]?.startsWith("# service=")) {
    if (lines[0] !== "# service=git-upload-pack") return null;
    // The service line is followed by a flush.
    if (pkts[1]?.type !== "flush") return null;
    lines.shift();
    flushes--;
  }
  // The list ends with a flush; a v2 answer ("version 2") is not a v0 list.
  if (
    flushes !== 1 || pkts.at(-1)?.type !== "flush" ||
    lines[0]?.startsWith("version ")
  ) {
    return null;
  }

  const head: RemoteHead = { defaultBranch: null, tips: new Map() };
  let headTip: string | null = null;
  let symref: string | null = null;
  for (const [index, raw] of lines.entries()) {
    let line = raw;
    if (index === 0) {
      const nul = line.indexOf("\0");
      if (nul < 0) return null;
      for (const capability of line.slice(nul + 1).split(" ")) {
        if (capability.startsWith("symref=HEAD:")) {
          symref = capability.slice("symref=HEAD:".length);
        }
      }
      line = line.slice(0, nul);
    }
    if (index > 0 && line.startsWith("shallow ")) continue;
    const space = line.indexOf(" ");
    const oid = line.slice(0, space);
    const ref = line.slice(space + 1);
    if (space < 0 || !OID.test(oid) || ref === "") return null;
    if (ref === "HEAD") headTip = oid;
    else if (ref.startsWith("refs/heads/")) {
      head.tips.set(ref.slice("refs/heads/".length), oid);
    }
  }
  if (headTip !== null && symref?.startsWith("refs/heads/")) {
    head.defaultBranch = symref.slice("refs/heads/".length);
  }
  return head;
}
