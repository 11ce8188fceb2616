/**
 * `cascade demo`: a cascade over throwaway local template repos, so a
 * newcomer sees what it does with nothing to configure. Also home of
 * {@linkcode seedCommit}, the fast-import recipe the tests reuse.
 *
 * @module
 */

import { FastImportStream } from "../git/fast_import.ts";
import {
  BASE_GIT_CONFIG,
  configEnv,
  createGitRunner,
  type GitRunner,
  hermeticEnv,
} from "../git/runner.ts";

/** One file of a seeded commit: text, bytes, or a mode and content. */
export type SeedFile =
  | string
  | Uint8Array
  | { mode: "100644" | "100755" | "120000"; data: string | Uint8Array };

/** A commit to seed with `git fast-import` (one process, any size). */
export interface SeedCommit {
  /** Branch to commit to (created when missing). */
  branch: string;
  /** Files to add or replace, by path; null deletes. */
  files: Record<string, SeedFile | null>;
  /** Commit message. */
  message?: string;
  /** `Name <email>` of author and committer. */
  author?: string;
  /** Commit time (seconds since the epoch). */
  time?: number;
  /**
   * The branch is known not to exist yet (a repo just made): skips asking
   * git for its tip.
   */
  newBranch?: boolean;
}

/**
 * Adds a commit to `branch` of the repository at `gitDir` (bare or not)
 * with `git fast-import`, on top of the branch's tip when it exists.
 * Returns the new commit id.
 */
export async function seedCommit(
  git: GitRunner,
  gitDir: string,
  commit: SeedCommit,
): Promise<string> {
  const stream = new FastImportStream();
  const text = (t: string) => stream.text(t);
  const data = (d: string | Uint8Array) => stream.data(d);
  const ref = `refs/heads/${commit.branch}`;
  const exists = commit.newBranch
    ? null
    : await git(["rev-parse", "--verify", "-q", ref], { cwd: gitDir });
  const who = commit.author ?? "Template Maintainer <maintainer@example.com>";
  const time = commit.time ?? 1_700_000_000;
  text(`commit ${ref}\nmark :1\n`);
  text(`author ${who} ${time} +0000\ncommitter ${who} ${time} +0000\n`);
  data(commit.message ?? "seed\n");
  if (exists?.code === 0) text(`from ${exists.stdout.trim()}\n`);
  for (const [path, file] of Object.entries(commit.files)) {
    if (file === null) {
      text(`D ${path}\n`);
      continue;
    }
    const { mode, content } =
      typeof file === "string" || file instanceof Uint8Array
        ? { mode: "100644", content: file }
        : { mode: file.mode, content: file.data };
    text(`M ${mode} inline ${path}\n`);
    data(content);
  }
  text("get-mark :1\n");
  const id = /^([0-9a-f]{40,64})$/m.exec(await stream.run(git, gitDir))?.[1];
  if (id === undefined) throw new Error("fast-import gave no commit id");
  return id;
}

/** Creates a bare repository whose default branch is `branch`. */
export async function createBareRepo(
  git: GitRunner,
  path: string,
  branch: string,
): Promise<void> {
  const out = await git(["init", "--bare", "-q", "-b", branch, path]);
  if (out.code !== 0) throw new Error(`git init failed: ${out.stderr.trim()}`);
}

/** Template repos the demo makes: name, default branch, files. */
const DEMO_TEMPLATES: readonly {
  name: string;
  branch: string;
  files: Record<string, string>;
}[] = [
  {
    name: "python-slim",
    branch: "main",
    files: {
      ".runtime-version": "0.1.6\n",
      Dockerfile:
        'FROM python:3.12-slim\nCOPY .runtime-version /tmp/\nRUN pip install "runtime==$(cat /tmp/.runtime-version)"\n',
    },
  },
  {
    name: "python-gpu",
    branch: "trunk",
    files: {
      Dockerfile:
        'FROM nvidia/cuda:12.4.0-base\nCOPY .runtime-version /tmp/\nRUN pip install "runtime==$(cat /tmp/.runtime-version)"\n',
    },
  },
  {
    name: "node-lts",
    branch: "master",
    files: {
      ".runtime-version": "0.1.7\r\n",
      Dockerfile: "FROM node:22\nCOPY .runtime-version /tmp/\n",
    },
  },
  {
    name: "legacy-java",
    branch: "main",
    files: {
      Dockerfile: "FROM eclipse-temurin:21\nRUN pip install runtime==0.1.5\n",
    },
  },
];

/**
 * Runs the demo: makes the templates in a temp dir, runs a cascade with a
 * probe, runs it again to show it is a no-op, and removes everything.
 * `run` is cascade's own `main`.
 */
export async function runDemo(
  run: (args: string[]) => Promise<number>,
  say: (text: string) => void,
): Promise<number> {
  const root = await Deno.makeTempDir({ prefix: "cascade-demo-" });
  try {
    await Deno.mkdir(`${root}/home`);
    const git = createGitRunner({
      ...hermeticEnv(`${root}/home`),
      ...configEnv(BASE_GIT_CONFIG),
    });
    const repos: string[] = [];
    await Deno.mkdir(`${root}/templates`);
    for (const t of DEMO_TEMPLATES) {
      const path = `${root}/templates/${t.name}.git`;
      await createBareRepo(git, path, t.branch);
      await seedCommit(git, path, {
        branch: t.branch,
        files: t.files,
        message: "initial template\n",
      });
      repos.push(`templates/${t.name}`);
    }
    const args = [
      "0.1.8",
      "--base-url",
      `file://${root}`,
      ...repos.flatMap((r) => ["--repo", r]),
      "--probe",
      "Dockerfile",
    ];
    say(
      `Made ${repos.length} template repos under ${root}, default branches main, trunk,\n` +
        `master; legacy-java does not read .runtime-version, so the probe skips it.\n\n` +
        `$ cascade push 0.1.8 --base-url file://${root} \\\n` +
        `    ${repos.map((r) => `--repo ${r}`).join(" ")} --probe Dockerfile\n`,
    );
    const firstRun = await run(["push", ...args]);
    say(
      `\nexit ${firstRun}. Again: nothing changes, so nothing is committed.\n\n`,
    );
    const secondRun = await run(["push", ...args]);
    say(
      `\nexit ${secondRun}. And the read-only check, with the same probe:\n\n$ cascade status 0.1.8 ... --probe Dockerfile\n`,
    );
    const status = await run(["status", ...args]);
    say(
      `\nexit ${status} (legacy-java is skipped on purpose, not drift).\n` +
        `Removed ${root}. Next: cascade push --help\n`,
    );
    return firstRun === 0 && secondRun === 0 && status === 0 ? 0 : 1;
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}
