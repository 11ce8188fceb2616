/**
 * The version file: what a valid version is, where the file may live, the
 * exact bytes cascade writes, and how it reads what a template holds.
 *
 * @module
 */

import { forTerminal } from "../console/neutralise.ts";

/** Default path of the version file, relative to the repo root. */
export const DEFAULT_VERSION_FILE = ".runtime-version";

/** Longest version accepted. */
const MAX_VERSION_LENGTH = 128;

/** Longest previous value shown in a report before it is cut. */
const MAX_DISPLAY_LENGTH = 64;

/**
 * Returns why `version` is not acceptable, or null when it is. Allowed:
 * letters, digits and `.+-_!`, at most 128 characters, not starting with
 * `-`, without `..`.
 */
export function versionProblem(version: string): string | null {
  if (version === "") return "the version is empty";
  if (version.length > MAX_VERSION_LENGTH) {
    return `the version is longer than ${MAX_VERSION_LENGTH} characters`;
  }
  if (version.startsWith("-")) return "the version starts with '-'";
  const bad = [...version].find((ch) => !/[A-Za-z0-9.+\-_!]/.test(ch));
  if (bad !== undefined) {
    return `the version contains ${
      JSON.stringify(bad)
    }: only letters, digits and . + - _ ! are allowed`;
  }
  if (version.includes("..")) return "the version contains '..'";
  return null;
}

/**
 * Checks and normalises the `--file` path: relative, inside the repo, not
 * in `.git`. Returns the normalised path (segments joined by `/`, without
 * `.` or empty segments), or `{ problem }` saying why it is refused.
 */
export function normaliseVersionFilePath(path: string): string | {
  problem: string;
} {
  if (path === "") return { problem: "--file is empty" };
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f\\]/.test(path)) {
    return { problem: "--file contains control characters or a backslash" };
  }
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) {
    return { problem: "--file must be relative to the repo root" };
  }
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.length === 0) return { problem: "--file names no file" };
  if (segments.includes("..")) {
    return { problem: "--file must stay inside the repo (no '..')" };
  }
  if (segments.some((s) => s.toLowerCase() === ".git")) {
    return { problem: "--file must not point into .git" };
  }
  if (path.endsWith("/")) return { problem: "--file names a directory" };
  return segments.join("/");
}

/** The exact bytes cascade writes: the version and one newline. */
export function renderVersionFile(version: string): Uint8Array {
  return new TextEncoder().encode(`${version}\n`);
}

/** What a template's version file holds, read tolerantly. */
export interface VersionFileContent {
  /**
   * The version it holds (trimmed of spaces, `\r` and newlines), or null
   * when the file is binary, multi-line or not a plausible version.
   */
  value: string | null;
  /** A safe one-line rendering for reports: cut and escaped. */
  display: string;
}

/** Reads version file bytes: tolerant of `\r`, spaces, missing newline. */
export function parseVersionFile(bytes: Uint8Array): VersionFileContent {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { value: null, display: `<binary, ${bytes.length} bytes>` };
  }
  if (text.includes("\0")) {
    return { value: null, display: `<binary, ${bytes.length} bytes>` };
  }
  const trimmed = text.trim();
  const display = displayValue(trimmed);
  if (trimmed === "" || /\s/.test(trimmed) || versionProblem(trimmed)) {
    return { value: trimmed === "" ? "" : null, display };
  }
  return { value: trimmed, display };
}

/**
 * Cuts and escapes a value so it prints on one line of sane length: the
 * terminal form of {@linkcode forTerminal} (controls, line separators and
 * bidirectional overrides, which could make a report read differently from
 * what it says, are escaped), cut at {@linkcode MAX_DISPLAY_LENGTH}, never
 * inside a surrogate pair.
 */
function displayValue(text: string): string {
  return forTerminal(text, MAX_DISPLAY_LENGTH);
}

/** True when what the file holds already equals `version`. */
export function isCurrent(
  content: VersionFileContent,
  version: string,
): boolean {
  return content.value === version;
}
