/**
 * The one fixture builder: temporary bare template repos made with real,
 * hermetic git, server-side assertions helpers, and ways to run cascade
 * (in-process through `main`, or as a subprocess).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { main, type MainIo } from "../../cascade.ts";
import {
  BASE_GIT_CONFIG,
  configEnv,
  createGitRunner,
  type GitOutput,
  type GitRunner,
  hermeticEnv,
} from "../../lib/git/runner.ts";
import { type SeedCommit, seedCommit } from "./seed.ts";
import { initBareRepo } from "../../lib/git/init_repo.ts";
import type { Sinks } from "../../lib/console/console.ts";

/** Path of the entry point, for subprocess runs. */
export const CASCADE = fileURLToPath(
  new URL("../../cascade.ts", import.meta.url),
);

/** A commit as the server holds it. */
export interface CommitInfo {
  /** Commit id. */
  sha: string;
  /** Parent ids. */
  parents: string[];
  /** `Name <email>` of the author. */
  author: string;
  /** `Name <email>` of the committer. */
  committer: string;
  /**
   * The message as cascade was asked to write it: the full message less
   * the `Cascade-Nonce` trailer cascade adds (see `lib/git/nonce.ts`).
   */
  message: string;
  /** That trailer's value (32 hex digits), or null when there is none. */
  nonce: string | null;
  /** The full message, trailer included, exactly as the commit holds it. */
  rawMessage: string;
}

/** What a cascade run printed and returned. */
export interface RunResult {
  /** Exit code. */
  code: number;
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr. */
  stderr: string;
}

/** Temporary repos for one test; `await using` removes them all. */
export class Fixture implements AsyncDisposable {
  /** Root temp dir of this fixture. */
  readonly root: string;
  /** Hermetic git for building and inspecting repos. */
  readonly git: GitRunner;

  private constructor(root: string, git: GitRunner) {
    this.root = root;
    this.git = git;
  }

  /** Makes a fixture with its own temp dir and hermetic git. */
  static async create(): Promise<Fixture> {
    const root = await Deno.makeTempDir({ prefix: "cascade-test-" });
    await Deno.mkdir(`${root}/home`);
    await Deno.mkdir(`${root}/srv`);
    const git = createGitRunner({
      ...hermeticEnv(`${root}/home`),
      ...configEnv([
        ...BASE_GIT_CONFIG,
        ["uploadpack.allowFilter", "true"],
        ["uploadpack.allowAnySHA1InWant", "true"],
      ]),
    });
    return new Fixture(root, git);
  }

  /**
   * Makes a bare template repo `srv/<name>.git` whose default branch is
   * `branch`, with one commit holding `files` (none: an empty repo).
   */
  async repo(
    name: string,
    files: SeedCommit["files"] | null,
    branch = "main",
  ): Promise<string> {
    const path = `${this.root}/srv/${name}.git`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await initBareRepo(path, branch);
    // What `git config` would write, without a process per setting (the
    // suite makes hundreds of repos). A server runs its own maintenance: no
    // `git gc --auto` after every push it receives.
    await Deno.writeTextFile(
      `${path}/config`,
      "[uploadpack]\n\tallowFilter = true\n\tallowAnySHA1InWant = true\n" +
        "[receive]\n\tautogc = false\n",
      { append: true },
    );
    if (files !== null) {
      await seedCommit(this.git, path, {
        branch,
        files,
        message: "seed\n",
        newBranch: true,
      });
    }
    return path;
  }

  /** Adds a commit on the server side, as another publisher would. */
  commit(path: string, commit: SeedCommit): Promise<string> {
    return seedCommit(this.git, path, commit);
  }

