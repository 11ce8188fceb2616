/**
 * Writing a finished run's reports: `--json`, `--summary`, and in Actions
 * the annotations, step summary and step outputs.
 *
 * @module
 */

import { resolve } from "node:path";
import type { Report } from "../model.ts";
import type { Console } from "../console/console.ts";
import { annotations, inActions, outputs } from "./actions.ts";
import { renderJson, renderMarkdown } from "./render.ts";

/** Where a run's reports go: `--json` (`-`: stdout) and `--summary`. */
export interface ReportPaths {
  /** `--json`. */
  json?: string | undefined;
  /** `--summary`. */
  summary?: string | undefined;
}

/**
 * Writes `--json`, `--summary` and, in Actions, annotations, the step
 * summary and step outputs. A file that cannot be written is one line
 * naming it and why; the others are still written, and the run's pushes
 * stand. Returns false when any write failed.
 */
export async function writeReports(
  report: Report,
  options: ReportPaths,
  io: {
    cwd: string;
    env: (name: string) => string | undefined;
  },
  out: Console,
): Promise<boolean> {
  const abs = (p: string) => (p === "-" ? p : resolve(io.cwd, p));
  const markdown = renderMarkdown(report);
  const writes: [string, string, boolean][] = [];
  if (options.json !== undefined) {
    writes.push([abs(options.json), renderJson(report), false]);
  }
  if (options.summary !== undefined) {
    writes.push([abs(options.summary), markdown, true]);
  }
  if (inActions(io.env)) {
    for (const line of annotations(report)) {
      // Runners read workflow commands from stdout and stderr alike.
      if (options.json === "-") out.err(`${line}\n`);
      else out.out(`${line}\n`);
    }
    const summaryFile = io.env("GITHUB_STEP_SUMMARY");
    if (summaryFile) writes.push([summaryFile, markdown, true]);
    const outputFile = io.env("GITHUB_OUTPUT");
    if (outputFile) writes.push([outputFile, outputs(report), true]);
  }
  let ok = true;
  for (const [path, text, append] of writes) {
    try {
      await out.writeFile(path, text, append);
    } catch (error) {
      ok = false;
      out.err(
        `cascade: cannot write ${path}: ${
          writeProblem(error)
        }; the run's results stand (see the report above)\n`,
      );
    }
  }
  return ok;
}

/** A few words for why a file could not be written. */
export function writeProblem(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) {
    return "its directory does not exist";
  }
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) {
    return "Deno does not allow it: run with --allow-write";
  }
  if (error instanceof Deno.errors.IsADirectory) return "it is a directory";
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? text;
}
