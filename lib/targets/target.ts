/**
 * Targets: what `--repo`, `--repos-file`, `--retry-failed` and `--shard`
 * name, resolved to credential-free git URLs, deduplicated and split.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { UsageError } from "../errors.ts";
import { redCiOf, type RedCiTarget } from "./red_ci.ts";
import { hideUserinfo } from "../console/redact.ts";
import {
  PUSH_STATES,
  type StateInfo,
  STATUS_STATES,
  statusStateOf,
} from "../model.ts";
import { cutRedacted } from "../console/secret_forms.ts";

/** How git reaches a target. */
export type TargetScheme = "http" | "ssh" | "file";

/** One template repo to run against. */
export interface Target {
  /** The name shown in reports: as given, with any credentials removed. */
  repo: string;
  /** What git is given: a URL (file:// for paths), never with credentials. */
  url: string;
  /** Identity for deduplication and sharding. */
  key: string;
  /** Transport family. */
  scheme: TargetScheme;
  /** `scheme://host[:port]` for http(s) targets, else null. */
  origin: string | null;
  /** Credentials that were embedded in the URL, moved out of it. */
  embedded: { user: string; password: string } | null;
}

const OWNER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\/[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const SCP_LIKE = /^([A-Za-z0-9_.-]+@)?[A-Za-z0-9_.-]+:(?!\/\/)[^\s]+$/;

/**
 * Resolves one target as written by the user. `baseUrl` resolves
 * `owner/name`; `cwd` resolves relative local paths. Throws
 * {@linkcode UsageError} for anything that is not a usable target.
 */
export function parseTarget(
  input: string,
  baseUrl: string | undefined,
  cwd: string,
): Target {
  const text = input.trim();
  // deno-lint-ignore no-control-regex
  if (text === "" || /[\x00-\x1f\x7f]/.test(text)) {
    throw new UsageError(
      `target ${JSON.stringify(input)} is empty or has control characters`,
    );
  }
  if (/^https?:\/\//i.test(text)) return httpTarget(text);
  if (/^ssh:\/\//i.test(text)) {
    const url = parseUrl(text);
    url.password = ""; // ssh runs in batch mode: a password is never used
    return sshTarget(url.href);
  }
  if (/^file:\/\//i.test(text)) {
    return localTarget(text, decodeURIComponent(parseUrl(text).pathname));
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new UsageError(
      `target ${
        safe(text)
      } has an unsupported scheme: use https://, http://, ssh://, git@host:, file:// or a path`,
    );
  }
  if (
    text.startsWith("/") || text.startsWith("./") || text.startsWith("../") ||
    text === "." || text === ".."
  ) {
    return localTarget(text, resolve(cwd, text));
  }
  if (OWNER_NAME.test(text) && !text.includes("..")) {
    if (baseUrl === undefined || baseUrl === "") {
      throw new UsageError(
        `target ${text} needs a server: pass --base-url or set GITEA_URL`,
      );
    }
    const base = baseUrl.replace(/\/+$/, "");
    if (!/^(https?|ssh|file):\/\//i.test(base)) {
      throw new UsageError(
        `--base-url ${
          safe(base)
        } must start with https://, http://, ssh:// or file://`,
      );
    }
    const name = text.endsWith(".git") ? text : `${text}.git`;
    const url = `${base}/${name}`;
    const target = /^ssh:/i.test(base)
      ? sshTarget(url)
      : /^file:/i.test(base)
      ? localTarget(url, decodeURIComponent(parseUrl(url).pathname))
      : httpTarget(url);
    return { ...target, repo: text.replace(/\.git$/, "") };
  }
  if (SCP_LIKE.test(text)) return sshTarget(text);
  throw new UsageError(
    `target ${
      safe(text)
    } is not a URL, a path (start it with / or ./) or owner/name`,
  );
}

/** Parses a target URL; a malformed one is a usage error. */
function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new UsageError(`target ${safe(text)} is not a valid URL`);
  }
}

function httpTarget(text: string): Target {
  const url = parseUrl(text);
  const embedded = url.username !== "" || url.password !== ""
    ? {
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    }
    : null;
  url.username = "";
  url.password = "";
  url.hash = "";
  url.search = "";
  const clean = url.href;
  return {
    repo: clean,
    url: clean,
    key: canonicalKey(clean),
    scheme: "http",
    origin: url.origin,
    embedded,
  };
}

function sshTarget(clean: string): Target {
  return {
    repo: clean,
    url: clean,
    key: canonicalKey(clean),
    scheme: "ssh",
    origin: null,
    embedded: null,
  };
}

function localTarget(input: string, path: string): Target {
  if (!isAbsolute(path)) {
    throw new UsageError(`target ${safe(input)} is not an absolute path`);
  }
  const clean = path.length > 1 ? path.replace(/\/+$/, "") : path;
  return {
    repo: input,
    // A file:// URL, not the bare path: git refuses a promisor remote (the
    // partial fetch's bookkeeping) named by a path starting with '/'.
    url: pathToFileURL(clean).href,
    key: `file:${clean.replace(/\/\.git$|\.git$/, "")}`,
    scheme: "file",
    origin: null,
    embedded: null,
  };
}

/** Lower-case scheme and host, no trailing slash or `.git`. */
function canonicalKey(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)(.*)$/i.exec(url);
  const base = m
    ? `${m[1]?.toLowerCase()}${m[2]?.toLowerCase()}${m[3]}`
    : url.replace(
      /^([^:]*):/,
      (_all, host: string) => `${host.toLowerCase()}:`,
    );
  return base.replace(/\/+$/, "").replace(/\.git$/, "");
}

