/**
 * Credentials: the bot token is read from the environment and handed to git
 * only through the environment, as an `http.<origin>/.extraHeader` scoped
 * to the target's own origin. Never in argv, a URL or a file.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { basicCredentials, type Redactor } from "./console/redact.ts";
import type { Target } from "./targets/target.ts";

/** Variables the token is read from, in order, when `--token-env` is unset. */
export const TOKEN_ENV_DEFAULTS: readonly string[] = [
  "CASCADE_TOKEN",
  "DISPATCH_TOKEN",
];

/** The Basic user name sent with the token unless `--auth-user` says. */
const DEFAULT_AUTH_USER = "cascade";

/** Where the token comes from and how it is sent. */
export interface CredentialOptions {
  /** `--base-url`: its origin may get the token. */
  baseUrl?: string | undefined;
  /** `--token-origin` values: more origins that may get the token. */
  tokenOrigin?: readonly string[];
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
 * The origins the token may go to: the origin of `--base-url` (else
 * `GITEA_URL`) and every `--token-origin`. With neither, the one origin all
 * http(s) targets share; targets on several origins with neither is a
 * usage error naming them (the token must not go to a stranger named by
 * one line of a list).
 */
export function tokenOrigins(
  targets: readonly Target[],
  options: Pick<CredentialOptions, "baseUrl" | "tokenOrigin">,
  env: (name: string) => string | undefined,
): Set<string> {
  const allowed = new Set<string>(options.tokenOrigin ?? []);
  const base = options.baseUrl ?? env("GITEA_URL");
  if (base !== undefined && /^https?:\/\//i.test(base)) {
    try {
      allowed.add(new URL(base).origin);
    } catch { /* targets.ts refuses a malformed base URL */ }
  }
  if (allowed.size > 0) return allowed;
  const origins = [
    ...new Set(targets.flatMap((t) => t.origin === null ? [] : [t.origin])),
  ];
  if (origins.length > 1) {
    throw new UsageError(
      `the targets are on ${origins.length} servers (${
        origins.join(", ")
      }): name the one the token is for with --base-url (or GITEA_URL), and any other with --token-origin`,
    );
  }
  return new Set(origins);
}

/** How one target's credentials were decided, for its messages. */
type CredentialChoice =
  | "token"
  | "embedded"
  | "none"
  | "withheld";

/** One target's `Authorization` value and how it was chosen. */
interface TargetCredentials {
  /** The header value, or null to send none. */
  authorization: string | null;
  /** Token, credentials from its URL, none set, or token withheld. */
  choice: CredentialChoice;
}

/**
 * The `Authorization` header value that carries one target's credentials
 * (`Basic base64(user:secret)`), or null when there are none. Credentials
 * embedded in the URL win over the token and stay with that URL; a user
 * name embedded without a password is used as the Basic user with the
 * token. The token goes only to `allowed` origins. Secrets are registered
 * with the redactor before they go anywhere.
 */
export function credentialsFor(
  target: Target,
  token: Token | null,
  options: CredentialOptions,
  allowed: ReadonlySet<string>,
  redactor: Redactor,
): TargetCredentials {
  if (target.scheme !== "http" || target.origin === null) {
    return { authorization: null, choice: "none" };
  }
  const embedded = target.embedded;
  const mayHaveToken = allowed.has(target.origin);
  const tokenValue = mayHaveToken ? token?.value ?? "" : "";
  const user = embedded?.user || options.authUser || DEFAULT_AUTH_USER;
  const password = embedded?.password || tokenValue;
  // `https://TOKEN@host/...` with no token set: Gitea takes a token as the
  // user name with an empty password.
  const userIsToken = password === "" && Boolean(embedded?.user);
  if (password === "" && !userIsToken) {
    return {
      authorization: null,
      choice: token !== null && !mayHaveToken ? "withheld" : "none",
    };
  }
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
  return {
    authorization: `Basic ${basicCredentials(user, password)}`,
    choice: embedded?.password || userIsToken ? "embedded" : "token",
  };
}

/**
 * What to do about refused credentials, by how they were chosen: a
 * template that got no token (none set, or not for its server) is told
 * so, not to check a token that was never sent.
 */
export function authAdvice(
  choice: CredentialChoice,
  target: Target,
  options: CredentialOptions,
): string | null {
  if (choice === "none") {
    return `the server asks for credentials and none were sent: no token is set; set ${
      options.tokenEnv ?? TOKEN_ENV_DEFAULTS.join(" or ")
    } (or name the variable with --token-env)`;
  }
  if (choice === "withheld") {
    return `the server asks for credentials, and the token was not sent to ${target.origin} (it goes only to the --base-url server and --token-origin); if the token is for that server, pass --token-origin ${target.origin}`;
  }
  return null;
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
