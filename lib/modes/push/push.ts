/**
 * The push step: one template's push, in three phases: read (fetch the tip
 * the preflight saw, read the version file, build the one-file commit),
 * land (push it, and when the branch moved meanwhile, re-read, re-apply and
 * push again), then verify that the branch holds the commit. Reading and
 * landing each run under their own bound, so a run reads the next
 * templates while it pushes the current ones.
 *
 * @module
 */

import {
  type Mode,
  runTemplates,
  type Step,
  type Unreached,
} from "../../engine/engine.ts";
import { InterruptedError, reportError } from "../../errors.ts";
import { notAttempted, type PushResult, pushResultOf } from "../../model.ts";
import { pushReportOf } from "../../report/summary.ts";
import { createLimiter } from "../../engine/pool.ts";
import {
  land,
  type Prepared,
  type PushSettings,
  type TemplateRun,
  verify,
} from "./land.ts";
import { compareVersions } from "../../version/order.ts";
import { prefixSkip } from "../../version/prefix.ts";
import {
  notWired,
  readAtTip,
  treeDepth,
  writeVersionCommit,
} from "../../version/state.ts";
import { pushAndWait } from "./wait.ts";
import { proposeRun } from "../propose/propose.ts";
import type { ProposeChoice } from "../propose/types.ts";

export type { PushSettings } from "./land.ts";

/**
 * What `cascade push` (the commit trigger) runs with; `via` other than
 * `push` proposes a pull request instead (`modes/propose/`).
 */
export interface PushModeSettings
  extends Omit<PushSettings, "backoff">, ProposeChoice {
  /** `--wait`: follow each pushed commit's CI. */
  wait: boolean;
  /** `--canary`: push the first n, go on only if their CI is green. */
  canary: number | undefined;
}

/** `cascade push`: the push step over every template, and its report. */
export const PUSH: Mode<PushModeSettings> = {
  async run(plans, options, deps) {
    const { wait, canary, via, autoMerge, mergeStyle, ...rest } = options;
    if (via !== "push") {
      return await proposeRun(
        plans,
        { ...rest, via, autoMerge, mergeStyle },
        { wait, canary },
        deps,
        { prepare, unreached: unreachedPush },
      );
    }
    const settings: PushSettings = { ...rest, backoff: deps.backoff };
    const run = deps.ci && wait
      ? await pushAndWait(plans, settings, pushStep, deps, deps.ci, canary)
      : await runTemplates(plans, settings, pushStep(settings), deps);
    const ci = deps.ci;
    return {
      refused: run.refused,
      warnings: prefixWarning(options.version, run.results),
      report: (head) =>
        pushReportOf(head, options.dryRun, run.results, ci?.requests),
    };
  },
};

/**
 * A warning when the version starts with `v` and every template that held
 * a version held one without it (`v0.1.8` against `0.1.7`): probably not
 * what the templates' builds expect. The version is written as given.
 */
function prefixWarning(
  version: string,
  results: readonly PushResult[],
): string[] {
  if (!/^v\d/.test(version)) return [];
  // Only what was written: a template the prefix rule skipped has its own
  // headline ("did you mean …?"), and nothing was written to it.
  const held = results.flatMap((r) =>
    r.status !== "skipped" && r.previous !== null && /^v?\d/.test(r.previous)
      ? [r.previous]
      : []
  );
  if (held.length === 0 || held.some((p) => p.startsWith("v"))) return [];
  return [
    `the version ${version} starts with "v" but every template held one without it (${
      held[0]
    }, …); it was written as given: if that is not what the templates expect, run again with ${
      version.slice(1)
    }`,
  ];
}

/**
 * The push step: at most `concurrency` templates read (fetch, read, build
 * the commit) at once and at most `concurrency` push at once, so the next
 * templates are read while the current ones push, at most one push-load
 * ahead. With a concurrency of 1 nothing is read ahead: templates run one
 * after another. Pushes wait for every preflight: refused credentials
 * anywhere stop all.
 */
