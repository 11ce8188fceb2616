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
import { EXIT, UsageError } from "../errors.ts";
import {
  flagOf,
  type OptionName,
  OPTIONS,
  type OptionSpec,
  type OptionValues,
  type Raw,
} from "./options.ts";
import { closest } from "./suggest.ts";
import { versionProblem } from "../version/file.ts";

/** Markers that tell CI to skip a push; refused in messages by default. */
export const SKIP_CI_MARKERS: readonly string[] = [
  "[skip ci]",
  "[ci skip]",
  "[no ci]",
  "[skip actions]",
  "[actions skip]",
];

/** The commands that run over templates. */
export type RunCommandName = "push" | "status";

/** Where targets come from, in the order given. */
export type TargetSource = { repo: string } | { reposFile: string };

/** What a run over templates was asked for: the options and the rest. */
export interface RunOptions extends OptionValues {
  /** The command. */
  command: RunCommandName;
  /** The version. */
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

/** The table's options that `command` takes. */
function optionsOf(command: RunCommandName): OptionName[] {
  return (Object.keys(OPTIONS) as OptionName[]).filter((name) =>
    command === "push" || OPTIONS[name].group !== "push"
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

/**
 * Parses the command line; throws {@linkcode UsageError}. `layers` stand
 * behind it (see {@linkcode OptionLayer}).
 */
export function parseCommand(
  args: readonly string[],
  layers: readonly OptionLayer[] = [],
): Command {
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
  if (first !== "push" && first !== "status") {
    const near = closest(first, ["push", "status", "demo"]);
    throw new UsageError(
      `unknown command ${JSON.stringify(first.slice(0, 40))}: ${
        near ? `did you mean ${near}? ` : ""
      }use push, status or demo`,
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
  const raw: Partial<Record<OptionName, Raw>> = {};
  for (const name of names) {
    raw[name] = given[name] ??
      layers.find((l) => l.values[name] !== undefined)?.values[name];
  }
  const values = Object.fromEntries(
    (Object.keys(OPTIONS) as OptionName[]).map((name) => [
      name,
      (OPTIONS[name] as OptionSpec).value(raw[name]),
    ]),
  ) as OptionValues;
  const options: RunOptions = {
    ...values,
    command: first,
    version,
    sources: sourcesOf(parsed.tokens, layers),
    commitMessage: buildMessage(values.message, version, values.coAuthor),
    given: Object.keys(given) as OptionName[],
    raw,
  };
  if (first === "push" && !values.allowSkipCi) {
    const lower = options.commitMessage.toLowerCase();
    const marker = SKIP_CI_MARKERS.find((m) => lower.includes(m));
    if (marker !== undefined) {
      throw new UsageError(
        `--message contains ${marker}, which would stop the templates' CI that the push exists to trigger; remove it or pass --allow-skip-ci`,
      );
    }
  }
  checkCiFlags(options);
  return { command: first, options };
}

/** The CI flags that belong to one command, or only go with another. */
function checkCiFlags(options: RunOptions): void {
  const given = (name: OptionName) => options.given.includes(name);
  if (options.command === "status") {
    for (const name of ["wait", "canary"] as const) {
      if (given(name)) {
        throw new UsageError(
          `status: --${flagOf(name)} is for push; status reads CI with --ci`,
        );
      }
    }
    return;
  }
  if (given("ci")) {
    throw new UsageError(
      `push: --ci is for status; push follows CI with --wait`,
    );
  }
  if (options.canary !== undefined && !options.wait) {
    throw new UsageError(
      `push: --canary needs --wait (it waits for the canaries' CI)`,
    );
  }
  if (options.wait && options.dryRun) {
    throw new UsageError(
      `push: --wait follows pushed commits; --dry-run pushes none`,
    );
  }
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
  const known = names.map((n) => `--${flagOf(n)}`);
  for (const arg of args) {
    if (arg === "--") break;
    if (!arg.startsWith("--")) continue;
    const flag = arg.split("=")[0] ?? arg;
    if (known.includes(flag)) continue;
    const shown = JSON.stringify(flag.slice(0, 40));
    const other = (Object.keys(OPTIONS) as OptionName[]).find((n) =>
      `--${flagOf(n)}` === flag
    );
    if (other !== undefined) {
      throw new UsageError(
        `${command}: ${flag} is an option of push only; ${command} does not take it`,
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
      options: Object.fromEntries(names.map((name) => {
        const spec: OptionSpec = OPTIONS[name];
        return [flagOf(name), {
          type: spec.kind === "boolean" ? "boolean" : "string",
          multiple: spec.kind === "list",
          ...(spec.short === undefined ? {} : { short: spec.short }),
        }] as const;
      })),
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
    return { ...parsed, values: parsed.values as Record<string, Raw> };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new UsageError(
      `${command}: ${text.split("\n")[0]?.split(". ")[0]?.replaceAll("'", "")}`,
    );
  }
}

/**
 * The target sources in command-line order; without any on the command
 * line, those of the first layer that names targets.
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
    const repos = (layer.values.repo as string[] | undefined) ?? [];
    const files = (layer.values.reposFile as string[] | undefined) ?? [];
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
  if (positionals.length === 0) {
    throw new UsageError(
      `${command}: missing the version, e.g. cascade ${command} 0.1.8 --repo owner/name`,
    );
  }
  if (positionals.length > 1) {
    throw new UsageError(
      `${command}: one version only; pass targets with --repo or --repos-file`,
    );
  }
  const version = positionals[0] ?? "";
  const problem = versionProblem(version);
  if (problem !== null) throw new UsageError(`version: ${problem}`);
  return version;
}

/** The commit message: the template with `{version}`, then trailers. */
export function buildMessage(
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

const GROUP_TITLES = {
  targets: "Targets (at least one):",
  common: "Common options:",
  push: "Push options:",
  ci: "CI options (push --wait, status --ci; need --allow-net):",
} as const;

/** The `--help` lines of one group of options, from the table. */
function optionLines(group: OptionSpec["group"]): string {
  const lines = (Object.keys(OPTIONS) as OptionName[])
    .filter((name) => OPTIONS[name].group === group && name !== "help")
    .map((name) => {
      const spec: OptionSpec = OPTIONS[name];
      const long = `--${flagOf(name)}${spec.arg ? ` ${spec.arg}` : ""}`;
      const left = spec.short ? `-${spec.short}, ${long}` : long;
      const extra = spec.kind === "list" && !spec.help.includes("repeatable")
        ? " (repeatable)"
        : "";
      const shown = spec.shownDefault ? ` (default: ${spec.shownDefault})` : "";
      const help = `${spec.help}${extra}${shown}`;
      return left.length < 24
        ? `  ${left.padEnd(24)}${help}`
        : `  ${left}\n  ${"".padEnd(24)}${help}`;
    });
  return `${GROUP_TITLES[group]}\n${lines.join("\n")}\n`;
}

const EXIT_CODES: Record<RunCommandName | "all", string> = {
  push:
    `Exit codes: ${EXIT.ok} every template updated, unchanged, skipped or superseded;
  ${EXIT.failed} a template failed or was interrupted, or (--wait) its CI is not green;
  ${EXIT.usage} usage or input error (nothing touched);
  ${EXIT.credentials} credentials refused in the preflight (nothing pushed); ${EXIT.interrupted} interrupted.
`,
  status: `Exit codes: ${EXIT.ok} every template is at the version;
  ${EXIT.failed} a template drifted or could not be read, or (--ci) its CI is not green;
  ${EXIT.usage} usage or input error;
  ${EXIT.credentials} credentials refused; ${EXIT.interrupted} interrupted.
`,
  all:
    `Exit codes: ${EXIT.ok} all updated/unchanged/skipped/superseded (status: all at the version),
  ${EXIT.failed} a template failed (status: drift or unreadable), ${EXIT.usage} usage or input error,
  ${EXIT.credentials} credentials refused (nothing pushed), ${EXIT.interrupted} interrupted.
`,
};

/** The usage text of `cascade --help` (and per command). */
export function usage(topic?: RunCommandName): string {
  if (topic === "push") {
    return `Usage: cascade push <version> [targets] [options]\n\nWrites <version> into the version file of every template, commits and pushes\nto its default branch (never forced), so each template's CI rebuilds.\n\n${
      optionLines("targets")
    }\n${optionLines("common")}\n${optionLines("push")}\n${
      optionLines("ci")
    }\n${EXIT_CODES.push}`;
  }
  if (topic === "status") {
    return `Usage: cascade status <version> [targets] [options]\n\nRead only: shows each template's branch and version file, and whether it is\nat <version>; with --ci, also its CI at the branch tip.\n\n${
      optionLines("targets")
    }\n${optionLines("common")}\n${optionLines("ci")}\n${EXIT_CODES.status}`;
  }
  return `cascade: pin a runtime version in many template repos and push, so each rebuilds.

Usage:
  cascade push <version> [targets] [options]
  cascade status <version> [targets] [options]
  cascade demo              try it on throwaway local repos
  cascade --help | --version
  cascade push --help       (or status --help) for every option

Example:
  CASCADE_TOKEN=... cascade push 0.1.8 --base-url https://git.example.com \\
    --repos-file templates.txt --json report.json

${EXIT_CODES.all}`;
}
