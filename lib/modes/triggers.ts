/**
 * The triggers of `cascade push`, one row each: how the push makes every
 * template rebuild. A row names its mode (in its folder under `modes/`),
 * builds the mode's settings from the command line's values, lists the
 * options only it takes, and says what `--help` shows. A new trigger is a
 * row here plus its folder; `--trigger`'s values, its help and the check
 * that refuses another trigger's options all read this table.
 *
 * @example The triggers, in `--help` order
 * ```ts
 * import assert from "node:assert/strict";
 * import { TRIGGERS } from "./triggers.ts";
 *
 * assert.deepEqual(Object.keys(TRIGGERS), ["push", "dispatch"]);
 * ```
 *
 * @module
 */

import type {
  Mode,
  ModeDeps,
  ModeRun,
  Plan,
  ReadSettings,
} from "../engine/engine.ts";
import { DISPATCH, type DispatchModeSettings } from "./dispatch/dispatch.ts";
import { PUSH, type PushModeSettings } from "./push/push.ts";
import type { ProposeChoice } from "./propose/types.ts";

/** What a trigger's settings are built from: the command line's values. */
interface TriggerInput extends ProposeChoice {
  /** The version. */
  version: string;
  /** `--attempts`. */
  attempts: number;
  /** `--author`. */
  author: { name: string; email: string };
  /** The full commit message (`--message` with the version, trailers). */
  commitMessage: string;
  /** `--probe` paths. */
  probe: string[];
  /** `--dry-run`. */
  dryRun: boolean;
  /** `--no-downgrade`. */
  noDowngrade: boolean;
  /** `--allow-prefix-change`. */
  allowPrefixChange?: boolean;
  /** `--wait`. */
  wait: boolean;
  /** `--canary`. */
  canary: number | undefined;
  /** `--workflow`. */
  workflow: string;
  /** `--input` pairs (values still hold `{version}`). */
  input: readonly { name: string; value: string }[];
}

/** A mode with its settings bound: what a command runs. */
export interface BoundMode {
  /** The settings every run reads (version, file, bounds). */
  read: ReadSettings;
  /** Runs the mode over the plans. */
  run(plans: readonly Plan[], deps: ModeDeps): Promise<ModeRun>;
}

/** A mode bound to its settings. */
export function bindMode<S extends ReadSettings>(
  mode: Mode<S>,
  settings: S,
): BoundMode {
  return {
    read: settings,
    run: (plans, deps) => mode.run(plans, settings, deps),
  };
}

/** The settings of `--trigger push`: the commit and its push. */
function commitSettings(
  input: TriggerInput,
  read: ReadSettings,
): PushModeSettings {
  return {
    ...read,
    attempts: input.attempts,
    author: input.author,
    message: input.commitMessage,
    probes: input.probe,
    dryRun: input.dryRun,
    noDowngrade: input.noDowngrade,
    allowPrefixChange: input.allowPrefixChange ?? false,
    wait: input.wait,
    canary: input.canary,
    via: input.via,
    autoMerge: input.autoMerge,
    mergeStyle: input.mergeStyle,
  };
}

/** The settings of `--trigger dispatch`: the workflow and its inputs. */
function dispatchSettings(
  input: TriggerInput,
  read: ReadSettings,
): DispatchModeSettings {
  return {
    ...read,
    workflow: input.workflow,
    inputs: Object.fromEntries(
      input.input.map((i) => [
        i.name,
        i.value.replaceAll("{version}", input.version),
      ]),
    ),
    probes: input.probe,
    dryRun: input.dryRun,
    allowPrefixChange: input.allowPrefixChange ?? false,
    wait: input.wait,
    canary: input.canary,
  };
}

/** One trigger: a row of {@linkcode TRIGGERS}. */
interface TriggerRow {
  /** Its words in `--help`'s line for `--trigger`. */
  help: string;
  /** Options (by name) only this trigger takes. */
  own: readonly string[];
  /**
   * The refusal when `flag`, one of {@linkcode own}, is given on the
   * command line with another trigger, `running`.
   */
  refusal(flag: string, running: string): string;
  /** Why `--wait` with `--dry-run` is refused: nothing to follow. */
  dryRunWait: string;
  /** The trigger's mode, bound to its settings. */
  bind(input: TriggerInput, read: ReadSettings): BoundMode;
}

/** Every trigger, the default first. */
export const TRIGGERS = {
  push: {
    help: "push a commit",
    own: [
      "message",
      "author",
      "coAuthor",
      "attempts",
      "noDowngrade",
      "allowSkipCi",
    ],
    dryRunWait: "--wait follows pushed commits; --dry-run pushes none",
    refusal: (flag, running) =>
      `${flag} does nothing with --trigger ${running} (nothing is committed); drop it`,
    bind: (input, read) => bindMode(PUSH, commitSettings(input, read)),
  },
  dispatch: {
    help: "fire workflow_dispatch (not idempotent)",
    own: ["workflow", "input"],
    dryRunWait: "--wait follows dispatched runs; --dry-run dispatches none",
    refusal: (flag) =>
      `${flag} applies with --trigger dispatch only; add --trigger dispatch or drop it`,
    bind: (input, read) => bindMode(DISPATCH, dispatchSettings(input, read)),
  },
} as const satisfies Record<string, TriggerRow>;

/** How `cascade push` makes each template rebuild. */
export type Trigger = keyof typeof TRIGGERS;

/** The triggers' names, the default first. */
export const TRIGGER_NAMES = Object.keys(TRIGGERS) as Trigger[];

/** The trigger when `--trigger` is not given: the table's first. */
export const DEFAULT_TRIGGER: Trigger = "push";
