/**
 * Everything cascade writes goes through here: stdout and stderr lines, the
 * live progress line, per-template log blocks and report files — each
 * passed through the one redactor first.
 *
 * @module
 */

import { dirname } from "node:path";
import { styleText } from "node:util";
import { forLog } from "./neutralise.ts";
import type { Redactor } from "./redact.ts";
import { PLAIN, type TextStyle } from "../report/render.ts";
import { writeRegular } from "../report/regular_file.ts";

/** Where text goes; tests pass in-memory sinks. */
export interface Sinks {
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Whether standard output is a terminal (live progress, colour). */
  isTerminal: boolean;
  /**
   * The streams whose output was lost (a closed pipe, `… | head -1`):
   * writes to them are dropped from then on instead of stopping the run.
   */
  lost?(): readonly ("stdout" | "stderr")[];
}

/** A standard stream that stopped taking output. */
export type LostStream = "stdout" | "stderr";

/** A stream as the process sinks write it. */
export interface SyncWriter {
  /** Writes some of `p`, returns how many bytes. */
  writeSync(p: Uint8Array): number;
}

/**
 * The process's real stdout and stderr (or `files`, for tests). A stream
 * that fails a write (EPIPE when the reader went away) is marked lost and
 * dropped: the run, its reports and its exit code never depend on it.
 */
export function processSinks(
  files: { stdout: SyncWriter; stderr: SyncWriter; isTerminal: boolean } = {
    stdout: Deno.stdout,
    stderr: Deno.stderr,
    isTerminal: Deno.stdout.isTerminal(),
  },
): Sinks {
  const encoder = new TextEncoder();
  const lost = new Set<LostStream>();
  const write = (name: LostStream, text: string) => {
    if (lost.has(name)) return;
    const bytes = encoder.encode(text);
    let offset = 0;
    try {
      while (offset < bytes.length) {
        offset += files[name].writeSync(bytes.subarray(offset));
      }
    } catch {
      lost.add(name);
    }
  };
  return {
    stdout: (text) => write("stdout", text),
    stderr: (text) => write("stderr", text),
    isTerminal: files.isTerminal,
    lost: () => [...lost].sort(),
  };
}

/** Colour when stdout is a terminal and `NO_COLOR` is unset or empty. */
export function textStyle(
  sinks: Sinks,
  env: (name: string) => string | undefined,
): TextStyle {
  const noColor = (env("NO_COLOR") ?? "") !== "" || env("TERM") === "dumb";
  if (!sinks.isTerminal || noColor) return PLAIN;
  const paint = (format: Parameters<typeof styleText>[0]) => (text: string) =>
    text === "" ? text : styleText(format, text, { validateStream: false });
  return {
    good: paint("green"),
    warn: paint("yellow"),
    bad: paint("red"),
    dim: paint("dim"),
  };
}

/** Redacted output with an optional live progress line on a terminal. */
export class Console {
  #sinks: Sinks;
  #redactor: Redactor;
  #progress = "";
  #groups: boolean;

  /**
   * `groups` wraps each template's log block in `::group::` (Actions).
   */
  constructor(sinks: Sinks, redactor: Redactor, groups: boolean) {
    this.#sinks = sinks;
    this.#redactor = redactor;
    this.#groups = groups;
  }

  /** Writes text (lines) to stdout. */
  out(text: string): void {
    this.#clearProgress();
    this.#sinks.stdout(this.#safe(text));
    this.#redrawProgress();
  }

  /** Writes text (lines) to stderr. */
  err(text: string): void {
    this.#clearProgress();
    this.#sinks.stderr(this.#safe(text));
    this.#redrawProgress();
  }

  /** The streams whose output was lost so far (see {@linkcode Sinks.lost}). */
  lost(): readonly LostStream[] {
    return this.#sinks.lost?.() ?? [];
  }

  /**
   * Redacted, and no `##[` anywhere (an Actions runner takes one anywhere
   * in a line for a command): the last net under every line printed.
   */
  #safe(text: string): string {
    return this.#redactor.redact(text).replaceAll("##[", "# #[");
  }

  /** Prints one template's buffered log as one block on stderr. */
  block(title: string, lines: readonly string[]): void {
    if (lines.length === 0) return;
    // Log lines quote servers and repos: never a workflow command, never
    // a raw control character.
    const body = lines.map((l) => `  ${forLog(l)}\n`).join("");
    const shown = forLog(title);
    this.err(
      this.#groups
        ? `::group::${shown}\n${body}::endgroup::\n`
        : `[${shown}]\n${body}`,
    );
  }

  /**
   * Sets the live progress line (stdout, terminals only; a no-op when
   * stdout is not a terminal). An empty string removes it.
   */
  progress(text: string): void {
    if (!this.#sinks.isTerminal) return;
    this.#clearProgress();
    this.#progress = this.#safe(text).replace(/[\r\n]/g, " ");
    this.#redrawProgress();
  }

  #clearProgress(): void {
    if (this.#progress !== "") this.#sinks.stdout("\r\x1b[2K");
  }

  #redrawProgress(): void {
    if (this.#progress === "") return;
    const columns = consoleColumns();
    const line = this.#progress.length > columns - 1
      ? `${this.#progress.slice(0, columns - 4)}...`
      : this.#progress;
    this.#sinks.stdout(line);
  }

  /**
   * Writes a report file (`-` means stdout), redacted. A new file is
   * written beside the destination and renamed over it, so a symlink
   * planted at the destination is replaced, never followed; an appended
   * file (a step summary) must not be a symlink.
   */
  async writeFile(path: string, text: string, append = false): Promise<void> {
    if (path === "-") {
      // In JSON, `#` written `\u0023` keeps every value exact and leaves
      // no `##[` on the line (the net in `out` would change the value).
      this.out(
        text.startsWith("{") ? text.replaceAll("##[", "#\\u0023[") : text,
      );
      return;
    }
    const bytes = this.#redactor.redact(text);
    if (append) {
      const info = await Deno.lstat(path).catch(() => null);
      if (info?.isSymlink) {
        throw new Error(
          "it is a symbolic link; cascade does not write through one",
        );
      }
      if (info !== null && !info.isFile) {
        // Checked again just before the write: a FIFO with no reader would
        // block the run for ever.
        throw new Error(
          "it is not a regular file (a FIFO, a device or a directory); cascade writes only to regular files",
        );
      }
      await writeRegular(path, bytes, true);
      return;
    }
    if (!mayWriteBeside(path)) {
      // Writes narrowed to the file itself (`--allow-write=report.json`):
      // no temp file beside it; a planted symlink is removed, not followed.
      const info = await Deno.lstat(path).catch(() => null);
      if (info?.isSymlink) await Deno.remove(path);
      else if (info !== null && !info.isFile) {
        throw new Error(
          "it is not a regular file (a FIFO, a device or a directory); cascade writes only to regular files",
        );
      }
      await writeRegular(path, bytes, false);
      return;
    }
    const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    try {
      await Deno.writeTextFile(temp, bytes, { createNew: true });
      await Deno.rename(temp, path);
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
  }
}

/** Whether Deno lets cascade write a temp file beside `path`. */
function mayWriteBeside(path: string): boolean {
  const dir = dirname(path);
  return Deno.permissions.querySync({ name: "write", path: dir }).state ===
    "granted";
}

function consoleColumns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}
