/**
 * The settings and per-template run of the pull-request path
 * (`--via pr|auto`), shared by its step (`propose.ts`) and its waits
 * (`wait.ts`).
 *
 * @module
 */

import type { Via } from "../../cli/propose_options.ts";
import type { MergeStyle } from "../../forge/pulls.ts";
import type { PushSettings, TemplateRun } from "../push/land.ts";
import type { ProposeAccess } from "./access.ts";

/** What proposing needs beyond pushing. */
export interface ProposeSettings extends PushSettings {
  /** `--via`: pr or auto. */
  via: Exclude<Via, "push">;
  /** `--auto-merge`. */
  autoMerge: boolean;
  /** `--merge-style`. */
  mergeStyle: MergeStyle;
}

/** One template's proposing: its push run and its API access. */
export interface ProposeRun extends TemplateRun {
  /** The run's settings. */
  settings: ProposeSettings;
  /** The template's pulls API. */
  access: ProposeAccess;
}
