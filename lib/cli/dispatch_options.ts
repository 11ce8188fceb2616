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

/** The workflow `--trigger dispatch` fires unless `--workflow` says. */
export const DEFAULT_WORKFLOW = "publish-image.yml";

/** The input `--trigger dispatch` sends unless `--input` says. */
export const DEFAULT_INPUT = "runtime_version={version}";

/** How `cascade push` makes each template rebuild. */
export type Trigger = "push" | "dispatch";

/** One `--input name=value` (the value still holds `{version}`). */
export interface WorkflowInput {
  /** The input's name, as the workflow declares it. */
  name: string;
  /** Its value; `{version}` is replaced when sent. */
  value: string;
}

/** A raw flag value as `parseArgs` gives it (`Raw` in `options.ts`). */
type RawValue = string | string[] | boolean | undefined;

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
    arg: "push|dispatch",
    shownDefault: "push",
    help: "push a commit, or fire workflow_dispatch (not idempotent)",
    value: (raw: RawValue) => triggerOf(raw as string | undefined),
  },
  workflow: {
    remember: true,
    kind: "string",
    group: "dispatch",
    arg: "<file>",
    shownDefault: DEFAULT_WORKFLOW,
    help: "with dispatch: the workflow's file name",
    value: (raw: RawValue) =>
      workflowFile((raw as string | undefined) ?? DEFAULT_WORKFLOW),
  },
  input: {
    remember: true,
    kind: "list",
    group: "dispatch",
    arg: "<name=value>",
    shownDefault: DEFAULT_INPUT,
    help: "with dispatch: a workflow input; {version} is replaced",
    value: (raw: RawValue) =>
      workflowInputs((raw as string[] | undefined) ?? []),
  },
} as const;

/** `--trigger`: push (the default) or dispatch. */
export function triggerOf(raw: string | undefined): Trigger {
  if (raw === undefined || raw === "push" || raw === "dispatch") {
    return raw ?? "push";
  }
  throw new UsageError(
    `--trigger must be push or dispatch, not ${
      JSON.stringify(raw.slice(0, 20))
    }`,
  );
}

/** A workflow file name: no directory, ends in .yml or .yaml. */
export function workflowFile(name: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.ya?ml$/.test(name)) {
    throw new UsageError(
      `--workflow ${
        JSON.stringify(name.slice(0, 60))
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
          JSON.stringify(raw.slice(0, 60))
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

/** Flags that shape a commit: they do nothing when nothing is committed. */
const COMMIT_FLAGS: Readonly<Record<string, string>> = {
  message: "--message",
  author: "--author",
  coAuthor: "--co-author",
  attempts: "--attempts",
  noDowngrade: "--no-downgrade",
  allowSkipCi: "--allow-skip-ci",
  allowPrefixChange: "--allow-prefix-change",
};

/**
 * Refuses flags given on the command line that the trigger ignores:
 * `--workflow`/`--input` without `--trigger dispatch`, commit flags with
 * it. Values from a config file are not refused (one file serves both).
 */
export function checkTriggerFlags(
  trigger: Trigger,
  given: readonly string[],
): void {
  if (trigger === "push") {
    // A retry of red CI alone dispatches (see targets/red_ci.ts); the
    // targets' resolution refuses these flags when it does not.
    if (given.includes("retryFailed")) return;
    const flag = given.includes("workflow")
      ? "--workflow"
      : given.includes("input")
      ? "--input"
      : null;
    if (flag !== null) {
      throw new UsageError(
        `${flag} applies with --trigger dispatch only; add --trigger dispatch or drop it`,
      );
    }
    return;
  }
  const commitFlag = given.find((name) => COMMIT_FLAGS[name] !== undefined);
  if (commitFlag !== undefined) {
    throw new UsageError(
      `${
        COMMIT_FLAGS[commitFlag]
      } does nothing with --trigger dispatch (nothing is committed); drop it`,
    );
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
  const layer = layers.find((l) => l.values["trigger"] === "dispatch");
  return layer === undefined
    ? null
    : `cascade: note: ${layer.source} sets trigger dispatch; status reads the version file, whatever the trigger\n`;
}
