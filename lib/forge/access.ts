/**
 * The run's one way to the forge API, built once from the credentials and
 * the options ({@linkcode ForgeAccess.fromToken}, after deployctl's
 * `API.fromToken`): it answers where a target's API is
 * ({@linkcode apiTargetOf}), which client (with which token) reaches it,
 * and whether cascade may open the connection (`--allow-net`, asked of
 * Deno without a prompt, in {@linkcode ForgeAccess.netGranted} only: its
 * refusal {@linkcode ForgeAccess.requireNet}, and the run's git transport
 * and redirect check, are handed that answer). No other module reads the
 * token or builds an API `Authorization` header.
 *
 * @example Where a target's API is
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiTargetOf } from "./access.ts";
 * import { parseTarget } from "../targets/target.ts";
 *
 * const target = parseTarget("https://git.example.com/gitea/org/app.git", undefined, "/");
 * assert.deepEqual(apiTargetOf(target, undefined), {
 *   base: "https://git.example.com/gitea/api/v1",
 *   owner: "org",
 *   repo: "app",
 * });
 * ```
 *
 * @module
 */

import {
  type CredentialOptions,
  isLoopbackHost,
  readToken,
  type Token,
  tokenOrigins,
} from "../credentials.ts";
import { UsageError } from "../errors.ts";
import type { Target } from "../targets/target.ts";
import { apiBaseFor, ForgeClient, type ForgeRetry } from "./client.ts";
import { Renames, repoApiPath } from "./renames.ts";

/** Answers a permission query without prompting (`querySync` by default). */
export type PermissionQuery = (
  descriptor: Deno.PermissionDescriptor,
) => Deno.PermissionState;

/** The real query: `Deno.permissions.querySync`, state only. */
export function queryPermission(
  descriptor: Deno.PermissionDescriptor,
): Deno.PermissionState {
  return Deno.permissions.querySync(descriptor).state;
}

/** Where one template's API is. */
interface ApiTarget {
  /** E.g. `https://git.example.com/api/v1`. */
  base: string;
  /** Repo owner. */
  owner: string;
  /** Repo name. */
  repo: string;
}

/**
 * The API of a target: `--api-url` if given, else its origin plus any path
 * prefix before owner/name, then `/api/v1`; owner/name are the last two
 * path segments. Null for a target that is not http(s) without
 * `--api-url`, or whose path has no owner/name.
 */
