/**
 * Objects of a template's work repo: reading trees and files from what
 * was fetched in-process, else with one `git cat-file --batch`; and
 * writing the one-file commit: in-process where the trees on the file's
 * path were read (`object_write.ts`), else with one `git fast-import`.
 *
 * @module
 */

import { FastImportStream } from "./fast_import.ts";
import {
  commitObject,
  gitObject,
  type GitObjectData,
  hexOf,
  packOf,
  scanTree,
  signature,
  signedAt,
  treeWith,
  writeLoose,
} from "./object_write.ts";
import { commitNonce, withNonce } from "./nonce.ts";
import { TemplateError } from "../errors.ts";
import {
  gitFailure,
  handOver,
  type RemoteContext,
  signalOf,
} from "./context.ts";

/** One entry of a tree listing (`ls-tree` output). */
export interface TreeEntry {
  /** File mode as git prints it (`100644`, `040000`, `120000`, ...). */
  mode: string;
  /** `blob`, `tree` or `commit`. */
  type: string;
  /** Object id. */
  oid: string;
  /** Entry name (one path segment). */
  name: string;
}

/** An object read with `cat-file --batch`. */
export interface GitObject {
  /** `blob`, `tree` or `commit`. */
  type: string;
  /** Raw content (empty when `tooLarge`). */
  bytes: Uint8Array;
  /** Its size in bytes, as git gives it. */
  size?: number;
  /** True when it is larger than its cap: not read. */
  tooLarge?: true;
}

/** Largest blob read from a template by default: 1 MiB. */
const MAX_BLOB_BYTES = 1024 * 1024;
/** Largest tree read from a template: 8 MiB. */
export const MAX_TREE_BYTES = 8 * 1024 * 1024;

/** The largest size read of one object; larger ones are not read. */
export type ObjectCap = (spec: string, type: string) => number;

const DEFAULT_CAP: ObjectCap = (_spec, type) =>
  type === "tree" ? MAX_TREE_BYTES : MAX_BLOB_BYTES;

/** Output of the one-pass read kept before the size-checked read: 16 MiB. */
const ONE_PASS_BYTES = 16 * 1024 * 1024;

/**
 * Reads objects, each bounded by its cap (`cap`, default
 * {@linkcode MAX_BLOB_BYTES} for a blob, {@linkcode MAX_TREE_BYTES} for a
 * tree): from the objects fetched in-process (`ctx.fetched`) when they
 * answer every spec, else one `git cat-file --batch` whose output cascade
 * keeps up to 16 MiB; when git says more than that, the read is done
 * again checked for size first (`--batch-check`, then `--batch` of those
 * within their cap), so no large file is ever held. Objects the filtered
 * fetch left out are fetched lazily from the promisor remote. `specs` are
 * object names like `TIP^{tree}` or `TIP:path`; the result maps each spec
 * to the object (`tooLarge` and no bytes beyond its cap), or null when it
 * does not exist.
 */
export async function readObjects(
  ctx: RemoteContext,
  specs: readonly string[],
  cap: ObjectCap = DEFAULT_CAP,
): Promise<Map<string, GitObject | null>> {
  if (specs.length === 0) return new Map();
  const capped = (spec: string, found: SizedObject | null | undefined) =>
    found === undefined || found === null
      ? null
      : found.size > cap(spec, found.type)
      ? { ...found, bytes: new Uint8Array(), tooLarge: true as const }
      : found;
  const held = ctx.fetched === undefined
    ? null
    : fromFetched(ctx.fetched.objects, specs);
  if (held !== null) {
    return new Map(specs.map((spec) => [spec, capped(spec, held.get(spec))]));
  }
  await handOver(ctx);
  const once = await batch(ctx, "--batch", specs);
  if (once !== "too-large") {
    return new Map(specs.map((spec) => [spec, capped(spec, once.get(spec))]));
  }
  const sizes = await batch(ctx, "--batch-check", specs);
  if (sizes === "too-large") throw tooLargeToRead();
  const wanted = specs.filter((spec) => {
    const found = capped(spec, sizes.get(spec));
    return found !== null && found.tooLarge !== true;
  });
  const read = await batch(ctx, "--batch", wanted);
  if (read === "too-large") throw tooLargeToRead();
  return new Map(specs.map((spec) => [
    spec,
    wanted.includes(spec)
      ? read.get(spec) ?? null
      : capped(spec, sizes.get(spec)),
  ]));
}

