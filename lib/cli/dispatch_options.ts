/**
 * The values of the dispatch flags (`--trigger`, `--workflow`, `--input`),
 * checked before anything runs; their entries are in the one table of
 * flags (`options.ts`).
 *
 * @example The default input
 * ```ts
 * import assert from "node:assert/strict";
 * import { workflowInputs } from "./dispatch_options.ts";
 *
 * assert.deepEqual(workflowInputs([]), [
 *   { name: "runtime_version", value: "{version}" },
 * ]);
 * ```
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import {
  DEFAULT_TRIGGER,
  type Trigger,
  TRIGGER_NAMES,
  TRIGGERS,
} from "../modes/triggers.ts";
import { asList, asText, type Raw } from "./flag_values.ts";
import { quotedValue } from "../console/secret_forms.ts";

/** The workflow `--trigger dispatch` fires unless `--workflow` says. */
const DEFAULT_WORKFLOW = "publish-image.yml";

/** The input `--trigger dispatch` sends unless `--input` says. */
const DEFAULT_INPUT = "runtime_version={version}";

/** One `--input name=value` (the value still holds `{version}`). */
export interface WorkflowInput {
  /** The input's name, as the workflow declares it. */
  name: string;
  /** Its value; `{version}` is replaced when sent. */
  value: string;
}

/**
 * The dispatch flags' entries of the table of flags (`OPTIONS` in
 * `options.ts`), beside their converters. A dispatch is not idempotent:
 * each one starts a build.
 */
export const DISPATCH_OPTIONS = {
  trigger: {
    remember: true,
    kind: "string",
    group: "dispatch",
    arg: TRIGGER_NAMES.join("|"),
    shownDefault: DEFAULT_TRIGGER,
    help: TRIGGER_NAMES.map((t) => TRIGGERS[t].help).join(", or "),
    value: (raw: Raw) => triggerOf(asText(raw)),
  },
  workflow: {
    remember: true,
    kind: "string",
    group: "dispatch",
    arg: "<file>",
    shownDefault: DEFAULT_WORKFLOW,
    help: "with dispatch: the workflow's file name",
    value: (raw: Raw) => workflowFile(asText(raw) ?? DEFAULT_WORKFLOW),
  },
  input: {
    remember: true,
    kind: "list",
    group: "dispatch",
    arg: "<name=value>",
    shownDefault: DEFAULT_INPUT,
    help: "with dispatch: a workflow input; {version} is replaced",
    value: (raw: Raw) => workflowInputs(asList(raw)),
  },
} as const;

/** `--trigger`: a row of the trigger table; none given: the first. */
function triggerOf(raw: string | undefined): Trigger {
  if (raw === undefined) return DEFAULT_TRIGGER;
  const found = TRIGGER_NAMES.find((t) => t === raw);
  if (found !== undefined) return found;
  throw new UsageError(
    `--trigger must be ${TRIGGER_NAMES.join(" or ")}, not ${
      quotedValue(raw, 20)
    }`,
  );
}

/** A workflow file name: no directory, ends in .yml or .yaml. */
export function workflowFile(name: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.ya?ml$/.test(name)) {
    throw new UsageError(
      `--workflow ${
        quotedValue(name, 60)
      } must be a workflow's file name like publish-image.yml (no directory)`,
    );
  }
  return name;
}

/** `--input name=value` pairs; none given: the default. Names are unique. */
export function workflowInputs(raws: readonly string[]): WorkflowInput[] {
  const inputs: WorkflowInput[] = [];
  for (const raw of raws.length === 0 ? [DEFAULT_INPUT] : raws) {
    const eq = raw.indexOf("=");
    const name = eq < 0 ? raw : raw.slice(0, eq);
    const value = raw.slice(eq + 1);
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_-]{0,99}$/.test(name)) {
      throw new UsageError(
        `--input ${
          quotedValue(raw, 60)
        } must be name=value with a name like runtime_version`,
      );
    }
    // deno-lint-ignore no-control-regex
    if (value.length > 1000 || /[\x00-\x1f\x7f]/.test(value)) {
      throw new UsageError(
        `--input ${name}: the value must be one line of at most 1000 characters`,
      );
    }
    if (inputs.some((i) => i.name === name)) {
      throw new UsageError(`--input ${name} is given twice; give it once`);
    }
    inputs.push({ name, value });
  }
  return inputs;
}

/**
 * Refuses options given on the command line that the trigger ignores:
 * those another trigger's row owns (`--workflow`/`--input` without
 * `--trigger dispatch`, commit flags with it). Values from a config file
 * are not refused (one file serves both).
 */
export function checkTriggerFlags(
  trigger: Trigger,
  given: readonly string[],
): void {
  // A retry of red CI alone dispatches (see targets/red_ci.ts); the
  // targets' resolution refuses --workflow and --input when it does not.
  const retrying = trigger === DEFAULT_TRIGGER && given.includes("retryFailed");
  for (const name of given) {
    if (retrying && (name === "workflow" || name === "input")) continue;
    const owner = TRIGGER_NAMES.find((t) =>
      t !== trigger && (TRIGGERS[t].own as readonly string[]).includes(name)
    );
    if (owner === undefined) continue;
    const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new UsageError(TRIGGERS[owner].refusal(flag, trigger));
  }
}

/**
 * The note `status` prints when a config file or an earlier report sets
 * `trigger: dispatch` (status reads the file whatever the trigger), or
 * null. On the command line `--trigger` is refused for status instead.
 */
export function statusTriggerNote(
  command: string,
  layers: readonly { source: string; values: Record<string, unknown> }[],
): string | null {
  if (command !== "status") return null;
  // Only a known trigger is named (a layer's value is not trusted).
  const other = (value: unknown) =>
    TRIGGER_NAMES.find((t) => t === value && t !== DEFAULT_TRIGGER);
  const layer = layers.find((l) => other(l.values["trigger"]) !== undefined);
  return layer === undefined
    ? null
    : `cascade: note: ${layer.source} sets trigger ${
      other(layer.values["trigger"])
    }; status reads the version file, whatever the trigger\n`;
}
