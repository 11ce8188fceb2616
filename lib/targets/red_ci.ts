/**
 * A way back from a red CI: `--retry-failed` on a report whose pushes
 * landed but whose CI is not green. A push again would change nothing
 * (`unchanged`) and start no CI, so such a template is re-triggered by
 * dispatch where the workflow is known (`--workflow`, from the command
 * line, the config or the report), else each is named with how to re-run
 * its CI, and the run exits 1. Never "nothing to retry" while the report
 * holds red CI.
 *
 * @module
 */

/** A template whose push landed and whose CI did not pass. */
export interface RedCiTarget {
  /** The name the earlier run showed. */
  repo: string;
  /** Its credential-free URL. */
  url: string;
  /** Its CI state in the report (`failure`, `error`, `pending`, `none`). */
  state: string;
  /** The failing run's link, when the report has one. */
  runUrl: string | null;
}

/** The CI states that fail a run: the ones a retry acts on. */
const RED = new Set(["failure", "error", "pending", "none"]);

/**
 * The red-CI template a report result is, or null: it ended `updated`,
 * `unchanged` or `dispatched` and its `ci` is not `success`.
 */
export function redCiOf(r: Record<string, unknown>): RedCiTarget | null {
  const ended = r.status === "updated" || r.status === "unchanged" ||
    r.status === "dispatched" || (r.status === undefined && r.drift === false);
  const ci = r.ci as { state?: unknown; url?: unknown } | undefined;
  if (!ended || typeof r.url !== "string" || ci === undefined) return null;
  if (typeof ci.state !== "string" || !RED.has(ci.state)) return null;
  return {
    url: r.url,
    repo: typeof r.repo === "string" ? r.repo : r.url,
    state: ci.state,
    runUrl: typeof ci.url === "string" ? ci.url : null,
  };
}

/**
 * The layer that turns a retry of red CI alone into a dispatch: when the
 * report's only work is red CI, `--trigger` was not given on the command
 * line, and a workflow is known (command line, config or report). Null
 * otherwise.
 */
export function redCiDispatchLayer(
  line: { given: Readonly<Record<string, unknown>> },
  layers: readonly { values: { workflow?: unknown } }[],
  retry: { targets: readonly unknown[]; ciRed?: readonly RedCiTarget[] } | null,
): { source: string; values: { trigger: "dispatch" } } | null {
  if (retry === null || (retry.ciRed ?? []).length === 0) return null;
  const given = (name: string) => line.given[name] !== undefined;
  if (retry.targets.length > 0 || given("trigger")) return null;
  const known = given("workflow") ||
    layers.some((l) => l.values.workflow !== undefined);
  if (!known) return null;
  return {
    source: String(line.given["retryFailed"]),
    values: { trigger: "dispatch" },
  };
}

/** One line per red-CI template: what it is and how to re-run its CI. */
export function redCiLines(
  red: readonly RedCiTarget[],
  options: { version: string; retryFailed?: string | undefined },
): string[] {
  return red.map((t) =>
    `${t.repo}: its CI is ${t.state}${
      t.runUrl ? ` (${t.runUrl})` : ""
    } and a push would not re-run it: re-run it on the server, or dispatch it with cascade push ${options.version} --retry-failed ${options.retryFailed} --trigger dispatch --workflow <file>`
  );
}
