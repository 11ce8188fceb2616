/**
 * The report model, one per run, and its three renderings: text for a log
 * or terminal, JSON for machines, Markdown for a step summary. Renderers
 * take the model only; redaction happens once, where output is written.
 *
 * @module
 */

import type { ErrorKind } from "./errors.ts";

/** How a template ended in `cascade push`. */
export type PushStatus =
  | "updated"
  | "unchanged"
  | "skipped"
  | "failed"
  | "superseded"
  | "interrupted";

/** A failure's kind and one-line message. */
export interface ReportError {
  /** The error class; see the README. */
  kind: ErrorKind;
  /** Names the template, what broke and what to do. */
  message: string;
}

/** One template's result in `cascade push`. */
export interface PushResult {
  /** The target as given (credentials removed). */
  repo: string;
  /** The URL git used, credentials removed. */
  url: string;
  /** The branch pushed to (or that would have been), null if unknown. */
  branch: string | null;
  /** How it ended. */
  status: PushStatus;
  /** The file's value before (safe display form), null when absent. */
  previous: string | null;
  /** The pushed commit (or the one a dry run built), else null. */
  commit: string | null;
  /** Push attempts made. */
  attempts: number;
  /** Wall time for this template. */
  durationMs: number;
  /** Why it was skipped, superseded or not pushed. */
  reason?: string;
  /** Set when status is `failed` (or `interrupted`). */
  error?: ReportError;
  /** For `updated`: the branch tip was read back and holds the commit. */
  verified?: boolean;
  /** The template held a higher version than the one written. */
  downgrade?: boolean;
  /** For `superseded`: the newer value another publisher wrote. */
  current?: string;
}

/** The whole `cascade push` report (the `--json` schema). */
export interface PushReport {
  /** The cascade version that wrote it. */
  tool: string;
  /** Always `push`. */
  command: "push";
  /** The version written. */
  version: string;
  /** The version file's path in each repo. */
  file: string;
  /** Whether this was a `--dry-run`. */
  dryRun: boolean;
  /** ISO 8601 start time. */
  startedAt: string;
  /** Wall time of the run. */
  durationMs: number;
  /** One per template, in input order. */
  results: PushResult[];
  /** Counts per status. */
  summary: Record<PushStatus, number>;
}

/** One template's result in `cascade status`. */
export interface StatusResult {
  /** The target as given (credentials removed). */
  repo: string;
  /** The URL git used, credentials removed. */
  url: string;
  /** The branch read, null if unknown. */
  branch: string | null;
  /** The file's value (safe display form), null when absent or unread. */
  current: string | null;
  /** False only when the file holds the version. */
  drift: boolean;
  /** Set when the template could not be read. */
  error?: ReportError;
}

/** The whole `cascade status` report. */
export interface StatusReport {
  /** The cascade version that wrote it. */
  tool: string;
  /** Always `status`. */
  command: "status";
  /** The version expected. */
  version: string;
  /** The version file's path in each repo. */
  file: string;
  /** ISO 8601 start time. */
  startedAt: string;
  /** Wall time of the run. */
  durationMs: number;
  /** One per template, in input order. */
  results: StatusResult[];
  /** Counts: at the version, drifted, unreadable. */
  summary: { current: number; drifted: number; errors: number };
}

/** Either report. */
export type Report = PushReport | StatusReport;

/** Counts results per status, every status present. */
export function summarise(
  results: readonly PushResult[],
): PushReport["summary"] {
  const summary: PushReport["summary"] = {
    updated: 0,
    unchanged: 0,
    skipped: 0,
    failed: 0,
    superseded: 0,
    interrupted: 0,
  };
  for (const r of results) summary[r.status]++;
  return summary;
}

/** Failed plus interrupted templates: what makes the exit code 1. */
export function failedCount(report: PushReport): number {
  return report.summary.failed + report.summary.interrupted;
}

/** Counts status results. */
export function summariseStatus(
  results: readonly StatusResult[],
): StatusReport["summary"] {
  return {
    current: results.filter((r) => !r.drift).length,
    drifted: results.filter((r) => r.drift && !r.error).length,
    errors: results.filter((r) => r.error).length,
  };
}

/** The JSON report, pretty-printed with a final newline. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Styles for text output; identity functions mean no colour. */
export interface TextStyle {
  /** Successful statuses. */
  good(text: string): string;
  /** Warnings: skipped, superseded, downgrade. */
  warn(text: string): string;
  /** Failures. */
  bad(text: string): string;
  /** Secondary detail. */
  dim(text: string): string;
}

/** No colour at all. */
export const PLAIN: TextStyle = {
  good: (t) => t,
  warn: (t) => t,
  bad: (t) => t,
  dim: (t) => t,
};

/** The "previous → new" cell of a push result. */
export function changeOf(result: PushResult, version: string): string {
  const before = result.previous ?? "(none)";
  switch (result.status) {
    case "updated":
      return `${before} -> ${version}`;
    case "superseded":
      return `${before} -> ${result.current ?? "?"} (newer)`;
    default:
      return before;
  }
}

function statusWord(result: PushResult, dryRun: boolean): string {
  if (dryRun && result.status === "updated") return "would update";
  return result.status;
}

function styleFor(status: PushStatus, style: TextStyle): (t: string) => string {
  switch (status) {
    case "updated":
    case "unchanged":
      return style.good;
    case "skipped":
    case "superseded":
      return style.warn;
    default:
      return style.bad;
  }
}

/**
 * The text report: one line per template (status, name, branch,
 * previous → new, short commit or reason), then a one-line summary.
 */
