/**
 * What stands behind the command line: the options an earlier report
 * recorded (`--retry-failed`), then the config file (`--config`, or
 * `cascade.json` in the working directory). Both are read once, before
 * anything runs, and become {@linkcode OptionLayer}s for the parser; the
 * report's failed targets come along for the target resolution.
 *
 * @module
 */

import type { Say } from "../targets/inputs.ts";
import { readInput } from "../targets/inputs.ts";
import { type EarlierReport, readEarlierReport } from "../targets/target.ts";
import {
  type ConfigSchema,
  type ConfigValue,
  loadConfigFile,
} from "./config_file.ts";
import { commandValues } from "./config_sections.ts";
import {
  flagOf,
  type OptionName,
  OPTIONS,
  type OptionSpec,
  type Raw,
} from "./options.ts";
import type { CommandLine, OptionLayer, RunOptions } from "./parse.ts";
import { asText } from "./flag_values.ts";
import { negationOf } from "./negation.ts";
import { withoutRouting } from "./report_routing.ts";

/** The layers of a run and the earlier report it retries, if any. */
interface Layers {
  /** Highest priority first: the earlier report's options, the config. */
  layers: OptionLayer[];
  /** The report `--retry-failed` names, read and checked. */
  retry: EarlierReport | null;
}

/** The config file's keys, from the option table. */
function configSchema(): ConfigSchema {
  const schema: Record<
    string,
    { type: OptionSpec["configType"] & string; path?: boolean }
  > = {};
  for (
    const [name, spec] of Object.entries(OPTIONS) as [string, OptionSpec][]
  ) {
    if (spec.configKey === null) continue;
    schema[spec.configKey ?? name] = {
      type: spec.configType ??
        (spec.kind === "boolean"
          ? "boolean"
          : spec.kind === "list"
          ? "string[]"
          : "string"),
      ...(spec.fsPath ? { path: true } : {}),
    };
  }
  return schema;
}

/** Reads the layers the command line asks for (`--retry-failed`, `--config`). */
export async function loadLayers(
  line: CommandLine,
  cwd: string,
  say: Say,
): Promise<Layers> {
  const layers: OptionLayer[] = [];
  let retry: EarlierReport | null = null;
  const config = await loadConfigFile(
    asText(line.given.config),
    cwd,
    configSchema(),
  );
  // The command's own view of the config: its section over the top level.
  const configValues = config === null
    ? {}
    : configLayerValues(commandValues(config, line.command));
  const retryFailed = asText(line.given.retryFailed);
  if (retryFailed !== undefined) {
    const text = await readInput(retryFailed, "--retry-failed", cwd);
    retry = readEarlierReport(text, retryFailed);
    const values = withoutRouting(
      rememberedValues(retry.options),
      {
        given: Object.keys(line.given) as OptionName[],
        raw: line.given,
      },
      configValues,
      retryFailed,
    );
    layers.push({ source: retryFailed, values });
    const reused = (Object.keys(values) as OptionName[])
      .filter((name) => line.given[name] === undefined)
      .map((name) =>
        values[name] === false
          ? negationOf(name) ?? `--${flagOf(name)}`
          : `--${flagOf(name)}`
      );
    if (reused.length > 0) {
      say.err(
        `cascade: --retry-failed ${retryFailed}: reusing its ${
          reused.join(", ")
        } (give a flag again to change it)\n`,
      );
    }
  }
  if (config !== null) {
    layers.push({ source: config.file, values: configValues });
  }
  return { layers, retry };
}

/** The config file's values by option name, as raw values. */
function configLayerValues(
  config: Record<string, ConfigValue>,
): Partial<Record<OptionName, Raw>> {
  const values: Partial<Record<OptionName, Raw>> = {};
  for (
    const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]
  ) {
    if (spec.configKey === null) continue;
    const value = config[spec.configKey ?? name];
    if (value === undefined) continue;
    values[name] = typeof value === "number" ? String(value) : value;
  }
  return values;
}

/**
 * The options a report records: the remembered ones that are set (a flag
 * that is on, or turned off on the command line (in `given`), a list with
 * items, a string), by option name, as raw values
 * a later run can parse again. Never a token: no option holds one.
 */
export function rememberedOptions(
  raw: RunOptions["raw"],
  given: readonly OptionName[] = [],
): Record<string, string | string[] | boolean> {
  const out: Record<string, string | string[] | boolean> = {};
  for (
    const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]
  ) {
    const value = raw[name];
    if (value === undefined || !recordedOption(name)) continue;
    // A switch turned off on the command line (`--no-dry-run`) is kept,
    // remembered or not: a retry must not bring a config's `true` back.
    if (value === false ? !given.includes(name) : !spec.remember) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Whether a report may record option `name`: a remembered one, or an
 * on/off flag that can be turned off (recorded only as `false`, when the
 * command line turned it off). The report schemas list exactly these.
 */
function recordedOption(name: OptionName): boolean {
  return OPTIONS[name].remember === true || negationOf(name) !== null;
}

/**
 * The remembered options of an earlier report, checked: unknown names are
 * left out (a report from a newer cascade), and a value of the wrong type
 * is ignored rather than trusted.
 */
function rememberedValues(
  recorded: Record<string, unknown>,
): Partial<Record<OptionName, Raw>> {
  const values: Partial<Record<OptionName, Raw>> = {};
  for (const [name, value] of Object.entries(recorded)) {
    if (!Object.hasOwn(OPTIONS, name)) continue;
    const spec: OptionSpec = OPTIONS[name as OptionName];
    if (!recordedOption(name as OptionName)) continue;
    if (!spec.remember && value !== false) continue;
    const ok = spec.kind === "boolean"
      ? typeof value === "boolean"
      : spec.kind === "list"
      ? Array.isArray(value) && value.every((v) => typeof v === "string")
      : typeof value === "string";
    if (ok) values[name as OptionName] = value as Raw;
  }
  return values;
}
