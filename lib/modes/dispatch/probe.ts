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
import { parseTree, readObjects } from "../../git/objects.ts";
import { missNote } from "../../version/unmatched.ts";
import { openTip } from "../../git/remote.ts";
import {
  MAX_WORKFLOW_BYTES,
  workflowProblem,
} from "../../forge/workflow_file.ts";
import { notWired, readAtTip, readVersionState } from "../../version/state.ts";

/** Where Gitea looks for workflows: the first folder that exists. */
const WORKFLOW_DIRS: readonly string[] = [
  ".gitea/workflows",
  ".github/workflows",
];

/** Where Forgejo looks for workflows: the first folder that exists. */
const FORGEJO_WORKFLOW_DIRS: readonly string[] = [
  ".forgejo/workflows",
  ...WORKFLOW_DIRS,
];

/**
 * The folders a forge reads workflows from, in its order. The server uses
 * only the first that exists (Gitea reads `.github/workflows` only when
 * `.gitea/workflows` is absent), whether or not it holds the workflow.
 */
function workflowDirs(forge?: "Gitea" | "Forgejo"): readonly string[] {
  return forge === "Forgejo" ? FORGEJO_WORKFLOW_DIRS : WORKFLOW_DIRS;
}

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
  /** The server's forge (its workflow folders); Gitea when unknown. */
  forge?: "Gitea" | "Forgejo";
}

/** The probe's finding: the file's value, and why to skip (or null). */
export interface ProbeFinding {
  /** The version file's value (display form), null when absent. */
  previous: string | null;
  /** The version file's value as read (for the prefix rule), or null. */
  held?: string | null;
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
  const held = state.content?.value ?? null;
  const skip = await workflowSkip(ctx, tip, settings);
  return { previous, held, skip };
}

/**
 * The version file's value at the preflight's tip (display form and as
 * read), without the probe: what the prefix rule needs of a template.
 */
export async function readHeld(
  task: TemplateTask,
  settings: { file: string; version: string },
): Promise<ProbeFinding> {
  const state = await readAtTip(
    task.ctx,
    task.tip,
    task.branch,
    settings.file,
    settings.version,
  );
  return {
    previous: state.content?.display ?? null,
    held: state.content?.value ?? null,
    skip: null,
  };
}

/** Why the template's workflow would ignore the dispatch, or null. */
async function workflowSkip(
  ctx: TemplateTask["ctx"],
  tip: string,
  settings: ProbeSettings,
): Promise<string | null> {
  const dirs = workflowDirs(settings.forge);
  const paths = dirs.map((dir) => `${dir}/${settings.workflow}`);
  // A folder's tree keeps its type when over the cap; only its type is read.
  const objects = await readObjects(
    ctx,
    [...dirs.map((d) => `${tip}:${d}`), ...paths.map((p) => `${tip}:${p}`)],
    () => MAX_WORKFLOW_BYTES,
  );
  // The server reads the first folder that exists, and only that one.
  const at = dirs.findIndex((d) => objects.get(`${tip}:${d}`)?.type === "tree");
  const path = paths[at] ?? "";
  const found = objects.get(`${tip}:${path}`);
  if (at < 0 || found === null || found === undefined) {
    const where = at < 0
      ? dirs.join(" or ")
      : `${dirs[at]} (the folder ${
        settings.forge ?? "Gitea"
      } reads, since it exists)`;
    // The workflows the template has there, for "did you mean".
    const names = (at < 0 ? dirs : dirs.slice(at, at + 1)).flatMap((d) => {
      const tree = objects.get(`${tip}:${d}`);
      return tree?.type === "tree" && tree.tooLarge !== true
        ? parseTree(tree.bytes, tip.length / 2).map((entry) => entry.name)
        : [];
    });
    return `no workflow ${settings.workflow} in ${where}${
      missNote("--workflow", settings.workflow, names, true)
    }`;
  }
  if (found.type !== "blob") {
    return `${path} is not a file`;
  }
  if (found.tooLarge === true || found.bytes.length > MAX_WORKFLOW_BYTES) {
    return `${path} is larger than 256 KiB; not read (the file is too large)`;
  }
  const text = new TextDecoder().decode(found.bytes);
  return workflowProblem(text, path, settings.inputs);
}
