/**
 * The status step: read only. For one template, the version file on its
 * branch and whether it holds the version.
 *
 * @module
 */

import {
  type Mode,
  type ReadSettings,
  runTemplates,
  type Step,
  type Unreached,
} from "../../engine/engine.ts";
import { reportError } from "../../errors.ts";
import type { StatusResult } from "../../model.ts";
import { reportHead, summariseStatus } from "../../report/summary.ts";
import { notWired, readAtTip } from "../../version/state.ts";
import type { CiReader } from "../../forge/ci_reader.ts";
import { openProposeAccess } from "../propose/access.ts";
import { type ProposalFinder, proposalFinder } from "../propose/find.ts";
import type { Via } from "../propose/types.ts";

/** What `cascade status` runs with. */
export interface StatusModeSettings extends ReadSettings {
  /** `--probe` paths. */
  probes: readonly string[];
  /** `--ci`: read each template's CI at its tip. */
  ci: boolean;
  /** `--via pr|auto`: report a drifted template's open pull request. */
  via: Via;
}

/** `cascade status`: the status step over every template, and its report. */
export const STATUS: Mode<StatusModeSettings> = {
  async run(plans, settings, deps) {
    const ci = settings.ci ? deps.ci : undefined;
    const access = settings.via === "push" ? null : await openProposeAccess(
      plans,
      settings.via,
      { ...deps, timeoutMs: settings.timeoutMs },
    );
    const run = await runTemplates(
      plans,
      settings,
      statusStep(
        settings,
        settings.probes,
        ci,
        access ? proposalFinder(access, settings.file) : undefined,
      ),
      deps,
    );
    return {
      refused: run.refused,
      report: (head) => ({
        ...reportHead("status", head, {}),
        results: run.results,
        summary: summariseStatus(run.results),
        ...(ci ? { apiRequests: ci.requests } : {}),
      }),
    };
  },
};

/**
 * The status step, with at most `concurrency` templates read at once. With
 * probes, a template none of them wires to the file is skipped, not drift.
 * With a CI reader (`--ci`), each wired template's CI at its tip is read
 * once, without waiting. With a finder (`--via pr|auto`), a drifted
 * template's open pull request from cascade is reported with it.
 */
function statusStep(
  settings: ReadSettings,
  probes: readonly string[],
  ci?: CiReader,
  findPr?: ProposalFinder,
): Step<StatusResult> {
  return {
    slots: settings.concurrency,
    run: async ({ target, ctx, branch, tip }) => {
      const base = baseResult(target, branch);
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
        if (unwired !== null) {
          return {
            ...base,
            current: state.content?.display ?? null,
            drift: false,
            skipped: true,
            reason: unwired,
          };
        }
        const pr = !state.current && findPr
          ? await findPr(target, branch)
          : null;
        return {
          ...base,
          current: state.content?.display ?? null,
          drift: !state.current,
          ...(pr === null ? {} : {
            pr,
            reason: `proposed in pull request #${pr.number}${
              pr.url ? ` ${pr.url}` : ""
            } (open, not merged)`,
          }),
          ...(ci ? { ci: await ci.read(target, state.tip) } : {}),
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
