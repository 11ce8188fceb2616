/**
 * The targets step: read only. For one template, its default branch (from
 * the engine's preflight) and, with `--probe`, whether it is wired to read
 * the version file. Also the `targets` report and its text lines.
 *
 * @module
 */

import type { ReadSettings, Step, Unreached } from "../engine/engine.ts";
import { reportError } from "../errors.ts";
import type { Excluded } from "../forge/discover.ts";
import type { TemplateResult } from "../model.ts";
import { forLog } from "../console/neutralise.ts";
import type { Target } from "./target.ts";
import { notWired, readAtTip } from "../version/state.ts";

/** One target as `cascade targets` found it. */
export interface TargetResult extends TemplateResult {
  /** Wired by a probe (true/false), or null without probes or unread. */
  wired: boolean | null;
}

/** One entry of the JSON report's `targets`. */
export interface TargetEntry {
  /** `owner/name`. */
  repo: string;
  /** The URL git uses, without credentials. */
  url: string;
  /** The default branch (or `--branch`), null when it could not be read. */
  branch: string | null;
  /** Wired by a probe, or null without one (or when unread). */
  wired: boolean | null;
}

/** The whole `cascade targets --json` report. */
export interface TargetsReport {
  /** The JSON Schema the report follows (`schemaUrl("targets", …)`). */
  $schema?: string;
  /** Every target, in order: listed first, then discovered. */
  targets: TargetEntry[];
  /** Repos `--org` listed that discovery left out, with the reason. */
  excluded: Excluded[];
  /**
   * The standard streams closed before the run ended (a reader that went
   * away, as in `… | head -1`): their output was lost, this report was not.
   */
  lostOutput?: ("stdout" | "stderr")[];
}

/**
 * The targets step, at most `concurrency` templates at once. Without
 * probes nothing is fetched: the preflight's branch is all it needs.
 */
export function targetsStep(
  settings: ReadSettings,
  probes: readonly string[],
): Step<TargetResult> {
  return {
    slots: settings.concurrency,
    run: async ({ target, ctx, branch, tip }) => {
      const base = { repo: target.repo, url: target.url, branch };
      if (probes.length === 0) return { ...base, wired: null };
      try {
        const state = await readAtTip(
          ctx,
          tip,
          branch,
          settings.file,
          settings.version,
          probes,
        );
        const unwired = notWired(state, probes, settings.file);
        return unwired === null
          ? { ...base, wired: true }
          : { ...base, wired: false, reason: unwired };
      } catch (error) {
        return { ...base, wired: null, error: reportError(error, target.repo) };
      }
    },
    unreached: (why: Unreached) => ({
      repo: why.target.repo,
      url: why.target.url,
      branch: why.branch,
      wired: null,
      error: why.error ?? {
        kind: "unknown",
        message: `${why.target.repo}: not read before the interrupt`,
      },
    }),
    title: (result) => result.repo,
  };
}

/**
 * A target's `owner/name`: the path below `baseUrl` for a target on that
 * server, else the last two segments of an http(s) URL, else as given.
 */
export function ownerNameOf(
  target: Target,
  baseUrl: string | undefined,
): string {
  if (target.scheme !== "http") return target.repo;
  const base = baseUrl?.replace(/\/+$/, "");
  const path = base !== undefined && target.url.startsWith(`${base}/`)
    ? target.url.slice(base.length + 1)
    : new URL(target.url).pathname.split("/").filter(Boolean).slice(-2)
      .join("/");
  return path.replace(/\.git$/, "");
}

/** The JSON report of a run. */
export function targetsReport(
  results: readonly TargetResult[],
  targets: readonly Target[],
  excluded: readonly Excluded[],
  baseUrl: string | undefined,
): TargetsReport {
  return {
    targets: results.map((r, i) => ({
      repo: ownerNameOf(targets[i] as Target, baseUrl),
      url: r.url,
      branch: r.branch,
      wired: r.error ? null : r.wired,
    })),
    excluded: [...excluded],
  };
}

/**
 * One text line per target, then the summary sentence; what a server or
 * a list controls is neutralised for a terminal and an Actions log. `renamedFrom`
 * gives, per target, the old name a list used for it.
 */
export function renderTargets(
  report: TargetsReport,
  results: readonly TargetResult[],
  renamedFrom: readonly (string | undefined)[] = [],
): string {
  const width = Math.min(
    60,
    Math.max(4, ...report.targets.map((t) => t.repo.length)),
  );
  const branchWidth = Math.min(
    30,
    Math.max(6, ...report.targets.map((t) => (t.branch ?? "-").length)),
  );
  const lines = report.targets.map((t, i) => {
    const result = results[i];
    const wired = t.wired === null ? "unknown" : t.wired ? "yes" : "no";
    const old = renamedFrom[i];
    const note =
      (old === undefined ? "" : `  renamed from ${old}: update the list`) +
      (result?.error
        ? `  ${result.error.kind}: ${result.error.message}`
        : result?.reason
        ? `  ${result.reason}`
        : "");
    return `${forLog(t.repo).padEnd(width)}  ${
      forLog(t.branch ?? "-").padEnd(branchWidth)
    }  wired: ${wired}${forLog(note)}`;
  });
  const count = (wired: boolean | null) =>
    report.targets.filter((t, i) => !results[i]?.error && t.wired === wired)
      .length;
  const unread = results.filter((r) => r.error).length;
  const parts = [
    `${count(true)} wired`,
    `${count(false)} not wired`,
    ...(count(null) > 0 ? [`${count(null)} unknown`] : []),
    ...(unread > 0 ? [`${unread} unreadable`] : []),
  ];
  lines.push(
    `cascade targets: ${report.targets.length} targets (${
      parts.join(", ")
    }), ${report.excluded.length} left out`,
  );
  return `${lines.join("\n")}\n`;
}
