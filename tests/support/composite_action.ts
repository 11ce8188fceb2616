/**
 * Runs a composite action (`action.yml`) the way a GitHub or Gitea runner
 * does, for tests: inputs resolved against their declarations, `${{ … }}`
 * expressions substituted as text into `env:` values and `run:` scripts,
 * each script written to a file under `RUNNER_TEMP` and run with
 * `bash --noprofile --norc -eo pipefail {0}` (what `shell: bash` means), with
 * `GITHUB_ACTIONS=true`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY` and
 * `RUNNER_TEMP` set; step outputs are read back from `GITHUB_OUTPUT` and the
 * action's outputs computed from them.
 *
 * Only what cascade's action uses is supported (`run` steps in bash and the
 * contexts `inputs`, `github.action_path`, `github.server_url`,
 * `runner.temp`, `steps.<id>.outputs`, `env`); anything else throws, so a
 * change to `action.yml` the harness cannot emulate fails loudly.
 *
 * @module
 */

import { parse } from "npm:yaml@2.9.1";

/** An `inputs:` or `outputs:` entry of an action. */
export interface ActionIo {
  /** Shown to users. */
  description?: string;
  /** Inputs only. */
  required?: boolean;
  /** Inputs only: the value when not given. */
  default?: string;
  /** Outputs only: the expression giving the value. */
  value?: string;
}

/** One step of a composite action, as written. */
export interface ActionStep {
  /** Step id, for `steps.<id>.outputs`. */
  id?: string;
  /** Display name. */
  name?: string;
  /** The shell; only `bash` is supported. */
  shell?: string;
  /** The script. */
  run?: string;
  /** Another action; not supported. */
  uses?: string;
  /** Step environment (values may hold expressions). */
  env?: Record<string, string>;
  /** Anything else (`if`, `working-directory`, …) is refused. */
  [key: string]: unknown;
}

/** A parsed `action.yml`. */
export interface ActionFile {
  /** Action name. */
  name: string;
  /** Action description. */
  description: string;
  /** Declared inputs. */
  inputs: Record<string, ActionIo>;
  /** Declared outputs. */
  outputs: Record<string, ActionIo>;
  /** How it runs. */
  runs: { using: string; steps: ActionStep[] };
}

/** Reads and parses `action.yml` (throws when it is not valid YAML). */
export async function readActionFile(path: string): Promise<ActionFile> {
  return parse(await Deno.readTextFile(path)) as ActionFile;
}

/** How to run the action. */
export interface RunActionOptions {
  /** Directory holding `action.yml` (`github.action_path`). */
  actionDir: string;
  /** Inputs as a workflow's `with:` gives them. */
  inputs: Record<string, string>;
  /** Working directory of the steps (`GITHUB_WORKSPACE`). */
  workspace: string;
  /** `RUNNER_TEMP`: scripts, outputs and summaries are written here. */
  runnerTemp: string;
  /** The job's environment besides what the runner sets (PATH, HOME, …). */
  env: Record<string, string>;
  /** `github.server_url` and `GITHUB_SERVER_URL`. */
  serverUrl?: string;
  /**
   * Replaces every occurrence of `from` in the scripts with `to` (e.g. the
   * `npx --yes deno@…` prefix with the Deno running the tests); a `from` the
   * scripts do not hold throws.
   */
  replace?: { from: string; to: string };
}

/** What a run of the action did. */
export interface ActionRun {
  /** Exit code of the last step run (0 when every step passed). */
  code: number;
  /** The action's outputs, as a workflow sees them. */
  outputs: Record<string, string>;
  /** Outputs per step id. */
  steps: Record<string, Record<string, string>>;
  /** Everything the steps printed on stdout. */
  stdout: string;
  /** Everything the steps printed on stderr. */
  stderr: string;
  /** Paths of the script files written (kept until `runnerTemp` goes). */
  scripts: string[];
  /** The step summary written. */
  summary: string;
}

const EXPRESSION = /\$\{\{\s*(.*?)\s*\}\}/g;

/** Evaluates the few expressions a composite action like cascade's uses. */
function evaluate(expr: string, context: Context): string {
  let m: RegExpMatchArray | null;
  if ((m = /^inputs\.([A-Za-z0-9_-]+)$/.exec(expr))) {
    const name = m[1]!;
    if (!(name in context.inputs)) throw new Error(`unknown input ${name}`);
    return context.inputs[name] ?? "";
  }
  if (expr === "github.action_path") return context.actionDir;
  if (expr === "github.server_url") return context.serverUrl;
  if (expr === "runner.temp") return context.runnerTemp;
  if ((m = /^steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)$/.exec(expr))) {
    return context.steps[m[1]!]?.[m[2]!] ?? "";
  }
  if ((m = /^env\.([A-Za-z0-9_]+)$/.exec(expr))) {
    return context.env[m[1]!] ?? "";
  }
  throw new Error(`the harness does not evaluate \${{ ${expr} }}`);
}

