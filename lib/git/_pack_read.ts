/**
 * Reading a small fetched pack in-process: every object, deltas applied,
 * by id. A template's filtered tip (its trees down to the file and its
 * small files) is a few KiB; reading it here saves `git index-pack` and
 * `git cat-file` for a template whose answer is in it.
 *
 * The pack is hostile data. It is read in one pass, in time linear in its
 * size and what it inflates to, holding at most `budget` bytes of objects
 * (declared sizes are checked before anything is inflated, and inflating
 * stops at the declared size). Anything out of the ordinary gives null, and
 * the caller hands the pack to git instead: a checksum that does not
 * match, a version other than 2 or 3, a truncated entry, a delta whose base
 * is not in the pack (a thin pack), a delta that does not apply exactly,
 * more than the budget.
 *
 * @module
 */

import { inflateSync } from "node:zlib";
import { hexOf, objectId, sha1Hex } from "./object_write.ts";

/** An object read from a pack. */
export interface PackedObject {
  /** `commit`, `tree`, `blob` or `tag`. */
  type: string;
  /** Its content. */
  body: Uint8Array;
}

const TYPES: Record<number, string> = {
  1: "commit",
  2: "tree",
  3: "blob",
  4: "tag",
};
const OFS_DELTA = 6;
const REF_DELTA = 7;

/** One entry as read, before its delta (if any) is applied. */
interface Entry {
  start: number;
  kind: number;
  data: Uint8Array;
  base?: number | string;
}

/**
 * The SHA-1 pack's objects by id, or null when it is not one cascade reads
 * in-process (see the module doc).
 */
export function readPack(
  pack: Uint8Array,
  budget: number,
): Map<string, PackedObject> | null {
  if (pack.length < 32) return null;
  const magic = String.fromCharCode(...pack.subarray(0, 4));
  const view = new DataView(pack.buffer, pack.byteOffset, pack.byteLength);
  const version = view.getUint32(4);
  const count = view.getUint32(8);
  if (magic !== "PACK" || (version !== 2 && version !== 3)) return null;
  const end = pack.length - 20;
  if (sha1Hex(pack.subarray(0, end)) !== hexOf(pack.subarray(end))) {
    return null;
  }
  // Each entry takes at least 2 bytes: a count beyond that is a lie.
  if (count > (end - 12) / 2) return null;
  let left = budget;
  const entries: Entry[] = [];
  const byStart = new Map<number, number>();
  let pos = 12;
  for (let i = 0; i < count; i++) {
    const start = pos;
    let c = pack[pos++] ?? 0;
    const kind = (c >> 4) & 7;
    let size = c & 0x0f;
    let scale = 16;
    while (c & 0x80) {
      if (pos >= end || scale > 2 ** 35) return null;
      c = pack[pos++] ?? 0;
      size += (c & 0x7f) * scale;
      scale *= 128;
    }
    let base: number | string | undefined;
    if (kind === OFS_DELTA) {
      c = pack[pos++] ?? 0;
      let back = c & 0x7f;
      while (c & 0x80) {
        if (pos >= end || back > 2 ** 35) return null;
        c = pack[pos++] ?? 0;
        back = (back + 1) * 128 + (c & 0x7f);
      }
      base = start - back;
      if (!byStart.has(base)) return null;
    } else if (kind === REF_DELTA) {
      if (pos + 20 > end) return null;
      base = hexOf(pack.subarray(pos, pos + 20));
      pos += 20;
    } else if (TYPES[kind] === undefined) return null;
    left -= size;
    if (left < 0 || pos >= end) return null;
    let data: Uint8Array;
    try {
      const out = inflateSync(pack.subarray(pos, end), {
        info: true,
        maxOutputLength: Math.max(size, 1),
      }) as unknown as { buffer: Uint8Array; engine: { bytesWritten: number } };
      // A plain view of node's Buffer: the objects are handed on as bytes.
      const inflated = out.buffer;
      data = new Uint8Array(
        inflated.buffer,
        inflated.byteOffset,
        inflated.byteLength,
      );
      pos += out.engine.bytesWritten;
    } catch {
      return null;
    }
    if (data.length !== size) return null;
    byStart.set(start, entries.length);
    entries.push({
      start,
      kind,
      data,
      ...(base === undefined ? {} : { base }),
    });
  }
  if (pos !== end) return null;
  return resolve(entries, byStart, left);
}

