/**
 * The protocol v2 `fetch` command, both ways: the request for one tip at
 * depth 1, and its answer read strictly (sections, side-band, the pack).
 *
 * @module
 */

import { concatBytes } from "./runner.ts";
import { parsePktLines, pktLine } from "./pkt_line.ts";
import { VERSION } from "../tool_version.ts";

/**
 * The v2 `fetch` request for `tip` at depth 1, with `filter` (a
 * `--filter` spec) unless null: no progress, offset deltas allowed, no
 * thin pack, `done` at once (no negotiation: the work repo has nothing).
 */
export function fetchRequest(
  tip: string,
  filter: string | null,
): Uint8Array<ArrayBuffer> {
  const args = [
    "no-progress\n",
    "ofs-delta\n",
    `want ${tip}\n`,
    "deepen 1\n",
    ...(filter === null ? [] : [`filter ${filter}\n`]),
    "done\n",
  ];
  const encode = (text: string) => new TextEncoder().encode(text);
  return concatBytes([
    pktLine("command=fetch\n"),
    pktLine(`agent=cascade/${VERSION}\n`),
    encode("0001"),
    ...args.map(pktLine),
    encode("0000"),
  ]);
}

/** What a fetch answer brought: the pack and the shallow boundary. */
export interface FetchAnswer {
  /** The pack's bytes (side-band 1 joined). */
  pack: Uint8Array;
  /** Commits the server made shallow (`shallow <oid>` lines). */
  shallow: string[];
}

const OID = /^[0-9a-f]{40}$/;
const SECTIONS = ["shallow-info", "wanted-refs", "packfile-uris"];

/**
 * Reads a v2 `fetch` answer to a request that said `done`: optional
 * sections (`shallow-info` is kept; `wanted-refs` and `packfile-uris`
 * are not asked for and refused), each ended by a delimiter, then
 * `packfile` with side-band lines (1: pack data, 2: progress, 3: a fatal
 * error) and a flush. Null for anything else: an empty answer, an `ERR`
 * line, a fatal error, broken framing, a pack that does not start `PACK`.
 */
export function readFetchAnswer(bytes: Uint8Array): FetchAnswer | null {
  const pkts = parsePktLines(bytes, true);
  if (pkts === null || pkts.length === 0) return null;
  const shallow: string[] = [];
  const chunks: Uint8Array[] = [];
  let at = 0;
  const line = (i: number): string | null => {
    const pkt = pkts[i];
    if (pkt?.type !== "data") return null;
    const text = new TextDecoder().decode(pkt.bytes);
    return text.endsWith("\n") ? text.slice(0, -1) : text;
  };
  while (line(at) !== "packfile") {
    const name = line(at);
    if (name === null || !SECTIONS.includes(name)) return null;
    if (name !== "shallow-info") return null;
    for (at++; pkts[at]?.type === "data"; at++) {
      const [kind, oid = ""] = (line(at) ?? "").split(" ");
      if (kind !== "shallow" && kind !== "unshallow") return null;
      if (!OID.test(oid)) return null;
      if (kind === "shallow") shallow.push(oid);
    }
    if (pkts[at]?.type !== "delim") return null;
    at++;
  }
  for (at++; at < pkts.length; at++) {
    const pkt = pkts[at];
    if (pkt?.type !== "data") break;
    const band = pkt.bytes[0];
    if (band === 1) chunks.push(pkt.bytes.subarray(1));
    else if (band !== 2) return null;
  }
  const end = pkts.slice(at).map((p) => p.type);
  if (
    end[0] !== "flush" ||
    !(end.length === 1 || (end.length === 2 && end[1] === "response-end"))
  ) {
    return null;
  }
  const pack = concatBytes(chunks);
  if (new TextDecoder().decode(pack.subarray(0, 4)) !== "PACK") return null;
  return { pack, shallow };
}
