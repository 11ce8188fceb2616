/**
 * The value converters of the option table (`options.ts`): each turns a
 * flag's raw text (or a config file's value) into a checked value, or
 * throws a {@linkcode UsageError} that names the flag.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { branchNameProblem } from "../git/refs.ts";
import { parseDuration } from "./duration.ts";
import { normaliseVersionFilePath } from "../version/file.ts";
import type { TransportMode } from "../git/transport.ts";
import { quotedValue } from "../console/secret_forms.ts";

/**
 * A raw option value as `parseArgs` gives it, or a layer (a config file's
 * numbers arrive as text): the one raw type of the option table.
 */
export type Raw = string | string[] | boolean | undefined;

/** A raw value's list (a repeatable flag); none: empty. */
export function asList(raw: Raw): string[] {
  return Array.isArray(raw) ? raw : [];
}

/** An http(s) origin (`https://host[:port]`) as given to a flag. */
export function originOf(text: string): string {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch { /* refused below */ }
  if (
    url === null || !/^https?:$/.test(url.protocol) ||
    url.username !== "" || url.password !== "" ||
    (url.pathname !== "/" && url.pathname !== "") || url.search !== ""
  ) {
    throw new UsageError(
      `--token-origin ${
        quotedValue(text, 80)
      } must be an origin like https://git.example.com (no path, no credentials)`,
    );
  }
  return url.origin;
}

/** A raw value as text; a flag that is not text: undefined. */
export function asText(raw: Raw): string | undefined {
  return typeof raw === "string" ? raw : undefined;
}

/** A duration flag in milliseconds (see `duration.ts`). */
export function duration(
  flag: string,
  raw: Raw,
  fallback: string,
): number {
  return parseDuration(flag, asText(raw) ?? fallback);
}

/** `--timeout` in whole seconds (a duration, 1 s to a day). */
export function timeoutSeconds(raw: Raw): number {
  const given = asText(raw);
  if (given === undefined) return 120;
  const ms = parseDuration("--timeout", given);
  if (ms % 1000 !== 0 || ms > 86_400_000) {
    throw new UsageError(
      `--timeout must be whole seconds up to a day (90, 90s, 5m), not ${
        quotedValue(given, 20)
      }`,
    );
  }
  return ms / 1000;
}

/** A `--ci-context` glob: one line of printable text. */
export function ciContextGlob(glob: string): string {
  // deno-lint-ignore no-control-regex
  if (glob === "" || glob.length > 200 || /[\x00-\x1f\x7f]/.test(glob)) {
    throw new UsageError(
      `--ci-context must be a non-empty glob on one line, e.g. "publish-image / *"`,
    );
  }
  return glob;
}

/** `--api-url`: an http(s) URL without credentials, query or fragment. */
export function apiUrl(given: string | undefined): string | undefined {
  if (given === undefined) return undefined;
  let url: URL | null = null;
  try {
    url = new URL(given);
  } catch { /* refused below */ }
  if (
    url === null || !/^https?:$/.test(url.protocol) || url.username !== "" ||
    url.password !== "" || url.search !== "" || url.hash !== ""
  ) {
    throw new UsageError(
      `--api-url must be an http(s) URL like https://git.example.com/api/v1 (no credentials), not ${
        quotedValue(given, 80)
      }`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

/** A positive integer option within bounds; `fallback` when absent. */
export function positiveInt(
  flag: string,
  text: string | undefined,
  fallback: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  if (
    !/^\d{1,9}$/.test(text.trim()) || Number(text) < 1 || Number(text) > max
  ) {
    throw new UsageError(
      `${flag} must be a whole number from 1 to ${max}, not ${
        quotedValue(text, 20)
      }`,
    );
  }
  return Number(text);
}

/**
 * `--branch`: a name git accepts for a branch (`git check-ref-format
 * --branch`, the one rule in `git/refs.ts`, which the ref reader applies
 * to the server's names too); refused with exit 2 before any network.
 */
export function checkBranch(branch: string | undefined): string | undefined {
  if (branch === undefined) return undefined;
  const problem = branchNameProblem(branch);
  if (problem !== null) {
    throw new UsageError(
      `--branch ${
        quotedValue(branch, 60)
      } is not a valid branch name (${problem}); pass a name git accepts for a branch`,
    );
  }
  return branch;
}

export function versionFilePath(flag: string, path: string): string {
  const normal = normaliseVersionFilePath(path);
  if (typeof normal !== "string") {
    throw new UsageError(normal.problem.replace("--file", flag));
  }
  return normal;
}

export function authUser(user: string | undefined): string | undefined {
  if (user !== undefined && !/^[^\s:]{1,64}$/.test(user)) {
    throw new UsageError(`--auth-user must be a name without spaces or ':'`);
  }
  return user;
}

const PERSON = /^\s*([^<>\p{Cc}]+?)\s*<([^<>\s\p{Cc}]+@[^<>\s\p{Cc}]+)>\s*$/u;

/** `Name <email>`, one line. */
export function parsePerson(
  flag: string,
  text: string,
): { name: string; email: string } {
  const m = PERSON.exec(text);
  if (!m) {
    throw new UsageError(`${flag} must look like "Name <email@host>"`);
  }
  return { name: m[1] ?? "", email: m[2] ?? "" };
}

/** `--transport`: `auto` (the default) or `git`. */
export function transportMode(raw: string | undefined): TransportMode {
  const mode = raw ?? "auto";
  if (mode !== "auto" && mode !== "git") {
    throw new UsageError(
      `--transport must be auto or git (got "${mode}"); use git to run git for every transfer`,
    );
  }
  return mode;
}