function pushStep(settings: PushSettings): Step<PushResult> {
  const reading = createLimiter(settings.concurrency);
  const landing = createLimiter(settings.concurrency);
  const ahead = settings.concurrency > 1 ? settings.concurrency : 0;
  return {
    slots: settings.concurrency + ahead,
    run: async (task) => {
      const started = performance.now();
      const result = await pushTemplate({
        ...task,
        settings,
        reading,
        landing,
      });
      result.durationMs = Math.round(performance.now() - started);
      return result;
    },
    unreached: unreachedPush,
    title: (result) =>
      `${result.repo} (${
        settings.dryRun && result.status === "updated"
          ? "would update"
          : result.status
      })`,
  };
}

function unreachedPush(why: Unreached): PushResult {
  const base = pushResultOf(why.target, why.branch);
  if (why.notStarted) {
    return {
      ...base,
      status: "interrupted",
      reason: "not started before the interrupt; re-run to finish",
    };
  }
  if (why.interrupted) return interruptedResult(base);
  return {
    ...base,
    status: "failed",
    ...(why.error ? { error: why.error } : {}),
  };
}

/** Pushes one template; every outcome, failures included, is a result. */
async function pushTemplate(run: TemplateRun): Promise<PushResult> {
  const result = pushResultOf(run.target, run.branch);
  const { settings, log } = run;
  try {
    // Trees down to the deepest path read, so that nothing is fetched lazily.
    const depth = treeDepth(settings.file, settings.probes);
    const read = await run.reading(() => prepare(run, result));
    if ("status" in read) return read;
    const refused = await run.refused;
    if (refused > 0) return notAttempted(result, refused, "pushed");
    if (settings.dryRun) {
      log.push(`built ${read.commit.slice(0, 10)}`);
      return { ...result, status: "updated", reason: "dry run: not pushed" };
    }
    const landed = await run.landing(() => land(run, result, read, depth));
    if (landed !== null) return landed;
    return await verify(run, result);
  } catch (error) {
    if (error instanceof InterruptedError || run.signal.aborted) {
      return interruptedResult(result);
    }
    return {
      ...result,
      status: "failed",
      error: reportError(error, run.target.repo),
    };
  }
}

/** The result of a template an interrupt stopped. */
function interruptedResult(base: PushResult): PushResult {
  return {
    ...base,
    status: "interrupted",
    reason: "interrupted before it finished; re-run to finish (it is safe)",
  };
}

/**
 * Fetches the tip, reads the file (and the probes), decides, and builds the
 * commit. Returns a final result when there is nothing to push.
 */
async function prepare(
  run: TemplateRun,
  result: PushResult,
): Promise<Prepared | PushResult> {
  const { ctx, settings, log } = run;
  const first = await readAtTip(
    ctx,
    run.tip,
    run.branch,
    settings.file,
    settings.version,
    settings.probes,
  );
  const tip = first.tip;
  log.push(`${run.branch} at ${tip.slice(0, 10)}`);
  result.previous = first.content?.display ?? null;
  log.push(`${settings.file}: ${result.previous ?? "(none)"}`);
  const unwired = notWired(first, settings.probes, settings.file);
  if (unwired !== null) {
    return { ...result, status: "skipped", skip: "probe", reason: unwired };
  }
  const prev = first.content?.value;
  const refusal = prefixSkip(
    settings.version,
    prev ?? null,
    settings.allowPrefixChange ?? false,
  );
  if (refusal !== null) {
    return { ...result, status: "skipped", skip: "prefix", reason: refusal };
  }
  const order = prev ? compareVersions(prev, settings.version) : null;
  if (order !== null && order.order > 0) {
    result.downgrade = true;
    if (settings.noDowngrade) {
      return {
        ...result,
        status: "skipped",
        skip: "downgrade",
        reason:
          `holds ${prev}, newer than ${settings.version}; --no-downgrade refuses to lower it`,
      };
    }
    log.push(`downgrade: ${prev} -> ${settings.version}`);
  }
  if (first.current) {
    log.push("already at the version");
    return { ...result, status: "unchanged" };
  }
  const commit = await writeVersionCommit(
    ctx,
    first,
    settings.file,
    settings.version,
    settings.message,
    settings.author,
  );
  return { tip, first, commit };
}
