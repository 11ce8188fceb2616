/**
 * The one model every layer shares: a template's result, the states a
 * result can be in and what each means (its tone, whether it fails the
 * run, how it is counted, annotated and named in step outputs), the error
 * kinds, and the reports. Renderers, step outputs and the exit code all
 * read the state tables here, so a new status is one row.
 *
 * @example A push result's state and what it means
 * ```ts
 * import assert from "node:assert/strict";
 * import { PUSH_STATES } from "./model.ts";
 *
 * assert.equal(PUSH_STATES.failed.fails, true);
 * assert.equal(PUSH_STATES.skipped.annotation, "warning");
 * ```
 *
 * @module
 */

import type { CiOutcome, CiState } from "./engine/ci_outcome.ts";
import type { WithPullRef } from "./forge/pull_ref.ts";

export type {
  CiContextResult,
  CiOutcome,
  CiState,
} from "./engine/ci_outcome.ts";

export type { ErrorKind, ReportError } from "./engine/error_kind.ts";
import type { ReportError } from "./engine/error_kind.ts";

/** What every template's result holds, whatever the command. */
export interface TemplateResult {
  /** The target as given (credentials removed). */
  repo: string;
  /** The URL git used, credentials removed. */
  url: string;
  /** The branch used, null if unknown. */
  branch: string | null;
  /**
   * Where the server said the repository moved (a redirect within its
   * origin, followed), without credentials: update the target list.
   */
  movedTo?: string;
  /** Why it ended as it did (skipped, superseded, not pushed). */
  reason?: string;
  /** Set when the template failed. */
  error?: ReportError;
}

/** What a state means, wherever a result is shown or counted. */
export interface StateInfo {
  /** Colour in a terminal. */
  tone: "good" | "warn" | "bad";
  /** A result in this state makes the exit code 1. */
  fails: boolean;
  /** Counted in the `failed-count` step output. */
  failedCount: boolean;
  /** The Actions annotation it gets, if any. */
  annotation: "error" | "warning" | null;
  /** Its key in the JSON report's `summary`. */
  summaryKey: string;
  /** Its words in the summary sentence ("at the version"). */
  phrase: string;
  /** Shown in the summary sentence even when none are in it. */
  always: boolean;
  /** The step output that lists the templates in it. */
  output: string;
  /** Its word in a dry run, when the run stops short of it. */
  dryPhrase?: string;
  /**
   * Whether `--retry-failed` runs a template in this state again: always,
   * never, or only when the run stopped before it (`aborted`: a skip that
   * says so, or an older report's "not attempted").
   */
  retry: "always" | "never" | "aborted";
}

/** How a template ended in `cascade push`. */
export type PushStatus =
  | "updated"
  | "unchanged"
  | "skipped"
  | "failed"
  | "superseded"
  | "interrupted"
  | "dispatched"
  | "proposed"
  | "merged";

/** The meaning of each push status, in report order. */
export const PUSH_STATES: Readonly<Record<PushStatus, StateInfo>> = {
  updated: state("good", "updated", {
    always: true,
    dryPhrase: "would update",
  }),
  unchanged: state("good", "unchanged", { always: true }),
  skipped: state("warn", "skipped", {
    always: true,
    annotation: "warning",
    retry: "aborted",
  }),
  failed: state("bad", "failed", {
    always: true,
    fails: true,
    annotation: "error",
    retry: "always",
  }),
  superseded: state("warn", "superseded", { annotation: "warning" }),
  interrupted: state("bad", "interrupted", {
    fails: true,
    annotation: "error",
    retry: "always",
  }),
  dispatched: state("good", "dispatched", { dryPhrase: "would dispatch" }),
  // Its pull request may have been closed unmerged since: proposed again
  // (an open one stays unchanged).
  proposed: state("good", "proposed", {
    dryPhrase: "would propose",
    retry: "always",
  }),
  merged: state("good", "merged", { retry: "never" }),
};

/** How a template stands in `cascade status`. */
export type StatusState = "ok" | "drift" | "skipped" | "error";

/** The meaning of each status state, in report order. */
export const STATUS_STATES: Readonly<Record<StatusState, StateInfo>> = {
  ok: {
    ...state("good", "current", { always: true }),
    phrase: "at the version",
  },
  drift: {
    ...state("warn", "drifted", {
      always: true,
      annotation: "warning",
      fails: true,
      retry: "always",
    }),
    failedCount: false,
  },
  skipped: state("warn", "skipped", { annotation: "warning" }),
  error: {
    ...state("bad", "errors", {
      always: true,
      annotation: "error",
      fails: true,
      retry: "always",
    }),
    phrase: "unreadable",
    output: "failed",
  },
};

/** The state of a status result (an earlier report's, unchecked, too). */
export function statusStateOf(
  result: Pick<StatusResult, "error" | "skipped" | "drift">,
): StatusState {
  if (result.error !== undefined) return "error";
  if (result.skipped === true) return "skipped";
  return result.drift === true ? "drift" : "ok";
}

function state(
  tone: StateInfo["tone"],
  name: string,
  more: Partial<StateInfo>,
): StateInfo {
  const fails = more.fails ?? false;
  return {
    tone,
    fails,
    failedCount: fails,
    annotation: null,
    summaryKey: name,
    phrase: name,
    always: false,
    output: name,
    retry: "never",
    ...more,
  };
}