/**
 * A user-given string shortened to one line for an error message.
 * Credentials are the redactor's job: every message passes through it.
 */
function safe(text: string): string {
  // Credentials go before the cut: a cut URL no longer looks like one.
  const oneLine = hideUserinfo(text).replace(/\p{Cc}/gu, "?");
  return cutRedacted(oneLine, 117);
}

/**
 * Parses a repos file: one target per line; blank lines, `#` lines and a
 * `#` comment after whitespace (`org/a  # legacy`) ignored.
 */
export function parseReposFile(text: string): string[] {
  return reposFileLines(text).map((l) => l.text);
}

/** A repos file's targets with their 1-based line numbers. */
export function reposFileLines(
  text: string,
): { line: number; text: string }[] {
  return text.split(/\r?\n/).flatMap((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    return line === "" ? [] : [{ line: i + 1, text: line }];
  });
}

/** Keeps the first of each target, in order. */
export function dedupeTargets(targets: readonly Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    if (seen.has(t.key)) return false;
    seen.add(t.key);
    return true;
  });
}

/** A `--shard i/n` value: 1-based index and count. */
export interface Shard {
  /** 1-based shard index. */
  index: number;
  /** Number of shards. */
  count: number;
}

/** Parses `i/n` with 1 ≤ i ≤ n; throws {@linkcode UsageError}. */
export function parseShard(text: string): Shard {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UsageError(
      `--shard ${safe(text)} must be i/n with 1 <= i <= n, e.g. 2/4`,
    );
  }
  return { index, count };
}

/**
 * The targets of one shard: a stable split by a hash of each target's key,
 * so the same list always splits the same way and every target lands in
 * exactly one shard, whatever the list's order.
 */
export function shardTargets(
  targets: readonly Target[],
  shard: Shard,
): Target[] {
  return targets.filter((t) => fnv1a(t.key) % shard.count === shard.index - 1);
}

/** 32-bit FNV-1a over the UTF-8 bytes of `text`. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** One template to retry: its name as given and its URL. */
export interface RetryTarget {
  /** The name the earlier run showed (as given, credentials removed). */
  repo: string;
  /** Its credential-free URL. */
  url: string;
}

/** What a retry takes from an earlier JSON report. */
export interface EarlierReport {
  /** The version that run was for, if it says. */
  version: string | null;
  /** The templates that did not reach a final state, in report order. */
  targets: RetryTarget[];
  /** The templates whose push landed but whose CI did not pass. */
  ciRed?: RedCiTarget[];
  /** The options it recorded (`options`), unchecked; {} when none. */
  options: Record<string, unknown>;
}

/**
 * Whether an earlier result needs another run, as its state's `retry`
 * column in `model.ts` says: in a push report `failed`, `interrupted`,
 * and `skipped` because the run stopped before pushing (`skip:
 * "aborted"`, or a report from before that field: "not attempted") or
 * for its `v` prefix (`skip: "prefix"`, for the corrected version), not
 * one skipped by the probe or `--no-downgrade`, and every `proposed` one
 * (an open pull request stays unchanged, a closed one is proposed
 * again); in a status report every
 * template that drifted or could not be read, not one the probe skipped.
 */
function needsRetry(r: Record<string, unknown>): boolean {
  let info: StateInfo | undefined;
  if (r.status === undefined) {
    info = STATUS_STATES[statusStateOf(r as { drift: boolean })];
  } else if (
    typeof r.status === "string" && Object.hasOwn(PUSH_STATES, r.status)
  ) {
    info = PUSH_STATES[r.status as keyof typeof PUSH_STATES];
  }
  if (info === undefined || info.retry === "never") return false;
  return info.retry === "always" || r.skip === "aborted" ||
    r.skip === "prefix" ||
    (r.skip === undefined && typeof r.reason === "string" &&
      r.reason.startsWith("not attempted"));
}

/**
 * Reads an earlier JSON report for `--retry-failed`: the templates to run
 * again (see {@linkcode needsRetry}), its version and its options. Throws
 * {@linkcode UsageError} for anything that is not a cascade report.
 */
export function readEarlierReport(
  reportText: string,
  file: string,
): EarlierReport {
  let data: unknown;
  try {
    data = JSON.parse(reportText);
  } catch {
    throw new UsageError(`--retry-failed ${file} is not a JSON report`);
  }
  const results = (data as { results?: unknown })?.results;
  if (!Array.isArray(results)) {
    throw new UsageError(
      `--retry-failed ${file} has no results: pass a report written by cascade --json`,
    );
  }
  const targets: RetryTarget[] = [];
  const ciRed: RedCiTarget[] = [];
  for (const result of results) {
    if (result === null || typeof result !== "object") continue;
    const r = result as Record<string, unknown>;
    const red = redCiOf(r);
    if (red !== null) ciRed.push(red);
    if (!needsRetry(r) || typeof r.url !== "string") continue;
    targets.push({
      url: r.url,
      repo: typeof r.repo === "string" ? r.repo : r.url,
    });
  }
  const { version, options } = data as { version?: unknown; options?: unknown };
  return {
    targets,
    ...(ciRed.length > 0 ? { ciRed } : {}),
    version: typeof version === "string" ? version : null,
    options: options !== null && typeof options === "object" &&
        !Array.isArray(options)
      ? options as Record<string, unknown>
      : {},
  };
}