  /**
   * The branch tip, or null. A loose ref (what a push or a seed leaves) is
   * read as the file git reads; anything else is asked of git.
   */
  async tip(path: string, branch = "main"): Promise<string | null> {
    try {
      const loose = await Deno.readTextFile(`${path}/refs/heads/${branch}`);
      if (/^[0-9a-f]{40}(?:[0-9a-f]{24})?\n$/.test(loose)) return loose.trim();
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const out = await this.git([
      "rev-parse",
      "-q",
      "--verify",
      `refs/heads/${branch}`,
    ], {
      cwd: path,
    });
    return out.code === 0 ? out.stdout.trim() : null;
  }

  /** A file's bytes at a revision, or null when missing. */
  async file(
    path: string,
    rev: string,
    file: string,
  ): Promise<Uint8Array | null> {
    const out = await this.git(["cat-file", "blob", `${rev}:${file}`], {
      cwd: path,
    });
    return out.code === 0 ? out.stdoutBytes : null;
  }

  /** A file's text at a revision, or null when missing. */
  async text(path: string, rev: string, file: string): Promise<string | null> {
    const bytes = await this.file(path, rev, file);
    return bytes === null ? null : new TextDecoder().decode(bytes);
  }

  /** Commit details. */
  async show(path: string, rev: string): Promise<CommitInfo> {
    // One process: `cat-file --batch` answers "<sha> commit <size>\n<body>".
    const out = await this.git(["cat-file", "--batch"], {
      cwd: path,
      stdin: new TextEncoder().encode(`${rev}^{commit}\n`),
    });
    const header = /^([0-9a-f]{40,64}) commit (\d+)\n/.exec(out.stdout);
    if (out.code !== 0 || header === null) {
      throw new Error(`git cat-file ${rev}: ${out.stdout}${out.stderr}`);
    }
    const sha = header[1]!;
    const text = new TextDecoder().decode(
      out.stdoutBytes.subarray(
        header[0].length,
        header[0].length + Number(header[2]),
      ),
    );
    const [head = "", ...body] = text.split("\n\n");
    const field = (name: string) =>
      head.split("\n").filter((l) => l.startsWith(`${name} `)).map((l) =>
        l.slice(name.length + 1)
      );
    const person = (line = "") => line.replace(/ \d+ [+-]\d{4}$/, "");
    const rawMessage = body.join("\n\n");
    const nonce = /(\n\n|\n)Cascade-Nonce: ([0-9a-f]{32})\n$/.exec(rawMessage);
    return {
      sha,
      parents: field("parent"),
      author: person(field("author")[0]),
      committer: person(field("committer")[0]),
      message: nonce === null
        ? rawMessage
        : `${rawMessage.slice(0, nonce.index)}\n`,
      nonce: nonce?.[2] ?? null,
      rawMessage,
    };
  }

  /** Number of commits reachable from the branch. */
  async count(path: string, branch = "main"): Promise<number> {
    return Number(
      await this.#git(path, ["rev-list", "--count", `refs/heads/${branch}`]),
    );
  }

  /** Paths a commit changed against its first parent. */
  async changed(path: string, rev: string): Promise<string[]> {
    const out = await this.#git(path, [
      "diff-tree",
      "-r",
      "--name-only",
      "--no-commit-id",
      `${rev}^`,
      rev,
    ]);
    return out.split("\n").filter(Boolean);
  }

  /** Whether `ancestor` is an ancestor of (or equal to) `rev`. */
  async isAncestor(
    path: string,
    ancestor: string,
    rev: string,
  ): Promise<boolean> {
    const out = await this.git(["merge-base", "--is-ancestor", ancestor, rev], {
      cwd: path,
    });
    return out.code === 0;
  }

  /** Branch names of the repo. */
  async branches(path: string): Promise<string[]> {
    const out = await this.#git(path, [
      "for-each-ref",
      "--format=%(refname:short)",
      "refs/heads",
    ]);
    return out.split("\n").filter(Boolean);
  }

  /** Installs an executable hook in a bare repo. */
  async hook(path: string, name: string, script: string): Promise<void> {
    await Deno.mkdir(`${path}/hooks`, { recursive: true });
    await Deno.writeTextFile(`${path}/hooks/${name}`, script, { mode: 0o755 });
  }

  /**
   * Installs a `git` shim in `<root>/bin` that runs the shell `prelude`,
   * then the real git; returns a PATH with the shim first.
   */
  async gitShim(prelude: string): Promise<string> {
    const which = await new Deno.Command("sh", {
      args: ["-c", "command -v git"],
    }).output();
    const realGit = new TextDecoder().decode(which.stdout).trim();
    const bin = `${this.root}/bin`;
    await Deno.mkdir(bin, { recursive: true });
    await Deno.writeTextFile(
      `${bin}/git`,
      `#!/bin/sh\n${prelude}\nexec "${realGit}" "$@"\n`,
      { mode: 0o755 },
    );
    return `${bin}:${Deno.env.get("PATH")}`;
  }

  /** Writes a file under the fixture root; returns its path. */
  async write(name: string, text: string): Promise<string> {
    const path = `${this.root}/${name}`;
    await Deno.writeTextFile(path, text);
    return path;
  }

  async #git(path: string, args: string[]): Promise<string> {
    const out = await this.git(args, { cwd: path });
    if (out.code !== 0) throw new Error(`git ${args.join(" ")}: ${out.stderr}`);
    return out.stdout.trim();
  }

  /** Removes every temp dir of the fixture. */
  async [Symbol.asyncDispose](): Promise<void> {
    await Deno.remove(this.root, { recursive: true });
  }
}

