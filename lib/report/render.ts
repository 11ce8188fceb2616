/**
 * The report's renderings: text for a log or terminal, JSON for machines,
 * Markdown for a step summary. Each takes the model only (see `model.ts`,
 * whose state tables decide tones and summaries); one row builder per
 * command says which cells a template's line has. Redaction happens once,
 * where output is written.
 *
 * @module
 */

import { forLog, forMarkdownCell } from "../console/neutralise.ts";
import type {
  CiOutcome,
  PushReport,
  PushResult,
  Report,
  StateInfo,
  StatusReport,
  StatusResult,
} from "../model.ts";
import type { PullRef } from "../forge/pull_ref.ts";
import {
  type StatedResult,
  statedResults,
  summarySentence,
} from "./summary.ts";

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
  // A template the run stopped before reading has no known value.
  const before = result.previous ??
    (result.skip === "aborted" ? "(not read)" : "(none)");
  switch (result.status) {
    case "updated":
      return `${before} -> ${version}`;
    case "superseded":
      return `${before} -> ${result.current ?? "?"} (newer)`;
    default:
      return before;
  }
}

/** "1 template", "3 templates". */
function templates(n: number): string {
  return `${n} template${n === 1 ? "" : "s"}`;
}

/** One template's line, before it is laid out as text or Markdown. */
interface Row {
  /** The state's meaning (tone). */
  info: StateInfo;
  /** The state as a word ("would update", "drift"). */
  word: string;
  /** Text cells after the word: template, branch, value. */
  cells: string[];
  /** Text detail: commit, reason or error. */
  detail: string;
  /** Markdown cells, in the order of the command's headers. */
  markdown: string[];
}

/** How one command's report is laid out. */
interface Layout {
  /** `cascade push 0.1.8`, `cascade dry run 0.1.8`, `cascade status 0.1.8`. */
  title: string;
  /** What follows the summary sentence in the text report. */
  tail: string;
  /** What follows the title in the Markdown heading. */
  markdownTitle: string;
  /** Markdown table headers. */
  headers: string[];
  /** One row per result. */
  rows: Row[];
}

const errorText = (r: { error?: { kind: string; message: string } }) =>
  r.error ? `${r.error.kind}: ${r.error.message}` : "";

/** "(moved to <url>: update the list)" for a renamed repository. */
export function movedText(r: { movedTo?: string }): string {
  return r.movedTo === undefined
    ? ""
    : `(moved to ${r.movedTo}: update the target list)`;
}

/** "pull request #3 <url>" for a result with a pull request, else "". */
function prText(r: { pr?: PullRef }): string {
  if (r.pr === undefined) return "";
  const link = safeLink(r.pr.url);
  return `pull request #${r.pr.number}${link ? ` ${link}` : ""}`;
}

/** The Markdown link to a result's pull request (then a space), or "". */
function prCell(r: { pr?: PullRef }): string {
  if (r.pr === undefined) return "";
  const link = safeLink(r.pr.url);
  const word = `#${r.pr.number}`;
  return link ? `[${word}](${link}) ` : `${word} `;
}

/**
 * A server's text made printable and short (context names, descriptions
 * and notes come from the forge): see {@linkcode forLog}.
 */
function printable(text: string, max = 200): string {
  return forLog(text, max);
}

/**
 * A run link fit to print and to put in a Markdown table cell: an absolute
 * http(s) URL as the URL parser writes it, with every character that could
 * end the cell, the link or a code span (`|`, brackets, parentheses,
 * backticks, `<`, `>`, backslash, blanks) percent-encoded; null for
 * anything else (the link is then dropped).
 */
function safeLink(url: string | null): string | null {
  if (url === null) return null;
  try {
    const parsed = new URL(url);
    if (!/^https?:$/.test(parsed.protocol)) return null;
    return parsed.href.replace(
      /[()[\]|`<>\\\s]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
    );
  } catch {
    return null;
  }
}

/**
 * One line on a template's CI: "ci failure: ctx failure (Failing after
 * 1s) <link>", the note for none and pending; printable text only.
 */
export function ciText(ci: CiOutcome): string {
  const failing = ci.contexts.filter((c) =>
    c.state === "failure" || c.state === "error"
  );
  const shown = (ci.state === "failure" ? failing : ci.contexts).slice(0, 3)
    .map((c) =>
      `${printable(c.context, 80)} ${printable(c.state, 20)}${
        c.description ? ` (${printable(c.description, 80)})` : ""
      }`
    );
  const link = safeLink(ci.url);
  return [
    `ci ${ci.state}:`,
    shown.join(", "),
    link ?? "",
    ci.note ? `(${printable(ci.note, 300)})` : "",
  ].filter(Boolean).join(" ");
}

/** The Markdown CI cell: the state, linked to the failing run if any. */
function ciCell(ci: CiOutcome | undefined): string {
  if (ci === undefined) return "";
  const link = safeLink(
    ci.url ?? ci.contexts.find((c) => c.targetUrl)?.targetUrl ?? null,
  );
  const word = link ? `[${cell(ci.state)}](${link})` : cell(ci.state);
  return ci.note ? `${word} ${cell(printable(ci.note, 300))}` : word;
}

function pushLayout(report: PushReport, stated: StatedResult[]): Layout {
  const withCi = report.results.some((r) => r.ci !== undefined);
  const rows = stated.map(({ result, info }): Row => {
    const r = result as PushResult;
    const word = report.dryRun ? info.dryPhrase ?? r.status : r.status;
    const change = changeOf(r, report.version);
    return {
      info,
      word,
      cells: [r.repo, r.branch ?? "-", change],
      detail: [
        r.error ? errorText(r) : [
          r.commit ? r.commit.slice(0, 10) : "",
          r.verified ? "verified" : "",
          r.downgrade ? "(downgrade)" : "",
          r.reason ?? "",
          prText(r),
          r.ci ? ciText(r.ci) : "",
        ].filter(Boolean).join(" "),
        movedText(r),
      ].filter(Boolean).join(" "),
      markdown: [
        cell(r.repo),
        cell(r.branch ?? "-"),
        cell(
          `${change.replace(" -> ", " → ")}${
            r.downgrade ? " (downgrade)" : ""
          }`,
        ),
        cell(word),
        r.commit ? `\`${r.commit.slice(0, 10)}\`` : "",
        prCell(r) +
        cell(
          [r.error ? errorText(r) : r.reason ?? "", movedText(r)].filter(
            Boolean,
          ).join(" "),
        ),
        ...(withCi ? [ciCell(r.ci)] : []),
      ],
    };
  });
  const seconds = (report.durationMs / 1000).toFixed(1);
  return {
    title: `cascade ${report.dryRun ? "dry run" : "push"} ${report.version}`,
    tail: ` (${templates(report.results.length)}, ${seconds} s)`,
    markdownTitle: ` (\`${cell(report.file)}\`)`,
    headers: [
      "template",
      "branch",
      "previous → new",
      "status",
      "commit",
      "error",
      ...(withCi ? ["CI"] : []),
    ],
    rows,
  };
}

