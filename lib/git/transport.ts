/**
 * The run's transport: whether a template's refs, version file and push go
 * over smart HTTP in-process (`_http_refs.ts`, `_http_fetch.ts`,
 * `_http_push.ts`) or through git. One {@linkcode Transport} is made per
 * run, from `--transport`; it holds everything the run learns about the
 * servers it talks to (origins that failed below HTTP, that speak no
 * protocol v2, that refuse fetch filters). No module keeps state of its own.
 *
 * With `--transport git`, every transfer runs git. With `auto` (the
 * default), a target is served in-process only where that behaves as git
 * would: an http(s) target, net permission for its host (the run's one
 * answer, `ForgeAccess.netGranted`, handed in: this module asks Deno
 * nothing), no proxy settings, and for https no TLS settings in the
 * environment that git would honour differently. Anything else, and any
 * answer the in-process path cannot read, is left to git.
 *
 * @module
 */

import { readEnv } from "./runner.ts";
import { type HttpRefs, type HttpRun, newHttpRun } from "./_http_refs.ts";
import type { Target } from "../targets/target.ts";

export type { HttpRefs, HttpRun };

/** `--transport`: `auto` (in-process where allowed) or `git` (always git). */
export type TransportMode = "auto" | "git";

/** Proxy settings git honours its own way: with any set, reads use git. */
const PROXY_ENV: readonly string[] = [
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
const TLS_ENV: readonly string[] = [
  "GIT_SSL_NO_VERIFY",
  "GIT_SSL_CAINFO",
  "GIT_SSL_CAPATH",
  "GIT_SSL_CERT",
  "GIT_SSL_KEY",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
];

/** What a {@linkcode Transport} reads from its surroundings. */
export interface TransportEnv {
  /** Reads an environment variable (default: the process's, unprompted). */
  env?: (name: string) => string | undefined;
  /**
   * Whether `host` may be reached: the run's one net decision
   * (`ForgeAccess.netGranted`), never a query of this module's own.
   */
  netAllowed: (host: string) => boolean;
}

/** One run's transport (see the module doc). */
export class Transport {
  /** `--transport`. */
  readonly mode: TransportMode;
  /** What this run learned about origins, shared by its targets. */
  readonly run: HttpRun = newHttpRun();
  #env: (name: string) => string | undefined;
  #netAllowed: (host: string) => boolean;

  /** A transport for one run, in `mode`, asking `surroundings` for net. */
  constructor(mode: TransportMode, surroundings: TransportEnv) {
    this.mode = mode;
    this.#env = surroundings.env ?? readEnv;
    this.#netAllowed = surroundings.netAllowed;
  }

  /**
   * The in-process recipe for `target` with `authorization` (an
   * `Authorization` header value, or null), or null when git must serve it
   * (see the module doc).
   */
  for(target: Target, authorization: string | null): HttpRefs | null {
    if (this.mode === "git" || target.scheme !== "http") return null;
    const { host, protocol } = new URL(target.url);
    const settings = protocol === "https:"
      ? [...PROXY_ENV, ...TLS_ENV]
      : PROXY_ENV;
    if (settings.some((name) => this.#env(name))) return null;
    if (!this.#netAllowed(host)) return null;
    return { url: target.url, authorization, run: this.run };
  }
}
