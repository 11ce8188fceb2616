/**
 * Reading a template's refs over smart HTTP without starting git: the one
 * request `git ls-remote --symref` makes on protocol v0
 * (`GET <url>/info/refs?service=git-upload-pack`), made in-process. Each
 * `git ls-remote` over HTTP starts git and its libcurl transport helper and
 * opens a new connection (a new TLS handshake on https); cascade asks twice
 * per template (preflight and verification), so this is most of what a
 * template costs besides the fetch and the push.
 *
 * It is used only where it behaves as git would: an http(s) target, net
 * permission for its host, no proxy settings, and for https no TLS settings
 * in the environment that git would honour differently. Anything but a smart-HTTP answer (an
 * HTTP error, a redirect, a dumb server, a connection or TLS failure) returns
 * `null`, and the caller asks `git ls-remote`, whose failure the one
 * classifier names; a connection-level failure also sends the rest of the
 * run's reads of that origin to git.
 *
 * @module
 */

import { readEnv } from "./git.ts";
import { InterruptedError } from "./errors.ts";
import type { RemoteHead } from "./refs.ts";
import type { Target } from "./targets.ts";

/** How to read one target's refs in-process. */
export interface HttpRefs {
  /** The target's credential-free http(s) URL. */
  url: string;
  /** The `Authorization` header value, or null to send none. */
  authorization: string | null;
  /**
   * Origins whose in-process reads failed below HTTP in this run, shared by
   * all its targets: they are read with git from then on.
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
 * Reads the advertisement. Resolves `use-git` for anything git should
 * answer instead, `timeout` when no complete answer came in `timeoutMs`;
 * throws {@linkcode InterruptedError} when `signal` aborts.
 */
export async function readHttpRefs(
  refs: HttpRefs,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HttpRefsResult> {
  const origin = new URL(refs.url).origin;
  if (refs.gitOnly.has(origin)) return { ok: false, reason: "use-git" };
  const timeout = AbortSignal.timeout(timeoutMs);
  const abort = signal === undefined
    ? timeout
    : AbortSignal.any([signal, timeout]);
  const headers: Record<string, string> = {
    "Cache-Control": "no-cache",
    Pragma: "no-cache",
  };
  if (refs.authorization !== null) {
    headers["Authorization"] = refs.authorization;
  }
  let body: Uint8Array;
  try {
    const response = await fetch(
      `${refs.url.replace(/\/+$/, "")}/info/refs?service=git-upload-pack`,
      { headers, redirect: "manual", signal: abort },
    );
    const type = response.headers.get("content-type")?.split(";")[0]?.trim();
    if (response.status !== 200 || type !== ADVERTISEMENT) {
      await response.body?.cancel().catch(() => {});
      return { ok: false, reason: "use-git" };
    }
    body = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    if (signal?.aborted) throw new InterruptedError();
    if (timeout.aborted) return { ok: false, reason: "timeout" };
    if (!(error instanceof Deno.errors.NotCapable)) refs.gitOnly.add(origin);
    return { ok: false, reason: "use-git" };
  }
  const head = parseAdvertisement(body);
  return head === null ? { ok: false, reason: "use-git" } : { ok: true, head };
}

/**
 * Parses a protocol v0 upload-pack advertisement (pkt-lines, optionally
 * after a `# service=` line and a flush) into what `git ls-remote --symref`
 * prints: HEAD's branch (only when HEAD is advertised, as git reports it)
 * and the tip of every branch. Null when it is not one.
 */
export function parseAdvertisement(bytes: Uint8Array): RemoteHead | null {
  const decoder = new TextDecoder();
  const lines: string[] = [];
  let pos = 0;
  let flushes = 0;
  while (pos < bytes.length) {
    if (pos + 4 > bytes.length) return null;
    const length = Number.parseInt(
      decoder.decode(bytes.subarray(pos, pos + 4)),
      16,
    );
    if (!Number.isInteger(length) || (length > 0 && length < 4)) return null;
    if (length === 0) {
      flushes++;
      pos += 4;
      continue;
    }
    if (pos + length > bytes.length) return null;
    lines.push(decoder.decode(bytes.subarray(pos + 4, pos + length)));
    pos += length;
  }
  if (lines[0]?.startsWith("# service=")) {
    if (lines[0] !== "# service=git-upload-pack\n") return null;
    lines.shift();
    flushes--;
  }
  // The list ends with a flush; a v2 answer ("version 2") is not a v0 list.
  if (flushes !== 1 || lines[0]?.startsWith("version ")) return null;

  const head: RemoteHead = { defaultBranch: null, tips: new Map() };
  let headTip: string | null = null;
  let symref: string | null = null;
  for (const [index, raw] of lines.entries()) {
    let line = raw.endsWith("\n") ? raw.slice(0, -1) : raw;
    if (index === 0) {
      const nul = line.indexOf("\0");
      if (nul < 0) return null;
      const capabilities = line.slice(nul + 1).split(" ");
      symref = capabilities.find((c) => c.startsWith("symref=HEAD:"))
        ?.slice("symref=HEAD:".length) ?? null;
      line = line.slice(0, nul);
    }
    if (index > 0 && line.startsWith("shallow ")) continue;
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) (\S+)$/.exec(line);
    if (m === null) return null;
    const [, oid = "", ref = ""] = m;
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
