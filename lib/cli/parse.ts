/**
 * The command line: parsing (`node:util` `parseArgs`, strict) and `--help`,
 * both driven by the one table of flags in `options.ts`. Every refusal is a
 * `UsageError` (exit 2) raised before anything is touched.
 *
 * @example Parse a push command
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommand } from "./parse.ts";
 *
 * const command = parseCommand(["push", "0.1.8", "--repo", "acme/tpl"]);
 * assert.equal(command.command, "push");
 * if (command.command === "push") {
 *   assert.equal(command.options.version, "0.1.8");
 *   assert.equal(command.options.concurrency, 8);
 * }
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import {
  flagOf,
  type OptionName,
  OPTIONS,
  type OptionSpec,
  type OptionValues,
  type Raw,
} from "./options.ts";
import { checkTriggerFlags } from "./dispatch_options.ts";
import { checkCiFlags } from "./ci_flags.ts";
import { asList } from "./flag_values.ts";
import { closest } from "./suggest.ts";
import {
  applyNegations,
  negationOf,
  negationOptions,
  refuseSwitchValue,
} from "./negation.ts";
import { versionProblem } from "../version/file.ts";
import type { TargetSource } from "../targets/inputs.ts";
import { quotedValue } from "../console/secret_forms.ts";

/** Markers that tell CI to skip a push; refused in messages by default. */
const SKIP_CI_MARKERS: readonly string[] = [
  "[skip ci]",
  "[ci skip]",
  "[no ci]",
  "[skip actions]",
  "[actions skip]",
];

/** The commands that run over templates. */
export type RunCommandName = "push" | "status" | "targets";

/** What a run over templates was asked for: the options and the rest. */
export interface RunOptions extends OptionValues {
  /** The command. */
  command: RunCommandName;
  /** The version (empty for `targets`, which takes none). */
  version: string;
  /** `--repo` values and `--repos-file` paths, in command-line order. */
  sources: TargetSource[];
  /** The full commit message: the template with the version, trailers. */
  commitMessage: string;
  /** The options given on the command line (not from a layer). */
  given: OptionName[];
  /** The raw value of every option, after layering (undefined: unset). */
  raw: Partial<Record<OptionName, Raw>>;
}

/** What the command line asks for. */
export type Command =
  | { command: "help"; topic?: RunCommandName | undefined }
  | { command: "version" }
  | { command: "demo" }
  | { command: RunCommandName; options: RunOptions };

/** Groups of options only `push` takes (status stays about the file). */
const PUSH_ONLY: readonly OptionSpec["group"][] = ["push", "dispatch"];

/** The table's options that `command` takes. */
function optionsOf(command: RunCommandName): OptionName[] {
  const not: readonly OptionSpec["group"][] = command === "push"
    ? ["check"]
    : command === "status"
    ? [...PUSH_ONLY, "check"]
    : [...PUSH_ONLY, "ci"];
  return (Object.keys(OPTIONS) as OptionName[]).filter((name) =>
    !not.includes(OPTIONS[name].group)
  );
}

/**
 * Values that stand behind the command line: a config file, or the
 * options an earlier report recorded. The first layer that has a value
 * wins; the command line wins over every layer.
 */
export interface OptionLayer {
  /** Where the values come from (`cascade.json`, `report.json`). */
  source: string;
  /** Raw values by option name, as the command line would give them. */
  values: Partial<Record<OptionName, Raw>>;
}

/** The command line read once: the flags given, before any layer. */
export interface CommandLine {
  /** The command. */
  command: RunCommandName;
  /** The version (empty for `targets`). */
  version: string;
  /** The options the command takes. */
  names: OptionName[];
  /** Raw values given on the command line, by option name. */
  given: Partial<Record<OptionName, Raw>>;
  /** `parseArgs`'s tokens, for the order of the target sources. */
  tokens: ReturnType<typeof parseArgs>["tokens"];
}

/** What the command line asks for, read once (see {@linkcode resolveOptions}). */
export type ReadCommand =
  | Exclude<Command, { options: RunOptions }>
  | { command: RunCommandName; line: CommandLine };

/**
 * Reads the command line once; throws {@linkcode UsageError}. Its values
 * are checked by {@linkcode resolveOptions}, over the layers it names.
 */
