/**
 * The dispatch trigger's probe: with `--probe`, a template is dispatched
 * only if it is wired as the push trigger asks (a probe file mentions the
 * version file) and its workflow file exists and declares every input.
 *
 * The workflow file is read with the engine's git context, at the tip the
 * preflight saw (fetched as the push step fetches it, trees to depth 3,
 * then one `cat-file --batch`), not with the API's contents endpoint: it
 * is the same read, credentials and classifier as the push's probe, it
 * sees exactly the commit that the dispatch will run on, and it needs no
 * second wire format (base64 JSON) nor an API call per file.
 *
 * @module
 */

import type { TemplateTask } from "../../engine/engine.ts";
import { readObjects } from "../../git/objects.ts";
import { openTip } from "../../git/remote.ts";
import {
  MAX_WORKFLOW_BYTES,
  workflowProblem,
} from "../../forge/workflow_file.ts";
import { notWired, readVersionState } from "../../version/state.ts";

/** Where Gitea and Forgejo look for workflows, in the order checked. */
export const WORKFLOW_DIRS: readonly string[] = [
  ".gitea/workflows",
  ".github/workflows",
];

/** What the probe needs to know. */
export interface ProbeSettings {
  /** The version file's path. */
  file: string;
  /** The version. */
  version: string;
  /** `--probe` paths. */
  probes: readonly string[];
  /** The workflow's file name. */
  workflow: string;
  /** The input names the dispatch sends. */
  inputs: readonly string[];
}

/** The probe's finding: the file's value, and why to skip (or null). */
export interface ProbeFinding {
  /** The version file's value (display form), null when absent. */
  previous: string | null;
  /** Why the template would ignore the dispatch, or null. */
  skip: string | null;
}

/** Reads the template at the preflight's tip and judges it. */
export async function probeWorkflow(
  task: TemplateTask,
  settings: ProbeSettings,
): Promise<ProbeFinding> {
  const { ctx } = task;
  const depth = Math.max(
    3,
    ...[settings.file, ...settings.probes].map((p) => p.split("/").length),
  );
  const tip = await openTip(ctx, task.tip, task.branch, depth);
  const state = await readVersionState(
    ctx,
    tip,
    settings.file,
    settings.version,
    settings.probes,
  );
  const previous = state.content?.display ?? null;
  const unwired = notWired(state, settings.probes, settings.file);
  if (unwired !== null) return { previous, skip: unwired };
  const paths = WORKFLOW_DIRS.map((dir) => `${dir}/${settings.workflow}`);
  const objects = await readObjects(ctx, paths.map((p) => `${tip}:${p}`));
  const at = paths.findIndex((p) =>
    objects.get(`${tip}:${p}`)?.type === "blob"
  );
  const found = objects.get(`${tip}:${paths[at]}`);
  if (at < 0 || found === null || found === undefined) {
    return {
      previous,
      skip: `no workflow ${settings.workflow} in ${WORKFLOW_DIRS.join(" or ")}`,
    };
  }
  if (found.bytes.length > MAX_WORKFLOW_BYTES) {
    return {
      previous,
      skip: `${paths[at]} is larger than 256 KiB; not read`,
    };
  }
  const text = new TextDecoder().decode(found.bytes);
  return {
    previous,
    skip: workflowProblem(text, paths[at] ?? "", settings.inputs),
  };
}