function statusLayout(report: StatusReport, stated: StatedResult[]): Layout {
  const withCi = report.results.some((r) => r.ci !== undefined);
  const rows = stated.map(({ result, state, info }): Row => {
    const r = result as StatusResult;
    const current = r.current ?? "(none)";
    return {
      info,
      // One width for every state word, so the columns line up.
      word: state.padEnd(5),
      cells: [r.repo, r.branch ?? "-", current],
      detail: [
        errorText(r) || r.reason || "",
        r.ci ? ciText(r.ci) : "",
        movedText(r),
      ].filter(Boolean).join(" "),
      markdown: [
        cell(r.repo),
        cell(r.branch ?? "-"),
        cell(current),
        state,
        cell(
          [errorText(r) || r.reason || "", movedText(r)].filter(Boolean).join(
            " ",
          ),
        ),
        ...(withCi ? [ciCell(r.ci)] : []),
      ],
    };
  });
  return {
    title: `cascade status ${report.version}`,
    tail: ` (${templates(report.results.length)})`,
    markdownTitle: "",
    headers: [
      "template",
      "branch",
      "current",
      "state",
      "error",
      ...(withCi ? ["CI"] : []),
    ],
    rows,
  };
}

function layoutOf(report: Report): Layout {
  const stated = statedResults(report);
  return report.command === "push"
    ? pushLayout(report, stated)
    : statusLayout(report, stated);
}

/**
 * The text report: one line per template (state, name, branch, value,
 * then commit, reason or error), then a one-line summary.
 */
export function renderText(report: Report, style: TextStyle = PLAIN): string {
  const layout = layoutOf(report);
  // Everything in a line may come from a server or a repo: neutralised
  // for a terminal and an Actions log before it is measured or printed.
  const rows = layout.rows.map((row) => ({
    ...row,
    cells: row.cells.map((c) => forLog(oneLine(c))),
    detail: forLog(oneLine(row.detail)),
  }));
  const widths = [0, 1, 2].map((i) =>
    Math.max(0, ...rows.map((r) => r.cells[i]?.length ?? 0))
  );
  const wordWidth = Math.max(0, ...rows.map((r) => r.word.length));
  const lines = rows.map((row) => {
    const cells = row.cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
    const paint = style[row.info.tone];
    return `${paint(row.word.padEnd(wordWidth))}  ${cells}  ${
      style.dim(row.detail)
    }`.trimEnd();
  });
  lines.push(`${layout.title}: ${summarySentence(report)}${layout.tail}`);
  return `${lines.join("\n")}\n`;
}

/**
 * Folds line breaks (and the blanks around them) into one space, so that
 * one template stays on one line; linear in the text, whatever it holds.
 */
function oneLine(text: string): string {
  const parts = text.split(/[\r\n]+/);
  if (parts.length === 1) return text;
  return parts.map((part, i) =>
    i === 0
      ? part.trimEnd()
      : i === parts.length - 1
      ? part.trimStart()
      : part.trim()
  ).join(" ");
}

/** A Markdown table cell: see {@linkcode forMarkdownCell}. */
function cell(text: string): string {
  return forMarkdownCell(text);
}

/** The Markdown report: a heading, a table, a summary line. */
export function renderMarkdown(report: Report): string {
  const layout = layoutOf(report);
  const lines = [
    `### ${cell(layout.title)}${layout.markdownTitle}`,
    "",
    `| ${layout.headers.join(" | ")} |`,
    `| ${layout.headers.map(() => "---").join(" | ")} |`,
    ...layout.rows.map((row) => `| ${row.markdown.join(" | ")} |`),
    "",
    `${summarySentence(report)}.`,
    "",
  ];
  return `${lines.join("\n")}\n`;
}
