/**
 * Seeding template repos with commits of any size (the repos themselves
 * are made by `lib/git/init_repo.ts`). A first commit of plain paths is
 * written in-process as loose objects (`lib/git/object_write.ts`, the
 * writer cascade's own commits use); anything else with one
 * `git fast-import`. The suite seeds hundreds of repos, and fast-import
 * was its heaviest git start.
 *
 * @module
 */

import { FastImportStream } from "../../lib/git/fast_import.ts";
import type { GitRunner } from "../../lib/git/runner.ts";
import {
  commitObject,
  gitObject,
  type GitObjectData,
  treeOf,
  writeLoose,
} from "../../lib/git/object_write.ts";

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
  const ref = `refs/heads/${commit.branch}`;
  const who = commit.author ?? "Template Maintainer <maintainer@example.com>";
  const time = commit.time ?? 1_700_000_000;
  const isNew = commit.newBranch || await noSuchRef(gitDir, ref);
  if (isNew && await inProcess(gitDir, commit)) {
    return await writeFirstCommit(gitDir, commit, ref, who, time);
  }
  const exists = isNew
    ? null
    : await git(["rev-parse", "--verify", "-q", ref], { cwd: gitDir });
  const stream = new FastImportStream();
  const text = (t: string) => stream.text(t);
  const data = (d: string | Uint8Array) => stream.data(d);
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
 * True when `gitDir` is a bare repo that surely has no `ref`: no loose
 * ref file and no `packed-refs` (false when it may have it: git is asked).
 */
async function noSuchRef(gitDir: string, ref: string): Promise<boolean> {
  const head = await Deno.lstat(`${gitDir}/HEAD`).catch(() => null);
  if (head?.isFile !== true) return false;
  for (const path of [`${gitDir}/${ref}`, `${gitDir}/packed-refs`]) {
    try {
      await Deno.lstat(path);
      return false;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return true;
}

/** A path segment fast-import would take unquoted and git would store. */
const PLAIN_SEGMENT = /^(?!\.{1,2}$)(?!\.git$)[^\p{Cc}"\\/]+$/u;
/** A name, then `<email>`, as one ident. */
const PERSON = /^([^<>\n]+) <([^<>\s]+)>$/;

/**
 * Whether the in-process writer makes exactly what fast-import would: a
 * bare SHA-1 repo, plain paths (no quoting, no `.git`, no path both a file
 * and a directory), a plain person.
 */
async function inProcess(gitDir: string, commit: SeedCommit): Promise<boolean> {
  const config = await Deno.readTextFile(`${gitDir}/config`).catch(() => null);
  if (config === null || /objectformat|bare = false/i.test(config)) {
    return false;
  }
  if (commit.author !== undefined && !PERSON.test(commit.author)) return false;
  const paths = Object.keys(commit.files);
  const dirs = new Set(
    paths.flatMap((p) =>
      p.split("/").slice(0, -1).map((_, i, all) =>
        all.slice(0, i + 1).join("/")
      )
    ),
  );
  return paths.every((path) =>
    path.split("/").every((segment) => PLAIN_SEGMENT.test(segment)) &&
    !dirs.has(path)
  );
}

/** A directory of a first commit being built: files and subdirectories. */
interface SeedDir {
  files: Map<string, { mode: string; oid: string }>;
  dirs: Map<string, SeedDir>;
}

/**
 * Writes the first commit of `branch` (files only, no parent) as loose
 * objects and points the branch at it: the bytes fast-import would store.
 */
async function writeFirstCommit(
  gitDir: string,
  commit: SeedCommit,
  ref: string,
  who: string,
  time: number,
): Promise<string> {
  const objects: GitObjectData[] = [];
  const root: SeedDir = { files: new Map(), dirs: new Map() };
  for (const [path, file] of Object.entries(commit.files)) {
    if (file === null) continue;
    const { mode, content } =
      typeof file === "string" || file instanceof Uint8Array
        ? { mode: "100644", content: file }
        : { mode: file.mode, content: file.data };
    const blob = gitObject("blob", content);
    objects.push(blob);
    const segments = path.split("/");
    let dir = root;
    for (const segment of segments.slice(0, -1)) {
      let sub = dir.dirs.get(segment);
      if (sub === undefined) {
        sub = { files: new Map(), dirs: new Map() };
        dir.dirs.set(segment, sub);
      }
      dir = sub;
    }
    dir.files.set(segments.at(-1) ?? path, { mode, oid: blob.oid });
  }
  const treeOfDir = (dir: SeedDir): string => {
    const entries = [
      ...[...dir.files].map(([name, f]) => ({ name, ...f })),
      ...[...dir.dirs].map(([name, sub]) => ({
        name,
        mode: "40000",
        oid: treeOfDir(sub),
      })),
    ];
    const tree = gitObject("tree", treeOf(entries));
    objects.push(tree);
    return tree.oid;
  };
  const [, name = "", email = ""] = PERSON.exec(who) ?? [];
  const person = { name, email, seconds: time, offsetMinutes: 0 };
  const made = commitObject({
    tree: treeOfDir(root),
    parents: [],
    author: person,
    committer: person,
    message: commit.message ?? "seed\n",
  });
  objects.push(made);
  for (const object of objects) await writeLoose(gitDir, object);
  const refPath = `${gitDir}/${ref}`;
  await Deno.mkdir(refPath.slice(0, refPath.lastIndexOf("/")), {
    recursive: true,
  });
  await Deno.writeTextFile(refPath, `${made.oid}\n`);
  return made.oid;
}
