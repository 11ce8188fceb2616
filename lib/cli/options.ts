/**
 * The one table of cascade's flags, {@linkcode OPTIONS}: for each, how it
 * is parsed, shown in `--help` and the README, and turned into a checked
 * value. A key is the option's name in camelCase (as a config file spells
 * it); its flag is the kebab-case form (see {@linkcode flagOf}). A new flag
 * is one entry here.
 *
 * @module
 */

import type { ConfigType } from "./config_file.ts";
import { DISCOVERY_OPTIONS } from "./discovery_options.ts";
import { DISPATCH_OPTIONS } from "./dispatch_options.ts";
import { PROPOSE_OPTIONS } from "./propose_options.ts";
import {
  apiUrl,
  asList,
  asText,
  authUser,
  checkBranch,
  ciContextGlob,
  duration,
  originOf,
  parsePerson,
  positiveInt,
  type Raw,
  timeoutSeconds,
  transportMode,
  versionFilePath,
} from "./flag_values.ts";
import { DEFAULT_VERSION_FILE } from "../version/file.ts";

/** The default commit message; `{version}` is replaced. */
const DEFAULT_MESSAGE =
  "chore: pin runtime to {version} (publish-runtime cascade)";

/** The default commit author and committer. */
const DEFAULT_AUTHOR = "cascade-bot <cascade-bot@noreply.localhost>";

export type { Raw } from "./flag_values.ts";

/** One flag: how it is parsed, shown and turned into a value. */
export interface OptionSpec<T = unknown> {
  /** `string`, `boolean`, or `list` (a repeatable string). */
  kind: "string" | "boolean" | "list";
  /** Where `--help` and the README list it. */
  group:
    | "targets"
    | "discovery"
    | "common"
    | "push"
    | "dispatch"
    | "ci"
    | "check";
  /** The placeholder after the flag in `--help` (`<file>`). */
  arg?: string;
  /** A one-letter alias. */
  short?: string;
  /** The default, as `--help` and the README show it. */
  shownDefault?: string;
  /** What it does, one line for `--help`. */
  help: string;
  /**
   * Its key in a config file: the option's name (default), another name
   * (`repos` for `--repo`), or null when it cannot be set there.
   */
  configKey?: string | null;
  /** Its type in a config file (default: from `kind`). */
  configType?: ConfigType;
  /** Its value is a file path (resolved against a config file's dir). */
  fsPath?: boolean;
  /**
   * It shapes a run's results: recorded in the report's `options` and
   * reused by `--retry-failed` unless given again.
   */
  remember?: boolean;
  /** Turns the raw value into the option's value; throws UsageError. */
  value: (raw: Raw) => T;
}

function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

const text = asText;
const list = asList;
const flag = (raw: Raw) => raw === true;
/** A push switch the report remembers. */
const pushSwitch = (help: string) =>
  option({ remember: true, kind: "boolean", group: "push", help, value: flag });

