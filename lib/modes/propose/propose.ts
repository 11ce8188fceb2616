/**
 * The pull-request path (`cascade push --via pr|auto`): instead of pushing
 * to the default branch, push cascade's one commit to `cascade/<file>`
 * (on top of the default branch's tip, same message, author and
 * trailers) and open one pull request per template and file against the
 * default branch, or update cascade's open one. With `--auto-merge`, ask
 * Gitea to merge when the required checks succeed, only while the head is
 * cascade's commit. `auto` pushes first and proposes only where the
 * server refused the push as a protected branch.
 *
 * Statuses: `proposed` (open, not merged), `merged` (the default branch
 * holds the version), `unchanged` (the open pull request already holds
 * it), or a failure with its reason. A branch cascade does not own is
 * never touched.
 *
 * @module
 */

import {
  type ModeDeps,
  type ModeRun,
  type Plan,
  runTemplates,
  type Step,
  type Unreached,
} from "../../engine/engine.ts";
import { createLimiter } from "../../engine/pool.ts";
import { ADVICE, InterruptedError, TemplateError } from "../../errors.ts";
import { ForgeError } from "../../forge/client.ts";
import type { PullRequestInfo } from "../../forge/pulls.ts";
import { notAttempted, type PushResult, pushResultOf } from "../../model.ts";
import { pushReportOf } from "../../report/summary.ts";
import { treeDepth } from "../../version/state.ts";
import { land, type Prepared, type TemplateRun, verify } from "../push/land.ts";
import { openProposeAccess, type ProposeAccess } from "./access.ts";
import {
  foreignBranch,
  proposalBranch,
  readProposal,
  setProposal,
} from "./branch.ts";
import { defaultHolds, proposeAndWait, proposeFailure } from "./wait.ts";
import type { ProposeRun, ProposeSettings } from "./types.ts";

/** What proposing takes from the push step (passed in: no import cycle). */
export interface PushParts {
  /** Reads the tip and builds the commit, or a final result. */
  prepare(run: TemplateRun, result: PushResult): Promise<Prepared | PushResult>;
  /** The result of a template that never reached the step. */
  unreached(why: Unreached): PushResult;
}

/** What a proposing run waits for: `--wait` and `--canary`. */
export interface ProposeWait {
  /** `--wait`: follow each pull request's CI (and merge). */
  wait: boolean;
  /** `--canary`: propose the first n, go on only if their CI is green. */
  canary: number | undefined;
}

/** `cascade push --via pr|auto`: the proposing step and its report. */
export async function proposeRun(
  plans: readonly Plan[],
  options: Omit<ProposeSettings, "backoff">,
  waiting: ProposeWait,
  deps: ModeDeps,
  parts: PushParts,
): Promise<ModeRun> {
  const settings: ProposeSettings = { ...options, backoff: deps.backoff };
  const access = await openProposeAccess(plans, settings.via, {
    ...deps,
    timeoutMs: settings.timeoutMs,
  });
  const step = proposeStep(settings, access, parts);
  const run = deps.ci && waiting.wait
    ? await proposeAndWait(
      plans,
      settings,
      step,
      access,
      deps,
      deps.ci,
      waiting.canary,
    )
    : await runTemplates(plans, settings, step, deps);
  const ci = deps.ci;
  return {
    refused: run.refused,
    report: (head) =>
      pushReportOf(head, settings.dryRun, run.results, ci?.requests),
  };
}

/** The proposing step: reads ahead like the push step, lands one at a time per slot. */
function proposeStep(
  settings: ProposeSettings,
  access: ReadonlyMap<string, ProposeAccess>,
  parts: PushParts,
): Step<PushResult> {
  const reading = createLimiter(settings.concurrency);
  const landing = createLimiter(settings.concurrency);
  return {
    slots: settings.concurrency,
    run: async (task) => {
      const started = performance.now();
      const result = await proposeTemplate({
        ...task,
        settings,
        reading,
        landing,
        access: access.get(task.target.key) as ProposeAccess,
      }, parts);
      result.durationMs = Math.round(performance.now() - started);
      return result;
    },
    unreached: (why) => parts.unreached(why),
    title: (result) => `${result.repo} (${result.status})`,
  };
}

/** Gitea's words for a push to a protected branch, every version. */
const PROTECTED = /not allowed to push to protected branch/i;

/** Proposes (or, with `auto`, pushes) one template; every outcome a result. */
async function proposeTemplate(
  run: ProposeRun,
  parts: PushParts,
): Promise<PushResult> {
  const result = pushResultOf(run.target, run.branch);
  const { settings, log } = run;
  try {
    const depth = treeDepth(settings.file, settings.probes);
    const read = await run.reading(() => parts.prepare(run, result));
    if ("status" in read) return read;
    const refused = await run.refused;
    if (refused > 0) return notAttempted(result, refused, "pushed");
    if (settings.dryRun) {
      log.push(`built ${read.commit.slice(0, 10)}`);
      return {
        ...result,
        status: "proposed",
        reason: "dry run: nothing pushed or proposed",
      };
    }
    if (settings.via === "auto") {
      const landed = await run.landing(() => land(run, result, read, depth));
      if (landed === null) return await verify(run, result);
      if (!PROTECTED.test(landed.error?.message ?? "")) return landed;
      log.push(`${run.branch} is protected: proposing a pull request instead`);
      result.attempts = 0;
    }
    return await run.landing(() => propose(run, result, read));
  } catch (error) {
    if (error instanceof InterruptedError || run.signal.aborted) {
      return {
        ...result,
        status: "interrupted",
        reason: "interrupted before it finished; re-run to finish (it is safe)",
      };
    }
    return {
      ...result,
      status: "failed",
      error: proposeFailure(error, run.target.repo),
    };
  }
}

