/**
 * Credentials: the bot token is read from the environment and handed to git
 * only through the environment, as an `http.<origin>/.extraHeader` scoped
 * to the target's own origin. Never in argv, a URL or a file.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { basicCredentials, type Redactor } from "./redact.ts";
import type { Target } from "./targets.ts";

/** Variables the token is read from, in order, when `--token-env` is unset. */
export const TOKEN_ENV_DEFAULTS: readonly string[] = [
  "CASCADE_TOKEN",
  "DISPATCH_TOKEN",
];

/** The Basic user name sent with the token unless `--auth-user` says. */
export const DEFAULT_AUTH_USER = "cascade";

/** Where the token comes from and how it is sent. */
export interface CredentialOptions {
  /** `--token-env`: the one variable to read, if given. */
  tokenEnv?: string | undefined;
  /** `--auth-user`. */
  authUser?: string | undefined;
  /** `--allow-insecure-http`. */
  allowInsecureHttp: boolean;
}

/** The token, if any, and the variable it came from. */
export interface Token {
  /** The secret. */
  value: string;
  /** The environment variable it was read from. */
  source: string;
}

/**
 * Reads the token. `--token-env NAME` with NAME unset or empty is a usage
 * error (the operator asked for it); the defaults are optional.
 */
export function readToken(
  options: CredentialOptions,
  env: (name: string) => string | undefined,
): Token | null {
  if (options.tokenEnv !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.tokenEnv)) {
      throw new UsageError(
        `--token-env must name an environment variable, e.g. GITEA_TOKEN`,
      );
    }
    const value = env(options.tokenEnv);
    if (value === undefined || value.trim() === "") {
      throw new UsageError(
        `--token-env ${options.tokenEnv}: the variable is not set (or not readable with --allow-env)`,
      );
    }
    return { value: value.trim(), source: options.tokenEnv };
  }
  for (const name of TOKEN_ENV_DEFAULTS) {
    const value = env(name)?.trim();
    if (value) return { value, source: name };
  }
  return null;
}

/** True for hosts that never leave the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") ||
    /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1";
}

/**
 * The `Authorization` header value that carries one target's credentials
 * (`Basic base64(user:secret)`), or null when there are none. Credentials
 * that were embedded in the URL win over the token; a user name embedded
 * without a password is used as the Basic user with the token. Secrets are
 * registered with the redactor before they go anywhere.
 */
export function authorizationFor(
  target: Target,
  token: Token | null,
  options: CredentialOptions,
  redactor: Redactor,
): string | null {
  if (target.scheme !== "http" || target.origin === null) return null;
  const embedded = target.embedded;
  const user = embedded?.user || options.authUser || DEFAULT_AUTH_USER;
  const password = embedded?.password || token?.value || "";
  // `https://TOKEN@host/...` with no token set: Gitea takes a token as the
  // user name with an empty password.
  const userIsToken = password === "" && Boolean(embedded?.user);
  if (password === "" && !userIsToken) return null;
  if (userIsToken) redactor.add(user);
  else redactor.add(password, user);
  const origin = new URL(target.origin);
  if (
    origin.protocol === "http:" && !isLoopbackHost(origin.hostname) &&
    !options.allowInsecureHttp
  ) {
    throw new UsageError(
      `${target.repo}: refusing to send the token over plain http to ${origin.host}; use https, or pass --allow-insecure-http if this network is trusted`,
    );
  }
  return `Basic ${basicCredentials(user, password)}`;
}

/**
 * The git config pairs that hand `authorization` to git: an extra header
 * scoped to the target's own origin (`http.<origin>/.extraHeader`), passed
 * through the environment, never argv.
 */
export function credentialGitConfig(
  target: Target,
  authorization: string | null,
): [string, string][] {
  if (authorization === null || target.origin === null) return [];
  return [[
    `http.${target.origin}/.extraHeader`,
    `Authorization: ${authorization}`,
  ]];
}