type SizedObject = GitObject & { size: number };

/**
 * `specs` (`<tip>^{tree}` or `<tip>:<path>`) answered from objects fetched
 * in-process, as `cat-file --batch` would answer them: null for a spec
 * that names nothing (no such entry, a path through a file, a submodule).
 * Null for the whole when one cannot be answered here: an object on the
 * way was not fetched (git fetches it lazily) or a spec of another form.
 */
function fromFetched(
  objects: ReadonlyMap<string, { type: string; body: Uint8Array }>,
  specs: readonly string[],
): Map<string, SizedObject | null> | null {
  const answers = new Map<string, SizedObject | null>();
  const decoder = new TextDecoder();
  for (const spec of specs) {
    const m = /^([0-9a-f]{40})(?:\^\{tree\}|:(.+))$/.exec(spec);
    const commit = objects.get(m?.[1] ?? "");
    if (m === null || commit?.type !== "commit") return null;
    const tree = /^tree ([0-9a-f]{40})\n/.exec(
      decoder.decode(commit.body.subarray(0, 46)),
    )?.[1];
    let found = objects.get(tree ?? "");
    if (found === undefined) return null;
    const segments = m[2]?.split("/") ?? [];
    if (segments.some((s) => s === "" || s === "." || s === "..")) return null;
    let missing = false;
    for (const segment of segments) {
      const entry = found.type === "tree"
        ? parseTree(found.body, 20).find((e) => e.name === segment)
        : undefined;
      if (entry === undefined || entry.type === "commit") {
        missing = true;
        break;
      }
      found = objects.get(entry.oid);
      if (found === undefined) return null;
    }
    answers.set(
      spec,
      missing
        ? null
        : { type: found.type, size: found.body.length, bytes: found.body },
    );
  }
  return answers;
}

function tooLargeToRead(): TemplateError {
  return new TemplateError(
    "invalid",
    "reading files: git's answer was larger than cascade reads; the template's files are too large",
  );
}

/**
 * One `cat-file` run: each spec's header and (with `--batch`) content;
 * `too-large` when git said more than {@linkcode ONE_PASS_BYTES}.
 */
async function batch(
  ctx: RemoteContext,
  mode: "--batch" | "--batch-check",
  specs: readonly string[],
): Promise<Map<string, SizedObject | null> | "too-large"> {
  const result = new Map<string, SizedObject | null>();
  if (specs.length === 0) return result;
  const out = await ctx.git(["cat-file", mode], {
    cwd: ctx.gitDir,
    env: ctx.env,
    timeoutMs: ctx.timeoutMs,
    ...signalOf(ctx),
    stdin: `${specs.join("\n")}\n`,
    maxStdoutBytes: ONE_PASS_BYTES,
  });
  if (out.code !== 0) gitFailure(out, "reading files", ctx);
  if ((out.stdoutDropped ?? 0) > 0) return "too-large";
  const bytes = out.stdoutBytes;
  const decoder = new TextDecoder();
  let pos = 0;
  for (const spec of specs) {
    const eol = bytes.indexOf(0x0a, pos);
    if (eol < 0) break;
    const header = decoder.decode(
      bytes.subarray(pos, Math.min(eol, pos + 256)),
    );
    pos = eol + 1;
    const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!m) {
      result.set(spec, null); // "<spec> missing" or "ambiguous"
      continue;
    }
    const size = Number(m[2]);
    const content = mode === "--batch" ? bytes.slice(pos, pos + size) : null;
    result.set(spec, {
      type: m[1] ?? "",
      size,
      bytes: content ?? new Uint8Array(),
    });
    if (content !== null) pos += size + 1;
  }
  return result;
}

/** Parses a raw tree object (as `cat-file --batch` prints it). */
export function parseTree(bytes: Uint8Array, hashBytes: number): TreeEntry[] {
  const decoder = new TextDecoder();
  return scanTree(bytes, hashBytes).entries.map((entry) => {
    const mode = decoder.decode(entry.mode).padStart(6, "0");
    const type = mode === "040000"
      ? "tree"
      : mode === "160000"
      ? "commit"
      : "blob";
    return {
      mode,
      type,
      oid: hexOf(entry.oid),
      name: decoder.decode(entry.name),
    };
  });
}