export function renderPushText(
  report: PushReport,
  style: TextStyle = PLAIN,
): string {
  const rows = report.results.map((r) => {
    const detail = r.error ? `${r.error.kind}: ${r.error.message}` : [
      r.commit ? r.commit.slice(0, 10) : "",
      r.verified ? "verified" : "",
      r.downgrade ? "(downgrade)" : "",
      r.reason ?? "",
    ].filter(Boolean).join(" ");
    return {
      status: statusWord(r, report.dryRun),
      paint: styleFor(r.status, style),
      cells: [r.repo, r.branch ?? "-", changeOf(r, report.version)],
      detail: oneLine(detail),
    };
  });
  const widths = [0, 1, 2].map((i) =>
    Math.max(0, ...rows.map((r) => r.cells[i]?.length ?? 0))
  );
  const statusWidth = Math.max(0, ...rows.map((r) => r.status.length));
  const lines = rows.map((row) => {
    const cells = row.cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
    const text = `${row.paint(row.status.padEnd(statusWidth))}  ${cells}  ${
      style.dim(row.detail)
    }`;
    return text.trimEnd();
  });
  const s = report.summary;
  const parts = [
    `${s.updated} ${report.dryRun ? "would update" : "updated"}`,
    `${s.unchanged} unchanged`,
    `${s.skipped} skipped`,
    `${s.failed} failed`,
  ];
  if (s.superseded) parts.push(`${s.superseded} superseded`);
  if (s.interrupted) parts.push(`${s.interrupted} interrupted`);
  const head = `cascade ${
    report.dryRun ? "dry run" : "push"
  } ${report.version}`;
  lines.push(
    `${head}: ${parts.join(", ")} (${report.results.length} templates, ${
      (report.durationMs / 1000).toFixed(1)
    } s)`,
  );
  return `${lines.join("\n")}\n`;
}

/** The text table of `cascade status`, then a one-line summary. */
export function renderStatusText(
  report: StatusReport,
  style: TextStyle = PLAIN,
): string {
  const rows = report.results.map((r) => ({
    word: r.error ? "error" : r.drift ? "drift" : "ok",
    cells: [r.repo, r.branch ?? "-", r.current ?? "(none)"],
    detail: oneLine(r.error ? `${r.error.kind}: ${r.error.message}` : ""),
  }));
  const widths = [0, 1, 2].map((i) =>
    Math.max(0, ...rows.map((r) => r.cells[i]?.length ?? 0))
  );
  const lines = rows.map((row) => {
    const paint = row.word === "ok"
      ? style.good
      : row.word === "drift"
      ? style.warn
      : style.bad;
    const cells = row.cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
    return `${paint(row.word.padEnd(5))}  ${cells}  ${style.dim(row.detail)}`
      .trimEnd();
  });
  const s = report.summary;
  lines.push(
    `cascade status ${report.version}: ${s.current} at the version, ${s.drifted} drifted, ${s.errors} unreadable (${report.results.length} templates)`,
  );
  return `${lines.join("\n")}\n`;
}

/** Folds line breaks so that one template stays on one line. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ");
}

/** The text report of either command. */
export function renderText(report: Report, style: TextStyle = PLAIN): string {
  return report.command === "push"
    ? renderPushText(report, style)
    : renderStatusText(report, style);
}

/** Escapes a table cell for Markdown: pipes, backticks, newlines. */
function cell(text: string): string {
  return text.replace(/[\\|`*_<>[\]]/g, (c) => `\\${c}`).replace(
    /\r?\n/g,
    " ",
  );
}

/** The Markdown report: a heading, a table, a summary line. */
export function renderMarkdown(report: Report): string {
  if (report.command === "status") {
    const lines = [
      `### cascade status ${cell(report.version)}`,
      "",
      "| template | branch | current | state | error |",
      "| --- | --- | --- | --- | --- |",
      ...report.results.map((r) =>
        `| ${cell(r.repo)} | ${cell(r.branch ?? "-")} | ${
          cell(r.current ?? "(none)")
        } | ${r.error ? "error" : r.drift ? "drift" : "ok"} | ${
          cell(r.error ? `${r.error.kind}: ${r.error.message}` : "")
        } |`
      ),
      "",
      `${report.summary.current} at the version, ${report.summary.drifted} drifted, ${report.summary.errors} unreadable.`,
      "",
    ];
    return `${lines.join("\n")}\n`;
  }
  const lines = [
    `### cascade ${report.dryRun ? "dry run" : "push"} ${
      cell(report.version)
    } (\`${cell(report.file)}\`)`,
    "",
    "| template | branch | previous → new | status | commit | error |",
    "| --- | --- | --- | --- | --- | --- |",
    ...report.results.map((r) =>
      `| ${cell(r.repo)} | ${cell(r.branch ?? "-")} | ${
        cell(changeOf(r, report.version).replace(" -> ", " → "))
      } | ${cell(statusWord(r, report.dryRun))} | ${
        r.commit ? `\`${r.commit.slice(0, 10)}\`` : ""
      } | ${
        cell(
          r.error ? `${r.error.kind}: ${r.error.message}` : r.reason ?? "",
        )
      } |`
    ),
    "",
    `${report.summary.updated} updated, ${report.summary.unchanged} unchanged, ${report.summary.skipped} skipped, ${report.summary.failed} failed` +
    (report.summary.superseded
      ? `, ${report.summary.superseded} superseded`
      : "") +
    (report.summary.interrupted
      ? `, ${report.summary.interrupted} interrupted`
      : "") +
    ".",
    "",
  ];
  return `${lines.join("\n")}\n`;
}
