/**
 * The dispatch trigger (`cascade push --trigger dispatch`): instead of a
 * commit, one `POST /repos/{o}/{r}/actions/workflows/{workflow}/dispatches`
 * per template with `{"ref": <its branch>, "inputs": {…}}`; a `204` makes
 * it `dispatched`. Nothing is committed or pushed. A dispatch is not
 * idempotent: each one starts a build.
 *
 * Before any template starts, the servers are checked
 * (`dispatch_access.ts`). Per template: the probe (with `--probe`, see
 * `dispatch_probe.ts`), then, where the server lists runs, the ids of the
 * workflow's dispatched runs so far (what a follower needs to find the new
 * run, see {@linkcode DispatchMark}), then the dispatch.
 *
 * @module
 */

import {
  type Mode,
  type ModeDeps,
  type ModeRun,
  type Plan,
  type ReadSettings,
  runTemplates,
  type Step,
  type TemplateTask,
} from "../../engine/engine.ts";
import { InterruptedError, reportError } from "../../errors.ts";
import { dispatchRunsBefore } from "../../forge/dispatch_runs.ts";
import { currentTip } from "../../git/remote.ts";
import { hasTasksList } from "../../forge/server_version.ts";
import {
  notAttempted,
  type PushResult,
  pushResultOf,
  type ReportError,
} from "../../model.ts";
import { pushReportOf } from "../../report/summary.ts";
import { type DispatchAccess, openDispatchAccess } from "./access.ts";
import { dispatchFailure } from "./errors.ts";
import { type ProbeFinding, probeWorkflow, readHeld } from "./probe.ts";
import { prefixMatters, prefixSkip } from "../../version/prefix.ts";
import { dispatchAndWait, type DispatchMark } from "./wait.ts";

export type { DispatchMark } from "./wait.ts";

/** What a dispatch run needs besides the read settings. */
export interface DispatchSettings extends ReadSettings {
  /** The workflow's file name. */
  workflow: string;
  /** The inputs sent, `{version}` already replaced. */
  inputs: Record<string, string>;
  /** `--probe` paths; any turns the workflow check on. */
  probes: readonly string[];
  /** Dispatch nothing. */
  dryRun: boolean;
  /** `--allow-prefix-change`: dispatch a `v` the templates' values lack. */
  allowPrefixChange: boolean;
}

/** A dispatch run's outcome: the mode's, plus a mark per dispatched target. */
interface DispatchModeRun extends ModeRun {
  /** By target key: the templates dispatched (not in a dry run). */
  marks: ReadonlyMap<string, DispatchMark>;
}

/** What `cascade push --trigger dispatch` runs with. */
export interface DispatchModeSettings extends DispatchSettings {
  /** `--wait`: follow each dispatched run. */
  wait: boolean;
  /** `--canary`: dispatch the first n, go on only if their runs pass. */
  canary: number | undefined;
}

/** The dispatch mode: a mode whose run also gives the marks. */
interface DispatchMode extends Mode<DispatchModeSettings> {
  /** Runs the dispatch over the plans. */
  run(
    plans: readonly Plan[],
    settings: DispatchModeSettings,
    deps: ModeDeps,
  ): Promise<DispatchModeRun>;
}

/** `cascade push --trigger dispatch`: the dispatch step and its report. */
export const DISPATCH: DispatchMode = {
  async run(plans, options, deps) {
    const { wait, canary, ...settings } = options;
    const ci = wait ? deps.ci : undefined;
    const access = await openDispatchAccess(plans, {
      access: deps.access,
      signal: deps.signal,
      retry: ci?.followSettings.polling.retry,
    });
    const marks = new Map<string, DispatchMark>();
    const step = dispatchStep({ ...settings, wait }, access, marks);
    for (const api of access.values()) ci?.count(api.client);
    const run = ci
      ? await dispatchAndWait(
        plans,
        settings,
        step,
        marks,
        deps,
        ci,
        canary,
      )
      : await runTemplates(plans, settings, step, deps);
    return {
      refused: run.refused,
      marks,
      // The push report's shape and key order: a dispatch is a push trigger.
      report: (head) =>
        pushReportOf(head, options.dryRun, run.results, ci?.requests),
    };
  },
};

/**
 * The dispatch step: at most `concurrency` templates at once; with `wait`,
 * each mark also gets the tip re-read after the dispatch.
 */
function dispatchStep(
  settings: DispatchSettings & { wait: boolean },
  access: ReadonlyMap<string, DispatchAccess>,
  marks: Map<string, DispatchMark>,
): Step<PushResult> {
  return {
    slots: settings.concurrency,
    run: async (task) => {
      const started = performance.now();
      const result = await dispatchTemplate(task, settings, access, marks);
      result.durationMs = Math.round(performance.now() - started);
      return result;
    },
    unreached: (why) => {
      const base = pushResultOf(why.target, why.branch);
      if (why.interrupted) {
        return {
          ...base,
          status: "interrupted",
          reason: "not dispatched before the interrupt",
        };
      }
      return { ...base, ...(why.error ? { error: why.error } : {}) };
    },
    title: (result) =>
      `${result.repo} (${
        settings.dryRun && result.status === "dispatched"
          ? "would dispatch"
          : result.status
      })`,
  };
}

