/**
 * The settings and per-template run of the pull-request path
 * (`--via pr|auto`), shared by its step (`propose.ts`) and its waits
 * (`wait.ts`).
 *
 * @module
 */

import type { MergeStyle } from "../../forge/pulls.ts";
import type { PushSettings, TemplateRun } from "../push/land.ts";
import type { ProposeAccess } from "./access.ts";

export type { MergeStyle } from "../../forge/pulls.ts";

/** How a template gets the version: a push, a pull request, or either. */
export type Via = "push" | "pr" | "auto";

/** How `cascade push` lands the version: `--via` and its merge flags. */
export interface ProposeChoice {
  /** `--via`: push (the default), pr or auto. */
  via: Via;
  /** `--auto-merge`. */
  autoMerge: boolean;
  /** `--merge-style`. */
  mergeStyle: MergeStyle;
}

/** What proposing needs beyond pushing. */
export interface ProposeSettings extends PushSettings, ProposeChoice {
  /** `--via`: pr or auto. */
  via: Exclude<Via, "push">;
}

/** One template's proposing: its push run and its API access. */
export interface ProposeRun extends TemplateRun {
  /** The run's settings. */
  settings: ProposeSettings;
  /** The template's pulls API. */
  access: ProposeAccess;
}
