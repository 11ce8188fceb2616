/**
 * The status step: read only. For one template, the version file on its
 * branch and whether it holds the version.
 *
 * @module
 */

import {
  type Mode,
  type ReadSettings,
  readSettings,
  runTemplates,
  type Step,
  type Unreached,
} from "./engine.ts";
import { reportError } from "./errors.ts";
import { type StatusResult, summariseStatus } from "./model.ts";
import { openTip } from "./remote.ts";
import { readVersionState } from "./version_state.ts";

/** `cascade status`: the status step over every template, and its report. */
export const STATUS: Mode = {
  async run(plans, options, deps) {
    const settings = readSettings(options);
    const run = await runTemplates(plans, settings, statusStep(settings), deps);
    return {
      refused: run.refused,
      report: (head) => ({
        tool: head.tool,
        command: "status",
        version: head.version,
        file: head.file,
        startedAt: head.startedAt,
        durationMs: head.durationMs,
        results: run.results,
        summary: summariseStatus(run.results),
      }),
    };
  },
};

/** The status step, with at most `concurrency` templates read at once. */
export function statusStep(settings: ReadSettings): Step<StatusResult> {
  return {
    slots: settings.concurrency,
    run: async ({ target, ctx, branch, tip }) => {
      const base = baseResult(target, branch);
      try {
        const fetched = await openTip(
          ctx,
          tip,
          branch,
          settings.file.split("/").length,
        );
        const state = await readVersionState(
          ctx,
          fetched,
          settings.file,
          settings.version,
        );
        return {
          ...base,
          current: state.content?.display ?? null,
          drift: !state.current,
        };
      } catch (error) {
        return { ...base, error: reportError(error, target.repo) };
      }
    },
    unreached: (why: Unreached) => ({
      ...baseResult(why.target, why.branch),
      error: why.error ?? {
        kind: "unknown",
        message: `${why.target.repo}: not read before the interrupt`,
      },
    }),
    title: (result) => result.repo,
  };
}

function baseResult(
  target: { repo: string; url: string },
  branch: string | null,
): StatusResult {
  return {
    repo: target.repo,
    url: target.url,
    branch,
    current: null,
    drift: true,
  };
}