/** A one-file commit for {@linkcode importCommit}. */
export interface OneFileCommit {
  /** The parent (the branch tip). */
  parent: string;
  /** Path of the file in the repo. */
  path: string;
  /** File mode to write (keep the existing one). */
  mode: string;
  /** New file content. */
  content: Uint8Array;
  /** Full commit message (a `Cascade-Nonce` trailer is added). */
  message: string;
  /** Author and committer. */
  author: { name: string; email: string };
  /** When it is made: milliseconds since the epoch (the run's clock). */
  at: number;
}

/**
 * Writes the one-file commit: in-process when `trees` holds the raw trees
 * on the file's path (root first; null for a directory not there yet), the
 * repo is SHA-1 and the mode is a plain file's; else with
 * {@linkcode importCommit}. In-process, the blob, the new trees and the
 * commit are written loose into the work repo (where `git push` and
 * `git merge-base` find them) and their pack is kept in `ctx.written`
 * for the in-process push. Either way the commit is the one fast-import
 * would write, at the same second. Returns the commit id.
 */
export async function writeCommit(
  ctx: RemoteContext,
  commit: OneFileCommit,
  trees?: readonly (Uint8Array | null)[],
): Promise<string> {
  const made = trees === undefined ? null : inProcessCommit(commit, trees);
  if (made === null) return await importCommit(ctx, commit);
  for (const object of made) await writeLoose(ctx.gitDir, object);
  const id = made[made.length - 1]?.oid ?? "";
  // One pack held per template: the newest commit is the one pushed.
  ctx.written?.clear();
  ctx.written?.set(id, packOf(made));
  return id;
}

/**
 * The objects of the one-file commit, the commit last; null when it is
 * left to fast-import (see {@linkcode writeCommit}).
 */
function inProcessCommit(
  commit: OneFileCommit,
  trees: readonly (Uint8Array | null)[],
): GitObjectData[] | null {
  const segments = commit.path.split("/");
  if (
    commit.parent.length !== 40 || trees.length !== segments.length ||
    (commit.mode !== "100644" && commit.mode !== "100755")
  ) {
    return null;
  }
  const blob = gitObject("blob", commit.content);
  const made: GitObjectData[] = [blob];
  let oid = blob.oid;
  let mode = commit.mode;
  for (let depth = segments.length - 1; depth >= 0; depth--) {
    const tree = treeWith(
      trees[depth] ?? null,
      segments[depth] ?? "",
      mode,
      oid,
    );
    if (tree === null) return null;
    const object = gitObject("tree", tree);
    made.push(object);
    oid = object.oid;
    mode = "40000";
  }
  const who = signedAt(commit.author, commit.at);
  made.push(commitObject({
    tree: oid,
    parents: [commit.parent],
    author: who,
    committer: who,
    message: withNonce(commit.message, commitNonce()),
  }));
  return made;
}

/**
 * Writes the one-file commit with one `git fast-import`: the blob, the trees
 * on the file's path (every other entry kept as is) and a commit whose only
 * parent is the tip, its message ending in a random `Cascade-Nonce`
 * trailer (see `nonce.ts`): its id cannot be guessed before the push.
 * Returns the commit id.
 */
export async function importCommit(
  ctx: RemoteContext,
  commit: OneFileCommit,
): Promise<string> {
  await handOver(ctx);
  const who = signature(signedAt(commit.author, commit.at));
  const stream = new FastImportStream();
  // One local ref per parent: a retry on a new tip is never a non-fast-
  // forward update of a ref fast-import would refuse.
  stream.text(`feature done\ncommit refs/cascade/${commit.parent}\nmark :1\n`);
  stream.text(`author ${who}\ncommitter ${who}\n`);
  stream.data(withNonce(commit.message, commitNonce()));
  stream.text(`from ${commit.parent}\n`);
  stream.text(
    `M ${commit.mode} inline "${commit.path.replaceAll('"', '\\"')}"\n`,
  );
  stream.data(commit.content);
  stream.text("get-mark :1\ndone\n");
  const out = await ctx.git(
    ["fast-import", "--quiet", "--date-format=raw"],
    { cwd: ctx.gitDir, env: ctx.env, stdin: stream.bytes(), ...signalOf(ctx) },
  );
  const id = /^([0-9a-f]{40,64})$/m.exec(out.stdout)?.[1];
  if (out.code !== 0 || id === undefined) {
    gitFailure(out, "writing the commit", ctx);
  }
  return id;
}
