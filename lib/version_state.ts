/**
 * The version file inside one fetched tip: where it sits in the tree, what
 * it holds, and the one-file commit that changes it. Only the trees on the
 * file's path are read; blobs are read only when their id is not already
 * the answer.
 *
 * @module
 */

import { TemplateError } from "./errors.ts";
import {
  listTree,
  readBlobs,
  type RemoteContext,
  type TreeEntry,
  writeBlob,
  writeCommit,
  writeTree,
} from "./remote.ts";
import {
  isCurrent,
  parseVersionFile,
  renderVersionFile,
  type VersionFileContent,
} from "./version_file.ts";

/** The version file at one tip. */
export interface VersionState {
  /** The commit read. */
  tip: string;
  /** Tree listings from the root down to the file's directory (null: absent). */
  levels: (TreeEntry[] | null)[];
  /** The file's entry, or null when it does not exist. */
  entry: TreeEntry | null;
  /** What it holds (null when absent). */
  content: VersionFileContent | null;
  /** True when it already holds the version. */
  current: boolean;
  /** Probe files that exist and mention the file's name (when asked). */
  wiredBy: string[];
}

const MODE_NAMES: Record<string, string> = {
  "040000": "a directory",
  "120000": "a symlink",
  "160000": "a submodule",
};

/**
 * Reads the version file at `tip` (a fetched commit). `path` is the
 * normalised relative path; `probes` are checked in the same read.
 * Throws `invalid` when the path is a directory, symlink or submodule.
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
  const levels: (TreeEntry[] | null)[] = [];
  let entry: TreeEntry | null = null;
  for (let depth = 0; depth < segments.length; depth++) {
    const dir = segments.slice(0, depth).join("/");
    const listing = depth === 0
      ? await listTree(ctx, tip)
      : levels[depth - 1] === null
      ? null
      : await listTree(ctx, `${tip}:${dir}`);
    levels.push(listing);
    const name = segments[depth] ?? "";
    const found = listing?.find((e) => e.name === name) ?? null;
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
    if (found === null) {
      // Deeper directories do not exist either.
      for (let d = depth + 1; d < segments.length; d++) levels.push(null);
      break;
    }
  }
  if (entry !== null && MODE_NAMES[entry.mode] !== undefined) {
    throw new TemplateError(
      "invalid",
      `${path} is ${
        MODE_NAMES[entry.mode]
      }, not a file: make it a plain file in the template (cascade will not replace it)`,
    );
  }
  const wanted = renderVersionFile(version);
  const knownCurrent = entry !== null &&
    entry.oid === await blobId(wanted, entry.oid.length === 64);
  const specs = [
    ...(entry !== null && !knownCurrent ? [entry.oid] : []),
    ...probes.map((p) => `${tip}:${p}`),
  ];
  const blobs = await readBlobs(ctx, specs);
  let content: VersionFileContent | null = null;
  if (knownCurrent) content = { value: version, display: version };
  else if (entry !== null) {
    const bytes = blobs.get(entry.oid);
    content = bytes ? parseVersionFile(bytes) : { value: null, display: "?" };
  }
  const wiredBy = probes.filter((p) => {
    const bytes = blobs.get(`${tip}:${p}`);
    return bytes != null && includesBytes(bytes, fileName);
  });
  return {
    tip,
    levels,
    entry,
    content,
    current: content !== null && isCurrent(content, version),
    wiredBy,
  };
}

/**
 * Writes the one-file commit: the new blob, the trees on the file's path
 * (every other entry kept as is, the file's mode kept), and a commit whose
 * only parent is the tip. Returns the commit id.
 */
export async function writeVersionCommit(
  ctx: RemoteContext,
  state: VersionState,
  path: string,
  version: string,
  message: string,
  authorEnv: Record<string, string>,
): Promise<string> {
  const segments = path.split("/");
  let oid = await writeBlob(ctx, renderVersionFile(version));
  let mode = state.entry?.mode ?? "100644";
  let type = "blob";
  for (let depth = segments.length - 1; depth >= 0; depth--) {
    const name = segments[depth] ?? "";
    const listing = (state.levels[depth] ?? []).filter((e) => e.name !== name);
    listing.push({ mode, type, oid, name });
    oid = await writeTree(ctx, listing);
    mode = "040000";
    type = "tree";
  }
  return await writeCommit(ctx, oid, state.tip, message, authorEnv);
}

/** The git blob id of `bytes`, computed here (no git process). */
export async function blobId(
  bytes: Uint8Array,
  sha256 = false,
): Promise<string> {
  const header = new TextEncoder().encode(`blob ${bytes.length}\0`);
  const data = new Uint8Array(header.length + bytes.length);
  data.set(header);
  data.set(bytes, header.length);
  const digest = await crypto.subtle.digest(
    sha256 ? "SHA-256" : "SHA-1",
    data,
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

function includesBytes(haystack: Uint8Array, needle: string): boolean {
  const text = new TextDecoder().decode(haystack);
  return text.includes(needle);
}
