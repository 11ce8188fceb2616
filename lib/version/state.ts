/**
 * The version file inside one fetched tip: where it sits in the tree, what
 * it holds, and the one-file commit that changes it. One `cat-file` reads
 * the trees on the file's path, the file and the probes; the commit is
 * written from those trees in-process (`git/objects.ts`).
 *
 * @module
 */

import { TemplateError } from "../errors.ts";
import type { RemoteContext } from "../git/context.ts";
import { openTip } from "../git/remote.ts";
import {
  type GitObject,
  MAX_TREE_BYTES,
  parseTree,
  readObjects,
  type TreeEntry,
  writeCommit,
} from "../git/objects.ts";
import { missNote } from "./unmatched.ts";
import {
  isCurrent,
  parseVersionFile,
  renderVersionFile,
  type VersionFileContent,
} from "./file.ts";

/** The version file at one tip. */
export interface VersionState {
  /** The commit read. */
  tip: string;
  /** The file's entry, or null when it does not exist. */
  entry: TreeEntry | null;
  /** What it holds (null when absent). */
  content: VersionFileContent | null;
  /** True when it already holds the version. */
  current: boolean;
  /** Probe files that exist and mention the file's name (when asked). */
  wiredBy: string[];
  /** Probe files that exist (when asked). */
  probesFound?: string[];
  /** Names in the tip's root tree (for "did you mean"). */
  rootNames?: string[];
  /**
   * The raw trees on the file's path, root first (null: a directory not
   * there), for writing the commit in-process; absent when not all read.
   */
  trees?: (Uint8Array | null)[];
}

/** Largest version file read: 64 KiB (a version is at most 128 bytes). */
const MAX_VERSION_FILE_BYTES = 64 * 1024;
/** Largest probe file read: 4 MiB. */
const MAX_PROBE_BYTES = 4 * 1024 * 1024;

const MODE_NAMES: Record<string, string> = {
  "040000": "a directory",
  "120000": "a symlink",
  "160000": "a submodule",
};

/**
 * Reads the version file at `tip` (a fetched commit) with one
 * `cat-file --batch`: the trees on its path, the file and the `probes`.
 * `path` is the normalised relative path. Throws `invalid` when the path is
 * a directory, symlink or submodule, or runs through a file.
 */
export async function readVersionState(
  ctx: RemoteContext,
  tip: string,
  path: string,
  version: string,
  probes: readonly string[] = [],
): Promise<VersionState> {
  const segments = path.split("/");
  const fileName = segments[segments.length - 1] ?? path;
  const dirs = segments.map((_, depth) =>
    depth === 0
      ? `${tip}^{tree}`
      : `${tip}:${segments.slice(0, depth).join("/")}`
  );
  const fileSpec = `${tip}:${path}`;
  const probeSpecs = probes.map((p) => `${tip}:${p}`);
  const objects = await readObjects(
    ctx,
    [...dirs, fileSpec, ...probeSpecs],
    (spec, type) =>
      spec === fileSpec && type === "blob"
        ? MAX_VERSION_FILE_BYTES
        : type === "tree"
        ? MAX_TREE_BYTES
        : MAX_PROBE_BYTES,
  );
  refuseTooLarge(objects, dirs, probes, probeSpecs, path);
  const root = objects.get(dirs[0] ?? "");
  const rootNames = root?.type === "tree" && root.tooLarge !== true
    ? parseTree(root.bytes, tip.length / 2).map((e) => e.name)
    : [];
  const entry = entryOnPath(objects, dirs, segments, tip.length / 2);
  const trees = rawTrees(objects, dirs);
  const file = objects.get(fileSpec);
  const content: VersionFileContent | null = entry === null
    ? null
    : file?.tooLarge === true
    // Not read: a version file this large holds no version; it is
    // replaced like a binary one, its old value reported by its size.
    ? { value: null, display: `<too large, ${file.size} bytes>` }
    : file?.type === "blob"
    ? parseVersionFile(file.bytes)
    : { value: null, display: "?" };
  return {
    tip,
    entry,
    content,
    current: content !== null && isCurrent(content, version),
    ...probeFindings(
      probes,
      probeSpecs.map((spec) => objects.get(spec)),
      fileName,
    ),
    rootNames,
    ...(trees === null ? {} : { trees }),
  };
}

/**
 * The raw trees named by `dirs`, or null when one is not a tree that was
 * read (`entryOnPath` has refused a path through a file by then).
 */
function rawTrees(
  objects: ReadonlyMap<string, GitObject | null>,
  dirs: readonly string[],
): (Uint8Array | null)[] | null {
  const trees: (Uint8Array | null)[] = [];
  for (const spec of dirs) {
    const tree = objects.get(spec);
    if (tree === null || tree === undefined) trees.push(null);
    else if (tree.type === "tree" && tree.tooLarge !== true) {
      trees.push(tree.bytes);
    } else return null;
  }
  return trees;
}

/**
 * The version file's tree entry, walked down `dirs` (the trees on its
 * path, read): null when it is not there. Throws `invalid` when the path
 * runs through a file, or ends at a directory, symlink or submodule.
 */
