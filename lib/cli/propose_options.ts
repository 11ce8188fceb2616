/**
 * The flags of the pull-request path (`--via`, `--auto-merge`,
 * `--merge-style`), checked before anything runs; their entries are in
 * the one table of flags (`options.ts`).
 *
 * @example The default way
 * ```ts
 * import assert from "node:assert/strict";
 * import { viaOf } from "./propose_options.ts";
 *
 * assert.equal(viaOf(undefined), "push");
 * assert.equal(viaOf("auto"), "auto");
 * ```
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { MERGE_STYLES, type MergeStyle } from "../forge/pulls.ts";
import type { Via } from "../modes/propose/types.ts";
import { quotedValue } from "../console/secret_forms.ts";

export type { Via } from "../modes/propose/types.ts";

/** A raw flag value as `parseArgs` gives it (`Raw` in `options.ts`). */
type RawValue = string | string[] | boolean | undefined;

/** The pull-request flags' entries of the table of flags. */
export const PROPOSE_OPTIONS = {
  via: {
    remember: true,
    kind: "string",
    group: "common",
    arg: "push|pr|auto",
    shownDefault: "push",
    help:
      "push: to the default branch; pr: propose a pull request; auto: a PR where protected (status: report open PRs)",
    value: (raw: RawValue) => viaOf(raw as string | undefined),
  },
  autoMerge: {
    remember: true,
    kind: "boolean",
    group: "push",
    help: "with --via pr|auto: merge each pull request once its checks pass",
    value: (raw: RawValue) => raw === true,
  },
  mergeStyle: {
    remember: true,
    kind: "string",
    group: "push",
    arg: MERGE_STYLES.join("|"),
    shownDefault: "merge",
    help: "with --auto-merge: how Gitea merges",
    value: (raw: RawValue) => mergeStyleOf(raw as string | undefined),
  },
} as const;

/** `--via`: push (the default), pr or auto. */
export function viaOf(raw: string | undefined): Via {
  if (raw === undefined || raw === "push" || raw === "pr" || raw === "auto") {
    return raw ?? "push";
  }
  throw new UsageError(
    `--via must be push, pr or auto, not ${quotedValue(raw, 20)}`,
  );
}

/** `--merge-style`: one of Gitea's merge styles cascade offers. */
export function mergeStyleOf(raw: string | undefined): MergeStyle {
  if (raw === undefined) return "merge";
  const style = MERGE_STYLES.find((s) => s === raw);
  if (style === undefined) {
    throw new UsageError(
      `--merge-style must be ${MERGE_STYLES.join(", ")}, not ${
        quotedValue(raw, 30)
      }`,
    );
  }
  return style;
}

/**
 * Refuses pull-request flags that do nothing: `--auto-merge` and
 * `--merge-style` without `--via pr|auto`, `--merge-style` without
 * `--auto-merge`, any with `--trigger dispatch` or `--dry-run` waits.
 */
export function checkProposeFlags(options: {
  via: Via;
  autoMerge: boolean;
  trigger: string;
  given: readonly string[];
}): void {
  const given = (name: string) => options.given.includes(name);
  if (options.trigger === "dispatch" && options.via !== "push") {
    throw new UsageError(
      `--via ${options.via} proposes a commit; --trigger dispatch commits nothing: drop one`,
    );
  }
  if (options.via === "push") {
    const flag = given("autoMerge")
      ? "--auto-merge"
      : given("mergeStyle")
      ? "--merge-style"
      : null;
    if (flag !== null) {
      throw new UsageError(
        `${flag} applies to pull requests; add --via pr (or --via auto) or drop it`,
      );
    }
  }
  if (given("mergeStyle") && !options.autoMerge) {
    throw new UsageError(`--merge-style needs --auto-merge; add it or drop it`);
  }
}