/** The meaning of each CI outcome; any but `success` fails the run. */
export const CI_STATES: Readonly<Record<CiState, StateInfo>> = {
  success: { ...state("good", "ci-success", {}), phrase: "green" },
  failure: {
    ...state("bad", "ci-failure", { fails: true, annotation: "error" }),
    phrase: "red",
  },
  pending: {
    ...state("bad", "ci-pending", { fails: true, annotation: "error" }),
    phrase: "still running",
  },
  none: {
    ...state("bad", "ci-none", { fails: true, annotation: "error" }),
    phrase: "without CI",
  },
  ambiguous: {
    ...state("bad", "ci-ambiguous", { fails: true, annotation: "error" }),
    phrase: "ambiguous",
  },
  superseded: {
    ...state("bad", "ci-superseded", { fails: true, annotation: "error" }),
    phrase: "superseded by a newer push",
  },
  error: {
    ...state("bad", "ci-error", { fails: true, annotation: "error" }),
    phrase: "not readable",
  },
};

/** True when a result's CI (if it was followed or read) fails the run. */
export function ciFails(result: { ci?: CiOutcome }): boolean {
  return result.ci !== undefined && CI_STATES[result.ci.state].fails;
}

/** One template's result in `cascade push`. */
export interface PushResult extends TemplateResult, WithPullRef {
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
  /**
   * For `skipped`, why: `probe` (not wired), `downgrade`
   * (`--no-downgrade`), `aborted` (not attempted: the run stopped
   * before pushing; a retry takes it), or `prefix` (the version's leading
   * `v` differs from the template's value; `--allow-prefix-change`).
   */
  skip?: "probe" | "downgrade" | "aborted" | "prefix";
  /** For `updated`: the branch tip was read back and holds the commit. */
  verified?: boolean;
  /** The template held a higher version than the one written. */
  downgrade?: boolean;
  /** For `superseded`: the newer value another publisher wrote. */
  current?: string;
  /** With `--wait`: the CI of the pushed commit (or the branch's tip). */
  ci?: CiOutcome;
}

/**
 * A push result to fill in: the target, the branch (null when unknown),
 * nothing done yet.
 */
export function pushResultOf(
  target: { repo: string; url: string },
  branch: string | null,
): PushResult {
  return {
    repo: target.repo,
    url: target.url,
    branch,
    status: "failed",
    previous: null,
    commit: null,
    attempts: 0,
    durationMs: 0,
  };
}

/**
 * A push result not attempted because the preflight found the credentials
 * refused for `refused` template(s): nothing was `done` anywhere.
 */
export function notAttempted(
  result: PushResult,
  refused: number,
  done: "pushed" | "dispatched",
): PushResult {
  return {
    ...result,
    status: "skipped",
    skip: "aborted",
    reason:
      `not attempted: credentials were refused for ${refused} template(s), so nothing was ${done}`,
  };
}

/** One template's result in `cascade status`. */
export interface StatusResult extends TemplateResult, WithPullRef {
  /** The file's value (safe display form), null when absent or unread. */
  current: string | null;
  /** False when the file holds the version (or the template is skipped). */
  drift: boolean;
  /** True when `--probe` found the template not wired (see `reason`). */
  skipped?: boolean;
  /** With `--ci`: the CI of the commit at the branch tip. */
  ci?: CiOutcome;
}

/** What a run knows of its report before the results: the head fields. */
export interface RunHead {
  /** The cascade version. */
  tool: string;
  /** The version written or expected. */
  version: string;
  /** The version file's path. */
  file: string;
  /** ISO 8601 start time. */
  startedAt: string;
  /** Wall time of the run. */
  durationMs: number;
  /** The options that shaped the run (see `rememberedOptions`). */
  options: Record<string, string | string[] | boolean>;
}

/** What every report holds, whatever the command. */
export interface ReportHead {
  /** The JSON Schema the report follows (see {@linkcode schemaUrl}). */
  $schema?: string;
  /** The cascade version that wrote it. */
  tool: string;
  /** The version written or expected. */
  version: string;
  /** The version file's path in each repo. */
  file: string;
  /** ISO 8601 start time. */
  startedAt: string;
  /** Wall time of the run. */
  durationMs: number;
  /**
   * The options that shaped the run, by option name (`file`, `probe`,
   * `message`, `baseUrl`, …), as given: what `--retry-failed` reuses.
   * Never a token.
   */
  options?: Record<string, string | string[] | boolean>;
  /**
   * The standard streams that were closed before the run ended (a reader
   * that went away, as in `… | head -1`): their output was lost, this
   * report was not.
   */
  lostOutput?: ("stdout" | "stderr")[];
}

/** The whole `cascade push` report (the `--json` schema). */
export interface PushReport extends ReportHead {
  /** Always `push`. */
  command: "push";
  /** Whether this was a `--dry-run`. */
  dryRun: boolean;
  /** One per template, in input order. */
  results: PushResult[];
  /** Counts per status. */
  summary: Record<PushStatus, number>;
  /** With `--wait`: requests made to the forge API. */
  apiRequests?: number;
}

/** The whole `cascade status` report. */
export interface StatusReport extends ReportHead {
  /** Always `status`. */
  command: "status";
  /** One per template, in input order. */
  results: StatusResult[];
  /** Counts: at the version, drifted, unreadable (and skipped, if any). */
  summary: {
    current: number;
    drifted: number;
    errors: number;
    skipped?: number;
  };
  /** With `--ci`: requests made to the forge API. */
  apiRequests?: number;
}

/**
 * The URL of the JSON Schema a report of `command` follows, for cascade
 * `version`: the schema files are published with the package (`schema/`).
 */
export function schemaUrl(command: string, version: string): string {
  return `https://jsr.io/@cascade/cascade/${version}/schema/${command}-report.schema.json`;
}

/** Either report. */
export type Report = PushReport | StatusReport;