export function readCommandLine(args: readonly string[]): ReadCommand {
  const [first, ...rest] = args;
  if (
    first === undefined || first === "--help" || first === "-h" ||
    first === "help"
  ) {
    return { command: "help" };
  }
  if (first === "--version" || first === "-V") return { command: "version" };
  if (first === "demo") {
    if (rest.length > 0) throw new UsageError(`demo takes no arguments`);
    return { command: "demo" };
  }
  if (first !== "push" && first !== "status" && first !== "targets") {
    const near = closest(first, ["push", "status", "targets", "demo"]);
    throw new UsageError(
      `unknown command ${quotedValue(first, 40)}: ${
        near ? `did you mean ${near}? ` : ""
      }use push, status, targets or demo`,
    );
  }
  const names = optionsOf(first);
  checkFlags(first, rest, names);
  const parsed = parseFlags(first, rest, names);
  const given: Partial<Record<OptionName, Raw>> = {};
  for (const name of names) {
    const value = parsed.values[flagOf(name)];
    if (value !== undefined) given[name] = value;
  }
  if (given.help) return { command: "help", topic: first };
  const version = versionOf(first, parsed.positionals);
  return {
    command: first,
    line: { command: first, version, names, given, tokens: parsed.tokens },
  };
}

/**
 * Parses the command line; throws {@linkcode UsageError}. `layers` stand
 * behind it (see {@linkcode OptionLayer}).
 */
export function parseCommand(
  args: readonly string[],
  layers: readonly OptionLayer[] = [],
): Command {
  const read = readCommandLine(args);
  if (!("line" in read)) return read;
  return { command: read.command, options: resolveOptions(read.line, layers) };
}

/**
 * The options of a command line read once, over `layers`: each option's
 * value checked and converted; throws {@linkcode UsageError}.
 */
export function resolveOptions(
  line: CommandLine,
  layers: readonly OptionLayer[] = [],
): RunOptions {
  const { command, version, names, given } = line;
  const raw: Partial<Record<OptionName, Raw>> = {};
  for (const name of names) {
    raw[name] = given[name] ??
      layers.find((l) => l.values[name] !== undefined)?.values[name];
  }
  // Targets travel together: named on the command line (or a retry), the
  // layers' targets stand aside, discovery's keys included.
  const ownTargets = (["repo", "reposFile", "org", "retryFailed"] as const)
    .some((name) => given[name] !== undefined);
  if (ownTargets) {
    for (const name of ["org", "match", "exclude", "topic"] as const) {
      raw[name] = given[name];
    }
  }
  const values = Object.fromEntries(
    (Object.keys(OPTIONS) as OptionName[]).map((name) => [
      name,
      (OPTIONS[name] as OptionSpec).value(raw[name]),
    ]),
  ) as OptionValues;
  const options: RunOptions = {
    ...values,
    command,
    version,
    sources: sourcesOf(line.tokens, ownTargets ? [] : layers),
    commitMessage: buildMessage(values.message, version, values.coAuthor),
    given: Object.keys(given) as OptionName[],
    raw,
  };
  if (command === "push") checkTriggerFlags(values.trigger, options.given);
  if (command === "push" && !values.allowSkipCi) {
    const lower = options.commitMessage.toLowerCase();
    const marker = SKIP_CI_MARKERS.find((m) => lower.includes(m));
    if (marker !== undefined) {
      throw new UsageError(
        `--message contains ${marker}, which would stop the templates' CI that the push exists to trigger; remove it or pass --allow-skip-ci`,
      );
    }
  }
  checkCiFlags(options);
  return options;
}

/**
 * Refuses an unknown flag before `parseArgs` does, naming the closest
 * known one (or saying the flag belongs to another command).
 */
