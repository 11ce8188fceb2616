/**
 * Seeding template repos with `git fast-import`: a bare repo with a
 * default branch, and commits of any size in one process each.
 *
 * @module
 */

import { FastImportStream } from "../../lib/git/fast_import.ts";
import type { GitRunner } from "../../lib/git/runner.ts";

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

/**
 * What `git init --bare -q --template= -b <branch>` writes (git 2.39), byte
 * for byte: `tests/seed_test.ts` holds it to real git. The suite makes
 * hundreds of template repos, and a git process per repo was the largest
 * share of its process starts.
 */
function bareRepoFiles(branch: string): Record<string, string> {
  return {
    HEAD: `ref: refs/heads/${branch}\n`,
    config:
      "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n",
  };
}

/** The directories `git init --bare --template=` makes. */
const BARE_REPO_DIRS: readonly string[] = [
  "objects/info",
  "objects/pack",
  "refs/heads",
  "refs/tags",
];

/**
 * Creates a bare repository whose default branch is `branch`, as
 * `git init --bare --template=` would, without starting git. The tests' branch
 * names are plain ones; anything else is refused rather than guessed at.
 */
export async function createBareRepo(
  path: string,
  branch: string,
): Promise<void> {
  if (
    !/^[A-Za-z0-9][A-Za-z0-9_-]*(\/[A-Za-z0-9][A-Za-z0-9_-]*)*$/.test(branch)
  ) {
    throw new Error(`createBareRepo: not a plain branch name: ${branch}`);
  }
  for (const dir of BARE_REPO_DIRS) {
    await Deno.mkdir(`${path}/${dir}`, { recursive: true });
  }
  for (const [name, text] of Object.entries(bareRepoFiles(branch))) {
    await Deno.writeTextFile(`${path}/${name}`, text, { createNew: true });
  }
}