/** The inputs as a log line shows them: `a=1, b=2`. */
function shownInputs(inputs: Record<string, string>): string {
  const pairs = Object.entries(inputs).map(([k, v]) => `${k}=${v}`);
  return pairs.length === 0 ? "no inputs" : pairs.join(", ");
}

/** One template: probe, note the runs so far, dispatch. */
async function dispatchTemplate(
  task: TemplateTask,
  settings: DispatchSettings & { wait: boolean },
  access: ReadonlyMap<string, DispatchAccess>,
  marks: Map<string, DispatchMark>,
): Promise<PushResult> {
  const result = pushResultOf(task.target, task.branch);
  const { workflow, inputs } = settings;
  try {
    const refusal = await readAhead(task, settings, access, result);
    if (refusal !== null) return refusal;
    const refused = await task.refused;
    if (refused > 0) return notAttempted(result, refused, "dispatched");
    if (settings.dryRun) {
      task.log.push(
        `dry run: would dispatch ${workflow} on ${task.branch} with ${
          shownInputs(inputs)
        }`,
      );
      return {
        ...result,
        status: "dispatched",
        reason: "dry run: not dispatched",
      };
    }
    const api = access.get(task.target.key) as DispatchAccess;
    return await send(task, settings, api, marks, result);
  } catch (error) {
    if (error instanceof InterruptedError || task.signal.aborted) {
      return {
        ...result,
        status: "interrupted",
        reason:
          "interrupted before the dispatch was confirmed: check the template's runs before re-running (a dispatch is not idempotent)",
      };
    }
    const forge = access.get(task.target.key)?.server.name;
    const failure: ReportError = dispatchFailure(error, task.target.repo, {
      workflow,
      branch: task.branch,
      ...(forge ? { forge } : {}),
    }) ?? reportError(error, task.target.repo);
    return { ...result, status: "failed", error: failure };
  }
}

/**
 * What a template is refused before its dispatch, or null: the probe
 * (with `--probe`), then the push's prefix rule on the version file's
 * value (read for it alone where no probe read it).
 */
async function readAhead(
  task: TemplateTask,
  settings: DispatchSettings,
  access: ReadonlyMap<string, DispatchAccess>,
  result: PushResult,
): Promise<PushResult | null> {
  const { version, allowPrefixChange } = settings;
  let found: ProbeFinding | null = null;
  if (settings.probes.length > 0) {
    const forge = access.get(task.target.key)?.server.name;
    found = await probeWorkflow(task, {
      ...settings,
      inputs: Object.keys(settings.inputs),
      ...(forge ? { forge } : {}),
    });
    result.previous = found.previous;
    if (found.skip !== null) {
      return {
        ...result,
        status: "skipped",
        skip: "probe",
        reason: found.skip,
      };
    }
  } else if (prefixMatters(version, allowPrefixChange)) {
    found = await readHeld(task, settings);
    result.previous = found.previous;
  }
  const reason = prefixSkip(
    version,
    found?.held ?? null,
    allowPrefixChange,
    "dispatches",
  );
  if (reason === null) return null;
  // Read for the rule alone, the value shows where it refused.
  result.previous = found?.previous ?? null;
  return { ...result, status: "skipped", skip: "prefix", reason };
}

/**
 * Notes the runs so far, dispatches, and marks the template for a
 * follower: with `settings.wait`, the branch tip is read again right after
 * the dispatch (one request), since the branch may have moved since the
 * preflight and the run is then of the newer tip.
 */
async function send(
  task: TemplateTask,
  settings: DispatchSettings & { wait: boolean },
  api: DispatchAccess,
  marks: Map<string, DispatchMark>,
  result: PushResult,
): Promise<PushResult> {
  const { workflow, inputs } = settings;
  const before = await runsBefore(task, api, workflow);
  const sent = await api.client.dispatchWorkflow(
    api.owner,
    api.repo,
    workflow,
    task.branch,
    inputs,
  );
  const { client, owner, repo } = api;
  const tipAfter = settings.wait && before !== null
    ? await currentTip(task.ctx, task.branch)
    : null;
  marks.set(task.target.key, {
    client,
    owner,
    repo,
    workflow,
    branch: task.branch,
    before: before?.ids ?? null,
    runsListed: hasTasksList(api.server),
    tip: task.tip,
    tipAfter,
    notBefore: before?.notBefore ?? null,
  });
  // The engine logs the reason: that is the block's "dispatched …" line.
  const what = `${workflow} on ${task.branch} with ${shownInputs(inputs)}`;
  return {
    ...result,
    status: "dispatched",
    reason: `dispatched ${what}`,
    ...(sent.movedTo ? { movedTo: sent.movedTo } : {}),
  };
}

/**
 * The workflow's dispatched run ids before the dispatch and the server
 * time a new run must follow, where listed.
 */
async function runsBefore(
  task: TemplateTask,
  api: DispatchAccess,
  workflow: string,
): Promise<{ ids: ReadonlySet<number>; notBefore: number } | null> {
  if (!hasTasksList(api.server)) return null;
  try {
    return await dispatchRunsBefore(api.client, api.owner, api.repo, {
      workflow,
      branch: task.branch,
    });
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    task.log.push(
      "the runs list could not be read; a follower cannot find the run",
    );
    return null;
  }
}
