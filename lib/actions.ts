/**
 * Workflow integration for GitHub Actions and Gitea Actions (both set
 * `GITHUB_ACTIONS=true`): annotations, the step summary and step outputs,
 * all derived from the one report model.
 *
 * @module
 */

import type { PushStatus, Report } from "./report.ts";
import { changeOf, failedCount } from "./report.ts";

/** True when running inside a GitHub- or Gitea-Actions step. */
export function inActions(env: (name: string) => string | undefined): boolean {
  return env("GITHUB_ACTIONS") === "true";
}

/** Escapes an annotation message (workflow command data). */
export function escapeData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll(
    "\n",
    "%0A",
  );
}

/** Escapes an annotation property value (`title=`). */
export function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

/**
 * Annotation lines for a report: `::error` for every failure (naming the
 * template), `::warning` for skipped, superseded and downgraded templates
 * and for status drift.
 */
export function annotations(report: Report): string[] {
  const lines: string[] = [];
  const emit = (level: "error" | "warning", repo: string, text: string) => {
    lines.push(
      `::${level} title=${escapeProperty(`cascade: ${repo}`)}::${
        escapeData(`${repo}: ${text}`)
      }`,
    );
  };
  if (report.command === "status") {
    for (const r of report.results) {
      if (r.error) emit("error", r.repo, `${r.error.kind}: ${r.error.message}`);
      else if (r.drift) {
        emit(
          "warning",
          r.repo,
          `${r.branch ?? "?"} holds ${
            r.current ?? "no version file"
          }, not ${report.version}`,
        );
      }
    }
    return lines;
  }
  for (const r of report.results) {
    if (r.status === "failed" || r.status === "interrupted") {
      const e = r.error;
      emit(
        "error",
        r.repo,
        e ? `${e.kind}: ${e.message}` : `${r.status}: ${r.reason ?? ""}`,
      );
    } else if (r.status === "skipped" || r.status === "superseded") {
      emit("warning", r.repo, `${r.status}: ${r.reason ?? ""}`);
    } else if (r.downgrade && r.status === "updated") {
      emit(
        "warning",
        r.repo,
        `downgrade ${changeOf(r, report.version)} on ${r.branch ?? "?"}`,
      );
    }
  }
  return lines;
}

/**
 * Step outputs (`name=value` lines for `$GITHUB_OUTPUT`): `updated`,
 * `unchanged`, `skipped`, `failed` (space-separated template names; for
 * `superseded` and `interrupted` too) and `failed-count`. For status:
 * `current`, `drifted`, `failed` and `failed-count`.
 */
export function outputs(report: Report): string {
  const pairs: [string, string][] = [];
  if (report.command === "status") {
    pairs.push(
      ["current", names(report.results.filter((r) => !r.drift))],
      ["drifted", names(report.results.filter((r) => r.drift && !r.error))],
      ["failed", names(report.results.filter((r) => r.error))],
      ["failed-count", String(report.summary.errors)],
    );
  } else {
    const of = (status: PushStatus) =>
      names(report.results.filter((r) => r.status === status));
    pairs.push(
      ["updated", of("updated")],
      ["unchanged", of("unchanged")],
      ["skipped", of("skipped")],
      ["failed", of("failed")],
      ["superseded", of("superseded")],
      ["interrupted", of("interrupted")],
      ["failed-count", String(failedCount(report))],
    );
  }
  return pairs.map(([k, v]) => `${k}=${v.replace(/[\r\n]/g, " ")}\n`).join(
    "",
  );
}

function names(results: readonly { repo: string }[]): string {
  return results.map((r) => r.repo.replace(/\s/g, "%20")).join(" ");
}
