/**
 * Git objects made in-process, for SHA-1 repos: an object's id, a loose
 * object written into a repo, a tree with one entry put in, a commit, and
 * a self-contained pack of a few objects. cascade's one-file commit needs
 * one blob, the trees on the file's path and one commit; making them here
 * costs no `git fast-import` (the heaviest git cascade started per
 * template) and, for the in-process push, no `git pack-objects`.
 *
 * Everything here follows git's object format exactly (held to git by
 * `tests/object_write_test.ts`: `git hash-object`, `git mktree`,
 * `git fsck --strict` and `git index-pack` agree with it).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { concatBytes } from "./runner.ts";

/** The kinds of object cascade writes. */
export type ObjectType = "blob" | "tree" | "commit";

/** An object with its id, ready to write or pack. */
export interface GitObjectData {
  /** Its kind. */
  type: ObjectType;
  /** Its content, without the `<type> <size>\0` header. */
  body: Uint8Array;
  /** Its SHA-1 id (40 hex digits). */
  oid: string;
}

const encoder = new TextEncoder();

/** The SHA-1 of `parts` joined, as 40 hex digits. */
export function sha1Hex(...parts: Uint8Array[]): string {
  const hash = createHash("sha1");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

/** `bytes` as lower-case hex digits, two per byte. */
export function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The SHA-1 id of the object `type` with `body` (as `git hash-object`). */
export function objectId(type: string, body: Uint8Array): string {
  return sha1Hex(encoder.encode(`${type} ${body.length}\0`), body);
}

/** The object `type` with `body`, and its id (as `git hash-object`). */
export function gitObject(
  type: ObjectType,
  body: Uint8Array | string,
): GitObjectData {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  return { type, body: bytes, oid: objectId(type, bytes) };
}

/**
 * Writes `object` as a loose object into the repo at `gitDir` (a file
 * written aside, then renamed into place, as git does). An object already
 * there loose is left as it is.
 */
export async function writeLoose(
  gitDir: string,
  object: GitObjectData,
): Promise<void> {
  const dir = `${gitDir}/objects/${object.oid.slice(0, 2)}`;
  const path = `${dir}/${object.oid.slice(2)}`;
  try {
    await Deno.lstat(path);
    return;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dir, { recursive: true });
  const header = encoder.encode(`${object.type} ${object.body.length}\0`);
  const whole = new Uint8Array(header.length + object.body.length);
  whole.set(header);
  whole.set(object.body, header.length);
  const temp = `${dir}/tmp_obj_${crypto.randomUUID()}`;
  await Deno.writeFile(temp, deflateSync(whole), { mode: 0o444 });
  await Deno.rename(temp, path);
}

/** One entry of a raw tree: its mode, name and id, as bytes. */
export interface RawEntry {
  /** The mode as the tree holds it (`100644`, `40000`, ...). */
  mode: Uint8Array;
  /** The name: one path segment. */
  name: Uint8Array;
  /** The id's bytes. */
  oid: Uint8Array;
  /** The mode says directory (`40000`). */
  isTree: boolean;
}

/**
 * The one reader of raw trees: the entries (`<mode> <name>\0<id>`, ids of
 * `hashBytes`) up to the first one cut short or without a mode or a name;
 * `complete` when that was the end of the tree.
 */
export function scanTree(
  tree: Uint8Array,
  hashBytes = 20,
): { entries: RawEntry[]; complete: boolean } {
  const entries: RawEntry[] = [];
  let pos = 0;
  while (pos < tree.length) {
    const space = tree.indexOf(0x20, pos);
    const nul = space < 0 ? -1 : tree.indexOf(0, space + 1);
    if (
      space <= pos || nul <= space + 1 || nul + 1 + hashBytes > tree.length
    ) {
      return { entries, complete: false };
    }
    const mode = tree.subarray(pos, space);
    entries.push({
      mode,
      name: tree.subarray(space + 1, nul),
      oid: tree.subarray(nul + 1, nul + 1 + hashBytes),
      isTree: mode.length === 5 && mode[0] === 0x34,
    });
    pos = nul + 1 + hashBytes;
  }
  return { entries, complete: true };
}

/** The raw SHA-1 tree's entries, or null when it is not well formed. */
function rawEntries(tree: Uint8Array): RawEntry[] | null {
  const { entries, complete } = scanTree(tree);
  return complete ? entries : null;
}

/**
 * git's tree order: names compared as bytes, a directory's name as if it
 * ended in `/` (what `base_name_compare` does).
 */
function entryOrder(a: RawEntry, b: RawEntry): number {
  const len = Math.min(a.name.length, b.name.length);
  for (let i = 0; i < len; i++) {
    const d = (a.name[i] ?? 0) - (b.name[i] ?? 0);
    if (d !== 0) return d;
  }
  const end = (e: RawEntry) =>
    e.name.length > len ? e.name[len] ?? 0 : e.isTree ? 0x2f : 0;
  return end(a) - end(b);
}

function hexBytes(oid: string): Uint8Array {
  const bytes = new Uint8Array(oid.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(oid.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

/** One entry of a tree to make: its mode, name and id. */
export interface TreeEntryData {
  /** Mode as a tree holds it: `100644`, `100755`, `120000`, `40000`. */
  mode: string;
  /** One path segment. */
  name: string;
  /** Its id (40 hex digits). */
  oid: string;
}

/** The entry as raw bytes (null for an id that is not SHA-1 hex). */
function rawEntry(entry: TreeEntryData): RawEntry | null {
  if (!/^[0-9a-f]{40}$/.test(entry.oid)) return null;
  return {
    mode: encoder.encode(entry.mode),
    name: encoder.encode(entry.name),
    oid: hexBytes(entry.oid),
    isTree: entry.mode === "40000",
  };
}

function serialise(entries: readonly RawEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    parts.push(e.mode, encoder.encode(" "), e.name, new Uint8Array([0]), e.oid);
  }
  return concatBytes(parts);
}

/**
 * The raw tree of `entries`, in git's order (as `git mktree` makes it).
 * Throws on an id that is not SHA-1 hex.
 */
export function treeOf(entries: readonly TreeEntryData[]): Uint8Array {
  const raw = entries.map((entry) => {
    const made = rawEntry(entry);
    if (made === null) throw new Error(`not a SHA-1 id: ${entry.oid}`);
    return made;
  });
  return serialise(raw.sort(entryOrder));
}

/**
 * The raw tree `tree` (null: an empty one) with the entry `name` set to
 * `mode` and `oid`: an entry of that name is replaced, else the entry is
 * put in at its place in git's order. Every other entry is kept byte for
 * byte. Null when `tree` is not a well-formed tree, or holds `name` as the
 * other kind (a file where a directory goes, or the reverse): cascade does
 * not guess there.
 */
export function treeWith(
  tree: Uint8Array | null,
  name: string,
  mode: string,
  oid: string,
): Uint8Array | null {
  const entries = tree === null ? [] : rawEntries(tree);
  const added = rawEntry({ mode, name, oid });
  if (entries === null || added === null) return null;
  const sameName = (e: RawEntry) =>
    e.name.length === added.name.length &&
    e.name.every((b, i) => b === added.name[i]);
  if (entries.some((e) => sameName(e) && e.isTree !== added.isTree)) {
    return null;
  }
  const kept = entries.filter((e) => !sameName(e));
  let at = kept.findIndex((e) => entryOrder(added, e) < 0);
  if (at < 0) at = kept.length;
  kept.splice(at, 0, added);
  return serialise(kept);
}

/** Who made a commit, and when. */
export interface Signature {
  /** Name (no `<`, `>` or line break). */
  name: string;
  /** Email (no `<`, `>` or whitespace). */
  email: string;
  /** Seconds since the epoch. */
  seconds: number;
  /** Offset from UTC in minutes (east positive), as git prints it. */
  offsetMinutes: number;
}

/**
 * `Name <email> <seconds> <+hhmm>`, as a commit's header holds it (and
 * fast-import's `raw` date format reads it).
 */
export function signature(who: Signature): string {
  const sign = who.offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(who.offsetMinutes);
  const hhmm = `${String(Math.floor(abs / 60)).padStart(2, "0")}${
    String(abs % 60).padStart(2, "0")
  }`;
  return `${who.name} <${who.email}> ${who.seconds} ${sign}${hhmm}`;
}

/**
 * The person `name <email>` at `ms` (milliseconds since the epoch), in
 * this machine's time zone, as git dates a commit made then.
 */
export function signedAt(
  person: { name: string; email: string },
  ms: number,
): Signature {
  return {
    ...person,
    seconds: Math.floor(ms / 1000),
    offsetMinutes: -new Date(ms).getTimezoneOffset(),
  };
}

/** A commit's fields. */
export interface CommitFields {
  /** The root tree's id. */
  tree: string;
  /** Parent ids, in order. */
  parents: readonly string[];
  /** The author. */
  author: Signature;
  /** The committer. */
  committer: Signature;
  /** The message, exactly as stored. */
  message: string | Uint8Array;
}

/**
 * The commit object of `fields`: what `git fast-import` or
 * `git commit-tree` store for them. Throws on a person git would refuse.
 */
export function commitObject(fields: CommitFields): GitObjectData {
  for (const who of [fields.author, fields.committer]) {
    if (/[<>\n\0]/.test(who.name) || /[<>\s\0]/.test(who.email)) {
      throw new Error(`not a person git stores: ${JSON.stringify(who.name)}`);
    }
  }
  const header = [
    `tree ${fields.tree}\n`,
    ...fields.parents.map((p) => `parent ${p}\n`),
    `author ${signature(fields.author)}\n`,
    `committer ${signature(fields.committer)}\n`,
    "\n",
  ].join("");
  const message = typeof fields.message === "string"
    ? encoder.encode(fields.message)
    : fields.message;
  return gitObject("commit", concatBytes([encoder.encode(header), message]));
}

const PACK_TYPES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3 };

/**
 * A version 2 pack of `objects`, each whole (no deltas): what a push of
 * them sends, and what `git index-pack` takes.
 */
export function packOf(objects: readonly GitObjectData[]): Uint8Array {
  const head = new Uint8Array(12);
  head.set(encoder.encode("PACK"));
  const view = new DataView(head.buffer);
  view.setUint32(4, 2);
  view.setUint32(8, objects.length);
  const parts: Uint8Array[] = [head];
  for (const object of objects) {
    // The type and size: 4 bits of size first, then 7 per byte.
    let size = object.body.length;
    const header: number[] = [];
    let byte = (PACK_TYPES[object.type] << 4) | (size & 0x0f);
    size = Math.floor(size / 16);
    while (size > 0) {
      header.push(byte | 0x80);
      byte = size & 0x7f;
      size = Math.floor(size / 128);
    }
    header.push(byte);
    parts.push(new Uint8Array(header), deflateSync(object.body));
  }
  const body = concatBytes(parts);
  return concatBytes([body, hexBytes(sha1Hex(body))]);
}