function checkFlags(
  command: RunCommandName,
  args: readonly string[],
  names: readonly OptionName[],
): void {
  const known = [
    ...names.map((n) => `--${flagOf(n)}`),
    ...names.map(negationOf).filter((f) => f !== null),
  ];
  for (const arg of args) {
    if (arg === "--") break;
    if (!arg.startsWith("--")) continue;
    const flag = arg.split("=")[0] ?? arg;
    if (known.includes(flag)) {
      if (flag !== arg) refuseSwitchValue(`${command}: `, arg, names);
      continue;
    }
    const shown = quotedValue(flag, 40);
    const other = (Object.keys(OPTIONS) as OptionName[]).find((n) =>
      `--${flagOf(n)}` === flag
    );
    if (other !== undefined) {
      const group = OPTIONS[other].group;
      const owner = group === "check"
        ? "targets"
        : other === "ci"
        ? "status"
        : other === "wait" || other === "canary"
        ? "push"
        : group === "ci"
        ? "push and status"
        : "push";
      const why = OPTIONS[other].group === "dispatch"
        ? " (status reads the version file, whatever the trigger)"
        : "";
      throw new UsageError(
        `${command}: ${flag} is an option of ${owner} only; ${command} does not take it${why}`,
      );
    }
    const near = closest(flag, known);
    throw new UsageError(
      `${command}: unknown option ${shown}${
        near ? `; did you mean ${near}?` : ""
      } (see cascade ${command} --help)`,
    );
  }
}

function parseFlags(
  command: RunCommandName,
  args: readonly string[],
  names: readonly OptionName[],
) {
  try {
    const parsed = parseArgs({
      args: [...args],
      options: {
        ...Object.fromEntries(names.map((name) => {
          const spec: OptionSpec = OPTIONS[name];
          return [flagOf(name), {
            type: spec.kind === "boolean" ? "boolean" : "string",
            multiple: spec.kind === "list",
            ...(spec.short === undefined ? {} : { short: spec.short }),
          }] as const;
        })),
        ...negationOptions(names),
      },
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
    const values = applyNegations(parsed.values, parsed.tokens ?? [], names);
    return { ...parsed, values: values as Record<string, Raw> };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new UsageError(
      `${command}: ${text.split("\n")[0]?.split(". ")[0]?.replaceAll("'", "")}`,
    );
  }
}

/**
 * The target sources in command-line order; without any on the command
 * line, those of the first layer that names targets (none with
 * `--retry-failed`: a retry runs the report's templates only).
 */
function sourcesOf(
  tokens: ReturnType<typeof parseArgs>["tokens"],
  layers: readonly OptionLayer[],
): TargetSource[] {
  const given = (tokens ?? []).flatMap((t): TargetSource[] => {
    if (t.kind !== "option" || t.value === undefined) return [];
    if (t.name === "repo") return [{ repo: t.value }];
    if (t.name === "repos-file") return [{ reposFile: t.value }];
    return [];
  });
  if (given.length > 0) return given;
  for (const layer of layers) {
    const repos = asList(layer.values.repo);
    const files = asList(layer.values.reposFile);
    if (repos.length + files.length > 0) {
      return [
        ...repos.map((repo) => ({ repo })),
        ...files.map((reposFile) => ({ reposFile })),
      ];
    }
  }
  return [];
}

function versionOf(command: string, positionals: readonly string[]): string {
  if (command === "targets") {
    if (positionals.length === 0) return "";
    throw new UsageError(
      `targets takes no version; pass sources with --org, --repo or --repos-file`,
    );
  }
  if (positionals.length === 0) {
    throw new UsageError(
      `${command}: missing the version, e.g. cascade ${command} 0.1.8 --repo owner/name`,
    );
  }
  if (positionals.length > 1) {
    throw new UsageError(
      `${command}: one version only; pass each target with --repo (e.g. --repo ${
        quotedValue(positionals[1] ?? "", 60)
      }) or list them with --repos-file`,
    );
  }
  const version = positionals[0] ?? "";
  const problem = versionProblem(version);
  if (problem !== null) throw new UsageError(`version: ${problem}`);
  return version;
}

/** The commit message: the template with `{version}`, then trailers. */
function buildMessage(
  template: string,
  version: string,
  coAuthors: readonly { name: string; email: string }[],
): string {
  const body = template.replaceAll("{version}", version).replace(/\s+$/, "");
  if (body.trim() === "") throw new UsageError(`--message is empty`);
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x08\x0b-\x1f\x7f]/.test(body)) {
    throw new UsageError(`--message contains control characters`);
  }
  const trailers = coAuthors.map((p) =>
    `Co-Authored-By: ${p.name} <${p.email}>`
  );
  return trailers.length === 0
    ? `${body}\n`
    : `${body}\n\n${trailers.join("\n")}\n`;
}
