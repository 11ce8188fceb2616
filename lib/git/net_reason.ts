/**
 * Why a connection to a server failed, in a few words, and which server:
 * read from git's standard error (run with `LC_ALL=C`; git speaks through
 * libcurl for http(s) and through ssh) or from a `fetch` / Deno error,
 * so a report can say `git.example.com:443: connection refused` instead of
 * quoting git.
 *
 * The words matched are the ones git 2.39 with curl 7.88 prints (recorded
 * against loopback servers in `tests/net_reason_test.ts`), older curl's
 * `strerror` texts (`Connection refused`, `No route to host`), OpenSSL's
 * and GnuTLS's, ssh's, and Deno's `fetch` errors (`tcp connect error`,
 * `dns error`, `tls handshake eof`). curl 7.88 says `Couldn't connect to
 * server` for every failed connect that is not a timeout; it is reported
 * as `connection refused`, by far its most common cause.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { networkProblem } from "./net_reason.ts";
 *
 * assert.deepEqual(
 *   networkProblem(
 *     "fatal: unable to access 'https://git.example.com/a/b.git/': Could not resolve host: git.example.com\n",
 *     "https://git.example.com/a/b.git",
 *   ),
 *   { host: "git.example.com:443", reason: "name not found" },
 * );
 * ```
 *
 * @module
 */

import { cutRedacted } from "../console/secret_forms.ts";

/** A short reason; the named ones are matched, anything else is git's words. */
export type NetworkReason =
  | "connection refused"
  | "name not found"
  | "TLS failure"
  | "connection reset"
  | "timed out"
  | "no route to host"
  | "unreachable"
  | "closed without a reply"
  | "closed mid-response"
  | `HTTP ${number}`
  | (string & Record<never, never>);

/** What went wrong, and with which server. */
export interface NetworkProblem {
  /** `host:port`, the port defaulted from the scheme; `""` when local. */
  host: string;
  /** Why, in a few words. */
  reason: NetworkReason;
}

/** Patterns in order: the first that matches gives the reason. */
const REASONS: readonly (readonly [RegExp, NetworkReason])[] = [
  [
    /Operation timed out|Connection timed out|timed out after|Timeout was reached|Operation too slow|TimeoutError|due to timeout|TimedOut|os error 110\b/i,
    "timed out",
  ],
  [
    /Could not resolve (?:host|hostname|proxy)|Name or service not known|nodename nor servname|Temporary failure in name resolution|No address associated with hostname|dns error|failed to lookup address/i,
    "name not found",
  ],
  [/No route to host|os error 113\b/i, "no route to host"],
  [
    /Network is unreachable|Host is unreachable|NetworkUnreachable|os error 101\b/i,
    "unreachable",
  ],
  [
    /Connection refused|Couldn't connect to server|ConnectionRefused|os error 111\b/i,
    "connection refused",
  ],
  [/Connection reset|ConnectionReset|os error 104\b/i, "connection reset"],
  [
    /\bSSL(?:\b|_)|\bTLS\b|OpenSSL|gnutls|certificate|handshake|received corrupt message|InvalidContentType|UnknownIssuer/,
    "TLS failure",
  ],
  [
    /Empty reply from server|connection closed before message completed/i,
    "closed without a reply",
  ],
  [
    /transfer closed|early EOF|the remote end hung up unexpectedly|end of file before message length reached|IncompleteMessage|unexpected EOF/i,
    "closed mid-response",
  ],
];

/** Default ports by URL scheme. */
const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  "http:": "80",
  "https:": "443",
  "ssh:": "22",
  "git+ssh:": "22",
  "ssh+git:": "22",
  "git:": "9418",
};

/**
 * The named reason in `stderrOrError`, or null when none matches (not a
 * network problem, or one this module does not know). A 5xx answer is
 * `HTTP <code>`; other HTTP codes are not network problems.
 */
function networkReason(stderrOrError: unknown): NetworkReason | null {
  // URLs are left out: a host named `ssl.example.com` says nothing.
  const text = textOf(stderrOrError).replace(
    /[a-z][a-z0-9+.-]*:\/\/[^\s'")]+/gi,
    "<url>",
  );
  for (const [pattern, reason] of REASONS) {
    if (pattern.test(text)) return reason;
  }
  const status = /returned error: (5\d\d)\b|\bHTTP (5\d\d)\b/.exec(text);
  if (status !== null) return `HTTP ${Number(status[1] ?? status[2])}`;
  return null;
}

/**
 * The server and the reason a connection failed. `url` is the one git or
 * `fetch` was given (credentials in it are never returned). When no
 * reason is recognised, the reason is the first line of what git or the
 * error said, without git's `fatal: unable to access '<url>': ` prefix.
 */
export function networkProblem(
  stderrOrError: unknown,
  url: string,
): NetworkProblem {
  return {
    host: hostOf(url),
    reason: networkReason(stderrOrError) ?? firstWords(textOf(stderrOrError)),
  };
}

/**
 * `host:port` of a URL or scp-like git address (`git@host:path` is ssh,
 * port 22); IPv6 hosts keep their brackets; `""` for a local path,
 * `file://` or anything unparsable.
 */
function hostOf(url: string): string {
  const scp = /^(?:[^@/\s]+@)?(\[[^\]]+\]|[^:/\s]+):(?!\/\/)/.exec(url);
  if (scp !== null && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    // `C:` style drive letters are local paths, not hosts.
    return (scp[1] ?? "").length > 1 ? `${scp[1]}:22` : "";
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "";
  }
  if (parsed.hostname === "") return "";
  const port = parsed.port || DEFAULT_PORTS[parsed.protocol];
  return port === undefined ? parsed.hostname : `${parsed.hostname}:${port}`;
}

/** The text of a string, or of an error with its name and causes. */
function textOf(value: unknown): string {
  const parts: string[] = [];
  let current: unknown = value;
  for (let depth = 0; depth < 5 && current !== undefined; depth++) {
    if (typeof current === "string") {
      parts.push(current);
      break;
    }
    if (current instanceof Error || current instanceof DOMException) {
      parts.push(`${current.name}: ${current.message}`);
      current = (current as { cause?: unknown }).cause;
      continue;
    }
    parts.push(String(current));
    break;
  }
  return parts.join("\n");
}

/** The first meaningful line, without git's prefixes, at most 120 chars. */
function firstWords(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const line = lines.find((l) => /^(?:fatal|error):/.test(l)) ?? lines[0] ??
    "";
  const words = line
    .replace(/^(?:fatal|error):\s*/, "")
    .replace(/^unable to access '[^']*':\s*/, "")
    .replace(/^TypeError:\s*/, "");
  if (words === "") return "unreachable";
  return cutRedacted(words, 117);
}
