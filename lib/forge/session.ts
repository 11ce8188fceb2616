/**
 * The forge client of one run, built from the options before anything
 * runs: the API base from `--base-url` (or `GITEA_URL`), the token as
 * `Authorization: token <t>` for the base's origin only, and the checks
 * that refuse early (exit 2): no server, no `--allow-net` for its host, a
 * token over plain http to a host that is not loopback. Also maps a
 * discovery failure to the run's exit code.
 *
 * Permissions: `--allow-net` for the server's host.
 *
 * @module
 */

import { isLoopbackHost, readToken, tokenOrigins } from "../credentials.ts";
import { EXIT, UsageError } from "../errors.ts";
import { type PermissionQuery, queryPermission } from "./access.ts";
import { ForgeClient, ForgeError } from "./client.ts";

/** What opening the forge reads from the options. */
export interface ForgeSettings {
  /** `--base-url`. */
  baseUrl?: string | undefined;
  /** `--token-origin`. */
  tokenOrigin?: readonly string[];
  /** `--token-env`. */
  tokenEnv?: string | undefined;
  /** `--allow-insecure-http`. */
  allowInsecureHttp: boolean;
  /** `--timeout`, in seconds (one API request and its retries). */
  timeout: number;
}

/** `<origin><prefix>/api/v1` of a `--base-url`; throws UsageError. */
export function apiBaseOf(baseUrl: string | undefined, flag: string): string {
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
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}/api/v1`;
}

/**
 * The client for `flag`'s API calls. Refuses (exit 2) without a server,
 * without `--allow-net` for its host, or when the token would cross plain
 * http to a host that is not loopback without `--allow-insecure-http`.
 */
export function openForge(
  settings: ForgeSettings,
  env: (name: string) => string | undefined,
  flag: string,
  query: PermissionQuery = queryPermission,
): ForgeClient {
  const apiBase = apiBaseOf(settings.baseUrl ?? env("GITEA_URL"), flag);
  const url = new URL(apiBase);
  if (query({ name: "net", host: url.host }) !== "granted") {
    throw new UsageError(
      `${flag} reads the server's API and needs --allow-net (for ${url.host}): add it to the deno run command`,
    );
  }
  const token = readToken(settings, env);
  if (
    token !== null && url.protocol === "http:" &&
    !isLoopbackHost(url.hostname) && !settings.allowInsecureHttp
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
    allowedOrigins: tokenOrigins([], settings, env),
    timeoutMs: settings.timeout * 1000,
  });
}

/**
 * The client when the API can be reached without asking for anything:
 * an http(s) server is known and `--allow-net` covers its host; else null.
 * Refusals about the token (plain http) still throw.
 */
export function forgeIfReachable(
  settings: ForgeSettings,
  env: (name: string) => string | undefined,
  flag: string,
  query: PermissionQuery = queryPermission,
): ForgeClient | null {
  let apiBase: string;
  try {
    apiBase = apiBaseOf(settings.baseUrl ?? env("GITEA_URL"), flag);
  } catch {
    return null;
  }
  const host = new URL(apiBase).host;
  if (query({ name: "net", host }) !== "granted") return null;
  return openForge(settings, env, flag, query);
}

/**
 * A failed API call during discovery as the error that ends the run: an
 * unknown owner is a usage error naming it (exit 2), a refused token exit
 * 3, anything else exit 1. Anything that is no {@linkcode ForgeError} is
 * thrown on.
 */
export function discoveryError(
  error: unknown,
  owner: string,
  flag = "--org",
): Error {
  if (!(error instanceof ForgeError)) return error as Error;
  if (error.kind === "not_found" && /\/(orgs|users)\//.test(error.path)) {
    return new UsageError(
      `${flag} ${owner}: no organisation or user of that name on the server (or the token may not see it); check the name`,
    );
  }
  if (error.kind === "auth") {
    return new UsageError(
      `${flag} ${owner}: the server refused the token: ${error.message}`,
      EXIT.credentials,
    );
  }
  return new UsageError(`${flag} ${owner}: ${error.message}`, EXIT.failed);
}