export function apiTargetOf(
  target: Target,
  apiUrl: string | undefined,
): ApiTarget | null {
  let path: string;
  if (target.scheme === "file") {
    path = target.url.replace(/^file:\/\//, "");
  } else if (URL.canParse(target.url)) {
    path = new URL(target.url).pathname;
  } else {
    // scp-like ssh: `user@host:owner/name.git`
    path = target.url.slice(target.url.indexOf(":") + 1);
  }
  const parts = decodeURIComponent(path).replace(/\/+$/, "").split("/")
    .filter(Boolean);
  const owner = parts.at(-2);
  const repo = parts.at(-1)?.replace(/\.git$/, "");
  if (owner === undefined || repo === undefined || repo === "") return null;
  if (apiUrl !== undefined) return { base: apiUrl, owner, repo };
  if (target.scheme !== "http") return null;
  return { base: apiBaseFor(target.url), owner, repo };
}

/** `<origin><prefix>/api/v1` of a `--base-url`; throws UsageError. */
function apiBaseOf(baseUrl: string | undefined, flag: string): string {
  if (baseUrl === undefined || baseUrl.trim() === "") {
    throw new UsageError(
      `${flag} needs the server: pass --base-url or set GITEA_URL`,
    );
  }
  let url: URL | null = null;
  try {
    url = new URL(baseUrl.trim());
  } catch { /* refused below */ }
  if (
    url === null || !/^https?:$/.test(url.protocol) || url.username !== "" ||
    url.password !== "" || url.search !== ""
  ) {
    throw new UsageError(
      `${flag} needs an http(s) --base-url without credentials, e.g. https://git.example.com`,
    );
  }
  // The server's root stands where a repo's owner/name would: the one
  // mapping of a URL to its API base.
  return apiBaseFor(`${url.origin}${url.pathname.replace(/\/+$/, "")}/_/_`);
}

/** What the access reads from the options. */
interface AccessOptions extends CredentialOptions {
  /** `--timeout`, in seconds (one API request and its retries). */
  timeout: number;
}

/** A target's API credentials, and where they may go. */
export interface ApiCredentials {
  /** `token <secret>`, or null when there is none for this target. */
  authorization: string | null;
  /** The origins the client may send it to: the target's own, only. */
  allowedOrigins: ReadonlySet<string>;
  /** Why there is none: no token set, or not for this origin. */
  missing: "none" | "withheld" | null;
}

/** The run's access to the forge API; one per run. */
export class ForgeAccess {
  readonly #token: Token | null;
  readonly #options: AccessOptions;
  readonly #env: (name: string) => string | undefined;
  readonly #query: PermissionQuery;
  #allowed: ReadonlySet<string> = new Set();
  /** The run's renames, shared by every client made here. */
  readonly renames: Renames = new Renames();

  private constructor(
    token: Token | null,
    options: AccessOptions,
    env: (name: string) => string | undefined,
    query: PermissionQuery,
  ) {
    this.#token = token;
    this.#options = options;
    this.#env = env;
    this.#query = query;
  }

  /** The access of a run whose token (or none) was already read. */
  static fromToken(
    token: Token | null,
    options: AccessOptions,
    env: (name: string) => string | undefined,
    query: PermissionQuery = queryPermission,
  ): ForgeAccess {
    return new ForgeAccess(token, options, env, query);
  }

  /** The access of a run, reading its token (see `readToken`). */
  static fromEnv(
    options: AccessOptions,
    env: (name: string) => string | undefined,
    query: PermissionQuery = queryPermission,
  ): ForgeAccess {
    return new ForgeAccess(readToken(options, env), options, env, query);
  }

  /** The token, or null. */
  get token(): Token | null {
    return this.#token;
  }

  /**
   * Fixes the origins the token may go to, once the targets are known
   * (see `tokenOrigins`); returns them.
   */
  bind(targets: readonly Target[]): ReadonlySet<string> {
    this.#allowed = this.#token === null
      ? new Set<string>()
      : tokenOrigins(targets, this.#options, this.#env);
    return this.#allowed;
  }

  /** The origins the token may go to (after {@linkcode bind}). */
  get allowedOrigins(): ReadonlySet<string> {
    return this.#allowed;
  }

  /**
   * Carries a rename the git layer followed (`from` is now at `to`, on the
   * same origin) to every later API request of the run for that repo: at
   * the target's own API and, when given, at `--api-url`.
   */
  moved(from: Target, to: Target, apiUrl?: string): void {
    for (const url of new Set([undefined, apiUrl])) {
      const was = apiTargetOf(from, url);
      const now = apiTargetOf(to, url);
      if (was === null || now === null || was.base !== now.base) continue;
      this.renames.learn(
        was.base,
        repoApiPath(was.owner, was.repo),
        repoApiPath(now.owner, now.repo),
      );
    }
  }

  /** True when `--allow-net` covers `host`. */
  netGranted(host: string): boolean {
    return this.#query({ name: "net", host }) === "granted";
  }

  /**
   * The one `--allow-net` check: refuses (exit 2) unless every host is
   * granted, with the text `refusal` makes of the hosts missing.
   */
  requireNet(
    hosts: Iterable<string>,
    refusal: (missing: string[]) => string,
  ): void {
    const missing = [...new Set(hosts)].filter((h) => !this.netGranted(h));
    if (missing.length > 0) throw new UsageError(refusal(missing));
  }

  /**
   * The client for the `--base-url` server's API (`flag` names the
   * feature in refusals): refuses without a server, without `--allow-net`
   * for its host, or when the token would cross plain http to a host that
   * is not loopback without `--allow-insecure-http`.
   */
  server(flag: string): ForgeClient {
    const o = this.#options;
    const apiBase = apiBaseOf(o.baseUrl ?? this.#env("GITEA_URL"), flag);
    const url = new URL(apiBase);
    this.requireNet(
      [url.host],
      () =>
        `${flag} reads the server's API and needs --allow-net (for ${url.host}): add it to the deno run command`,
    );
    const token = this.#token;
    if (
      token !== null && url.protocol === "http:" &&
      !isLoopbackHost(url.hostname) && !o.allowInsecureHttp
    ) {
      throw new UsageError(
        `${flag}: refusing to send the token over plain http to ${url.host}; use https, or pass --allow-insecure-http if this network is trusted`,
      );
    }
    return new ForgeClient({
      apiBase,
      authorization: token === null ? null : `token ${token.value}`,
      // The shared rule (the --base-url origin and --token-origin): the API
      // base is on the --base-url origin.
      allowedOrigins: tokenOrigins([], o, this.#env),
      timeoutMs: o.timeout * 1000,
      renames: this.renames,
    });
  }

  /**
   * The server's client when the API can be reached without asking for
   * anything: an http(s) server is known and `--allow-net` covers its
   * host; else null. Refusals about the token (plain http) still throw.
   */
  serverIfReachable(flag: string): ForgeClient | null {
    let apiBase: string;
    try {
      apiBase = apiBaseOf(
        this.#options.baseUrl ?? this.#env("GITEA_URL"),
        flag,
      );
    } catch {
      return null;
    }
    if (!this.netGranted(new URL(apiBase).host)) return null;
    return this.server(flag);
  }

  /**
   * The one decision where the API token goes: a password embedded in the
   * target's URL stays with that URL; the run's token goes to the target
   * only when its origin is one the token may go to (the `--base-url`
   * server and `--token-origin`), and then to that origin only (the
   * client follows no redirect elsewhere).
   */
  credentials(target: Target): ApiCredentials {
    const origin = target.origin ?? "";
    const mayHaveToken = this.#allowed.has(origin);
    const token = this.#token?.value ?? null;
    const secret = target.embedded?.password ||
      (mayHaveToken ? token ?? "" : "");
    return {
      authorization: secret === "" ? null : `token ${secret}`,
      allowedOrigins: new Set(origin === "" ? [] : [origin]),
      missing: secret !== ""
        ? null
        : token !== null && !mayHaveToken
        ? "withheld"
        : "none",
    };
  }

  /**
   * A client for the API at `apiBase` with the run's token for the
   * allowed origins (a CI reader's, shared by the targets there).
   */
  client(
    apiBase: string,
    wiring: { signal?: AbortSignal; retry?: ForgeRetry | undefined },
  ): ForgeClient {
    const token = this.#token;
    return new ForgeClient({
      apiBase,
      authorization: token === null ? null : `token ${token.value}`,
      allowedOrigins: this.#allowed,
      timeoutMs: this.#options.timeout * 1000,
      renames: this.renames,
      ...(wiring.signal ? { signal: wiring.signal } : {}),
      ...(wiring.retry ? { retry: wiring.retry } : {}),
    });
  }

  /** A client for one target's own API, with its {@linkcode credentials}. */
  clientFor(
    apiBase: string,
    credentials: Omit<ApiCredentials, "missing">,
    wiring: { signal?: AbortSignal; retry?: ForgeRetry | undefined },
  ): ForgeClient {
    return new ForgeClient({
      apiBase,
      authorization: credentials.authorization,
      allowedOrigins: credentials.allowedOrigins,
      timeoutMs: this.#options.timeout * 1000,
      renames: this.renames,
      ...(wiring.signal ? { signal: wiring.signal } : {}),
      ...(wiring.retry ? { retry: wiring.retry } : {}),
    });
  }
}