/**
 * Pushes cascade's branch (unless its tip already holds the version),
 * then opens or updates the pull request, then asks for the merge.
 */
async function propose(
  run: ProposeRun,
  result: PushResult,
  read: Prepared,
): Promise<PushResult> {
  const { ctx, settings, log, access } = run;
  const branch = proposalBranch(settings.file);
  const found = await readProposal(
    ctx,
    branch,
    { branch: run.branch, tip: read.tip },
    settings.author,
    settings.file,
    settings.version,
  );
  if (found.kind === "foreign") throw foreignBranch(branch, found.who);
  const held = found.kind === "own" && found.current;
  const head = held ? found.tip : read.commit;
  if (!held) {
    const expected = found.kind === "own" ? found.tip : null;
    const set = await setProposal(ctx, branch, read.commit, expected);
    if (!set.ok) {
      throw new TemplateError(
        "conflict",
        `${branch} moved while cascade pushed it (${set.why}): ${ADVICE.conflict}`,
        ADVICE.conflict,
      );
    }
    result.attempts = 1;
    log.push(`pushed ${read.commit.slice(0, 10)} to ${branch}`);
  }
  result.commit = head;
  const text = pullText(settings, run.branch);
  const { api, owner, repo } = access;
  let pr = await api.openFor(owner, repo, run.branch, branch);
  let opened = false;
  if (pr === null) {
    try {
      pr = await api.create(owner, repo, {
        head: branch,
        base: run.branch,
        ...text,
      });
      opened = true;
    } catch (error) {
      if (found.kind !== "absent" || !(error instanceof ForgeError)) {
        throw error;
      }
      const gone = await setProposal(ctx, branch, null, head).catch(() => null);
      throw new TemplateError(
        error.kind === "moved" ? "unknown" : error.kind,
        `opening the pull request: ${error.message.replace(/; [^;]*$/, "")}; ${
          gone?.ok
            ? `${branch} was deleted again`
            : `${branch} was left on the server`
        }: check that the token may open pull requests, then re-run`,
      );
    }
    log.push(`opened pull request #${pr.number}`);
  } else if (!held || pr.title !== text.title) {
    pr = await api.edit(owner, repo, pr.number, text);
    log.push(`updated pull request #${pr.number}`);
  }
  result.pr = { number: pr.number, url: pr.url, branch, head };
  const status = held && !opened ? "unchanged" : "proposed";
  if (!settings.autoMerge) return { ...result, status };
  if (!held && !opened && await api.cancelMerge(owner, repo, pr.number)) {
    log.push(
      `pull request #${pr.number}: the merge scheduled for its old head cancelled`,
    );
  }
  return await askMerge(run, { ...result, status }, pr, head);
}

/**
 * Asks Gitea to merge when the checks succeed, only while the head is
 * `head`; `merged` when it merged at once and the default branch holds
 * the version.
 */
async function askMerge(
  run: ProposeRun,
  result: PushResult,
  pr: PullRequestInfo,
  head: string,
): Promise<PushResult> {
  const { api, owner, repo } = run.access;
  try {
    await api.merge(owner, repo, pr.number, {
      style: run.settings.mergeStyle,
      head,
      whenChecksSucceed: true,
    });
  } catch (error) {
    if (!(error instanceof ForgeError)) throw error;
    if (!/already scheduled/i.test(error.message)) {
      const moved = error.status === 409;
      throw new TemplateError(
        moved ? "conflict" : error.kind === "moved" ? "unknown" : error.kind,
        `asking to merge pull request #${pr.number}: ${
          error.message.replace(/; [^;]*$/, "")
        }; ${
          moved
            ? "its head moved or it conflicts, so it was not merged: check the pull request, then re-run"
            : "check that the token may merge pull requests, then re-run"
        }`,
      );
    }
  }
  const now = await api.get(owner, repo, pr.number);
  if (!now.merged) {
    run.log.push(`pull request #${pr.number}: merge when the checks succeed`);
    return result;
  }
  return await defaultHolds(run, result);
}

/** The pull request's title and body. */
function pullText(
  settings: { version: string; file: string },
  base: string,
): { title: string; body: string } {
  return {
    title: `Pin ${settings.file} to ${settings.version}`,
    body: [
      `This pull request sets \`${settings.file}\` to \`${settings.version}\` on \`${base}\`.`,
      "",
      "It was opened by cascade, which keeps the version file of every template at the published version: one commit, the file alone. Merge it to rebuild this template with the new version. A newer version updates this pull request instead of opening another.",
    ].join("\n"),
  };
}
