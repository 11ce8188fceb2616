/**
 * `--help`: the usage text of cascade and of each command, built from the
 * one table of flags (`options.ts`), with each command's own exit codes.
 *
 * @module
 */

import { EXIT } from "../errors.ts";
import {
  flagOf,
  type OptionName,
  OPTIONS,
  type OptionSpec,
} from "./options.ts";
import type { RunCommandName } from "./parse.ts";
import { negationLine } from "./negation.ts";

const GROUP_TITLES = {
  targets: "Targets (at least one):",
  discovery: "Targets from the server (need --allow-net):",
  check: "Targets options:",
  common: "Common options:",
  push: "Push options:",
  dispatch:
    "Dispatch options (a dispatch is not idempotent: each one starts a build;\n" +
    "--dry-run dispatches nothing):",
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
    `Exit codes: ${EXIT.ok} every template updated, unchanged, dispatched, proposed, merged, skipped or superseded;
  ${EXIT.failed} a template failed or was interrupted, (--wait) its CI is not green,
    or every template was skipped by the probe (nothing matched);
  ${EXIT.usage} usage or input error (nothing touched), or a "v" prefix the
    templates' values lack (nothing pushed or dispatched to them;
    --allow-prefix-change);
  ${EXIT.credentials} credentials refused in the preflight (nothing pushed); ${EXIT.interrupted} interrupted.
`,
  status: `Exit codes: ${EXIT.ok} every template is at the version;
  ${EXIT.failed} a template drifted or could not be read, (--ci) its CI is not green,
    or every template was skipped by the probe (nothing matched);
  ${EXIT.usage} usage or input error;
  ${EXIT.credentials} credentials refused; ${EXIT.interrupted} interrupted.
`,
  targets:
    `Exit codes: ${EXIT.ok} every target read (with --check: the file agrees);
  ${EXIT.failed} a target could not be read, or --check found a difference;
  ${EXIT.usage} usage or input error, or an unknown --org; ${EXIT.credentials} the server refused the token.
`,
  all:
    `Exit codes: ${EXIT.ok} all updated/unchanged/skipped/superseded (status: all at the version),
  ${EXIT.failed} a template failed (status: drift or unreadable), ${EXIT.usage} usage or input error,
  ${EXIT.credentials} credentials refused (nothing pushed), ${EXIT.interrupted} interrupted.
`,
};

/** The negations line of the options in `groups` (but `except`). */
function negations(
  groups: readonly OptionSpec["group"][],
  except: readonly OptionName[] = [],
): string {
  const names = (Object.keys(OPTIONS) as OptionName[]).filter((name) =>
    groups.includes(OPTIONS[name].group) && !except.includes(name)
  );
  const line = negationLine(names);
  return line === "" ? "" : `${line}\n`;
}

/** The usage text of `cascade --help` (and per command). */
export function usage(topic?: RunCommandName): string {
  if (topic === "push") {
    return `Usage: cascade push <version> [--repo <x>]... [options]\n\nWrites <version> into the version file of every template, commits and pushes\nto its default branch (never forced), so each template's CI rebuilds.\n\n${
      optionLines("targets")
    }\n${optionLines("discovery")}\n${optionLines("common")}\n${
      optionLines("push")
    }\n${optionLines("dispatch")}\n${optionLines("ci")}\n${
      negations(
        ["targets", "discovery", "common", "push", "dispatch", "ci"],
        ["ci"],
      )
    }${EXIT_CODES.push}`;
  }
  if (topic === "targets") {
    return `Usage: cascade targets [--repo <x>]... [options]\n\nRead only: lists the targets (repo, default branch, wired by --probe or not)\nand, with --check FILE, compares a checked-in repos file with the server.\n\n${
      optionLines("targets")
    }\n${optionLines("discovery")}\n${optionLines("common")}\n${
      optionLines("check")
    }\n${
      negations(["targets", "discovery", "common", "check"])
    }${EXIT_CODES.targets}`;
  }
  if (topic === "status") {
    return `Usage: cascade status <version> [--repo <x>]... [options]\n\nRead only: shows each template's branch and version file, and whether it is\nat <version>; with --ci, also its CI at the branch tip.\n\n${
      optionLines("targets")
    }\n${optionLines("discovery")}\n${optionLines("common")}\n${
      optionLines("ci")
    }\n${
      negations(["targets", "discovery", "common", "ci"], ["wait"])
    }${EXIT_CODES.status}`;
  }
  return `cascade: pin a runtime version in many template repos and push, so each rebuilds.

Usage:
  cascade push <version> [--repo <x>]... [options]
  cascade status <version> [--repo <x>]... [options]
  cascade targets [--repo <x>]... [--probe <path>] [--check <file>]
  cascade demo              try it on throwaway local repos
  cascade --help | --version
  cascade push --help       (or status, targets --help) for every option

Example:
  CASCADE_TOKEN=... cascade push 0.1.8 --base-url https://git.example.com \\
    --repos-file templates.txt --json report.json

${EXIT_CODES.all}`;
}
