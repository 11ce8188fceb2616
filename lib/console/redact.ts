/**
 * The one redactor: every string cascade prints, logs or writes to a report
 * passes through {@linkcode Redactor.redact}. URL userinfo and every known
 * secret (raw, URL-encoded, and base64 alone or as HTTP Basic, at every
 * byte alignment; see `secret_forms.ts`) become `***`. A secret given to
 * the redactor is also registered for every cut, so text is redacted
 * before it is cut, wherever it is cut.
 *
 * @module
 */

import { registerSecret, secretForms } from "./secret_forms.ts";

// The scheme is bounded in length: an unbounded one makes the search
// quadratic in a long run of letters (a hostile server's text).
const USERINFO = /([a-z][a-z0-9+.-]{0,31}:\/\/)([^/@\s]+)@/gi;
const AUTH_HEADER = /(Authorization:\s*(Basic|Bearer|token)\s+)\S+/gi;

/**
 * URL userinfo replaced by `***` (an ssh user name kept): for text that is
 * about to be cut, where the redactor at the output would no longer see a
 * whole URL.
 */
export function hideUserinfo(text: string): string {
  return text.replace(
    USERINFO,
    (all, scheme: string, userinfo: string) =>
      // An ssh user name (`ssh://git@host`) is not a secret; a password,
      // or anything before `@` in an http(s) URL (a token can be the user
      // name there), is.
      userinfo.includes(":") || /^https?:/i.test(scheme)
        ? `${scheme}***@`
        : all,
  );
}

/** Replaces secrets in strings. */
export class Redactor {
  #secrets: string[] = [];

  /**
   * Registers a secret; its raw and URL-encoded forms and the base64 of
   * `user:secret` (when a user is given) and of the secret alone, at every
   * alignment, are redacted.
   */
  add(secret: string, user?: string): void {
    if (secret.length < 4) {
      // Too short to redact without mangling ordinary words; still
      // redacted inside URL userinfo and Authorization headers.
      return;
    }
    registerSecret(secret, user);
    const forms = [secret, base64Utf8(secret), ...secretForms(secret, user)];
    if (user !== undefined) forms.push(basicCredentials(user, secret));
    for (const form of forms) {
      if (!this.#secrets.includes(form)) this.#secrets.push(form);
    }
    this.#secrets.sort((a, b) => b.length - a.length);
  }

  /** Returns `text` with URL userinfo, auth headers and secrets replaced. */
  redact(text: string): string {
    let out = hideUserinfo(text).replace(AUTH_HEADER, "$1***");
    for (const secret of this.#secrets) out = out.replaceAll(secret, "***");
    return out;
  }
}

/** The base64 `user:password` of an HTTP Basic `Authorization` header. */
export function basicCredentials(user: string, password: string): string {
  return base64Utf8(`${user}:${password}`);
}

function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
