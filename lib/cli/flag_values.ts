/**
 * The value converters of the option table (`options.ts`): each turns a
 * flag's raw text (or a config file's value) into a checked value, or
 * throws a {@linkcode UsageError} that names the flag.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { parseDuration } from "./duration.ts";
import { normaliseVersionFilePath } from "../version/file.ts";

/** A raw value as `parseArgs` gives it (a config file may give a number). */
export type RawValue = string | string[] | boolean | number | undefined;

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
        JSON.stringify(text.slice(0, 80))
      } must be an origin like https://git.example.com (no path, no credentials)`,
    );
  }
  return url.origin;
}

/** A raw value as text (a config file gives numbers). */
export function asText(raw: RawValue): string | undefined {
  return typeof raw === "number" ? String(raw) : raw as string | undefined;
}

/** A duration flag in milliseconds (see `duration.ts`). */
export function duration(
  flag: string,
  raw: RawValue,
  fallback: string,
): number {
  return parseDuration(flag, asText(raw) ?? fallback);
}

/** `--timeout` in whole seconds (a duration, 1 s to a day). */
export function timeoutSeconds(raw: RawValue): number {
  const given = asText(raw);
  if (given === undefined) return 120;
  const ms = parseDuration("--timeout", given);
  if (ms % 1000 !== 0 || ms > 86_400_000) {
    throw new UsageError(
      `--timeout must be whole seconds up to a day (90, 90s, 5m), not ${
        JSON.stringify(given.slice(0, 20))
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
        JSON.stringify(given.slice(0, 80))
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
        JSON.stringify(text.slice(0, 20))
      }`,
    );
  }
  return Number(text);
}

/** `--branch`: a name git accepts for a branch (not a full ref). */
export function checkBranch(branch: string | undefined): string | undefined {
  if (branch === undefined) return undefined;
  const bad = branch === "" || branch.startsWith("-") ||
    branch.startsWith("/") ||
    branch.endsWith("/") || branch.endsWith(".lock") || branch.endsWith(".") ||
    branch.includes("..") || branch.includes("@{") || branch.includes("//") ||
    // deno-lint-ignore no-control-regex
    /[\x00-\x20\x7f~^:?*[\\]/.test(branch) || branch.startsWith("refs/");
  if (bad) {
    throw new UsageError(
      `--branch ${
        JSON.stringify(branch.slice(0, 60))
      } is not a valid branch name`,
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
export function transportMode(raw: string | undefined): "auto" | "git" {
  const mode = raw ?? "auto";
  if (mode !== "auto" && mode !== "git") {
    throw new UsageError(
      `--transport must be auto or git (got "${mode}"); use git to run git for every transfer`,
    );
  }
  return mode;
}
