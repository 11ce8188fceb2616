/**
 * Workflow integration for GitHub Actions and Gitea Actions (both set
 * `GITHUB_ACTIONS=true`): annotations and step outputs, derived from the
 * one report model and its state tables.
 *
 * @module
 */

import {
  CI_STATES,
  ciFails,
  type PushResult,
  type Report,
  type StatusResult,
} from "../model.ts";
import { failedCount, statedResults, statesOf } from "./summary.ts";
import { forLog } from "../console/neutralise.ts";
import { changeOf, ciText, movedText } from "./render.ts";

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
function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

/** The words of one template's annotation, after its name. */
function annotationText(report: Report, result: PushResult | StatusResult) {
  if (result.error) return `${result.error.kind}: ${result.error.message}`;
  if (report.command === "status") {
    const r = result as StatusResult;
    return `${r.branch ?? "?"} holds ${
      r.current ?? "no version file"
    }, not ${report.version}`;
  }
  const r = result as PushResult;
  return `${r.status}: ${r.reason ?? ""}`;
}

/**
 * Annotation lines for a report: the level each state's table row names
 * (`::error` for every failure, `::warning` for skipped and superseded
 * templates and for drift), each naming the template; and a `::warning`
 * for a downgrade that landed.
 */
export function annotations(report: Report): string[] {
  const lines: string[] = [];
  // Names and messages may hold a server's words: neutralised (no
  // workflow command inside, no control characters), then escaped.
  const emit = (level: "error" | "warning", repo: string, text: string) => {
    lines.push(
      `::${level} title=${escapeProperty(forLog(`cascade: ${repo}`))}::${
        escapeData(forLog(`${repo}: ${text}`))
      }`,
    );
  };
  for (const { result, info } of statedResults(report)) {
    if (result.movedTo !== undefined) {
      emit("warning", result.repo, movedText(result));
    }
    const ci = result.ci;
    if (ci !== undefined && CI_STATES[ci.state].annotation !== null) {
      emit(
        CI_STATES[ci.state].annotation ?? "error",
        result.repo,
        `${result.branch ?? "?"}: ${ciText(ci)}`,
      );
    }
    if (info.annotation !== null) {
      emit(info.annotation, result.repo, annotationText(report, result));
    } else if (
      report.command === "push" && (result as PushResult).downgrade &&
      (result as PushResult).status === "updated"
    ) {
      const r = result as PushResult;
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
 * Step outputs (`name=value` lines for `$GITHUB_OUTPUT`): one per state,
 * named by the state table (push: `updated`, `unchanged`, `skipped`,
 * `failed`, `superseded`, `interrupted`, `dispatched`, `proposed`, `merged`;
 * status: `current`, `drifted`, `failed`), each the space-separated template
 * names, then `failed-count`; with CI followed or read, `ci-failed`: the
 * templates whose CI is not green; with pull requests, `pull-requests`:
 * their web pages.
 */
export function outputs(report: Report): string {
  const stated = statedResults(report);
  const pairs: [string, string][] = statesOf(report).map((info) => [
    info.output,
    names(stated.filter((s) => s.info === info).map((s) => s.result)),
  ]);
  pairs.push(["failed-count", String(failedCount(report))]);
  if (stated.some((s) => s.result.ci !== undefined)) {
    pairs.push([
      "ci-failed",
      names(stated.filter((s) => ciFails(s.result)).map((s) => s.result)),
    ]);
  }
  const prs = report.results.flatMap((r) => r.pr ? [r.pr] : []);
  if (prs.length > 0) {
    pairs.push([
      "pull-requests",
      prs.flatMap((p) => p.url ? [p.url.replace(/\s/g, "%20")] : []).join(" "),
    ]);
  }
  return pairs.map(([k, v]) => `${k}=${v.replace(/[\r\n]/g, " ")}\n`).join(
    "",
  );
}

function names(results: readonly { repo: string }[]): string {
  return results.map((r) => r.repo.replace(/\s/g, "%20")).join(" ");
}
