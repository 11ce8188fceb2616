/**
 * Git's pkt-line framing, read strictly: a length is exactly four hex
 * digits, every answer is read under a byte cap that an interrupt stops,
 * and two ref lists are parsed from it: a protocol v2 `ls-refs` answer and
 * a protocol v0 upload-pack advertisement.
 *
 * @module
 */

import type { RemoteHead } from "./refs.ts";
import { VERSION } from "../tool_version.ts";

/** The longest pkt-line git sends or accepts (`LARGE_PACKET_MAX`). */
const MAX_PKT_LENGTH = 65520;

/** The `agent=` capability cascade sends. */
const AGENT = `cascade/${VERSION}`;

/** The v2 `ls-refs` request body for HEAD and, if given, one branch. */
export function lsRefsRequest(branch?: string): Uint8Array<ArrayBuffer> {
  const prefixes = branch === undefined
    ? ["HEAD"]
    : ["HEAD", `refs/heads/${branch}`];
  const text = [
    pkt("command=ls-refs\n"),
    pkt(`agent=${AGENT}\n`),
    "0001",
    pkt("symrefs\n"),
    ...prefixes.map((prefix) => pkt(`ref-prefix ${prefix}\n`)),
    "0000",
  ].join("");
  return new TextEncoder().encode(text);
}

function pkt(payload: string): string {
  const length = new TextEncoder().encode(payload).length + 4;
  return `${length.toString(16).padStart(4, "0")}${payload}`;
}

/** One pkt-line as bytes: four hex digits of length, then `payload`. */
export function pktLine(payload: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(pkt(payload));
}

/** One pkt-line: a special packet, or a data line and its payload. */
export type Pkt =
  | { type: "flush" | "delim" | "response-end" }
  | { type: "data"; bytes: Uint8Array };

/**
 * Splits `bytes` into pkt-lines, strictly: a length is exactly four hex
 * digits (no sign, no space), `0000` is a flush, `0001` a delimiter and
 * `0002` a response end (these two only when `v2`), any other length below
 * 4 or above {@linkcode MAX_PKT_LENGTH} is invalid, and the last line ends
 * where the bytes end. Null when they are not such a sequence.
 */
export function parsePktLines(bytes: Uint8Array, v2: boolean): Pkt[] | null {
  const lines: Pkt[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (pos + 4 > bytes.length) return null;
    let length = 0;
    for (let i = pos; i < pos + 4; i++) {
      const digit = hexDigit(bytes[i] ?? 0);
      if (digit < 0) return null;
      length = length * 16 + digit;
    }
    if (length === 0) lines.push({ type: "flush" });
    else if (length === 1 && v2) lines.push({ type: "delim" });
    else if (length === 2 && v2) lines.push({ type: "response-end" });
    else if (length < 4 || length > MAX_PKT_LENGTH) return null;
    else if (pos + length > bytes.length) return null;
    else {lines.push({
        type: "data",
        bytes: bytes.subarray(pos + 4, pos + length),
      });}
    pos += length < 4 ? 4 : length;
  }
  return lines;
}

/** The value of an ASCII hex digit (either case), or -1. */
function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  return -1;
}

/** A data line as text, without its one trailing newline; null if not UTF-8. */
function text(bytes: Uint8Array): string | null {
  try {
    const line = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return line.endsWith("\n") ? line.slice(0, -1) : line;
  } catch {
    return null;
  }
}

const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Parses a protocol v2 `ls-refs` answer (`<oid> <name>[ symref-target:<t>]
 * [ peeled:<oid>]` lines, a flush, and optionally a response end) into
 * HEAD's branch and the branch tips. Null when it is not one (an `ERR`
 * line, a v0 advertisement, broken framing, a line that does not parse,
 * an attribute other than `symref-target:` and `peeled:`). Names are not
 * checked here: see `checkedHead` in refs.ts.
 */