/**
 * Applies the deltas and names every object by its id, in time linear in
 * the entries: each object, once named, resolves the deltas waiting on it
 * (an offset delta's base comes before it; a ref delta's may come
 * anywhere). Null when a base is missing or a delta does not apply.
 */
function resolve(
  entries: readonly Entry[],
  byStart: ReadonlyMap<number, number>,
  budget: number,
): Map<string, PackedObject> | null {
  let left = budget;
  const objects = new Map<string, PackedObject>();
  const byOffset = new Map<number, number[]>();
  const byId = new Map<string, number[]>();
  const wait = <K>(map: Map<K, number[]>, key: K, i: number) => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [i]);
    else list.push(i);
  };
  const ready: [number, PackedObject][] = [];
  for (const [i, entry] of entries.entries()) {
    const type = TYPES[entry.kind];
    if (type !== undefined) ready.push([i, { type, body: entry.data }]);
    else if (typeof entry.base === "number") {
      wait(byOffset, byStart.get(entry.base) ?? -1, i);
    } else wait(byId, entry.base ?? "", i);
  }
  let named = 0;
  for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
    const [i, object] = next;
    named++;
    const oid = objectId(object.type, object.body);
    objects.set(oid, object);
    const waiting = [...byOffset.get(i) ?? [], ...byId.get(oid) ?? []];
    byOffset.delete(i);
    byId.delete(oid);
    for (const j of waiting) {
      const body = applyDelta(object.body, entries[j]?.data ?? EMPTY, left);
      if (body === null) return null;
      left -= body.length;
      ready.push([j, { type: object.type, body }]);
    }
  }
  return named === entries.length ? objects : null;
}

const EMPTY = new Uint8Array();

/** Reads a delta header's size at `at`: [size, next position] or null. */
function varint(delta: Uint8Array, at: number): [number, number] | null {
  let size = 0;
  let scale = 1;
  for (;;) {
    const c = delta[at++];
    if (c === undefined || scale > 2 ** 35) return null;
    size += (c & 0x7f) * scale;
    scale *= 128;
    if (!(c & 0x80)) return [size, at];
  }
}

/**
 * git's delta format: the base's size, the result's size, then copy
 * (from the base) and insert (literal) instructions that fill the result
 * exactly. Null for anything else, or a result larger than `budget`.
 */
export function applyDelta(
  base: Uint8Array,
  delta: Uint8Array,
  budget: number,
): Uint8Array | null {
  const from = varint(delta, 0);
  if (from === null || from[0] !== base.length) return null;
  const to = varint(delta, from[1]);
  if (to === null || to[0] > budget) return null;
  const out = new Uint8Array(to[0]);
  let at = to[1];
  let filled = 0;
  while (at < delta.length) {
    const op = delta[at++] ?? 0;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit++) {
        if (op & (1 << bit)) offset += (delta[at++] ?? 0) * 256 ** bit;
      }
      for (let bit = 0; bit < 3; bit++) {
        if (op & (16 << bit)) size += (delta[at++] ?? 0) * 256 ** bit;
      }
      if (size === 0) size = 0x10000;
      if (
        at > delta.length || offset + size > base.length ||
        filled + size > out.length
      ) {
        return null;
      }
      out.set(base.subarray(offset, offset + size), filled);
      filled += size;
    } else if (op > 0) {
      if (at + op > delta.length || filled + op > out.length) return null;
      out.set(delta.subarray(at, at + op), filled);
      filled += op;
      at += op;
    } else return null;
  }
  return filled === out.length ? out : null;
}
