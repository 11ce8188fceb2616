/**
 * Per-command sections of the config file: `"push": { … }`,
 * `"status": { … }` and `"targets": { … }` hold the same keys as the top
 * level and win over it for that command. Report paths are per command by
 * default: a top-level `json` or `summary` is the `push` report's (the one
 * `--retry-failed` reads); `status` and `targets` write a report only where
 * their own section (or a flag) names one. So `targets` never overwrites
 * the push report, whatever the top level says.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandValues } from "./config_sections.ts";
 *
 * const config = {
 *   values: { probe: ["Dockerfile"], json: "/w/cascade-report.json" },
 *   sections: { status: { json: "/w/status.json" } },
 * };
 * assert.deepEqual(commandValues(config, "push"), config.values);
 * assert.deepEqual(commandValues(config, "status"), {
 *   probe: ["Dockerfile"],
 *   json: "/w/status.json",
 * });
 * assert.deepEqual(commandValues(config, "targets"), { probe: ["Dockerfile"] });
 * ```
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** The commands a config file may hold a section for. */
const CONFIG_SECTIONS = ["push", "status", "targets"] as const;

/** A command with a config section. */
export type SectionName = typeof CONFIG_SECTIONS[number];

/** Keys that name a command's own report: never shared between commands. */
const REPORT_KEYS: readonly string[] = ["json", "summary"];

/**
 * Splits a parsed config object into its top level and its command
 * sections (each still unchecked). A section that is not an object is a
 * {@linkcode UsageError}; a section inside a section is left for the key
 * check to refuse.
 */
export function splitSections(
  parsed: unknown,
  shown: string,
): { top: unknown; sections: Partial<Record<SectionName, unknown>> } {
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return { top: parsed, sections: {} };
  }
  const top: Record<string, unknown> = {};
  const sections: Partial<Record<SectionName, unknown>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(CONFIG_SECTIONS as readonly string[]).includes(key)) {
      top[key] = value;
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new UsageError(
        `${
          JSON.stringify(key)
        } in ${shown} must be an object of settings for cascade ${key} ({ "json": "…" })`,
      );
    }
    sections[key as SectionName] = value;
  }
  return { top, sections };
}

/**
 * The config values that apply to `command`: the top level (without its
 * report paths unless the command is `push`), then the command's section
 * over it.
 */
export function commandValues<V>(
  config: {
    values: Record<string, V>;
    sections?: Partial<Record<SectionName, Record<string, V>>>;
  },
  command: SectionName,
): Record<string, V> {
  const values: Record<string, V> = {};
  for (const [key, value] of Object.entries(config.values)) {
    if (command !== "push" && REPORT_KEYS.includes(key)) continue;
    values[key] = value;
  }
  return { ...values, ...config.sections?.[command] };
}