export function parseLsRefs(bytes: Uint8Array): RemoteHead | null {
  const pkts = parsePktLines(bytes, true);
  if (pkts === null) return null;
  const end = pkts.findIndex((p) => p.type !== "data");
  const rest = pkts.slice(end).map((p) => p.type);
  if (
    end < 0 || rest[0] !== "flush" ||
    !(rest.length === 1 || (rest.length === 2 && rest[1] === "response-end"))
  ) {
    return null;
  }
  const head: RemoteHead = { defaultBranch: null, tips: new Map() };
  let headTip: string | null = null;
  let symref: string | null = null;
  for (const pkt of pkts.slice(0, end)) {
    const line = pkt.type === "data" ? text(pkt.bytes) : null;
    if (line === null) return null;
    const [oid = "", name = "", ...attributes] = line.split(" ");
    if (!OID.test(oid) || name === "") return null;
    if (!attributes.every((a) => /^(symref-target|peeled):./.test(a))) {
      return null;
    }
    if (name === "HEAD") {
      headTip = oid;
      for (const attribute of attributes) {
        if (attribute.startsWith("symref-target:")) {
          symref = attribute.slice("symref-target:".length);
        }
      }
    } else if (name.startsWith("refs/heads/")) {
      head.tips.set(name.slice("refs/heads/".length), oid);
    }
  }
  if (headTip !== null && symref?.startsWith("refs/heads/")) {
    head.defaultBranch = symref.slice("refs/heads/".length);
    head.tips.set(head.defaultBranch, headTip);
  }
  return head;
}

/**
 * Parses a protocol v0 upload-pack advertisement (pkt-lines, optionally
 * after a `# service=` line and a flush) into what `git ls-remote --symref`
 * prints: HEAD's branch (only when HEAD is advertised, as git reports it)
 * and the tip of every branch. Null when it is not one. Names are not
 * checked here: see `checkedHead` in refs.ts.
 */
export function parseAdvertisement(bytes: Uint8Array): RemoteHead | null {
  const pkts = parsePktLines(bytes, false);
  if (pkts === null) return null;
  const lines: string[] = [];
  let flushes = 0;
  for (const pkt of pkts) {
    if (pkt.type === "flush") {
      flushes++;
      continue;
    }
    if (pkt.type !== "data" || flushes > 1) return null;
    const line = text(pkt.bytes);
    if (line === null) return null;
    lines.push(line);
  }
  if (lines[0]?.startsWith("# service=")) {
    if (lines[0] !== "# service=git-upload-pack") return null;
    // The service line is followed by a flush.
    if (pkts[1]?.type !== "flush") return null;
    lines.shift();
    flushes--;
  }
  // The list ends with a flush; a v2 answer ("version 2") is not a v0 list.
  if (
    flushes !== 1 || pkts.at(-1)?.type !== "flush" ||
    lines[0]?.startsWith("version ")
  ) {
    return null;
  }

  const head: RemoteHead = { defaultBranch: null, tips: new Map() };
  let headTip: string | null = null;
  let symref: string | null = null;
  for (const [index, raw] of lines.entries()) {
    let line = raw;
    if (index === 0) {
      const nul = line.indexOf("\0");
      if (nul < 0) return null;
      for (const capability of line.slice(nul + 1).split(" ")) {
        if (capability.startsWith("symref=HEAD:")) {
          symref = capability.slice("symref=HEAD:".length);
        }
      }
      line = line.slice(0, nul);
    }
    if (index > 0 && line.startsWith("shallow ")) continue;
    const space = line.indexOf(" ");
    const oid = line.slice(0, space);
    const ref = line.slice(space + 1);
    if (space < 0 || !OID.test(oid) || ref === "") return null;
    if (ref === "HEAD") headTip = oid;
    else if (ref.startsWith("refs/heads/")) {
      head.tips.set(ref.slice("refs/heads/".length), oid);
    }
  }
  if (headTip !== null && symref?.startsWith("refs/heads/")) {
    head.defaultBranch = symref.slice("refs/heads/".length);
  }
  return head;
}
