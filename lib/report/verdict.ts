/**
 * The verdict on a finished run as a whole, beyond each template's result:
 * a run that did nothing fails (every template skipped because a name
 * given matched nowhere), a push refused for its `v` prefix exits 2 with
 * the fix, and `status` gives the same prefix hint. One headline each.
 *
 * @module
 */

import { ADVICE, EXIT } from "../errors.ts";
import type { PushResult, Report, StatusResult } from "../model.ts";
import { prefixFix } from "../version/prefix.ts";
import { missOf } from "../version/unmatched.ts";

/** What the run as a whole comes to. */
export interface Verdict {
  /** The exit code it asks for at least, or null (the results decide). */
  code: number | null;
  /** One line for stderr (and an Actions error), without `cascade: `. */
  headline: string;
}

/**
 * The verdicts on `report`, most severe first: the `v` prefix (push, exit
 * 2; status, a hint), nothing matched (exit 1), and one headline for
 * credentials refused by several templates (their lines say it each).
 */
export function runVerdicts(report: Report): Verdict[] {
  return [
    prefixVerdict(report),
    nothingVerdict(report),
    refusedVerdict(report),
  ].filter(
    (v): v is Verdict => v !== null,
  );
}

/**
 * The exit code once the verdicts are in: credentials refused (3) and an
 * interrupt (130) stand; else the highest of the results' code and the
 * verdicts' (2 over 1 over 0).
 */
export function exitWithVerdicts(code: number, verdicts: Verdict[]): number {
  if (code !== EXIT.ok && code !== EXIT.failed) return code;
  return Math.max(code, ...verdicts.map((v) => v.code ?? EXIT.ok));
}

function prefixVerdict(report: Report): Verdict | null {
  const total = report.results.length;
  if (report.command === "push") {
    const refused = report.results.filter((r) => r.skip === "prefix");
    const held = refused[0]?.previous ?? null;
    const fix = prefixFix(report.version, held);
    if (fix === null) return null;
    const dispatch = report.options?.["trigger"] === "dispatch";
    return {
      code: EXIT.usage,
      headline: `${count(refused.length, total)} ${held}, ${
        held?.startsWith("v") ? "with" : "without"
      } a leading "v": did you mean ${fix}? Nothing was ${
        dispatch ? "dispatched" : "pushed"
      } to ${
        refused.length === 1 ? "it" : "them"
      }; pass --allow-prefix-change to ${
        dispatch ? "dispatch" : "write"
      } ${report.version} as given`,
    };
  }
  const drifted = report.results.filter((r) =>
    r.drift && prefixFix(report.version, r.current) !== null
  );
  const held = drifted[0]?.current ?? null;
  const fix = prefixFix(report.version, held);
  if (fix === null) return null;
  return {
    code: null,
    headline: `${count(drifted.length, total)} ${held}, ${
      held?.startsWith("v") ? "with" : "without"
    } a leading "v": did you mean ${fix}?`,
  };
}

function nothingVerdict(report: Report): Verdict | null {
  const results: (PushResult | StatusResult)[] = report.results;
  const n = results.length;
  if (n === 0) return null;
  const skipped = report.command === "push"
    ? report.results.every((r) => r.status === "skipped" && r.skip === "probe")
    : report.results.every((r) => r.skipped === true);
  if (!skipped) return null;
  const done = report.command === "status"
    ? "checked"
    : report.options?.["trigger"] === "dispatch"
    ? "dispatched"
    : report.command === "push" && report.dryRun
    ? "built"
    : "pushed";
  const misses = results.map((r) => missOf(r.reason ?? ""));
  const first = misses[0];
  if (
    first != null &&
    misses.every((m) => m?.flag === first.flag && m.name === first.name)
  ) {
    const near = misses.find((m) => m?.suggestion)?.suggestion;
    return {
      code: EXIT.failed,
      headline: `nothing matched ${first.flag} ${first.name} in any of ${
        plural(n)
      }: nothing was ${done}${near ? `; did you mean ${near}?` : ""}`,
    };
  }
  return {
    code: EXIT.failed,
    headline: `every one of ${plural(n)} was skipped (${
      results[0]?.reason ?? "skipped"
    }); nothing was ${done}: check --probe, --file and --workflow`,
  };
}

function plural(n: number): string {
  return `${n} template${n === 1 ? "" : "s"}`;
}

/** "the template holds", "all 3 templates hold", "1 of 3 templates holds". */
function count(k: number, n: number): string {
  const who = k === n
    ? n === 1 ? "the template" : `all ${n} templates`
    : `${k} of ${plural(n)}`;
  return `${who} ${k === 1 ? "holds" : "hold"}`;
}

function refusedVerdict(report: Report): Verdict | null {
  const results: (PushResult | StatusResult)[] = report.results;
  const refused = results.filter((r) => r.error?.kind === "auth").length;
  if (refused < 2) return null;
  const advice = ADVICE.auth.replace("this repo", "these repos");
  return {
    code: null,
    headline: `the server refused the credentials for ${
      refused === results.length
        ? `all ${refused} templates`
        : `${refused} of ${plural(results.length)}`
    }: ${advice}`,
  };
}
