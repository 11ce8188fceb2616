/**
 * No secret in a value: a config or command-line value (the message, the
 * author, dispatch inputs, trailers, anything) that holds the token, or a
 * piece of it of {@linkcode MIN_SECRET_PIECE} or more characters, in any
 * form a redactor knows, is refused before anything is pushed: it would
 * otherwise be committed into every template.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { secretForms } from "../console/secret_forms.ts";
import type { Redactor } from "../console/redact.ts";
import { TOKEN_ENV_DEFAULTS } from "../credentials.ts";
import { flagOf, type Raw } from "./options.ts";

/** Shortest piece of the token refused inside a value. */
export const MIN_SECRET_PIECE = 12;

/**
 * The first option (by name) whose value holds `secret` or a piece of it
 * of {@linkcode MIN_SECRET_PIECE} or more characters (raw, URL-encoded or
 * base64), or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optionHoldingSecret } from "./secret_values.ts";
 * const token = "tok_0123456789abcdef";
 * assert.equal(optionHoldingSecret({ message: "pin 23456789abcd" }, token), "message");
 * assert.equal(optionHoldingSecret({ message: "pin {version}" }, token), null);
 * ```
 */
export function optionHoldingSecret(
  raw: Partial<Record<string, Raw>>,
  secret: string,
  extra: readonly (readonly [string, string])[] = [],
): string | null {
  if (secret.length < 4) return null;
  const pieces = new Set<string>();
  for (const form of [secret, ...secretForms(secret)]) {
    if (form.length <= MIN_SECRET_PIECE) pieces.add(form);
    for (let i = 0; i + MIN_SECRET_PIECE <= form.length; i++) {
      pieces.add(form.slice(i, i + MIN_SECRET_PIECE));
    }
  }
  const values: (readonly [string, string])[] = [];
  for (const [name, value] of Object.entries(raw)) {
    // A repo URL may carry credentials on purpose; they are never pushed.
    if (name === "repo") continue;
    if (typeof value === "string") values.push([name, value]);
    else if (Array.isArray(value)) {
      for (const item of value) values.push([name, item]);
    }
  }
  values.push(...extra);
  for (const [name, value] of values) {
    for (const piece of pieces) {
      if (value.includes(piece)) return name;
    }
  }
  return null;
}

/**
 * Refuses the run (exit 2) when an option's value holds the token: names
 * the option, never prints the value.
 */
export function refuseSecretInValues(
  raw: Partial<Record<string, Raw>>,
  secret: string,
  extra: readonly (readonly [string, string])[] = [],
): void {
  const name = optionHoldingSecret(raw, secret, extra);
  if (name === null) return;
  const shown = name.includes(" ") ? name : `--${flagOf(name)}`;
  throw new UsageError(
    `${shown} holds the token (or a piece of it): cascade would commit or send it; remove the token from that value (the value is not shown)`,
  );
}

/** A name `--token-env` may give (as `readToken` checks it). */
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * The variables `--token-env` names in raw command-line `args` (`--token-env
 * NAME` or `--token-env=NAME`), read before the command line is parsed.
 */
export function tokenEnvsIn(args: readonly string[]): string[] {
  const names: string[] = [];
  for (const [i, arg] of args.entries()) {
    if (arg === "--") break;
    if (arg === "--token-env") names.push(args[i + 1] ?? "");
    else if (arg.startsWith("--token-env=")) {
      names.push(arg.slice("--token-env=".length));
    }
  }
  return names;
}

/**
 * Registers with `redactor` (and so with every cut, see `secret_forms.ts`)
 * each token a run may read: the default variables' values and those of
 * the variables in `names` (`--token-env` on the command line or in the
 * config). Called before the command line or the config is checked, so a
 * usage error quoting a value that holds the token is redacted before it
 * is cut. Reads nothing else; a name that is not a variable name is left
 * to `readToken` to refuse.
 */
export function registerTokens(
  redactor: Redactor,
  env: (name: string) => string | undefined,
  names: readonly string[] = [],
): void {
  for (const name of new Set([...TOKEN_ENV_DEFAULTS, ...names])) {
    if (!VARIABLE.test(name)) continue;
    const value = env(name)?.trim();
    if (value) redactor.add(value);
  }
}
