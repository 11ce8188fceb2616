/**
 * The command line: `node:util` `parseArgs` in strict mode, turned into a
 * plain, validated configuration. Every refusal is a
 * {@linkcode UsageError} (exit 2) raised before anything is touched.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { PushConfig, ReadConfig } from "./engine.ts";
import { UsageError } from "./errors.ts";
import {
  DEFAULT_VERSION_FILE,
  normaliseVersionFilePath,
  versionProblem,
} from "./version_file.ts";

/** The default commit message; `{version}` is replaced. */
export const DEFAULT_MESSAGE =
  "chore: pin runtime to {version} (publish-runtime cascade)";

/** The default commit author and committer. */
export const DEFAULT_AUTHOR = "cascade-bot <cascade-bot@noreply.localhost>";

/** Markers that tell CI to skip a push; refused in messages by default. */
export const SKIP_CI_MARKERS: readonly string[] = [
  "[skip ci]",
  "[ci skip]",
  "[no ci]",
  "[skip actions]",
  "[actions skip]",
];

const COMMON = {
  repo: { type: "string", multiple: true },
  "repos-file": { type: "string", multiple: true },
  "base-url": { type: "string" },
  "retry-failed": { type: "string" },
  shard: { type: "string" },
  file: { type: "string" },
  branch: { type: "string" },
  concurrency: { type: "string" },
  timeout: { type: "string" },
  json: { type: "string" },
  summary: { type: "string" },
  "token-env": { type: "string" },
  "auth-user": { type: "string" },
  "allow-insecure-http": { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const;

const PUSH_ONLY = {
  attempts: { type: "string" },
  author: { type: "string" },
  message: { type: "string" },
  "co-author": { type: "string", multiple: true },
  probe: { type: "string", multiple: true },
  "dry-run": { type: "boolean" },
  "no-downgrade": { type: "boolean" },
  "allow-skip-ci": { type: "boolean" },
} as const;

/** Where targets come from, in the order given. */
export type TargetSource = { repo: string } | { reposFile: string };

/** Options shared by `push` and `status`. */
export interface CommonOptions {
  /** The version. */
  version: string;
  /** `--repo` values and `--repos-file` paths, in command-line order. */
  sources: TargetSource[];
  /** `--base-url` (else `GITEA_URL`). */
  baseUrl?: string | undefined;
  /** `--retry-failed` report path. */
  retryFailed?: string | undefined;
  /** `--shard` as given. */
  shard?: string | undefined;
  /** Normalised `--file`. */
  file: string;
  /** `--branch`. */
  branch?: string | undefined;
  /** `--concurrency`. */
  concurrency: number;
  /** `--timeout` in seconds. */
  timeoutSeconds: number;
  /** `--json` path or `-`. */
  json?: string | undefined;
  /** `--summary` path. */
  summary?: string | undefined;
  /** `--token-env`. */
  tokenEnv?: string | undefined;
  /** `--auth-user`. */
  authUser?: string | undefined;
  /** `--allow-insecure-http`. */
  allowInsecureHttp: boolean;
  /** `--verbose`: per-template logs on a terminal too. */
  verbose: boolean;
}

/** Options of `push`: the common ones plus what the engine's push needs. */
export interface PushOptions
  extends CommonOptions, Omit<PushConfig, keyof ReadConfig> {}

/** What the command line asks for. */
export type Command =
  | { command: "help"; topic?: "push" | "status" | undefined }
  | { command: "version" }
  | { command: "demo" }
  | { command: "push"; options: PushOptions }
  | { command: "status"; options: CommonOptions };

/** Parses the command line; throws {@linkcode UsageError}. */
export function parseCommand(args: readonly string[]): Command {
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
    throw new UsageError(
      `unknown command ${
        JSON.stringify(first.slice(0, 40))
      }: use push, status or demo`,
    );
  }
  const options = first === "push" ? { ...COMMON, ...PUSH_ONLY } : COMMON;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${first}: ${text.split("\n")[0]}`);
  }
  const values = parsed.values as Record<
    string,
    string | string[] | boolean | undefined
  >;
  if (values["help"]) return { command: "help", topic: first };
  const positionals = parsed.positionals;
  if (positionals.length === 0) {
    throw new UsageError(
      `${first}: missing the version, e.g. cascade ${first} 0.1.8 --repo owner/name`,
    );
  }
  if (positionals.length > 1) {
    throw new UsageError(
      `${first}: one version only; pass targets with --repo or --repos-file`,
    );
  }
  const version = positionals[0] ?? "";
  const problem = versionProblem(version);
  if (problem !== null) throw new UsageError(`version: ${problem}`);

  const str = (name: string) => values[name] as string | undefined;
  const list = (name: string) => (values[name] as string[] | undefined) ?? [];
  const file = normaliseVersionFilePath(str("file") ?? DEFAULT_VERSION_FILE);
  if (typeof file !== "string") throw new UsageError(file.problem);
  const branch = str("branch");
  if (branch !== undefined) checkBranch(branch);
  const common: CommonOptions = {
    version,
    sources: (parsed.tokens ?? []).flatMap((t): TargetSource[] => {
      if (t.kind !== "option" || t.value === undefined) return [];
      if (t.name === "repo") return [{ repo: t.value }];
      if (t.name === "repos-file") return [{ reposFile: t.value }];
      return [];
    }),
    baseUrl: str("base-url"),
    retryFailed: str("retry-failed"),
    shard: str("shard"),
    file,
    branch,
    concurrency: positiveInt("--concurrency", str("concurrency"), 8, 256),
    timeoutSeconds: positiveInt("--timeout", str("timeout"), 120, 86400),
    json: str("json"),
    summary: str("summary"),
    tokenEnv: str("token-env"),
    authUser: str("auth-user"),
    allowInsecureHttp: values["allow-insecure-http"] === true,
    verbose: values["verbose"] === true,
  };
  if (
    common.authUser !== undefined && !/^[^\s:]{1,64}$/.test(common.authUser)
  ) {
    throw new UsageError(`--auth-user must be a name without spaces or ':'`);
  }
  if (first === "status") return { command: "status", options: common };

  const author = parsePerson("--author", str("author") ?? DEFAULT_AUTHOR);
  const coAuthors = list("co-author").map((c) => parsePerson("--co-author", c));
  const template = str("message") ?? DEFAULT_MESSAGE;
  const message = buildMessage(template, version, coAuthors);
  if (values["allow-skip-ci"] !== true) {
    const lower = message.toLowerCase();
    const marker = SKIP_CI_MARKERS.find((m) => lower.includes(m));
    if (marker !== undefined) {
      throw new UsageError(
        `--message contains ${marker}, which would stop the templates' CI that the push exists to trigger; remove it or pass --allow-skip-ci`,
      );
    }
  }
  const probes = list("probe").map((p) => {
    const normal = normaliseVersionFilePath(p);
    if (typeof normal !== "string") {
      throw new UsageError(normal.problem.replace("--file", "--probe"));
    }
    return normal;
  });
  return {
    command: "push",
    options: {
      ...common,
      attempts: positiveInt("--attempts", str("attempts"), 3, 100),
      author,
      message,
      probes,
      dryRun: values["dry-run"] === true,
      noDowngrade: values["no-downgrade"] === true,
    },
  };
}