interface Context {
  inputs: Record<string, string>;
  actionDir: string;
  serverUrl: string;
  runnerTemp: string;
  steps: Record<string, Record<string, string>>;
  env: Record<string, string>;
}

/** Substitutes every `${{ … }}` in `text`, as a runner does: as text. */
function substitute(text: string, context: Context): string {
  return text.replace(EXPRESSION, (_, expr: string) => evaluate(expr, context));
}

/**
 * Parses a `GITHUB_OUTPUT` file: `name=value` lines and
 * `name<<DELIMITER` … `DELIMITER` blocks.
 */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      if (end < 0) throw new Error(`unterminated output ${heredoc[1]}`);
      out[heredoc[1]!] = lines.slice(i + 1, end).join("\n");
      i = end;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) {
      throw new Error(`malformed output line ${JSON.stringify(line)}`);
    }
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

const STEP_KEYS = new Set(["id", "name", "shell", "run", "env"]);

/**
 * Runs the composite action in `options.actionDir` with `options.inputs`,
 * step by step, stopping at the first failing step (the action's outputs
 * are still computed, as a runner does).
 */
export async function runCompositeAction(
  options: RunActionOptions,
): Promise<ActionRun> {
  const action = await readActionFile(`${options.actionDir}/action.yml`);
  if (action.runs?.using !== "composite") {
    throw new Error("action.yml is not a composite action");
  }
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs ?? {})) {
    const value = options.inputs[name] ?? spec.default ?? "";
    if (spec.required && value === "") {
      throw new Error(`input ${name} is required`);
    }
    inputs[name] = value;
  }
  for (const name of Object.keys(options.inputs)) {
    if (!(name in inputs)) throw new Error(`action has no input ${name}`);
  }
  const serverUrl = options.serverUrl ?? "https://github.com";
  const context: Context = {
    inputs,
    actionDir: options.actionDir,
    serverUrl,
    runnerTemp: options.runnerTemp,
    steps: {},
    env: { ...options.env },
  };
  const run: ActionRun = {
    code: 0,
    outputs: {},
    steps: context.steps,
    stdout: "",
    stderr: "",
    scripts: [],
    summary: "",
  };
  const decoder = new TextDecoder();
  for (const [index, step] of action.runs.steps.entries()) {
    for (const key of Object.keys(step)) {
      if (!STEP_KEYS.has(key)) {
        throw new Error(`step ${index}: the harness does not support ${key}`);
      }
    }
    if (step.shell !== "bash" || typeof step.run !== "string") {
      throw new Error(`step ${index}: only run steps in bash are supported`);
    }
    let script = substitute(step.run, context);
    if (options.replace) {
      if (!script.includes(options.replace.from)) {
        throw new Error(`step ${index} does not hold ${options.replace.from}`);
      }
      script = script.replaceAll(options.replace.from, options.replace.to);
    }
    const file = `${options.runnerTemp}/step-${index}.sh`;
    await Deno.writeTextFile(file, script);
    run.scripts.push(file);
    const outputFile = `${options.runnerTemp}/output-${index}`;
    const summaryFile = `${options.runnerTemp}/summary-${index}`;
    await Deno.writeTextFile(outputFile, "");
    await Deno.writeTextFile(summaryFile, "");
    const stepEnv: Record<string, string> = {};
    for (const [name, value] of Object.entries(step.env ?? {})) {
      stepEnv[name] = substitute(String(value), context);
    }
    const out = await new Deno.Command("bash", {
      args: ["--noprofile", "--norc", "-eo", "pipefail", file],
      cwd: options.workspace,
      clearEnv: true,
      env: {
        ...options.env,
        GITHUB_ACTIONS: "true",
        GITHUB_WORKSPACE: options.workspace,
        GITHUB_SERVER_URL: serverUrl,
        GITHUB_ACTION_PATH: options.actionDir,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        RUNNER_TEMP: options.runnerTemp,
        ...stepEnv,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    run.stdout += decoder.decode(out.stdout);
    run.stderr += decoder.decode(out.stderr);
    run.summary += await Deno.readTextFile(summaryFile);
    if (step.id) {
      context.steps[step.id] = parseOutputFile(
        await Deno.readTextFile(outputFile),
      );
    }
    run.code = out.code;
    if (out.code !== 0) break;
  }
  for (const [name, spec] of Object.entries(action.outputs ?? {})) {
    run.outputs[name] = substitute(spec.value ?? "", context);
  }
  return run;
}
