/**
 * What a report adds up to, read from the model's state tables: each
 * result's state, the counts per state, whether the run fails, the
 * `failed-count` output and the summary sentence the text and Markdown
 * reports end on.
 *
 * @module
 */

import {
  CI_STATES,
  ciFails,
  PUSH_STATES,
  type PushReport,
  type PushResult,
  type Report,
  type ReportHead,
  type RunHead,
  schemaUrl,
  type StateInfo,
  STATUS_STATES,
  type StatusReport,
  type StatusResult,
  statusStateOf,
} from "../model.ts";

/** A result of either report with its state and what the state means. */
export interface StatedResult {
  /** The result. */
  result: PushResult | StatusResult;
  /** Its state's name (a push status, or ok/drift/error). */
  state: string;
  /** What that state means. */
  info: StateInfo;
}

/** Every result of a report with its state, in report order. */
export function statedResults(report: Report): StatedResult[] {
  if (report.command === "push") {
    return report.results.map((result) => ({
      result,
      state: result.status,
      info: PUSH_STATES[result.status],
    }));
  }
  return report.results.map((result) => {
    const state = statusStateOf(result);
    return { result, state, info: STATUS_STATES[state] };
  });
}

/** The state table of a report's command, in report order. */
export function statesOf(report: Report): readonly StateInfo[] {
  return Object.values(
    report.command === "push" ? PUSH_STATES : STATUS_STATES,
  );
}

/** Counts push results per status, every status present. */
function summarise(
  results: readonly PushResult[],
): PushReport["summary"] {
  const summary = Object.fromEntries(
    Object.keys(PUSH_STATES).map((k) => [k, 0]),
  ) as PushReport["summary"];
  for (const r of results) summary[r.status]++;
  return summary;
}

/** Counts status results: at the version, drifted, unreadable. */
export function summariseStatus(
  results: readonly StatusResult[],
): StatusReport["summary"] {
  const summary: StatusReport["summary"] = {
    current: 0,
    drifted: 0,
    errors: 0,
  };
  for (const r of results) {
    const key = STATUS_STATES[statusStateOf(r)].summaryKey;
    summary[key as keyof typeof summary] =
      (summary[key as keyof typeof summary] ?? 0) + 1;
  }
  return summary;
}

/** Templates whose state (or CI) counts in `failed-count`. */
export function failedCount(report: Report): number {
  return statedResults(report).filter((s) =>
    s.info.failedCount || ciFails(s.result)
  ).length;
}

/** True when any template's state or CI fails the run (exit code 1). */
export function anyFails(report: Report): boolean {
  return statedResults(report).some((s) => s.info.fails || ciFails(s.result));
}

/** "CI: 2 green, 1 red" over the results that have a `ci`, or "". */
function ciSentence(report: Report): string {
  const counts = new Map<StateInfo, number>();
  for (const { result } of statedResults(report)) {
    if (result.ci === undefined) continue;
    const info = CI_STATES[result.ci.state];
    counts.set(info, (counts.get(info) ?? 0) + 1);
  }
  if (counts.size === 0) return "";
  return `CI: ${
    Object.values(CI_STATES).filter((info) => counts.has(info)).map((info) =>
      `${counts.get(info)} ${info.phrase}`
    ).join(", ")
  }`;
}

/**
 * The summary sentence both the text and the Markdown report end on:
 * "2 updated, 1 unchanged, 0 skipped, 0 failed" (states with none in them
 * left out unless they are always shown).
 */
export function summarySentence(report: Report): string {
  const counts = new Map<StateInfo, number>();
  for (const s of statedResults(report)) {
    counts.set(s.info, (counts.get(s.info) ?? 0) + 1);
  }
  return statesOf(report)
    .filter((info) => info.always || (counts.get(info) ?? 0) > 0)
    .map((info) => {
      const phrase = report.command === "push" && report.dryRun
        ? info.dryPhrase ?? info.phrase
        : info.phrase;
      return `${counts.get(info) ?? 0} ${phrase}`;
    })
    .join(", ") + (ciSentence(report) ? `; ${ciSentence(report)}` : "");
}

/**
 * The push report of a run (a dispatch is a push trigger: same shape and
 * key order): the head's fields, the results and their counts.
 */
export function pushReportOf(
  head: RunHead,
  dryRun: boolean,
  results: PushResult[],
  apiRequests?: number,
): PushReport {
  return {
    ...reportHead("push", head, { dryRun }),
    results,
    summary: summarise(results),
    ...(apiRequests === undefined ? {} : { apiRequests }),
  };
}

/**
 * The head of a `command` report, in the report's key order: the schema,
 * the tool, the command, the version and file, then `between` (push's
 * `dryRun`), the times and the options. The one place a head is built.
 */
export function reportHead<C extends string, B extends object>(
  command: C,
  head: RunHead,
  between: B,
): ReportHead & { command: C } & B {
  return {
    $schema: schemaUrl(command, head.tool),
    tool: head.tool,
    command,
    version: head.version,
    file: head.file,
    ...between,
    startedAt: head.startedAt,
    durationMs: head.durationMs,
    options: head.options,
  };
}