/** A positive integer option within bounds; `fallback` when absent. */
function positiveInt(
  flag: string,
  text: string | undefined,
  fallback: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  if (
    !/^\d{1,9}$/.test(text.trim()) || Number(text) < 1 || Number(text) > max
  ) {
    throw new UsageError(
      `${flag} must be a whole number from 1 to ${max}, not ${
        JSON.stringify(text.slice(0, 20))
      }`,
    );
  }
  return Number(text);
}

const PERSON = /^\s*([^<>\p{Cc}]+?)\s*<([^<>\s\p{Cc}]+@[^<>\s\p{Cc}]+)>\s*$/u;

/** `Name <email>`, one line. */
export function parsePerson(
  flag: string,
  text: string,
): { name: string; email: string } {
  const m = PERSON.exec(text);
  if (!m) {
    throw new UsageError(`${flag} must look like "Name <email@host>"`);
  }
  return { name: m[1] ?? "", email: m[2] ?? "" };
}

function checkBranch(branch: string): void {
  const bad = branch === "" || branch.startsWith("-") ||
    branch.startsWith("/") ||
    branch.endsWith("/") || branch.endsWith(".lock") || branch.endsWith(".") ||
    branch.includes("..") || branch.includes("@{") || branch.includes("//") ||
    // deno-lint-ignore no-control-regex
    /[\x00-\x20\x7f~^:?*[\\]/.test(branch) || branch.startsWith("refs/");
  if (bad) {
    throw new UsageError(
      `--branch ${
        JSON.stringify(branch.slice(0, 60))
      } is not a valid branch name`,
    );
  }
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

/** The usage text of `cascade --help` (and per command). */
export function usage(topic?: "push" | "status"): string {
  const common = `Targets (at least one):
  --repo <x>              URL, git@host:path, local path, or owner/name (repeatable)
  --repos-file <file>     one target per line; blank lines and # comments ignored
  --retry-failed <json>   the targets that failed in an earlier --json report
  --base-url <url>        server for owner/name targets (default: env GITEA_URL)
  --shard <i>/<n>         run a stable 1/n of the targets (for a CI matrix)

Common options:
  --file <path>           version file in each repo (default .runtime-version)
  --branch <name>         branch to use (default: each repo's default branch)
  --concurrency <n>       templates read and pushed at once (default 8; 1 = sequential)
  --timeout <seconds>     per git network operation (default 120)
  --json <file|->         write the JSON report
  --summary <file>        append the Markdown report (also $GITHUB_STEP_SUMMARY)
  --token-env <NAME>      read the token from NAME (default CASCADE_TOKEN, then DISPATCH_TOKEN)
  --auth-user <name>      user name sent with the token (default cascade)
  --allow-insecure-http   allow sending the token over plain http to a non-loopback host
  -v, --verbose           per-template logs on a terminal too (always shown in CI logs)
`;
  const pushOpts = `Push options:
  --attempts <n>          total push attempts per template (default 3)
  --author "Name <email>" commit author and committer (default ${DEFAULT_AUTHOR})
  --message <template>    commit message; {version} is replaced
                          (default "${DEFAULT_MESSAGE}")
  --co-author "N <e>"     add a Co-Authored-By: trailer (repeatable)
  --probe <path>          only templates where this file mentions the version file (repeatable)
  --dry-run               do everything but push
  --no-downgrade          skip templates that hold a higher version
  --allow-skip-ci         allow [skip ci]-style markers in the message
`;
  const exits =
    `Exit codes: 0 all updated/unchanged/skipped/superseded (status: all at the version),
  1 a template failed (status: drift or unreadable), 2 usage or input error,
  3 credentials refused (nothing pushed), 130 interrupted.
`;
  if (topic === "push") {
    return `Usage: cascade push <version> [targets] [options]\n\nWrites <version> into the version file of every template, commits and pushes\nto its default branch (never forced), so each template's CI rebuilds.\n\n${common}\n${pushOpts}\n${exits}`;
  }
  if (topic === "status") {
    return `Usage: cascade status <version> [targets] [options]\n\nRead only: shows each template's branch and version file, and whether it is\nat <version>.\n\n${common}\n${exits}`;
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

${exits}`;
}