function entryOnPath(
  objects: ReadonlyMap<string, GitObject | null>,
  dirs: readonly string[],
  segments: readonly string[],
  hashBytes: number,
): TreeEntry | null {
  const path = segments.join("/");
  let entry: TreeEntry | null = null;
  for (const [depth, spec] of dirs.entries()) {
    const tree = objects.get(spec);
    const listing = tree?.type === "tree"
      ? parseTree(tree.bytes, hashBytes)
      : null;
    const found = listing?.find((e) => e.name === segments[depth]) ?? null;
    const last = depth === segments.length - 1;
    if (found !== null && !last && found.mode !== "040000") {
      throw new TemplateError(
        "invalid",
        `${
          segments.slice(0, depth + 1).join("/")
        } is a file, so ${path} cannot be written; fix --file or the template`,
      );
    }
    if (last) entry = found;
  }
  if (entry !== null && MODE_NAMES[entry.mode] !== undefined) {
    throw new TemplateError(
      "invalid",
      `${path} is ${
        MODE_NAMES[entry.mode]
      }, not a file: make it a plain file in the template (cascade will not replace it)`,
    );
  }
  return entry;
}

/** The probes that exist, and those that mention `fileName`. */
function probeFindings(
  probes: readonly string[],
  found: readonly ({ type: string; bytes: Uint8Array } | null | undefined)[],
  fileName: string,
): { wiredBy: string[]; probesFound: string[] } {
  const blob = (i: number) => found[i]?.type === "blob" ? found[i] : null;
  return {
    probesFound: probes.filter((_probe, i) => blob(i) !== null),
    wiredBy: probes.filter((_probe, i) => {
      const probe = blob(i);
      return probe != null &&
        new TextDecoder().decode(probe.bytes).includes(fileName);
    }),
  };
}

/**
 * Throws `invalid` when a probe file or a directory on the path was too
 * large to read (see {@linkcode readObjects}'s caps).
 */
function refuseTooLarge(
  objects: ReadonlyMap<string, GitObject | null>,
  dirs: readonly string[],
  probes: readonly string[],
  probeSpecs: readonly string[],
  path: string,
): void {
  const tooLarge = probeSpecs.findIndex((spec) =>
    objects.get(spec)?.tooLarge === true
  );
  if (tooLarge >= 0) {
    throw new TemplateError(
      "invalid",
      `probe ${probes[tooLarge]}: the file is too large (${
        objects.get(probeSpecs[tooLarge] ?? "")?.size
      } bytes; cascade reads at most ${MAX_PROBE_BYTES}); name a smaller probe file`,
    );
  }
  if (dirs.some((spec) => objects.get(spec)?.tooLarge === true)) {
    throw new TemplateError(
      "invalid",
      `a directory on the path to ${path} is too large to read (more than ${MAX_TREE_BYTES} bytes of entries); cascade leaves this template alone`,
    );
  }
}

/** Tree levels to fetch so that `file` and every probe are read. */
export function treeDepth(file: string, probes: readonly string[]): number {
  return Math.max(...[file, ...probes].map((p) => p.split("/").length));
}

/**
 * Makes the template's work repo, fetches `tip` of `branch` (the tip the
 * preflight saw) with the trees down to the file and the probes, and reads
 * the version file there (see {@linkcode readVersionState}).
 */
export async function readAtTip(
  ctx: RemoteContext,
  tip: string,
  branch: string,
  file: string,
  version: string,
  probes: readonly string[] = [],
): Promise<VersionState> {
  const fetched = await openTip(ctx, tip, branch, treeDepth(file, probes));
  return await readVersionState(ctx, fetched, file, version, probes);
}

/**
 * Why a template is not wired to read the version file, or null when it
 * is (or when there are no probes): none of the probe files exists and
 * mentions the file's name.
 */
export function notWired(
  state: VersionState,
  probes: readonly string[],
  file: string,
): string | null {
  if (probes.length === 0 || state.wiredBy.length > 0) return null;
  const names = state.rootNames ?? [];
  // The name that is not there, with the closest one that is.
  const note = state.probesFound?.length === 0
    ? missNote("--probe", probes[0] ?? "", names)
    : state.entry === null && state.probesFound !== undefined
    ? missNote("--file", file, names, true)
    : "";
  return `not wired: none of ${probes.join(", ")} mentions ${
    file.split("/").pop()
  }${note}`;
}

/**
 * Writes the one-file commit on top of the state's tip: the file's bytes
 * are exactly the version and one newline; its mode is kept.
 */
export async function writeVersionCommit(
  ctx: RemoteContext,
  state: VersionState,
  path: string,
  version: string,
  message: string,
  author: { name: string; email: string },
): Promise<string> {
  return await writeCommit(ctx, {
    parent: state.tip,
    path,
    mode: state.entry?.mode ?? "100644",
    content: renderVersionFile(version),
    message,
    author,
    at: ctx.now?.() ?? Date.now(),
  }, state.trees);
}