/** Every flag of `push` and `status`, in `--help` order. */
export const OPTIONS = {
  repo: option({
    configKey: "repos",
    kind: "list",
    group: "targets",
    arg: "<x>",
    help: "URL, git@host:path, local path, or owner/name (repeatable)",
    value: list,
  }),
  reposFile: option({
    fsPath: true,
    kind: "list",
    group: "targets",
    arg: "<file>",
    help: "one target per line; blank lines and # comments ignored",
    value: list,
  }),
  retryFailed: option({
    configKey: null,
    kind: "string",
    group: "targets",
    arg: "<json>",
    help: "the targets that failed in an earlier --json report",
    value: text,
  }),
  baseUrl: option({
    remember: true,
    kind: "string",
    group: "targets",
    arg: "<url>",
    shownDefault: "env GITEA_URL",
    help: "server for owner/name targets",
    value: text,
  }),
  shard: option({
    configKey: null,
    kind: "string",
    group: "targets",
    arg: "<i>/<n>",
    help: "run a stable 1/n of the targets (for a CI matrix)",
    value: text,
  }),
  org: option(DISCOVERY_OPTIONS.org),
  match: option(DISCOVERY_OPTIONS.match),
  exclude: option(DISCOVERY_OPTIONS.exclude),
  topic: option(DISCOVERY_OPTIONS.topic),
  config: option({
    kind: "string",
    group: "common",
    arg: "<file>",
    shownDefault: "cascade.json if present",
    configKey: null,
    help: "read settings from this JSON file (flags override it)",
    value: text,
  }),
  file: option({
    remember: true,
    kind: "string",
    group: "common",
    arg: "<path>",
    shownDefault: DEFAULT_VERSION_FILE,
    help: "version file in each repo",
    value: (raw) =>
      versionFilePath("--file", text(raw) ?? DEFAULT_VERSION_FILE),
  }),
  branch: option({
    remember: true,
    kind: "string",
    group: "common",
    arg: "<name>",
    shownDefault: "each repo's default branch",
    help: "branch to use",
    value: (raw) => checkBranch(text(raw)),
  }),
  concurrency: option({
    configType: "number",
    kind: "string",
    group: "common",
    arg: "<n>",
    shownDefault: "8",
    help: "templates read and pushed at once (1 = sequential)",
    value: (raw) => positiveInt("--concurrency", text(raw), 8, 256),
  }),
  timeout: option({
    configType: "number",
    kind: "string",
    group: "common",
    arg: "<duration>",
    shownDefault: "120",
    help: "per network operation (90, 90s, 5m; in seconds)",
    value: (raw) => timeoutSeconds(raw),
  }),
  transport: option({
    kind: "string",
    group: "common",
    arg: "<auto|git>",
    shownDefault: "auto",
    help:
      "auto: read and push over HTTP in-process where allowed; git: always run git",
    value: (raw) => transportMode(text(raw)),
  }),
  json: option({
    fsPath: true,
    kind: "string",
    group: "common",
    arg: "<file|->",
    help: "write the JSON report",
    value: text,
  }),
  summary: option({
    fsPath: true,
    kind: "string",
    group: "common",
    arg: "<file>",
    help:
      "append the Markdown report here (with GITHUB_ACTIONS=true, also to $GITHUB_STEP_SUMMARY)",
    value: text,
  }),
  tokenEnv: option({
    kind: "string",
    group: "common",
    arg: "<NAME>",
    shownDefault: "CASCADE_TOKEN, then DISPATCH_TOKEN",
    help: "read the token from NAME",
    value: text,
  }),
  authUser: option({
    remember: true,
    kind: "string",
    group: "common",
    arg: "<name>",
    shownDefault: "cascade",
    help: "user name sent with the token",
    value: (raw) => authUser(text(raw)),
  }),
  probe: option({
    remember: true,
    kind: "list",
    group: "common",
    arg: "<path>",
    help:
      "only templates where this file mentions the version file (repeatable)",
    value: (raw) => list(raw).map((p) => versionFilePath("--probe", p)),
  }),
  tokenOrigin: option({
    kind: "list",
    group: "common",
    arg: "<origin>",
    remember: true,
    help: "also send the token to this origin, e.g. https://git.example.com",
    value: (raw) => list(raw).map(originOf),
  }),
  allowInsecureHttp: option({
    kind: "boolean",
    group: "common",
    help: "allow sending the token over plain http to a non-loopback host",
    value: flag,
  }),
  verbose: option({
    kind: "boolean",
    group: "common",
    short: "v",
    help: "per-template logs on a terminal too (always shown in CI logs)",
    value: flag,
  }),
  attempts: option({
    configType: "number",
    kind: "string",
    group: "push",
    arg: "<n>",
    shownDefault: "3",
    help: "total push attempts per template",
    value: (raw) => positiveInt("--attempts", text(raw), 3, 100),
  }),
  author: option({
    remember: true,
    kind: "string",
    group: "push",
    arg: '"Name <email>"',
    shownDefault: DEFAULT_AUTHOR,
    help: "commit author and committer",
    value: (raw) => parsePerson("--author", text(raw) ?? DEFAULT_AUTHOR),
  }),
  message: option({
    remember: true,
    kind: "string",
    group: "push",
    arg: "<template>",
    shownDefault: DEFAULT_MESSAGE,
    help: "commit message; {version} is replaced",
    value: (raw) => text(raw) ?? DEFAULT_MESSAGE,
  }),
  coAuthor: option({
    remember: true,
    kind: "list",
    group: "push",
    arg: '"N <e>"',
    help: "add a Co-Authored-By: trailer (repeatable)",
    value: (raw) => list(raw).map((c) => parsePerson("--co-author", c)),
  }),
  dryRun: option({
    kind: "boolean",
    group: "push",
    help: "do everything but push",
    value: flag,
  }),
  noDowngrade: pushSwitch("skip templates that hold a higher version"),
  allowSkipCi: pushSwitch("allow [skip ci]-style markers in the message"),
  allowPrefixChange: pushSwitch(
    'write or dispatch a version whose leading "v" differs from the templates\' values',
  ),
  via: option(PROPOSE_OPTIONS.via),
  autoMerge: option(PROPOSE_OPTIONS.autoMerge),
  mergeStyle: option(PROPOSE_OPTIONS.mergeStyle),
  trigger: option(DISPATCH_OPTIONS.trigger),
  workflow: option(DISPATCH_OPTIONS.workflow),
  input: option(DISPATCH_OPTIONS.input),
  check: option(DISCOVERY_OPTIONS.check),
  wait: option({
    kind: "boolean",
    group: "ci",
    help: "push: after a push or dispatch, follow each CI to its result",
    value: flag,
  }),
  waitTimeout: option({
    kind: "string",
    group: "ci",
    arg: "<duration>",
    shownDefault: "30m",
    help:
      "the wait for a template, from its push; CI still running then is pending",
    value: (raw) => duration("--wait-timeout", raw, "30m"),
  }),
  waitStart: option({
    kind: "string",
    group: "ci",
    arg: "<duration>",
    shownDefault: "2m",
    help: "no CI status at all by then is the outcome none",
    value: (raw) => duration("--wait-start", raw, "2m"),
  }),
  ciContext: option({
    kind: "list",
    group: "ci",
    arg: "<glob>",
    help: "only CI contexts matching this glob count (* = any text)",
    value: (raw) => list(raw).map(ciContextGlob),
  }),
  canary: option({
    configType: "number",
    kind: "string",
    group: "ci",
    arg: "<n>",
    help:
      "push: with --wait, push the first n, go on only if their CI is green",
    value: (raw) =>
      raw === undefined
        ? undefined
        : positiveInt("--canary", asText(raw), 1, 10000),
  }),
  ci: option({
    kind: "boolean",
    group: "ci",
    help: "status: each template's CI at its branch tip",
    value: flag,
  }),
  apiUrl: option({
    kind: "string",
    group: "ci",
    arg: "<url>",
    shownDefault: "each target's origin + /api/v1",
    help: "the forge API base, e.g. https://git.example.com/api/v1",
    value: (raw) => apiUrl(text(raw)),
  }),
  help: option({
    configKey: null,
    kind: "boolean",
    group: "common",
    short: "h",
    help: "this help",
    value: flag,
  }),
};

/** The name of an option in the table (camelCase). */
export type OptionName = keyof typeof OPTIONS;

/** The value of every option, converted and checked. */
export type OptionValues = {
  [K in OptionName]: ReturnType<(typeof OPTIONS)[K]["value"]>;
};

/** The flag of an option: `reposFile` → `repos-file`. */
export function flagOf(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