/** In-memory sinks. */
export function memorySinks(
  isTerminal = false,
): Sinks & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    isTerminal,
  };
}

/**
 * Runs cascade in-process with `env` as its whole environment view (the
 * process environment is not consulted for tokens or Actions variables).
 */
export async function runCascade(
  args: string[],
  env: Record<string, string> = {},
  io: Partial<MainIo> = {},
): Promise<RunResult> {
  const sinks = memorySinks();
  const code = await main(args, {
    sinks,
    env: (name) => env[name],
    handleSignals: false,
    backoff: { baseMs: 5, maxMs: 20, random: Math.random },
    // The stand-ins' CI ends in milliseconds: poll at that pace, not the
    // default 1.7 s (tests of the defaults pass their own).
    ciPolling: { minIntervalMs: 15, maxIntervalMs: 40 },
    ...io,
  });
  return { code, stdout: sinks.out.join(""), stderr: sinks.err.join("") };
}

/** Reads a JSON report written by a run. */
export async function readReport<T = Record<string, unknown>>(
  path: string,
): Promise<T> {
  return JSON.parse(await Deno.readTextFile(path)) as T;
}

/** How to start cascade as a subprocess. */
export interface SubprocessOptions {
  /** Extra environment. */
  env?: Record<string, string>;
  /** HOME and TMPDIR. */
  tmpDir: string;
  /** PATH (default: the test's). */
  path?: string;
  /** `--allow-net=<hosts>` (default: none, so refs are read with git). */
  allowNet?: string;
  /** The working directory (default: the test's). */
  cwd?: string;
}

/**
 * Starts cascade as a subprocess (the way users run it), with a clean
 * environment: PATH, HOME and TMPDIR of the caller's choosing plus `env`.
 */
export function spawnCascade(
  args: string[],
  options: SubprocessOptions,
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--allow-run=git",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      ...(options.allowNet ? [`--allow-net=${options.allowNet}`] : []),
      CASCADE,
      ...args,
    ],
    ...(options.cwd ? { cwd: options.cwd } : {}),
    clearEnv: true,
    env: {
      PATH: options.path ?? Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: options.tmpDir,
      TMPDIR: options.tmpDir,
      DENO_DIR: Deno.env.get("DENO_DIR") ??
        `${Deno.env.get("HOME")}/.cache/deno`,
      NO_COLOR: "1",
      ...options.env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs cascade as a subprocess to the end. */
export async function runCascadeProcess(
  args: string[],
  options: SubprocessOptions,
): Promise<RunResult> {
  const out = await spawnCascade(args, options).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/**
 * What a git that exited 0 printing `stdout` returns, for `args`; `more`
 * overrides any field (a failure's code and stderr).
 */
export function gitAnswer(
  args: readonly string[],
  stdout: string,
  more: Partial<GitOutput> = {},
): GitOutput {
  return {
    args,
    code: 0,
    stdout,
    stdoutBytes: new TextEncoder().encode(stdout),
    stderr: "",
    timedOut: false,
    aborted: false,
    ...more,
  };
}

/** A git runner that answers every call with `stdout` and exit 0. */
export function cannedGit(stdout: string): GitRunner {
  return (args) => Promise.resolve(gitAnswer(args, stdout));
}
